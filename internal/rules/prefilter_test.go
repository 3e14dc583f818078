package rules

import (
	"bytes"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

var w3cFields = strings.Fields("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")

// parseW3C models an IIS log parser that decodes what it can: '+' to
// space in headers, percent escapes in the URI, "-" as empty.
func parseW3C(line string) evidence.Map {
	m := evidence.Map{}
	for i, v := range strings.Split(line, " ") {
		if i >= len(w3cFields) {
			break
		}
		name := w3cFields[i]
		switch {
		case v == "-":
			v = ""
		case strings.HasPrefix(name, "cs("):
			v = strings.ReplaceAll(v, "+", " ")
		case strings.HasPrefix(name, "cs-uri"):
			if d, err := url.PathUnescape(v); err == nil {
				v = d
			}
		}
		m[name] = v
	}
	return m
}

func testdataMatcher(t testing.TB) *Matcher {
	t.Helper()
	s, errs := LoadFS(os.DirFS("testdata/sigma"), ".")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return s.ForSource(webLS)
}

const (
	attackLine = "2021-08-10 01:02:03 10.0.0.1 POST /autodiscover/autodiscover.json @evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com 443 - 1.2.3.4 python-requests/2.26.0 - 200 0 0 10"
	benignLine = "2021-08-10 01:02:03 10.0.0.1 GET /owa/ bO=1 443 - 1.2.3.4 Outlook-iOS/709.2189947.prod.iphone - 200 0 0 10"
)

func TestCandidate(t *testing.T) {
	rule := func(det string) *Rule { return mustParse(t, ruleYAML("category: webserver", det)) }
	proxyshell := rule("sel: {cs-uri-query|contains: '/autodiscover.json'}\nst: {sc-status: [200, 301]}\ncondition: sel and st")
	negOnly := rule("sel: {cs-method: GET}\ncondition: not sel")
	regex := rule("sel: {cs-uri-query|re: 'a+b'}\ncondition: sel")
	cookie := rule("sel: {cs-uri-query: 'Server~*/*~*'}\ncondition: sel")
	tests := []struct {
		name  string
		rules []*Rule
		line  string
		want  bool
	}{
		{"atom present", []*Rule{proxyshell}, attackLine, true},
		{"no atom", []*Rule{proxyshell}, benignLine, false},
		{"atom in upper case", []*Rule{proxyshell}, strings.ToUpper(benignLine) + " /AUTODISCOVER.JSON", true},
		{"atom split by punctuation is no atom", []*Rule{proxyshell}, benignLine + " autodis-cover", false},
		{"percent-escaped letter", []*Rule{proxyshell}, benignLine + " /%61utodiscover.json", true},
		{"double escape", []*Rule{proxyshell}, benignLine + " %2561", true},
		{"iis unicode escape", []*Rule{proxyshell}, benignLine + " %u0061", true},
		{"escaped punctuation only", []*Rule{proxyshell}, benignLine + " a%20b%2F", false},
		{"kelvin sign", []*Rule{proxyshell}, benignLine + " \u212a", true},
		{"negation only rule", []*Rule{proxyshell, negOnly}, benignLine, true},
		{"regex rule", []*Rule{regex}, benignLine, true},
		{"no rules", nil, attackLine, false},
		{"tilde in the atom", []*Rule{cookie}, benignLine + " Server~exch01/x~1", true},
		{"the word without its tilde", []*Rule{cookie}, benignLine + " /Microsoft-Server-ActiveSync/default.eas", false},
		{"escaped tilde", []*Rule{cookie}, benignLine + " Server%7Eexch01", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := NewSet(tt.rules...)
			if got := s.ForSource(webLS).Candidate([]byte(tt.line)); got != tt.want {
				t.Errorf("Candidate = %v, want %v\n%s", got, tt.want, tt.line)
			}
		})
	}
}

// TestCandidateNeverMissesMatch checks the prefilter's promise on the
// SigmaHQ web rules: a line whose record matches a rule is a candidate.
func TestCandidateNeverMissesMatch(t *testing.T) {
	m := testdataMatcher(t)
	lines := []string{
		attackLine,
		benignLine,
		"2021-03-03 07:12:33 10.0.0.1 GET /ecp/x.js cmd=whoami 443 - 1.2.3.4 Mozilla/5.0 - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 POST /ecp/DDI/DDIService.svc/SetObject schema=ResetOABVirtualDirectory&msExchEcpCanary=x 443 HealthMailbox$ 1.2.3.4 ExchangeServicesClient/0.0.0.0 - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 POST /owa/mastermailbox/powershell x 443 - 1.2.3.4 - - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 GET /aspnet_client/system_web/x.aspx c=%63md%2Fc+%77hoami 443 - 1.2.3.4 antSword/v2.1 - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 POST /x.aspx cmd=read 443 - 1.2.3.4 - - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 GET /autodiscover/autodiscover.json @foo.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3f@foo.com 443 - 1.2.3.4 - - 401 0 0 1",
	}
	matched := 0
	for _, line := range lines {
		var hits []string
		m.Match(&evidence.Record{Log: webLS, Fields: parseW3C(line)}, func(r *Rule) { hits = append(hits, r.Title) })
		if len(hits) > 0 {
			matched++
			if !m.Candidate([]byte(line)) {
				t.Errorf("rules %q match but Candidate is false:\n%s", hits, line)
			}
		}
	}
	if matched < 5 {
		t.Errorf("only %d attack lines matched; the corpus rules should catch more", matched)
	}
	if m.Candidate([]byte(benignLine)) {
		t.Errorf("benign Outlook line is a candidate")
	}
}

