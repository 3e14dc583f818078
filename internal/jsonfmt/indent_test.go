package jsonfmt

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// bound is the most Indent may write for n input bytes: one line per byte
// (newline, prefix, at most n indents) plus the byte and ": ".
func bound(n int, prefix, indent string) int {
	return n * (1 + len(prefix) + n*len(indent) + 2)
}

// same reports whether Indent and json.Indent agree on src.
func same(t *testing.T, src []byte, prefix, indent string) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, src, prefix, indent); err != nil {
		t.Fatalf("json.Indent(%q): %v", src, err)
	}
	got := Indent(nil, src, prefix, indent)
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("Indent(%q)\n got %q\nwant %q", src, got, want.Bytes())
	}
}

func TestIndentMatchesStandardLibrary(t *testing.T) {
	type inner struct {
		A []int           `json:"a"`
		M map[string]any  `json:"m"`
		E []string        `json:"e"`
		O struct{}        `json:"o"`
		T time.Time       `json:"t"`
		S string          `json:"s"`
		R json.RawMessage `json:"r"`
	}
	values := []any{
		nil, true, 0, -1.5e-7, "", "x", []int{}, map[string]int{},
		[]any{1, "two", nil, false, []any{}, map[string]any{}},
		inner{A: []int{1, 2}, M: map[string]any{"k": []any{map[string]any{}}, "q\"\\}": "]{,:"},
			E: []string{`a"b`, `c\`, "\\\"", "\u2028<script>"}, T: time.Unix(1, 5).UTC(),
			S: `{"not":"json"}`, R: json.RawMessage(`{"x":[1,{"y":null}]}`)},
	}
	for _, v := range values {
		src, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		same(t, src, "", "  ")
		same(t, src, ">", "\t")
	}
}

func TestIndentInvalidInputIsBounded(t *testing.T) {
	for _, src := range []string{`"unterminated`, `"\`, `]]]}}`, `{`, `[,:,]`, "\x00\xff"} {
		out := Indent(nil, []byte(src), "", " ")
		if len(out) > bound(len(src), "", " ") {
			t.Errorf("Indent(%q) wrote %d bytes", src, len(out))
		}
	}
}

// FuzzIndent: on anything json.Marshal could have written (valid JSON,
// compacted), Indent equals json.Indent; on anything else, no panic.
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c\"d"}],"e":{}}`, `[]`, `"x"`, `[{"":[[]]}]`, `{"k":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if out := Indent(nil, src, "", "  "); len(out) > bound(len(src), "", "  ") {
			t.Fatalf("Indent wrote %d bytes for %d", len(out), len(src))
		}
		var v any
		if json.Unmarshal(src, &v) != nil {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, src); err != nil {
			return
		}
		var want bytes.Buffer
		json.Indent(&want, compact.Bytes(), "", "  ")
		if got := Indent(nil, compact.Bytes(), "", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Indent(%q)\n got %q\nwant %q", compact.Bytes(), got, want.Bytes())
		}
	})
}

func BenchmarkIndent(b *testing.B) {
	type finding struct {
		Rule, Title, Source, Evidence string
		CVEs                          []string
		Details                       map[string]string
	}
	fs := make([]finding, 5000)
	for i := range fs {
		fs[i] = finding{"yara:x:y", "A web shell", "inetpub/wwwroot/aspnet_client/x.aspx", `$s1@12 "<%@ Page Language=\"Jscript\"%>"`,
			[]string{"CVE-2021-26855"}, map[string]string{"file_sha256": "00ff"}}
	}
	src, _ := json.Marshal(fs)
	b.SetBytes(int64(len(src)))
	b.Run("jsonfmt", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = Indent(dst[:0], src, "", "  ")
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var dst bytes.Buffer
		for b.Loop() {
			dst.Reset()
			json.Indent(&dst, src, "", "  ")
		}
	})
}
