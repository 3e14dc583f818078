package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/store/result"
)

// HostQuery selects, sorts and pages the fleet's hosts. Filtering, sorting
// and paging run in the database, on host_summary's indexes.
type HostQuery struct {
	Search   string   // part of the host name, case-insensitive
	Verdicts []string // keep these verdicts ("" is never hunted); nil keeps all
	// Builds keeps hosts whose build is one of these ("" is no build); nil
	// keeps all. Exposure, KEV and product filters are build lists: the
	// caller judges each distinct build (HostCounts) with the knowledge base.
	Builds []string
	Sort   string // host (default), verdict, build, findings, last_hunt, last_scan
	Desc   bool
	Limit  int // default 50, at most 1000
	Offset int
}

// HostRow is one host of a page.
type HostRow struct {
	Host     string    `json:"host"`
	Verdict  string    `json:"verdict"`
	Build    string    `json:"build"`
	Findings int       `json:"findings"`
	Runs     int       `json:"runs"`
	LastHunt time.Time `json:"last_hunt"`
	LastScan time.Time `json:"last_scan"`
}

// HostSorts are the accepted HostQuery.Sort values.
var HostSorts = []string{"host", "verdict", "build", "findings", "last_hunt", "last_scan"}

var sortColumn = map[string]string{
	"": "host_key", "host": "host_key", "verdict": "verdict", "build": "build_key",
	"findings": "findings", "last_hunt": "last_hunt", "last_scan": "last_scan",
}

// MaxPage bounds HostQuery.Limit and the correlation page size.
const MaxPage = 1000

