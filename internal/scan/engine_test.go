package scan

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
)

func startFleet(t *testing.T, first string, cfgs []emulator.Config) *emulator.Fleet {
	t.Helper()
	f, err := emulator.StartFleet(cfgs, emulator.FleetOptions{FirstIP: netip.MustParseAddr(first), TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fleetInput(f *emulator.Fleet) []Input {
	var args []string
	for _, h := range f.Hosts {
		args = append(args, h.Addr.String())
	}
	return []Input{{Name: "argument", Args: args}}
}

func TestRunFleetCountsAndShards(t *testing.T) {
	cfgs := emulator.Mix(40, emulator.MixOptions{Seed: 1, SlowDelay: 1})
	f := startFleet(t, "127.3.0.1", cfgs)
	in := append(fleetInput(f), Input{Name: "argument", Args: []string{"not a target!"}})

	seen := map[string]int{}
	var total Summary
	for k := 1; k <= 3; k++ {
		s := testScanner(t, Config{Shard: Shard{k, 3}})
		var mu sync.Mutex
		sum, err := s.Run(t.Context(), Targets(in, []int{443}), func(r *Result) error {
			mu.Lock()
			defer mu.Unlock()
			if r.IP != "" {
				seen[joinHostPort(r.Target, r.Port)]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		total.Scanned += sum.Scanned
		total.Exchange += sum.Exchange
		total.BadInput += sum.BadInput
		total.Errors += sum.Errors
	}
	if len(seen) != 40 || total.Scanned != 40 {
		t.Errorf("shards scanned %d distinct hosts (%d results), want 40", len(seen), total.Scanned)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s scanned %d times", k, n)
		}
	}
	wantEx := int64(0)
	for _, c := range cfgs {
		if c.Kind == emulator.Exchange {
			wantEx++
		}
	}
	if total.Exchange != wantEx || total.Errors != 0 || total.BadInput != 3 {
		t.Errorf("exchange %d errors %d bad input %d, want %d, 0, 3 (each shard reports the bad entry)", total.Exchange, total.Errors, total.BadInput, wantEx)
	}
}

func TestRunResumesAfterInterruption(t *testing.T) {
	f := startFleet(t, "127.3.1.1", emulator.Mix(30, emulator.MixOptions{Seed: 2, SlowDelay: 1}))
	state := filepath.Join(t.TempDir(), "scan.state")
	in := fleetInput(f)
	var mu sync.Mutex
	got := map[string]int{}
	record := func(r *Result) {
		mu.Lock()
		got[joinHostPort(r.Target, r.Port)]++
		mu.Unlock()
	}

	ctx, cancel := context.WithCancel(t.Context())
	s := testScanner(t, Config{StatePath: state, StateKey: "k", Concurrency: 2})
	n := 0
	_, err := s.Run(ctx, Targets(in, []int{443}), func(r *Result) error {
		record(r)
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if err == nil {
		t.Fatal("interrupted run returned no error")
	}
	st, err := LoadState(state, "k")
	if err != nil || st.Complete || st.DoneBelow < 8 {
		t.Fatalf("state after interrupt = %+v, %v; want incomplete with done_below >= 8", st, err)
	}
	if _, err := LoadState(state, "other"); err == nil {
		t.Error("state accepted for another input fingerprint")
	}

	s = testScanner(t, Config{StatePath: state, StateKey: "k"})
	sum, err := s.Run(t.Context(), Targets(in, []int{443}), func(r *Result) error { record(r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 {
		t.Errorf("after resume %d of 30 hosts scanned", len(got))
	}
	if sum.Skipped < 8 {
		t.Errorf("resume skipped %d, want >= 8", sum.Skipped)
	}
	rescanned := 0
	for _, c := range got {
		rescanned += c - 1
	}
	if rescanned > 2 {
		t.Errorf("%d hosts scanned twice, want at most the 2 in flight", rescanned)
	}
	if st, _ := LoadState(state, "k"); !st.Complete {
		t.Errorf("final state %+v not complete", st)
	}
}

func TestRunRefusedPortIsAHostError(t *testing.T) {
	h := startHost(t, emulator.Config{Kind: emulator.NotExchange}, true)
	addr := h.Addr.String()
	h.Close()
	s := testScanner(t, Config{})
	var res []*Result
	sum, err := s.Run(t.Context(), Targets([]Input{{Args: []string{addr}}}, []int{443}), func(r *Result) error { res = append(res, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Errors != 1 || len(res) != 1 || !strings.Contains(res[0].Error, "refused") {
		t.Errorf("summary %+v results %+v, want one refused-connection error", sum, res)
	}
}

func TestNamesResolveAndSNI(t *testing.T) {
	h := startHost(t, profile(t, "patched-se"), true)
	s := testScanner(t, Config{Resolver: fakeResolver{"mail.corp.test": h.Addr.Addr().String()}})
	r := s.scanOne(t.Context(), Target{Host: "mail.corp.test", Port: int(h.Addr.Port())})
	if r.Error != "" || r.IP != h.Addr.Addr().String() || !r.Exchange {
		t.Errorf("scan by name: %+v", r)
	}
	r = s.scanOne(t.Context(), Target{Host: "nxdomain.corp.test", Port: 443})
	if !strings.HasPrefix(r.Error, "resolve:") {
		t.Errorf("unresolvable name: error %q", r.Error)
	}
	if r.Exposed || r.Exchange || len(r.CVEs) != 0 {
		t.Errorf("unresolvable host judged: %+v", r)
	}
}

func TestSNIFromTargetName(t *testing.T) {
	var mu sync.Mutex
	var snis []string
	srv := httptest.NewUnstartedServer(emulator.Handler(profile(t, "patched-se")))
	srv.TLS = &tls.Config{GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		snis = append(snis, hi.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ap := netip.MustParseAddrPort(srv.Listener.Addr().String())
	s := testScanner(t, Config{Resolver: fakeResolver{"mail.corp.test": ap.Addr().String()}})
	if r := s.scanOne(t.Context(), Target{Host: "mail.corp.test", Port: int(ap.Port())}); !r.Exchange {
		t.Fatalf("by name: %+v", r)
	}
	if r := s.scanOne(t.Context(), Target{Host: ap.Addr().String(), Port: int(ap.Port())}); !r.Exchange {
		t.Fatalf("by IP: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(snis) != 2 || snis[0] != "mail.corp.test" || snis[1] != "" {
		t.Errorf("SNI per connection = %q, want [mail.corp.test \"\"] (one keep-alive connection per target)", snis)
	}
}

func TestIPv6Loopback(t *testing.T) {
	h, err := emulator.Start(profile(t, "patched-se"), emulator.Options{Addr: "[::1]:0", TLS: true})
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	s := testScanner(t, Config{})
	var got []*Result
	_, err = s.Run(t.Context(), Targets([]Input{{Args: []string{h.Addr.String()}}}, []int{443}), func(r *Result) error { got = append(got, r); return nil })
	if err != nil || len(got) != 1 || !got[0].Exchange || got[0].IP != "::1" || got[0].Build != "15.2.2562.56" {
		t.Errorf("scan of %s: %v %+v", h.Addr, err, got)
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.state")
	if st, err := LoadState(p, "k"); err != nil || st.DoneBelow != 0 {
		t.Errorf("missing state file: %+v %v, want a fresh start", st, err)
	}
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(p, "k"); err == nil {
		t.Error("corrupt state file accepted")
	}
	if err := SaveState(p, State{Version: 1, Inputs: "k", DoneBelow: 42}); err != nil {
		t.Fatal(err)
	}
	if st, err := LoadState(p, "k"); err != nil || st.DoneBelow != 42 {
		t.Errorf("round trip: %+v %v", st, err)
	}
	if err := SaveState(filepath.Join(dir, "missing", "s.state"), State{}); err == nil {
		t.Error("SaveState into a missing folder succeeded")
	}
}

// Rate limits are floors on time: n requests at 2/s per host (burst 2)
// take at least (n-2)/2 s, at 4/s globally (burst 1) (n-1)/4 s. The host
// sends no X-OWA-Version, so the fingerprint asks several doors.
func TestRateLimits(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		rate  float64
		burst int
	}{{Config{HostRate: 2}, 2, 2}, {Config{HostRate: -1, Rate: 4}, 4, 1}} {
		h := startHost(t, profile(t, "vulnerable-2016cu19"), true)
		s := testScanner(t, tc.cfg)
		start := time.Now()
		r := scanHost(t, s, h)
		floor := time.Duration(float64(r.Requests-tc.burst) / tc.rate * float64(time.Second))
		if took := time.Since(start); r.Requests < 5 || took < floor-20*time.Millisecond || !r.Exchange {
			t.Errorf("%+v: %d requests took %v (exchange %v), want >= %v", tc.cfg, r.Requests, took, r.Exchange, floor)
		}
	}
}
