package report

import (
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// Host is everything a report knows about one server.
type Host struct {
	Result finding.HostResult
	// Scan is the newest network scan of the host; nil if never scanned.
	Scan *Scan
}

// Scan is the part of an `exhunt scan` result a report shows.
type Scan struct {
	Target    string
	IP        string
	Build     string
	Exchange  bool
	CVEs      []string
	Webshells []string // paths that answered like a web shell
	Time      time.Time
}

// Options tune a report.
type Options struct {
	KB      *exchange.KB // build knowledge for exposure and updates; nil: exchange.Default()
	Now     time.Time    // "generated at"; zero: time.Now
	Title   string       // default: "exhunt report"
	Version string       // exhunt version printed in reports; default "dev"
	// Dashboard adds links back to the fleet pages of exhunt serve; a
	// report file has none, as it must stand alone.
	Dashboard bool
}

func (o Options) version() string {
	if o.Version == "" {
		return "dev"
	}
	return o.Version
}

func (o Options) kb() (*exchange.KB, error) {
	if o.KB != nil {
		return o.KB, nil
	}
	return exchange.Default()
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now.UTC()
}

// build returns the best known build of h and where it came from: a scan
// asks the server itself, log headers may be older than the running build.
func (h *Host) build() (build, source string) {
	if h.Scan != nil && h.Scan.Build != "" {
		return h.Scan.Build, "network scan"
	}
	if h.Result.Build != "" {
		return h.Result.Build, "log headers"
	}
	return "", ""
}

// Exposure is a host's build assessment, or why there is none.
type Exposure struct {
	Build       string
	BuildSource string
	Assessment  *exchange.Assessment // nil when the build is unknown or malformed
	Problem     string               // why Assessment is nil
	CVEs        []CVE                // exposed CVEs with their wave and summary
}

// CVE is one CVE a host is exposed to, from the knowledge base.
type CVE struct {
	ID, Wave, Summary string
	Exploited         bool   // exploited in the wild (CISA KEV, or a known first exploitation)
	KEVAdded          string // date CISA added it to the KEV catalog, empty when not listed
	Ransomware        bool   // CISA: known use in ransomware campaigns
}

// Assess computes the exposure of h from its build.
func Assess(kb *exchange.KB, h *Host) Exposure {
	e := Exposure{}
	e.Build, e.BuildSource = h.build()
	if e.Build == "" {
		e.Problem = "build unknown: no Exchange log header and no network scan gave the build"
		return e
	}
	a, err := kb.Assess(e.Build)
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	e.Assessment = &a
	// Exploited in the wild first (CISA KEV), then the rest, each in order.
	ids := a.KEVFirst(append(append([]string{}, a.CVEs...), a.SUDependent...))
	for _, id := range ids {
		info := kb.CVEs[id]
		c := CVE{ID: id, Wave: info.Wave, Summary: info.Summary, Exploited: !info.ExploitedSince.IsZero()}
		if k, ok := kb.KEV[id]; ok {
			c.Exploited, c.KEVAdded, c.Ransomware = true, k.DateAdded, k.Ransomware == "Known"
		}
		e.CVEs = append(e.CVEs, c)
	}
	return e
}

// FromScan converts a stored scan result for a report.
func FromScan(s *result.ScanResult, when time.Time) *Scan {
	out := &Scan{Target: s.Target, IP: s.IP, Build: s.Build, Exchange: s.Exchange, CVEs: s.CVEs, Time: when}
	for _, w := range s.Webshells {
		if w.Status == "found" { // inconclusive: the server answers 200 to anything
			out.Webshells = append(out.Webshells, w.Path)
		}
	}
	return out
}

// ReleaseName names the release of an assessed build: product, CU and the
// security update when it is not the CU itself.
func ReleaseName(a *exchange.Assessment) string {
	parts := []string{a.Product, a.CU}
	if a.Update != "" && a.Update != a.CU {
		parts = append(parts, a.Update)
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}
