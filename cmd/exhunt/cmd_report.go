package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/exhunt/exhunt/internal/report"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
	"github.com/exhunt/exhunt/internal/web"
	"github.com/spf13/cobra"
)

// hostSelection is how report and export pick hosts: names, --all, or
// result files given with --from instead of the database.
type hostSelection struct {
	db    string
	all   bool
	from  []string
	hosts []string
}

func (o *hostSelection) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.db, "db", "", dbFlagHelp)
	cmd.Flags().BoolVar(&o.all, "all", false, "every host in the database")
	cmd.Flags().StringArrayVar(&o.from, "from", nil, "read results from this JSON/JSONL file instead of the database (repeatable)")
}

type reportOptions struct {
	hostSelection
	html string
}

func (o *reportOptions) AddFlags(cmd *cobra.Command) {
	o.hostSelection.AddFlags(cmd)
	cmd.Flags().StringVar(&o.html, "html", "", "write the HTML report to this file (- for standard output)")
}

func newReportCommand(g *globalOptions) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report [HOST...|--all] --html FILE",
		Short: "Write one self-contained HTML report: verdict, exposure, remediation plan, timeline, findings",
		Long: `Write one HTML file for the named hosts (or --all hosts) from the result
database: a verdict and exposure banner, a remediation plan ordered by
urgency (which security update to install for the exact build, mitigations
until then, web shells and dumps to remove, credentials to reset, whether to
rebuild), a timeline chart, every finding with its file:line evidence, and
log coverage with its gaps.

The file has no external asset and no script: it opens offline, can be
mailed, and prints. Every string from evidence is escaped.

Examples:
  exhunt report EX01 --html ex01.html
  exhunt report --all --html fleet.html --db postgres://exhunt@db/exhunt
  exhunt report --from hunt.json --html ex01.html     # no database needed

EXIT STATUS
  0  the report was written
  2  bad flags, an unknown host, an unreadable --from file`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.hosts = args
			return runReport(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runReport(ctx context.Context, g *globalOptions, o *reportOptions) error {
	if o.html == "" {
		return usagef("report: --html FILE is required")
	}
	return writeHosts(ctx, g, &o.hostSelection, true, report.FormatHTML, o.html)
}

// writeHosts is exhunt report and exhunt export: the selected hosts, in
// format f, to path (- for standard output). needSelection as for load.
func writeHosts(ctx context.Context, g *globalOptions, sel *hostSelection, needSelection bool, f report.Format, path string) error {
	hosts, err := sel.load(ctx, g, needSelection)
	if err != nil {
		return err
	}
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	ver, _, _ := buildInfo()
	return writeOutput(g.stdout, path, func(w io.Writer) error {
		return report.Write(w, f, hosts, report.Options{KB: kb, Version: ver})
	})
}

// load gathers the selected hosts. needSelection makes "no host and no
// --all" a usage error; otherwise it means every host.
func (o *hostSelection) load(ctx context.Context, g *globalOptions, needSelection bool) ([]report.Host, error) {
	if len(o.from) > 0 {
		if len(o.hosts) > 0 || o.all {
			return nil, usagef("--from reads hosts from files: give no HOST and no --all")
		}
		return hostsFromFiles(ctx, g, o.from)
	}
	switch {
	case len(o.hosts) > 0 && o.all:
		return nil, usagef("give HOST names or --all, not both")
	case len(o.hosts) == 0 && !o.all && needSelection:
		return nil, usagef("name at least one HOST, or use --all")
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	names := o.hosts
	if len(names) == 0 {
		sums, err := st.Hosts(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range sums {
			names = append(names, s.Host)
		}
	}
	var out []report.Host
	for _, name := range names {
		h, err := web.LoadHost(ctx, st, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, usagef("no hunt or scan result for host %q in the database", name)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func hostsFromFiles(ctx context.Context, g *globalOptions, files []string) ([]report.Host, error) {
	var out []report.Host
	for _, name := range files {
		err := readResultFile(g.stdin, name, func(d result.Doc) error {
			if d.Kind == result.Hunt {
				out = append(out, report.Host{Result: *d.Hunt})
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", name, err)}
		}
	}
	if len(out) == 0 {
		return nil, usagef("no hunt result in %v", files)
	}
	return out, nil
}

func readResultFile(stdin io.Reader, name string, fn func(result.Doc) error) error {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return result.ReadResults(r, fn)
}

// writeOutput writes to a file (atomically: a temporary file renamed into
// place, so a failed run leaves no half report) or to stdout for "-".
func writeOutput(stdout io.Writer, path string, fn func(io.Writer) error) error {
	if path == "-" || path == "" {
		return fn(stdout)
	}
	f, err := os.CreateTemp(dirOf(path), ".exhunt-*")
	if err != nil {
		return usagef("write %s: %v", path, err)
	}
	defer os.Remove(f.Name())
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}
