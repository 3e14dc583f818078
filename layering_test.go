package exhunt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is this module's path, the prefix of every package in layers.
const module = "github.com/exhunt/exhunt"

// layers is exhunt's package layering, the table doc.go and the README's
// "Design" section draw. A package may import packages of its own row and
// of the rows above it, never one below: evidence is read into records,
// rules turn records into findings, the hunt and the scan judge them, the
// store keeps them, report and web show them, and the commands drive it
// all. A path stands for itself and the packages under it (store covers
// store/result, eventlog covers eventlog/evtxtest). Only the packages'
// own imports count, not their tests': a test may reach up to check what
// it feeds (schema's drift test runs scan and finding).
var layers = []struct {
	name string
	pkgs []string
}{
	{"leaf utilities, knowledge", []string{"internal/safetext", "internal/jsonfmt", "internal/datadir", "internal/schema", "internal/fetch", "internal/exchange", "internal/kbfeed"}},
	{"evidence", []string{"internal/evidence"}},
	{"records", []string{"internal/logline", "internal/iislog", "internal/exlog", "internal/eventlog", "internal/peversion", "internal/mailhdr", "internal/collect"}},
	{"findings", []string{"internal/finding"}},
	{"rules", []string{"internal/rules", "internal/yara", "internal/ruleset", "internal/filecheck"}},
	{"hunt and scan", []string{"internal/hunt", "internal/scan", "internal/emulator"}},
	{"store", []string{"internal/store"}},
	{"report and jobs", []string{"internal/report", "internal/queue"}},
	{"web", []string{"internal/web"}},
	{"commands", []string{"cmd/exhunt", "bench", "examples"}},
}

// layerOf returns the row of the module package p (path relative to the
// module), or -1 if no row names it.
func layerOf(p string) int {
	for i, l := range layers {
		for _, q := range l.pkgs {
			if p == q || strings.HasPrefix(p, q+"/") {
				return i
			}
		}
	}
	return -1
}

// listed is the part of `go list -json` output the check reads.
type listed struct {
	ImportPath string
	Imports    []string
}

// violations returns one line for each import of a later row of the table,
// and for each package of the module the table does not place.
func violations(pkgs []listed) []string {
	var out []string
	for _, p := range pkgs {
		from, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue // the standard library and other modules
		}
		lf := layerOf(from)
		if lf < 0 {
			out = append(out, fmt.Sprintf("%s is in no layer: add it to the table in layering_test.go, doc.go and the README", from))
			continue
		}
		for _, imp := range p.Imports {
			to, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if lt := layerOf(to); lt > lf {
				out = append(out, fmt.Sprintf("%s (layer %q) imports %s (layer %q), which comes later in the data flow", from, layers[lf].name, to, layers[lt].name))
			}
		}
	}
	return out
}

// TestLayering checks every package's imports against layers, for the
// Linux and the Windows build (live collection is Windows-only code).
func TestLayering(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for _, goos := range []string{"linux", "windows"} {
		cmd := exec.CommandContext(t.Context(), goBin, "list", "-deps", "-json", "./...")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, stderr.Bytes())
		}
		var pkgs []listed
		for dec := json.NewDecoder(bytes.NewReader(out)); ; {
			var p listed
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("GOOS=%s go list output: %v", goos, err)
			}
			pkgs = append(pkgs, p)
		}
		if !slices.ContainsFunc(pkgs, func(p listed) bool { return p.ImportPath == module+"/internal/hunt" }) {
			t.Fatalf("GOOS=%s go list did not list internal/hunt: not run from the module root?", goos)
		}
		for _, v := range violations(pkgs) {
			t.Errorf("GOOS=%s: %s", goos, v)
		}
	}
}

// TestLayeringCatches plants the imports the layering forbids, and some
// it allows, and checks that violations tells them apart.
func TestLayeringCatches(t *testing.T) {
	test := func(from, to string, bad bool) {
		t.Helper()
		got := violations([]listed{{ImportPath: module + "/" + from, Imports: []string{"fmt", module + "/" + to}}})
		if bad && len(got) != 1 || !bad && len(got) != 0 {
			t.Errorf("%s imports %s: violations %q, want bad=%v", from, to, got, bad)
		}
	}
	test("internal/iislog", "internal/rules", true)     // a parser reaching up to rules
	test("internal/eventlog", "internal/finding", true) // a parser building findings
	test("internal/exlog", "internal/store", true)
	test("internal/mailhdr", "internal/web", true)
	test("internal/filecheck", "internal/hunt", true) // issue 19: hunt.FileInfo
	test("internal/rules", "internal/report", true)
	test("internal/report", "internal/web", true)
	test("internal/store/result", "internal/report", true) // a sub-package takes its parent's row
	test("internal/exchange", "internal/evidence", true)   // a leaf stays a leaf
	test("internal/nosuch", "internal/finding", true)      // an unplaced package

	test("internal/iislog", "internal/logline", false) // same row
	test("internal/rules", "internal/finding", false)
	test("internal/filecheck", "internal/evidence", false)
	test("internal/hunt", "internal/rules", false)
	test("internal/web", "internal/report", false)
	test("internal/web", "internal/store/result", false)
	test("cmd/exhunt", "internal/web", false)
	test("internal/eventlog/evtxtest", "internal/eventlog", false)
	test("cmd/other", "internal/finding", true) // a second command must be placed
}

// TestLayeringDocumented checks that doc.go and the README's "Design"
// section draw the table of layers, row for row: number, name and
// packages ("store/result" may stand beside "store", notes in
// parentheses and "/*" are ignored).
func TestLayeringDocumented(t *testing.T) {
	for _, doc := range []struct {
		file string
		row  *regexp.Regexp
	}{
		{"doc.go", regexp.MustCompile(`^//\t(\d+) (.+?)  +(.+)$`)},
		{"README.md", regexp.MustCompile(`^\s*\| (\d+) ([^|]+?) \| (.+) \|$`)},
	} {
		data, err := os.ReadFile(doc.file)
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for line := range strings.Lines(string(data)) {
			if m := doc.row.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
				rows = append(rows, m[1:])
			}
		}
		if len(rows) != len(layers) {
			t.Errorf("%s: %d rows of layers, want %d", doc.file, len(rows), len(layers))
			continue
		}
		for i, r := range rows {
			l := layers[i]
			if r[0] != strconv.Itoa(i+1) || r[1] != l.name {
				t.Errorf("%s: row %q %q, want %d %q", doc.file, r[0], r[1], i+1, l.name)
			}
			var got []string
			for _, tok := range strings.Split(regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(r[2], ""), ",") {
				tok = strings.TrimSuffix(strings.Trim(strings.TrimSpace(tok), "`"), "/*")
				if !strings.HasPrefix(tok, "cmd/") && tok != "bench" && tok != "examples" {
					tok = "internal/" + tok
				}
				if layerOf(tok) != i {
					t.Errorf("%s: layer %d lists %s, which the table places elsewhere", doc.file, i+1, tok)
				}
				got = append(got, tok)
			}
			for _, p := range l.pkgs {
				if !slices.Contains(got, p) {
					t.Errorf("%s: layer %d does not list %s", doc.file, i+1, p)
				}
			}
		}
	}
}