// TestSplitScanAgrees checks the two- and four-part scans against a single walk and
// against strings.Contains, with an atom at every offset of lines of many
// lengths (an atom across the middle must be found).
func TestSplitScanAgrees(t *testing.T) {
	atoms := []string{"autodiscover", "mapi", "x.y-z_1", "exchangeservicesclient"}
	var rules []*Rule
	for i, a := range atoms {
		r := mustParse(t, strings.Replace(ruleYAML("category: webserver", "sel: {q|contains: '"+a+"'}\ncondition: sel"),
			"11111111-2222-3333-4444-555555555555", string(rune('a'+i)), 1))
		rules = append(rules, r)
	}
	s, _ := NewSet(rules...)
	p := s.ForSource(webLS).pre
	if p == nil || p.maxLen != len("exchangeservicesclient") {
		t.Fatalf("prefilter %+v", p)
	}
	for n := 0; n < 500; n += 7 { // up to 4*maxLen: one walk; then two parts; from 8*maxLen: four
		filler := strings.Repeat("ab/c+", n/5+1)[:n]
		for _, a := range atoms {
			for off := 0; off+len(a) <= n; off++ {
				line := filler[:off] + strings.ToUpper(a) + filler[off+len(a):]
				if !p.contains([]byte(line)) || !scanFrom(p.scan, p.hit, []byte(line)) {
					t.Fatalf("atom %q at %d of %d not found: %q", a, off, n, line)
				}
			}
		}
		// Near miss: atoms broken by one byte are not found.
		broken := filler + "autodiscove_r mxapi exchangeservices-client"
		if p.contains([]byte(broken)) {
			t.Fatalf("broken atoms found in %q", broken)
		}
	}
}

