package eventlog

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/evidence"
)

// checkInvariants reads data twice and checks what must hold for any
// input: no decoder panic, the same result both times, no more records
// than could fit, and every record bounded and complete.
func checkInvariants(t *testing.T, data []byte) {
	t.Helper()
	read := func() ([]*evidence.Record, Stats, error) {
		var recs []*evidence.Record
		st, err := Read(t.Context(), bytes.NewReader(data), int64(len(data)), "f.evtx", func(r *evidence.Record) error {
			recs = append(recs, r)
			return nil
		})
		return recs, st, err
	}
	recs, st, err := read()
	if err != nil {
		if err != ErrNotEVTX {
			t.Fatalf("Read error other than ErrNotEVTX: %v", err)
		}
		return
	}
	for _, w := range st.Warnings {
		if strings.Contains(w, "panic") {
			t.Fatalf("decoder panicked: %s", w)
		}
	}
	if st.Records != int64(len(recs)) || st.Records > int64(len(data)/(recordHeader+4)) {
		t.Fatalf("stats %+v for %d records in %d bytes", st, len(recs), len(data))
	}
	if len(st.Warnings) > maxWarnings+1 {
		t.Fatalf("%d warnings", len(st.Warnings))
	}
	for _, r := range recs {
		size := 0
		r.Fields.Range(func(k, v string) bool { size += len(k) + len(v); return true })
		if size > 2*maxOutput {
			t.Fatalf("record %d holds %d bytes of fields", r.Line, size)
		}
		if _, ok := r.Fields.Get("EventRecordID"); !ok || r.Log.Product != "windows" {
			t.Fatalf("record %d lacks EventRecordID or product", r.Line)
		}
	}
	recs2, st2, _ := read()
	if diff := cmp.Diff(st, st2); diff != "" || len(recs2) != len(recs) {
		t.Fatalf("second read differs (-first +second):\n%s", diff)
	}
}

// seeds returns the small real samples, cut down to their used bytes,
// plus truncated and bit-flipped variants.
func seeds(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.evtx")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		free := int(binary.LittleEndian.Uint32(b[fileHeaderSize+0x30:]))
		used := b[:fileHeaderSize+free]
		out = append(out, used, used[:len(used)/2], used[:fileHeaderSize+chunkHeaderSize+100])
		flipped := bytes.Clone(used)
		for i := fileHeaderSize + chunkHeaderSize; i < len(flipped); i += 97 {
			flipped[i] ^= 0x5a
		}
		out = append(out, flipped)
	}
	return out
}

// FuzzRead feeds arbitrary files to Read.
//
//	go test -run='^$' -fuzz=FuzzRead -fuzztime=60s ./internal/eventlog/
//
// Go minimises each new interesting input for up to 60 s by default, which
// for multi-kilobyte EVTX inputs eats most of a short run; add
// -fuzzminimizetime=2s to spend the time fuzzing instead.
func FuzzRead(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Add([]byte("ElfFile\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, data)
	})
}

// FuzzChunk fuzzes one chunk behind a valid file header, so mutations
// land in the chunk and BinXML parsers rather than the file magic.
//
//	go test -run='^$' -fuzz=FuzzChunk -fuzztime=60s ./internal/eventlog/
func FuzzChunk(f *testing.F) {
	for _, s := range seeds(f) {
		if len(s) > fileHeaderSize {
			f.Add(s[fileHeaderSize:])
		}
	}
	f.Add(synthChunk(1, classicEvent("Application", "MSExchange Unified Messaging", "1", "2", "System.InvalidCastException"))[:1024])
	f.Fuzz(func(t *testing.T, chunk []byte) {
		if len(chunk) > chunkSize {
			chunk = chunk[:chunkSize]
		}
		checkInvariants(t, synthFile(chunk))
	})
}
