package scan

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

func TestWebShellCensus(t *testing.T) {
	s := testScanner(t, Config{WebShells: true, HostRate: -1})
	tests := []struct {
		name       string
		cfg        emulator.Config
		want       []string // found paths
		webshelled bool
	}{
		{"planted shells in aspnet_client and owa/auth are found", profile(t, "webshelled-2016cu19"),
			[]string{"found " + emulator.WebShellSupp0rt, "found " + emulator.WebShellOwaAuthOn}, true},
		{"clean twin of the same build is silent", profile(t, "vulnerable-2016cu19"), nil, false},
		{"catch-all 200 server is never compromised", emulator.Config{Kind: emulator.CatchAll}, nil, false},
		{"IIS answering 401 everywhere is silent", emulator.Config{Kind: emulator.IISNTLM}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scanHost(t, s, startHost(t, tt.cfg, true))
			var got []string
			for _, w := range r.WebShells {
				got = append(got, w.Status+" "+w.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s\n%+v", diff, r.WebShells)
			}
			if r.WebShelled != tt.webshelled {
				t.Errorf("webshelled = %v, want %v", r.WebShelled, tt.webshelled)
			}
		})
	}
}

func TestJudgeShell(t *testing.T) {
	page := func(status int, body string) *response { return &response{Status: status, Body: []byte(body)} }
	test := func(resp, base *response, want string) {
		t.Helper()
		st, ev, ok := judgeShell(resp, base)
		if !ok {
			st = "silent"
		}
		if st != want {
			t.Errorf("judgeShell(%d, base %v) = %s (%s), want %s", resp.Status, base, st, ev, want)
		}
	}
	test(page(200, ""), page(404, "nf"), "found")
	test(page(500, "Runtime Error"), page(404, "nf"), "found")
	test(page(404, "nf"), page(404, "nf"), "silent")
	test(page(200, "welcome"), page(200, "welcome"), "silent")       // catch-all, same page
	test(page(200, "a shell"), page(200, "welcome"), "inconclusive") // catch-all, different page
	test(page(302, ""), page(302, ""), "silent")                     // redirects everything
	test(page(403, ""), page(404, "nf"), "inconclusive")             // exists, but forbidden
	test(page(200, "x"), nil, "inconclusive")                        // no baseline: never "found"
	test(page(401, ""), nil, "silent")
}

// --webshells goes only to hosts judged Exchange; --webshells-all to every
// responding host. The host here is a plain IIS site (not Exchange) with a
// shell in aspnet_client.
func TestWebShellsOnlyOnExchange(t *testing.T) {
	var mu sync.Mutex
	census := 0
	h := startHostHandler(t, emulator.Config{Kind: emulator.NotExchange}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/aspnet_client/") {
				mu.Lock()
				census++
				mu.Unlock()
				if r.URL.Path == emulator.WebShellSupp0rt {
					w.WriteHeader(http.StatusOK)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	for _, tc := range []struct {
		cfg        Config
		webshelled bool
	}{{Config{WebShells: true}, false}, {Config{WebShellsAll: true}, true}} {
		census = 0
		r := scanHost(t, testScanner(t, tc.cfg), h)
		if r.Exchange || r.WebShelled != tc.webshelled || (census > 0) != tc.webshelled {
			t.Errorf("%+v: exchange %v webshelled %v, %d census requests", tc.cfg, r.Exchange, r.WebShelled, census)
		}
	}
}
