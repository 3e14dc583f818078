package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rulesDir is a folder with one usable Sigma rule and one the engine
// cannot use.
func rulesDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.yml"), []byte(`title: test rule
id: 5d0b4c2e-0000-4000-8000-000000000001
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
`), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: broken\ndetection: {condition: nothere}\n"), 0o600)
	return dir
}

// TestQuietRulesLines: -q drops the "rules loaded" counts and keeps the
// rules that cannot be used (warnings).
func TestQuietRulesLines(t *testing.T) {
	dir := rulesDir(t)
	_, _, loud := cli(t, "", "hunt", "--no-store", "--rules", dir, "../../examples/evidence")
	if !strings.Contains(loud, "1 rules loaded, 1 not usable") {
		t.Fatalf("without -q: no count line:\n%s", loud)
	}
	_, _, quiet := cli(t, "", "-q", "hunt", "--no-store", "--rules", dir, "../../examples/evidence")
	if strings.Contains(quiet, "loaded") {
		t.Errorf("-q prints a loaded line:\n%s", quiet)
	}
	if !strings.Contains(quiet, "1 rules not usable") || !strings.Contains(quiet, "skipped:") {
		t.Errorf("-q hides the unusable rule:\n%s", quiet)
	}
}

// TestSigmaAliasOfRules: --sigma is --rules under another name: the same
// folder loads the same way, and only --rules is in the help.
func TestSigmaAliasOfRules(t *testing.T) {
	dir := rulesDir(t)
	codeR, outR, errR := cli(t, "", "hunt", "--no-store", "--format", "json", "--rules", dir, "../../examples/evidence")
	codeS, outS, errS := cli(t, "", "hunt", "--no-store", "--format", "json", "--sigma", dir, "../../examples/evidence")
	if codeR != codeS || !strings.Contains(errS, "1 rules loaded, 1 not usable") {
		t.Errorf("--sigma: exit %d (--rules %d), stderr:\n%s", codeS, codeR, errS)
	}
	redact := regexp.MustCompile(`"(started|finished|duration_ms|elapsed_ms|seconds)":[^,\n]*`)
	if redact.ReplaceAllString(outR, "") != redact.ReplaceAllString(outS, "") {
		t.Errorf("--sigma and --rules give different results\n--rules stderr: %s\n--sigma stderr: %s", errR, errS)
	}
	_, help, _ := cli(t, "", "hunt", "--help")
	if strings.Contains(help, "--sigma stringArray") || !strings.Contains(help, "--rules stringArray") || !strings.Contains(help, "--sigma is an alias") {
		t.Errorf("help should list --rules and name --sigma as its alias only")
	}
}

// TestMaxFileSizeUnits: the default shows with its unit, and units are
// accepted (and a bad one refused, exit 2).
func TestMaxFileSizeUnits(t *testing.T) {
	_, help, _ := cli(t, "", "hunt", "--help")
	if !strings.Contains(help, "(default 64MiB)") || strings.Contains(help, "67108864)") && !strings.Contains(help, "or 67108864)") {
		t.Errorf("--max-file-size default not shown as 64MiB")
	}
	for _, c := range []struct{ in, want string }{{"64MiB", "64MiB"}, {"67108864", "64MiB"}, {"1GiB", "1GiB"}, {"1000", "1000"}, {"3KiB", "3KiB"}} {
		var s sizeFlag
		if err := s.Set(c.in); err != nil || s.String() != c.want {
			t.Errorf("Set(%q): String() = %q, %v; want %q", c.in, s.String(), err, c.want)
		}
	}
	code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", "--max-file-size", "1KiB", "../../examples/evidence")
	if code == 2 || !strings.Contains(out, "max-file-size") {
		t.Errorf("--max-file-size 1KiB: exit %d, no file over the bound listed: %s", code, errs)
	}
	if code, _, errs := cli(t, "", "hunt", "--no-store", "--max-file-size", "12XB", "../../examples/evidence"); code != 2 || !strings.Contains(errs, "bad size") {
		t.Errorf("--max-file-size 12XB: exit %d, %s", code, errs)
	}
}

// TestBuildNoDataNotes: exhunt build on an SE build speaks to the user,
// not about how the knowledge base was compiled.
func TestBuildNoDataNotes(t *testing.T) {
	code, out, _ := cli(t, "", "build", "15.2.2562.17")
	if code != 1 || !strings.Contains(out, "CVE-2025-53786") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, internal := range []string{"HealthChecker", "Apr25HU key", "code-fixed"} {
		if strings.Contains(out, internal) {
			t.Errorf("build output carries a data note (%q):\n%s", internal, out)
		}
	}
}
