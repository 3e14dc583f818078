package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/exhunt/exhunt/internal/safetext"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/exhunt/exhunt/internal/collect"
)

type collectOptions struct {
	root         string
	drives       []string
	exchangePath string
	host         string
	since        string
	maxSize      sizeFlag
	output       string
	allEventLogs bool
	dryRun       bool
	noProgress   bool
	verify       string
}

func (o *collectOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.root, "root", "", `a mounted disk or a copied C:\ to collect from (default on Windows: the live system)`)
	f.StringArrayVar(&o.drives, "drive", nil, `another drive of the server, LETTER=DIR (e.g. D=/mnt/d) when its logs or Exchange live there; repeatable`)
	f.StringVar(&o.exchangePath, "exchange-path", "", `the Exchange install folder as the server sees it (e.g. D:\Exchange); default: the registry on a live system, else applicationHost.config, else the default folder`)
	f.StringVar(&o.host, "host", "", "the server's name for the manifest and the default bundle name (default: this computer's on a live system)")
	f.StringVar(&o.since, "since", "", "leave out IIS and Exchange logs last written before this day: 2021-01-01, an RFC 3339 time, or 90d (days ago); event logs, web files and configuration are always taken")
	o.maxSize = collect.DefaultMaxSize
	f.Var(&o.maxSize, "max-size", "largest file taken from the web, ProgramData, temp and root folders (64MiB, 64MB or 67108864); larger ones are listed in the manifest with their size and times; logs are always taken whole")
	f.StringVarP(&o.output, "output", "o", "", "the bundle to write (default: exhunt-HOST-YYYYMMDDTHHMMSSZ.zip in the current folder); never inside the evidence")
	f.BoolVar(&o.allEventLogs, "all-event-logs", false, "take every .evtx in winevt\\Logs, not only the channels hunts use")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be collected (stdout) and the size estimate, copy nothing")
	f.BoolVar(&o.noProgress, "no-progress", false, "never show the progress bar (it shows only on a terminal)")
	f.StringVar(&o.verify, "verify", "", "check a bundle against its manifest and its .sha256 instead of collecting")
}

