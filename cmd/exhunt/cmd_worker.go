package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/filecheck"
	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/queue"
	"github.com/exhunt/exhunt/internal/rules"
)

type workerOptions struct {
	queue           string
	db              string
	concurrency     int
	huntConcurrency int
	jobTimeout      time.Duration
	exitWhenIdle    bool
	id              string
}

func (o *workerOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.queue, "queue", "", "job queue: postgres://user@host/db URL (required); River's tables go in the schema named first in its search_path parameter")
	f.StringVar(&o.db, "db", "", "result database (default: the queue's database, which makes storing results and completing a job one transaction)")
	f.IntVarP(&o.concurrency, "concurrency", "c", 4, "scan chunk jobs worked at once (each scans its own --concurrency hosts at once)")
	f.IntVar(&o.huntConcurrency, "hunt-concurrency", 1, "hunt jobs worked at once (a hunt already uses every CPU)")
	f.DurationVar(&o.jobTimeout, "job-timeout", 30*time.Minute, "cancel a job running longer; a dead worker's job is redone by another worker after this plus a tenth (+ up to 30 s)")
	f.BoolVar(&o.exitWhenIdle, "exit-when-idle", false, "exit once no job is pending or running (batch runs, CI)")
	f.StringVar(&o.id, "id", "", "name of this worker in the queue (default exhunt-HOSTNAME-PID)")
}

func newWorkerCommand(g *globalOptions) *cobra.Command {
	var o workerOptions
	cmd := &cobra.Command{
		Use:   "worker --queue postgres://...",
		Short: "Work queued scans and hunts (exhunt scan --queue, exhunt hunt --queue) on this machine",
		Long: `Work scan and hunt jobs from a PostgreSQL job queue until stopped (Ctrl-C
lets running jobs finish for up to a minute), or with --exit-when-idle until
nothing is pending or running. Start one worker per machine, as many machines
as you like: they share the work, a slow machine takes less of it, and a
machine that dies loses nothing.

Each job's results are written and the job marked complete in one
PostgreSQL transaction, so a result is never stored twice and never lost: a
worker killed mid-job (power loss, kill -9) leaves no trace, and its job is
redone by another worker once --job-timeout plus a tenth of it has passed
(River's rescuer looks every 30 s). A job that fails on the network is
retried with growing delays; one that keeps failing ends as failed with its
error, shown by exhunt queue status.

Scans use the options given to exhunt scan --queue. Hunts use this worker's
built-in Sigma and YARA packs; a bundle must be readable here at the path or
URL it was enqueued with, with the same SHA-256.

Examples:
  exhunt worker --queue postgres://exhunt@db/exhunt
  exhunt worker --queue postgres://exhunt@db/exhunt --concurrency 8 --job-timeout 10m
  exhunt worker --queue "postgres://exhunt@db/exhunt?search_path=survey" --exit-when-idle

EXIT STATUS
  0  stopped by --exit-when-idle, Ctrl-C or SIGTERM
  2  bad flags, or the queue cannot be reached
  3  internal error`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorker(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runWorker(ctx context.Context, g *globalOptions, o *workerOptions) error {
	if !queue.IsURL(o.queue) {
		return usagef("worker: --queue must be a postgres:// URL")
	}
	if o.concurrency < 1 || o.huntConcurrency < 1 || o.jobTimeout < time.Second {
		return usagef("worker: --concurrency and --hunt-concurrency must be >= 1 and --job-timeout >= 1s")
	}
	q, err := queue.Open(ctx, o.queue, o.concurrency+o.huntConcurrency+8, g.log)
	if err != nil {
		return usageError{err}
	}
	defer q.Close()
	db := o.db
	if db == "" {
		db = o.queue
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return usageError{err}
	}
	defer st.Close()
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	set, err := loadRules(g, nil, nil)
	if err != nil {
		return err
	}
	files, errs, err := filecheck.New(filecheck.Options{Log: g.log})
	if err != nil {
		return err
	}
	for _, e := range errs {
		fmt.Fprintf(g.stderr, "exhunt: built-in YARA rule problem: %v\n", e)
	}
	ver, _, _ := buildInfo()
	tuneGC()
	err = queue.Work(ctx, q, queue.WorkerConfig{
		Store: st, SameDB: db == o.queue, ID: o.id,
		Concurrency: o.concurrency, HuntConcurrency: o.huntConcurrency, JobTimeout: o.jobTimeout,
		ExitWhenIdle: o.exitWhenIdle, Assessor: kbAssessor{kb},
		Hunt:         hunt.Options{Rules: set, KB: kb, Files: files, Log: g.log, Version: ver},
		RulesVersion: rulesVersion(set, files),
		Log:          g.log,
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // stopped by a signal: the jobs in flight finished or will be redone
	}
	return err
}

// rulesVersion names the rule packs a hunt runs with: the exhunt version
// and commit, and a digest of every Sigma rule's id, dates, level and
// title and of the YARA rule count. Queued hunts are unique per bundle and
// rules version: a new rule pack hunts a bundle again.
func rulesVersion(set *rules.Set, files *filecheck.Checker) string {
	ver, rev, _ := buildInfo()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\n", ver, rev, files.RuleCount())
	for _, r := range set.Rules() {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", r.ID, r.Date, r.Modified, r.Level, r.Title)
	}
	return ver + "+" + hex.EncodeToString(h.Sum(nil))[:12]
}
