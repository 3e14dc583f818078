package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/queue"
	"github.com/exhunt/exhunt/internal/safetext"
	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

type scanOptions struct {
	format      string
	ports       string
	inputs      []string
	concurrency int
	rate        float64
	hostRate    float64
	timeout     time.Duration
	hostTimeout time.Duration
	retries     int
	shard       string
	resume      string
	active      bool
	webshells   bool
	shellsAll   bool
	keepOrder   bool
	db          string
	noStore     bool
	queue       queueFlags // --queue: enqueue for exhunt worker (cmd_queue.go)
	wait        bool
	scanID      string
	chunk       int
}

func (o *scanOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "text", "output on stdout: text (table), jsonl (one object per host) or csv (notification list)")
	f.StringVarP(&o.ports, "ports", "p", "443", "ports for targets without one, comma-separated (80 is plain HTTP; others try HTTPS, then HTTP)")
	f.StringArrayVarP(&o.inputs, "input", "i", nil, "read targets from FILE, one per line, # comments (repeatable; - is stdin)")
	f.IntVarP(&o.concurrency, "concurrency", "c", 100, "hosts scanned at once")
	f.Float64Var(&o.rate, "rate", 0, "requests per second over all hosts (0: unlimited)")
	f.Float64Var(&o.hostRate, "host-rate", 20, "requests per second to any one IP address (0: unlimited)")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "per request: connect, TLS handshake, headers and body")
	f.DurationVar(&o.hostTimeout, "host-timeout", 0, "all requests to one target (default 20 x --timeout)")
	f.IntVar(&o.retries, "retries", 1, "extra attempts when a host's first request fails on the network")
	f.StringVar(&o.shard, "shard", "", "scan only part K of N of the targets (K/N, e.g. 2/8): shards never overlap and together cover everything")
	f.StringVar(&o.resume, "resume", "", "keep progress in STATE (a file) and skip what an earlier run of the same command finished")
	f.BoolVar(&o.active, "active", false, "also run the safe in-band probes (intrusive but non-destructive; see ACTIVE PROBES)")
	f.BoolVar(&o.webshells, "webshells", false, "also request the published 2021 web shell paths on hosts judged Exchange, each checked against a random-name baseline")
	f.BoolVar(&o.shellsAll, "webshells-all", false, "run the web shell census on every responding host, not only those judged Exchange")
	f.BoolVar(&o.keepOrder, "keep-order", false, "write results in input order (default: as hosts finish, for streaming); a slow host then holds back later ones")
	f.StringVar(&o.db, "db", "", dbFlagHelp)
	f.BoolVar(&o.noStore, "no-store", false, "do not record the results in the result database")
	o.queue.AddFlags(cmd, "the targets as chunk jobs")
	f.BoolVar(&o.wait, "wait", false, "with --queue: wait for the workers, then print the results as a local scan does")
	f.StringVar(&o.scanID, "scan-id", "", "with --queue: name the scan (default: derived from the targets and options, so the same list enqueued twice is one scan; a new name scans it again)")
	f.IntVar(&o.chunk, "chunk-size", 256, "with --queue: targets per job")
}

