package eventlog

import (
	"strings"
	"testing"
)

// TestTruncatedMessage: a truncated .evtx said only "no timestamped
// records" when the cut fell before its first record (issue 16.7). Now
// the first warning says the file is truncated and how much of it was
// readable; a whole file says nothing of the kind. The sample is a real
// one-chunk Sysmon log (testdata/README.md) cut at several places.
func TestTruncatedMessage(t *testing.T) {
	full := readFile(t, "testdata/sysmon_mimikatz_lsass.evtx")
	for _, tc := range []struct {
		name    string
		size    int
		records int
		want    string
	}{
		{"in the file header", 3000, 0, "file is truncated: 3000 bytes, shorter than the 4096-byte EVTX file header; no chunk and no record readable"},
		{"in the chunk header", fileHeaderSize + 300, 0, "file is truncated: 4396 of the 69632 bytes its header declares (64 KiB chunks: 1 declared, 0 read whole, 1 cut or damaged); 0 records readable"},
		{"after the first record", fileHeaderSize + 5000, 1, "file is truncated: 9096 of the 69632 bytes its header declares (64 KiB chunks: 1 declared, 0 read whole, 1 cut or damaged); 1 records readable"},
	} {
		recs, st := readAll(t, full[:tc.size])
		if len(recs) != tc.records || !st.Truncated || len(st.Warnings) == 0 || st.Warnings[0] != tc.want {
			t.Errorf("%s: %d records, Truncated %v, warnings %q; want %d records and first %q", tc.name, len(recs), st.Truncated, st.Warnings, tc.records, tc.want)
		}
	}
	recs, st := readAll(t, full)
	if len(recs) != 3 || st.Truncated || strings.Contains(strings.Join(st.Warnings, "\n"), "truncated") {
		t.Errorf("whole file: %d records, Truncated %v, warnings %q; want 3 records and no truncation", len(recs), st.Truncated, st.Warnings)
	}
}
