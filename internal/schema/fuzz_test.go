package schema

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzValidate feeds arbitrary JSON to both schemas: no panic, a
// document that fails names at least one violation with a pointer, and
// the verdict is the same for the document re-encoded.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`{"host":"EX01","verdict":"compromised","coverage":[{"source":"iis","files":1,"records":2,"malformed":0}],"findings":[{"rule":"r","title":"t","severity":"high","cves":[],"attack":[],"outcome":"unknown","source":"s","evidence":"e","time":"2021-03-03T09:30:12Z","details":{"a":"b"},"related":[{"source":"s","note":"n"}]}]}`,
		`{"host":"EX01","verdict":"pwned","findings":[{"severity":"severe","line":-1.5}]}`,
		`{"target":"a:443","ip":"","port":443,"exchange":true,"build":"","build_methods":null,"product":"","cu":"","update":"","cves":null,"missing_updates":null,"active":[],"webshells":[{"path":"/","status":200,"evidence":"","http_status":200}],"tls":null,"exposed":false,"webshelled":false,"error":""}`,
		`[1, 2.5, 1e400, -0, "x", null, true, {"a":[[[[]]]]}]`,
		`{"a/b~c":{"~":[]}}`,
		`1e-400`,
	} {
		f.Add([]byte(seed))
	}
	hunt, err := HuntV1()
	if err != nil {
		f.Fatal(err)
	}
	scan, err := ScanV1()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if decode(data, &v) != nil {
			return
		}
		for _, s := range []*Schema{hunt, scan} {
			err := s.Validate(v)
			var se *Error
			if err != nil && (!errors.As(err, &se) || len(se.Violations) == 0 || err.Error() == "") {
				t.Fatalf("%s: bad error %#v", s.Name(), err)
			}
			re, merr := json.Marshal(v)
			if merr != nil {
				t.Fatal(merr)
			}
			if err2 := s.ValidateJSON(re); (err == nil) != (err2 == nil) {
				t.Fatalf("%s: %v before re-encoding, %v after", s.Name(), err, err2)
			}
		}
	})
}
