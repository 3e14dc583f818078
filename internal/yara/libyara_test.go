//go:build yara_cgo && linux && cgo

package yara

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
	"github.com/google/go-cmp/cmp"
)

// TestLibyaraCorpus compares the pure-Go engine with libyara (through
// go-yara) on every file of the shared corpus.
func TestLibyaraCorpus(t *testing.T) {
	root := yaratest.CorpusRoot(t)
	files := corpusRuleFiles(t, root)
	var srcs []Source
	for _, ns := range slices.Sorted(maps.Keys(files)) {
		data, err := os.ReadFile(files[ns])
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, Source{Name: ns, Data: data})
	}
	lib, errs := CompileLibyara(srcs...)
	for _, e := range errs {
		t.Logf("libyara: %v", e)
	}
	ours := compileCorpus(t, root)
	agree, total := 0, 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		vars := corpusVars(p)
		want, err := lib.Scan(data, vars)
		if err != nil {
			return err
		}
		names := func(ms []Match) []string {
			out := []string{}
			for _, m := range ms {
				out = append(out, m.Namespace+":"+m.Rule)
			}
			slices.Sort(out)
			return out
		}
		total++
		if diff := cmp.Diff(names(want), scanNames(t, ours, p, vars)); diff != "" {
			t.Errorf("%s (-libyara +ours):\n%s", p, diff)
			return nil
		}
		agree++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("libyara: %d/%d files agree", agree, total)
}
