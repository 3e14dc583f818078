package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// Run is the stored metadata of one hunt or scan.
type Run struct {
	ID           string      `json:"id"`
	Kind         result.Kind `json:"kind"`
	Host         string      `json:"host"`
	RunTime      time.Time   `json:"run_time"`
	Ingested     time.Time   `json:"ingested"`
	Version      string      `json:"exhunt_version,omitempty"`
	RulesVersion string      `json:"rules_version,omitempty"`
	Verdict      string      `json:"verdict,omitempty"`
	Build        string      `json:"build,omitempty"`
	IP           string      `json:"ip,omitempty"`
	Exchange     bool        `json:"exchange,omitempty"`
	CVEs         []string    `json:"cves,omitempty"`
	Findings     int         `json:"findings"`
}

// Filter selects runs; zero fields match everything.
type Filter struct {
	Host  string // exact host name, case-insensitive
	Kind  result.Kind
	Limit int // newest first; 0 means no limit
}

const runCols = `id, kind, host, run_time, ingested, exhunt_version, rules_version, verdict, build, ip, exchange, cves, findings`

func scanRun(sc interface{ Scan(...any) error }, extra ...any) (Run, error) {
	var (
		r                 Run
		kind, rt, ing, cv string
		exch              int
	)
	dest := append([]any{&r.ID, &kind, &r.Host, &rt, &ing, &r.Version, &r.RulesVersion, &r.Verdict, &r.Build, &r.IP, &exch, &cv, &r.Findings}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Run{}, err
	}
	r.Kind, r.RunTime, r.Ingested, r.Exchange = result.Kind(kind), parseTime(rt), parseTime(ing), exch != 0
	if cv != "" {
		r.CVEs = strings.Split(cv, ",")
	}
	return r, nil
}

// Runs lists stored runs, newest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]Run, error) {
	query := `SELECT ` + runCols + ` FROM runs WHERE 1=1`
	var args []any
	if f.Host != "" {
		query += ` AND lower(host) = lower(?)`
		args = append(args, f.Host)
	}
	if f.Kind != "" {
		query += ` AND kind = ?`
		args = append(args, string(f.Kind))
	}
	query += ` ORDER BY run_time DESC, ingested DESC, id`
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Doc returns a run's metadata and its stored JSON document.
func (s *Store) Doc(ctx context.Context, id string) (Run, json.RawMessage, error) {
	var doc string
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+runCols+`, doc FROM runs WHERE id = ?`), id)
	r, err := scanRun(row, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, nil, fmt.Errorf("%w: run %s", ErrNotFound, id)
	}
	if err != nil {
		return Run{}, nil, fmt.Errorf("store: read run %s: %w", id, err)
	}
	return r, json.RawMessage(doc), nil
}

// HuntResult returns the hunt result stored as run id.
func (s *Store) HuntResult(ctx context.Context, id string) (finding.HostResult, Run, error) {
	r, doc, err := s.Doc(ctx, id)
	if err != nil {
		return finding.HostResult{}, Run{}, err
	}
	if r.Kind != result.Hunt {
		return finding.HostResult{}, Run{}, fmt.Errorf("%w: run %s is a %s, not a hunt", ErrNotFound, id, r.Kind)
	}
	var h finding.HostResult
	if err := json.Unmarshal(doc, &h); err != nil {
		return finding.HostResult{}, Run{}, fmt.Errorf("store: decode run %s: %w", id, err)
	}
	return h, r, nil
}

// ScanResult returns the scan stored as run id, decoded and verbatim.
func (s *Store) ScanResult(ctx context.Context, id string) (result.ScanResult, json.RawMessage, error) {
	r, doc, err := s.Doc(ctx, id)
	if err != nil {
		return result.ScanResult{}, nil, err
	}
	if r.Kind != result.Scan {
		return result.ScanResult{}, nil, fmt.Errorf("%w: run %s is a %s, not a scan", ErrNotFound, id, r.Kind)
	}
	var sr result.ScanResult
	if err := json.Unmarshal(doc, &sr); err != nil {
		return result.ScanResult{}, nil, fmt.Errorf("store: decode run %s: %w", id, err)
	}
	return sr, doc, nil
}

// LatestHunt returns the newest hunt result of host.
func (s *Store) LatestHunt(ctx context.Context, host string) (finding.HostResult, Run, error) {
	runs, err := s.Runs(ctx, Filter{Host: host, Kind: result.Hunt, Limit: 1})
	if err != nil {
		return finding.HostResult{}, Run{}, err
	}
	if len(runs) == 0 {
		return finding.HostResult{}, Run{}, fmt.Errorf("%w: no hunt result for host %q", ErrNotFound, host)
	}
	return s.HuntResult(ctx, runs[0].ID)
}

