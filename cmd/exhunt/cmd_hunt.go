package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/filecheck"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/rules"
	"github.com/exhunt/exhunt/internal/web"
)

type huntOptions struct {
	format     string
	rulesDirs  []string
	host       string
	exPaths    []string
	failOn     string
	workers    int
	noProgress bool
	db         string
	noStore    bool
	uploadURL  string
	token      string
	queue      queueFlags // --queue: enqueue for exhunt worker (cmd_queue.go)

	// File hunting (internal/filecheck).
	yaraDirs      []string
	allFiles      bool
	maxFileSize   sizeFlag
	noDefaultYARA bool

	// Community rule sets installed by exhunt rules update.
	noCommunity bool
	dataDir     string
	// exhunt hunt --live (Windows): collect, then hunt the bundle.
	live   bool
	bundle string
}

func (o *huntOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "text", "output format: text, json (one object, or an array for several hosts) or jsonl (one host per line)")
	f.StringArrayVar(&o.rulesDirs, "rules", nil, "folder of extra Sigma rules (YAML, e.g. SigmaHQ's sigma/rules/windows), loaded next to the built-in pack; repeatable")
	// --sigma is the same flag under its first name: kept for scripts,
	// hidden from the help (README: "--sigma is an alias of --rules").
	f.StringArrayVar(&o.rulesDirs, "sigma", nil, "alias of --rules")
	f.MarkHidden("sigma")
	f.BoolVar(&o.live, "live", false, "on the Exchange server itself (Windows, elevated prompt): collect it as exhunt collect does into a bundle, then hunt the bundle; no PATH")
	f.StringVar(&o.bundle, "bundle", "", `with --live: where to write the bundle (e.g. D:\triage\EXCH01.zip; never inside a folder being collected); default: a new folder of its own in the temp folder`)
	f.StringVar(&o.host, "host", "", "host name to report (default: from the logs, else the evidence name); only with one PATH")
	f.StringArrayVar(&o.exPaths, "exchange-path", nil, `folder inside the evidence with a non-default Exchange install (e.g. D/Exchange): every file under it is checked for log headers; repeatable. With --live: the install folder as the server sees it (e.g. D:\Exchange), when the registry does not say`)
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding has at least this severity: informational, low, medium, high, critical")
	f.IntVar(&o.workers, "workers", 0, "files read in parallel (default: twice the number of CPUs)")
	f.BoolVar(&o.noProgress, "no-progress", false, "never show the progress bar (it shows only on a terminal)")
	f.StringVar(&o.db, "db", "", dbFlagHelp)
	f.BoolVar(&o.noStore, "no-store", false, "do not record the results in the result database")
	f.StringVar(&o.uploadURL, "upload", "", "also send the results to an exhunt dashboard, e.g. https://dash:8080/api/v1/results")
	f.StringVar(&o.token, "token", "", "bearer token for --upload (default: env EXHUNT_TOKEN)")
	f.StringArrayVar(&o.yaraDirs, "yara", nil, "folder of extra YARA rules (e.g. signature-base/yara), loaded unchanged next to the built-in pack; repeatable")
	f.BoolVar(&o.allFiles, "all-files", false, "check every file of the evidence, not only the web-facing, root, temp and ProgramData folders")
	o.maxFileSize = 64 << 20
	f.Var(&o.maxFileSize, "max-file-size", "largest file checked for web shells, dumps and tools (64MiB, 64MB or 67108864)")
	f.BoolVar(&o.noDefaultYARA, "no-default-yara", false, "leave out the built-in YARA pack (the IOC hash and name lists stay)")
	f.BoolVar(&o.noCommunity, "no-community-rules", false, "leave out the community rule sets installed by exhunt rules update")
	f.StringVar(&o.dataDir, "data-dir", "", "data directory holding the community rule sets (env EXHUNT_DATA_DIR; default: the user's data directory)")
	o.queue.AddFlags(cmd, "one hunt job per PATH (a path or http(s) URL the workers can read)")
}

