package filecheck

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The shared-corpus suite scores the default pack (recall on the web
// shells, no hit on the benign sets) and checks that user rule folders
// loaded through filecheck give the yara CLI's results of GROUND_TRUTH.md.
// It skips when the corpus is absent.

const corpusDir = "../../../shared/corpus"

func corpusRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "GROUND_TRUTH.md")); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	return root
}

// groundTruth reads the per-file YARA table: corpus path → sorted
// "namespace:rule" hits (empty when the CLI found nothing).
func groundTruth(t *testing.T, root string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "GROUND_TRUTH.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	inTable := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "| file (relative to corpus/)"):
			inTable = true
			continue
		case inTable && !strings.HasPrefix(line, "|"):
			inTable = false
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		hits := []string{}
		if h := strings.TrimSpace(cells[2]); h != "-" {
			hits = strings.Fields(h)
		}
		slices.Sort(hits)
		out[strings.TrimSpace(cells[1])] = hits
	}
	if len(out) < 200 {
		t.Fatalf("GROUND_TRUTH.md: only %d rows parsed", len(out))
	}
	return out
}

// gtName maps a filecheck YARA rule id to GROUND_TRUTH's namespace:rule.
func gtName(id string) string {
	ns, rule, _ := strings.Cut(strings.TrimPrefix(id, "yara:"), ":")
	if strings.HasSuffix(ns, ".webshell_detection") {
		return "nsa_" + strings.ReplaceAll(ns, ".", "_") + ":" + rule
	}
	return "sb_" + ns + ":" + rule
}

func TestCorpusDefaultPack(t *testing.T) {
	root := corpusRoot(t)
	c := testChecker(t)
	gt := groundTruth(t, root)
	shells, flagged := 0, 0
	for p := range gt {
		benign := strings.HasPrefix(p, "benign-")
		shell := strings.HasPrefix(p, "tennc-webshell/")
		if !benign && !shell {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		fs := detect(t, c, p, data)
		if benign && len(fs) > 0 {
			t.Errorf("benign %s flagged: %v", p, ruleIDs(fs))
		}
		if shell {
			shells++
			if len(fs) > 0 {
				flagged++
			}
		}
	}
	// The default pack targets the 2021 Exchange shells, not every ASPX
	// shell: the China Chopper one-liner must be caught, the rest is
	// signature-base's job (--yara).
	fs := detect(t, c, "tennc-webshell/caidao-shell/ice.aspx", mustRead(t, filepath.Join(root, "tennc-webshell/caidao-shell/ice.aspx")))
	if !slices.Contains(ruleIDs(fs), "yara:webshells:China_Chopper_ASPX") {
		t.Errorf("ice.aspx: %v, want China_Chopper_ASPX", ruleIDs(fs))
	}
	t.Logf("default pack: %d of %d corpus web shells flagged, 0 benign files expected flagged", flagged, shells)
}

func TestCorpusUserRulesMatchYaraCLI(t *testing.T) {
	root := corpusRoot(t)
	if testing.Short() {
		t.Skip("compiles signature-base")
	}
	c, lerrs, err := New(Options{NoDefault: true, YARADirs: []string{
		filepath.Join(root, "signature-base/yara"),
		filepath.Join(root, "nsacyber-mitigating-web-shells"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rules loaded, %d not usable", c.RuleCount(), len(lerrs))
	for _, e := range lerrs {
		t.Logf("  skipped: %v", e)
	}
	gt := groundTruth(t, root)
	checked := 0
	for p, want := range gt {
		if len(want) == 0 || !strings.HasPrefix(p, "tennc-webshell/") {
			continue
		}
		checked++
		got := []string{}
		for _, f := range detect(t, c, p, mustRead(t, filepath.Join(root, p))) {
			if strings.HasPrefix(f.Rule, "yara:") {
				got = append(got, gtName(f.Rule))
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: rules differ from the yara CLI (-cli +exhunt):\n%s", p, diff)
		}
	}
	if checked < 60 {
		t.Errorf("only %d flagged web shells in GROUND_TRUTH.md", checked)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
