package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{`C:\inetpub\wwwroot\aspnet_client\a.aspx`, `C:\inetpub\wwwroot\aspnet_client\a.aspx`},
		{"héllo wörld ✓ 中文", "héllo wörld ✓ 中文"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},             // clear screen
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\a`}, // OSC retitle, BEL
		{"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", `\x1b]8;;http://x\x1b\link\x1b]8;;\x1b\`}, // OSC 8 hyperlink
		{"shell.aspx\nFAKE: verdict no-evidence", `shell.aspx\nFAKE: verdict no-evidence`},
		{"a\r\nb\tc\x00d\x7fe\b\f\v", `a\r\nb\tc\x00d\x7fe\b\f\v`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"\xe2\x82", `\xe2\x82`},                     // a truncated rune: each byte
		{"c1\u009b31m", `c1\u009b31m`},               // 8-bit CSI
		{"evil\u202egnp.aspx", `evil\u202egnp.aspx`}, // right-to-left override
		{"a\u2028b\u2029c\ufeffd", `a\u2028b\u2029c\ufeffd`},
		{"tag\U000e0041", `tag\U000e0041`},
	} {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineNoAllocWhenClean(t *testing.T) {
	s := "GET /owa/auth/logon.aspx Mozilla/5.0 (Windows NT 10.0) ✓"
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line of clean text allocated %v times", n)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"<td>\n\t<code>a.aspx</code>\n", "<td>\n\t<code>a.aspx</code>\n"},
		{"<code>sh\x1b]0;x\x07\r\nFAKE\xff</code>\n", "<code>sh\\x1b]0;x\\a\\r\nFAKE\\xff</code>\n"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"EXCH01", "EXCH01"},
		{"=HYPERLINK(\"http://x\",\"y\")", `'=HYPERLINK("http://x","y")`},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", `'\tcmd`},
		{"\r=1", `'\r=1`},
		{"a=1", "a=1"},
		{"x\x1b[31mred\n", `x\x1b[31mred\n`},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzLine: whatever the input, the output is valid UTF-8 without a byte
// or rune a terminal acts on, clean input comes back unchanged, and no
// input is lost (every escape is at least as long as what it replaces).
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x1b[2Jb", "\x1b]0;t\x07", "\xff\xfe", "\u202e\u009b", "x\r\ny", "\U000e0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Line(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("Line(%q) = %q: keeps %U", s, out, r)
			}
		}
		if firstUnsafe(s) < 0 && out != s {
			t.Fatalf("Line(%q) changed clean text to %q", s, out)
		}
		if len(out) < len(s) {
			t.Fatalf("Line(%q) = %q: shorter than its input", s, out)
		}
		c := Cell(s)
		if c != "" && strings.IndexByte("=+-@\t\r", c[0]) >= 0 {
			t.Fatalf("Cell(%q) = %q starts a formula", s, c)
		}
	})
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 5, "short"},
		{"longer", 4, "long…"},
		{"", 0, ""},
		{"ab", 0, "…"},
		{"aé", 2, "a…"},          // é is two bytes: not split
		{"a€b", 3, "a…"},         // € is three
		{"a€b", 4, "a€…"},        // the cut falls after it
		{"a\xffbc", 2, "a\xff…"}, // an invalid byte is kept, not dropped
		{"\x80\x80\x80\x80\x80x", 4, "\x80\x80\x80\x80…"}, // no rune start: cut at n
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
