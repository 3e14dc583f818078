package ruleset

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
)

// zipOf builds a zip archive in memory from name → content, in order.
func zipOf(t testing.TB, entries [][2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipTree archives the corpus folders dirs (relative to base) under top/,
// as GitHub's source and release archives are laid out.
func zipTree(t testing.TB, base, top string, dirs ...string) []byte {
	t.Helper()
	var entries [][2]string
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(base, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(base, p)
			entries = append(entries, [2]string{top + "/" + filepath.ToSlash(rel), string(b)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return zipOf(t, entries)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// corpusArchives builds the two real archives of the tests from the shared
// corpus: signature-base's YARA rules with its IOC files and licence, and
// a slice of SigmaHQ (process-creation rules, the 2021 emerging-threat
// rules, threat-hunting rules that must be left out, and the licence).
func corpusArchives(t testing.TB) (sb, sigma []byte) {
	root := yaratest.CorpusRoot(t)
	sb = zipTree(t, filepath.Join(root, "signature-base"), "Neo23x0-signature-base-8a89b3b", "yara", "iocs", "LICENSE")
	sigma = zipTree(t, filepath.Join(root, "sigmahq"), "sigma", "rules/windows/process_creation", "rules-emerging-threats/2021", "rules-threat-hunting/windows/process_creation", "LICENSE")
	return sb, sigma
}

// fakeGitHub serves releases the way api.github.com and its download
// redirects do, on a loopback address.
type fakeGitHub struct {
	*httptest.Server
	files map[string][]byte // path → body
	json  map[string]any    // path → release JSON
	delay map[string]time.Duration
	hits  map[string]int
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{files: map[string][]byte{}, json: map[string]any{}, delay: map[string]time.Duration{}, hits: map[string]int{}}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.hits[r.URL.Path]++
		if d := g.delay[r.URL.Path]; d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if to, ok := strings.CutPrefix(r.URL.Path, "/redirect/"); ok {
			http.Redirect(w, r, "/"+to, http.StatusFound)
			return
		}
		if j, ok := g.json[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			json.NewEncoder(w).Encode(j)
			return
		}
		if b, ok := g.files[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/zip")
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

// release publishes a release at /repos/<repo>/releases/latest whose
// asset name (or source archive, when name is "") is served at assetPath.
func (g *fakeGitHub) release(repo, tag, name, assetPath, digest string) string {
	rel := map[string]any{"tag_name": tag, "published_at": "2026-11-30T10:00:00Z", "zipball_url": g.URL + "/zipball/" + repo}
	if name != "" {
		rel["assets"] = []map[string]any{{"name": name, "browser_download_url": g.URL + assetPath, "size": 1, "digest": digest}}
	} else {
		rel["zipball_url"] = g.URL + assetPath
	}
	p := "/repos/" + repo + "/releases/latest"
	g.json[p] = rel
	return g.URL + p
}

func srcAt(name, u string) Source {
	s, _ := Lookup(name)
	s.URL = u
	return s
}

func TestUpdateFromRelease(t *testing.T) {
	sb, sigma := corpusArchives(t)
	g := newFakeGitHub(t)
	dir := t.TempDir()
	opt := Options{Dir: dir, Timeout: 20 * time.Second}

	// signature-base: the release's source archive (no digest published).
	g.files["/zipball/sb"] = sb
	in, err := Update(t.Context(), srcAt("signature-base", g.release("Neo23x0/signature-base", "v2.1", "", "/zipball/sb", "")), opt)
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != "v2.1" || in.Checksum != CheckNone || in.SHA256 != sha(sb) || in.Files != 20 || in.Rules < 800 ||
		!in.Published.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("signature-base: %+v", in)
	}
	// Only the yara folder is installed: no IOC list, no licence.
	files, _ := ruleFiles(filepath.Join(RulesDir(dir), "signature-base"), []string{".yar", ".txt", ""})
	if len(files) != 20 || !slices.Contains(files, "gen_webshells.yar") {
		t.Errorf("installed files %v", files)
	}

	// sigma: a release asset with its published digest, served through a
	// redirect as GitHub serves downloads.
	g.files["/objects/sigma_all_rules.zip"] = sigma
	in, err = Update(t.Context(), srcAt("sigma", g.release("SigmaHQ/sigma", "r2026-11-30", "sigma_all_rules.zip", "/redirect/objects/sigma_all_rules.zip", "sha256:"+sha(sigma))), opt)
	if err != nil {
		t.Fatal(err)
	}
	if in.Checksum != CheckPublished || in.Rules < 1000 || in.Files != in.Rules+len(in.Unusable) || g.hits["/objects/sigma_all_rules.zip"] != 1 {
		t.Errorf("sigma: %+v (hits %v)", in, g.hits)
	}
	err = filepath.WalkDir(filepath.Join(RulesDir(dir), "sigma"), func(p string, d fs.DirEntry, err error) error {
		if strings.Contains(p, "threat-hunting") {
			t.Errorf("threat-hunting rule installed: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	list, err := List(dir)
	if err != nil || len(list) != 2 || list[0].Name != "sigma" || list[1].Name != "signature-base" || list[0].Version != "r2026-11-30" {
		t.Fatalf("List: %+v, %v", list, err)
	}
	for _, e := range list {
		if e.Installed.IsZero() || e.Path != filepath.Join(RulesDir(dir), e.Name) {
			t.Errorf("list entry %+v", e)
		}
	}
}

// TestUpdateRefusals: every bad download leaves the installed set as it
// was, and says why.
func TestUpdateRefusals(t *testing.T) {
	sb, _ := corpusArchives(t)
	g := newFakeGitHub(t)
	dir := t.TempDir()
	opt := Options{Dir: dir, Timeout: 20 * time.Second}
	g.files["/zipball/good"] = sb
	good, err := Update(t.Context(), srcAt("signature-base", g.release("good/sb", "v1", "", "/zipball/good", "")), opt)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), sb[:len(sb)/2]...)
	slip := zipOf(t, [][2]string{{"sb/yara/ok.yar", "rule ok { condition: true }"}, {"sb/yara/../../../evil.yar", "rule evil { condition: true }"}})
	abs := zipOf(t, [][2]string{{"/tmp/evil.yar", "rule evil { condition: true }"}})
	empty := zipOf(t, [][2]string{{"sb/yara/broken.yar", "rule broken { condition: pe.is_dll() }"}})
	g.files["/dl/corrupt.zip"] = corrupt
	g.files["/dl/sb.zip"] = sb
	g.files["/dl/slip.zip"] = slip
	g.files["/dl/abs.zip"] = abs
	g.files["/dl/empty.zip"] = empty
	g.files["/dl/slow.zip"] = sb
	g.delay["/dl/slow.zip"] = 5 * time.Second

	for _, tc := range []struct {
		name    string
		src     Source
		opt     Options
		want    error
		message string
	}{
		{"corrupt archive", srcAt("signature-base", g.release("c/sb", "v2", "sb.zip", "/dl/corrupt.zip", "sha256:"+sha(corrupt))), opt, ErrArchive, "not a zip archive"},
		{"wrong published checksum", srcAt("signature-base", g.release("w/sb", "v2", "sb.zip", "/dl/sb.zip", "sha256:"+strings.Repeat("0", 64))), opt, ErrChecksum, "the release publishes 0000"},
		{"wrong --sha256", srcAt("signature-base", g.URL+"/dl/sb.zip"), Options{Dir: dir, SHA256: strings.Repeat("ab", 32)}, ErrChecksum, "--sha256 gave abab"},
		{"zip slip", srcAt("signature-base", g.URL+"/dl/slip.zip"), opt, ErrArchive, "leaves the archive folder"},
		{"absolute entry", srcAt("signature-base", g.URL+"/dl/abs.zip"), opt, ErrArchive, "absolute path"},
		{"no usable rule", srcAt("signature-base", g.URL+"/dl/empty.zip"), opt, ErrNoRules, "1 rules not usable"},
		{"missing release", srcAt("signature-base", g.URL+"/repos/none/releases/latest"), opt, ErrDownload, "404"},
		{"plain http elsewhere", srcAt("signature-base", "http://192.0.2.1/x.zip"), opt, ErrDownload, "loopback addresses only"},
		{"slow server", srcAt("signature-base", g.URL+"/dl/slow.zip"), Options{Dir: dir, Timeout: 300 * time.Millisecond}, ErrDownload, "Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Update(t.Context(), tc.src, tc.opt)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.message)
			}
			if d := time.Since(start); d > 4*time.Second { // the slow server answers after 5 s
				t.Errorf("took %v", d)
			}
			list, err := List(dir)
			if err != nil || len(list) != 1 || list[0].SHA256 != good.SHA256 {
				t.Errorf("installed set changed: %+v, %v", list, err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil.yar")); err == nil {
				t.Error("zip slip wrote outside the data directory")
			}
			leftovers, _ := filepath.Glob(filepath.Join(RulesDir(dir), ".*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
	// A redirect to plain http elsewhere is refused before it is followed.
	g.files["/dl/away"] = nil
	away := httptest.NewServer(http.RedirectHandler("http://192.0.2.1/rules.zip", http.StatusFound))
	defer away.Close()
	if _, err := Update(t.Context(), srcAt("signature-base", away.URL+"/x"), opt); !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "loopback addresses only") {
		t.Errorf("redirect to plain http elsewhere: %v", err)
	}
}

func TestInstallFile(t *testing.T) {
	sb, sigma := corpusArchives(t)
	dir := t.TempDir()
	for name, b := range map[string][]byte{"sb.zip": sb, "sigma.zip": sigma} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := DetectSource(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"sb.zip": "signature-base", "sigma.zip": "sigma"}[name]; src.Name != want {
			t.Errorf("%s detected as %s, want %s", name, src.Name, want)
		}
		in, err := InstallFile(src, p, Options{Dir: dir, SHA256: sha(b)})
		if err != nil || in.Checksum != CheckUser || in.Version != "local file" || in.Rules == 0 {
			t.Errorf("%s: %+v, %v", name, in, err)
		}
	}
	if _, err := InstallFile(srcAt("signature-base", ""), filepath.Join(dir, "sb.zip"), Options{Dir: dir, SHA256: strings.Repeat("0", 64)}); !errors.Is(err, ErrChecksum) {
		t.Errorf("--from with a wrong --sha256: %v", err)
	}
	notZip := filepath.Join(dir, "notes.txt")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	if _, err := DetectSource(notZip); !errors.Is(err, ErrArchive) {
		t.Errorf("DetectSource(text): %v", err)
	}
	list, _ := List(dir)
	if len(list) != 2 {
		t.Errorf("List: %+v", list)
	}
}

func TestSafeName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a/b.yar": true, "a/b/": true, "..a/b.yar": true,
		"../b.yar": false, "a/../../b.yar": false, "/etc/x": false, "C:/x.yar": false, `a\..\b.yar`: false, "a\x00b": false, "": false, "a/..": false,
	} {
		if err := safeName(name); (err == nil) != ok {
			t.Errorf("safeName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestAllowedURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.github.com/x": true, "http://127.0.0.1:8080/x": true, "http://[::1]/x": true, "http://localhost/x": true,
		"http://github.com/x": false, "ftp://example.org/x": false, "file:///etc/passwd": false,
	} {
		u, _ := url.Parse(raw)
		if err := allowedURL(u); (err == nil) != ok {
			t.Errorf("allowedURL(%s) = %v", raw, err)
		}
	}
}

func TestParseSHA256(t *testing.T) {
	h := strings.Repeat("aB", 32)
	if got, err := ParseSHA256("sha256:" + h); err != nil || got != strings.ToLower(h) {
		t.Errorf("ParseSHA256: %q, %v", got, err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("a", 63)} {
		if _, err := ParseSHA256(bad); err == nil {
			t.Errorf("ParseSHA256(%q) accepted", bad)
		}
	}
}

// ExampleProblem shows how an unusable rule is reported.
func ExampleProblem() {
	fmt.Println(Problem{File: "gen_x.yar", Line: 12, Rule: "Needs_PE", Reason: `module "pe" is not supported`})
	// Output: gen_x.yar:12: rule Needs_PE: module "pe" is not supported
}
