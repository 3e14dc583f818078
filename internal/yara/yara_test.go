package yara

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// ruleMatches compiles one rule named "r" (plus optional rules before it)
// and reports whether it matches data.
func ruleMatches(t *testing.T, src string, data []byte, vars Vars) bool {
	t.Helper()
	rules, errs := Compile(Source{Name: "test", Data: []byte(src)})
	if len(errs) > 0 {
		t.Fatalf("compile %q: %v", src, errs)
	}
	ms, err := rules.Scan(data, vars)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, m := range ms {
		if m.Rule == "r" {
			return true
		}
	}
	return false
}

// caseT is one feature check: the rule must match Hit and not Miss (a
// near-miss twin of Hit).
type caseT struct {
	name      string
	strings   string // body of the strings section ("" for none)
	cond      string
	hit, miss string
}

func runCases(t *testing.T, cases []caseT) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "rule r {\n"
			if c.strings != "" {
				src += "strings:\n" + c.strings + "\n"
			}
			src += "condition:\n" + c.cond + "\n}\n"
			if !ruleMatches(t, src, []byte(c.hit), Vars{}) {
				t.Errorf("rule %s does not match %q", src, c.hit)
			}
			if ruleMatches(t, src, []byte(c.miss), Vars{}) {
				t.Errorf("rule %s matches near miss %q", src, c.miss)
			}
		})
	}
}

var textCases = []caseT{
	{"plain", `$a = "eval(Request"`, "$a", `<%eval(Request.Item["x"])%>`, `<%Eval(Request.Item["x"])%>`},
	{"nocase", `$a = "eval(request" nocase`, "$a", `<%EVAL(REQUEST.Item["x"])%>`, `<%eval (Request.Item["x"])%>`},
	{"wide", `$a = "cmd.exe" wide`, "$a", "x\x00c\x00m\x00d\x00.\x00e\x00x\x00e\x00", "cmd.exe"},
	{"wide ascii", `$a = "cmd.exe" wide ascii`, "$a", "run cmd.exe", "run cmd.ex"},
	{"nocase wide", `$a = "CMD.EXE" nocase wide`, "$a", "c\x00M\x00d\x00.\x00e\x00X\x00e\x00", "c\x00M\x00d\x00_\x00e\x00X\x00e\x00"},
	{"fullword", `$a = "eval" fullword`, "$a", "x=eval(y)", "x=evaluate(y)"},
	{"fullword underscore", `$a = "eval" fullword`, "$a", "_eval(y)", "x=eval1"},
	{"fullword wide", `$a = "eval" fullword wide`, "$a", "(\x00e\x00v\x00a\x00l\x00(\x00", "e\x00v\x00a\x00l\x00x\x00"},
	{"escapes", `$a = "a\"b\\c\x41\t"`, "$a", "a\"b\\cA\t", "a\"b\\cB\t"},
	{"short", `$a = "<%"`, "$a", "x <% y", "x < % y"},
	{"short nocase", `$a = "Ab" nocase`, "$a at 1", "xaB", "aBx"},
}

func TestTextStrings(t *testing.T) { runCases(t, textCases) }

var hexCases = []caseT{
	{"plain", `$mz = { 4D 5A }`, "$mz at 0", "MZ\x90\x00", "ZM\x90\x00"},
	{"wildcard", `$a = { 4D ?? 90 00 }`, "$a", "MZ\x90\x00", "MZ\x91\x00"},
	{"nibble low", `$a = { 4D 5? 90 }`, "$a", "MZ\x90", "MJ\x90"},
	{"nibble high", `$a = { 4D ?A 90 }`, "$a", "MZ\x90", "MY\x90"},
	{"jump", `$a = { 3C 25 [2-4] 25 3E }`, "$a", "<%abc%>", "<%abcdef%>"},
	{"jump fixed", `$a = { 3C 25 [3] 25 3E }`, "$a", "<%abc%>", "<%ab%>"},
	{"jump open", `$a = { 3C 25 [1-] 25 3E }`, "$a", "<%abcdefgh%>", "<%%>"},
	{"alternation", `$a = { 3C 25 ( 40 | 3D ) 20 }`, "$a", "<%= x", "<%# x"},
	{"negation", `$a = { 3C 25 ~40 }`, "$a", "<%=", "<%@"},
	{"comment inside", "$a = { 4D 5A // MZ\n 90 /* nop */ }", "$a", "MZ\x90", "MZ\x91"},
}

