package exchange

import (
	"strings"
	"testing"
)

// FuzzParseBuild: no panic; a parsed build re-parses to itself, and
// assessing it never panics.
func FuzzParseBuild(f *testing.F) {
	for _, s := range []string{"15.1.2176.2", "15.01.2176.002", "15.1.2176", "Version 15.1 (Build 2176.2)", "", "15.1.x.2", "-1.2.3.4", "15.2.2562.99999", "v15.0.1.1"} {
		f.Add(s)
	}
	kb, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBuild(s)
		if err != nil {
			return
		}
		again, err := ParseBuild(b.String())
		if err != nil || again != b {
			t.Fatalf("%q parsed to %s which re-parses to %v, %v", s, b, again, err)
		}
		a := kb.AssessBuild(b)
		if a.Build != b.String() || strings.TrimSpace(a.Product) == "" {
			t.Fatalf("%q: assessment %+v", s, a)
		}
	})
}
