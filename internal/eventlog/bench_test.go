package eventlog

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"www.velocidex.com/golang/evtx"
)

// benchFiles returns the package's samples; the corpus's 1 MB Sysmon file
// is added when present because it has many records per chunk.
func benchFiles(b *testing.B) [][]byte {
	files, _ := filepath.Glob("testdata/*.evtx")
	files = append(files, filepath.Join(corpusDir, "evtx-attack-samples/Credential Access/discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx"))
	var out [][]byte
	for _, f := range files {
		if data, err := readFileTB(f); err == nil {
			out = append(out, data)
		}
	}
	return out
}

// BenchmarkRead measures our reader; see records/s.
func BenchmarkRead(b *testing.B) {
	files := benchFiles(b)
	var n int64
	for b.Loop() {
		for _, data := range files {
			st, err := Read(b.Context(), bytes.NewReader(data), int64(len(data)), "b", func(*evidence.Record) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			n += st.Records
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVelocidex measures the Velocidex library on the same files
// (parse to its ordered dicts only, no field extraction).
func BenchmarkVelocidex(b *testing.B) {
	files := benchFiles(b)
	var n int64
	for b.Loop() {
		for _, data := range files {
			chunks, err := evtx.GetChunks(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range chunks {
				recs, _ := c.Parse(0)
				n += int64(len(recs))
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
