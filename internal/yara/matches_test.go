package yara

import "testing"

// "matches" on external variables answers the same through the standard
// library fast path (ASCII values) and the RE2 path (other values).
func TestMatchesExternalFastPath(t *testing.T) {
	rules, errs := Compile(Source{Name: "m.yar", Data: []byte(`
rule page_name { condition: filename matches /^[a-z]{3}\.aspx$/i }
rule any_in_auth { condition: filepath matches /\\owa\\auth\\[^\\]+\.as.x$/i }
`)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	test := func(v Vars, want ...string) {
		t.Helper()
		ms, err := rules.Scan(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Rule)
		}
		if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
			t.Errorf("%+v: got %v, want %v", v, got, want)
		}
	}
	test(Vars{Filename: "Abc.ASPX", Filepath: `\C\x\Abc.ASPX`}, "page_name")
	test(Vars{Filename: "abcd.aspx", Filepath: `\C\x\abcd.aspx`})                         // near miss: four letters
	test(Vars{Filename: "日本語.aspx", Filepath: `\C\x\日本語.aspx`})                           // non-ASCII: RE2 path, nine bytes
	test(Vars{Filename: "x.ashx", Filepath: `\C\inetpub\owa\auth\x.ashx`}, "any_in_auth") // ASCII path
	test(Vars{Filename: "é.ashx", Filepath: `\C\inetpub\owa\auth\é.ashx`}, "any_in_auth") // non-ASCII value, RE2 path
}
