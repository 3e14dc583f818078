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

// ScanLimited finds the same rules as Scan, lists the matches it already
// knows, and leaves out a regex the condition never needed once it has
// enough string matches to quote.
func TestScanLimited(t *testing.T) {
	rules, errs := Compile(Source{Name: "l.yar", Data: []byte(`
rule lit_then_regex { strings: $a = "marker" $r = /mark[a-z]+/ condition: $a or $r }
rule regex_needed { strings: $a = "absent" $r = /eval\([a-z]+\)/ condition: $a or $r }
`)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	data := []byte("marker markers eval(x) marker")
	full, err := rules.Scan(data, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := rules.ScanLimited(data, Vars{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 2 || len(lim) != 2 || full[0].Rule != lim[0].Rule || full[1].Rule != lim[1].Rule {
		t.Fatalf("rules differ: Scan %v, ScanLimited %v", full, lim)
	}
	// lit_then_regex: $a's three matches are known from the prefilter; $r,
	// never evaluated, is left out under the limit but listed by Scan.
	if n := len(full[0].Strings); n != 6 {
		t.Errorf("Scan lists %d strings, want 6 (3 $a, 3 $r)", n)
	}
	if got := lim[0].Strings; len(got) != 3 || got[0].ID != "$a" || got[2].ID != "$a" {
		t.Errorf("ScanLimited lit_then_regex: %+v", got)
	}
	// regex_needed: the condition ran $r, so its match is listed.
	if got := lim[1].Strings; len(got) != 1 || got[0].ID != "$r" {
		t.Errorf("ScanLimited regex_needed: %+v", got)
	}
}
