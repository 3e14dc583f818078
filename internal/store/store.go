package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	// Database drivers: both pure Go, so the Windows binary cross-builds
	// with CGO_ENABLED=0.
	"github.com/gofrs/flock"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite"

	"github.com/exhunt/exhunt/internal/datadir"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a host or run is not in the store.
var ErrNotFound = errors.New("store: not found")

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// Store is an open result database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect dialect
	path    string // the SQLite file; "" for PostgreSQL
	now     func() time.Time
}

// DefaultPath returns where the embedded database lives when no --db is
// given: exhunt.db in the data directory (internal/datadir:
// $EXHUNT_DATA_DIR, $XDG_DATA_HOME/exhunt or ~/.local/share/exhunt on Unix,
// %LOCALAPPDATA%\exhunt on Windows).
func DefaultPath() (string, error) {
	dir, err := datadir.Dir()
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return filepath.Join(dir, "exhunt.db"), nil
}

// IsPostgres says whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating it if needed) the database dsn names and applies
// any pending migration. dsn is a postgres:// or postgresql:// URL, a
// SQLite file path, or "" for [DefaultPath].
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{now: time.Now}
	var err error
	if IsPostgres(dsn) {
		s.dialect = postgres
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(16)
			s.db.SetMaxIdleConns(16)
		}
	} else {
		s.db, s.path, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if s.dialect == sqlite {
		// The first connection switches a new file to WAL, then the
		// schema is migrated: both under the one migration lock.
		unlock, err := lockSQLite(ctx, s.path)
		if err != nil {
			s.db.Close()
			return nil, err
		}
		defer unlock()
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(path string) (*sql.DB, string, error) {
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return nil, "", err
		}
		path = p
	}
	path = strings.TrimPrefix(path, "sqlite://")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("store: create %s: %w", filepath.Dir(path), err)
	}
	// WAL keeps every committed transaction across a crash of the process
	// (kill -9), synchronous(FULL) across a power loss too; busy_timeout
	// covers a second exhunt process writing (the driver sets it first).
	dsn := path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(15000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("store: open %s: %w", path, err)
	}
	// One connection serialises writers inside this process, which SQLite
	// does anyway, and avoids SQLITE_BUSY on lock upgrades.
	db.SetMaxOpenConns(1)
	return db, path, nil
}

// migrationLockWait bounds how long Open waits for another process that
// is migrating the same SQLite file.
var migrationLockWait = 2 * time.Minute

// lockSQLite takes the one migration lock of the SQLite file at path: an
// OS file lock (flock, or LockFileEx on Windows) on path+".lock", retried
// every 20 ms until migrationLockWait. The OS drops it when a process
// dies, so a killed exhunt never leaves the database locked. Without it,
// processes creating the same file at once each saw no schema and ran the
// first migration, and all but one failed ("table runs already exists"),
// or two switched the new file to WAL at once and one got SQLITE_BUSY,
// which SQLite returns without waiting to avoid a deadlock.
func lockSQLite(ctx context.Context, path string) (unlock func(), err error) {
	fl := flock.New(path+".lock", flock.SetPermissions(0o600))
	wctx, cancel := context.WithTimeout(ctx, migrationLockWait)
	defer cancel()
	ok, err := fl.TryLockContext(wctx, 20*time.Millisecond)
	if err != nil || !ok {
		fl.Close()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("store: %s: another exhunt process held the migration lock %s for %v", path, fl.Path(), migrationLockWait)
		}
		return nil, fmt.Errorf("store: lock %s: %w", fl.Path(), err)
	}
	return func() { fl.Unlock(); fl.Close() }, nil
}

// redact hides a password in a connection URL before it reaches a message.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			cred := dsn[i+3 : at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return dsn[:i+3] + cred[:c] + ":xxxxx" + dsn[at:]
			}
		}
	}
	return dsn
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	d := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == postgres {
		d = goose.DialectPostgres
		// Two exhunt processes starting at once must not both migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d, s.db, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites ? placeholders to $n for PostgreSQL. Queries in this package
// never contain a literal question mark.
func (s *Store) q(query string) string {
	if s.dialect != postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeFormat is fixed-width so that TEXT columns sort by time.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