// HostSummary is one host of the fleet: its newest hunt and newest scan.
type HostSummary struct {
	Host     string `json:"host"`
	Verdict  string `json:"verdict,omitempty"` // from the newest hunt; "" if never hunted
	Build    string `json:"build,omitempty"`   // newest scan's build, else the hunt's
	Findings int    `json:"findings"`
	Hunt     *Run   `json:"hunt,omitempty"`
	Scan     *Run   `json:"scan,omitempty"`
	Runs     int    `json:"runs"`
}

// Hosts summarises every host in the store, sorted by name.
func (s *Store) Hosts(ctx context.Context) ([]HostSummary, error) {
	runs, err := s.Runs(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	by := map[string]*HostSummary{}
	var keys []string
	for _, r := range runs { // newest first: the first of each kind wins
		k := strings.ToLower(r.Host)
		h, ok := by[k]
		if !ok {
			h = &HostSummary{Host: r.Host}
			by[k] = h
			keys = append(keys, k)
		}
		h.Runs++
		switch {
		case r.Kind == result.Hunt && h.Hunt == nil:
			h.Hunt = &r
			h.Host, h.Verdict, h.Findings = r.Host, r.Verdict, r.Findings
			if h.Build == "" {
				h.Build = r.Build
			}
		case r.Kind == result.Scan && h.Scan == nil:
			h.Scan = &r
			if r.Build != "" {
				h.Build = r.Build
			}
		}
	}
	slices.Sort(keys)
	out := make([]HostSummary, 0, len(keys))
	for _, k := range keys {
		out = append(out, *by[k])
	}
	return out, nil
}

// LatestHunts returns the newest hunt result of every host, by host name.
func (s *Store) LatestHunts(ctx context.Context) ([]finding.HostResult, error) {
	hosts, err := s.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	var out []finding.HostResult
	for _, h := range hosts {
		if h.Hunt == nil {
			continue
		}
		r, _, err := s.HuntResult(ctx, h.Hunt.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Correlation is an indicator seen on more than one host.
type Correlation struct {
	Indicator
	Hosts []string `json:"hosts"`
}

// Correlate lists indicators (attacker IPs, user agents, file hashes and
// names) seen on at least minHosts hosts, most widespread first.
func (s *Store) Correlate(ctx context.Context, minHosts int) ([]Correlation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, value, host FROM indicators
		WHERE kind || '|' || value IN (
			SELECT kind || '|' || value FROM indicators GROUP BY kind, value HAVING COUNT(DISTINCT lower(host)) >= ?)
		GROUP BY kind, value, host ORDER BY kind, value, host`), max(minHosts, 1))
	if err != nil {
		return nil, fmt.Errorf("store: correlate: %w", err)
	}
	defer rows.Close()
	var out []Correlation
	for rows.Next() {
		var ind Indicator
		var host string
		if err := rows.Scan(&ind.Kind, &ind.Value, &host); err != nil {
			return nil, fmt.Errorf("store: correlate: %w", err)
		}
		if n := len(out); n > 0 && out[n-1].Indicator == ind {
			if !slices.ContainsFunc(out[n-1].Hosts, func(h string) bool { return strings.EqualFold(h, host) }) {
				out[n-1].Hosts = append(out[n-1].Hosts, host)
			}
			continue
		}
		out = append(out, Correlation{Indicator: ind, Hosts: []string{host}})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Correlation) int { return len(b.Hosts) - len(a.Hosts) })
	return out, nil
}

// Counts returns the number of stored runs and findings.
func (s *Store) Counts(ctx context.Context) (runs, findings int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM findings)`).Scan(&runs, &findings)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count: %w", err)
	}
	return runs, findings, nil
}

// LatestScan returns the newest scan of host (the host name a scan target
// reduces to, see result.HostOf).
func (s *Store) LatestScan(ctx context.Context, host string) (result.ScanResult, Run, error) {
	runs, err := s.Runs(ctx, Filter{Host: host, Kind: result.Scan, Limit: 1})
	if err != nil {
		return result.ScanResult{}, Run{}, err
	}
	if len(runs) == 0 {
		return result.ScanResult{}, Run{}, fmt.Errorf("%w: no scan result for host %q", ErrNotFound, host)
	}
	sr, _, err := s.ScanResult(ctx, runs[0].ID)
	return sr, runs[0], err
}
