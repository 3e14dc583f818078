package exchange

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBuild(t *testing.T) {
	test := func(in, want string) {
		t.Helper()
		b, err := ParseBuild(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if b.String() != want {
			t.Errorf("%q: got %s, want %s", in, b, want)
		}
	}
	test("15.1.2176.2", "15.1.2176.2")
	test("15.01.2176.002", "15.1.2176.2")
	test("15.02.0986.005", "15.2.986.5")
	test("15.1.2176", "15.1.2176")
	test("Version 15.1 (Build 2176.2)", "15.1.2176.2")
	test("Version 15.2 (Build 1118.7)", "15.2.1118.7")
	test(" 15.0.1497.2 ", "15.0.1497.2")
	test("v15.2.2562.17", "15.2.2562.17")
}

func TestParseBuildBad(t *testing.T) {
	test := func(in, wantMsg string) {
		t.Helper()
		_, err := ParseBuild(in)
		if err == nil {
			t.Fatalf("%q: no error", truncate(in))
		}
		if !errors.Is(err, ErrBadBuild) {
			t.Errorf("%q: error %v does not wrap ErrBadBuild", truncate(in), err)
		}
		if !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("%q: error %q does not say %q", truncate(in), err, wantMsg)
		}
	}
	test("", "empty")
	test("   ", "empty")
	test("15.1.x.2", `"x" is not a number`)
	test(strings.Repeat("1", 10000), "10000 characters")
	test("-15.1.2176.2", "not a number")
	test("15.-1.2176.2", "not a number")
	test("15.1.2176.-2", "not a number")
	test("15.1", "want a.b.c.d")
	test("15.1.2176.2.1", "want a.b.c.d")
	test("15.1.99999.1", "too large")
	test("15.1.2176.99999999", "too large")
	test("8.3.517.0", "Exchange 2007")
	test("14.4.1.0", "major version 14")
	test("16.0.1.1", "major version 16")
	test("15.3.1.1", "minor version 3")
	test("15..2176.2", "empty")
	test("Version 15.1 (Build 2176)", "want a.b.c.d")
}

func TestProductOf(t *testing.T) {
	for in, want := range map[string]string{
		"14.3.513.0":   "Exchange Server 2010",
		"15.0.1497.2":  "Exchange Server 2013",
		"15.1.2507.6":  "Exchange Server 2016",
		"15.2.1748.10": "Exchange Server 2019",
		"15.2.2562.17": "Exchange Server SE",
	} {
		b, _ := ParseBuild(in)
		if got := ProductOf(b); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
