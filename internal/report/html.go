package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/safetext"
)

//go:embed templates/report.gohtml templates/report.css
var templateFS embed.FS

var parsed = sync.OnceValues(func() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"fmtTime":      fmtTime,
		"releaseName":  ReleaseName,
		"fmtDate":      func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"location":     func(f finding.Finding) string { return location(&f) },
		"urgencyClass": func(u Urgency) string { return strings.ReplaceAll(u.String(), " ", "-") },
		"axisY":        func(c *Chart) float64 { return c.Height - chartBottom + 8 },
	}).ParseFS(templateFS, "templates/report.gohtml")
})

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// page is the view model of one HTML document.
type page struct {
	Title, Generated, Version string
	CSS                       template.CSS
	Dashboard                 bool
	Fleet                     *fleetView
	Hosts                     []hostView
}

type hostView struct {
	Anchor   string
	Host     string
	Verdict  string
	Result   *finding.HostResult
	Findings []finding.Finding
	Exposure Exposure
	Plan     []Step
	Chart    *Chart
}

type fleetView struct {
	Verdicts []struct {
		Name, Class string
		Count       int
	}
	Rows []struct {
		Anchor, Host, Verdict, Build, CVEs string
		Findings                           int
	}
	Chart *Chart
}

// HTML writes one self-contained HTML document about hosts: a fleet
// overview when there is more than one, then one section per host.
func HTML(w io.Writer, hosts []Host, opt Options) error {
	tmpl, err := parsed()
	if err != nil {
		return fmt.Errorf("report: templates: %w", err)
	}
	kb, err := opt.kb()
	if err != nil {
		return fmt.Errorf("report: build knowledge: %w", err)
	}
	css, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		return err
	}
	p := page{Title: opt.Title, Generated: opt.now().Format("2006-01-02 15:04 UTC"), Version: opt.version(), CSS: template.CSS(css), Dashboard: opt.Dashboard}
	if p.Title == "" {
		p.Title = "exhunt report"
		if len(hosts) == 1 {
			p.Title += ": " + hosts[0].Result.Host
		}
	}
	for i := range hosts {
		p.Hosts = append(p.Hosts, newHostView(kb, &hosts[i], i))
	}
	if len(hosts) > 1 {
		p.Fleet = newFleetView(p.Hosts)
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "report", p); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	// html/template leaves control characters from evidence raw: inert in
	// a browser, but not in a terminal (report --html -). Escape them.
	_, err = io.WriteString(w, safetext.Text(b.String()))
	return err
}

func newHostView(kb *exchange.KB, h *Host, i int) hostView {
	v := hostView{Anchor: fmt.Sprintf("host-%d", i+1), Host: h.Result.Host, Verdict: string(h.Result.Verdict), Result: &h.Result}
	v.Findings = slices.Clone(h.Result.Findings)
	finding.Sort(v.Findings)
	v.Exposure = Assess(kb, h)
	v.Plan = Plan(kb, h, &v.Exposure)
	items := make([]Item, 0, len(v.Findings))
	for j := range v.Findings {
		f := &v.Findings[j]
		items = append(items, Item{Lane: kindLane(f), Finding: f, Host: h.Result.Host})
	}
	v.Chart = NewChart(items, []string{"IIS / Exchange logs", "Files", "Event logs", "Network scan"})
	return v
}

var verdictOrder = []finding.Verdict{finding.Compromised, finding.ExploitationAttempted, finding.NoEvidence}

func newFleetView(hosts []hostView) *fleetView {
	f := &fleetView{}
	count := map[string]int{}
	var items []Item
	for _, h := range hosts {
		count[h.Verdict]++
		var cves []string
		for _, c := range h.Exposure.CVEs {
			cves = append(cves, c.ID)
		}
		f.Rows = append(f.Rows, struct {
			Anchor, Host, Verdict, Build, CVEs string
			Findings                           int
		}{h.Anchor, h.Host, h.Verdict, h.Exposure.Build, strings.Join(cves, ", "), len(h.Findings)})
		for j := range h.Findings {
			items = append(items, Item{Lane: h.Host, Finding: &h.Findings[j], Host: h.Host})
		}
	}
	for _, v := range verdictOrder {
		f.Verdicts = append(f.Verdicts, struct {
			Name, Class string
			Count       int
		}{string(v), verdictSeverity(v), count[string(v)]})
	}
	f.Chart = NewChart(items, nil)
	return f
}

func verdictSeverity(v finding.Verdict) string {
	switch v {
	case finding.Compromised:
		return "critical"
	case finding.ExploitationAttempted:
		return "high"
	}
	return "low"
}

// TimelineSVG renders the cross-host timeline (one lane per host) as an
// inline SVG fragment, for pages that embed it (the dashboard).
func TimelineSVG(hosts []Host) (template.HTML, error) {
	tmpl, err := parsed()
	if err != nil {
		return "", fmt.Errorf("report: templates: %w", err)
	}
	var items []Item
	for i := range hosts {
		h := &hosts[i].Result
		for j := range h.Findings {
			items = append(items, Item{Lane: h.Host, Finding: &h.Findings[j], Host: h.Host})
		}
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "chart", NewChart(items, nil)); err != nil {
		return "", fmt.Errorf("report: render timeline: %w", err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // produced by html/template, which escaped every value
}
