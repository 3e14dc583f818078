package eventlog

import (
	"os"
	"testing"
	"time"
	"fmt"
)

func TestSlowOne(t *testing.T) {
	c, err := os.ReadFile("/tmp/slow.bin")
	if err != nil {
		t.Skip()
	}
	d := synthFile(c)
	start := time.Now()
	recs, st := readAll(t, d)
	fmt.Println(time.Since(start), len(recs), st.Records, st.BadRecords, st.Warnings)
	start = time.Now()
	checkInvariants(t, d)
	fmt.Println(time.Since(start))
}
