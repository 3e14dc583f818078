package scan

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
)

// loopbackDial is the only dialer tests use: anything outside 127.0.0.0/8
// and ::1 fails the test instead of leaving the machine.
func loopbackDial(t *testing.T) func(ctx context.Context, network, addr string) (net.Conn, error) {
	t.Helper()
	d := &net.Dialer{}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil || !ap.Addr().IsLoopback() {
			t.Errorf("test tried to dial non-loopback %q", addr)
			return nil, fmt.Errorf("test guard: non-loopback %q", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// fakeResolver answers from a map and fails the test for other names.
type fakeResolver map[string]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, fmt.Errorf("no such host %s", host)
}

// fakeKB knows a handful of builds, with the CVE sets of the real
// knowledge base (internal/exchange) for them.
type fakeKB struct{}

var (
	cvesAll2016CU19  = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065", "CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523", "CVE-2022-41040", "CVE-2022-41080", "CVE-2022-41082", "CVE-2024-21410", "CVE-2025-53786"}
	cvesLine2016CU19 = []string{"CVE-2022-41040", "CVE-2022-41080", "CVE-2022-41082", "CVE-2024-21410", "CVE-2025-53786"}
	cvesSU2016CU19   = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065", "CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"}
)

func (fakeKB) Assess(b string) (Assessment, error) {
	if !strings.HasPrefix(b, "15.") { // as internal/exchange does today
		return Assessment{}, fmt.Errorf("exchange: not an Exchange build number: %s is Exchange 2010 or older", b)
	}
	switch b {
	case "15.1.2176.2":
		return Assessment{Build: b, Product: "Exchange Server 2016", CU: "CU19", Update: "CU19", Known: true,
			CVEs: cvesAll2016CU19, MissingUpdates: []string{"Feb21SU", "Mar21SU", "Apr21SU", "May21SU"}}, nil
	case "15.1.2176":
		return Assessment{Build: b, Product: "Exchange Server 2016", CU: "CU19", Known: true,
			CVEs: cvesLine2016CU19, SUDependentCVEs: cvesSU2016CU19}, nil
	case "15.1.2176.12":
		return Assessment{Build: b, Product: "Exchange Server 2016", CU: "CU19", Update: "Apr21SU", Known: true, CVEs: append([]string{"CVE-2021-31207"}, cvesLine2016CU19...)}, nil
	case "15.1.2176.14":
		return Assessment{Build: b, Product: "Exchange Server 2016", CU: "CU19", Update: "May21SU", Known: true, CVEs: cvesLine2016CU19}, nil
	case "15.2.2562.46", "15.2.1748.49":
		return Assessment{Build: b, Product: "Exchange Server SE", CU: "RTM", Update: "Aug26SU", Known: true,
			Conditional: []Conditional{{CVE: "CVE-2024-21410", Condition: "ExtendedProtection"}}}, nil
	}
	return Assessment{Build: b}, nil
}

func (fakeKB) Candidates(cu string) []string {
	if cu == "15.1.2176" {
		return []string{"15.1.2176.14", "15.1.2176.12", "15.1.2176.9", "15.1.2176.4", "15.1.2176.2"}
	}
	return nil
}

// testScanner is a Scanner that can only reach loopback.
func testScanner(t *testing.T, cfg Config) *Scanner {
	t.Helper()
	cfg.Dial = loopbackDial(t)
	if cfg.Resolver == nil {
		cfg.Resolver = fakeResolver{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Assessor == nil {
		cfg.Assessor = fakeKB{}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startHost(t *testing.T, cfg emulator.Config, tls bool) *emulator.Host {
	t.Helper()
	h, err := emulator.Start(cfg, emulator.Options{TLS: tls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func profile(t *testing.T, name string) emulator.Config {
	t.Helper()
	c, err := emulator.ProfileByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scanHost scans one emulated host directly.
func scanHost(t *testing.T, s *Scanner, h *emulator.Host) *Result {
	t.Helper()
	return s.scanOne(t.Context(), Target{Input: h.Addr.String(), Host: h.Addr.Addr().String(), Port: int(h.Addr.Port())})
}

func checkResult(t *testing.T, r *Result, name string) string {
	t.Helper()
	for _, c := range r.Active {
		if c.Check == name {
			return c.Result
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Active)
	return ""
}

func methods(r *Result) []string {
	var ms []string
	for _, m := range r.BuildMethods {
		ms = append(ms, m.Method+"="+m.Build)
	}
	slices.Sort(ms)
	return ms
}

// recordedConfig is the emulator profile that replays a recorded host.
func recordedConfig(t *testing.T, name string) emulator.Config {
	t.Helper()
	return profile(t, "recorded/"+name)
}

// startHostHandler serves an emulated host through wrap (to count or
// alter what it answers) over HTTPS on loopback.
func startHostHandler(t *testing.T, cfg emulator.Config, wrap func(http.Handler) http.Handler) *emulator.Host {
	t.Helper()
	srv := httptest.NewTLSServer(wrap(emulator.Handler(cfg)))
	t.Cleanup(srv.Close)
	return &emulator.Host{Config: cfg, Addr: netip.MustParseAddrPort(srv.Listener.Addr().String()), TLS: true}
}
