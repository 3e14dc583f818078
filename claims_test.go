package exhunt_test

// The README and BENCHMARKS.md state facts about the code and its data;
// this test reads them back from the documents and checks each against its
// source of truth, so a document cannot drift from what it describes.
// Numbers measured by a test are asserted by that test (named beside the
// number in the README); numbers measured by a script come from its kept
// output in bench/.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/scan"
)

// doc reads a document with its white space folded to single spaces, so a
// claim can be matched across the line breaks of the Markdown.
func doc(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(raw)), " ")
}

// claimed returns the numbers of the first match of pattern in text (its
// groups, thin spaces and thousands separators dropped); it fails the test
// when the document no longer says it.
func claimed(t *testing.T, text, pattern string) []int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the document no longer matches %q: update the claim and this test together", pattern)
	}
	var out []int
	for _, g := range m[1:] {
		n, err := strconv.Atoi(strings.NewReplacer(" ", "", ",", "", "\u202f", "").Replace(g))
		if err != nil {
			t.Fatalf("%q: %v", g, err)
		}
		out = append(out, n)
	}
	return out
}

// goMod returns go.mod's go version and its direct requirements (module
// path to version).
func goMod(t *testing.T) (string, map[string]string) {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var goVersion string
	direct := map[string]string{}
	inRequire := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "go "):
			goVersion = strings.TrimPrefix(line, "go ")
		case line == "require (":
			inRequire = true
		case line == ")":
			inRequire = false
		case strings.HasPrefix(line, "require ") || inRequire:
			line = strings.TrimPrefix(line, "require ")
			if strings.Contains(line, "// indirect") {
				continue
			}
			if f := strings.Fields(line); len(f) >= 2 {
				direct[f[0]] = f[1]
			}
		}
	}
	if goVersion == "" || len(direct) == 0 {
		t.Fatalf("go.mod: go %q, %d direct requirements", goVersion, len(direct))
	}
	return goVersion, direct
}

// TestClaimGoVersion: the README names the Go version go.mod requires.
func TestClaimGoVersion(t *testing.T) {
	want, _ := goMod(t)
	m := regexp.MustCompile(`Go (1\.\d+(?:\.\d+)?) or newer`).FindAllStringSubmatch(doc(t, "README.md"), -1)
	if len(m) == 0 {
		t.Fatal(`README no longer says "Go 1.x.y or newer"`)
	}
	for _, g := range m {
		if g[1] != want {
			t.Errorf("README says Go %s or newer, go.mod says go %s", g[1], want)
		}
	}
}

// TestClaimDependencyTable: every direct requirement of go.mod is in the
// README's dependency table (with why), and a version the table names is
// go.mod's.
func TestClaimDependencyTable(t *testing.T) {
	_, direct := goMod(t)
	readme := doc(t, "README.md")
	_, table, ok := strings.Cut(readme, "Dependencies, and why each")
	if !ok {
		t.Fatal("README has no dependency table")
	}
	table, _, _ = strings.Cut(table, "## Development")
	for path, version := range direct {
		name := strings.TrimPrefix(path, "github.com/")
		if !strings.Contains(table, name) {
			t.Errorf("go.mod requires %s %s; the README's dependency table does not name %s", path, version, name)
			continue
		}
		for _, m := range regexp.MustCompile(regexp.QuoteMeta(name)+` (v\d[^\s,;)|]*)`).FindAllStringSubmatch(table, -1) {
			if m[1] != version {
				t.Errorf("README's dependency table says %s %s, go.mod requires %s", name, m[1], version)
			}
		}
	}
}

// TestClaimKnowledgeBase: the sizes the README gives for the embedded
// build knowledge are the embedded data's.
func TestClaimKnowledgeBase(t *testing.T) {
	kb, err := exchange.Default()
	if err != nil {
		t.Fatal(err)
	}
	cves := map[string]bool{}
	for _, f := range kb.Fixes {
		cves[f.CVE] = true
	}
	readme := doc(t, "README.md")
	test := func(pattern string, want ...int) {
		t.Helper()
		got := claimed(t, readme, pattern)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("README %q says %v, the embedded knowledge base %v", pattern, got, want)
				return
			}
		}
	}
	test(`exposed to — (\d+) Exchange CVEs from 2014`, len(cves))
	test("`builds.csv` \\((\\d+) builds", len(kb.Releases))
	test("`cve-fixes.csv` \\((\\d+) rows: the first fixed build per CVE per CU line for (\\d+) CVEs", len(kb.Fixes), len(cves))
	test("`kev.csv` \\(the (\\d+) Exchange entries", len(kb.KEV))
	// 70, 486 and 11 are asserted by internal/exchange
	// TestCrossCheckSecondSource; the builds checked are the two together.
	test(`(\d+) of the (\d+) CVEs have no second source`, 70, len(cves))
	test(`: (\d+) agree, (\d+) differ on purpose`, 486, 11)
	if n := claimed(t, readme, `checks (\d+) fixed builds against a second source .*?: (\d+) agree, (\d+) differ`); n[0] != n[1]+n[2] {
		t.Errorf("README: %d fixed builds checked, but %d agree + %d differ", n[0], n[1], n[2])
	}
}

// TestClaimScanFacts: the recorded hosts and the web-shell census the
// README counts are the embedded ones.
func TestClaimScanFacts(t *testing.T) {
	readme := doc(t, "README.md")
	recs, err := emulator.RecordedHosts()
	if err != nil {
		t.Fatal(err)
	}
	if n := claimed(t, readme, "`internal/emulator/recorded/` holds (\\d+) hosts recorded"); n[0] != len(recs) {
		t.Errorf("README: %d recorded hosts, internal/emulator/recorded holds %d", n[0], len(recs))
	}
	identifiable := 0
	for _, r := range recs {
		if r.Truth.Identifiable {
			identifiable++
		}
	}
	if n := claimed(t, readme, `On the (\d+) recordings a fingerprint can use`); n[0] != identifiable {
		t.Errorf("README: %d identifiable recordings, %d are marked so", n[0], identifiable)
	}
	if n := claimed(t, readme, `a census of the (\d+) web-shell paths`); n[0] != len(scan.ShellPaths) {
		t.Errorf("README: %d web-shell paths, scan.ShellPaths has %d", n[0], len(scan.ShellPaths))
	}
}

// TestClaimCorpusSigma: "all 84 SigmaHQ rules of the shared corpus" is the
// number of rule files in the corpus (internal/rules TestCorpusRulesLoad
// asserts they all load), in the README and BENCHMARKS.md alike.
func TestClaimCorpusSigma(t *testing.T) {
	var files int
	roots, _ := filepath.Glob(filepath.Join("..", "shared", "corpus", "sigma", "rules*"))
	if len(roots) == 0 {
		t.Skip("../shared/corpus not present")
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				files++
			}
			return nil
		})
	}
	readme, bench := doc(t, "README.md"), doc(t, "BENCHMARKS.md")
	for _, c := range []struct{ text, pattern string }{
		{readme, `all (\d+) SigmaHQ rules of the shared corpus load`},
		{readme, `Ours loads all (\d+) corpus SigmaHQ rules`},
		{bench, `plus the (\d+) SigmaHQ rules of the corpus`},
	} {
		if n := claimed(t, c.text, c.pattern); n[0] != files {
			t.Errorf("%q: %d, the corpus has %d rule files", c.pattern, n[0], files)
		}
	}
}
