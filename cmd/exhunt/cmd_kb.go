package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/kbfeed"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/spf13/cobra"
)

func newKBCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kb",
		Short: "Manage the build knowledge: update it from Microsoft's and CISA's feeds",
	}
	cmd.AddCommand(newKBUpdateCommand(g))
	return cmd
}

type kbUpdateOptions struct {
	from, out      string
	kevURL, cveURL string
	cves           []string
	timeout        time.Duration
}

func newKBUpdateCommand(g *globalOptions) *cobra.Command {
	var o kbUpdateOptions
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Refresh builds, CVE fixes and the KEV list from Microsoft's CVE records and CISA's catalog",
		Long: `Fetch the publishers' own data and write a newer knowledge base to your
user data directory, which exhunt then prefers over the embedded one while
it is at least as new (exhunt version says which is in use):

  CISA KEV catalog   known_exploited_vulnerabilities.json: the Exchange
                     entries, with date added and known ransomware use
  CVE records        Microsoft's CVE JSON 5 record of every Exchange CVE
                     the knowledge knows, CISA lists, or --cve names: their
                     "affected below build X" per CU line is the fixed build

A record that contradicts the knowledge in use (another fixed build for the
same CVE and CU line) is reported and never overwrites it; a malformed
document is skipped and named. New fixed builds Microsoft's records name
are added to builds.csv, named after the record's month (Oct26SU) and
marked as derived. Microsoft's monthly CVRF documents are not read yet:
name new CVEs of a month with --cve until they are.

Examples:
  exhunt kb update                              # online
  exhunt kb update --cve CVE-2026-96940         # also a CVE the knowledge does not know yet
  exhunt kb update --from ./feeds               # offline: kev.json and CVE records (*.json, cve/*.json)
  exhunt version                                # which knowledge is in use, and its date

EXIT STATUS
  0  updated; nothing contradicted the knowledge
  1  updated, but a feed contradicted the knowledge (kept) or a document was skipped: read the report
  2  bad input, or no feed document could be read (nothing written)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKBUpdate(cmd.Context(), g, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "read the feeds from this folder instead of the network")
	f.StringVar(&o.out, "out", "", "write the knowledge base here (default: the user data directory, see exhunt version)")
	f.StringVar(&o.kevURL, "kev-url", kbfeed.DefaultKEVURL, "CISA KEV catalog (JSON)")
	f.StringVar(&o.cveURL, "cve-url", kbfeed.DefaultCVEURL, "CVE record service; %s is the CVE id")
	f.StringSliceVar(&o.cves, "cve", nil, "also fetch these CVE records (repeat or comma-separate)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each request")
	return cmd
}

// userKBDir is where `exhunt kb update` writes and exhunt looks for a
// newer knowledge base: beside the result database.
func userKBDir() (string, error) {
	db, err := store.DefaultPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(db), "kb"), nil
}

func runKBUpdate(ctx context.Context, g *globalOptions, o *kbUpdateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	base, _, err := loadKBWithOrigin(g)
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		if out, err = userKBDir(); err != nil {
			return usageError{err}
		}
	}
	if o.from != "" {
		if st, err := os.Stat(o.from); err != nil || !st.IsDir() {
			return usagef("--from %s: not a readable folder", o.from)
		}
	}
	src := kbfeed.Source{KEVURL: o.kevURL, CVEURL: o.cveURL, Dir: o.from, Client: &http.Client{Timeout: o.timeout}}
	if !g.quiet && isTerminal(g.stderr) {
		src.Progress = func(done, total int, what string) {
			fmt.Fprintf(g.stderr, "\rCVE records %d/%d", done, total)
			if done == total {
				fmt.Fprintln(g.stderr)
			}
		}
	}
	res, err := kbfeed.Update(ctx, base, src, o.cves, time.Now())
	if err != nil {
		return usageError{err}
	}
	if err := res.KB.Save(out, time.Now(), res.Sources); err != nil {
		return err
	}
	fmt.Fprint(g.stdout, res.Report.Summary())
	fmt.Fprintf(g.stdout, "written to %s (newest release %s, %d builds, %d CVE fix rows, %d KEV entries)\n",
		out, res.KB.DataDate().Format(time.DateOnly), len(res.KB.Releases), len(res.KB.Fixes), len(res.KB.KEV))
	if len(res.Report.Contradictions) > 0 || len(res.Report.Skipped) > 0 {
		return errFound
	}
	return nil
}

// loadKBWithOrigin picks the knowledge in use: --kb or EXHUNT_KB if given,
// else the user data directory's copy when it is at least as new as the
// embedded one, else the embedded one. why says why.
func loadKBWithOrigin(g *globalOptions) (kb *exchange.KB, why string, err error) {
	if dir := kbDir(g); dir != "" {
		kb, err := exchange.Load(dir)
		if err != nil {
			return nil, "", usageError{err}
		}
		return kb, dir + " (chosen with --kb or EXHUNT_KB)", nil
	}
	emb, err := exchange.Default()
	if err != nil {
		return nil, "", err
	}
	dir, err := userKBDir()
	if err != nil {
		return emb, "embedded (no user data directory)", nil
	}
	if _, err := os.Stat(dir); err != nil {
		return emb, "embedded (no exhunt kb update copy in " + dir + ")", nil
	}
	user, err := exchange.Load(dir)
	if err != nil {
		fmt.Fprintf(g.stderr, "exhunt: warning: ignoring %s: %v\n", dir, err)
		return emb, "embedded (the user copy is unreadable)", nil
	}
	if user.DataDate().Before(emb.DataDate()) {
		return emb, fmt.Sprintf("embedded (newer than the copy in %s, newest release %s)", dir, user.DataDate().Format(time.DateOnly)), nil
	}
	return user, dir + " (from exhunt kb update; at least as new as the embedded knowledge)", nil
}
