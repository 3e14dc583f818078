package rules

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

func TestModifiers(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wide := func(s string) string { return utf16Bytes(s, false, false) }
	tests := []struct {
		name   string
		det    string
		fields evidence.Map
		want   bool
	}{
		{"equal ignores case", "sel:\n  cs-method: POST\ncondition: sel", evidence.Map{"cs-method": "post"}, true},
		{"equal is whole value", "sel:\n  cs-method: POST\ncondition: sel", evidence.Map{"cs-method": "POSTX"}, false},
		{"number value", "sel:\n  sc-status: 200\ncondition: sel", evidence.Map{"sc-status": "200"}, true},
		{"number value whole", "sel:\n  sc-status: 200\ncondition: sel", evidence.Map{"sc-status": "2000"}, false},
		{"star wildcard", `sel: {Image: 'C:\Windows\\*\cmd.exe'}` + "\ncondition: sel", evidence.Map{"Image": `c:\windows\system32\CMD.EXE`}, true},
		{"star wildcard anchored", `sel: {Image: 'C:\Windows\\*\cmd.exe'}` + "\ncondition: sel", evidence.Map{"Image": `C:\Windows\system32\cmd.exe.bak`}, false},
		{"question wildcard", "sel: {a: 'ab?d'}\ncondition: sel", evidence.Map{"a": "aBXd"}, true},
		{"question wildcard one char", "sel: {a: 'ab?d'}\ncondition: sel", evidence.Map{"a": "abd"}, false},
		{"escaped star is literal", `sel: {a: 'x\*y'}` + "\ncondition: sel", evidence.Map{"a": "x*y"}, true},
		{"backslash star is literal", `sel: {Image: 'C:\Windows\*\cmd.exe'}` + "\ncondition: sel", evidence.Map{"Image": `C:\Windows\system32\cmd.exe`}, false},
		{"escaped star no wildcard", `sel: {a: 'x\*y'}` + "\ncondition: sel", evidence.Map{"a": "xzzy"}, false},
		{"double backslash", `sel: {a: '\\\\srv\\*'}` + "\ncondition: sel", evidence.Map{"a": `\\srv\share`}, true},
		{"double backslash near miss", `sel: {a: '\\\\srv\\*'}` + "\ncondition: sel", evidence.Map{"a": `\srv\share`}, false},
		{"contains", "sel: {q|contains: '/autodiscover.json'}\ncondition: sel", evidence.Map{"q": "/Autodiscover.JSON?@x"}, true},
		{"contains near miss", "sel: {q|contains: '/autodiscover.json'}\ncondition: sel", evidence.Map{"q": "/autodiscover/autodiscover.xml"}, false},
		{"startswith", "sel: {q|startswith: '/ecp/'}\ncondition: sel", evidence.Map{"q": "/ECP/DDI"}, true},
		{"startswith near miss", "sel: {q|startswith: '/ecp/'}\ncondition: sel", evidence.Map{"q": "/x/ecp/"}, false},
		{"endswith", `sel: {Image|endswith: '\w3wp.exe'}` + "\ncondition: sel", evidence.Map{"Image": `C:\x\W3WP.exe`}, true},
		{"endswith near miss", `sel: {Image|endswith: '\w3wp.exe'}` + "\ncondition: sel", evidence.Map{"Image": `C:\x\notw3wp.exe`}, false},
		{"list is or", "sel: {m: [GET, POST]}\ncondition: sel", evidence.Map{"m": "GET"}, true},
		{"list is or near miss", "sel: {m: [GET, POST]}\ncondition: sel", evidence.Map{"m": "PUT"}, false},
		{"contains all", "sel: {q|contains|all: [a=1, b=2]}\ncondition: sel", evidence.Map{"q": "x?b=2&a=1"}, true},
		{"contains all needs every value", "sel: {q|contains|all: [a=1, b=2]}\ncondition: sel", evidence.Map{"q": "x?a=1"}, false},
		{"map is and", "sel: {m: POST, s: 200}\ncondition: sel", evidence.Map{"m": "POST", "s": "200"}, true},
		{"map is and near miss", "sel: {m: POST, s: 200}\ncondition: sel", evidence.Map{"m": "POST", "s": "404"}, false},
		{"list of maps is or", "sel:\n  - {a: x}\n  - {b: y}\ncondition: sel", evidence.Map{"b": "Y"}, true},
		{"list of maps near miss", "sel:\n  - {a: x}\n  - {b: y}\ncondition: sel", evidence.Map{"a": "y", "b": "x"}, false},
		{"missing field", "sel: {a: x}\ncondition: sel", evidence.Map{"b": "x"}, false},
		{"re is case sensitive", `sel: {c|re: '^cmd\.exe /c [a-z]+$'}` + "\ncondition: sel", evidence.Map{"c": "cmd.exe /c whoami"}, true},
		{"re near miss", `sel: {c|re: '^cmd\.exe /c [a-z]+$'}` + "\ncondition: sel", evidence.Map{"c": "CMD.EXE /c whoami"}, false},
		{"re i flag", `sel: {c|re|i: '^cmd\.exe'}` + "\ncondition: sel", evidence.Map{"c": "CMD.EXE /c whoami"}, true},
		{"re searches", `sel: {c|re: 'who[a-z]+i'}` + "\ncondition: sel", evidence.Map{"c": "x whoami y"}, true},
		{"cased", "sel: {a|cased: 'Foo'}\ncondition: sel", evidence.Map{"a": "Foo"}, true},
		{"cased near miss", "sel: {a|cased: 'Foo'}\ncondition: sel", evidence.Map{"a": "foo"}, false},
		{"cased contains", "sel: {a|contains|cased: 'Foo'}\ncondition: sel", evidence.Map{"a": "xFooy"}, true},
		{"base64", "sel: {a|base64: 'abc'}\ncondition: sel", evidence.Map{"a": "YWJj"}, true},
		{"base64 near miss", "sel: {a|base64: 'abc'}\ncondition: sel", evidence.Map{"a": "abc"}, false},
		{"base64offset 0", "sel: {c|base64offset|contains: '/bin/bash'}\ncondition: sel", evidence.Map{"c": "echo " + b64("/bin/bash -i")}, true},
		{"base64offset 1", "sel: {c|base64offset|contains: '/bin/bash'}\ncondition: sel", evidence.Map{"c": b64("x/bin/bash -i")}, true},
		{"base64offset 2", "sel: {c|base64offset|contains: '/bin/bash'}\ncondition: sel", evidence.Map{"c": b64("xy/bin/bash")}, true},
		{"base64offset near miss", "sel: {c|base64offset|contains: '/bin/bash'}\ncondition: sel", evidence.Map{"c": b64("xy/bin/dash")}, false},
		{"utf16le base64offset", "sel: {c|utf16le|base64offset|contains: 'Invoke-Mimikatz'}\ncondition: sel", evidence.Map{"c": "powershell -enc " + b64(wide("IEX; Invoke-Mimikatz -x"))}, true},
		{"utf16le base64offset odd", "sel: {c|utf16le|base64offset|contains: 'Invoke-Mimikatz'}\ncondition: sel", evidence.Map{"c": b64(wide("I Invoke-Mimikatz"))}, true},
		{"utf16le base64offset near miss", "sel: {c|utf16le|base64offset|contains: 'Invoke-Mimikatz'}\ncondition: sel", evidence.Map{"c": b64("Invoke-Mimikatz")}, false},
		{"wide base64", "sel: {c|wide|base64: 'ab'}\ncondition: sel", evidence.Map{"c": b64("a\x00b\x00")}, true},
		{"utf16be base64", "sel: {c|utf16be|base64: 'ab'}\ncondition: sel", evidence.Map{"c": b64("\x00a\x00b")}, true},
		{"utf16be near miss", "sel: {c|utf16be|base64: 'ab'}\ncondition: sel", evidence.Map{"c": b64("a\x00b\x00")}, false},
		{"windash dash", "sel: {c|windash|contains: ' -enc '}\ncondition: sel", evidence.Map{"c": "powershell -enc AAA"}, true},
		{"windash slash", "sel: {c|windash|contains: ' -enc '}\ncondition: sel", evidence.Map{"c": "powershell /enc AAA"}, true},
		{"windash en dash", "sel: {c|windash|contains: ' -enc '}\ncondition: sel", evidence.Map{"c": "powershell \u2013enc AAA"}, true},
		{"windash near miss", "sel: {c|windash|contains: ' -enc '}\ncondition: sel", evidence.Map{"c": "powershell enc AAA"}, false},
		{"windash keeps inner dash", "sel: {c|contains|windash: 'a-b'}\ncondition: sel", evidence.Map{"c": "xa/bx"}, false},
		{"cidr v4", "sel: {ip|cidr: '10.0.0.0/8'}\ncondition: sel", evidence.Map{"ip": "10.1.2.3"}, true},
		{"cidr v4 near miss", "sel: {ip|cidr: '10.0.0.0/8'}\ncondition: sel", evidence.Map{"ip": "11.0.0.1"}, false},
		{"cidr v6", "sel: {ip|cidr: 'fe80::/10'}\ncondition: sel", evidence.Map{"ip": "fe80::1"}, true},
		{"cidr not an address", "sel: {ip|cidr: '10.0.0.0/8'}\ncondition: sel", evidence.Map{"ip": "10.1.2.3.4"}, false},
		{"exists true", "sel: {a|exists: true}\ncondition: sel", evidence.Map{"a": ""}, true},
		{"exists true near miss", "sel: {a|exists: true}\ncondition: sel", evidence.Map{"b": "x"}, false},
		{"exists false", "sel: {a|exists: false}\ncondition: sel", evidence.Map{"b": "x"}, true},
		{"exists false near miss", "sel: {a|exists: false}\ncondition: sel", evidence.Map{"a": "x"}, false},
		{"fieldref", "sel: {a|fieldref: b}\ncondition: sel", evidence.Map{"a": "X", "b": "x"}, true},
		{"fieldref near miss", "sel: {a|fieldref: b}\ncondition: sel", evidence.Map{"a": "x", "b": "y"}, false},
		{"fieldref endswith", "sel: {a|fieldref|endswith: b}\ncondition: sel", evidence.Map{"a": `C:\x\y.exe`, "b": "y.exe"}, true},
		{"gt", "sel: {n|gt: 10}\ncondition: sel", evidence.Map{"n": "11"}, true},
		{"gt near miss", "sel: {n|gt: 10}\ncondition: sel", evidence.Map{"n": "10"}, false},
		{"gte", "sel: {n|gte: 10}\ncondition: sel", evidence.Map{"n": "10"}, true},
		{"lt", "sel: {n|lt: 1.5}\ncondition: sel", evidence.Map{"n": "1"}, true},
		{"lt near miss", "sel: {n|lt: 1.5}\ncondition: sel", evidence.Map{"n": "2"}, false},
		{"lte not a number", "sel: {n|lte: 10}\ncondition: sel", evidence.Map{"n": "ten"}, false},
		{"null absent", "sel: {a: null}\ncondition: sel", evidence.Map{"b": "x"}, true},
		{"null empty", "sel: {a: null}\ncondition: sel", evidence.Map{"a": ""}, true},
		{"null near miss", "sel: {a: null}\ncondition: sel", evidence.Map{"a": "x"}, false},
		{"empty string", "sel: {a: ''}\ncondition: sel", evidence.Map{"a": ""}, true},
		{"empty string near miss", "sel: {a: ''}\ncondition: sel", evidence.Map{"a": "x"}, false},
		{"keywords", "keywords: ['=whoami', '=ipconfig']\ncondition: keywords", evidence.Map{"q": "cmd=WHOAMI&x", "m": "GET"}, true},
		{"keywords near miss", "keywords: ['=whoami', '=ipconfig']\ncondition: keywords", evidence.Map{"q": "whoami", "m": "GET"}, false},
		{"keywords all", "kw:\n  '|all': [New-MailboxExportRequest, ' -Mailbox ']\ncondition: kw", evidence.Map{"Data": "New-MailboxExportRequest -Mailbox x"}, true},
		{"keywords all needs every value", "kw:\n  '|all': [New-MailboxExportRequest, ' -Mailbox ']\ncondition: kw", evidence.Map{"Data": "New-MailboxExportRequest -Identity x"}, false},
		{"keywords all across fields", "kw:\n  '|all': [POST, 200]\ncondition: kw", evidence.Map{"m": "POST", "s": "200"}, true},
		{"boolean value", "sel: {a: true}\ncondition: sel", evidence.Map{"a": "True"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, ruleYAML("category: webserver", tt.det))
			if got := matches(t, r, webLS, tt.fields); got != tt.want {
				t.Errorf("match = %v, want %v\n%s\n%v", got, tt.want, tt.det, tt.fields)
			}
		})
	}
}

