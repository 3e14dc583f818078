package yara

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func TestZZProf(t *testing.T) {
	root, _ := filepath.Abs(corpusDir)
	rules := compileCorpus(t, root)
	var inputs [][]byte
	for _, dir := range []string{"tennc-webshell", "benign-mono-xsp", "benign-css-exchange", "benign-jquery-dist"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(p)
				inputs = append(inputs, data)
			}
			return nil
		})
	}
	type st struct {
		pi    int
		d     time.Duration
		runs  int
		text  string
	}
	var stats []st
	for pi, p := range rules.patterns {
		if len(p.res) == 0 {
			continue
		}
		x := st{pi: pi}
		for _, in := range inputs {
			s := newScanner(rules).(*scanner)
			s.data = in
			s.low = make([]byte, len(in))
			lowerBytes(s.low, in)
			s.prefilter()
			if p.hasAtoms && s.state[pi]&stTouched == 0 {
				continue
			}
			start := time.Now()
			for _, v := range p.res {
				v.re.FindAllIndex(in, MaxStringMatches)
			}
			x.d += time.Since(start)
			x.runs++
		}
		x.text = p.res[0].re.String()
		stats = append(stats, x)
	}
	sort.Slice(stats, func(i, j int) bool { return stats[i].d > stats[j].d })
	var tot time.Duration
	for _, x := range stats {
		tot += x.d
	}
	t.Log("total", tot)
	for _, x := range stats[:25] {
		t.Logf("%v runs=%d hasAtoms=%v vars=%d %.150s", x.d, x.runs, rules.patterns[x.pi].hasAtoms, len(rules.patterns[x.pi].res), x.text)
	}
}
