package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/fetch"
	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
)

// WorkerConfig configures Work.
type WorkerConfig struct {
	Store *store.Store
	// SameDB says the store is the queue's database: results and job
	// completion then commit in one transaction. Otherwise results are
	// committed first (once per target, by the scan record's key) and the
	// job completed after.
	SameDB          bool
	ID              string        // worker name in River (default exhunt-HOST-PID)
	Concurrency     int           // scan chunk jobs at once (default 4)
	HuntConcurrency int           // hunt jobs at once (default 1: a hunt uses every CPU)
	JobTimeout      time.Duration // a job running longer is cancelled, and rescued after RescueAfter (default 30m)
	ExitWhenIdle    bool          // return once no job is pending or running
	IdlePoll        time.Duration // how often ExitWhenIdle looks (default 1s)
	Assessor        scan.Assessor // build → exposure for scans
	Hunt            hunt.Options  // template for hunts (rules, KB, file checks)
	RulesVersion    string        // this worker's rule pack, recorded in hunt results
	Log             *slog.Logger
}

// RescueAfter is how long a job may stay running before River's rescuer
// gives it to another worker: the job timeout plus a tenth of it (at least
// 2 s, at most 5 min), so a job cancelled at its timeout has rolled back
// before it is redone. River's rescuer looks every 30 s, so a dead
// worker's job is redone between RescueAfter and RescueAfter+30 s after it
// started.
func RescueAfter(jobTimeout time.Duration) time.Duration {
	return jobTimeout + min(max(jobTimeout/10, 2*time.Second), 5*time.Minute)
}

func (c *WorkerConfig) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.HuntConcurrency <= 0 {
		c.HuntConcurrency = 1
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 30 * time.Minute
	}
	if c.IdlePoll <= 0 {
		c.IdlePoll = time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.ID == "" {
		host, _ := os.Hostname()
		c.ID = fmt.Sprintf("exhunt-%s-%d", strings.ReplaceAll(host, ".", "_"), os.Getpid())
	}
}

// Work runs scan and hunt jobs from q until ctx ends (then lets running
// jobs finish for up to a minute) or, with ExitWhenIdle, until no job is
// pending or running.
func Work(ctx context.Context, q *Queue, cfg WorkerConfig) error {
	cfg.defaults()
	if cfg.Store == nil {
		return errors.New("queue: worker needs a store")
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &scanWorker{cfg: &cfg, q: q})
	river.AddWorker(workers, &huntWorker{cfg: &cfg, q: q})
	client, err := river.NewClient(riverpgxv5.New(q.pool), &river.Config{
		ID:     cfg.ID,
		Schema: q.schema,
		Queues: map[string]river.QueueConfig{
			ScanQueue: {MaxWorkers: cfg.Concurrency},
			HuntQueue: {MaxWorkers: cfg.HuntConcurrency},
		},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: RescueAfter(cfg.JobTimeout),
		Logger:               quiet(cfg.Log),
	})
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	// Jobs run under their own context: ^C stops fetching, and running
	// jobs get a minute to finish before they are cancelled.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("queue: start worker: %w", err)
	}
	cfg.Log.Info("worker started", "id", cfg.ID, "schema", q.schema, "concurrency", cfg.Concurrency,
		"job_timeout", cfg.JobTimeout, "rescue_after", RescueAfter(cfg.JobTimeout))
	var idle <-chan struct{}
	if cfg.ExitWhenIdle {
		idle = q.waitIdle(ctx, cfg.IdlePoll)
	}
	var reason error
	select {
	case <-ctx.Done():
		reason = ctx.Err()
	case <-idle:
		cfg.Log.Info("no job pending or running: stopping", "id", cfg.ID)
	case <-client.Stopped():
		return errors.New("queue: worker stopped unexpectedly")
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		cfg.Log.Warn("jobs still running after a minute: cancelling them (they will be retried)", "err", err)
		ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		client.StopAndCancel(ctx2) //nolint:errcheck // best effort on the way out
	}
	return reason
}

// waitIdle is closed once two looks in a row find no job pending or running.
func (q *Queue) waitIdle(ctx context.Context, every time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		quiet := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n, err := q.Active(ctx)
			if err != nil || n > 0 {
				quiet = 0
				continue
			}
			if quiet++; quiet >= 2 {
				close(done)
				return
			}
		}
	}()
	return done
}

