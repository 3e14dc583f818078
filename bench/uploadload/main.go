// Command uploadload drives exhunt serve's upload API the way a fleet of
// hunts does: N parallel uploaders each sending M hunt results, one per
// request. It reports latency percentiles, and with -ack records the id of
// every acknowledged result (fsynced) so a later -verify run can prove none
// was lost, e.g. across a kill -9 of the server. Used by bench/upload.sh.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/web"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "exhunt serve base URL")
	token := flag.String("token", os.Getenv("EXHUNT_TOKEN"), "bearer token")
	uploaders := flag.Int("uploaders", 20, "parallel uploaders")
	n := flag.Int("n", 500, "results per uploader")
	run := flag.String("run", "bench", "run name: hosts are RUN-UPLOADER, so a second run with the same name re-sends the same results")
	ack := flag.String("ack", "", "append the id of every acknowledged result to this file")
	verify := flag.String("verify", "", "check that every id in this file is stored, then exit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *uploaders}}
	if *verify != "" {
		os.Exit(verifyAcks(ctx, hc, *url, *token, *verify))
	}
	os.Exit(load(ctx, hc, *url, *token, *uploaders, *n, *run, *ack))
}

func load(ctx context.Context, hc *http.Client, url, token string, uploaders, n int, run, ackPath string) int {
	var ackMu sync.Mutex
	var ackFile *os.File
	if ackPath != "" {
		f, err := os.OpenFile(ackPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer f.Close()
		ackFile = f
	}
	c := &web.Client{HTTP: hc, Retries: -1} // no retries: measure the server, and stop at the first failure
	var mu sync.Mutex
	var lat []time.Duration
	var failed, fresh int
	var wg sync.WaitGroup
	start := time.Now()
	for u := range uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if ctx.Err() != nil {
					return
				}
				body, _ := json.Marshal(result(run, u, i))
				t0 := time.Now()
				resp, err := c.Post(ctx, url, token, body)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					failed++
					mu.Unlock()
					fmt.Fprintf(os.Stderr, "uploader %d result %d: %v\n", u, i, err)
					return
				}
				lat = append(lat, d)
				fresh += resp.New
				mu.Unlock()
				if ackFile != nil {
					ackMu.Lock()
					for _, s := range resp.Saved {
						fmt.Fprintln(ackFile, s.ID)
					}
					ackFile.Sync()
					ackMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("uploads=%d acknowledged=%d new=%d failed=%d elapsed=%s rate=%.0f/s p50=%s p90=%s p99=%s max=%s\n",
		uploaders*n, len(lat), fresh, failed, el.Round(time.Millisecond), float64(len(lat))/el.Seconds(),
		pct(.50).Round(time.Microsecond), pct(.90).Round(time.Microsecond), pct(.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if failed > 0 {
		return 1
	}
	return 0
}

// result is the i-th hunt result of uploader u: distinct per (run, u, i).
func result(run string, u, i int) finding.HostResult {
	return finding.HostResult{
		Host:    fmt.Sprintf("%s-%02d", run, u),
		Verdict: finding.ExploitationAttempted,
		Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		Findings: []finding.Finding{{Rule: "proxylogon-ssrf-cookie", Title: "ProxyLogon SSRF", Severity: finding.High,
			Outcome: finding.Attempted, Kind: finding.KindLog, Source: "W3SVC1/u_ex210303.log", Line: int64(i + 1),
			Evidence: strings.Repeat("x", 200), Details: map[string]string{"client_ip": "192.0.2.7"}}},
		Coverage: []finding.Coverage{{Source: "iis", Files: 1, Records: 1000}},
	}
}

func verifyAcks(ctx context.Context, hc *http.Client, url, token, path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); len(id) == 64 { // a torn last line is not an acknowledgement
			ids = append(ids, id)
		}
	}
	missing := 0
	for _, id := range ids {
		req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(url, "/")+"/api/v1/runs/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := hc.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			missing++
			fmt.Fprintf(os.Stderr, "acknowledged run %s: HTTP %d\n", id, res.StatusCode)
		}
	}
	fmt.Printf("acknowledged=%d missing=%d\n", len(ids), missing)
	if missing > 0 || len(ids) == 0 {
		return 1
	}
	return 0
}
