package rules

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

// condRule has selections sel_a, sel_b, sel_c (a, b, c equal "1") and
// _hidden (h equal "1"), which "them" leaves out.
func condRule(t *testing.T, condition string) *Rule {
	t.Helper()
	det := "sel_a: {a: '1'}\nsel_b: {b: '1'}\nsel_c: {c: '1'}\n_hidden: {h: '1'}\ncondition: " + condition
	return mustParse(t, ruleYAML("category: webserver", det))
}

func TestConditionGrammar(t *testing.T) {
	// rec builds a record from the selections that should be true, e.g. "ac".
	rec := func(on string) evidence.Map {
		m := evidence.Map{}
		for _, c := range on {
			m[string(c)] = "1"
		}
		return m
	}
	tests := []struct {
		cond string
		on   string
		want bool
	}{
		{"sel_a", "a", true},
		{"sel_a", "b", false},
		{"sel_a and sel_b", "ab", true},
		{"sel_a and sel_b", "a", false},
		{"sel_a or sel_b", "b", true},
		{"sel_a or sel_b", "c", false},
		// and binds tighter than or: sel_a or (sel_b and sel_c).
		{"sel_a or sel_b and sel_c", "a", true},
		{"sel_a or sel_b and sel_c", "b", false},
		{"(sel_a or sel_b) and sel_c", "a", false},
		{"(sel_a or sel_b) and sel_c", "ac", true},
		// not binds tighter than and: (not sel_a) and sel_b.
		{"not sel_a and sel_b", "b", true},
		{"not sel_a and sel_b", "ab", false},
		{"not (sel_a and sel_b)", "a", true},
		{"not (sel_a and sel_b)", "ab", false},
		{"not not sel_a", "a", true},
		{"NOT sel_a AND sel_b", "b", true},
		{"1 of sel_*", "c", true},
		{"1 of sel_*", "h", false},
		{"any of sel_*", "b", true},
		{"all of sel_*", "abc", true},
		{"all of sel_*", "ab", false},
		{"all of sel_?", "abc", true},
		{"1 of them", "b", true},
		{"1 of them", "h", false}, // _hidden is not part of them
		{"all of them", "abc", true},
		{"all of them", "abh", false},
		{"sel_a and not 1 of sel_b*", "a", true},
		{"sel_a and not 1 of sel_b*", "ab", false},
		{"1 of sel_a", "a", true},
		{"_hidden", "h", true},
		{"((sel_a))", "a", true},
	}
	for _, tt := range tests {
		t.Run(tt.cond+"/"+tt.on, func(t *testing.T) {
			r := condRule(t, tt.cond)
			if got := matches(t, r, webLS, rec(tt.on)); got != tt.want {
				t.Errorf("%q on %q = %v, want %v", tt.cond, tt.on, got, tt.want)
			}
		})
	}
}

func TestConditionList(t *testing.T) {
	det := "sel_a: {a: '1'}\nsel_b: {b: '1'}\ncondition:\n  - sel_a\n  - sel_b"
	r := mustParse(t, ruleYAML("category: webserver", det))
	if !matches(t, r, webLS, evidence.Map{"b": "1"}) {
		t.Error("a list of conditions should match when any matches")
	}
	if matches(t, r, webLS, evidence.Map{"c": "1"}) {
		t.Error("a list of conditions matched with none true")
	}
}

func TestConditionErrors(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "sel_a" + strings.Repeat(close, n)
	}
	tests := []struct{ cond, want string }{
		{"sel_a and", "ends early"},
		{"(sel_a", "missing )"},
		{"sel_a)", "unexpected"},
		{"sel_x", "not a detection identifier"},
		{"1 of nothing*", "matches no detection identifier"},
		{"2 of sel_*", "quantifier"},
		{"sel_a | count() > 5", "aggregation"},
		{"sel_a and not", "ends early"},
		{"sel_a $ sel_b", "unexpected character"},
		{"and sel_a", "unexpected"},
		{"1 of", "needs an identifier"},
		{deep("(", ")", 65), "nests deeper than 64"},
		{deep("(", ")", 10000), "nests deeper than 64"},
		{deep("not ", "", 10000), "nests deeper than 64"},
		{deep("(not ", ")", 5000), "nests deeper than 64"},
	}
	for _, tt := range tests {
		name := tt.cond
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			det := "sel_a: {a: '1'}\nsel_b: {b: '1'}\ncondition: '" + tt.cond + "'"
			got := parseErr(t, ruleYAML("category: webserver", det))
			if !containsFold(got, tt.want) {
				t.Errorf("error %q, want it to mention %q", got, tt.want)
			}
		})
	}
	// At the limit still parses.
	mustParse(t, ruleYAML("category: webserver", "sel_a: {a: '1'}\ncondition: '"+deep("(", ")", 64)+"'"))
}
