package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/exhunt/exhunt/internal/safetext"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/queue"
	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store"
)

// queueFlags are the enqueue flags of exhunt scan and exhunt hunt.
type queueFlags struct {
	queue    string
	attempts int
}

func (o *queueFlags) AddFlags(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&o.queue, "queue", "", "enqueue "+what+" in this PostgreSQL job queue (postgres://...) for exhunt worker processes, instead of running them here")
	cmd.Flags().IntVar(&o.attempts, "attempts", 5, "with --queue: tries per job before it is marked failed")
}

type queueStatusOptions struct {
	queue  string
	db     string
	format string
	id     string
}

func newQueueCommand(g *globalOptions) *cobra.Command {
	var o queueStatusOptions
	status := &cobra.Command{
		Use:   "status --queue postgres://... [--format json]",
		Short: "Show the pending, running, completed, retried and failed jobs of each queued scan and hunt",
		Long: `Show, for each scan (exhunt scan --queue) and hunt batch (exhunt hunt
--queue), how many jobs are pending (waiting, or waiting to retry), running,
completed, retried (failed at least once: an error, a timeout, or a worker
that died) and failed (gave up), how many targets have a stored result, and
the last error of failed and retrying jobs.

Examples:
  exhunt queue status --queue postgres://exhunt@db/exhunt
  exhunt queue status --queue postgres://exhunt@db/exhunt --scan 3f2a9c0e1b7d4a55 --format json

EXIT STATUS
  0  status shown
  2  bad flags, or the queue cannot be reached`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQueueStatus(cmd.Context(), g, &o)
		},
	}
	status.Flags().StringVar(&o.queue, "queue", "", "job queue: postgres://... URL (required)")
	status.Flags().StringVar(&o.db, "db", "", "result database (default: the queue's database)")
	status.Flags().StringVarP(&o.format, "format", "f", "text", "text or json")
	status.Flags().StringVar(&o.id, "scan", "", "show only this scan or hunt batch")
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Inspect the job queue that exhunt worker processes work",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(status)
	return cmd
}

// openQueue opens the queue and the result database (default: the queue's).
func openQueue(ctx context.Context, g *globalOptions, url, db string, conns int) (*queue.Queue, *store.Store, error) {
	if !queue.IsURL(url) {
		return nil, nil, usagef("--queue must be a postgres:// URL, got %q", store.Redact(url))
	}
	q, err := queue.Open(ctx, url, conns, g.log)
	if err != nil {
		return nil, nil, usageError{err}
	}
	if db == "" {
		db = url
	}
	st, err := openStore(ctx, db)
	if err != nil {
		q.Close()
		return nil, nil, usageError{err}
	}
	return q, st, nil
}

func runQueueStatus(ctx context.Context, g *globalOptions, o *queueStatusOptions) error {
	if o.format != "text" && o.format != "json" {
		return usagef("queue status: unknown --format %q (want text or json)", o.format)
	}
	q, st, err := openQueue(ctx, g, o.queue, o.db, 4)
	if err != nil {
		return err
	}
	defer q.Close()
	defer st.Close()
	groups, err := q.Status(ctx, st, o.id)
	if err != nil {
		return err
	}
	if o.id != "" && len(groups) == 0 {
		return usagef("queue status: no scan or hunt batch %q", o.id)
	}
	if o.format == "json" {
		if groups == nil {
			groups = []queue.Group{}
		}
		return writeIndented(g.stdout, map[string]any{"schema": q.Schema(), "groups": groups})
	}
	writeStatus(g.stdout, groups)
	return nil
}

func writeStatus(w io.Writer, groups []queue.Group) {
	if len(groups) == 0 {
		fmt.Fprintln(w, "no queued scan or hunt")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tSTORED\tPENDING\tRUNNING\tCOMPLETED\tRETRIED\tFAILED")
	for _, gr := range groups {
		stored := fmt.Sprint(gr.Stored)
		if gr.Kind == "scan" {
			stored = fmt.Sprintf("%d/%d", gr.Stored, gr.Targets)
		}
		j := gr.Jobs
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", gr.Kind, gr.ID, stored, j.Pending, j.Running, j.Completed, j.Retried, j.Failed)
	}
	tw.Flush()
	for _, gr := range groups {
		for _, e := range gr.Errors {
			fmt.Fprintf(w, "%s %s: job %d (%s) %s after attempt %d: %s\n", gr.Kind, gr.ID, e.Job, safetext.Line(e.What), e.State, e.Attempt, safetext.Line(e.Error))
		}
	}
}

// runScanQueue enqueues the targets as chunk jobs and prints the scan id;
// with --wait it waits for the workers and prints the results as a local
// scan would.
func runScanQueue(ctx context.Context, g *globalOptions, o *scanOptions, inputs []scan.Input, ports []int, opts queue.ScanOptions) error {
	if o.shard != "" || o.resume != "" {
		return usagef("scan: --shard and --resume do not apply with --queue: the workers share the work and redo what a dead worker left")
	}
	if o.chunk < 1 {
		return usagef("scan: --chunk-size must be >= 1")
	}
	var targets []scan.Target
	var bad []string
	for t, err := range scan.Targets(inputs, ports) {
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		targets = append(targets, t)
	}
	if len(bad) > 0 {
		return usagef("scan: %d bad targets, nothing enqueued:\n  %s", len(bad), strings.Join(bad[:min(len(bad), 20)], "\n  "))
	}
	q, st, err := openQueue(ctx, g, o.queue.queue, o.db, 4)
	if err != nil {
		return err
	}
	defer q.Close()
	defer st.Close()
	enq, err := q.EnqueueScan(ctx, st, queue.ScanRequest{ID: o.scanID, Targets: targets, Options: opts, ChunkSize: o.chunk, MaxAttempts: o.queue.attempts})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "exhunt: scan %s: %d targets in %d jobs: %d enqueued, %d already queued or done\n",
		enq.ID, enq.Targets, enq.Jobs, enq.New, enq.Duplicates)
	if !o.wait {
		g.log.Info("work it with exhunt worker --queue URL on any number of machines; follow it with exhunt queue status --queue URL --scan " + enq.ID)
		fmt.Fprintln(g.stdout, enq.ID)
		return nil
	}
	return waitScan(ctx, g, o, q, st, enq)
}

