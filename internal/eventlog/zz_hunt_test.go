package eventlog

import (
	"math/rand"
	"os"
	"testing"
	"time"
)

func TestHuntSlow(t *testing.T) {
	if os.Getenv("HUNT") == "" {
		t.Skip()
	}
	r := rand.New(rand.NewSource(1))
	ss := seeds(t)
	for i := 0; i < 200000; i++ {
		s := ss[r.Intn(len(ss))]
		if len(s) <= fileHeaderSize {
			continue
		}
		c := append([]byte(nil), s[fileHeaderSize:]...)
		for k := r.Intn(8) + 1; k > 0; k-- {
			switch r.Intn(3) {
			case 0:
				c[r.Intn(len(c))] = byte(r.Intn(256))
			case 1:
				p := r.Intn(len(c) - 4)
				v := uint32(r.Intn(1 << 16))
				if r.Intn(2) == 0 {
					v = r.Uint32()
				}
				c[p], c[p+1], c[p+2], c[p+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
			case 2:
				p := r.Intn(len(c))
				q := r.Intn(len(c))
				n := r.Intn(64)
				if p+n < len(c) && q+n < len(c) {
					copy(c[p:p+n], c[q:q+n])
				}
			}
		}
		start := time.Now()
		checkInvariants(t, synthFile(c))
		if d := time.Since(start); d > 1*time.Second {
			os.WriteFile("/tmp/slow.bin", c, 0o644)
			t.Fatalf("iteration %d took %v", i, d)
		}
	}
}
