package yara

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
	"github.com/google/go-cmp/cmp"
)

// The shared-corpus suite compares our verdicts with the reference YARA
// results in corpus/GROUND_TRUTH.md and, when the yara CLI is installed,
// with a live "yara" run. It skips when the corpus is absent.

// corpusRuleFiles returns the rule files GROUND_TRUTH.md was made with and
// their namespaces (sb_<file>, nsa_<file>).
func corpusRuleFiles(t testing.TB, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	sb, err := filepath.Glob(filepath.Join(root, "signature-base/yara/*.yar"))
	if err != nil || len(sb) == 0 {
		t.Fatalf("no signature-base rules: %v", err)
	}
	for _, f := range sb {
		files["sb_"+strings.TrimSuffix(filepath.Base(f), ".yar")] = f
	}
	for _, n := range []string{"core", "extended"} {
		files["nsa_"+n+"_webshell_detection"] = filepath.Join(root, "nsacyber-mitigating-web-shells", n+".webshell_detection.yara")
	}
	return files
}

func compileCorpus(t testing.TB, root string) *Rules {
	t.Helper()
	files := corpusRuleFiles(t, root)
	var srcs []Source
	for _, ns := range slices.Sorted(maps.Keys(files)) {
		data, err := os.ReadFile(files[ns])
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, Source{Name: ns, Data: data})
	}
	start := time.Now()
	rules, errs := Compile(srcs...)
	t.Logf("compiled %d rules from %d files in %v; %d not compilable:", rules.Len(), len(srcs), time.Since(start), len(errs))
	for _, e := range errs {
		t.Logf("  %v", e)
	}
	return rules
}

// corpusVars are the externals GROUND_TRUTH.md was produced with.
func corpusVars(rel string) Vars {
	return Vars{
		Filename:  filepath.Base(rel),
		Filepath:  `C:\corpus\` + strings.ReplaceAll(rel, "/", `\`),
		Extension: filepath.Ext(rel),
	}
}

func scanNames(t *testing.T, rules *Rules, path string, vars Vars) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := rules.Scan(data, vars)
	if err != nil {
		t.Errorf("scan %s: %v", path, err)
	}
	names := []string{}
	for _, m := range ms {
		names = append(names, m.Namespace+":"+m.Rule)
	}
	slices.Sort(names)
	return names
}

// TestCorpusConcurrentScan scans the corpus from several goroutines at
// once (run with -race) and expects the sequential verdicts.
func TestCorpusConcurrentScan(t *testing.T) {
	root := yaratest.CorpusRoot(t)
	rules := compileCorpus(t, root)
	truth := yaratest.GroundTruth(t, root)
	files := slices.Sorted(maps.Keys(truth))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(files); i += 4 {
				rel := files[i]
				data, err := os.ReadFile(filepath.Join(root, rel))
				if err != nil {
					t.Error(err)
					return
				}
				ms, err := rules.Scan(data, corpusVars(rel))
				if err != nil {
					t.Error(err)
				}
				got := []string{}
				for _, m := range ms {
					got = append(got, m.Namespace+":"+m.Rule)
				}
				slices.Sort(got)
				if !slices.Equal(got, truth[rel]) {
					t.Errorf("%s: concurrent scan %v, want %v", rel, got, truth[rel])
				}
			}
		})
	}
	wg.Wait()
}

func TestCorpusGroundTruth(t *testing.T) {
	root := yaratest.CorpusRoot(t)
	rules := compileCorpus(t, root)
	truth := yaratest.GroundTruth(t, root)
	// Every rule the ground truth reports must have compiled.
	compiled := map[string]bool{}
	for _, n := range rules.RuleNames() {
		compiled[n] = true
	}
	for _, hits := range truth {
		for _, h := range hits {
			if !compiled[h] {
				t.Errorf("rule %s of the ground truth did not compile", h)
			}
		}
	}
	agree := 0
	for _, rel := range slices.Sorted(maps.Keys(truth)) {
		got := scanNames(t, rules, filepath.Join(root, rel), corpusVars(rel))
		if diff := cmp.Diff(truth[rel], got); diff != "" {
			t.Errorf("%s: verdict differs from GROUND_TRUTH.md (-want +got):\n%s", rel, diff)
			continue
		}
		agree++
	}
	t.Logf("ground truth: %d/%d files agree", agree, len(truth))
}

// TestCorpusYaraCLI compares every file of the corpus (not only those
// listed in GROUND_TRUTH.md) with a live run of the yara CLI.
func TestCorpusYaraCLI(t *testing.T) {
	root := yaratest.CorpusRoot(t)
	yaraBin, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara CLI not installed")
	}
	if testing.Short() {
		t.Skip("slow: runs the yara CLI")
	}
	rules := compileCorpus(t, root)
	files := corpusRuleFiles(t, root)
	args := []string{"-w", "-e", "-r", "-p", "2", "-d", "filename=x", "-d", "filepath=x", "-d", "extension=x", "-d", "filetype=x", "-d", "owner=x"}
	for _, ns := range slices.Sorted(maps.Keys(files)) {
		args = append(args, ns+":"+files[ns])
	}
	vars := Vars{Filename: "x", Filepath: "x", Extension: "x", Filetype: "x"}
	// The whole corpus, rule files and logs included: more inputs with
	// partial matches than the ground truth table covers.
	targets := []string{root}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	want := map[string][]string{}
	for _, target := range targets {
		c := exec.CommandContext(ctx, yaraBin, append(slices.Clone(args), target)...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("yara %s: %v\n%s", target, err, stderr.String())
		}
		for _, line := range strings.Split(string(out), "\n") {
			rule, file, ok := strings.Cut(line, " ")
			if ok {
				want[file] = append(want[file], rule)
			}
		}
	}
	agree, total := 0, 0
	for _, target := range targets {
		err := filepath.WalkDir(target, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			total++
			w := want[p]
			if w == nil {
				w = []string{}
			}
			slices.Sort(w)
			got := scanNames(t, rules, p, vars)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("%s: verdict differs from yara CLI (-yara +ours):\n%s", p, diff)
				return nil
			}
			agree++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("yara CLI: %d/%d files agree", agree, total)
}
