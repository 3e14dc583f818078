package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// update rewrites the golden files: go test ./cmd/exhunt -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden hunt outputs in testdata/golden")

// realCorpus is the shared corpus of real third-party evidence.
const realCorpus = "../../../shared/corpus/real-exchange-evidence"

// TestHuntGolden keeps the JSON of `exhunt hunt` on the example server, on
// a flattened and renamed copy of it, and on real third-party evidence as
// golden files (as osv-scanner keeps its snapshots): any change to a
// finding, an outcome, a host, the build or what was not examined shows up
// as a diff to review, and -update writes the new output.
func TestHuntGolden(t *testing.T) {
	flat := t.TempDir()
	flattenTree(t, "../../examples/evidence", flat)
	cases := []struct{ name, path string }{
		{"example", "../../examples/evidence"},
		{"example-flattened", flat},
		{"helsecert-assembled", filepath.Join(realCorpus, "helsecert/assembled/EXCH")},
		{"helsecert-raw", filepath.Join(realCorpus, "helsecert/raw")},
		{"proxyshell-lab", filepath.Join(realCorpus, "proxyshell-lab")},
		{"eas", filepath.Join(realCorpus, "eas")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skipf("not available: %v", err)
			}
			code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", c.path)
			if code != 0 && code != 1 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			got := normalizeHunt(t, out, c.path)
			golden := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("hunt output differs from %s (review, then go test ./cmd/exhunt -run Golden -update):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// timeStamp matches the RFC 3339 times a copy's modification time puts in
// a file finding's time_source.
var timeStamp = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)

// normalizeHunt drops what changes from run to run and machine to machine
// (start and end times, the exhunt version, file modification times of a
// checkout or a copy, the evidence path) and indents the rest.
func normalizeHunt(t *testing.T, out, path string) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	mtimes := fileTimes(t, path)
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"started", "finished", "exhunt_version", "rules_version", "mtime"} {
				delete(x, k)
			}
			if ts, ok := x["time_source"].(string); ok {
				x["time_source"] = timeStamp.ReplaceAllString(ts, "<mtime>")
			}
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case string:
			if mtimes[x] {
				return "<mtime>"
			}
			return strings.ReplaceAll(x, path, "<evidence>")
		}
		return v
	}
	b, err := json.MarshalIndent(walk(doc), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// fileTimes returns the modification times of the files under path as
// the results write them (RFC 3339, UTC): a checkout's or a copy's times,
// which differ from machine to machine.
func fileTimes(t *testing.T, path string) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m[info.ModTime().UTC().Format(time.RFC3339Nano)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// flattenTree copies every file of src into dst, without folders and
// renamed NN-evidence<ext>, as a triage tool that flattens names would.
func flattenTree(t *testing.T, src, dst string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, fmt.Sprintf("%02d-evidence%s", n, strings.ToLower(filepath.Ext(p)))), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lineDiff shows the first lines that differ, with a little context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d\n  -%s\n  +%s\n", i+1, a, c)
			shown++
		}
	}
	fmt.Fprintf(&b, "(%d lines golden, %d now)", len(w), len(g))
	return b.String()
}