func TestHexStrings(t *testing.T) { runCases(t, hexCases) }

var regexCases = []caseT{
	{"basic", `$a = /eval\s*\(\s*Request/`, "$a", `eval ( Request`, `eval ( request`},
	{"i flag", `$a = /eval\s*\(\s*request/i`, "$a", `EVAL(Request`, `EVAL(Reques`},
	{"nocase modifier", `$a = /eval\(request/ nocase`, "$a", `Eval(REQUEST`, `Eval[REQUEST`},
	{"s flag", `$a = /<%.{0,20}eval/s`, "$a", "<%\r\neval", "<%\r\n" + strings.Repeat("x", 30) + "eval"},
	{"dot without s", `$a = /<%.{0,20}eval/`, "$a", "<% eval", "<%\neval"},
	{"word boundary", `$a = /\bexec\b/`, "$a", "x exec(y)", "x execute(y)"},
	{"boundary at window start", `$a = /\bsystem\(/`, "$a", "x system(", "xsystem("},
	{"wide", `$a = /cmd\.exe/ wide`, "$a", "c\x00m\x00d\x00.\x00e\x00x\x00e\x00", "cmd.exe"},
	{"wide class", `$a = /c[a-z]d/ wide ascii`, "$a", "c\x00m\x00d\x00", "c\x00M\x00d\x00"},
	{"fullword", `$a = /ev[a-z]l/ fullword`, "$a", "(eval)", "(evall)"},
	{"high bytes", `$a = /\$[\x80-\xff]{2}/`, "$a", "$\xe4\xb8", "$ab"},
	{"open min repeat", `$a = /ab{,2}c/`, "$a", "abbc", "abbbc"},
	{"large repeat", `$a = /<%[^>]{0,2000}exec/`, "$a", "<%" + strings.Repeat("x", 1500) + "exec", "<%" + strings.Repeat("x", 2100) + "exec"},
	{"escaped slash", `$a = /a\/b/`, "$a", "a/b", "a\\b"},
	{"alternation atoms", `$a = /(system|passthru|shell_exec)\s*\(/`, "$a", "passthru (", "passthr ("},
	{"atom in middle", `$a = /[a-z]{1,8}_exec\(\$_GET/`, "$a", "shell_exec($_GET", "shell_exec($_POST"},
	{"no atom", `$a = /[0-9]{3}-[0-9]{4}/`, "$a", "call 555-1234", "call 55-12345"},
	{"anchored at 0", `$a = /^<%@/`, "$a", "<%@ Page", " <%@ Page"},
}

func TestRegexStrings(t *testing.T) { runCases(t, regexCases) }

const (
	two   = `$a = "alpha" $b = "beta"`
	three = `$a = "alpha" $b = "beta" $c = "gamma"`
)