func newHuntCommand(g *globalOptions) *cobra.Command {
	var o huntOptions
	cmd := &cobra.Command{
		Use:   "hunt PATH... | hunt --live",
		Short: "Hunt evidence (folder trees, zips, logs, EVTX) for Exchange exploitation and compromise",
		Long: `Hunt the evidence of one or more Exchange servers for exploitation and
compromise. Each PATH is one server: a folder tree copied from it (a mirror of
C:\ or of the Exchange install folder), a zip of such a tree, a single log or
.evtx file, or a folder of them. Evidence is only read, never written; the
SHA-256 of every file read is recorded.

Logs are found by their headers, whatever their folder, name and case (a log
renamed .txt or gzip-compressed under any name is read): IIS W3C logs (any
#Fields order), Exchange HttpProxy (all protocols), ECP Server, OABGenerator
and cmdlet logs, and Windows event logs (EVTX). The
built-in Sigma rule pack looks for ProxyLogon (CVE-2021-26855/26857/26858/
27065), ProxyShell, ProxyNotShell, OWASSRF, web-shell use, LSASS dumps, cmdlet
abuse and published indicators; add your own or SigmaHQ's with --rules
(--sigma is an alias).

Files are checked with the built-in YARA pack and published hash and
web-shell name lists: web shells of every Exchange wave (China Chopper,
ASPXSpy, Godzilla, Behinder, AntSword, SharPyShell, reGeorg tunnels, ...),
LSASS dumps, staged archives, ProcDump, Nishang, PowerCat, Covenant. When the
evidence is a server's tree (Windows, inetpub or Exchange folders), files in
the web-facing IIS and Exchange folders (aspnet_client, owa\auth, ecp\auth,
OAB, inetpub\wwwroot), drive roots, Windows\Temp, user temp folders and
ProgramData are checked (every file with --all-files); any other evidence, a
folder or zip of collected files, has every file checked. The result says
which scope was used (file_scope). No file over --max-file-size is read
whole. Community rule sets installed with exhunt rules update
(signature-base, SigmaHQ) are loaded too (--no-community-rules leaves them
out); add YARA folders with --yara; rules that cannot be compiled are listed
with the reason.

Each finding says whether the exploitation was attempted or succeeded; each
host gets a verdict (compromised, exploitation-attempted or no-evidence) and a
one-line reason. The report shows when each log source starts and ends, its
gaps, and warns when the logs start after the first known exploitation of a CVE
they cover. Every input that could not be examined (an unknown format such as an
Apache log, a log without a header, a file that cannot be read, a zip entry
skipped by a guard, a file over --max-file-size, an archive exhunt does not
open such as a tar.gz or 7z, an event log with no readable record) is listed
with the reason under "Not examined" (not_examined in JSON), and the verdict
reason says the evidence was incomplete. An IIS excerpt without its #Fields: header is read
with IIS's default Exchange fields when its lines fit them, and the coverage
says so.

The build comes from every signal the evidence holds (Exchange log columns
and headers, ECP S:BLD, ExSetup.exe's file version, MSExchange events, OWA/ECP
resource paths), the most reliable and precise first; placeholders such as the
15.0.0.0 of ECP log headers are ignored, and disagreements are reported
(build_sources in JSON).

A bundle written by exhunt collect is recognised by its manifest.json: file
times are the server's as the manifest records them (not the zip's
one-second times), findings name the server's paths (C:\inetpub\...), the
manifest's host names the report when the logs name no computer,
ExSetup.exe's version is a build signal, files the collector could not read
are listed under "Not examined", and the hash of every file the hunt reads
whole is checked against the manifest: a difference is a warning and is
said in the verdict reason (exhunt collect --verify checks every file and
the zip itself).

--live, on the Exchange server itself (Windows, elevated prompt), collects
it as exhunt collect does (the --max-file-size bound applies) into a bundle
in a new folder of its own in the temp folder (or --bundle PATH), hunts the
bundle, and prints where it is kept. It has not been run on Windows yet:
it is cross-built and vetted; its logic is tested on Linux.

Evidence that names several computers (event logs of six machines, IIS logs
with s-computername, Exchange logs with ServerHostName) is reported as one
host per computer, with a warning; --host NAME reports a single PATH as one
host.

Many machines: --queue postgres://... enqueues one job per PATH for exhunt
worker processes (unique by the bundle's SHA-256 and the rule-pack version)
and prints the batch id; exhunt queue status shows progress.

Examples:
  exhunt.exe hunt --live                   # on the server, elevated prompt
  exhunt.exe hunt --live --bundle D:\triage\EXCH01.zip
  exhunt hunt examples/evidence
  exhunt hunt EXCH01.zip                   # a bundle from exhunt collect
  exhunt hunt --format json server1.zip server2/ > results.json
  exhunt hunt --rules ~/sigma/rules/windows C:\triage\EXCH01
  exhunt hunt --host EXCH01 Security.evtx
  exhunt hunt --yara ~/signature-base/yara --all-files EXCH01/

EXIT STATUS
  0  no finding at or above --fail-on (default high), and something was examined
  1  at least one finding at or above --fail-on
  2  bad input: missing path, unreadable rules folder, a PATH that is not a
     folder, zip or regular file (a FIFO, a device), or a PATH where nothing
     could be examined (the report is still printed, with the reasons); this
     wins over 1, so a script never takes an unexamined server for a checked one;
     --live off Windows, or a --bundle path inside the evidence or existing
  3  a failed --upload, or another internal error
  4  the results were printed but could not be recorded in the result
     database (it could not be opened, or a save failed); wins over 1, 2 and 3`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case o.live && len(args) > 0:
				return errors.New("--live hunts the server it runs on: give no PATH with it")
			case o.live && o.queue.queue != "":
				return errors.New("--live hunts this server here and now: it cannot be queued (collect a bundle, then hunt --queue it)")
			case !o.live && o.bundle != "":
				return errors.New("--bundle is for --live")
			case !o.live && len(args) == 0:
				return errors.New("requires at least 1 PATH (or --live on the Exchange server)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHunt(cmd, g, &o, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runHunt(cmd *cobra.Command, g *globalOptions, o *huntOptions, paths []string) error {
	if o.format != "text" && o.format != "json" && o.format != "jsonl" {
		return usagef("unknown --format %q (want text, json or jsonl)", o.format)
	}
	failOn, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageError{err}
	}
	if o.uploadURL != "" && o.token == "" {
		o.token = os.Getenv("EXHUNT_TOKEN")
		if o.token == "" {
			return usagef("--upload needs --token or EXHUNT_TOKEN")
		}
	}
	if o.host != "" && len(paths) > 1 {
		return usagef("--host names one server: give one PATH with it")
	}
	if o.queue.queue != "" {
		return runHuntQueue(cmd.Context(), g, o, paths)
	}
	var community communitySets
	if !o.noCommunity {
		if community.yara, community.sigma, community.note, err = communityRules(o.dataDir); err != nil {
			return err
		}
	}
	set, err := loadRules(g, o.rulesDirs, community.sigma)
	if err != nil {
		return err
	}
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	opt := hunt.Options{
		Host:          o.host,
		ExchangePaths: o.exPaths,
		Rules:         set,
		KB:            kb,
		Workers:       o.workers,
		Log:           g.log,
	}
	if opt.Files, err = loadFileChecker(g, o, community.yara); err != nil {
		return err
	}
	opt.RulesVersion = community.note
	opt.AllFiles, opt.MaxFileSize = o.allFiles, int64(o.maxFileSize)
	opt.Version, _, _ = buildInfo()
	if !o.noProgress && isTerminal(g.stderr) {
		opt.Progress = newBarProgress(g.stderr)
	}
	if o.live {
		// Flags, rules and YARA folders are settled: collect, then hunt
		// the bundle, and say where it is kept whatever the outcome.
		b, err := collectForHunt(cmd.Context(), g, o)
		if err != nil {
			return err
		}
		defer keptBundle(g.stderr, b)
		paths = []string{b.Path}
		opt.ExchangePaths = nil // went to the collector; the manifest gives it to the hunt
	}
	defer tuneGC()()
	results, err := hunt.Run(cmd.Context(), paths, opt)
	if err != nil {
		return err
	}
	writeHeapProfile(os.Getenv("EXHUNT_MEMPROFILE"))
	if err := writeHunt(g.stdout, o.format, results, opt); err != nil {
		return err
	}
	var examined []finding.HostResult
	var nothing []string
	for _, r := range results {
		if r.FilesExamined == 0 {
			nothing = append(nothing, r.Host)
			continue
		}
		examined = append(examined, r)
	}
	if err := keepHunt(cmd.Context(), g, o, examined); err != nil {
		if n := countAtLeast(results, failOn); n > 0 {
			err = errors.Join(err, fmt.Errorf("%d findings at or above --fail-on %s were found (and printed)", n, failOn))
		}
		return err
	}
	if len(nothing) > 0 {
		return fmt.Errorf("%w: nothing could be examined for %s (see \"Not examined\" above; not recorded)", errCouldNotTell, strings.Join(nothing, ", "))
	}
	if countAtLeast(results, failOn) > 0 {
		return errFound
	}
	return nil
}

// countAtLeast counts the findings of at least severity min.
func countAtLeast(results []finding.HostResult, min finding.Severity) int {
	n := 0
	for _, r := range results {
		for _, f := range r.Findings {
			if f.Severity.Rank() >= min.Rank() {
				n++
			}
		}
	}
	return n
}

// communitySets are the installed community rule folders for a hunt.
type communitySets struct {
	yara, sigma []string
	note        string // "signature-base v2.1, sigma r2026-11-30", recorded as rules_version
}

// loadRules returns the built-in pack plus the user's folders and the
// installed community Sigma sets. Rules that cannot be used are listed on
// stderr with the reason, never dropped silently (a community set's are
// counted, and listed by exhunt rules list); an unreadable folder is an
// error.
func loadRules(g *globalOptions, dirs, community []string) (*rules.Set, error) {
	set, errs := rules.Builtin()
	if len(errs) > 0 {
		// The embedded pack is tested to load cleanly; say so if it did not.
		for _, e := range errs {
			fmt.Fprintf(g.stderr, "exhunt: built-in rule problem: %v\n", e)
		}
	}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, usagef("rules: %v", err)
		}
		if !st.IsDir() {
			return nil, usagef("rules: %s is not a folder", dir)
		}
		extra, errs := rules.LoadFS(os.DirFS(dir), ".")
		merged := set.Merge(extra)
		if !g.quiet {
			fmt.Fprintf(g.stderr, "exhunt: %s: %d rules loaded, %d not usable\n", dir, extra.Len(), len(errs))
		}
		if g.quiet && len(errs)+len(merged) > 0 {
			fmt.Fprintf(g.stderr, "exhunt: %s: %d rules not usable\n", dir, len(errs)+len(merged))
		}
		for _, e := range append(errs, merged...) {
			fmt.Fprintf(g.stderr, "  skipped: %v\n", e)
		}
	}
	for _, dir := range community {
		extra, errs := rules.LoadFS(os.DirFS(dir), ".")
		merged := set.Merge(extra)
		if !g.quiet {
			fmt.Fprintf(g.stderr, "exhunt: community Sigma rules %s: %d loaded, %d not usable (exhunt rules list says why)\n", dir, extra.Len(), len(errs)+len(merged))
		}
	}
	return set, nil
}