func TestModifierErrors(t *testing.T) {
	tests := []struct{ name, det, want string }{
		{"unknown modifier", "sel: {a|bogus: x}\ncondition: sel", `unknown modifier "bogus"`},
		{"bad regex names field", "sel: {CommandLine|re: '(?<=x)y'}\ncondition: sel", `field "CommandLine": regular expression`},
		{"bad cidr", "sel: {ip|cidr: '10.0.0/33'}\ncondition: sel", "bad cidr"},
		{"exists wants bool", "sel: {a|exists: maybe}\ncondition: sel", "exists wants true or false"},
		{"gt wants number", "sel: {a|gt: x}\ncondition: sel", "gt wants a number"},
		{"two special modifiers", "sel: {a|re|cidr: x}\ncondition: sel", "cannot be combined"},
		{"base64 of wildcard", "sel: {a|base64: 'a*b'}\ncondition: sel", "wildcards inside"},
		{"expand", "sel: {a|expand: '%x%'}\ncondition: sel", "placeholder"},
		{"nested map", "sel:\n  a:\n    b: c\ncondition: sel", "nested maps"},
		{"all with expansion", "sel: {a|windash|all: ['-x', '-y']}\ncondition: sel", "all cannot be combined"},
		{"windash explosion", "sel: {a|windash: '-a -b -c -d -e -f'}\ncondition: sel", "more than 4096"},
		{"empty list", "sel: {a: []}\ncondition: sel", "empty value list"},
		{"rule value budget", "sel: {" + manyWindash(120) + "}\ncondition: sel", "more than 65536 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, ruleYAML("category: webserver", tt.det))
			if !containsFold(got, tt.want) {
				t.Errorf("error %q, want it to mention %q", got, tt.want)
			}
		})
	}
}

// manyWindash returns n fields that each expand to 625 values.
func manyWindash(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf("f%d|windash: '-a -b -c -d'", i))
	}
	return strings.Join(parts, ", ")
}

func TestBase64Offsets(t *testing.T) {
	// The three forms pySigma documents for /bin/bash.
	got := base64Offsets("/bin/bash")
	want := []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("base64Offsets(/bin/bash) = %q, want %q", got, want)
	}
}
