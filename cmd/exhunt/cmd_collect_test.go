package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
	"github.com/exhunt/exhunt/internal/finding"
)

func TestCollectCLI(t *testing.T) {
	root := collecttest.SimulatedC(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "exch01.zip")
	test := func(name string, args []string, exit int, outHas, errHas string) (string, string) {
		t.Helper()
		code, stdout, stderr := cli(t, "", args...)
		if code != exit || !strings.Contains(stdout, outHas) || !strings.Contains(stderr, errHas) {
			t.Errorf("%s: exit %d (want %d)\nstdout (want %q): %s\nstderr (want %q): %s", name, code, exit, outHas, stdout, errHas, stderr)
		}
		return stdout, stderr
	}
	test("collect", []string{"collect", "--root", root, "--since", "2021-01-01", "--max-size", "1KiB", "-o", out}, 0, "", "exhunt: wrote "+out+" (35 files")
	side, err := os.ReadFile(out + ".sha256")
	if err != nil || !strings.HasSuffix(string(side), "  exch01.zip\n") {
		t.Fatalf(".sha256: %q %v", side, err)
	}
	test("verify", []string{"collect", "--verify", out}, 0, "OK: every file matches", "")
	test("verify names the host", []string{"collect", "--verify", out}, 0, "36 files", "")
	test("exists", []string{"collect", "--root", root, "-o", out}, 2, "", "already exists")
	test("inside the evidence", []string{"collect", "--root", root, "-o", filepath.Join(root, "Windows", "b.zip")}, 2, "", "the evidence being collected")
	test("bad since", []string{"collect", "--root", root, "--since", "last tuesday", "-o", filepath.Join(dir, "x.zip")}, 2, "", "--since")
	test("bad drive", []string{"collect", "--root", root, "--drive", "D", "-o", filepath.Join(dir, "x.zip")}, 2, "", "LETTER=DIR")
	test("root is a file", []string{"collect", "--root", out, "-o", filepath.Join(dir, "x.zip")}, 2, "", "not a folder")
	test("live off Windows", []string{"collect", "-o", filepath.Join(dir, "x.zip")}, 2, "", "Windows only")
	test("help", []string{"collect", "--help"}, 0, "Not yet: exhunt hunt BUNDLE.zip", "")
	test("help exit status", []string{"collect", "--help"}, 0, "EXIT STATUS", "")
	stdout, stderr := test("dry run", []string{"collect", "--root", root, "--since", "2021-01-01", "--max-size", "1024", "--dry-run"}, 0,
		"copy\tweb\t", "to copy    35 files")
	if !strings.Contains(stdout, `C:\program files\microsoft\Exchange Server\v15\FrontEnd\HttpProxy\owa\auth\RedirSuiteServerProxy.aspx`) ||
		!strings.Contains(stdout, "skip\tiis-log\t") || !strings.Contains(stdout, "missing\tevent-log\t-\t") {
		t.Errorf("dry run list:\n%s", stdout)
	}
	if !strings.Contains(stderr, `C:\Program Files\Microsoft\Exchange Server\V15 (from applicationHost.config)`) {
		t.Errorf("dry run estimate:\n%s", stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "exhunt-*.zip")); len(m) > 0 {
		t.Errorf("--dry-run wrote %v", m)
	}

	// One flipped byte in a stored entry: verify names the file, exits 1.
	data, _ := os.ReadFile(out)
	i := bytes.Index(data, []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00"))
	if i < 0 {
		t.Fatal("stored entry not found")
	}
	data[i+5] = 'X'
	bad := filepath.Join(dir, "bad.zip")
	os.WriteFile(bad, data, 0o644)
	os.WriteFile(bad+".sha256", side, 0o644)
	stdout, _ = test("tampered", []string{"collect", "--verify", bad}, 1, "MISMATCH C/ProgramData/sys.zip", "")
	if !strings.Contains(stdout, "MISMATCH bad.zip: container") || !strings.Contains(stdout, "FAILED: 2 problems") {
		t.Errorf("tampered:\n%s", stdout)
	}
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	test("not a bundle", []string{"collect", "--verify", bad}, 2, "", "not a readable exhunt bundle")
}

// TestCollectDefaultName: without -o the bundle is named after the host and
// the time, in the current folder.
func TestCollectDefaultName(t *testing.T) {
	root := collecttest.SimulatedC(t)
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, stderr := cli(t, "", "collect", "--root", root, "--host", "EXCH 01/x", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "exhunt-EXCH_01_x-*.zip"))
	if len(m) != 1 {
		t.Fatalf("bundles: %v", m)
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m[0]), "exhunt-EXCH_01_x-"), ".zip")
	if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
		t.Errorf("name %s: %v", m[0], err)
	}
	// -q: warnings only; the simulated tree's link is reported, nothing else.
	if strings.Contains(stderr, "wrote") || !strings.Contains(stderr, `hosts-link: not followed`) {
		t.Errorf("quiet stderr:\n%s", stderr)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2021, 3, 31, 12, 0, 0, 0, time.UTC)
	test := func(in string, want time.Time, ok bool) {
		t.Helper()
		got, err := parseSince(in, now)
		if ok != (err == nil) || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	test("", time.Time{}, true)
	test("2021-01-01", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), true)
	test("2021-03-02T10:00:00+01:00", time.Date(2021, 3, 2, 9, 0, 0, 0, time.UTC), true)
	test("30d", time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC), true)
	test("-3d", time.Time{}, false)
	test("yesterday", time.Time{}, false)
}

// TestCollectBundleHuntsLikeTree: the bundle's layout is one `exhunt hunt`
// already reads. Collected from examples/evidence, it yields the same
// findings (rule, place, line, outcome, severity) and verdict as the tree
// itself. Times are not compared: a zip keeps one-second file times, and
// hunting with the manifest's timestamps is not built yet.
func TestCollectBundleHuntsLikeTree(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ex.zip")
	if code, _, errs := cli(t, "", "collect", "-q", "--root", "../../examples/evidence", "--host", "EXCH01", "-o", out); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, errs)
	}
	hunt := func(path, strip string) (string, []string) {
		t.Helper()
		code, stdout, errs := cli(t, "", "hunt", "--no-store", "--format", "json", path)
		if code != 1 {
			t.Fatalf("hunt %s: exit %d: %s", path, code, errs)
		}
		var r finding.HostResult
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, f := range r.Findings {
			keys = append(keys, fmt.Sprintf("%s|%s|%d|%s|%s", f.Rule, strings.TrimPrefix(f.Source, strip), f.Line, f.Outcome, f.Severity))
		}
		slices.Sort(keys)
		return string(r.Verdict), keys
	}
	treeVerdict, tree := hunt("../../examples/evidence", "")
	bundleVerdict, bundle := hunt(out, "C/")
	if treeVerdict != bundleVerdict || !slices.Equal(tree, bundle) || len(tree) < 50 {
		t.Errorf("verdict %s vs %s; %d findings from the tree, %d from the bundle; only in the tree: %q; only in the bundle: %q",
			treeVerdict, bundleVerdict, len(tree), len(bundle), diff(tree, bundle), diff(bundle, tree))
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
