package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// This file keeps what a fleet of 100,000 hosts needs: per-host and
// per-indicator summaries maintained on every save (so pages are read
// from indexes, not computed from every run), scan records per target, and
// saves inside a transaction a queue worker owns.

// BuildKey makes a build string sort by number: every dot-separated part
// zero-padded to six digits ("15.1.2176.2" → "000015.000001.002176.000002").
// Anything that is not a dotted number sorts after all builds.
func BuildKey(build string) string {
	if build == "" {
		return ""
	}
	parts := strings.Split(build, ".")
	var b strings.Builder
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || len(parts) > 4 {
			return "~" + build
		}
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "%06d", n)
	}
	return b.String()
}

// noteHost folds a newly stored run into its host's summary row. The
// newer run of each kind wins; build is the newest scan's build, else the
// newest hunt's, as in Hosts.
func (s *Store) noteHost(ctx context.Context, tx execer, d *result.Doc, host, runTime string) error {
	key := strings.ToLower(host)
	switch d.Kind {
	case result.Hunt:
		h := d.Hunt
		const newer = `excluded.last_hunt >= host_summary.last_hunt`
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO host_summary
			(host_key, host, verdict, findings, hunt_build, hunt_build_key, build, build_key, last_hunt, runs)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (host_key) DO UPDATE SET
			runs = host_summary.runs + 1,
			host = CASE WHEN `+newer+` THEN excluded.host ELSE host_summary.host END,
			verdict = CASE WHEN `+newer+` THEN excluded.verdict ELSE host_summary.verdict END,
			findings = CASE WHEN `+newer+` THEN excluded.findings ELSE host_summary.findings END,
			hunt_build = CASE WHEN `+newer+` THEN excluded.hunt_build ELSE host_summary.hunt_build END,
			hunt_build_key = CASE WHEN `+newer+` THEN excluded.hunt_build_key ELSE host_summary.hunt_build_key END,
			build = CASE WHEN host_summary.scan_build <> '' THEN host_summary.scan_build
				WHEN `+newer+` THEN excluded.hunt_build ELSE host_summary.hunt_build END,
			build_key = CASE WHEN host_summary.scan_build <> '' THEN host_summary.scan_build_key
				WHEN `+newer+` THEN excluded.hunt_build_key ELSE host_summary.hunt_build_key END,
			last_hunt = CASE WHEN `+newer+` THEN excluded.last_hunt ELSE host_summary.last_hunt END`),
			clean(key, host, string(h.Verdict), len(h.Findings), h.Build, BuildKey(h.Build), h.Build, BuildKey(h.Build), runTime)...)
		return err
	case result.Scan:
		b := d.Scan.Build
		// A newer scan without a build (the host did not answer) shows the
		// hunt's build again, as Hosts does.
		const newer = `excluded.last_scan >= host_summary.last_scan`
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO host_summary
			(host_key, host, scan_build, scan_build_key, build, build_key, last_scan, runs)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (host_key) DO UPDATE SET
			runs = host_summary.runs + 1,
			scan_build = CASE WHEN `+newer+` THEN excluded.scan_build ELSE host_summary.scan_build END,
			scan_build_key = CASE WHEN `+newer+` THEN excluded.scan_build_key ELSE host_summary.scan_build_key END,
			build = CASE WHEN `+newer+` AND excluded.scan_build <> '' THEN excluded.scan_build
				WHEN `+newer+` THEN host_summary.hunt_build
				WHEN host_summary.scan_build <> '' THEN host_summary.scan_build ELSE host_summary.hunt_build END,
			build_key = CASE WHEN `+newer+` AND excluded.scan_build <> '' THEN excluded.scan_build_key
				WHEN `+newer+` THEN host_summary.hunt_build_key
				WHEN host_summary.scan_build <> '' THEN host_summary.scan_build_key ELSE host_summary.hunt_build_key END,
			last_scan = CASE WHEN `+newer+` THEN excluded.last_scan ELSE host_summary.last_scan END`),
			clean(key, host, b, BuildKey(b), b, BuildKey(b), runTime)...)
		return err
	}
	return nil
}

