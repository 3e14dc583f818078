package rules

import (
	"net/url"
	"os"
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

// TestSplitScanAgrees checks the two-part scan against a single walk and
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
	for n := 0; n < 300; n += 7 {
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
