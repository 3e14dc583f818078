package scan

import (
	"net/netip"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
)

// BenchmarkScanFleet scans 200 emulated hosts (the bench/scan.sh mix
// without slow hosts) per iteration and reports hosts/s.
func BenchmarkScanFleet(b *testing.B) {
	for _, mode := range []struct {
		name string
		cfg  Config
	}{
		{"passive", Config{}},
		{"active", Config{Active: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			f, err := emulator.StartFleet(emulator.Mix(200, emulator.MixOptions{Seed: 3, Slow: 1e-9}),
				emulator.FleetOptions{FirstIP: netip.MustParseAddr("127.5.0.1"), TLS: true})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var args []string
			for _, h := range f.Hosts {
				args = append(args, h.Addr.String())
			}
			cfg := mode.cfg
			cfg.Concurrency, cfg.HostRate, cfg.Assessor = 64, -1, fakeKB{}
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			hosts := 0
			for b.Loop() {
				sum, err := s.Run(b.Context(), Targets([]Input{{Args: args}}, []int{443}), func(*Result) error { return nil })
				if err != nil || sum.Errors != 0 {
					b.Fatalf("%v, %d errors", err, sum.Errors)
				}
				hosts += int(sum.Scanned)
			}
			b.ReportMetric(float64(hosts)/b.Elapsed().Seconds(), "hosts/s")
		})
	}
}
