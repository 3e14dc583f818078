package scan

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

// freePort finds a port free on both addresses (a CIDR's hosts share one).
func freePort(t *testing.T, addrs ...string) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", addrs[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		ok := true
		for _, a := range addrs[1:] {
			l2, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			l2.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no common free port")
	return 0
}

// Results join back to the input: target is the entry exactly as given,
// url the base URL that answered, and errors name the scheme tried.
func TestResultsJoinBackToInput(t *testing.T) {
	port := freePort(t, "127.6.0.1", "127.6.0.2")
	fleet, err := emulator.StartFleet([]emulator.Config{profile(t, "patched-se"), {Kind: emulator.NotExchange}},
		emulator.FleetOptions{FirstIP: netip.MustParseAddr("127.6.0.1"), Port: port, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	tlsHost := startHost(t, profile(t, "patched-2019cu15"), true)
	plain := startHost(t, profile(t, "patched-2016cu23"), false)
	closed := startHost(t, emulator.Config{Kind: emulator.NotExchange}, true)
	closedAddr := closed.Addr.String()
	closed.Close()
	p := func(h *emulator.Host) string { return strconv.Itoa(int(h.Addr.Port())) }
	ps := strconv.Itoa(port)

	inputs := []string{
		"https://" + tlsHost.Addr.String(),             // a URL
		"127.0.0.1:" + p(plain),                        // host:port that speaks plain HTTP
		"localhost:" + p(tlsHost),                      // a name
		"https://localhost:" + p(tlsHost) + "/owa/",    // a URL into OWA
		"127.6.0.0/30",                                 // a CIDR: .0 .. .3, two answer
		closedAddr,                                     // nothing listens
		"https://localhost:" + p(plain) + "/mail/owa/", // explicit https on a plain port: no fallback
	}
	s := testScanner(t, Config{Resolver: fakeResolver{"localhost": "127.0.0.1"}, Retries: -1})
	var mu sync.Mutex
	got := map[string][]string{}
	_, err = s.Run(t.Context(), Targets([]Input{{Name: "argument", Args: inputs}}, []int{port}), func(r *Result) error {
		mu.Lock()
		defer mu.Unlock()
		state := r.ExchangeState
		if r.Error != "" {
			state = "error"
		}
		got[r.Target] = append(got[r.Target], strings.Join([]string{r.IP, r.URL, r.Scheme, state}, " "))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		inputs[0]: {"127.0.0.1 https://" + tlsHost.Addr.String() + " https yes"},
		inputs[1]: {"127.0.0.1 http://127.0.0.1:" + p(plain) + " http yes"},
		inputs[2]: {"127.0.0.1 https://localhost:" + p(tlsHost) + " https yes"},
		inputs[3]: {"127.0.0.1 https://localhost:" + p(tlsHost) + " https yes"},
		inputs[4]: {
			"127.6.0.0  https error", "127.6.0.1 https://127.6.0.1:" + ps + " https yes",
			"127.6.0.2 https://127.6.0.2:" + ps + " https no", "127.6.0.3  https error",
		},
		inputs[5]: {"127.0.0.1  https error"},
		inputs[6]: {"127.0.0.1  https error"},
	}
	for k := range got {
		slicesSort(got[k])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// A host:port that does not speak TLS is scanned in plain HTTP, and the
// result says so; with https:// asked explicitly it is an error that names
// the scheme.
func TestPlainHTTPFallback(t *testing.T) {
	h := startHost(t, profile(t, "vulnerable-2016cu19"), false)
	s := testScanner(t, Config{Retries: -1})
	r := s.scanOne(t.Context(), Target{Input: h.Addr.String(), Host: h.Addr.Addr().String(), Port: int(h.Addr.Port())})
	if r.Error != "" || r.Scheme != "http" || !r.Exchange || r.Build != "15.1.2176.2" || !strings.HasPrefix(r.URL, "http://") ||
		!strings.Contains(strings.Join(r.Notes, " "), "does not speak TLS") {
		t.Errorf("plain HTTP port: %+v", r)
	}
	r = s.scanOne(t.Context(), Target{Input: "https://" + h.Addr.String(), Host: h.Addr.Addr().String(), Port: int(h.Addr.Port()), Scheme: "https"})
	if r.Error == "" || r.Scheme != "https" || r.URL != "" || r.ExchangeState != "" {
		t.Errorf("explicit https on a plain port: %+v", r)
	}
}

// OWA published under another path: every door is asked under it.
func TestTargetPathIsHonoured(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	h := startHostHandler(t, profile(t, "vulnerable-2016cu19"), func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			if p, ok := strings.CutPrefix(r.URL.Path, "/mail"); ok {
				r.URL.Path = p
				next.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r) // nothing at the root
		})
	})
	s := testScanner(t, Config{})
	for _, in := range []string{"https://" + h.Addr.String() + "/mail/", "https://" + h.Addr.String() + "/mail/owa/auth/logon.aspx"} {
		paths = nil
		tg := Target{Input: in, Host: h.Addr.Addr().String(), Port: int(h.Addr.Port()), Scheme: "https", Path: strings.TrimPrefix(in, "https://"+h.Addr.String())}
		r := s.scanOne(t.Context(), tg)
		if !r.Exchange || r.Build != "15.1.2176.2" || r.URL != "https://"+h.Addr.String()+"/mail" {
			t.Errorf("%s: exchange %v build %q url %q: %q", in, r.Exchange, r.Build, r.URL, r.Signals)
		}
		for _, p := range paths {
			if !strings.HasPrefix(p, "/mail/") {
				t.Errorf("%s: asked %s outside the target's path", in, p)
			}
		}
	}
	for _, tc := range [][3]string{
		{"", "", ""}, {"/", "", ""}, {"/owa/", "", "/owa/"}, {"/OWA", "", "/OWA"},
		{"/mail/owa/auth/logon.aspx", "/mail", "/mail/owa/auth/logon.aspx"}, {"/webmail/", "/webmail", "/webmail/"},
		{"/a/ecp/default.aspx", "/a", "/a/ecp/default.aspx"}, {"/owasp/", "/owasp", "/owasp/"},
	} {
		if base, first := basePath(tc[0]); base != tc[1] || first != tc[2] {
			t.Errorf("basePath(%q) = %q %q, want %q %q", tc[0], base, first, tc[1], tc[2])
		}
	}
}

// --keep-order writes results in input order even when early hosts are
// slow; without it results stream as hosts finish. Bad entries keep their
// place.
func TestKeepOrder(t *testing.T) {
	slow := profile(t, "patched-se")
	slow.Delay = 60 * time.Millisecond
	var in []string
	for i := range 6 {
		c := profile(t, "patched-2019cu15")
		if i < 2 {
			c = slow
		}
		in = append(in, startHost(t, c, true).Addr.String())
		if i == 3 {
			in = append(in, "not a target!")
		}
	}
	run := func(keep bool) []string {
		s := testScanner(t, Config{KeepOrder: keep, Concurrency: 4, HostRate: -1})
		var order []string
		_, err := s.Run(t.Context(), Targets([]Input{{Args: in}}, []int{443}), func(r *Result) error {
			order = append(order, r.Target)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return order
	}
	if diff := cmp.Diff(in, run(true)); diff != "" {
		t.Errorf("--keep-order (-input +output)\n%s", diff)
	}
	if got := run(false); cmp.Equal(in, got) {
		t.Errorf("completion order equals input order although the first hosts are slow: %q", got)
	}
}

// closeOnTLS hands plain HTTP connections to the server and drops any that
// starts with a TLS record (0x16), as some plain-HTTP servers and load
// balancers do instead of answering 400.
type closeOnTLS struct{ net.Listener }

type peeked struct {
	net.Conn
	first []byte
}

func (p *peeked) Read(b []byte) (int, error) {
	if len(p.first) > 0 {
		n := copy(b, p.first)
		p.first = p.first[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

func (l closeOnTLS) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		b := make([]byte, 1)
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(b); err != nil || b[0] == 0x16 {
			c.Close()
			continue
		}
		_ = c.SetReadDeadline(time.Time{})
		return &peeked{c, b}, nil
	}
}

func TestPlainHTTPFallbackWhenTLSIsDropped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: emulator.Handler(profile(t, "patched-se"))}
	go srv.Serve(closeOnTLS{ln})
	t.Cleanup(func() { srv.Close() })
	ap := netip.MustParseAddrPort(ln.Addr().String())
	r := testScanner(t, Config{Retries: -1}).scanOne(t.Context(), Target{Host: ap.Addr().String(), Port: int(ap.Port())})
	if r.Error != "" || r.Scheme != "http" || !r.Exchange {
		t.Errorf("scheme %q exchange %v error %q, want the plain HTTP fallback", r.Scheme, r.Exchange, r.Error)
	}
}

// A target URL naming a door is read as that door: https://host/owa/ of a
// header-less Exchange 2010 still shows the logon redirect.
func TestTargetNamingADoor(t *testing.T) {
	h := startHost(t, profile(t, "exchange-2010sp3"), true)
	r := testScanner(t, Config{}).scanOne(t.Context(), Target{Input: "https://" + h.Addr.String() + "/owa/", Host: h.Addr.Addr().String(),
		Port: int(h.Addr.Port()), Scheme: "https", Path: "/owa/"})
	if !r.Exchange || !slices.ContainsFunc(r.Signals, func(s string) bool { return strings.HasPrefix(s, "GET /owa/ redirects to the OWA logon page") }) {
		t.Errorf("state %s signals %q", r.ExchangeState, r.Signals)
	}
}
