package result

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzReadResults feeds untrusted result files (exhunt import, the upload
// API) to the decoder: it must never panic, and every document it accepts
// must decode again from its canonical form to the same canonical form.
func FuzzReadResults(f *testing.F) {
	for _, p := range []string{"testdata/fleet.jsonl", "testdata/scan.jsonl"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if i := bytes.IndexByte(data, '\n'); i > 0 {
			f.Add(append(append([]byte("["), data[:i]...), ']'))
		}
	}
	f.Add([]byte(`{"host":"EX01","findings":[{"rule":"r","severity":"high","time":"2021-03-03T02:11:05Z"}]}`))
	f.Add([]byte(`{"type":"summary"}` + "\n" + `{"target":"x","port":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		_ = ReadResults(bytes.NewReader(data), func(d Doc) error {
			d2, ok, err := Classify(d.Raw)
			if err != nil || !ok {
				t.Fatalf("canonical form %s does not classify again: ok=%v err=%v", d.Raw, ok, err)
			}
			if d2.Kind != d.Kind || !bytes.Equal(d2.Raw, d.Raw) {
				t.Fatalf("canonical form not stable:\n%s\n%s", d.Raw, d2.Raw)
			}
			if !json.Valid(d.Raw) {
				t.Fatalf("invalid canonical JSON %s", d.Raw)
			}
			return nil
		})
	})
}
