package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/store"
)

// Jobs counts a group's jobs by state. Retried counts jobs that failed at
// least once (an error, a timeout, or a rescue after their worker died),
// whatever their state now.
type Jobs struct {
	Pending   int `json:"pending"` // available, scheduled or waiting for a retry
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Retried   int `json:"retried"`
	Failed    int `json:"failed"` // gave up (attempts used, or an error retrying cannot fix)
}

// JobError is the last error of a job that failed or is waiting to retry.
type JobError struct {
	Job     int64  `json:"job"`
	State   string `json:"state"` // failed, retrying
	Attempt int    `json:"attempt"`
	What    string `json:"what"` // the bundle, or the scan chunk
	Error   string `json:"error"`
}

// Group is one scan or one hunt batch.
type Group struct {
	Kind    string     `json:"kind"` // scan or hunt
	ID      string     `json:"id"`
	Targets int64      `json:"targets,omitempty"` // a scan's targets
	Stored  int64      `json:"stored"`            // targets (hunts: bundles) with a stored result
	Jobs    Jobs       `json:"jobs"`
	Errors  []JobError `json:"errors,omitempty"`
}

// Done says nothing is pending or running.
func (g *Group) Done() bool { return g.Jobs.Pending+g.Jobs.Running == 0 }

// maxErrors bounds the errors listed per group.
const maxErrors = 10

// Status lists every scan and hunt batch the queue holds jobs for, and
// every queued scan st recorded (River deletes finished jobs after a day;
// the scan's stored count stays). id limits it to one group.
func (q *Queue) Status(ctx context.Context, st *store.Store, id string) ([]Group, error) {
	rows, err := q.pool.Query(ctx, `SELECT kind, COALESCE(args->>'scan_id', args->>'batch', ''), state,
		COUNT(*), COUNT(*) FILTER (WHERE COALESCE(array_length(errors, 1), 0) > 0)
		FROM `+q.table("river_job")+` WHERE kind IN ($1, $2) GROUP BY 1, 2, 3`, ScanArgs{}.Kind(), HuntArgs{}.Kind())
	if err != nil {
		return nil, fmt.Errorf("queue: status: %w", err)
	}
	groups := map[string]*Group{}
	get := func(kind, gid string) *Group {
		k := kind + "\x00" + gid
		if groups[k] == nil {
			groups[k] = &Group{Kind: kind, ID: gid}
		}
		return groups[k]
	}
	for rows.Next() {
		var kind, gid, state string
		var n, retried int
		if err := rows.Scan(&kind, &gid, &state, &n, &retried); err != nil {
			rows.Close()
			return nil, fmt.Errorf("queue: status: %w", err)
		}
		g := get(groupKind(kind), gid)
		switch state {
		case "running":
			g.Jobs.Running += n
		case "completed":
			g.Jobs.Completed += n
			if g.Kind == "hunt" {
				g.Stored += int64(n)
			}
		case "discarded", "cancelled":
			g.Jobs.Failed += n
		default:
			g.Jobs.Pending += n
		}
		g.Jobs.Retried += retried
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: status: %w", err)
	}
	if err := q.jobErrors(ctx, get); err != nil {
		return nil, err
	}
	if st != nil {
		scans, err := st.Scans(ctx, "")
		if err != nil {
			return nil, err
		}
		for _, sc := range scans {
			g := get("scan", sc.ID)
			g.Targets, g.Stored = sc.Targets, sc.Stored
		}
	}
	var out []Group
	for _, g := range groups {
		if id == "" || g.ID == id {
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.Kind != b.Kind {
			return strings.Compare(b.Kind, a.Kind) // scans first
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func groupKind(jobKind string) string {
	if jobKind == (HuntArgs{}).Kind() {
		return "hunt"
	}
	return "scan"
}

// jobErrors adds the last error of the newest failed and retrying jobs.
func (q *Queue) jobErrors(ctx context.Context, get func(kind, id string) *Group) error {
	rows, err := q.pool.Query(ctx, `SELECT id, kind, COALESCE(args->>'scan_id', args->>'batch', ''), state, attempt,
		COALESCE(args->>'bundle', 'chunk ' || (args->>'chunk')), COALESCE(errors[array_length(errors, 1)]->>'error', '')
		FROM `+q.table("river_job")+` WHERE kind IN ($1, $2) AND state IN ('discarded', 'cancelled', 'retryable')
		ORDER BY id DESC LIMIT 1000`, ScanArgs{}.Kind(), HuntArgs{}.Kind())
	if err != nil {
		return fmt.Errorf("queue: job errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e JobError
		var kind, gid string
		if err := rows.Scan(&e.Job, &kind, &gid, &e.State, &e.Attempt, &e.What, &e.Error); err != nil {
			return fmt.Errorf("queue: job errors: %w", err)
		}
		e.State = map[string]string{"discarded": "failed", "cancelled": "failed", "retryable": "retrying"}[e.State]
		g := get(groupKind(kind), gid)
		if len(g.Errors) < maxErrors {
			g.Errors = append(g.Errors, e)
		}
	}
	return rows.Err()
}
