package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCommitted regenerates the logs and compares them with the files in
// examples/evidence: a change to the story must come with regenerated
// files (go generate ./examples/gen), and two runs must agree byte for byte.
func TestCommitted(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-out", dir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "evidence", "Windows", "System32", "winevt", "Logs")
	again := logs()
	total := 0
	for i, l := range logs() {
		got, err := os.ReadFile(filepath.Join(dir, l.name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(committed, l.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed file: run go generate ./examples/gen", l.name)
		}
		if !bytes.Equal(l.data, again[i].data) {
			t.Errorf("%s: two runs differ", l.name)
		}
		total += len(got)
	}
	if total > 300_000 {
		t.Errorf("the event logs take %d bytes; keep the example small (under 300 KB)", total)
	}
}

func TestRunArgs(t *testing.T) {
	if err := run([]string{"extra"}, io.Discard); err == nil {
		t.Error("stray argument accepted")
	}
	if err := run([]string{"-nope"}, io.Discard); err == nil {
		t.Error("unknown flag accepted")
	}
}
