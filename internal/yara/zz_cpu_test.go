package yara

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	root, _ := filepath.Abs(corpusDir)
	rules := compileCorpus(&testing.T{}, root)
	var inputs [][]byte
	var size int
	for _, dir := range []string{"tennc-webshell", "benign-mono-xsp", "benign-css-exchange", "benign-jquery-dist"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(p)
				inputs = append(inputs, data)
				size += len(data)
			}
			return nil
		})
	}
	for _, in := range inputs {
		rules.Scan(in, Vars{})
	}
	c0 := cpuTime()
	n := 5
	for range n {
		for _, in := range inputs {
			rules.Scan(in, Vars{})
		}
	}
	c := cpuTime() - c0
	t.Logf("CPU %.1f MB/s per core (%v per pass)", float64(size*n)/c.Seconds()/1e6, c/time.Duration(n))
}
