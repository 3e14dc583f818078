package yara

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestCompileErrors(t *testing.T) {
	test := func(src, wantRule, wantReason string, wantLine int) {
		t.Helper()
		good := "\nrule good { strings: $a = \"ok\" condition: $a }\n"
		rules, errs := Compile(Source{Name: "f.yar", Data: []byte(src + good)})
		if len(errs) != 1 {
			t.Fatalf("%q: got %d errors %v, want 1", src, len(errs), errs)
		}
		e := errs[0]
		if e.File != "f.yar" || e.Rule != wantRule || e.Line != wantLine || !strings.Contains(e.Reason, wantReason) {
			t.Errorf("%q: error %+v, want rule %q line %d reason containing %q", src, e, wantRule, wantLine, wantReason)
		}
		// The good rule after the bad one still works.
		ms, err := rules.Scan([]byte("ok"), Vars{})
		if err != nil || len(ms) != 1 || ms[0].Rule != "good" {
			t.Errorf("%q: good rule not working: %v %v", src, ms, err)
		}
	}
	test("import \"pe\"\nrule a { condition: pe.is_dll() }", "a", `module "pe" is not supported`, 2)
	test("rule a { condition: pe.is_dll() }", "a", "not imported", 1)
	test("import \"math\"\nrule a { condition: math.to_number(1) }", "a", "math.to_number", 2)
	test("rule a {\n strings: $a = \"x\" xor\n condition: $a }", "a", `modifier "xor" is not supported`, 1)
	test("rule a {\n strings: $a = \"x\" base64\n condition: $a }", "a", `"base64" is not supported`, 1)
	test("rule a { condition: unknown_thing }", "a", `undefined identifier "unknown_thing"`, 1)
	test("rule a { condition: $nope }", "a", "undefined string identifier $nope", 1)
	test("rule a { condition: entrypoint == 0 }", "a", "entrypoint", 1)
	test("rule a {\n condition:\n   filesize < }", "a", "unexpected", 3)
	test("rule a { strings: $a = /ab(c/ condition: $a }", "a", "missing closing )", 1)
	test("rule a { strings: $a = { 4D 5 } condition: $a }", "a", "hex", 1)
	test("rule a { strings: $a = { [2] 4D } condition: $a }", "a", "jump", 1)
	test("rule a { strings: $a = \"\" condition: $a }", "a", "empty", 1)
	test("rule a { strings: $a = \"x\" $a = \"y\" condition: $a }", "a", "duplicated string", 1)
	test("rule a { condition: false }\nrule a { condition: true }", "a", "duplicated rule", 2)
	test("rule a { strings: $a = \"x\" $b = \"y\" condition: $a }", "a", "unreferenced string $b", 1)
	test("include \"other.yar\"", "", "only resolved by CompileFS", 1)
}

func TestCompileDependentRule(t *testing.T) {
	_, errs := Compile(Source{Name: "f", Data: []byte(`
import "pe"
private rule dll { condition: pe.is_dll() }
rule uses { condition: dll }
`)})
	if len(errs) != 2 || !strings.Contains(errs[1].Reason, `depends on rule "dll"`) {
		t.Errorf("errors = %v, want the dependant reported with its cause", errs)
	}
}

func TestCompileFS(t *testing.T) {
	rules, errs := CompileFS(os.DirFS("testdata"), "rules")
	var reasons []string
	for _, e := range errs {
		reasons = append(reasons, e.Error())
	}
	want := []string{`rules/broken.yara:3: rule Uses_PE: module "pe" is not supported (pe.number_of_sections)`}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("compile errors (-want +got):\n%s", diff)
	}
	wantNames := []string{
		"rules/broken.yara:Still_Works", "rules/common/tags.yar:AspTag",
		"rules/webshell.yar:AspTag", "rules/webshell.yar:Chopper_Eval_Request",
	}
	if diff := cmp.Diff(wantNames, rules.RuleNames()); diff != "" {
		t.Errorf("rule names (-want +got):\n%s", diff)
	}
	if rules.Len() != 4 {
		t.Errorf("Len = %d", rules.Len())
	}

	scan := func(sample string) []Match {
		t.Helper()
		f, err := os.Open("testdata/samples/" + sample)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, _ := f.Stat()
		ms, err := rules.ScanReader(f, st.Size(), Vars{Filename: sample})
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	wantChopper := []Match{{
		Rule: "Chopper_Eval_Request", Namespace: "rules/webshell.yar", Tags: []string{"webshell", "aspx"},
		Meta:    map[string]string{"description": "China Chopper style eval of a request parameter", "score": "80"},
		Strings: []StringMatch{{ID: "$eval", Offset: 31, Data: []byte("eval(Request.Item[")}},
	}}
	if diff := cmp.Diff(wantChopper, scan("chopper.aspx")); diff != "" {
		t.Errorf("chopper.aspx (-want +got):\n%s", diff)
	}
	wantLogon := []Match{{
		Rule: "Still_Works", Namespace: "rules/broken.yara", Meta: map[string]string{},
		Strings: []StringMatch{{ID: "$a", Offset: 156, Data: []byte("Sign in")}, {ID: "$a", Offset: 458, Data: []byte("Sign in")}},
	}}
	if diff := cmp.Diff(wantLogon, scan("logon.aspx")); diff != "" {
		t.Errorf("logon.aspx (-want +got):\n%s", diff)
	}
}

func TestCompileFSIncludeErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"r/a.yar": {Data: []byte("include \"missing.yar\"\ninclude \"../../etc/passwd\"\nrule a { condition: true }")},
	}
	rules, errs := CompileFS(fsys, "r")
	if len(errs) != 2 || !strings.Contains(errs[0].Reason, "missing.yar") || !strings.Contains(errs[1].Reason, "outside") {
		t.Errorf("errors = %v", errs)
	}
	if rules.Len() != 1 {
		t.Errorf("Len = %d, want 1", rules.Len())
	}
}

func TestMatchData(t *testing.T) {
	rules, errs := Compile(Source{Name: "n", Data: []byte(`rule r { strings: $a = /A+/ $b = "B" private condition: $a and $b }`)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ms, err := rules.Scan(append(bytes.Repeat([]byte("A"), 100), 'B'), Vars{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("matches %v, err %v", ms, err)
	}
	if got := ms[0].Strings; len(got) != 1 || got[0].ID != "$a" || len(got[0].Data) != MaxMatchData {
		t.Errorf("strings = %+v, want one $a match truncated to %d bytes, private $b omitted", got, MaxMatchData)
	}
}

func TestCompileDeepNesting(t *testing.T) {
	deep := "rule a { condition: " + strings.Repeat("(", 100000) + "true" + strings.Repeat(")", 100000) + " }"
	neg := "rule b { condition: " + strings.Repeat("not ", 100000) + "true }"
	minus := "rule c { condition: " + strings.Repeat("-", 100000) + "1 == 1 }"
	_, errs := Compile(Source{Name: "deep", Data: []byte(deep + "\n" + neg + "\n" + minus)})
	if len(errs) != 3 {
		t.Fatalf("errors = %v, want 3 nesting errors", errs)
	}
	for _, e := range errs {
		if !strings.Contains(e.Reason, "nested too deeply") {
			t.Errorf("error %v, want nesting error", e)
		}
	}
}