func newScanCommand(g *globalOptions) *cobra.Command {
	var o scanOptions
	var probes, doors, verdicts strings.Builder
	for _, p := range scan.Probes() {
		fmt.Fprintf(&probes, "  %s\n    sends:          %s\n    vulnerable:     %s\n    not-vulnerable: %s\n", p.Check, p.Request, p.Vulnerable, p.NotVulnerable)
	}
	for _, d := range scan.Doors() {
		fmt.Fprintf(&doors, "  GET %-30s %s\n", d.Path, d.What)
	}
	for _, v := range scan.Verdicts() {
		fmt.Fprintf(&verdicts, "  %-15s %s\n", v.Result, v.Meaning)
	}
	cmd := &cobra.Command{
		Use:   "scan [TARGET...]",
		Short: "Find Exchange servers on the network, read their exact build, judge exposure",
		Long: `Scan hosts for Microsoft Exchange without logging in. For each target exhunt
tells whether it is Exchange (yes, no or unidentified, with the signals behind
it), its build and how that was read (X-OWA-Version header, ECP export-tool
manifest, OWA resource paths; disagreements are listed), the CVEs and security
updates it misses (from the build knowledge base), the TLS certificate's names
(they often reveal the internal host name) and the host names in its NTLM
challenge.

TARGET is an IP, a CIDR (IPv4 or IPv6, up to 2^24 addresses), a host name,
host:port, [IPv6]:port or a URL; - reads targets from stdin. A URL's path is
honoured: https://portal.example.com/mail/ scans OWA published under /mail
(a path into an Exchange directory, /owa/ or /ecp/..., is cut before it).
A host:port or name without a scheme is tried in HTTPS, then in plain HTTP if
the port does not speak TLS (port 80: HTTP only).

Examples:
  exhunt scan mail.example.com                       # one server, port 443
  exhunt scan --ports 443,8443 10.0.0.0/24 2001:db8::/120
  exhunt scan https://portal.example.com/mail/       # OWA published under /mail
  exhunt scan -i hosts.txt --format jsonl --keep-order > scan.jsonl
  exhunt scan -i hosts.txt --format csv --active --webshells > notify.csv
  exhunt scan -i big.txt --shard 3/16 --resume s3.state --rate 2000 --format jsonl >> s3.jsonl
  cat hosts.txt | exhunt scan - --timeout 2s --concurrency 300

THREE STATES (exchange_state; exchange is true only for yes)
  yes           a header or manifest only Exchange sends (X-OWA-Version,
                X-FEServer, X-BEServer, X-CalculatedBETarget, the export-tool
                manifest), or an OWA logon page of this host's own confirmed by
                an Exchange door behaviour (logon redirect, ActiveSync 401, an
                NTLM challenge on EWS, autodiscover, RPC or MAPI while a random
                path needs no login), or two such behaviours
  no            a known other product or nothing Exchange-like (every door
                answers like a random path), or an OWA look-alike: a logon page
                copied from another host (resources loaded from it, a form
                posting elsewhere), e.g. a phishing kit (owa_lookalike: true)
  unidentified  answers like IIS/Exchange but no Exchange signal held (an OWA
                page with no second signal, a single behaviour, a door that
                answers unlike a random path); chase these by hand
--active and --webshells go only to hosts judged yes (--webshells-all: every
responding host).

DOORS: the logon page (and the target's own path), then, until the host is
settled, on the same host only:
` + doors.String() + `Once judged Exchange: autodiscover or EWS for the NTLM names and the manifest
for the full build, if not yet asked. Every request counts (requests), waits
for --rate and --host-rate, and a target gets at most 160.

OWA resource paths show only the CU (a.b.c). When nothing better answers,
exhunt says "CU known, security update unknown" and lists in su_dependent_cves
the CVEs that depend on which security update is installed, instead of
calling the server vulnerable or patched. Exchange 2010 and older are exposed:
out of support, never fixed for the later waves.

Output goes to stdout, in completion order (--keep-order: input order); the
summary counts and the progress bar (only when stderr is a terminal) go to
stderr, so stdout stays machine-readable. jsonl: one object per host with
target (exactly as given: join it back to your list), url (the base URL that
answered), ip, port, scheme (tried, on errors), exchange, exchange_state,
signals, owa_lookalike, server_header, requests, build, build_methods,
product, cu, update, cves, su_dependent_cves, missing_updates, active [{check,
result, evidence, request}], webshells [{path, status (found, or
inconclusive), evidence, http_status}], tls {names, expired, self_signed},
ntlm, fe_server, exposed, webshelled, error. Malformed stdin lines appear as
objects with only target and error.

Results are recorded in the result database (the SQLite file in your data
directory, or --db PATH / --db postgres://...; --no-store to skip) for
exhunt report, export and serve. Results from loopback addresses (the hosts
of exhunt emulate) are recorded only in a database you name (--db or
EXHUNT_DB), never in the default one: a try-out stays out of your records.

Many machines: --queue postgres://... enqueues the targets as chunk jobs for
exhunt worker processes and prints the scan id (--wait: waits and prints the
results); exhunt queue status shows progress. Rate options then apply per job.

Resuming: with --resume STATE, re-run the same command after a crash or
Ctrl-C and append (>>) to the same output; at most --concurrency hosts that
were in flight are scanned again, none is skipped.

Redirects are never followed, so exhunt only ever connects to the targets it
was given. Certificates are not verified (self-signed and expired ones are
reported, not refused).

ACTIVE PROBES (--active, off by default: intrusive but safe. GET requests
only, run on hosts judged Exchange; nothing is written, executed, logged in to
or called back; exploit-chain steps such as proxyLogon.ecp, DDIService
SetObject or OAB writes are never sent):
` + probes.String() + `
One meaning per answer, the same for every probe, applied in this order:
` + verdicts.String() + `
WEB SHELLS (--webshells): ` + fmt.Sprint(len(scan.ShellPaths)) + ` paths published for the 2021 intrusions under
/aspnet_client/, /owa/auth/ and /ecp/auth/. A random name is requested in each
folder first; a path counts as found only when it answers unlike that baseline
(a server that answers 200 for everything is never reported compromised).

EXIT STATUS
  0  no exposed or web-shelled host found
  1  at least one host is exposed (CVEs by build, an out-of-support line, or a
     confirmed probe) or web-shelled
  2  bad input: flags, targets, unreadable --input files (malformed stdin lines
     count only when nothing was found); or could not tell: every target
     failed (refused, timed out, not HTTP), so nothing was judged. When only
     some failed, the usual code, and stderr says how many
  3  internal error
  4  the results were printed but could not be recorded in the result
     database (it could not be opened, or a save failed); wins over 1, 2, 3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), g, &o, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runScan(ctx context.Context, g *globalOptions, o *scanOptions, args []string) error {
	format, err := scan.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	ports, err := scan.ParsePorts(o.ports)
	if err != nil {
		return usageError{err}
	}
	shard, err := scan.ParseShard(o.shard)
	if err != nil {
		return usageError{err}
	}
	if o.timeout <= 0 || o.concurrency <= 0 || o.rate < 0 || o.hostRate < 0 || o.retries < 0 {
		return usagef("scan: --timeout and --concurrency must be > 0; --rate, --host-rate and --retries >= 0")
	}
	inputs, total, closeAll, err := scanInputs(g, args, o.inputs, ports)
	if err != nil {
		return err
	}
	defer closeAll()
	if o.queue.queue != "" {
		return runScanQueue(ctx, g, o, inputs, ports, queue.ScanOptions{Active: o.active, WebShells: o.webshells,
			Concurrency: o.concurrency, Rate: o.rate, HostRate: cmp.Or(o.hostRate, -1), TimeoutMS: o.timeout.Milliseconds(),
			HostTimeoutMS: o.hostTimeout.Milliseconds(), Retries: cmp.Or(o.retries, -1)})
	}

	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	hostRate := o.hostRate
	if hostRate == 0 {
		hostRate = -1
	}
	retries := o.retries
	if retries == 0 {
		retries = -1
	}
	key := sha256.Sum256(fmt.Appendf(nil, "%q|%q|%v|%s", args, o.inputs, ports, o.shard))
	sc, err := scan.New(scan.Config{
		Concurrency: o.concurrency, Rate: o.rate, HostRate: hostRate, Timeout: o.timeout, HostTimeout: o.hostTimeout,
		Retries: retries, Active: o.active, WebShells: o.webshells, WebShellsAll: o.shellsAll, KeepOrder: o.keepOrder,
		Assessor: kbAssessor{kb}, Shard: shard,
		StatePath: o.resume, StateKey: hex.EncodeToString(key[:8]),
	})
	if err != nil {
		return usageError{err}
	}

	w := scan.NewWriter(format, g.stdout)
	keep := newScanKeeper(ctx, g, o)
	bar := newHostBar(g, total)
	sum, runErr := sc.Run(ctx, scan.Targets(inputs, ports), func(r *scan.Result) error {
		bar.done()
		keep.add(r)
		return w.Write(r)
	})
	bar.wait()
	notSaved := keep.close()
	if err := w.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if err := scan.WriteSummary(g.stderr, sum); err != nil && runErr == nil {
		runErr = err
	}
	return errors.Join(notSaved, scanOutcome(g, sum, runErr))
}

// scanOutcome turns a finished scan into its exit: findings (1), or
// "could not tell" (2) when no target answered, since a scan where every
// connection was refused or timed out has judged nothing; a partial
// failure keeps the code and says how many targets were not judged.
func scanOutcome(g *globalOptions, sum scan.Summary, runErr error) error {
	switch {
	case runErr != nil:
		return runErr
	case sum.Scanned > 0 && sum.Errors == sum.Scanned:
		return fmt.Errorf("%w: scan: all %d targets failed (refused, timed out or not HTTP: see the error of each in the output); nothing was judged", errCouldNotTell, sum.Scanned)
	}
	if sum.Errors > 0 {
		fmt.Fprintf(g.stderr, "exhunt: %d of %d targets failed and were not judged (see the error of each in the output)\n", sum.Errors, sum.Scanned)
	}
	switch {
	case sum.Exposed+sum.WebShelled > 0:
		return errFound
	case sum.BadInput > 0:
		return usagef("scan: %d malformed targets on stdin (listed in the output with their error)", sum.BadInput)
	}
	return nil
}

// scanInputs validates arguments and --input files before anything is
// scanned (a typo fails fast with exit 2) and counts the targets for the
// progress bar; stdin is streamed and only counted as unknown.
func scanInputs(g *globalOptions, args, files []string, ports []int) ([]scan.Input, int64, func(), error) {
	var inputs []scan.Input
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	var total int64
	stdin := false
	var plain []string
	for _, a := range args {
		if a == "-" {
			stdin = true
			continue
		}
		e, err := scan.ParseEntry(a)
		if err != nil {
			return nil, 0, closeAll, usageError{err}
		}
		total += e.Count(ports)
		plain = append(plain, a)
	}
	if len(plain) > 0 {
		inputs = append(inputs, scan.Input{Name: "argument", Args: plain})
	}
	for _, name := range files {
		if name == "-" {
			stdin = true
			continue
		}
		n, err := countFile(name, ports)
		if err != nil {
			closeAll()
			return nil, 0, func() {}, usageError{err}
		}
		total += n
		f, err := os.Open(name)
		if err != nil {
			closeAll()
			return nil, 0, func() {}, usageError{fmt.Errorf("scan: %w", err)}
		}
		closers = append(closers, f)
		inputs = append(inputs, scan.Input{Name: name, Reader: f})
	}
	if stdin {
		inputs = append(inputs, scan.Input{Name: "stdin", Reader: g.stdin})
		total = -1
	}
	if len(inputs) == 0 {
		return nil, 0, closeAll, usagef("scan: no targets: give TARGET arguments, --input FILE or - for stdin")
	}
	return inputs, total, closeAll, nil
}

func countFile(name string, ports []int) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	defer f.Close()
	return scan.CountEntries(f, name, ports)
}

// kbAssessor adapts the build knowledge base to the scanner.
type kbAssessor struct{ kb *exchange.KB }

func (k kbAssessor) Assess(build string) (scan.Assessment, error) {
	a, err := k.kb.Assess(build)
	if err != nil {
		return scan.Assessment{}, err
	}
	out := scan.Assessment{Build: a.Build, Product: a.Product, CU: a.CU, Update: a.Update, Known: a.Known, Supported: a.LineSupported, Exposed: a.Exposed(),
		MissingUpdates: a.MissingUpdates, CVEs: a.CVEs, SUDependentCVEs: a.SUDependent, Notes: a.Notes}
	for _, k := range a.KEVCVEs {
		out.KEVCVEs = append(out.KEVCVEs, k.CVE)
	}
	for _, c := range a.Conditional {
		out.Conditional = append(out.Conditional, scan.Conditional{CVE: c.CVE, Condition: c.Condition, Note: c.Note})
	}
	return out, nil
}

// Candidates lists the known builds of a CU line, newest first, for the
// scanner's ECP version-folder probe.
func (k kbAssessor) Candidates(cu string) []string {
	var out []string
	for i := len(k.kb.Releases) - 1; i >= 0; i-- {
		if b := k.kb.Releases[i].Build.String(); strings.HasPrefix(b, cu+".") {
			out = append(out, b)
		}
	}
	return out
}

// hostBar counts hosts with their rate on a terminal; elsewhere it is silent.
type hostBar struct {
	mu  sync.Mutex
	p   *mpb.Progress
	bar *mpb.Bar
}

func newHostBar(g *globalOptions, total int64) *hostBar {
	if g.quiet || !isTerminal(g.stderr) {
		return &hostBar{}
	}
	p := mpb.New(mpb.WithOutput(g.stderr), mpb.WithWidth(40))
	bar := p.AddBar(max(total, 0),
		mpb.PrependDecorators(decor.Name("scan "), decor.CountersNoUnit("%d / %d")),
		mpb.AppendDecorators(decor.AverageSpeed(0, " %.0f hosts/s"), decor.Name(" "), decor.Elapsed(decor.ET_STYLE_MMSS)),
	)
	return &hostBar{p: p, bar: bar}
}

func (b *hostBar) done() {
	if b.bar != nil {
		b.bar.Increment()
	}
}

func (b *hostBar) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.SetTotal(-1, true)
		b.p.Wait()
		b.bar, b.p = nil, nil
	}
}

// scanKeeper records scan results in the result database in batches (one
// transaction per batch, so a scan of millions of hosts is not slowed by a
// commit per host). A database that cannot be opened or written does not
// stop the scan (the results are on stdout) but ends it with exit 4, as
// for exhunt hunt: a script must know a run is missing from the database.
//
// Results from loopback addresses (exhunt emulate's demo fleet) go to the
// default database only when the user named one (--db or EXHUNT_DB): a
// try-out must not fill the real result database with emulated hosts.
type scanKeeper struct {
	ctx      context.Context
	g        *globalOptions
	st       *store.Store
	named    bool // --db or EXHUNT_DB given
	batch    []result.Doc
	saved    int
	loopback int   // loopback results left out of the default database
	failed   int   // results not recorded
	err      error // the first reason a result was not recorded
}

const scanBatch = 500

func newScanKeeper(ctx context.Context, g *globalOptions, o *scanOptions) *scanKeeper {
	k := &scanKeeper{ctx: ctx, g: g, named: dbDSN(o.db) != ""}
	if o.noStore {
		return k
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		k.err = err
		return k
	}
	k.st = st
	return k
}

func (k *scanKeeper) add(r *scan.Result) {
	if k.st == nil {
		if k.err != nil {
			k.failed++
		}
		return
	}
	if ip, err := netip.ParseAddr(r.IP); err == nil && ip.IsLoopback() && !k.named {
		k.loopback++
		return
	}
	raw, err := json.Marshal(r)
	if err != nil {
		k.fail(1, err)
		return
	}
	d, ok, err := result.Classify(raw)
	if err != nil || !ok {
		fmt.Fprintf(k.g.stderr, "exhunt: warning: %s not recorded: %v\n", safetext.Line(r.Target), err)
		k.fail(1, err)
		return
	}
	k.batch = append(k.batch, d)
	if len(k.batch) >= scanBatch {
		k.flush()
	}
}

func (k *scanKeeper) fail(n int, err error) {
	k.failed += n
	if k.err == nil {
		k.err = err
	}
}

func (k *scanKeeper) flush() {
	if k.st == nil || len(k.batch) == 0 {
		return
	}
	if _, err := k.st.Save(k.ctx, k.batch...); err != nil {
		k.fail(len(k.batch), err)
	} else {
		k.saved += len(k.batch)
	}
	k.batch = k.batch[:0]
}

// close flushes what is left and returns an error wrapping errNotSaved
// when a result could not be recorded.
func (k *scanKeeper) close() error {
	if k.st != nil {
		k.flush()
		k.g.log.Info("recorded", "scan results", k.saved)
		k.st.Close()
	}
	if k.loopback > 0 {
		k.g.log.Info("not recorded: loopback addresses (exhunt emulate's hosts) go to a result database only when one is named", "results", k.loopback, "hint", "--db PATH")
	}
	if k.err != nil {
		return fmt.Errorf("%w: %d scan results: %v (they are on standard output; use --no-store to skip the database)", errNotSaved, k.failed, k.err)
	}
	return nil
}