// waitScan polls the queue until the scan has nothing pending or running,
// then prints its stored results in target order.
func waitScan(ctx context.Context, g *globalOptions, o *scanOptions, q *queue.Queue, st *store.Store, enq queue.Enqueued) error {
	bar := newHostBar(g, enq.Targets)
	var last queue.Group
	shown := int64(0)
	for {
		groups, err := q.Status(ctx, st, enq.ID)
		if err != nil {
			return err
		}
		if len(groups) == 1 {
			last = groups[0]
		}
		for ; shown < last.Stored; shown++ {
			bar.done()
		}
		if last.Done() {
			break
		}
		select {
		case <-ctx.Done():
			bar.wait()
			fmt.Fprintf(g.stderr, "exhunt: stopped waiting; scan %s goes on in the workers (exhunt queue status)\n", enq.ID)
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	bar.wait()
	format, _ := scan.ParseFormat(o.format)
	w := scan.NewWriter(format, g.stdout)
	var n, exch, exposed, shelled, errs int
	err := st.ScanDocs(ctx, enq.ID, func(doc json.RawMessage) error {
		var r scan.Result
		if err := json.Unmarshal(doc, &r); err != nil {
			return err
		}
		n++
		if r.Exchange {
			exch++
		}
		if r.Exposed {
			exposed++
		}
		if r.WebShelled {
			shelled++
		}
		if r.Error != "" {
			errs++
		}
		return w.Write(&r)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "exhunt: scan %s: %d of %d targets stored: %d Exchange, %d exposed, %d web-shelled, %d errors; jobs: %d retried, %d failed\n",
		enq.ID, n, enq.Targets, exch, exposed, shelled, errs, last.Jobs.Retried, last.Jobs.Failed)
	if last.Jobs.Failed > 0 {
		writeStatus(g.stderr, []queue.Group{last})
		return fmt.Errorf("scan %s: %d jobs failed, %d targets have no result", enq.ID, last.Jobs.Failed, enq.Targets-int64(n))
	}
	// The same verdict as a scan without --queue: every target failed is
	// "could not tell", some failed is said.
	return scanOutcome(g, scan.Summary{Scanned: int64(n), Errors: int64(errs), Exposed: int64(exposed), WebShelled: int64(shelled)}, nil)
}

// runHuntQueue enqueues one hunt job per bundle and prints the batch id.
func runHuntQueue(ctx context.Context, g *globalOptions, o *huntOptions, paths []string) error {
	if len(o.rulesDirs) > 0 || len(o.yaraDirs) > 0 || o.noDefaultYARA || len(o.exPaths) > 0 || o.allFiles || o.uploadURL != "" {
		return usagef("hunt: --rules, --sigma, --yara, --no-default-yara, --exchange-path, --all-files and --upload do not apply with --queue: workers hunt with their built-in packs")
	}
	set, err := loadRules(g, nil, nil)
	if err != nil {
		return err
	}
	files, err := loadFileChecker(g, o, nil)
	if err != nil {
		return err
	}
	var bundles []queue.Bundle
	for _, p := range paths {
		sum, err := queue.Digest(ctx, p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return usagef("hunt: %v", err)
			}
			return usagef("hunt: %s: %v", p, err)
		}
		bundles = append(bundles, queue.Bundle{Path: p, SHA256: sum, Host: o.host})
	}
	q, st, err := openQueue(ctx, g, o.queue.queue, o.db, 4)
	if err != nil {
		return err
	}
	defer q.Close()
	defer st.Close()
	enq, err := q.EnqueueHunt(ctx, bundles, rulesVersion(set, files), o.queue.attempts)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "exhunt: hunt batch %s: %d bundles: %d enqueued, %d already queued or hunted with these rules\n",
		enq.ID, enq.Jobs, enq.New, enq.Duplicates)
	fmt.Fprintln(g.stdout, enq.ID)
	return nil
}
