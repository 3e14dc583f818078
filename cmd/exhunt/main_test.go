package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMain points the default result database at a temporary file, so
// in-process hunts never write to the user's data directory.
func TestMain(m *testing.M) {
	// The fleet tests start this test binary as exhunt processes (workers
	// they can kill -9) instead of building the command.
	if args := os.Getenv(subprocessEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, argv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "exhunt-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("EXHUNT_DB", filepath.Join(dir, "test.db"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs exhunt in-process and returns exit code, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBuildCLI(t *testing.T) {
	test := func(name string, args []string, stdin string, exit int, outHas, errHas string) {
		t.Helper()
		code, out, errs := cli(t, stdin, args...)
		if code != exit {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, exit, out, errs)
		}
		if !strings.Contains(out, outHas) {
			t.Errorf("%s: stdout lacks %q:\n%s", name, outHas, out)
		}
		if !strings.Contains(errs, errHas) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, errHas, errs)
		}
	}
	test("exposed", []string{"build", "15.1.2176.2"}, "", 1, "EXPOSED to:      CVE-2021-26855", "")
	test("patched SE", []string{"build", "15.2.2562.46"}, "", 0, "no known CVE", "")
	test("zero padded", []string{"build", "15.01.2176.002"}, "", 1, "CU19", "")
	test("three parts", []string{"build", "15.1.2176"}, "", 1, "CU known, security update unknown", "")
	test("admin display", []string{"build", "Version 15.1 (Build 2176.9)"}, "", 1, "Mar21SU (KB5000871)", "")
	test("bad part", []string{"build", "15.1.x.2"}, "", 2, "", `"x" is not a number`)
	test("empty", []string{"build", ""}, "", 2, "", "empty input")
	test("huge", []string{"build", strings.Repeat("9", 10000)}, "", 2, "", "10000 characters")
	test("negative", []string{"build", "15.1.-2176.2"}, "", 2, "", "not a number")
	test("no args", []string{"build"}, "", 2, "", "requires at least 1 arg")
	test("bad format", []string{"build", "--format", "xml", "15.1.2176.2"}, "", 2, "", "unknown --format")
	test("stdin", []string{"build", "-"}, "# comment\n15.2.2562.46\n\n15.2.2562.17\n", 0, "15.2.2562.17", "")
	test("mixed good and bad", []string{"build", "15.2.2562.46", "junk"}, "", 2, "15.2.2562.46", "junk")
	test("unknown flag", []string{"build", "--nope", "1"}, "", 2, "", "unknown flag")
	test("version", []string{"version"}, "", 0, "build knowledge: embedded (newest release 2026-08-11", "")
	test("help teaches", []string{"build", "--help"}, "", 0, "EXIT STATUS", "")
	test("root help", []string{"--help"}, "", 0, "exhunt build 15.1.2176.2", "")
}

func TestBuildJSON(t *testing.T) {
	code, out, _ := cli(t, "", "build", "--format", "json", "15.1.2176.2", "15.1.2176")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("%d objects", len(got))
	}
	for _, k := range []string{"input", "build", "product", "cu", "update", "release_date", "known", "latest_in_line", "missing_updates", "cves"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("field %q missing from %v", k, got[0])
		}
	}
	if got[0]["release_date"] != "2020-12-15" || got[0]["known"] != true || got[1]["build"] != "15.1.2176" {
		t.Errorf("values: %v / %v", got[0], got[1])
	}
	if cves := got[0]["cves"].([]any); len(cves) < 10 || cves[0] != "CVE-2021-26855" {
		t.Errorf("cves %v", cves)
	}
	code, out, _ = cli(t, "", "build", "--format", "jsonl", "15.2.2562.46", "15.2.2562.17")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("jsonl: exit %d\n%s", code, out)
	}
}

func TestBuildKBFlag(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "builds.csv"), []byte("product,cu,update_name,build,release_date,kb,notes\nExchange Server SE,RTM,RTM,15.2.2562.17,2025-07-01,,\nExchange Server SE,RTM,Bad,15.2.x,2025-07-01,,\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cve-fixes.csv"), []byte("cve,product,cu,fixed_build,update_name,condition,source,notes\n"), 0o644)
	code, _, errs := cli(t, "", "--kb", dir, "build", "15.2.2562.17")
	if code != 2 || !strings.Contains(errs, "builds.csv: line 3") {
		t.Errorf("malformed kb: exit %d, %s", code, errs)
	}
	t.Setenv("EXHUNT_KB", filepath.Join(dir, "missing"))
	code, _, errs = cli(t, "", "build", "15.2.2562.17")
	if code != 2 || !strings.Contains(errs, "missing") {
		t.Errorf("EXHUNT_KB missing dir: exit %d, %s", code, errs)
	}
}