var condCases = []caseT{
	{"and", two, "$a and $b", "alpha beta", "alpha gamma"},
	{"or", two, "$a or $b", "beta", "gamma"},
	{"not", two, "$a and not $b", "alpha", "alpha beta"},
	{"parentheses", three, "($a or $b) and $c", "beta gamma", "alpha beta"},
	{"any of them", three, "any of them", "gamma", "delta"},
	{"all of them", three, "all of them", "alpha beta gamma", "alpha beta"},
	{"none of them", three, "none of them", "delta", "beta"},
	{"N of set", `$x1 = "one" $x2 = "two" $y = "three"`, "2 of ($x*, $y)", "one three", "one"},
	{"any of wildcard", `$x1 = "one" $x2 = "two" $y = "three"`, "any of ($x*) and not $y", "two", "three"},
	{"percent of", three, "50% of them", "alpha beta", "alpha"},
	{"of in range", three, "any of them in (0..5)", "alpha", "..... alpha"},
	{"count", `$a = "ab"`, "#a == 3", "ab ab ab", "ab ab"},
	{"count overlapping", `$a = "aa"`, "#a == 2", "aaa", "aa"},
	{"count compare", `$a = "ab"`, "#a >= 2 and #a < 4", "ab ab", "ab"},
	{"count in range", `$a = "ab"`, "#a in (0..10) == 2", "ab ab", "ab            ab"},
	{"offset", `$a = "ab"`, "@a[2] == 3", "ab ab", "ab  ab"},
	{"offset default", `$a = "ab"`, "@a == 1", "xab", "ab"},
	{"length", `$a = /ab+/`, "!a[1] == 4", "abbb", "abb"},
	{"at", `$a = "ab"`, "$a at 2", "xxab", "xab"},
	{"in", `$a = "ab"`, "$a in (2..4)", "xxxab", "xxxxxab"},
	{"filesize", "", "filesize < 1KB", "small", strings.Repeat("x", 1024)},
	{"filesize MB", "", "filesize > 1MB - 2", strings.Repeat("x", 1<<20), "x"},
	{"uint8", "", "uint8(1) == 0x5A", "MZ", "MX"},
	{"uint16", "", "uint16(0) == 0x5A4D", "MZ", "ZM"},
	{"uint32", "", "uint32(0) == 0x04030201", "\x01\x02\x03\x04", "\x04\x03\x02\x01"},
	{"uint16be", "", "uint16be(0) == 0x4D5A", "MZ", "ZM"},
	{"uint32be", "", "uint32be(0) == 0x3C254020", "<%@ ", "<%# "},
	{"int8", "", "int8(0) == -1", "\xff", "\x7f"},
	{"out of range is false", "", "uint32(10) == 0 or uint32(10) != 0", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "short"},
	{"nested uint", "", "uint8(uint8(0)) == 0x41", "\x02xA", "\x02Ax"},
	{"arithmetic", "", "(filesize * 2 + 4) \\ 2 - 1 == 4 and filesize % 2 == 1 and -filesize < 0", "xxx", "xxxx"},
	{"bitwise", "", "(uint8(0) & 0xF0) >> 4 == 4 and (uint8(0) | 1) ^ 0 == 0x41 and ~0 == -1 and 1 << 2 == 4", "A", "Q"},
	{"for of at", `$a = "<%" $b = "<?"`, "for any of ($*) : ( $ at 0 )", "<% x", " <% x"},
	{"for all of", `$a = "one" $b = "two"`, "for all of them : ( # > 1 )", "one two one two", "one two two"},
	{"for of offset", `$a = "x"`, "for any of them : ( @[1] == 3 )", "...x", "..x"},
	{"for in range", `$mz = "MZ" $pe = "PE"`, "for any i in (1..#mz) : ( @pe[1] == @mz[i] + 4 )", "MZ MZ..PE", "MZ MZ.PE"},
	{"for all in enum", "", "for all i in (0, 1) : ( uint8(i) == 0x41 )", "AA", "AB"},
	{"N for in", "", "for 2 i in (0..3) : ( uint8(i) == 0x41 )", "AxAx", "Axxx"},
	{"true false", "", "true and not false and filesize == 1", "x", "xx"},
}

func TestConditions(t *testing.T) { runCases(t, condCases) }

func TestExternals(t *testing.T) {
	test := func(cond string, vars Vars, want bool) {
		t.Helper()
		src := "rule r { condition: " + cond + " }"
		if got := ruleMatches(t, src, []byte("x"), vars); got != want {
			t.Errorf("%s with %+v = %v, want %v", cond, vars, got, want)
		}
	}
	v := Vars{Filename: "Shell.ASPX", Filepath: `C:\inetpub\wwwroot\aspnet_client\Shell.ASPX`, Extension: ".ASPX", Filetype: "ASP"}
	test(`filename == "Shell.ASPX"`, v, true)
	test(`filename == "shell.aspx"`, v, false)
	test(`filename != "logon.aspx"`, v, true)
	test(`filename != "Shell.ASPX"`, v, false)
	test(`filepath contains "\\aspnet_client\\"`, v, true)
	test(`filepath contains "\\owa\\"`, v, false)
	test(`filepath icontains "\\ASPNET_CLIENT\\"`, v, true)
	test(`filepath icontains "\\OWA\\"`, v, false)
	test(`filepath startswith "C:\\inetpub"`, v, true)
	test(`filepath startswith "D:\\inetpub"`, v, false)
	test(`filename endswith ".ASPX"`, v, true)
	test(`filename endswith ".aspx"`, v, false)
	test(`filename iendswith ".aspx"`, v, true)
	test(`filename istartswith "shell"`, v, true)
	test(`filename iequals "shell.aspx"`, v, true)
	test(`extension matches /^\.aspx$/i`, v, true)
	test(`extension matches /^\.asmx$/i`, v, false)
	test(`filetype == "ASP"`, v, true)
	test(`filetype == "PHP"`, v, false)
	test(`filetype == ""`, Vars{}, true)
	test(`defined filename and defined uint8(0)`, v, true)
	test(`defined uint8(5)`, v, false)
}

