package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// Saved reports what happened to one document.
type Saved struct {
	ID   string      `json:"id"`
	Kind result.Kind `json:"kind"`
	Host string      `json:"host"`
	New  bool        `json:"new"` // false when the same document was stored before
}

// RunID is the natural key of a document: the SHA-256 of its kind and
// canonical JSON. The same result ingested twice has the same id.
func RunID(kind result.Kind, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{'\n'})
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// SaveHunt stores one hunt result; storing it again changes nothing.
func (s *Store) SaveHunt(ctx context.Context, r finding.HostResult) (Saved, error) {
	if err := result.ValidateHunt(&r); err != nil {
		return Saved{}, err
	}
	raw, err := json.Marshal(&r)
	if err != nil {
		return Saved{}, fmt.Errorf("store: encode hunt result: %w", err)
	}
	out, err := s.Save(ctx, result.Doc{Kind: result.Hunt, Hunt: &r, Raw: raw})
	if err != nil {
		return Saved{}, err
	}
	return out[0], nil
}

// SaveScan stores one scan result, given as the JSON object `exhunt scan`
// wrote; storing it again changes nothing.
func (s *Store) SaveScan(ctx context.Context, doc json.RawMessage) (Saved, error) {
	d, ok, err := result.Classify(doc)
	if err != nil {
		return Saved{}, err
	}
	if !ok || d.Kind != result.Scan {
		return Saved{}, fmt.Errorf("%w: not a scan result (no target)", result.ErrInvalid)
	}
	out, err := s.Save(ctx, d)
	if err != nil {
		return Saved{}, err
	}
	return out[0], nil
}