// Active counts exhunt jobs that are pending (available, scheduled, waiting
// for a retry) or running.
func (q *Queue) Active(ctx context.Context) (int, error) {
	var n int
	err := q.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+q.table("river_job")+`
		WHERE kind IN ($1, $2) AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`,
		ScanArgs{}.Kind(), HuntArgs{}.Kind()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue: count active jobs: %w", err)
	}
	return n, nil
}

// complete stores a job's results and marks it complete: in one
// transaction when the store is the queue's database.
func complete[T river.JobArgs](ctx context.Context, cfg *WorkerConfig, q *Queue, job *river.Job[T],
	inTx func(pgx.Tx) error, alone func() error) error {
	if !cfg.SameDB {
		return alone() // River completes the job when Work returns nil
	}
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("queue: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := inTx(tx); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("queue: complete job %d: %w", job.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("queue: commit job %d: %w", job.ID, err)
	}
	return nil
}

type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	cfg *WorkerConfig
	q   *Queue
}

func (w *scanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	a := job.Args
	ordinal := map[string]int64{}
	keys := make([]string, 0, len(a.Targets))
	for i, e := range a.Targets {
		t, err := parseEntry(e)
		if err != nil {
			return river.JobCancel(fmt.Errorf("chunk %d: %w", a.Chunk, err))
		}
		k := store.TargetKey(t.Host, t.Port)
		ordinal[k] = a.First + int64(i)
		keys = append(keys, k)
	}
	// Targets this scan recorded already (a chunk enqueued again after
	// River forgot the finished job) are not scanned again.
	done, err := w.cfg.Store.Scanned(ctx, a.ScanID, keys)
	if err != nil {
		return err
	}
	var todo []string
	for i, e := range a.Targets {
		if !done[keys[i]] {
			todo = append(todo, e)
		}
	}
	o := a.Options
	sc, err := scan.New(scan.Config{Concurrency: o.Concurrency, Rate: o.Rate, HostRate: o.HostRate,
		Timeout: time.Duration(o.TimeoutMS) * time.Millisecond, HostTimeout: time.Duration(o.HostTimeoutMS) * time.Millisecond,
		Retries: o.Retries, Active: o.Active, WebShells: o.WebShells, Assessor: w.cfg.Assessor})
	if err != nil {
		return river.JobCancel(err)
	}
	var items []store.ScanItem
	var bad []string
	if len(todo) > 0 {
		_, err = sc.Run(ctx, scan.Targets([]scan.Input{{Name: "chunk", Args: todo}}, []int{443}), func(r *scan.Result) error {
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			d, ok, err := result.Classify(raw)
			if err != nil || !ok {
				bad = append(bad, fmt.Sprintf("%s: %v", r.Target, err))
				return nil
			}
			items = append(items, store.ScanItem{Doc: d, Ordinal: ordinal[store.TargetKey(r.Target, r.Port)]})
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan chunk %d: %w", a.Chunk, err) // interrupted or timed out: retried
		}
	}
	if len(bad) > 0 {
		w.cfg.Log.Warn("scan results not storable", "scan", a.ScanID, "chunk", a.Chunk, "errors", bad)
	}
	n := 0
	err = complete(ctx, w.cfg, w.q, job,
		func(tx pgx.Tx) (err error) { n, err = w.cfg.Store.SaveScansTx(ctx, tx, a.ScanID, items); return err },
		func() (err error) { n, err = w.cfg.Store.SaveScans(ctx, a.ScanID, items); return err })
	if err == nil {
		w.cfg.Log.Info("scan chunk done", "scan", a.ScanID, "chunk", a.Chunk, "targets", len(a.Targets),
			"scanned", len(todo), "stored", n, "attempt", job.Attempt)
	}
	return err
}

// parseEntry reads back an Entry.
func parseEntry(e string) (scan.Target, error) {
	var out scan.Target
	n := 0
	for t, err := range scan.Targets([]scan.Input{{Name: "job", Args: []string{e}}}, []int{443}) {
		if err != nil {
			return out, err
		}
		out = t
		n++
	}
	if n != 1 {
		return out, fmt.Errorf("queue: job target %q is not one host:port", e)
	}
	return out, nil
}

type huntWorker struct {
	river.WorkerDefaults[HuntArgs]
	cfg *WorkerConfig
	q   *Queue
}

func (w *huntWorker) Work(ctx context.Context, job *river.Job[HuntArgs]) error {
	a := job.Args
	if a.RulesVersion != w.cfg.RulesVersion {
		w.cfg.Log.Warn("hunt queued for another rule pack: hunting with this worker's", "bundle", a.Bundle,
			"queued", a.RulesVersion, "worker", w.cfg.RulesVersion)
	}
	key := store.Bundle{SHA256: a.SHA256, RulesVersion: a.RulesVersion, Path: a.Bundle}
	// A bundle this rule pack hunted already (a job enqueued again after
	// River forgot the finished one) is not hunted again.
	if done, err := w.cfg.Store.Hunted(ctx, key); err != nil || done {
		if done {
			w.cfg.Log.Info("hunt skipped: bundle already hunted with these rules", "bundle", a.Bundle)
		}
		return err
	}
	path, cleanup, err := w.local(ctx, a)
	if err != nil {
		return err
	}
	defer cleanup()
	opt := w.cfg.Hunt
	opt.Host, opt.RulesVersion = a.Host, w.cfg.RulesVersion
	res, err := hunt.Run(ctx, []string{path}, opt)
	switch {
	case errors.Is(err, evidence.ErrEvidence) || errors.Is(err, hunt.ErrNoEvidence):
		return river.JobCancel(fmt.Errorf("%s: %w", a.Bundle, err)) // retrying cannot help
	case err != nil:
		return err
	case len(res) != 1:
		return river.JobCancel(fmt.Errorf("%s: %d results, want 1", a.Bundle, len(res)))
	}
	var saved store.Saved
	var stored bool
	err = complete(ctx, w.cfg, w.q, job,
		func(tx pgx.Tx) (err error) {
			saved, stored, err = w.cfg.Store.SaveBundleHuntTx(ctx, tx, key, res[0])
			return err
		},
		func() (err error) { saved, stored, err = w.cfg.Store.SaveBundleHunt(ctx, key, res[0]); return err })
	if err == nil {
		w.cfg.Log.Info("hunt done", "bundle", a.Bundle, "host", res[0].Host, "verdict", res[0].Verdict,
			"findings", len(res[0].Findings), "run", saved.ID, "stored", stored, "attempt", job.Attempt)
	}
	return err
}

// local returns a path to hunt: the bundle itself, or a downloaded copy of
// a URL; either way its SHA-256 must still be the one enqueued.
func (w *huntWorker) local(ctx context.Context, a HuntArgs) (string, func(), error) {
	nop := func() {}
	if !isHTTP(a.Bundle) {
		sum, err := Digest(ctx, a.Bundle)
		if errors.Is(err, os.ErrNotExist) {
			return "", nop, river.JobCancel(fmt.Errorf("bundle %s: not found on this worker: %w", a.Bundle, err))
		}
		if err != nil {
			return "", nop, err
		}
		if sum != a.SHA256 {
			return "", nop, river.JobCancel(fmt.Errorf("bundle %s changed since it was enqueued (SHA-256 %s, queued %s)", a.Bundle, sum, a.SHA256))
		}
		return a.Bundle, nop, nil
	}
	dir, err := os.MkdirTemp("", "exhunt-bundle-")
	if err != nil {
		return "", nop, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	name := filepath.Base(strings.SplitN(strings.SplitN(a.Bundle, "?", 2)[0], "#", 2)[0])
	if name == "" || name == "." || name == "/" {
		name = "bundle"
	}
	path := filepath.Join(dir, name)
	h := sha256.New()
	f, err := os.Create(path)
	if err != nil {
		cleanup()
		return "", nop, err
	}
	err = download(ctx, a.Bundle, io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var se *fetch.StatusError
	if errors.As(err, &se) && se.Code >= 400 && se.Code < 500 && se.Code != 408 && se.Code != 429 {
		cleanup()
		return "", nop, river.JobCancel(err) // gone or forbidden: retrying cannot help
	}
	if err != nil {
		cleanup()
		return "", nop, err // network errors are retried with backoff
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != a.SHA256 {
		cleanup()
		return "", nop, river.JobCancel(fmt.Errorf("bundle %s: downloaded SHA-256 %s, queued %s", a.Bundle, sum, a.SHA256))
	}
	return path, cleanup, nil
}
