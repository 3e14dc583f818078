package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/collect"
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
	test("help", []string{"collect", "--help"}, 0, "exhunt hunt --live collects and\nhunts in one step", "")
	if _, stdout, _ := cli(t, "", "collect", "--help"); strings.Contains(stdout, "hunt --live,") || !strings.Contains(stdout, "Not yet: reading files locked") {
		t.Errorf("collect help still lists done work as not yet:\n%s", stdout)
	}
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
	if !strings.Contains(stderr, "  build      unknown: ExSetup.exe's file version could not be read: peversion: not a PE file") {
		t.Errorf("dry run estimate, stub ExSetup.exe:\n%s", stderr)
	}
	if _, _, stderr := cli(t, "", "collect", "--root", simulatedServer(t), "--dry-run"); !strings.Contains(stderr, "  build      1.1.0.14 (ExSetup.exe file version;") {
		t.Errorf("dry run estimate, real PE as ExSetup.exe:\n%s", stderr)
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

// simulatedServer is a simulated C:\ of a compromised Exchange server:
// examples/evidence (the documented example server EXCH01) with every file
// given its own modification time inside the incident, to the nanosecond,
// as NTFS keeps them (100 ns) and a zip does not (one second), and the
// real PE file of internal/peversion/testdata as ExSetup.exe (file version
// 1.1.0.14: not an Exchange build, so the build signal it gives is listed
// and ignored; no real Exchange binary can be shipped in this repository).
func simulatedServer(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../../examples/evidence")); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"README.md", "EXPECTED.md"} {
		os.Remove(filepath.Join(root, doc))
	}
	exe, err := os.ReadFile("../../internal/peversion/testdata/distlib-w32.exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "Program Files/Microsoft/Exchange Server/V15/Bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "ExSetup.exe"), exe, 0o644); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2021, 3, 3, 2, 0, 0, 123456789, time.UTC)
	i := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		i++
		at := base.Add(time.Duration(i)*7*time.Minute + time.Duration(i)*1111111)
		return os.Chtimes(p, at, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// huntJSON hunts path with the built-in rules and returns its one result.
func huntJSON(t *testing.T, args ...string) finding.HostResult {
	t.Helper()
	code, stdout, errs := cli(t, "", append([]string{"hunt", "--no-store", "--format", "json"}, args...)...)
	if code != 1 {
		t.Fatalf("hunt %q: exit %d: %s", args, code, errs)
	}
	var r finding.HostResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("hunt %q: %v\n%s", args, err, stdout)
	}
	return r
}

