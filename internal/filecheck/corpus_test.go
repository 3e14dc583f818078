package filecheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
	"github.com/google/go-cmp/cmp"
)

// The shared-corpus suite scores the default pack (recall on the web
// shells, no hit on the benign sets) and checks that user rule folders
// loaded through filecheck give the yara CLI's results of GROUND_TRUTH.md.
// It skips when the corpus is absent.

// gtName maps a filecheck YARA rule id to GROUND_TRUTH's namespace:rule.
func gtName(id string) string {
	ns, rule, _ := strings.Cut(strings.TrimPrefix(id, "yara:"), ":")
	if strings.HasSuffix(ns, ".webshell_detection") {
		return "nsa_" + strings.ReplaceAll(ns, ".", "_") + ":" + rule
	}
	return "sb_" + ns + ":" + rule
}

func TestCorpusDefaultPack(t *testing.T) {
	root := yaratest.CorpusRoot(t)
	c := testChecker(t)
	gt := yaratest.GroundTruth(t, root)
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
	root := yaratest.CorpusRoot(t)
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
	gt := yaratest.GroundTruth(t, root)
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