// loadFileChecker compiles the built-in YARA pack, the --yara folders and
// the installed community YARA sets, listing every rule of a --yara folder
// it cannot use with the reason, like loadRules.
func loadFileChecker(g *globalOptions, o *huntOptions, community []string) (*filecheck.Checker, error) {
	c, errs, err := filecheck.New(filecheck.Options{YARADirs: append(slices.Clone(o.yaraDirs), community...), NoDefault: o.noDefaultYARA, Log: g.log})
	if err != nil {
		return nil, usageError{err}
	}
	communityErrs := map[string]int{}
	var listed []filecheck.LoadError
	for _, e := range errs {
		if slices.Contains(community, e.Dir) {
			communityErrs[e.Dir]++
		} else {
			listed = append(listed, e)
		}
	}
	// -q keeps what is a warning (a --yara rule that cannot be used) and
	// drops the counts.
	switch {
	case g.quiet && len(listed) > 0:
		fmt.Fprintf(g.stderr, "exhunt: %d YARA rules not usable\n", len(listed))
	case !g.quiet && (len(o.yaraDirs) > 0 || len(community) > 0 || len(errs) > 0):
		fmt.Fprintf(g.stderr, "exhunt: %d YARA rules loaded, %d not usable\n", c.RuleCount(), len(errs))
	}
	for _, e := range listed {
		fmt.Fprintf(g.stderr, "  skipped: %v\n", e)
	}
	if !g.quiet {
		for _, dir := range community {
			fmt.Fprintf(g.stderr, "  community YARA rules %s: %d not usable (exhunt rules list says why)\n", dir, communityErrs[dir])
		}
	}
	return c, nil
}