// hidesAtomsRef is the escape check the prefilter's DFA took over, as it
// was written when it was a pass of its own over each line, except that an
// IIS %u escape counts at the very end of the line too.
func hidesAtomsRef(line []byte) bool {
	for i := bytes.IndexByte(line, '%'); i >= 0 && i+1 < len(line); {
		a := line[i+1]
		if a == 'u' || a == 'U' {
			return true
		}
		if i+2 < len(line) {
			if v, err := strconv.ParseUint(string(line[i+1:i+3]), 16, 8); err == nil && hidesAtomByte(byte(v)) {
				return true
			}
		}
		j := bytes.IndexByte(line[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(line, []byte("\u212a")) || bytes.Contains(line, []byte("\u0130"))
}

// TestEscapesInOnePass drives the prefilter with random lines made of atom
// bytes, percent escapes, hex digits and the bytes of the hiding
// characters, and checks it against the plain definition: an atom in the
// ASCII-lower-cased line, or an escape or character that could hide one.
func TestEscapesInOnePass(t *testing.T) {
	atoms := []string{"abc", "x.y", "4e1", "autodiscover", "a~b"}
	var rules []*Rule
	for i, a := range atoms {
		rules = append(rules, mustParse(t, strings.Replace(ruleYAML("category: webserver", "sel: {q|contains: '"+a+"'}\ncondition: sel"),
			"11111111-2222-3333-4444-555555555555", string(rune('a'+i)), 1)))
	}
	s, _ := NewSet(rules...)
	m := s.ForSource(webLS)
	if m.pre == nil {
		t.Fatal("no prefilter")
	}
	none, _ := NewSet(mustParse(t, ruleYAML("category: webserver", "sel: {q|contains: 'zzzzzz'}\ncondition: sel")))
	mNone := none.ForSource(webLS)
	pieces := []string{"%", "%", "u", "U", "2", "5", "e", "E", "f", "c", "4", "1", "a", "b", "x", ".", "y", "A", "/", " ", "+", "-", "\xc4", "\xb0", "\xe2", "\x84", "\xaa", "autodiscover", "AutoDiscover", "%2e", "%25", "%41", "%20", "%u00", "abc", "4e1", "x.y", "~", "%7e", "a~b"}
	rng := rand.New(rand.NewPCG(7, 11))
	lower := func(b []byte) string {
		out := make([]byte, len(b))
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out[i] = c
		}
		return string(out)
	}
	for n := range 200000 {
		var line []byte
		for range rng.IntN(12) {
			line = append(line, pieces[rng.IntN(len(pieces))]...)
		}
		if n%3 == 0 { // long lines take the two-part scan
			line = append(bytes.Repeat([]byte("/q+"), 10+rng.IntN(40)), line...)
		}
		want := hidesAtomsRef(line)
		if l := lower(line); !want {
			for _, a := range atoms {
				want = want || strings.Contains(l, a)
			}
		}
		if got := m.Candidate(line); got != want {
			t.Fatalf("Candidate(%q) = %v, want %v", line, got, want)
		}
		if got, want := mNone.Candidate(line), hidesAtomsRef(line) || strings.Contains(lower(line), "zzzzzz"); got != want {
			t.Fatalf("without atoms here: Candidate(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestSelectAgreesWithMatch: on attack and benign lines (and lines with
// escapes), the rules MatchSelected runs after Select find exactly what
// Match finds, with the SigmaHQ web rules and with the built-in pack (for
// HttpProxy records too, selected by the any-protocol Matcher as a hunt
// does), while most rules are skipped.
func TestSelectAgreesWithMatch(t *testing.T) {
	builtin, errs := Builtin()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	lines := append([]string{attackLine, benignLine,
		"2021-03-03 07:12:33 10.0.0.1 GET /aspnet_client/system_web/x.aspx c=%63md%2Fc+%77hoami 443 - 1.2.3.4 antSword/v2.1 - 200 0 0 1",
		"2021-03-03 07:12:33 10.0.0.1 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=1; 443 - 203.0.113.66 ExchangeServicesClient/0.0.0.0 - 241 0 0 31",
		"2021-03-03 07:12:33 10.0.0.1 GET /aspnet_client/system_web/Xk3pQz8a.aspx p=whoami 443 - 203.0.113.66 - - 200 0 0 15",
		"2021-03-03 07:12:33 10.0.0.1 POST /owa/auth/logon.aspx url=https%3a%2f%2fmail%2f 443 - 1.2.3.4 Mozilla/5.0 - 302 0 0 15",
		"2021-03-03 07:12:33 10.0.0.1 POST /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 203.0.113.66 python-requests/2.25.1 - 200 0 0 42",
		"2021-03-03 07:12:33 10.0.0.1 RPC_IN_DATA /rpc/rpcproxy.dll exch01:6001 443 CORP\\bob 1.2.3.4 MSRPC - 200 0 0 1",
	}, func() (out []string) {
		for _, l := range benchLines(60) {
			out = append(out, string(l))
		}
		return out
	}()...)
	for _, m := range []*Matcher{testdataMatcher(t), builtin.ForSource(webLS)} {
		var sel Selection
		skipped, matched := 0, 0
		for _, line := range lines {
			rec := &evidence.Record{Log: webLS, Fields: parseW3C(line)}
			var all, some []string
			m.Match(rec, func(r *Rule) { all = append(all, r.ID) })
			m.Select([]byte(line), &sel)
			m.MatchSelected(rec, &sel, func(r *Rule) { some = append(some, r.ID) })
			if !slices.Equal(all, some) {
				t.Errorf("Match finds %q, MatchSelected %q:\n%s", all, some, line)
			}
			matched += len(all)
			for i := range m.entries {
				if !sel.selected(m.entries[i].id) {
					skipped++
				}
			}
		}
		if matched < 3 || skipped < len(lines)*m.Len()/2 {
			t.Errorf("%d matches, %d of %d rule runs skipped: the test does not exercise the selection", matched, skipped, len(lines)*m.Len())
		}
	}
	// An HttpProxy record: selected with the any-protocol Matcher, matched
	// with its protocol's.
	pre := builtin.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: AnyCategory})
	ecp := builtin.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "ecp"})
	line := "2021-03-03T01:02:03.123Z,a1b2,15,1,2176,2,,Ecp,mail,/ecp/y.js,,,false,,,ServerInfo~a]@EXCH01:444/ecp/proxyLogon.ecp#~1,ExchangeServicesClient/0.0.0.0,203.0.113.7,EXCH01,241"
	rec := &evidence.Record{Log: evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "ecp"}, Fields: evidence.Map{
		"UrlStem": "/ecp/y.js", "AnchorMailbox": "ServerInfo~a]@EXCH01:444/ecp/proxyLogon.ecp#~1", "UserAgent": "ExchangeServicesClient/0.0.0.0",
		"ClientIpAddress": "203.0.113.7", "HttpStatus": "241", "Protocol": "Ecp", "Method": "POST"}}
	var all, some []string
	var sel Selection
	ecp.Match(rec, func(r *Rule) { all = append(all, r.ID) })
	pre.Select([]byte(line), &sel)
	ecp.MatchSelected(rec, &sel, func(r *Rule) { some = append(some, r.ID) })
	if len(all) == 0 || !slices.Equal(all, some) {
		t.Errorf("HttpProxy: Match finds %q, MatchSelected %q", all, some)
	}
}
