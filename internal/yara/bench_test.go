package yara

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
)

// BenchmarkCorpusScan scans the corpus web shells and benign pages (224
// files, 3.7 MB) with the 22 corpus rule files; it skips without the
// shared corpus. bench/files.sh measures the same against the yara CLI.
func BenchmarkCorpusScan(b *testing.B) {
	root, err := filepath.Abs(yaratest.CorpusDir)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		b.Skip("shared corpus not available")
	}
	rules := compileCorpus(b, root)
	var inputs [][]byte
	var size int64
	for _, dir := range []string{"tennc-webshell", "benign-mono-xsp", "benign-css-exchange", "benign-jquery-dist"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, err := os.ReadFile(p)
				if err == nil {
					inputs = append(inputs, data)
					size += int64(len(data))
				}
			}
			return nil
		})
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, in := range inputs {
			if _, err := rules.Scan(in, Vars{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