// sizeFlag is a byte count flag that takes 64MiB, 64MB or 67108864.
type sizeFlag int64

func (s *sizeFlag) String() string { return formatSize(int64(*s)) }
func (s *sizeFlag) Type() string   { return "size" }
func (s *sizeFlag) Set(v string) error {
	n, err := filecheck.ParseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

// formatSize writes n in the largest binary unit that divides it (64MiB),
// as --max-file-size takes it back.
func formatSize(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprint(n)
}

func writeHunt(w io.Writer, format string, results []finding.HostResult, opt hunt.Options) error {
	switch format {
	case "json":
		return finding.WriteJSON(w, results, len(results) != 1, true)
	case "jsonl":
		return finding.WriteJSON(w, results, false, false)
	}
	hunt.WriteText(w, results, opt.KB)
	return nil
}

// writeIndented writes v as indented JSON and a newline, like an Encoder
// with SetIndent("", "  "), with the indenting five times faster.
func writeIndented(w io.Writer, v any) error {
	src, err := json.Marshal(v)
	if err != nil {
		return err
	}
	out := jsonfmt.Indent(make([]byte, 0, len(src)+len(src)/2), src, "", "  ")
	_, err = w.Write(append(out, '\n'))
	return err
}

// keepHunt records the results in the result database (unless --no-store)
// and sends them to a dashboard (with --upload). Results that could not be
// recorded are an error wrapping errNotSaved (exit 4), never only a
// warning: a script must know that a run is missing from the database. A
// failed upload is an error too (exit 3, as before), since the caller asked
// for it; the upload is tried even when the database failed.
func keepHunt(ctx context.Context, g *globalOptions, o *huntOptions, results []finding.HostResult) error {
	var notSaved error
	if !o.noStore {
		notSaved = storeHunts(ctx, g, o.db, results)
	}
	if o.uploadURL != "" {
		if err := web.Upload(ctx, o.uploadURL, o.token, results); err != nil {
			return errors.Join(notSaved, fmt.Errorf("upload to %s: %w", o.uploadURL, err))
		}
		g.log.Info("uploaded", "url", o.uploadURL, "hosts", len(results))
	}
	return notSaved
}

// storeHunts saves every result and returns an error wrapping errNotSaved
// that names each host not recorded and why.
func storeHunts(ctx context.Context, g *globalOptions, db string, results []finding.HostResult) error {
	st, err := openStore(ctx, db)
	if err != nil {
		return fmt.Errorf("%w: %v (the results are on standard output; use --no-store to skip the database)", errNotSaved, err)
	}
	defer st.Close()
	var failed []string
	for _, r := range results {
		saved, err := st.SaveHunt(ctx, r)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", r.Host, err))
			continue
		}
		g.log.Info("recorded", "host", r.Host, "run", saved.ID, "new", saved.New)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %d of %d hosts: %s", errNotSaved, len(failed), len(results), strings.Join(failed, "; "))
	}
	return nil
}

// tuneGC trades memory for speed in a hunt, unless the user set GOGC or
// GOMEMLIMIT: collecting a quarter as often cut a 9 000-file YARA hunt
// from 2.7 s to 2.4 s, and the soft limit keeps the heap of long log hunts
// well under 256 MiB. The limit follows the live heap once that outgrows
// it, with room for half the live heap or 96 MiB, whichever is more (3x
// live let a 400 MB flood of attack lines, 90 MiB live, reach 360 MiB of
// RSS): a file hunt's findings are live data, and a fixed limit
// below them makes the collector run without pause, a cost that grew
// faster than the evidence (69 440 files with 112 000 findings: 2-3 CPU
// seconds of 30). The returned func stops the adjustment.
func tuneGC() (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	const floor = 192 << 20
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(floor)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				metrics.Read(sample)
				if sample[0].Value.Kind() == metrics.KindUint64 {
					live := int64(sample[0].Value.Uint64())
					debug.SetMemoryLimit(max(floor, live+max(floor/2, live/2)))
				}
			}
		}
	}()
	return func() { close(done) }
}
