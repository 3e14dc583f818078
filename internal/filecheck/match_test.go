package filecheck

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/finding"
)

// TestUserRules loads a folder of third-party rules (no exhunt meta) next
// to nothing else, and checks severity, ATT&CK mapping and load errors.
func TestUserRules(t *testing.T) {
	c, lerrs, err := New(Options{YARADirs: []string{"testdata/userrules"}, NoDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(lerrs) != 1 || lerrs[0].Rule != "Needs_PE_Module" || lerrs[0].Dir != "testdata/userrules" ||
		!strings.Contains(lerrs[0].Error(), "Needs_PE_Module") || lerrs[0].Reason == "" {
		t.Errorf("load errors = %v, want one for Needs_PE_Module with a reason", lerrs)
	}
	if n := c.RuleCount(); n != 5 {
		t.Errorf("RuleCount = %d, want 5", n)
	}
	type result struct {
		Rule     string
		Severity finding.Severity
		Attack   []string
	}
	test := func(path, data string, want ...result) {
		t.Helper()
		var got []result
		for _, f := range detect(t, c, path, []byte(data)) {
			got = append(got, result{f.Rule, f.Severity, f.Attack})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %q (-want +got):\n%s", path, data, diff)
		}
	}
	test("x/a.txt", "scored-marker", result{"yara:sb_like:WEBSHELL_Test_Scored", finding.High, []string{"T1505.003"}})
	test("x/a.txt", "scored marker")
	test("x/a.txt", "low-marker", result{"yara:sb_like:WEBSHELL_Test_Low_Score", finding.Medium, []string{"T1505.003"}})
	test("x/a.txt", "tagged-marker", result{"yara:sb_like:Generic_Test_Tagged", finding.Medium, []string{"T1059.001"}})
	test("x/a.txt", "fine-marker", result{"yara:sub/broken:Fine_After_Broken", finding.Medium, []string{}})
	test("C/Users/b/AppData/Local/Chrome/User Data/Default/Cache/x.js", "", result{"yara:sb_like:Uses_External_Vars", finding.Medium, []string{}})
	test("C/Users/b/AppData/Local/Chrome/User Data/Default/Cache/x.css", "")
}

func TestNewErrors(t *testing.T) {
	if _, _, err := New(Options{YARADirs: []string{"testdata/missing"}}); !errors.Is(err, ErrRuleDir) {
		t.Errorf("missing folder: err = %v, want ErrRuleDir", err)
	}
	if _, _, err := New(Options{YARADirs: []string{"testdata/logon.aspx"}}); !errors.Is(err, ErrRuleDir) {
		t.Errorf("file as folder: err = %v, want ErrRuleDir", err)
	}
	c, lerrs, err := New(Options{NoDefault: true})
	if err != nil || len(lerrs) != 0 || c.RuleCount() != 0 {
		t.Fatalf("NoDefault: %v %v %d", err, lerrs, c.RuleCount())
	}
	// Without YARA rules the IOC lists still work.
	got := ruleIDs(detect(t, c, "C/inetpub/wwwroot/aspnet_client/shell.aspx", []byte("x")))
	if !slices.Equal(got, []string{"ioc:webshell-name"}) {
		t.Errorf("NoDefault name IOC: %v", got)
	}
}

func TestEvidenceFormat(t *testing.T) {
	c := testChecker(t)
	big := "<%@ Page Language=\"Jscript\"%>" + strings.Repeat(`<%eval(Request.Item["a"],"unsafe");%>`, 8) + "\x00\xff"
	fs := detect(t, c, "x/a.aspx", []byte(big))
	if len(fs) != 1 {
		t.Fatalf("findings: %v", ruleIDs(fs))
	}
	ev := fs[0].Evidence
	if !strings.Contains(ev, "(+3 more)") || strings.Count(ev, "$eval@") != 5 {
		t.Errorf("evidence should quote 5 matches and count the rest: %s", ev)
	}
}