func (q *HostQuery) where() (string, []any) {
	var conds []string
	var args []any
	if q.Search != "" {
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		conds = append(conds, `host_key LIKE ? ESCAPE '\'`)
		args = append(args, "%"+r.Replace(strings.ToLower(clean(q.Search)[0].(string)))+"%")
	}
	in := func(col string, vals []string) {
		if vals == nil {
			return
		}
		if len(vals) == 0 {
			conds = append(conds, "1 = 0")
			return
		}
		conds = append(conds, col+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("verdict", q.Verdicts)
	in("build", q.Builds)
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// HostPage returns one page of hosts and how many hosts match in all.
func (s *Store) HostPage(ctx context.Context, q HostQuery) ([]HostRow, int, error) {
	total, err := s.CountHosts(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.HostRows(ctx, q)
	return rows, total, err
}

// CountHosts counts the hosts q selects, whatever its page.
func (s *Store) CountHosts(ctx context.Context, q HostQuery) (int, error) {
	where, args := q.where()
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM host_summary`+where), args...).Scan(&total); err != nil {
		return 0, fmt.Errorf("store: count hosts: %w", err)
	}
	return total, nil
}

// HostRows returns the page of hosts q selects.
func (s *Store) HostRows(ctx context.Context, q HostQuery) ([]HostRow, error) {
	col, ok := sortColumn[q.Sort]
	if !ok {
		return nil, fmt.Errorf("store: unknown sort %q (want one of %s)", q.Sort, strings.Join(HostSorts, ", "))
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit, q.Offset = min(q.Limit, MaxPage), max(q.Offset, 0)
	where, args := q.where()
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	order := col + dir
	if col != "host_key" {
		order += ", host_key" + dir
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT host, verdict, build, findings, runs, last_hunt, last_scan FROM host_summary`+
		where+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d OFFSET %d`, q.Limit, q.Offset)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list hosts: %w", err)
	}
	defer rows.Close()
	var out []HostRow
	for rows.Next() {
		var h HostRow
		var lh, ls string
		if err := rows.Scan(&h.Host, &h.Verdict, &h.Build, &h.Findings, &h.Runs, &lh, &ls); err != nil {
			return nil, fmt.Errorf("store: list hosts: %w", err)
		}
		h.LastHunt, h.LastScan = parseTime(lh), parseTime(ls)
		out = append(out, h)
	}
	return out, rows.Err()
}

// HostCount is how many hosts run one build with one verdict.
type HostCount struct {
	Build   string // "" when no build is known
	Verdict string // "" when never hunted
	Hosts   int
}

// HostCounts counts hosts per build and verdict in one pass: the overview's
// cards and, for filters on verdict and build only, the number of hosts
// that match, without counting them again. A fleet has a few hundred
// distinct builds at most.
func (s *Store) HostCounts(ctx context.Context) ([]HostCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT build, verdict, COUNT(*) FROM host_summary GROUP BY build, verdict`)
	if err != nil {
		return nil, fmt.Errorf("store: count hosts: %w", err)
	}
	defer rows.Close()
	var out []HostCount
	for rows.Next() {
		var c HostCount
		if err := rows.Scan(&c.Build, &c.Verdict, &c.Hosts); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SharedIndicator is one row of CorrelationPage: an indicator, up to
// hostsShown of its hosts, and how many hosts saw it.
type SharedIndicator struct {
	Correlation
	HostCount int `json:"host_count"`
}

// CorrelationPage lists indicators seen on at least minHosts hosts, most
// widespread first, a page at a time; the second result counts them all.
func (s *Store) CorrelationPage(ctx context.Context, minHosts, hostsShown, limit, offset int) ([]SharedIndicator, int, error) {
	minHosts = max(minHosts, 1)
	if limit <= 0 {
		limit = 50
	}
	limit, offset = min(limit, MaxPage), max(offset, 0)
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM indicator_stats WHERE hosts >= ?`), minHosts).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count correlations: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, value, hosts FROM indicator_stats WHERE hosts >= ?
		ORDER BY hosts DESC, kind, value`+fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, offset)), minHosts)
	if err != nil {
		return nil, 0, fmt.Errorf("store: correlations: %w", err)
	}
	var out []SharedIndicator
	for rows.Next() {
		var c SharedIndicator
		if err := rows.Scan(&c.Kind, &c.Value, &c.HostCount); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		hr, err := s.db.QueryContext(ctx, s.q(`SELECT host FROM indicator_hosts WHERE kind = ? AND value = ? ORDER BY host_key`+
			fmt.Sprintf(` LIMIT %d`, max(hostsShown, 1))), out[i].Kind, out[i].Value)
		if err != nil {
			return nil, 0, fmt.Errorf("store: correlation hosts: %w", err)
		}
		for hr.Next() {
			var h string
			if err := hr.Scan(&h); err != nil {
				hr.Close()
				return nil, 0, err
			}
			out[i].Hosts = append(out[i].Hosts, h)
		}
		hr.Close()
		if err := hr.Err(); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// ScanRecord is the newest scan of one target.
type ScanRecord struct {
	TargetKey string
	ScanID    string // the queued scan that saw it, "" for any other scan
	ScannedAt time.Time
	Scan      result.ScanResult
}

// LatestScans calls fn with the newest scan record of every target (host
// and port), in target order: the notification list of a survey.
func (s *Store) LatestScans(ctx context.Context, fn func(ScanRecord) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT x.target_key, x.scan_id, x.scanned_at, r.doc FROM (
		SELECT target_key, scan_id, scanned_at, run_id,
			ROW_NUMBER() OVER (PARTITION BY target_key ORDER BY scanned_at DESC, scan_id DESC) AS rn
		FROM scan_targets) x JOIN runs r ON r.id = x.run_id WHERE x.rn = 1 ORDER BY x.target_key`)
	if err != nil {
		return fmt.Errorf("store: newest scans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec ScanRecord
		var at, doc string
		if err := rows.Scan(&rec.TargetKey, &rec.ScanID, &at, &doc); err != nil {
			return fmt.Errorf("store: newest scans: %w", err)
		}
		rec.ScannedAt = parseTime(at)
		if err := json.Unmarshal([]byte(doc), &rec.Scan); err != nil {
			return fmt.Errorf("store: decode scan of %s: %w", rec.TargetKey, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return rows.Err()
}
