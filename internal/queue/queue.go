package queue

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/exhunt/exhunt/internal/store"
)

// Queue names: scans and hunts are worked with separate limits.
const (
	ScanQueue = "exhunt_scan"
	HuntQueue = "exhunt_hunt"
)

// Queue is a connection to the job queue.
type Queue struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx] // inserts only; workers make their own
	schema string
	url    string
}

var schemaRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsURL says whether u names a PostgreSQL database, the only queue there is.
func IsURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open connects to the queue at url (postgres://...) and creates or
// upgrades River's tables. They go in the schema named first in the URL's
// search_path parameter, else where PostgreSQL's search_path puts them
// (public). maxConns sizes the connection pool (0: 10).
func Open(ctx context.Context, url string, maxConns int, log *slog.Logger) (*Queue, error) {
	if !IsURL(url) {
		return nil, fmt.Errorf("queue: %q is not a postgres:// URL", redact(url))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("queue: %s: %w", redact(url), err)
	}
	cfg.MaxConns = int32(max(maxConns, 10))
	var schema string
	if sp := cfg.ConnConfig.RuntimeParams["search_path"]; sp != "" {
		schema = strings.Trim(strings.TrimSpace(strings.Split(sp, ",")[0]), `"`)
		if !schemaRE.MatchString(schema) {
			return nil, fmt.Errorf("queue: search_path %q: the first schema must be a plain name (letters, digits, _)", sp)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: connect to %s: %w", redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("queue: connect to %s: %w", redact(url), err)
	}
	q := &Queue{pool: pool, schema: schema, url: url}
	if err := q.migrate(ctx, log); err != nil {
		pool.Close()
		return nil, err
	}
	q.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema, Logger: quiet(log)})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// migrate applies River's migrations, one process at a time: workers that
// start together wait on an advisory lock instead of racing.
func (q *Queue) migrate(ctx context.Context, log *slog.Logger) error {
	conn, err := q.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte("exhunt river migrate " + q.schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("queue: lock for migration: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck // the session ends anyway
	if q.schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{q.schema}.Sanitize()); err != nil {
			return fmt.Errorf("queue: create schema %s: %w", q.schema, err)
		}
	}
	m, err := rivermigrate.New(riverpgxv5.New(q.pool), &rivermigrate.Config{Schema: q.schema, Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("queue: migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrate River's tables: %w", err)
	}
	return nil
}

// Close releases the connections.
func (q *Queue) Close() { q.pool.Close() }

// Schema is where River's tables are ("" for PostgreSQL's search_path).
func (q *Queue) Schema() string { return q.schema }

// table names one of River's tables, schema-qualified when a schema is set.
func (q *Queue) table(name string) string {
	if q.schema == "" {
		return pgx.Identifier{name}.Sanitize()
	}
	return pgx.Identifier{q.schema, name}.Sanitize()
}

// quiet keeps River's own logging to warnings and errors.
func quiet(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(levelFloor{log.Handler(), slog.LevelWarn})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}

func (l levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{l.Handler.WithAttrs(a), l.min}
}
func (l levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{l.Handler.WithGroup(n), l.min}
}

func redact(u string) string { return store.Redact(u) }
