package hunt

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/collect"
	"github.com/exhunt/exhunt/internal/collect/collecttest"
	"github.com/exhunt/exhunt/internal/finding"
)

// collectBundle collects collecttest's simulated C:\ (EXCH01, with a
// China Chopper page in aspnet_client and an IIS log of the request to it)
// into a bundle, from a stand-in live system or as a copied tree.
func collectBundle(t *testing.T, live bool, opt collect.Options) string {
	t.Helper()
	root := collecttest.SimulatedC(t)
	src, err := collect.RootSource(root, nil, "EXCH01")
	if err != nil {
		t.Fatal(err)
	}
	src.Live = live
	p, err := collect.NewPlan(context.Background(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, err := p.Write(context.Background(), filepath.Join(t.TempDir(), "b.zip"), collect.WriteOptions{Collector: collect.Collector{Name: "exhunt", Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return b.Path
}

// rezip copies a bundle entry by entry through edit (nil data drops the
// entry), then adds the extra entries.
func rezip(t *testing.T, in string, edit func(name string, data []byte) []byte, extra map[string]string) string {
	t.Helper()
	zr, err := zip.OpenReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := filepath.Join(t.TempDir(), "edited.zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	put := func(h zip.FileHeader, data []byte) {
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if data = edit(zf.Name, data); data != nil {
			put(zip.FileHeader{Name: zf.Name, Method: zip.Deflate, Modified: zf.Modified}, data)
		}
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		put(zip.FileHeader{Name: n, Method: zip.Deflate}, []byte(extra[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func unexaminedReasons(r finding.HostResult) map[string]string {
	m := map[string]string{}
	for _, u := range r.NotExamined {
		m[u.Path] = u.Reason
	}
	return m
}

func hasWarning(r finding.HostResult, parts ...string) bool {
	return slices.ContainsFunc(r.Warnings, func(w string) bool {
		for _, p := range parts {
			if !strings.Contains(w, p) {
				return false
			}
		}
		return true
	})
}

const shellPath = `C:\inetpub\wwwroot\aspnet_client\system_web\errorcheck.aspx`

// TestBundleHunt: a bundle of a live collection is hunted with the
// manifest's host, times and paths; the collector's own files are not
// hunted; what it could not read is not examined; what was left out by
// choice is said once.
func TestBundleHunt(t *testing.T) {
	out := collectBundle(t, true, collect.Options{Since: collecttest.Recent.AddDate(0, -1, 0), MaxSize: collecttest.MaxSize})
	r := hunt1(t, out, testOptions(t))
	if len(r) != 1 {
		t.Fatalf("%d hosts", len(r))
	}
	res := r[0]
	if res.Host != "EXCH01" || res.Verdict != finding.Compromised {
		t.Errorf("host %q verdict %s", res.Host, res.Verdict)
	}
	var shell *finding.Finding
	for i, f := range res.Findings {
		if f.Rule == "test-file" {
			shell = &res.Findings[i]
		}
		if strings.HasPrefix(f.Source, "C/") {
			t.Errorf("finding names the bundle path: %s %s", f.Rule, f.Source)
		}
	}
	if shell == nil || shell.Source != shellPath || !shell.Time.Equal(collecttest.Recent) ||
		shell.Details["bundle_path"] != "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx" ||
		shell.Details["changed"] == "" || !strings.Contains(shell.Details["time_source"], "on the server, as exhunt collect found it") {
		t.Fatalf("web shell finding: %+v", shell)
	}
	for _, e := range res.Evidence {
		if !strings.HasPrefix(e.Path, `C:\`) || strings.Contains(e.Path, "manifest.json") || strings.Contains(e.Path, "collection.log") {
			t.Errorf("evidence entry %s", e.Path)
		}
	}
	un := unexaminedReasons(res)
	if r := un[`C:\Windows\Temp\hosts-link`]; !strings.HasPrefix(r, "not collected: not followed") {
		t.Errorf("link: %q (not examined: %v)", r, un)
	}
	// Over --max-size: a hunt of the tree would have checked its head.
	if r := un[`C:\Windows\Temp\huge.bin`]; r != "not collected: larger than --max-size (1024 bytes); the file is 2048 bytes" {
		t.Errorf("huge.bin: %q", r)
	}
	for p := range un {
		if strings.Contains(p, "manifest.json") || strings.Contains(p, "collection.log") || strings.Contains(p, "u_ex191231") || strings.Contains(p, `Search\Data`) {
			t.Errorf("not examined lists %s: %v", p, un)
		}
	}
	// The two 2019 logs (--since) and the search index (a default
	// exclusion): left out by choice, said once.
	if !hasWarning(res, "the bundle leaves out 3 files or folders by choice") || !hasWarning(res, "hunted an exhunt bundle of EXCH01", "live mode") {
		t.Errorf("warnings: %q", res.Warnings)
	}
	if hasWarning(res, "changed after collection") || strings.Contains(res.VerdictReason, "differ from") {
		t.Errorf("an intact bundle reported changed: %q %s", res.Warnings, res.VerdictReason)
	}
}

// TestBundleChanged: a bundle changed after collection is still hunted,
// and says so: a file whose bytes differ from the manifest (in the
// warnings and the verdict reason), an entry added, an entry removed. An
// unsafe entry is listed once, not once per walk.
func TestBundleChanged(t *testing.T) {
	out := collectBundle(t, false, collect.Options{})
	edited := rezip(t, out, func(name string, data []byte) []byte {
		switch name {
		case "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx":
			return append(data, " "...)
		case "C/root/lsass.dmp":
			return nil
		}
		return data
	}, map[string]string{"C/inetpub/wwwroot/aspnet_client/added.aspx": "<%eval(1)%>", "../evil.aspx": "x"})
	res := hunt1(t, edited, testOptions(t))[0]
	if !hasWarning(res, shellPath+": SHA-256", "but manifest.json says", "changed after collection") ||
		!strings.Contains(res.VerdictReason, "1 of the") || !strings.Contains(res.VerdictReason, "differ from the bundle's manifest.json") {
		t.Errorf("changed file: warnings %q, reason %s", res.Warnings, res.VerdictReason)
	}
	if !hasWarning(res, "C/inetpub/wwwroot/aspnet_client/added.aspx: in the bundle but not in manifest.json") {
		t.Errorf("added entry: %q", res.Warnings)
	}
	un := unexaminedReasons(res)
	if un[`C:\root\lsass.dmp`] != "listed in manifest.json but not in the bundle" {
		t.Errorf("removed entry: %v", un)
	}
	n := 0
	for _, u := range res.NotExamined {
		if u.Path == "../evil.aspx" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("unsafe entry listed %d times: %v", n, res.NotExamined)
	}
	// The added page is hunted (it is in the evidence) under its bundle path.
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool {
		return f.Rule == "test-file" && f.Source == "C/inetpub/wwwroot/aspnet_client/added.aspx"
	}) {
		t.Errorf("added page not hunted: %+v", res.Findings)
	}
}

// TestBundleManifestBuild: the ExSetup.exe version the collector recorded
// is a build signal from manifest.json, judged like any other. No real
// Exchange binary can be shipped here, so the version in the manifest is
// written by the test: a real Exchange 2016 build (CU19 with the March
// 2021 update) is chosen with high reliability; the version of the real PE
// file that collect tests use (1.1.0.14) is listed and ignored.
func TestBundleManifestBuild(t *testing.T) {
	out := collectBundle(t, false, collect.Options{})
	withVersion := func(v string) finding.HostResult {
		edited := rezip(t, out, func(name string, data []byte) []byte {
			if name == collect.ManifestName {
				return bytes.Replace(data, []byte(`"found_from"`), []byte(`"exsetup_version": "`+v+`", "found_from"`), 1)
			}
			return data
		}, nil)
		return hunt1(t, edited, builtinOptions(t))[0]
	}
	find := func(r finding.HostResult) *finding.BuildSource {
		for i, s := range r.BuildSources {
			if s.File == collect.ManifestName {
				return &r.BuildSources[i]
			}
		}
		return nil
	}
	r := withVersion("15.1.2176.9")
	if s := find(r); r.Build != "15.1.2176.9" || s == nil || s.Source != "file version of ExSetup.exe, read by exhunt collect" || s.Reliability != "high" {
		t.Errorf("build %q, manifest signal %+v (all: %+v)", r.Build, s, r.BuildSources)
	}
	r = withVersion("1.1.0.14")
	if s := find(r); r.Build == "1.1.0.14" || s == nil || s.Reliability != "ignored" {
		t.Errorf("build %q, manifest signal %+v", r.Build, s)
	}
}

// TestBundleBadManifest: a zip whose manifest.json cannot be read is
// hunted as a zip of a copied tree (bundle paths, the zip's name), with a
// warning.
func TestBundleBadManifest(t *testing.T) {
	out := collectBundle(t, false, collect.Options{})
	edited := rezip(t, out, func(name string, data []byte) []byte {
		if name == collect.ManifestName {
			return []byte(`{"format": "exhunt-bundle/9"}`)
		}
		return data
	}, nil)
	res := hunt1(t, edited, testOptions(t))[0]
	if res.Host != "edited" || !hasWarning(res, "manifest.json is not a readable exhunt bundle manifest", "want \"exhunt-bundle/1\"", "hunted as a zip of a copied tree") {
		t.Errorf("host %q, warnings %q", res.Host, res.Warnings)
	}
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool {
		return f.Rule == "test-file" && f.Source == "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx"
	}) {
		t.Errorf("findings: %+v", res.Findings)
	}
}

// TestLinkCreatorsDriveFolder: a process whose command line names the
// file (procdump ... C:\root\lsass.dmp) is tied to the file found under a
// drive folder of the evidence (C/root/lsass.dmp: a bundle, a KAPE copy)
// as to the same file in a copy of C:\ itself; another folder is not.
func TestLinkCreatorsDriveFolder(t *testing.T) {
	for _, src := range []string{"C/root/lsass.dmp", "root/lsass.dmp"} {
		h := &hostHunt{findings: []finding.Finding{
			{Kind: finding.KindEvent, Source: "Security.evtx", Line: 7, Title: "procdump", Details: map[string]string{"command_line": `procdump64.exe -accepteula -ma lsass.exe C:\root\lsass.dmp`, "process": "procdump64.exe"}},
			{Kind: finding.KindEvent, Source: "Security.evtx", Line: 8, Title: "near miss", Details: map[string]string{"command_line": `procdump64.exe -ma lsass.exe C:\temp\lsass.dmp`}},
			{Kind: finding.KindFile, Source: src},
		}}
		h.anchorFileTimes()
		if rel := h.findings[2].Related; len(rel) != 1 || rel[0].Line != 7 || !strings.HasPrefix(rel[0].Note, "named in the command line of") {
			t.Errorf("%s: related %+v", src, rel)
		}
	}
}

// TestBundleLogCannotHide: a manifest that names a web shell as its
// collection log does not keep the hunt from reading it: only the root
// manifest.json and collection.log are the collector's.
func TestBundleLogCannotHide(t *testing.T) {
	out := collectBundle(t, false, collect.Options{})
	edited := rezip(t, out, func(name string, data []byte) []byte {
		if name == collect.ManifestName {
			d := bytes.Replace(data, []byte(`"path": "collection.log"`), []byte(`"path": "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx"`), 1)
			if bytes.Equal(d, data) {
				t.Fatal("log entry not found in the manifest")
			}
			return d
		}
		return data
	}, nil)
	res := hunt1(t, edited, testOptions(t))[0]
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.Rule == "test-file" && f.Source == shellPath }) {
		t.Errorf("web shell hidden by the manifest: %+v", res.Findings)
	}
}
