package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
	"github.com/spf13/cobra"
)

// dbFlagHelp documents --db the same way on every store command.
const dbFlagHelp = "result database: a SQLite file path or postgres://user@host/db URL (env EXHUNT_DB); default: the SQLite file in the user's data directory"

type importOptions struct {
	db string
}

func (o *importOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.db, "db", "", dbFlagHelp)
}

func newImportCommand(g *globalOptions) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Load hunt and scan results (JSON or JSONL) into the result database",
		Long: `Load results produced elsewhere (an air-gapped server, another analyst's
laptop) into the result database, so that reports, exports and the dashboard
see them.

A FILE holds exhunt hunt --format json output (one result or an array of
results), JSON lines of hunt results, or exhunt scan JSON lines; lines of
other types (progress, summary) are skipped. Use - for standard input.
Importing the same result twice stores it once: a run's id is the hash of
its content. Each file is stored in one transaction: all of it or nothing.

Examples:
  exhunt import ex01.json ex02.json
  exhunt import --db postgres://exhunt@db.corp/exhunt scans.jsonl
  ssh ex01 cat hunt.json | exhunt import -

EXIT STATUS
  0  every file was stored (or was already stored)
  2  a file is unreadable or holds a malformed result (nothing from it is stored)
  3  the database failed`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), g, &o, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// dbDSN picks --db, then EXHUNT_DB, then the default SQLite file.
func dbDSN(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("EXHUNT_DB")
}

func openStore(ctx context.Context, flag string) (*store.Store, error) {
	return store.Open(ctx, dbDSN(flag))
}

func runImport(ctx context.Context, g *globalOptions, o *importOptions, files []string) error {
	st, err := openStore(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	var bad []error
	for _, name := range files {
		saved, err := importFile(ctx, g.stdin, st, name)
		if errors.Is(err, result.ErrInvalid) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			bad = append(bad, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fresh := 0
		for _, s := range saved {
			if s.New {
				fresh++
			}
		}
		fmt.Fprintf(g.stdout, "%s: %d results, %d new, %d already stored\n", name, len(saved), fresh, len(saved)-fresh)
	}
	if len(bad) > 0 {
		return usageError{errors.Join(bad...)}
	}
	return nil
}

func importFile(ctx context.Context, stdin io.Reader, st *store.Store, name string) ([]store.Saved, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var docs []result.Doc
	if err := result.ReadResults(r, func(d result.Doc) error {
		docs = append(docs, d)
		return ctx.Err()
	}); err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	return st.Save(ctx, docs...)
}
