package hunt

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/peversion"
)

// The kinds of build signal, as build_sources names them.
const (
	srcFile    = "file version"
	srcColumns = "log columns MajorVersion..RevisionVersion"
	srcECP     = "ECP event data S:BLD"
	srcHeader  = "log header #Version"
	srcEvent   = "MSExchange event data"
	srcURL     = "OWA/ECP resource path in a request URL"
)

// reliability ranks each kind: high when the running code states its own
// build, medium for headers and event text written by some component
// (the ECP logs' header always says 15.0.0.0), low for URL paths, which
// give the CU only and which any client may request.
var reliability = map[string]string{
	srcFile: "high", srcColumns: "high", srcECP: "high",
	srcHeader: "medium", srcEvent: "medium",
	srcURL: "low",
}

var reliabilityRank = map[string]int{"high": 3, "medium": 2, "low": 1, "ignored": 0}

// buildSignal is one place the evidence names a build.
type buildSignal struct {
	build, source, file string
	line                int64
	at                  time.Time // when it was seen (the log's newest time), zero if unknown
}

func (h *hostHunt) addBuild(b buildSignal) {
	if strings.TrimSpace(b.build) == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.builds) < 10000 {
		h.builds = append(h.builds, b)
	}
}

// recordBuilds takes the build an Exchange log record states: its
// MajorVersion..RevisionVersion columns (HttpProxy, cmdlet and most other
// logs) or the S:BLD item of ECP event data.
func (h *hostHunt) recordBuilds(path string, rec *evidence.Record) {
	parts := make([]string, 0, 4)
	for _, c := range []string{"MajorVersion", "MinorVersion", "BuildVersion", "RevisionVersion"} {
		if v, ok := rec.Fields.Get(c); ok && v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 4 {
		h.addBuild(buildSignal{build: strings.Join(parts, "."), source: srcColumns, file: path, line: rec.Line, at: rec.Time})
	}
	if v, ok := rec.Fields.Get("BLD"); ok && v != "" {
		h.addBuild(buildSignal{build: v, source: srcECP, file: path, line: rec.Line, at: rec.Time})
	}
}

// versionPath finds an OWA or ECP resource folder named after the build
// in a URL path: /owa/auth/15.1.2375/themes/..., /ecp/15.1.2176.9/scripts/...
var versionPath = regexp.MustCompile(`(?i)^/(?:owa|ecp)/(?:[a-z]+/)?(15\.[0-2]\.\d{1,4}(?:\.\d{1,4})?)/`)

// maxVersionLines is how many lines of an IIS log are searched for a
// build in a URL path before giving up on that file.
const maxVersionLines = 50000

// hasVersionPath is the cheap line test before versionPath.
func hasVersionPath(line []byte) bool { return bytes.Contains(line, versionMark) }

var versionMark = []byte("/15.")

// urlBuild returns the build in a request's URL path when the server
// answered it (2xx or 304): a path the server serves is its own.
func urlBuild(stem, status string) string {
	if !strings.HasPrefix(status, "2") && status != "304" {
		return ""
	}
	if m := versionPath.FindStringSubmatch(stem); m != nil {
		return m[1]
	}
	return ""
}

// exchangeBuildText finds builds in MSExchange event text, as Watson
// reports write them ("E12IIS, c-RTL-AMD64, 15.01.2375.007, w3wp...").
var exchangeBuildText = regexp.MustCompile(`\b15\.0?[0-2]\.\d{3,4}\.\d{1,3}\b`)

// peBuild reads the file version of ExSetup.exe or an Exchange DLL.
func (h *hostHunt) peBuild(f *evidence.File) error {
	ra, err := f.OpenReaderAt()
	if err != nil {
		return err
	}
	defer ra.Close()
	v, err := peversion.Read(ra, f.Size)
	if err != nil {
		return err
	}
	h.addBuild(buildSignal{build: v.String(), source: srcFile + " of " + f.Name(), file: f.Path, at: f.ModTime})
	return nil
}

// isExchangeBinary says whether f is one whose file version is the
// Exchange build: ExSetup.exe (the file HealthChecker reads) or a
// Microsoft.Exchange.*.dll.
func isExchangeBinary(f *evidence.File) bool {
	n := strings.ToLower(f.Name())
	return n == "exsetup.exe" || strings.HasPrefix(n, "microsoft.exchange.") && strings.HasSuffix(n, ".dll")
}

// judgedSignal is a signal with its parsed build and reliability.
type judgedSignal struct {
	buildSignal
	parsed      exchange.Build
	reliability string
	note        string
	files       int
}

// chooseBuild picks the build to report: the most reliable signal, then
// the most precise (a.b.c.d over a.b.c), then the newest (a server
// updated during the period runs the newer build), then the one most
// files name. Placeholders (ECP headers' 15.0.0.0) and non-builds are
// listed but never chosen. notes say what was ignored and which signals
// disagree.
func chooseBuild(signals []buildSignal) (string, []finding.BuildSource, []string) {
	type key struct{ build, source, file string }
	merged := map[key]*judgedSignal{}
	for _, s := range signals {
		k := key{s.build, baseSource(s.source), s.file}
		if j := merged[k]; j != nil {
			if s.at.After(j.at) {
				j.at = s.at
			}
			continue
		}
		j := &judgedSignal{buildSignal: s, reliability: reliability[baseSource(s.source)], files: 1}
		b, err := exchange.ParseBuild(s.build)
		switch {
		case err != nil:
			j.reliability, j.note = "ignored", "not an Exchange 2013 or later build"
		case b.Build == 0:
			j.reliability, j.note = "ignored", "placeholder: ECP logs write 15.0.0.0 in their header whatever the server runs"
		default:
			j.parsed = b
		}
		merged[k] = j
	}
	list := slices.Collect(maps.Values(merged))
	slices.SortFunc(list, func(a, b *judgedSignal) int {
		return cmp.Or(reliabilityRank[b.reliability]-reliabilityRank[a.reliability],
			strings.Compare(a.build, b.build), strings.Compare(a.source, b.source), strings.Compare(a.file, b.file))
	})
	// Count the files naming each parsed build, for the tie-break.
	perBuild := map[string]int{}
	newest := map[string]time.Time{}
	for _, j := range list {
		if j.reliability == "ignored" {
			continue
		}
		b := j.parsed.String()
		perBuild[b]++
		if j.at.After(newest[b]) {
			newest[b] = j.at
		}
	}
	var best *judgedSignal
	for _, j := range list {
		if j.reliability == "ignored" {
			continue
		}
		if best == nil || better(j, best, perBuild, newest) {
			best = j
		}
	}
	var sources []finding.BuildSource
	var notes []string
	var ignored, others []string
	for i, j := range list {
		if i == 50 {
			notes = append(notes, fmt.Sprintf("%d more build signals not listed in build_sources", len(list)-i))
			break
		}
		sources = append(sources, finding.BuildSource{Build: j.build, Source: j.source, File: j.file, Line: j.line, Reliability: j.reliability, Note: j.note})
	}
	for _, j := range list {
		where := fmt.Sprintf("%s %s", j.source, j.file)
		if j.line > 0 {
			where = fmt.Sprintf("%s %s:%d", j.source, j.file, j.line)
		}
		switch {
		case j.reliability == "ignored":
			ignored = append(ignored, fmt.Sprintf("%s (%s)", j.build, where))
		case best != nil && !agree(j.parsed, best.parsed):
			others = append(others, fmt.Sprintf("%s (%s, %s reliability)", j.parsed, where, j.reliability))
		}
	}
	if len(ignored) > 0 {
		notes = append(notes, "build: ignored "+joinFew(ignored, 3)+": placeholders or not builds")
	}
	if best == nil {
		return "", sources, notes
	}
	if len(others) > 0 {
		notes = append(notes, fmt.Sprintf("build signals disagree: reported %s (%s %s, %s reliability); also named: %s",
			best.parsed, best.source, best.file, best.reliability, joinFew(others, 5)))
	}
	return best.parsed.String(), sources, notes
}

// better says whether a should be chosen over b.
func better(a, b *judgedSignal, perBuild map[string]int, newest map[string]time.Time) bool {
	if r := reliabilityRank[a.reliability] - reliabilityRank[b.reliability]; r != 0 {
		return r > 0
	}
	if a.parsed.HasRevision() != b.parsed.HasRevision() {
		return a.parsed.HasRevision()
	}
	ab, bb := a.parsed.String(), b.parsed.String()
	if !newest[ab].Equal(newest[bb]) {
		return newest[ab].After(newest[bb])
	}
	if perBuild[ab] != perBuild[bb] {
		return perBuild[ab] > perBuild[bb]
	}
	return a.parsed.Compare(b.parsed) > 0
}

// agree says whether two builds can both be true: equal, or one a CU
// (a.b.c) the other lies in.
func agree(a, b exchange.Build) bool {
	if a.HasRevision() && b.HasRevision() {
		return a.Compare(b) == 0
	}
	return a.Major == b.Major && a.Minor == b.Minor && a.Build == b.Build
}

// baseSource folds "file version of X" into srcFile.
func baseSource(s string) string {
	if strings.HasPrefix(s, srcFile) {
		return srcFile
	}
	return s
}

func joinFew(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" and %d more", len(list)-n)
}