func TestRuleReferences(t *testing.T) {
	src := `
private rule asp_tag { strings: $t = "<%" condition: $t }
rule r : webshell { strings: $e = "eval(" condition: asp_tag and $e }
`
	if !ruleMatches(t, src, []byte("<% eval(x) %>"), Vars{}) {
		t.Error("rule reference: no match")
	}
	if ruleMatches(t, src, []byte("<? eval(x) ?>"), Vars{}) {
		t.Error("rule reference: near miss matches")
	}
	rules, errs := Compile(Source{Name: "t", Data: []byte(src)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ms, _ := rules.Scan([]byte("<% eval(x) %>"), Vars{})
	if len(ms) != 1 || ms[0].Rule != "r" {
		t.Errorf("private rule reported: %+v", ms)
	}
}

func TestGlobalRules(t *testing.T) {
	src := `
global rule small { condition: filesize < 20 }
rule r { strings: $a = "eval" condition: $a }
`
	if !ruleMatches(t, src, []byte("eval"), Vars{}) {
		t.Error("global rule true: no match")
	}
	if ruleMatches(t, src, []byte("eval"+strings.Repeat(" ", 30)), Vars{}) {
		t.Error("global rule false: rule still matches")
	}
}

func TestMathFunctions(t *testing.T) {
	src := `import "math"
rule r { condition: math.entropy(0, filesize) >= 7.9 and math.mean(0, filesize) > 120 and math.deviation(0, filesize, 127.5) > 60 and math.count(0x41, 0, 1) == 1 }`
	random := make([]byte, 256)
	for i := range random {
		random[i] = byte(i)
	}
	random[0] = 'A'
	if !ruleMatches(t, src, random, Vars{}) {
		t.Error("high entropy input: no match")
	}
	if ruleMatches(t, src, bytes.Repeat([]byte("A"), 256), Vars{}) {
		t.Error("low entropy input matches")
	}
}

func TestScanLimits(t *testing.T) {
	rules, errs := Compile(Source{Name: "t", Data: []byte(`
rule many { strings: $a = "a" condition: #a == 10000 }
rule loop { condition: for all i in (0..100000000) : ( i >= 0 ) }
`)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ms, err := rules.Scan(bytes.Repeat([]byte("a"), 3*MaxStringMatches), Vars{})
	if !errors.Is(err, ErrEvalBudget) {
		t.Errorf("loop: err = %v, want ErrEvalBudget", err)
	}
	if len(ms) != 1 || ms[0].Rule != "many" || len(ms[0].Strings) != MaxStringMatches {
		t.Errorf("matches = %d rules, want only \"many\" with %d strings", len(ms), MaxStringMatches)
	}
}

// TestHostileInput checks that an input made of one atom repeated (every
// prefilter position hits) stays fast for literals and regexes alike.
func TestHostileInput(t *testing.T) {
	rules, errs := Compile(Source{Name: "t", Data: []byte(`
rule lit { strings: $a = "aaaab" $b = "aaaa" nocase wide ascii condition: any of them }
rule re { strings: $r = /aaaa\w{0,4000}b/ $s = /a+aaaa[^b]{1,16}c/ condition: any of them }
`)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	data := bytes.Repeat([]byte("a"), 1<<20)
	start := time.Now()
	ms, err := rules.Scan(data, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Rule != "lit" {
		t.Errorf("matches = %v, want only lit", ms)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("scan of 1 MiB hostile input took %v", el)
	}
}
