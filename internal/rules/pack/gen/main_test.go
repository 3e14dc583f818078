package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate fails when the committed rules differ from what
// the generator makes of the current IOC data (run go generate).
func TestGeneratedUpToDate(t *testing.T) {
	tmp := t.TempDir()
	for _, d := range []string{"iocs", "webserver", "exchange"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	iocs, err := filepath.Glob(filepath.Join("..", "iocs", "*"))
	if err != nil || len(iocs) == 0 {
		t.Fatalf("no IOC files: %v", err)
	}
	for _, f := range iocs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "iocs", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(tmp, io.Discard); err != nil {
		t.Fatal(err)
	}
	gen, _ := filepath.Glob(filepath.Join(tmp, "*", "*.yml"))
	if len(gen) != 9 {
		t.Fatalf("generated %d files, want 9", len(gen))
	}
	for _, g := range gen {
		rel, _ := filepath.Rel(tmp, g)
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("..", rel))
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./internal/rules/pack/gen)", rel, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run go generate ./internal/rules/pack/gen", rel)
		}
	}
}

// TestBadData checks the generator refuses inconsistent data instead of
// writing a half-empty rule.
func TestBadData(t *testing.T) {
	tmp := t.TempDir()
	os.MkdirAll(filepath.Join(tmp, "iocs"), 0o755)
	os.WriteFile(filepath.Join(tmp, "iocs", "attacker-ips.csv"), []byte("address\n1.2.3.4\n"), 0o644)
	if err := run(tmp, io.Discard); err == nil {
		t.Error("run accepted attacker-ips.csv without an ip column")
	}
}