// noteIndicators counts on how many hosts each indicator was seen, for the
// correlation page. Sorted, so concurrent saves lock rows in one order.
func (s *Store) noteIndicators(ctx context.Context, tx execer, host string, seen map[Indicator]bool) error {
	inds := make([]Indicator, 0, len(seen))
	for ind := range seen {
		inds = append(inds, ind)
	}
	slices.SortFunc(inds, func(a, b Indicator) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value)) })
	key := strings.ToLower(host)
	for _, ind := range inds {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO indicator_hosts (kind, value, host_key, host) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			clean(ind.Kind, ind.Value, key, host)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			continue // this host was counted before
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO indicator_stats (kind, value, hosts) VALUES (?, ?, 1)
			ON CONFLICT (kind, value) DO UPDATE SET hosts = indicator_stats.hosts + 1`), clean(ind.Kind, ind.Value)...); err != nil {
			return err
		}
	}
	return nil
}

// TargetKey names a scan target in scan records: lower-cased host and port.
func TargetKey(target string, port int) string {
	return net.JoinHostPort(result.HostOf(target), strconv.Itoa(port))
}

// noteNewestScan keeps the newest scan record of a target, however it was
// stored (scan id ""): a newer observation replaces an older one, even of
// a result stored before (a server that went back to an earlier state).
func (s *Store) noteNewestScan(ctx context.Context, tx execer, d *result.Doc, runID, at string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO scan_targets (scan_id, target_key, ordinal, run_id, scanned_at)
		VALUES ('', ?, 0, ?, ?) ON CONFLICT (scan_id, target_key) DO UPDATE SET
		run_id = excluded.run_id, scanned_at = excluded.scanned_at WHERE excluded.scanned_at >= scan_targets.scanned_at`),
		clean(TargetKey(d.Scan.Target, d.Scan.Port), runID, at)...)
	return err
}

// ScanItem is one target's result in a queued scan; Ordinal is the target's
// position in the scan's target list.
type ScanItem struct {
	Doc     result.Doc
	Ordinal int64
}

// SaveScans stores results of queued scan scanID in one transaction and
// returns how many targets were recorded; a target the scan recorded
// before is left as it was, so every target of a scan has one result.
func (s *Store) SaveScans(ctx context.Context, scanID string, items []ScanItem) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	n, err := s.saveScanItems(ctx, tx, scanID, items)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit: %w", err)
	}
	return n, nil
}

// SaveScansTx is SaveScans inside tx, a transaction on this store's
// PostgreSQL database that the caller commits: a queue worker completes
// its job in the same transaction, so a crash leaves both or neither.
func (s *Store) SaveScansTx(ctx context.Context, tx pgx.Tx, scanID string, items []ScanItem) (int, error) {
	if s.dialect != postgres {
		return 0, errors.New("store: SaveScansTx needs PostgreSQL")
	}
	return s.saveScanItems(ctx, pgxExec{tx}, scanID, items)
}

// Bundle names a queued hunt's evidence: its SHA-256 and the rule-pack
// version it is hunted with (the job's identity), and where it was read.
type Bundle struct {
	SHA256, RulesVersion, Path string
}

// SaveBundleHunt stores the hunt result of bundle b in one transaction, once:
// when b was hunted before with the same rules it stores nothing and says
// so (false).
func (s *Store) SaveBundleHunt(ctx context.Context, b Bundle, r finding.HostResult) (Saved, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Saved{}, false, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	sv, ok, err := s.saveBundleHunt(ctx, tx, b, r)
	if err != nil || !ok {
		return sv, ok, err
	}
	if err := tx.Commit(); err != nil {
		return Saved{}, false, fmt.Errorf("store: commit: %w", err)
	}
	return sv, true, nil
}

// SaveBundleHuntTx is SaveBundleHunt inside tx, like SaveScansTx.
func (s *Store) SaveBundleHuntTx(ctx context.Context, tx pgx.Tx, b Bundle, r finding.HostResult) (Saved, bool, error) {
	if s.dialect != postgres {
		return Saved{}, false, errors.New("store: SaveBundleHuntTx needs PostgreSQL")
	}
	return s.saveBundleHunt(ctx, pgxExec{tx}, b, r)
}

func (s *Store) saveBundleHunt(ctx context.Context, tx execer, b Bundle, r finding.HostResult) (Saved, bool, error) {
	if err := result.ValidateHunt(&r); err != nil {
		return Saved{}, false, err
	}
	raw, err := json.Marshal(&r)
	if err != nil {
		return Saved{}, false, fmt.Errorf("store: encode hunt result: %w", err)
	}
	d := result.Doc{Kind: result.Hunt, Hunt: &r, Raw: raw}
	at := fmtTime(s.now())
	// The bundle row goes first: a second worker on the same bundle waits
	// here for the first to commit, then stores nothing.
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO hunt_bundles (sha256, rules_version, bundle, run_id, hunted_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256, rules_version) DO NOTHING`),
		clean(b.SHA256, b.RulesVersion, b.Path, RunID(d.Kind, d.Raw), at)...)
	if err != nil {
		return Saved{}, false, fmt.Errorf("store: record bundle %s: %w", b.Path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Saved{}, false, err
	}
	sv, err := s.saveDoc(ctx, tx, &d, at)
	return sv, err == nil, err
}

// Hunted says whether bundle b has a stored result for its rules version.
func (s *Store) Hunted(ctx context.Context, b Bundle) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM hunt_bundles WHERE sha256 = ? AND rules_version = ?`), b.SHA256, b.RulesVersion).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: hunted bundles: %w", err)
	}
	return n > 0, nil
}

