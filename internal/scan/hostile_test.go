package scan

import (
	"runtime"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
)

// Each hostile server costs bounded time and memory, yields a per-host
// result (an error or a non-Exchange host), and never a false finding.
func TestHostileServers(t *testing.T) {
	const timeout = time.Second
	s := testScanner(t, Config{Timeout: timeout, HostTimeout: 5 * time.Second, Active: true, WebShells: true, HostRate: -1})
	tests := []struct {
		kind      emulator.Kind
		tls       bool
		wantError bool
	}{
		{emulator.Slowloris, true, true},
		{emulator.Slowloris, false, true},
		{emulator.EndlessHeaders, true, true},
		{emulator.EndlessBody, true, false},
		{emulator.GzipBomb, true, false},
		{emulator.RedirectLoop, true, false},
		{emulator.RedirectOffHost, true, false},
		{emulator.TLSStall, true, true},
		{emulator.Garbage, true, true},
	}
	for _, tt := range tests {
		name := tt.kind.String()
		if !tt.tls {
			name += "/plain"
		}
		t.Run(name, func(t *testing.T) {
			h := startHost(t, emulator.Config{Kind: tt.kind}, tt.tls)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := scanHost(t, s, h)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if took > 7*time.Second {
				t.Errorf("took %v, want bounded by the host budget", took)
			}
			if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
				t.Errorf("heap grew by %d MiB", grew>>20)
			}
			if (r.Error != "") != tt.wantError {
				t.Errorf("error = %q, want error: %v", r.Error, tt.wantError)
			}
			if r.Exchange || r.Exposed || r.WebShelled {
				t.Errorf("hostile server judged Exchange=%v exposed=%v webshelled=%v: %+v", r.Exchange, r.Exposed, r.WebShelled, r)
			}
		})
	}
}