func newCollectCommand(g *globalOptions) *cobra.Command {
	var o collectOptions
	cmd := &cobra.Command{
		Use:   "collect [--root DIR] [--since DATE] [--max-size SIZE] [-o BUNDLE.zip] | collect --verify BUNDLE.zip",
		Short: "Collect a verifiable triage bundle of an Exchange server (live on Windows, or from a copied C:\\)",
		Long: `Copy what exhunt hunt reads from one Exchange server into one zip, hashing
every file, so that it can be hunted elsewhere and checked later.

On the server itself (Windows, from an elevated prompt) it reads the live
system: the Exchange install folder from the registry, the IIS log folders
from applicationHost.config, and the event logs the EventLog service keeps
open through the Event Log API (EvtExportLog; wevtutil epl if that fails).
With --root it reads a mounted disk or a copied C:\ on any OS, matching
paths without regard to case as Windows does.

What is collected:
  IIS logs          every site's W3C folder named in applicationHost.config, the
                    default folders, HTTPERR
  Exchange logs     Logging\HttpProxy (all protocols), ECP, OABGeneratorLog,
                    CmdletInfra, Ews, MapiHttp, MAPI/RPC Client Access, RpcHttp
  event logs        Application, System, Security, MSExchange Management,
                    PowerShell (both), Sysmon, Defender (--all-event-logs: all)
  web-facing files  inetpub\wwwroot (aspnet_client), FrontEnd\HttpProxy\owa\auth,
                    ecp\auth and OAB; server code (.aspx, .ashx, .config, ...) in
                    ClientAccess\owa, ecp, OAB and other sites' folders
  configuration     applicationHost.config, web.config files, machine.config
  dumps and tools   ProgramData, Windows\Temp, users' temp folders, Users\Public,
                    C:\root and the files at C:\ (under --max-size)
  Exchange build    Bin\ExSetup.exe and C:\ExchangeSetupLogs\ExchangeSetup.log

The bundle holds the files under C/... (the layout of a copied tree),
manifest.json (for each file: original path, size, timestamps as found,
SHA-256, how it was read; what was skipped and why; what was looked for and
not found; collector, host, start and end) and collection.log; BUNDLE.zip.sha256
is written beside it. Files are opened read-only; the bundle is never
written inside the evidence. A size estimate is printed before copying.

ExSetup.exe's file version (its version resource) is recorded in
manifest.json as exsetup_version. exhunt hunt BUNDLE.zip reads the bundle
with the manifest's times (the server's, not the zip's one-second ones),
the server's paths and the ExSetup version; exhunt hunt --live collects and
hunts in one step.

Not yet: reading files locked by other processes (other than event logs)
through a volume shadow copy or raw NTFS. The Windows code paths are
cross-built and vetted, never run on Windows.

Examples:
  exhunt.exe collect -o D:\triage\EXCH01.zip         # on the server, elevated prompt
  exhunt collect --root /mnt/exch01 --since 2021-01-01 -o exch01.zip
  exhunt collect --root /mnt/c --drive D=/mnt/d --exchange-path 'D:\Exchange' -o exch01.zip
  exhunt collect --root /mnt/exch01 --dry-run > plan.txt
  exhunt collect --verify exch01.zip

EXIT STATUS
  0  bundle written (what could not be read is listed in the manifest and on
     stderr); with --verify: every file matches the manifest
  1  --verify: a file differs from the manifest, is missing or was added, or
     the bundle differs from its .sha256
  2  bad input: flags, --root not a folder, the bundle would be inside the
     evidence or exists already, live collection off Windows, nothing to
     collect (no bundle is left behind), not a bundle
     (a FIFO, a device or a folder given to --verify is refused unopened)
  3  internal error (e.g. the disk filled up while writing)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.verify != "" {
				return runVerify(cmd.Context(), g, o.verify)
			}
			return runCollect(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// parseSince reads --since: a day, an RFC 3339 time, or N days ago.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 && d < 100000 {
			return now.AddDate(0, 0, -d), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a day (2021-01-01), an RFC 3339 time or a number of days (90d)", s)
}

// liveSource describes the running system (collect.Live); tests put a
// stand-in live system in its place.
var liveSource = collect.Live

func collectSource(ctx context.Context, o *collectOptions) (collect.Source, error) {
	if o.root == "" {
		if len(o.drives) > 0 {
			return collect.Source{}, usagef("--drive needs --root")
		}
		src, err := liveSource(ctx)
		if err != nil {
			return src, usageError{err}
		}
		if o.host != "" {
			src.Host = o.host
		}
		if o.exchangePath != "" {
			src.ExchangeInstall, src.ExchangeFrom = o.exchangePath, "--exchange-path"
		}
		return src, nil
	}
	more := map[string]string{}
	for _, d := range o.drives {
		l, dir, ok := strings.Cut(d, "=")
		if !ok || dir == "" {
			return collect.Source{}, usagef("--drive %q: want LETTER=DIR, e.g. D=/mnt/d", d)
		}
		more[l] = dir
	}
	src, err := collect.RootSource(o.root, more, o.host)
	if err != nil {
		return src, usageError{err}
	}
	if o.exchangePath != "" {
		src.ExchangeInstall, src.ExchangeFrom = o.exchangePath, "--exchange-path"
	}
	return src, nil
}

func runCollect(ctx context.Context, g *globalOptions, o *collectOptions) error {
	started := time.Now()
	since, err := parseSince(o.since, started)
	if err != nil {
		return usageError{err}
	}
	src, err := collectSource(ctx, o)
	if err != nil {
		return err
	}
	plan, err := collect.NewPlan(ctx, src, collect.Options{Since: since, MaxSize: int64(o.maxSize), AllEventLogs: o.allEventLogs, Log: g.log})
	if err != nil {
		return usageError{err}
	}
	defer plan.Close()
	out := o.output
	if out == "" {
		out = defaultBundleName(src, started)
	}
	if o.dryRun {
		writeEstimate(g.stderr, src, plan, out, true)
		writePlanList(g.stdout, plan)
		return nil
	}
	b, err := writeBundle(ctx, g, src, plan, out, o.noProgress)
	if err != nil {
		return err
	}
	if !g.quiet {
		fmt.Fprintf(g.stderr, "exhunt: wrote %s (%d files, %s, in %s; %d skipped, %d places not found: see manifest.json)\n",
			out, b.Manifest.Totals.Files, size(b.Manifest.Totals.Bytes), time.Since(started).Round(time.Millisecond), b.Manifest.Totals.Skipped, b.Manifest.Totals.Missing)
		fmt.Fprintf(g.stderr, "exhunt: SHA-256 %s (in %s.sha256); check it later with: exhunt collect --verify %s\n", b.SHA256, out, out)
	}
	return nil
}

// writeBundle checks where the bundle goes, prints the estimate (on a
// terminal) or the warnings, writes the bundle with a progress bar, and
// lists on stderr what could not be read.
func writeBundle(ctx context.Context, g *globalOptions, src collect.Source, plan *collect.Plan, out string, noProgress bool) (*collect.Bundle, error) {
	if err := plan.CheckOutput(out); err != nil {
		return nil, usageError{err}
	}
	// The estimate is for a person watching; scripts get the warnings and
	// the summary line only.
	if !g.quiet && isTerminal(g.stderr) {
		writeEstimate(g.stderr, src, plan, out, false)
	} else {
		for _, w := range plan.Warnings {
			fmt.Fprintf(g.stderr, "exhunt: warning: %s\n", safetext.Line(w))
		}
	}
	ver, rev, _ := buildInfo()
	wo := collect.WriteOptions{
		Collector:   collect.Collector{Name: "exhunt", Version: ver, Commit: rev, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH},
		CommandLine: os.Args,
	}
	if !noProgress && isTerminal(g.stderr) {
		wo.Progress = newBarProgress(g.stderr)
	}
	b, err := plan.Write(ctx, out, wo)
	if err != nil {
		if errors.Is(err, collect.ErrOutput) || errors.Is(err, collect.ErrNothing) {
			return nil, usageError{err}
		}
		return nil, err
	}
	m := b.Manifest
	var unread []collect.Skipped
	for _, s := range m.Skipped {
		if !s.ByChoice() {
			unread = append(unread, s)
		}
	}
	if len(unread) > 0 {
		fmt.Fprintf(g.stderr, "exhunt: warning: %d files or folders could not be read (rights, locks, links); the bundle lacks them:\n", len(unread))
		for i, s := range unread {
			if i == 10 {
				fmt.Fprintf(g.stderr, "  ... and %d more in manifest.json \"skipped\"\n", len(unread)-i)
				break
			}
			fmt.Fprintf(g.stderr, "  %s: %s\n", safetext.Line(s.OriginalPath), safetext.Line(s.Reason))
		}
	}
	return b, nil
}

// collectForHunt is the collection half of exhunt hunt --live: the
// running server into the --bundle path, or else into a new folder of its
// own in the temp folder, which the collection leaves out (on Windows the
// temp folders are collected). The folder is removed if nothing was
// written in it.
func collectForHunt(ctx context.Context, g *globalOptions, o *huntOptions) (*collect.Bundle, error) {
	started := time.Now()
	src, err := liveSource(ctx)
	if errors.Is(err, collect.ErrLiveUnsupported) {
		return nil, usagef("hunt --live collects the server it runs on: it runs on Windows only, on the Exchange server, from an elevated prompt; elsewhere hunt a bundle (exhunt collect) or a copied tree: exhunt hunt PATH")
	}
	if err != nil {
		return nil, usageError{err}
	}
	if o.host != "" {
		src.Host = o.host
	}
	switch len(o.exPaths) {
	case 0:
	case 1:
		src.ExchangeInstall, src.ExchangeFrom = o.exPaths[0], "--exchange-path"
	default:
		return nil, usagef("with --live, --exchange-path names the one Exchange install folder as the server sees it (e.g. D:\\Exchange)")
	}
	opt := collect.Options{MaxSize: int64(o.maxFileSize), Log: g.log}
	out := o.bundle
	if out == "" {
		dir, err := os.MkdirTemp("", "exhunt-live-")
		if err != nil {
			return nil, fmt.Errorf("a folder for the bundle in the temp folder: %w", err)
		}
		defer os.Remove(dir) // only when empty: a written bundle stays
		opt.Exclude = []string{dir}
		out = filepath.Join(dir, defaultBundleName(src, started))
	}
	plan, err := collect.NewPlan(ctx, src, opt)
	if err != nil {
		return nil, usageError{err}
	}
	defer plan.Close()
	b, err := writeBundle(ctx, g, src, plan, out, o.noProgress)
	if err != nil {
		return nil, err
	}
	if !g.quiet {
		fmt.Fprintf(g.stderr, "exhunt: collected %d files (%s) in %s; hunting them\n", b.Manifest.Totals.Files, size(b.Manifest.Totals.Bytes), time.Since(started).Round(time.Millisecond))
	}
	return b, nil
}

// keptBundle tells where the bundle of hunt --live is, and what to do
// with it; it is printed even with -q, since it holds the server's logs.
func keptBundle(w io.Writer, b *collect.Bundle) {
	fmt.Fprintf(w, "exhunt: the bundle is kept at %s (SHA-256 %s, in %s.sha256; check it with: exhunt collect --verify %s).\n"+
		"exhunt: it holds this server's logs and files: move it to a safe place off the server (a later collection would take it like any file in the temp folder) or delete it\n",
		b.Path, b.SHA256, filepath.Base(b.Path), b.Path)
}

func defaultBundleName(src collect.Source, now time.Time) string {
	host := src.Host
	if host == "" {
		host = filepath.Base(filepath.Clean(src.Drives["C"]))
	}
	host = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, host)
	return fmt.Sprintf("exhunt-%s-%s.zip", host, now.UTC().Format("20060102T150405Z"))
}

func size(n int64) string { return fmt.Sprintf("% .1f", decor.SizeB1024(n)) }

// writeEstimate prints, before copying, where Exchange and the IIS logs
// were found, what will be copied per category and what will not.
func writeEstimate(w io.Writer, src collect.Source, p *collect.Plan, out string, dry bool) {
	from := "the live system"
	if !src.Live {
		from = safetext.Line(src.Drives["C"]) + ` (as C:\)`
	}
	host := src.Host
	if host == "" {
		host = "(host unknown: --host names it)"
	}
	fmt.Fprintf(w, "exhunt: collecting %s from %s\n", safetext.Line(host), from)
	if p.Exchange.InstallPath != "" {
		fmt.Fprintf(w, "  Exchange   %s (from %s)\n", safetext.Line(p.Exchange.InstallPath), p.Exchange.FoundFrom)
	} else {
		fmt.Fprintf(w, "  Exchange   not found\n")
	}
	if v := p.Exchange.ExSetupVersion; v != "" {
		fmt.Fprintf(w, "  build      %s (ExSetup.exe file version; exhunt build %s tells its updates and CVEs)\n", v, v)
	} else if p.Exchange.BuildNote != "" {
		fmt.Fprintf(w, "  build      unknown: %s\n", safetext.Line(p.Exchange.BuildNote))
	}
	fmt.Fprintf(w, "  IIS logs   folders from %s\n", p.IIS.From)
	e := p.Estimate()
	for _, c := range slices.Sorted(maps.Keys(e.ByCategory)) {
		t := e.ByCategory[c]
		fmt.Fprintf(w, "    %-16s %6d files %12s\n", c, t.Files, size(t.Bytes))
	}
	est := size(e.Bytes)
	if e.Unknown > 0 {
		est += fmt.Sprintf(" + %d event logs exported live (size known once exported)", e.Unknown)
	}
	fmt.Fprintf(w, "  to copy    %d files, %s (before compression)\n", e.Files, est)
	fmt.Fprintf(w, "  skipped    %d (--since, --max-size, caches, links, unreadable: listed in the manifest)\n", e.Skipped)
	fmt.Fprintf(w, "  not found  %d places looked at\n", e.Missing)
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "  warning    %s\n", safetext.Line(warn))
	}
	if !dry {
		fmt.Fprintf(w, "  bundle     %s\n", out)
	}
}

// writePlanList prints, for --dry-run, one line per file to copy, skip or
// miss: action, category, size, path.
func writePlanList(w io.Writer, p *collect.Plan) {
	for _, it := range p.Items {
		fmt.Fprintf(w, "copy\t%s\t%d\t%s\n", it.Category, it.Size, safetext.Line(it.OriginalPath))
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "skip\t%s\t%d\t%s\t%s\n", s.Category, s.Size, safetext.Line(s.OriginalPath), safetext.Line(s.Reason))
	}
	for _, m := range p.Missing {
		fmt.Fprintf(w, "missing\t%s\t-\t%s\t%s\n", m.Category, safetext.Line(m.Path), safetext.Line(m.Error))
	}
}

func runVerify(ctx context.Context, g *globalOptions, bundle string) error {
	rep, err := collect.Verify(ctx, bundle)
	if err != nil {
		if errors.Is(err, collect.ErrNotBundle) {
			return usageError{err}
		}
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(g.stdout, "MISMATCH %s: %s: %s\n", safetext.Line(p.Path), p.Kind, safetext.Line(p.Detail))
	}
	m := rep.Manifest
	fmt.Fprintf(g.stdout, "%s: %d files, %s checked against manifest.json (host %s, collected %s by %s %s); bundle hash %s\n",
		bundle, rep.Files, size(rep.Bytes), safetext.Line(m.Host), m.Started.Format(time.RFC3339), safetext.Line(m.Collector.Name), safetext.Line(m.Collector.Version), rep.Container)
	if !rep.OK() {
		fmt.Fprintf(g.stdout, "FAILED: %d problems\n", len(rep.Problems))
		return errFound
	}
	fmt.Fprintln(g.stdout, "OK: every file matches its SHA-256 and size")
	return nil
}