// treePath turns a path of the server (C:\inetpub\x) into the path of a
// copy of its C:\ (inetpub/x).
func treePath(p string) string {
	if len(p) > 3 && p[1] == ':' && p[2] == '\\' {
		return strings.ReplaceAll(p[3:], `\`, "/")
	}
	return p
}

// resultKeys are the findings (rule, place, line, time to the nanosecond,
// outcome, severity, evidence and the places and times of the evidence
// joined to them), the files read (path, SHA-256, modification time) and
// the build signals of a result, with the server's paths made tree paths.
func resultKeys(r finding.HostResult) (findings, files, builds []string) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for _, f := range r.Findings {
		k := fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s", f.Rule, treePath(f.Source), f.Line, ts(f.Time), f.Outcome, f.Severity, f.Evidence)
		for _, rel := range f.Related {
			k += fmt.Sprintf("|%s:%d@%s", treePath(rel.Source), rel.Line, ts(rel.Time))
		}
		findings = append(findings, k)
	}
	for _, e := range r.Evidence {
		files = append(files, fmt.Sprintf("%s|%s|%d|%s", treePath(e.Path), e.SHA256, e.Size, ts(e.MTime)))
	}
	for _, b := range r.BuildSources {
		builds = append(builds, fmt.Sprintf("%s|%s|%s|%s", b.Build, b.Source, treePath(b.File), b.Reliability))
	}
	slices.Sort(findings)
	slices.Sort(files)
	slices.Sort(builds)
	return
}

// TestCollectBundleHuntsLikeTree (issue 18, point 3): collect → verify →
// hunt on a simulated C:\ gives the same verdict, host, build and
// findings — rule, place, line, time to the nanosecond, outcome, severity,
// evidence, joined records — and reads the same files with the same
// hashes and times as hunting the tree itself. The bundle's findings name
// the server's paths, their times come from manifest.json (the zip holds
// one-second times: without the manifest the file findings' times differ),
// and ExSetup.exe's version recorded by the collector is one more build
// signal.
func TestCollectBundleHuntsLikeTree(t *testing.T) {
	root := simulatedServer(t)
	out := filepath.Join(t.TempDir(), "ex.zip")
	if code, _, errs := cli(t, "", "collect", "-q", "--root", root, "--host", "EXCH01", "-o", out); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, errs)
	}
	if code, stdout, _ := cli(t, "", "collect", "--verify", out); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stdout)
	}
	tree := huntJSON(t, root)
	bundle := huntJSON(t, out)

	if tree.Verdict != bundle.Verdict || tree.Host != bundle.Host || tree.Build != bundle.Build || bundle.Host != "EXCH01" {
		t.Errorf("verdict %s vs %s, host %s vs %s, build %q vs %q", tree.Verdict, bundle.Verdict, tree.Host, bundle.Host, tree.Build, bundle.Build)
	}
	tf, tfiles, tbuilds := resultKeys(tree)
	bf, bfiles, bbuilds := resultKeys(bundle)
	if !slices.Equal(tf, bf) || len(tf) < 50 {
		t.Errorf("%d findings from the tree, %d from the bundle; only in the tree: %q; only in the bundle: %q", len(tf), len(bf), diff(tf, bf), diff(bf, tf))
	}
	if !slices.Equal(tfiles, bfiles) || len(tfiles) < 15 {
		t.Errorf("files read: only in the tree: %q; only in the bundle: %q", diff(tfiles, bfiles), diff(bfiles, tfiles))
	}
	// The bundle adds the version the collector read, from manifest.json.
	manifestSignal := "1.1.0.14|file version of ExSetup.exe, read by exhunt collect|manifest.json|ignored"
	if !slices.Contains(tbuilds, "1.1.0.14|file version of ExSetup.exe|Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe|ignored") ||
		!slices.Equal(slices.DeleteFunc(slices.Clone(bbuilds), func(s string) bool { return s == manifestSignal }), tbuilds) || !slices.Contains(bbuilds, manifestSignal) {
		t.Errorf("build signals: tree %q, bundle %q", tbuilds, bbuilds)
	}

	// File findings (the web shell twice, the LSASS dump, the staged
	// archive) have their own times, inside the incident, kept to the
	// nanosecond, named by the server's path, with the time's source; a
	// copied tree's creation and change times are the copy's: left out.
	fileTimes := 0
	for _, f := range bundle.Findings {
		if f.Kind != finding.KindFile {
			continue
		}
		fileTimes++
		if f.Time.Nanosecond() == 0 || !strings.HasPrefix(f.Source, `C:\`) || f.Details["bundle_path"] == "" ||
			!strings.Contains(f.Details["time_source"], "in the copied tree exhunt collect read (manifest.json)") || f.Details["changed"] != "" {
			t.Errorf("file finding %s %s at %s: %v", f.Rule, f.Source, f.Time, f.Details)
		}
	}
	if fileTimes < 4 {
		t.Errorf("%d file findings", fileTimes)
	}
	for _, w := range bundle.Warnings {
		if strings.Contains(w, "changed after collection") || strings.Contains(w, "not in manifest.json") {
			t.Errorf("bundle warning on an intact bundle: %s", w)
		}
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

// standInLive puts a stand-in live Windows system in place of
// collect.Live for the test: drive C: is root, the EventLog service holds
// no file open (no exporter needed), the process is elevated.
func standInLive(t *testing.T, root string) {
	t.Helper()
	saved := liveSource
	liveSource = func(context.Context) (collect.Source, error) {
		return collect.Source{Live: true, Drives: map[string]string{"C": root}, Host: "EXCH01", Elevated: true}, nil
	}
	t.Cleanup(func() { liveSource = saved })
}

// TestHuntLive (issue 18, point 3): exhunt hunt --live on a stand-in live
// server whose temp folder lies in the collected tree, as %TEMP% does on
// Windows. The bundle goes to a new folder of its own there, which the
// collection leaves out (listed as skipped); it verifies; hunting it gives
// the findings, files read and build of hunting the tree itself; stderr
// says where it is kept.
func TestHuntLive(t *testing.T) {
	root := simulatedServer(t)
	temp := filepath.Join(root, "Users/Administrator/AppData/Local/Temp")
	if err := os.MkdirAll(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	tree := huntJSON(t, root) // before the bundle lies in the tree
	standInLive(t, root)
	t.Setenv("TMPDIR", temp)

	code, stdout, stderr := cli(t, "", "hunt", "--live", "--no-store", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var live finding.HostResult
	if err := json.Unmarshal([]byte(stdout), &live); err != nil {
		t.Fatal(err)
	}
	bundles, _ := filepath.Glob(filepath.Join(temp, "exhunt-live-*", "exhunt-EXCH01-*.zip"))
	if len(bundles) != 1 {
		t.Fatalf("bundles in the temp folder: %v\n%s", bundles, stderr)
	}
	b := bundles[0]
	if !strings.Contains(stderr, "exhunt: the bundle is kept at "+b+" (SHA-256 ") || !strings.Contains(stderr, "move it to a safe place off the server") {
		t.Errorf("stderr does not say where the bundle is:\n%s", stderr)
	}
	rep, err := collect.Verify(t.Context(), b)
	if err != nil || !rep.OK() || rep.Manifest.Mode != "live" || rep.Manifest.Exchange.ExSetupVersion != "1.1.0.14" {
		t.Fatalf("bundle: %v %+v", err, rep)
	}
	own := `C:\Users\Administrator\AppData\Local\Temp\` + filepath.Base(filepath.Dir(b))
	if !slices.ContainsFunc(rep.Manifest.Skipped, func(s collect.Skipped) bool { return s.OriginalPath == own && s.ByChoice() }) {
		t.Errorf("%s not listed as skipped: %+v", own, rep.Manifest.Skipped)
	}
	for _, e := range rep.Manifest.Files {
		if strings.Contains(e.Path, "exhunt-live-") {
			t.Errorf("the bundle collected its own folder: %s", e.Path)
		}
	}

	if live.Verdict != tree.Verdict || live.Host != tree.Host || live.Build != tree.Build {
		t.Errorf("verdict %s vs %s, host %s vs %s, build %q vs %q", tree.Verdict, live.Verdict, tree.Host, live.Host, tree.Build, live.Build)
	}
	tf, tfiles, _ := resultKeys(tree)
	lf, lfiles, _ := resultKeys(live)
	if !slices.Equal(tf, lf) || !slices.Equal(tfiles, lfiles) {
		t.Errorf("findings only in the tree: %q; only live: %q; files only in the tree: %q; only live: %q", diff(tf, lf), diff(lf, tf), diff(tfiles, lfiles), diff(lfiles, tfiles))
	}
	// A live collection's file findings carry the server's creation and
	// change times too.
	for _, f := range live.Findings {
		if f.Kind == finding.KindFile && (f.Details["changed"] == "" || !strings.Contains(f.Details["time_source"], "on the server")) {
			t.Errorf("%s %s: %v", f.Rule, f.Source, f.Details)
		}
	}
}

// TestHuntLiveRefusals: what hunt --live refuses, with exit 2, before
// collecting anything.
func TestHuntLiveRefusals(t *testing.T) {
	root := simulatedServer(t)
	test := func(name string, args []string, errHas string) {
		t.Helper()
		code, _, stderr := cli(t, "", args...)
		if code != 2 || !strings.Contains(stderr, errHas) {
			t.Errorf("%s: exit %d, stderr %q, want 2 and %q", name, code, stderr, errHas)
		}
	}
	if runtime.GOOS != "windows" {
		test("off Windows", []string{"hunt", "--live", "--no-store"}, "hunt --live collects the server it runs on: it runs on Windows only")
	}
	test("a path too", []string{"hunt", "--live", root}, "give no PATH with it")
	test("--bundle alone", []string{"hunt", "--bundle", "x.zip", root}, "--bundle is for --live")
	test("queued", []string{"hunt", "--live", "--queue", "postgres://127.0.0.1/test"}, "--live hunts this server here and now: it cannot be queued")
	test("no path", []string{"hunt"}, "requires at least 1 PATH (or --live on the Exchange server)")
	standInLive(t, root)
	test("bad format first", []string{"hunt", "--live", "--format", "xml"}, "unknown --format")
	test("bundle in a collected folder", []string{"hunt", "--live", "--bundle", filepath.Join(root, "ProgramData", "b.zip")}, `is inside C:\ProgramData, which is being collected`)
	if m, _ := filepath.Glob(filepath.Join(root, "ProgramData", "b.zip*")); len(m) > 0 {
		t.Errorf("refused bundle written: %v", m)
	}
	out := filepath.Join(t.TempDir(), "EXCH01.zip")
	if code, _, stderr := cli(t, "", "hunt", "--live", "-q", "--no-store", "--bundle", out); code != 1 || !strings.Contains(stderr, "the bundle is kept at "+out) {
		t.Errorf("--bundle %s: exit %d\n%s", out, code, stderr)
	}
}

// TestCollectNothing: a --root with nothing to collect exited 0 with a
// 0-file bundle. It is bad input now: exit 2, a message that says where
// exhunt looked, and nothing left in the output folder.
func TestCollectNothing(t *testing.T) {
	empty := t.TempDir()
	other := t.TempDir()
	os.MkdirAll(filepath.Join(other, "Users", "bob", "Documents"), 0o755)
	os.WriteFile(filepath.Join(other, "Users", "bob", "Documents", "notes.txt"), []byte("x"), 0o644)
	for _, root := range []string{empty, other} {
		dir := t.TempDir()
		code, out, errs := cli(t, "", "collect", "--root", root, "-o", filepath.Join(dir, "b.zip"))
		if code != 2 || out != "" || !strings.Contains(errs, "exhunt: collect: nothing collected from "+root+` (as C:\)`) ||
			!strings.Contains(errs, `exhunt:   iis-log: C:\Windows\System32\LogFiles\HTTPERR, C:\inetpub\logs\LogFiles\W3SVC*`) ||
			!strings.Contains(errs, "no bundle written") {
			t.Errorf("collect --root %s: exit %d\nstdout: %s\nstderr: %s", root, code, out, errs)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("collect --root %s left %v in the output folder", root, left)
		}
	}

	// hunt --live on a (stand-in) server with nothing to collect: exit 2,
	// no hunt of an empty bundle, and its folder in the temp folder gone.
	live := t.TempDir()
	temp := filepath.Join(live, "Users", "Administrator", "AppData", "Local", "Temp")
	os.MkdirAll(temp, 0o755)
	standInLive(t, live)
	t.Setenv("TMPDIR", temp)
	code, out, errs := cli(t, "", "hunt", "--live", "--no-store")
	if code != 2 || out != "" || !strings.Contains(errs, "exhunt: collect: nothing collected from the live system") {
		t.Errorf("hunt --live with nothing to collect: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if left, _ := os.ReadDir(temp); len(left) > 0 {
		t.Errorf("hunt --live left %v in the temp folder", left)
	}
}
