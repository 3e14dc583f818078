//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/exhunt/exhunt/internal/queue"
	"github.com/exhunt/exhunt/internal/store/pgtest"
)

// testQueueURL gives the test its own schema in the test database: the
// queue URL names it in search_path, so River's tables and the store's go
// there. conn is a connection to that schema, for the checks.
func testQueueURL(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	url := pgtest.DSN(t, "exhunt_fleet")
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return url, conn
}

// process is exhunt running as a child process.
type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{} // closed when it exited, with err set
	err    error
}

func startExhunt(t *testing.T, args ...string) *process {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), subprocessEnv+"="+string(raw))
	p := &process{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", args[len(args)-1], p.stderr.String())
		}
	})
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func count(t *testing.T, conn *pgx.Conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestQueueFleet is issue 17's proof: an emulated fleet of 1,000 hosts is
// scanned by 3 worker processes sharing a PostgreSQL queue; one worker is
// killed with SIGKILL in the middle of a job; every host ends up stored
// exactly once, the killed worker's job is rescued and redone, enqueueing
// the same list again does no work, and hunt jobs run, dedupe and fail
// visibly through the same workers.
func TestQueueFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the fleet test takes about a minute")
	}
	url, conn := testQueueURL(t)
	ctx := context.Background()

	cfgs := emulator.Mix(1000, emulator.MixOptions{Seed: 17})
	fleet, err := emulator.StartFleet(cfgs, emulator.FleetOptions{FirstIP: netip.MustParseAddr("127.2.0.1"), TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	var list strings.Builder
	wantExchange := 0
	for i, h := range fleet.Hosts {
		fmt.Fprintln(&list, h.Addr.String())
		if cfgs[i].Kind == emulator.Exchange {
			wantExchange++
		}
	}
	targets := filepath.Join(t.TempDir(), "fleet.txt")
	os.WriteFile(targets, []byte(list.String()), 0o600)

	// Hunt bundles: a folder; the same files zipped behind a URL, and
	// behind a second URL (the same bytes: one job); another zip whose URL
	// stops answering after the enqueue.
	evidence, _ := filepath.Abs("../../internal/hunt/testdata/server1")
	zipped, other := zipFolder(t, evidence, false), zipFolder(t, evidence, true)
	var broken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/broken.zip":
			w.Write(zipped)
		case broken.Load():
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		default:
			w.Write(other)
		}
	}))
	t.Cleanup(srv.Close)

	scanArgs := []string{"scan", "--queue", url, "-i", targets, "--chunk-size", "25", "--concurrency", "16", "--host-rate", "0", "--timeout", "3s"}
	code, out, errs := cli(t, "", scanArgs...)
	scanID := strings.TrimSpace(out)
	if code != 0 || len(scanID) != 16 || !strings.Contains(errs, "1000 targets in 40 jobs: 40 enqueued, 0 already") {
		t.Fatalf("enqueue: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	code, out, errs = cli(t, "", "hunt", "--queue", url, "--attempts", "2", evidence, srv.URL+"/server1.zip", srv.URL+"/copy.zip", srv.URL+"/broken.zip")
	if code != 0 || !strings.Contains(errs, "4 bundles: 3 enqueued, 1 already queued") {
		t.Fatalf("hunt enqueue: exit %d, %s %s", code, out, errs)
	}
	broken.Store(true)

	worker := func(id string) *process {
		return startExhunt(t, "worker", "--queue", url, "--concurrency", "2", "--job-timeout", "6s", "--exit-when-idle", "--id", id)
	}
	victim := worker("victim")
	others := []*process{worker("w2"), worker("w3")}

	// Once a tenth of the fleet is stored, freeze the victim while it holds
	// a running job, so it cannot commit between the look and the kill,
	// then kill it.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the victim never ran a job")
		}
		if count(t, conn, `SELECT COUNT(*) FROM scan_targets WHERE scan_id = $1`, scanID) >= 100 &&
			count(t, conn, `SELECT COUNT(*) FROM river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = 'victim'`) > 0 {
			victim.cmd.Process.Signal(syscall.SIGSTOP)
			time.Sleep(200 * time.Millisecond) // a commit already sent lands
			if count(t, conn, `SELECT COUNT(*) FROM river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = 'victim'`) > 0 {
				break
			}
			victim.cmd.Process.Signal(syscall.SIGCONT)
		}
		time.Sleep(20 * time.Millisecond)
	}
	killed := time.Now()
	stuck := count(t, conn, `SELECT COUNT(*) FROM river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = 'victim'`)
	stuckScans := count(t, conn, `SELECT COUNT(*) FROM river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = 'victim' AND kind = $1`, queue.ScanArgs{}.Kind())
	victim.cmd.Process.Kill()
	<-victim.done
	done := count(t, conn, `SELECT COUNT(*) FROM scan_targets WHERE scan_id = $1`, scanID)
	t.Logf("killed the victim with %d jobs running, %d of 1000 targets stored", stuck, done)
	if done >= 1000 {
		t.Fatal("the scan was over before the kill")
	}

	for _, p := range others {
		select {
		case <-p.done:
			if p.err != nil {
				t.Fatalf("worker: %v\n%s", p.err, p.stderr)
			}
		case <-time.After(150 * time.Second):
			t.Fatalf("workers did not finish; stderr:\n%s", p.stderr)
		}
	}
	t.Logf("the other workers were done %.1f s after the kill", time.Since(killed).Seconds())

	// Every host stored exactly once, each scanned by someone.
	if n := count(t, conn, `SELECT COUNT(*) FROM scan_targets WHERE scan_id = $1`, scanID); n != 1000 {
		t.Errorf("%d targets recorded, want 1000", n)
	}
	if n := count(t, conn, `SELECT COUNT(*) FROM runs WHERE kind = 'scan'`); n != 1000 {
		t.Errorf("%d scan results stored, want 1000 (one per host)", n)
	}
	if n := count(t, conn, `SELECT COUNT(*) FROM runs WHERE kind = 'scan' AND exchange = 1`); n != wantExchange {
		t.Errorf("%d hosts stored as Exchange, the fleet has %d", n, wantExchange)
	}
	var missing int
	for _, h := range fleet.Hosts {
		if count(t, conn, `SELECT COUNT(*) FROM scan_targets WHERE scan_id = $1 AND target_key = $2`, scanID, h.Addr.String()) != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d fleet hosts have no record of their own", missing)
	}
	// The victim's jobs were rescued and redone by another worker.
	// (The broken bundle's job may be among them: it then fails elsewhere.)
	rescued := count(t, conn, `SELECT COUNT(*) FROM river_job WHERE state IN ('completed', 'discarded') AND 'victim' = ANY(attempted_by)
		AND attempted_by[array_upper(attempted_by, 1)] <> 'victim' AND errors[1]->>'error' LIKE '%Stuck job rescued%'`)
	if rescued != stuck {
		t.Errorf("%d of the victim's %d running jobs were rescued and finished elsewhere", rescued, stuck)
	}

	// Status: the scan complete, the broken bundle failed with its error.
	code, out, errs = cli(t, "", "queue", "status", "--queue", url, "--format", "json")
	if code != 0 {
		t.Fatalf("queue status: exit %d %s", code, errs)
	}
	var st struct{ Groups []queue.Group }
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 2 {
		t.Fatalf("status groups: %s", out)
	}
	sc, hu := st.Groups[0], st.Groups[1]
	if sc.Kind != "scan" || sc.ID != scanID || sc.Stored != 1000 || sc.Targets != 1000 || sc.Jobs.Completed != 40 ||
		sc.Jobs.Failed != 0 || sc.Jobs.Retried < stuckScans || !sc.Done() {
		// At least the victim's jobs were retried; on a loaded machine a
		// chunk may also outlive the test's short --job-timeout and be
		// redone, which the exactly-once checks above already cover.
		t.Errorf("scan status = %+v", sc)
	}
	if hu.Kind != "hunt" || hu.Jobs.Completed != 2 || hu.Jobs.Failed != 1 || len(hu.Errors) != 1 ||
		!strings.Contains(hu.Errors[0].Error, "HTTP 503") || hu.Errors[0].Attempt != 2 {
		t.Errorf("hunt status = %+v", hu)
	}
	code, out, _ = cli(t, "", "queue", "status", "--queue", url)
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "scan "+scanID+" 1000/1000 0 0 40") || !strings.Contains(out, "failed after attempt 2: GET "+srv.URL+"/broken.zip: HTTP 503") {
		t.Errorf("queue status text:\n%s", out)
	}

	// The hunt stored the same result a local hunt gives.
	_, local, _ := cli(t, "", "hunt", "--no-store", "--format", "json", evidence)
	var want struct {
		Verdict  string
		Findings []json.RawMessage
	}
	json.Unmarshal([]byte(local), &want)
	rows, err := conn.Query(ctx, `SELECT verdict, findings FROM runs WHERE kind = 'hunt'`)
	if err != nil {
		t.Fatal(err)
	}
	hunts := 0
	for rows.Next() {
		var verdict string
		var nf int
		rows.Scan(&verdict, &nf)
		if hunts++; verdict != want.Verdict || nf != len(want.Findings) || want.Verdict == "" {
			t.Errorf("queued hunt: %s with %d findings, local hunt: %s with %d", verdict, nf, want.Verdict, len(want.Findings))
		}
	}
	rows.Close()
	if hunts != 2 || count(t, conn, `SELECT COUNT(*) FROM hunt_bundles`) != 2 {
		t.Errorf("%d hunt results, %d bundles recorded; want 2 (the folder and the zip)", hunts, count(t, conn, `SELECT COUNT(*) FROM hunt_bundles`))
	}

	// The same list again: the same scan, no new job, no new work.
	jobs := count(t, conn, `SELECT COUNT(*) FROM river_job`)
	code, out, errs = cli(t, "", scanArgs...)
	if code != 0 || strings.TrimSpace(out) != scanID || !strings.Contains(errs, "0 enqueued, 40 already queued or done") {
		t.Errorf("enqueue again: exit %d, %q, %s", code, out, errs)
	}
	if n := count(t, conn, `SELECT COUNT(*) FROM river_job`); n != jobs {
		t.Errorf("enqueue again added %d jobs", n-jobs)
	}
	// --wait on it returns at once with the stored results, as a local scan prints them.
	code, out, errs = cli(t, "", append(scanArgs, "--wait", "--format", "jsonl")...)
	if code != 1 || strings.Count(out, "\n") != 1000 || !strings.Contains(errs, "1000 of 1000 targets stored") {
		t.Errorf("--wait: exit %d, %d lines, %s", code, strings.Count(out, "\n"), errs)
	}
	if n := count(t, conn, `SELECT COUNT(*) FROM runs`); n != 1002 {
		t.Errorf("%d runs after everything, want 1000 scans and 2 hunts", n)
	}
}

func zipFolder(t *testing.T, dir string, extra bool) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	if extra {
		w, _ := zw.Create("README.txt")
		w.Write([]byte("another bundle\n"))
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, _ := zw.Create(filepath.ToSlash(rel))
		data, _ := os.ReadFile(p)
		w.Write(data)
		return nil
	})
	zw.Close()
	return b.Bytes()
}
