package collect

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
)

// TestWriteBoundedMemory: a 256 MiB log is streamed into the bundle, not
// held: what the whole collection allocates stays far below the file's
// size (measured: 7 MiB, the copy and zip buffers and the compressor).
func TestWriteBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 256 MiB file")
	}
	root := t.TempDir()
	collecttest.Write(t, root, []collecttest.File{{Path: "inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", Data: "#Fields: date time\r\n", MTime: collecttest.Recent}})
	big := filepath.Join(root, "inetpub/logs/LogFiles/W3SVC1/u_ex210306.log")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	const size = 256 << 20
	if err := f.Truncate(size); err != nil { // sparse: cheap to make, read in full
		t.Fatal(err)
	}
	f.Close()
	p := plan(t, root, Options{})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := p.Write(t.Context(), filepath.Join(t.TempDir(), "b.zip"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("collected %d bytes, allocated %d bytes", b.Manifest.Totals.Bytes, alloc)
	if b.Manifest.Totals.Bytes != size+20 {
		t.Errorf("collected %d bytes", b.Manifest.Totals.Bytes)
	}
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB to collect a %d MiB file", alloc>>20, size>>20)
	}
}