// Save stores documents from result.ReadResults or result.Classify in one transaction:
// either all of them are stored, or none.
func (s *Store) Save(ctx context.Context, docs ...result.Doc) ([]Saved, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	ingested := fmtTime(s.now())
	out := make([]Saved, 0, len(docs))
	for i := range docs {
		sv, err := s.saveDoc(ctx, tx, &docs[i], ingested)
		if err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	return out, nil
}

// execer is what a save needs from a transaction: a *sql.Tx, or the pgx
// transaction a queue worker completes its job in (see SaveScansTx).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// prepare returns a statement run many times in tx: prepared once when tx
// is a *sql.Tx (SQLite parses it once), else sent as is (pgx caches it).
func prepare(ctx context.Context, tx execer, query string) (func(args ...any) error, func(), error) {
	if stx, ok := tx.(*sql.Tx); ok {
		st, err := stx.PrepareContext(ctx, query)
		if err != nil {
			return nil, nil, err
		}
		return func(args ...any) error { _, err := st.ExecContext(ctx, args...); return err }, func() { st.Close() }, nil
	}
	return func(args ...any) error { _, err := tx.ExecContext(ctx, query, args...); return err }, func() {}, nil
}

func (s *Store) saveDoc(ctx context.Context, tx execer, d *result.Doc, ingested string) (Saved, error) {
	id := RunID(d.Kind, d.Raw)
	var (
		host, runTime, ver, rules, verdict, build, ip, cves string
		exchange, nfind                                     int
	)
	switch d.Kind {
	case result.Hunt:
		h := d.Hunt
		host, ver, rules, verdict, build = h.Host, h.Version, h.RulesVersion, string(h.Verdict), h.Build
		runTime = fmtTime(h.Finished)
		if runTime == "" {
			runTime = fmtTime(h.Started)
		}
		nfind = len(h.Findings)
	case result.Scan:
		sc := d.Scan
		host, ip, build, cves = result.HostOf(sc.Target), sc.IP, sc.Build, strings.Join(sc.CVEs, ",")
		if strings.Contains(host, "/") && ip != "" {
			host = ip // the target is a CIDR: the host is its member that was scanned
		}
		if sc.Exchange {
			exchange = 1
		}
	default:
		return Saved{}, fmt.Errorf("%w: unknown kind %q", result.ErrInvalid, d.Kind)
	}
	if runTime == "" {
		runTime = ingested
	}
	sv := Saved{ID: id, Kind: d.Kind, Host: host}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO runs
		(id, kind, host, run_time, ingested, exhunt_version, rules_version, verdict, build, ip, exchange, cves, findings, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		clean(id, string(d.Kind), host, runTime, ingested, ver, rules, verdict, build, ip, exchange, cves, nfind, string(d.Raw))...)
	if err != nil {
		return Saved{}, fmt.Errorf("store: save %s run for %s: %w", d.Kind, host, err)
	}
	if d.Kind == result.Scan {
		if err := s.noteNewestScan(ctx, tx, d, id, ingested); err != nil {
			return Saved{}, fmt.Errorf("store: save scan record for %s: %w", host, err)
		}
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return sv, err // stored before: the rows below exist too
	}
	sv.New = true
	if err := s.noteHost(ctx, tx, d, host, runTime); err != nil {
		return Saved{}, fmt.Errorf("store: save host summary for %s: %w", host, err)
	}
	if d.Kind == result.Hunt {
		if err := s.saveHuntRows(ctx, tx, id, d.Hunt); err != nil {
			return Saved{}, fmt.Errorf("store: save hunt run for %s: %w", host, err)
		}
	}
	return sv, nil
}

func (s *Store) saveHuntRows(ctx context.Context, tx execer, id string, h *finding.HostResult) error {
	insF, closeF, err := prepare(ctx, tx, s.q(`INSERT INTO findings
		(run_id, fkey, host, rule, title, severity, outcome, kind, ftime, source, line, evidence, cves, attack)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`))
	if err != nil {
		return err
	}
	defer closeF()
	insI, closeI, err := prepare(ctx, tx, s.q(`INSERT INTO indicators (run_id, host, kind, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`))
	if err != nil {
		return err
	}
	defer closeI()
	seen := map[Indicator]bool{}
	for i := range h.Findings {
		f := &h.Findings[i]
		k := sha256.Sum256([]byte(f.Key()))
		if err := insF(clean(id, hex.EncodeToString(k[:]), h.Host, f.Rule, f.Title, string(f.Severity),
			string(f.Outcome), string(f.Kind), fmtTime(f.Time), f.Source, f.Line, f.Evidence,
			strings.Join(f.CVEs, ","), strings.Join(f.Attack, ","))...); err != nil {
			return err
		}
		for _, ind := range Indicators(f) {
			if err := insI(clean(id, h.Host, ind.Kind, ind.Value)...); err != nil {
				return err
			}
			seen[ind] = true
		}
	}
	if err := s.noteIndicators(ctx, tx, h.Host, seen); err != nil {
		return err
	}
	for _, e := range h.Evidence {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO evidence_files (run_id, path, sha256, size, mtime)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), clean(id, e.Path, e.SHA256, e.Size, fmtTime(e.MTime))...); err != nil {
			return err
		}
	}
	return nil
}

// Indicator is one attacker trait a finding carries, used to correlate
// hosts.
type Indicator struct {
	Kind  string `json:"kind"` // ip, user_agent, sha256, file_name
	Value string `json:"value"`
}

// Indicators extracts the correlatable traits of a finding of at least low
// severity: client IP, user agent, file hash and file name.
func Indicators(f *finding.Finding) []Indicator {
	if f.Severity.Rank() < finding.Low.Rank() {
		return nil
	}
	var out []Indicator
	add := func(kind, v string) {
		v = strings.TrimSpace(v)
		if v != "" && v != "-" && len(v) <= 2048 {
			out = append(out, Indicator{kind, v})
		}
	}
	add("ip", f.Details["client_ip"])
	add("user_agent", f.Details["user_agent"])
	add("sha256", strings.ToLower(f.Details["file_sha256"]))
	name := f.Details["file_name"]
	if name == "" && f.Kind == finding.KindFile {
		name = path.Base(strings.ReplaceAll(f.Source, `\`, "/"))
	}
	add("file_name", strings.ToLower(name))
	return out
}

// clean makes string arguments storable in PostgreSQL TEXT, which refuses
// NUL bytes and invalid UTF-8 that log lines and file names may carry. The
// JSON document keeps the original (JSON-escaped) values.
func clean(args ...any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			s = strings.ToValidUTF8(s, "\uFFFD")
			args[i] = strings.ReplaceAll(s, "\x00", "\uFFFD")
		}
	}
	return args
}
