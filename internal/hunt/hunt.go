package hunt

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/logline"
	"github.com/exhunt/exhunt/internal/rules"
)

// ErrNoEvidence is returned when a path holds nothing exhunt can read.
var ErrNoEvidence = errors.New("hunt: no logs, event logs or files to examine")

// Progress receives byte counts as evidence is read. The hunt never prints.
type Progress interface {
	Start(name string, total int64)
	Add(n int64)
	Done()
}

// FileDetector examines files (web shells, dumps, archives). The hunt
// reads the file once, bounded by MaxFileSize, and hands over its bytes.
type FileDetector interface {
	InScope(path string, size int64, all bool) bool
	Detect(ctx context.Context, f evidence.FileInfo, data []byte) []finding.Finding
}

// LayoutDetector is a FileDetector that tells a server's file tree from a
// folder of loose files: when no path of the evidence shows a server
// layout, every file that is not a log is handed to it, as with AllFiles.
type LayoutDetector interface {
	ServerLayout(path string) bool
}

// File scopes reported in HostResult.FileScope.
const (
	ScopeFocused = "focused" // a server's tree: the detector's own scope
	ScopeAll     = "all"     // every file (--all-files, or loose files)
)

// Options configure a hunt.
type Options struct {
	Host string // host name for a single evidence path; default: from the logs
	// ExchangePaths are folders inside the evidence holding a non-default
	// Exchange install (e.g. "D/Exchange"): every file under them is
	// sniffed for log headers, whatever its extension.
	ExchangePaths []string
	Rules         *rules.Set
	KB            *exchange.KB
	Files         FileDetector // nil: no file hunting
	AllFiles      bool         // examine every file, not only the default scope
	MaxFileSize   int64        // bytes; larger files are not examined by Files (default 64 MiB)
	Workers       int          // parallel files (default GOMAXPROCS)
	TempDir       string
	Progress      Progress
	Log           *slog.Logger
	Now           func() time.Time
	Version       string // exhunt version, recorded in results
	RulesVersion  string
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		// Twice the CPUs: many small evidence files make a hunt wait on
		// opens and reads as much as it computes (measured: 9 000 web
		// files, 2 CPUs: 4.7 s with 2 workers, 2.8 s with 4).
		o.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 64 << 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Run hunts each path as the evidence of one server. Evidence that names
// several computers (event logs of six machines in one folder) gives one
// result per computer, unless Options.Host names the one host to report.
func Run(ctx context.Context, paths []string, opt Options) ([]finding.HostResult, error) {
	opt.defaults()
	if opt.Rules == nil {
		return nil, errors.New("hunt: no rules")
	}
	var out []finding.HostResult
	for _, p := range paths {
		res, err := huntOne(ctx, p, &opt)
		if err != nil {
			return out, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, res...)
	}
	return out, nil
}

// hostHunt gathers what one evidence tree yields while it is read, and,
// after split, what belongs to one of the computers the tree names.
type hostHunt struct {
	opt      *Options
	tree     *evidence.Tree
	name     string // the host reported (after split)
	mu       sync.Mutex
	findings []finding.Finding
	perRule  map[string]int              // findings held per rule
	worst    map[string]*finding.Finding // per trimmed rule: the last one kept
	dropped  map[string]int
	capped   map[string]*capSummary // per capped rule: every match counted
	caps     []finding.CappedRule   // the capped rules' report (primary host)
	covers   []fileCover            // one per log file read
	coverage map[string]*cover      // per source, after split
	spans    map[string]timeSpan    // per log file: its first and last record, after split
	hashes   []finding.FileHash
	files    map[string]*fileFacts // evidence path → what it told
	// computers holds what records said about their computer: the key is
	// computerKey(name), the value whether it showed Exchange.
	computers map[string]bool
	builds    []buildSignal
	pages     map[pageKey]*page
	warnings  []note
	unread    []finding.Unexamined
	unreadN   int              // entries not examined, listed or not
	exFiles   []*evidence.File // Exchange logs, for the request-id join
	iisFiles  []*evidence.File // IIS logs, for the file-request join
	exSeen    []seqFile        // exFiles as the workers classify them
	iisSeen   []seqFile        // iisFiles as the workers classify them
	webFiles  []fileFinding    // suspicious files, for correlation
	prog      byteCounter      // where reads are counted, nil for no progress
	exchange  bool             // the host shows Exchange (after split)
	examined  int              // files examined (after split)
	ops       opCounts
	ruleTags  sync.Map // *rules.Rule → ruleTags
	bundle    *bundle  // the manifest of an exhunt bundle, nil for other evidence
	// The file scope (ScopeFocused, ScopeAll) and why. With a
	// LayoutDetector (widen), it is known only when the walk ends
	// (scoped): until then, files out of the focused scope that are not
	// logs wait in loose. The workers read scoped, scope and loose under mu.
	scope    string
	scopeWhy string
	server   bool          // the evidence shows a server's layout (LayoutDetector)
	archives []archiveNote // archives whose content is not read, decided when the walk ends
	widen    bool
	scoped   bool
	loose    []looseFile
}

// opCounts counts the elementary steps (hash lookups, comparisons,
// binary-search steps) of the correlation passes, for the tests that
// prove each pass linear in the evidence.
type opCounts struct {
	join         int64 // joinRequests
	joinSkipped  int64 // Exchange logs the join did not read again: no wanted finding near their times
	fileRequests int64 // iisRequestsForFiles
	writers      int64 // correlateFiles: log findings that wrote files
	creators     int64 // anchorFileTimes: events that created files
	story        int64 // linkProcesses
	dumps        int64 // dumpsByLSASSReaders
}

// opsHook, when set (by tests), receives each host's step counts.
var opsHook func(host string, ops opCounts)

// note is a warning, with the evidence file it is about ("" for none).
type note struct{ path, text string }

// fileFacts is what one evidence file told about where it comes from.
type fileFacts struct {
	computer string // computerKey of the computer its records name, "" if none
	examined bool   // read by a parser or the file checks, in whole or part
	exchange bool   // an Exchange log, or a file of an Exchange install
}

// maxUnexamined bounds the not_examined list of one evidence tree.
const maxUnexamined = 1000

func newHostHunt(opt *Options, tree *evidence.Tree) *hostHunt {
	return &hostHunt{opt: opt, tree: tree, perRule: map[string]int{}, worst: map[string]*finding.Finding{}, dropped: map[string]int{}, capped: map[string]*capSummary{},
		coverage: map[string]*cover{}, files: map[string]*fileFacts{}, computers: map[string]bool{}, pages: map[pageKey]*page{}}
}

func huntOne(ctx context.Context, path string, opt *Options) ([]finding.HostResult, error) {
	started := opt.Now()
	tree, err := evidence.Open(path, evidence.Options{TempDir: opt.TempDir})
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	h := newHostHunt(opt, tree)
	if h.bundle, err = h.readBundle(ctx); err != nil {
		return nil, err
	}
	h.opt = h.bundle.options(opt)
	_, h.widen = h.opt.Files.(LayoutDetector)
	h.widen = h.widen && !h.opt.AllFiles
	prog := &lateProgress{p: opt.Progress}
	if opt.Progress != nil {
		h.prog = prog
	}

	// A fixed set of workers reads the files while the walk goes on
	// (walking 26 000 small files first left a core idle); once the walk
	// is done, the files still waiting are taken largest first, so that a
	// big log does not start last and run alone.
	q := newJobList()
	g, gctx := errgroup.WithContext(ctx)
	for range opt.Workers {
		g.Go(func() error {
			for j, ok := q.take(); ok; j, ok = q.take() {
				if err := h.run(gctx, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
	njobs, total, err := h.plan(gctx, q.add)
	q.finish()
	if err != nil {
		if werr := g.Wait(); werr != nil {
			return nil, werr // the walk stopped because a worker failed
		}
		return nil, err
	}
	for _, u := range tree.Unread {
		h.unexamined(u.Path, u.Reason)
	}
	if njobs > 0 && opt.Progress != nil {
		prog.start(filepath.Base(path), total)
		defer opt.Progress.Done()
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	h.decideArchives()
	if njobs == 0 && h.unreadN == 0 {
		return nil, fmt.Errorf("%w (looked at %d entries; logs are found by their headers, event logs by the EVTX magic)", ErrNoEvidence, h.tree.Skipped)
	}
	h.bundleFacts()
	h.orderLogs()
	for rule, n := range h.perRule {
		if n > maxPerRule {
			h.trim(rule)
		}
	}
	h.caps = h.cappedRules()
	var out []finding.HostResult
	for _, hh := range h.split(path) {
		res, err := hh.result(ctx, started)
		if err != nil {
			return nil, err
		}
		h.bundle.finish(&res)
		out = append(out, res)
	}
	return out, nil
}

// result joins, correlates and judges one host's share of the evidence.
func (h *hostHunt) result(ctx context.Context, started time.Time) (finding.HostResult, error) {
	opt := h.opt
	if err := h.joinRequests(ctx); err != nil {
		return finding.HostResult{}, err
	}
	if err := h.correlateFiles(ctx); err != nil {
		return finding.HostResult{}, err
	}
	// Findings arrived from parallel workers: order them before linking so
	// ties resolve the same way on every run.
	finding.Sort(h.findings)
	h.linkProcesses()
	h.anchorFileTimes()
	h.pageFindings()
	h.dumpsByLSASSReaders()
	h.exchangeOnlyCVEs()

	build, sources, buildNotes := chooseBuild(h.builds)
	res := finding.HostResult{
		Host:          h.name,
		Findings:      h.findings,
		Coverage:      h.coverageList(),
		Evidence:      h.hashes,
		Started:       started,
		Finished:      opt.Now(),
		Version:       opt.Version,
		RulesVersion:  opt.RulesVersion,
		Build:         build,
		BuildSources:  sources,
		NotExamined:   h.unread,
		FilesExamined: h.examined,
		FileScope:     h.scope,
		ScopeReason:   h.scopeWhy,
	}
	for _, w := range h.warnings {
		res.Warnings = append(res.Warnings, w.text)
	}
	res.Warnings = append(res.Warnings, buildNotes...)
	if se, ok := opt.Files.(interface{ ScanErrors() int64 }); ok && se.ScanErrors() > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d files could not be fully scanned by the file checks (see the log)", se.ScanErrors()))
	}
	for _, c := range h.caps {
		res.Warnings = append(res.Warnings, fmt.Sprintf("rule %s matched %d times: %d findings kept (succeeded first, then unknown, then attempted, each earliest first), %d dropped; every match is counted per client IP and URL under capped",
			c.Rule, c.Matched, c.Kept, c.Dropped))
	}
	res.Capped = h.caps
	if h.unreadN > len(h.unread) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d more inputs were not examined than not_examined lists", h.unreadN-len(h.unread)))
	}
	h.coverageWarnings(&res)
	if res.Findings == nil {
		res.Findings = []finding.Finding{}
	}
	if res.NotExamined == nil {
		res.NotExamined = []finding.Unexamined{}
	}
	finding.Sort(res.Findings)
	slices.SortFunc(res.Evidence, func(a, b finding.FileHash) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(res.NotExamined, func(a, b finding.Unexamined) int { return strings.Compare(a.Path, b.Path) })
	res.Verdict, res.VerdictReason = finding.JudgeWhy(res.Findings)
	if opsHook != nil {
		opsHook(h.name, h.ops)
	}
	switch {
	case h.examined == 0:
		res.VerdictReason = fmt.Sprintf("nothing could be examined: %s; no verdict can be given", summarizeUnexamined(h.unread, h.unreadN))
	case h.unreadN > 0:
		res.VerdictReason += fmt.Sprintf("; the evidence is incomplete: %s", summarizeUnexamined(h.unread, h.unreadN))
	}
	return res, nil
}

// job is one file to read, and how.
type job struct {
	f      *evidence.File
	kind   fileKind
	layout string        // kindIIS without a #Fields: header: the layout assumed
	exType exlog.LogType // kindExLog: the type its head shows
	// sniff: the worker reads the file's head and classifies it (a log
	// or event log by its header), then goes on reading the same open
	// file; log: it has a log's name (listed as not examined if it is
	// none exhunt reads).
	sniff, log bool
	// quiet: sniffed only because it may hold a log (mayHoldLog); when
	// it holds none it is not listed as of an unknown format.
	quiet bool
	// archive says why the file's content cannot be read (an archive
	// exhunt does not open, classify): it is listed as not examined, and
	// the file checks that read its bytes do not count it as examined.
	archive  string
	seq      int  // place in plan order
	scan     bool // hand to the FileDetector
	headOnly bool // over MaxFileSize: only its first headScan bytes are examined
}

// headScan is how much of an in-scope file over MaxFileSize is examined:
// enough for magic numbers and headers (a full LSASS dump is usually far
// larger than the size limit, but its MDMP header and name give it away).
const headScan = 64 << 10

// headLimit is how much of a file examined by its head is read: headScan,
// or the whole readable head of an over-ratio zip entry, within maxSize.
func headLimit(f *evidence.File, maxSize int64) int64 {
	if f.Head > 0 {
		return min(f.Head, f.Size, maxSize)
	}
	return min(headScan, maxSize)
}

// overRatioFinding reports a zip entry that compresses over the ratio
// guard: a zip bomb, or a file padded (a web shell followed by megabytes
// of spaces) so that scanners skip it (ATT&CK T1027.001, binary padding).
// Medium for a page, script or program in the folders where attackers
// drop files; low otherwise (event logs pre-allocated with zeros and
// sparse databases compress as well).
func overRatioFinding(f *evidence.File, inScope bool) finding.Finding {
	sev := finding.Low
	if inScope && runnable[strings.ToLower(path.Ext(f.Path))] {
		sev = finding.Medium
	}
	head := min(f.Head, f.Size)
	fi := finding.Finding{
		Rule:     "evidence:zip-over-ratio",
		Title:    "Zip entry compressed over the ratio guard: padded to slip past scanners, or a zip bomb",
		Severity: sev,
		CVEs:     []string{},
		Attack:   []string{"T1027.001"},
		Outcome:  finding.Unknown,
		Source:   f.Path,
		Evidence: fmt.Sprintf("%d bytes stored compressed %d:1; only the first %d bytes were read and checked", f.Size, f.OverRatio, head),
		Kind:     finding.KindFile,
		Details: map[string]string{
			"compression_ratio": fmt.Sprintf("%d:1", f.OverRatio),
			"examined":          fmt.Sprintf("first %d bytes of %d", head, f.Size),
		},
	}
	if !f.ModTime.IsZero() {
		fi.Time = f.ModTime.UTC()
		fi.Details["time_source"] = "zip entry modification time (attackers may timestomp)"
	}
	return fi
}

// runnable lists the extensions of files a server runs or serves as code:
// what attackers pad to slip past scanners.
var runnable = map[string]bool{
	".aspx": true, ".ashx": true, ".asmx": true, ".asp": true, ".asa": true, ".cer": true, ".cshtml": true, ".config": true,
	".js": true, ".jse": true, ".vbs": true, ".hta": true, ".ps1": true, ".psm1": true, ".bat": true, ".cmd": true,
	".php": true, ".jsp": true, ".exe": true, ".dll": true, ".scr": true, ".sys": true,
}

// plan walks the tree, decides what to do with each file by its name,
// place and size (its first bytes are read by the worker), and hands each
// job to add as it goes; it returns the number of jobs and their total
// size. Files are checked in the detector's focused scope when the tree
// looks like a server's (or all of them with AllFiles); a tree of loose
// files has every non-log file checked. That is known when the walk ends:
// the files it holds back until then (loose, from the walk and from the
// workers that found a file to be no log) are then handed to add too.
func (h *hostHunt) plan(ctx context.Context, add func(job)) (int, int64, error) {
	var njobs int
	var total int64
	queue := func(j job) {
		j.seq = njobs
		njobs++
		if j.headOnly {
			total += headLimit(j.f, h.opt.MaxFileSize)
		} else {
			total += j.f.Size
		}
		add(j)
	}
	layout, _ := h.opt.Files.(LayoutDetector)
	server := false
	var loose []looseFile // out of the focused scope, not logs, not sniffed
	pes := 0
	err := h.tree.Walk(ctx, func(f *evidence.File) error {
		f.Lower() // made here, once, before the workers share f
		// The workers note facts as the walk goes on: fromBundle's too.
		h.mu.Lock()
		ours := h.fromBundle(f)
		h.mu.Unlock()
		if !ours {
			return nil
		}
		j := job{f: f}
		if layout != nil && !server && layout.ServerLayout(f.Path) {
			server = true
		}
		if exchangeInstallPath(f) {
			h.mu.Lock() // the workers note facts as the walk goes on
			h.facts(f.Path).exchange = true
			h.mu.Unlock()
		}
		if isExchangeBinary(f) && pes < maxPE {
			pes++
			j.kind = kindPE
		}
		if f.Head > 0 {
			// A zip entry over the compression-ratio guard: only its head
			// can be read. It is checked whatever its folder, and reported.
			inScope := h.opt.Files != nil && h.opt.Files.InScope(f.Path, f.Size, h.opt.AllFiles)
			h.add(overRatioFinding(f, inScope))
			j.scan, j.headOnly = h.opt.Files != nil, true
		} else if h.opt.Files != nil && h.opt.Files.InScope(f.Path, f.Size, h.opt.AllFiles) {
			h.scanJob(&j)
		}
		// Files that may be logs are classified by their first bytes in
		// the worker that reads them, with one open (sniff); one found to
		// be no log and out of scope waits for the scope (holdLoose).
		// Any other file that may be a log (by its extension) is sniffed
		// too, quietly: a log renamed .txt or .dat is read by its header.
		if log := candidateLog(f) || isEVTXPath(f); j.kind == kindNone && (log || h.tree.Kind == "file" || underAny(f, h.opt.ExchangePaths)) {
			j.sniff, j.log = true, log
		} else if j.kind == kindNone && mayHoldLog(f) {
			j.sniff, j.quiet = true, true
		}
		if j.kind != kindNone || j.scan || j.sniff {
			queue(j)
		} else if h.widen {
			loose = append(loose, looseFile{f: f})
		}
		return nil
	})
	if err != nil {
		return njobs, total, err
	}
	var scope, why string
	switch {
	case h.opt.Files == nil:
	case h.opt.AllFiles:
		scope, why = ScopeAll, "--all-files"
	case !h.widen || server:
		scope, why = ScopeFocused, "the evidence is a server's file tree: web-facing, root, temp and ProgramData folders"
	default:
		scope, why = ScopeAll, "no Windows, inetpub or Exchange folder in the evidence: a collection of files, every file checked"
	}
	h.mu.Lock()
	h.scope, h.scopeWhy, h.scoped, h.server = scope, why, true, server
	sniffed := h.loose
	h.loose = nil
	h.mu.Unlock()
	for _, l := range loose {
		if j, ok := h.looseJob(l); ok {
			queue(j)
		}
	}
	for _, l := range sniffed { // in the total already
		if j, ok := h.sniffedLooseJob(l); ok {
			j.seq = njobs
			njobs++
			add(j)
		}
	}
	return njobs, total, nil
}

// looseFile is a file out of the focused scope, checked when the evidence
// turns out to be a collection of files. unknown says why its format is
// not read ("" when its head was not looked at), log whether it was
// named as a log.
type looseFile struct {
	f       *evidence.File
	unknown string
	log     bool
	archive string // why its content cannot be read (classify), "" if not an archive
}

// looseJob decides, once the scope is known, what becomes of a loose
// file: a job for the file checks when every file is checked, else
// listed as not examined if its format was looked at and not known.
func (h *hostHunt) looseJob(l looseFile) (job, bool) {
	if h.scope == ScopeAll {
		j := job{f: l.f, archive: l.archive}
		h.scanJob(&j)
		if l.log && l.archive == "" {
			h.unexamined(l.f.Path, l.unknown+"; its content was still checked for web shells and tools")
		}
		return j, true
	}
	switch {
	case l.archive != "":
		h.noteArchive(l.f.Path, l.archive, false)
	case l.unknown != "":
		h.unexamined(l.f.Path, l.unknown)
	}
	return job{}, false
}

// holdLoose is called by a worker for a sniffed file that is no log and
// out of the focused scope: while the walk goes on it is held in h.loose
// for plan to decide (true); once the scope is known the worker decides
// it (false).
func (h *hostHunt) holdLoose(l looseFile) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.scoped {
		h.loose = append(h.loose, l)
	}
	return !h.scoped
}

// sniffedLooseJob decides a loose file a worker sniffed (looseJob): its
// whole size is in the planned total, so what the file checks will not
// read of it is counted as done now.
func (h *hostHunt) sniffedLooseJob(l looseFile) (job, bool) {
	j, ok := h.looseJob(l)
	switch {
	case !ok:
		h.progress(l.f.Size)
	case j.headOnly:
		h.progress(l.f.Size - headLimit(l.f, h.opt.MaxFileSize))
	}
	return j, ok
}

// scanJob marks j for the FileDetector, head only when over MaxFileSize.
func (h *hostHunt) scanJob(j *job) {
	j.scan = true
	if f := j.f; f.Size > h.opt.MaxFileSize {
		j.headOnly = true
		examined := min(headScan, h.opt.MaxFileSize)
		h.warnFile(f.Path, "%s: %d bytes is over --max-file-size (%d): only its first %d bytes were examined", f.Path, f.Size, h.opt.MaxFileSize, examined)
		h.unexamined(f.Path, fmt.Sprintf("only its first %d bytes were checked: %d bytes is over --max-file-size (%d)", examined, f.Size, h.opt.MaxFileSize))
	}
}

// jobList hands the walk's jobs to the workers: in walk order while the
// walk goes on, then, once it is done, the rest largest first.
type jobList struct {
	mu   sync.Mutex
	more *sync.Cond
	jobs []job
	next int
	done bool
}

func newJobList() *jobList {
	l := &jobList{}
	l.more = sync.NewCond(&l.mu)
	return l
}

func (l *jobList) add(j job) {
	l.mu.Lock()
	l.jobs = append(l.jobs, j)
	l.mu.Unlock()
	l.more.Signal()
}

// finish ends the walk: what is still waiting goes largest first.
func (l *jobList) finish() {
	l.mu.Lock()
	// seq breaks ties as a stable sort would (jobs are added in plan
	// order), without its O(n log² n) moves of the job structs.
	slices.SortFunc(l.jobs[l.next:], func(a, b job) int { return cmp.Or(cmp.Compare(b.f.Size, a.f.Size), cmp.Compare(a.seq, b.seq)) })
	l.done = true
	l.mu.Unlock()
	l.more.Broadcast()
}

// take returns the next job, waiting for the walk; false when all are
// taken and the walk is done.
func (l *jobList) take() (job, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.next == len(l.jobs) && !l.done {
		l.more.Wait()
	}
	if l.next == len(l.jobs) {
		return job{}, false
	}
	j := l.jobs[l.next]
	l.jobs[l.next] = job{} // let the garbage collector have what is done
	l.next++
	return j, true
}

// lateProgress passes byte counts on to a Progress once its total is
// known: the workers read while the walk goes on, and what they read
// before the bar starts is added when it does.
type lateProgress struct {
	p       Progress
	mu      sync.Mutex
	started atomic.Bool
	pending int64
}

func (l *lateProgress) Add(n int64) {
	if l.started.Load() {
		l.p.Add(n)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started.Load() {
		l.p.Add(n)
		return
	}
	l.pending += n
}

func (l *lateProgress) start(name string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.Start(name, total)
	l.started.Store(true)
	if l.pending > 0 {
		l.p.Add(l.pending)
	}
}

// sniffed is a file opened to classify it by its head: the file, the
// hashing reader over it and the read buffer over that, whose first bytes
// are the head. A log's parser goes on from the same buffer, so the head
// costs no second read or open.
type sniffed struct {
	rc io.ReadCloser
	pr *progressReader // counts progress once the file is known to be a log
	hr *evidence.HashReader
	br *bufio.Reader
}

// sniff opens f and reads its head.
func (h *hostHunt) sniff(f *evidence.File) (*sniffed, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	s := &sniffed{rc: rc, pr: &progressReader{r: rc}}
	s.hr = evidence.NewHashReader(s.pr)
	s.br = logline.NewBuffer(s.hr)
	if _, err := s.br.Peek(headSize); err != nil && !errors.Is(err, io.EOF) {
		s.close()
		return nil, err
	}
	return s, nil
}

// head is the file's first headSize bytes (fewer if it is shorter).
func (s *sniffed) head() []byte {
	b, _ := s.br.Peek(min(headSize, s.br.Buffered()))
	return b
}

func (s *sniffed) close() {
	if s.rc != nil {
		s.rc.Close()
		logline.Release(s.br)
		s.rc, s.br = nil, nil
	}
}

// seqFile is a log file with its place in plan order.
type seqFile struct {
	seq int
	f   *evidence.File
}

// logSeen lists a classified log for the joins, in plan order once all
// workers are done (orderLogs).
func (h *hostHunt) logSeen(j job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch j.kind {
	case kindExLog:
		h.exSeen = append(h.exSeen, seqFile{j.seq, j.f})
		h.facts(j.f.Path).exchange = true
	case kindIIS:
		h.iisSeen = append(h.iisSeen, seqFile{j.seq, j.f})
	}
}

// orderLogs puts the logs the workers classified in plan order, so that
// the joins attach records the same way on every run.
func (h *hostHunt) orderLogs() {
	for _, l := range []struct {
		seen []seqFile
		out  *[]*evidence.File
	}{{h.exSeen, &h.exFiles}, {h.iisSeen, &h.iisFiles}} {
		slices.SortFunc(l.seen, func(a, b seqFile) int { return a.seq - b.seq })
		for _, s := range l.seen {
			*l.out = append(*l.out, s.f)
		}
	}
	h.exSeen, h.iisSeen = nil, nil
}

func (h *hostHunt) warnf(format string, args ...any) { h.warnFile("", format, args...) }

// warnFile records a warning about the evidence file at path, so that it
// goes to the host that file belongs to.
func (h *hostHunt) warnFile(path, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.warnings) < 1000 {
		h.warnings = append(h.warnings, note{path, fmt.Sprintf(format, args...)})
	}
}

// unexamined lists an input that was not examined, or only in part.
func (h *hostHunt) unexamined(path, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unreadN++
	if len(h.unread) < maxUnexamined {
		h.unread = append(h.unread, finding.Unexamined{Path: path, Reason: reason})
	}
}

// facts returns the record of what the file at path told. Callers hold
// h.mu (the walk and the workers run at once), or run after them.
func (h *hostHunt) facts(path string) *fileFacts {
	ff := h.files[path]
	if ff == nil {
		ff = &fileFacts{}
		h.files[path] = ff
	}
	return ff
}

// examinedFile marks a file as examined and, when its records named one,
// notes its computer.
func (h *hostHunt) examinedFile(path, computer string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ff := h.facts(path)
	ff.examined = true
	if k := computerKey(computer); k != "" && ff.computer == "" {
		ff.computer = k
	}
}

// add records findings, bounded per rule.
func (h *hostHunt) add(fs ...finding.Finding) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range fs {
		h.keepLocked(f)
	}
}

func (h *hostHunt) addHash(f *evidence.File, sum string, n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hashes = append(h.hashes, finding.FileHash{Path: f.Path, Size: n, SHA256: sum, MTime: f.ModTime.UTC()})
}

// underAny says whether f lies under one of the folders (case-insensitive,
// '/' or '\\' separators).
func underAny(f *evidence.File, dirs []string) bool {
	l := f.Lower()
	for _, d := range dirs {
		d = strings.Trim(strings.ToLower(strings.ReplaceAll(d, "\\", "/")), "/")
		if d != "" && (strings.HasPrefix(l, d+"/") || strings.Contains(l, "/"+d+"/")) {
			return true
		}
	}
	return false
}
