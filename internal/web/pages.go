package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/report"
	"github.com/exhunt/exhunt/internal/store"
)

//go:embed templates/*.gohtml templates/style.css
var assets embed.FS

var pages = sync.OnceValues(func() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04")
		},
		"join":       strings.Join,
		"pathEscape": url.PathEscape,
	}).ParseFS(assets, "templates/*.gohtml")
})

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	t, err := pages()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
}

func (s *Server) css(w http.ResponseWriter, _ *http.Request) {
	b, _ := assets.ReadFile("templates/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}

// hostRow is one line of the fleet table.
type hostRow struct {
	Host, Verdict, Build, Product, Exposure string
	CVEs, KEV                               []string
	Findings                                int
	LastHunt, LastScan                      time.Time
}

// buildRow is one distinct build of the fleet and how many hosts run it.
type buildRow struct {
	Build, Release string
	CVEs, KEV      []string
	Count          int
}

type count struct {
	Name  string
	Class string
	Count int
}

func verdictClass(v string) string {
	switch v {
	case string(finding.Compromised):
		return "critical"
	case string(finding.ExploitationAttempted):
		return "high"
	case string(finding.NoEvidence):
		return "ok"
	}
	return "info"
}

// hostPage shows the same document as `exhunt report HOST`.
func (s *Server) hostPage(w http.ResponseWriter, r *http.Request) {
	h, err := LoadHost(r.Context(), s.Store, r.PathValue("host"))
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no result for this host", http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	kb, err := s.kb()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var b strings.Builder
	if err := report.HTML(&b, []report.Host{h}, report.Options{KB: kb, Version: s.Version, Dashboard: true}); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
}

// LoadHost joins a host's newest hunt and newest scan from the store, as
// the host page and `exhunt report` show them.
func LoadHost(ctx context.Context, st *store.Store, name string) (report.Host, error) {
	var h report.Host
	res, _, herr := st.LatestHunt(ctx, name)
	if herr != nil && !errors.Is(herr, store.ErrNotFound) {
		return h, herr
	}
	h.Result = res
	sc, run, serr := st.LatestScan(ctx, name)
	if serr != nil && !errors.Is(serr, store.ErrNotFound) {
		return h, serr
	}
	if herr != nil && serr != nil {
		return h, herr
	}
	if serr == nil {
		h.Scan = report.FromScan(&sc, run.RunTime)
	}
	if h.Result.Host == "" {
		h.Result.Host = name
	}
	return h, nil
}

type timelineData struct {
	Version string
	Chart   template.HTML
	Hosts   int
	Events  []timelineEvent
}

type timelineEvent struct {
	Time                  time.Time
	Host, Severity, Title string
	Source                string
	Line                  int64
}

// maxEvents bounds the event list under the chart.
const maxEvents = 500

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	hunts, err := s.Store.LatestHunts(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	hosts := make([]report.Host, 0, len(hunts))
	var events []timelineEvent
	for _, h := range hunts {
		hosts = append(hosts, report.Host{Result: h})
		for _, f := range h.Findings {
			if f.Severity.Rank() >= finding.Medium.Rank() {
				events = append(events, timelineEvent{f.Time, h.Host, string(f.Severity), f.Title, f.Source, f.Line})
			}
		}
	}
	chart, err := report.TimelineSVG(hosts)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	slices.SortStableFunc(events, func(a, b timelineEvent) int { return a.Time.Compare(b.Time) })
	if len(events) > maxEvents {
		events = events[:maxEvents]
	}
	s.render(w, r, "timeline", timelineData{Version: s.Version, Chart: chart, Hosts: len(hosts), Events: events})
}
