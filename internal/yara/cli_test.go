package yara

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// newerSyntax names cases using syntax that yara 4.2 lacks (hex ~XX
// negation came with yara 4.3); the engine accepts it anyway.
var newerSyntax = map[string]bool{"negation": true}

// TestCasesAgainstYaraCLI runs the feature cases of yara_test.go through
// the yara CLI, so that each expected hit and near miss is YARA's own
// verdict, not only ours. It skips when yara is not installed.
func TestCasesAgainstYaraCLI(t *testing.T) {
	yaraBin, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara CLI not installed")
	}
	dir := t.TempDir()
	cliMatches := func(t *testing.T, rule, data string) bool {
		t.Helper()
		rf, df := filepath.Join(dir, "r.yar"), filepath.Join(dir, "data")
		if err := os.WriteFile(rf, []byte(rule), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(df, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), yaraBin, "-w", rf, df).CombinedOutput()
		if err != nil {
			t.Fatalf("yara: %v\n%s", err, out)
		}
		return strings.HasPrefix(string(out), "r ")
	}
	for _, group := range [][]caseT{textCases, hexCases, regexCases, condCases} {
		for _, c := range group {
			t.Run(c.name, func(t *testing.T) {
				if newerSyntax[c.name] {
					t.Skip("syntax newer than yara 4.2")
				}
				src := "rule r {\n"
				if c.strings != "" {
					src += "strings:\n" + c.strings + "\n"
				}
				src += "condition:\n" + c.cond + "\n}\n"
				if !cliMatches(t, src, c.hit) {
					t.Errorf("yara CLI: %s does not match %q", src, c.hit)
				}
				if cliMatches(t, src, c.miss) {
					t.Errorf("yara CLI: %s matches near miss %q", src, c.miss)
				}
			})
		}
	}
}