func (s *Store) saveScanItems(ctx context.Context, tx execer, scanID string, items []ScanItem) (int, error) {
	if scanID == "" {
		return 0, errors.New("store: a queued scan needs an id")
	}
	at := fmtTime(s.now())
	n := 0
	for i := range items {
		d := &items[i].Doc
		if d.Kind != result.Scan || d.Scan == nil {
			return 0, fmt.Errorf("%w: not a scan result", result.ErrInvalid)
		}
		// The record goes first: a second worker on the same target waits
		// here for the first to commit, then stores nothing.
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO scan_targets (scan_id, target_key, ordinal, run_id, scanned_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (scan_id, target_key) DO NOTHING`),
			clean(scanID, TargetKey(d.Scan.Target, d.Scan.Port), items[i].Ordinal, RunID(d.Kind, d.Raw), at)...)
		if err != nil {
			return 0, fmt.Errorf("store: record scan %s target %s: %w", scanID, d.Scan.Target, err)
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			if err != nil {
				return 0, err
			}
			continue
		}
		if _, err := s.saveDoc(ctx, tx, d, at); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Scanned returns which of keys (see TargetKey) scan scanID has recorded.
func (s *Store) Scanned(ctx context.Context, scanID string, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(keys) > 0 {
		part := keys[:min(len(keys), 500)]
		keys = keys[len(part):]
		args := []any{scanID}
		for _, k := range part {
			args = append(args, k)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT target_key FROM scan_targets WHERE scan_id = ? AND target_key IN (?`+
			strings.Repeat(", ?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: scanned targets: %w", err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pgxExec runs the store's statements in a pgx transaction.
type pgxExec struct{ tx pgx.Tx }

func (p pgxExec) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tag, err := p.tx.Exec(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rowsAffected(tag.RowsAffected()), nil
}

type rowsAffected int64

func (n rowsAffected) LastInsertId() (int64, error) { return 0, errors.New("store: no insert id") }
func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }

// ScanInfo describes a queued scan.
type ScanInfo struct {
	ID      string          `json:"id"`
	Created time.Time       `json:"created"`
	Targets int64           `json:"targets"`
	Chunks  int             `json:"chunks"`
	Options json.RawMessage `json:"options"`
	Stored  int64           `json:"stored"` // targets with a result
}

// AddScan records a queued scan; adding it again changes nothing and
// reports false.
func (s *Store) AddScan(ctx context.Context, sc ScanInfo) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO scans (id, created, targets, chunks, options) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		sc.ID, fmtTime(cmp.Or(sc.Created, s.now())), sc.Targets, sc.Chunks, string(sc.Options))
	if err != nil {
		return false, fmt.Errorf("store: add scan %s: %w", sc.ID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Scans lists queued scans, newest first, with how many targets each has
// stored; id limits the list to one scan.
func (s *Store) Scans(ctx context.Context, id string) ([]ScanInfo, error) {
	query := `SELECT s.id, s.created, s.targets, s.chunks, s.options,
		(SELECT COUNT(*) FROM scan_targets t WHERE t.scan_id = s.id) FROM scans s`
	var args []any
	if id != "" {
		query += ` WHERE s.id = ?`
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY s.created DESC, s.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list scans: %w", err)
	}
	defer rows.Close()
	var out []ScanInfo
	for rows.Next() {
		var sc ScanInfo
		var created, opts string
		if err := rows.Scan(&sc.ID, &created, &sc.Targets, &sc.Chunks, &opts, &sc.Stored); err != nil {
			return nil, fmt.Errorf("store: list scans: %w", err)
		}
		sc.Created, sc.Options = parseTime(created), json.RawMessage(opts)
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ScanDocs calls fn with the stored result of every target of queued scan
// scanID, in target order.
func (s *Store) ScanDocs(ctx context.Context, scanID string, fn func(json.RawMessage) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.doc FROM scan_targets t JOIN runs r ON r.id = t.run_id
		WHERE t.scan_id = ? ORDER BY t.ordinal, t.target_key`), scanID)
	if err != nil {
		return fmt.Errorf("store: scan %s results: %w", scanID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		if err := fn(json.RawMessage(doc)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Redact hides the password of a connection URL before it reaches a
// message or a log.
func Redact(dsn string) string { return redact(dsn) }
