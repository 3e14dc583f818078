package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// Chart is a timeline drawn as inline SVG by the template: no script, no
// library, prints as it shows.
type Chart struct {
	Width, Height float64
	Left, Right   float64 // plot area in x
	Lanes         []Lane
	Points        []Point
	Ticks         []Tick
	Untimed       int // findings without a time, not drawn
	Dropped       int // findings over maxPoints, not drawn
}

// Lane is one row of the chart.
type Lane struct {
	Label string
	Y     float64
}

// Point is one finding on the chart.
type Point struct {
	X, Y  float64
	R     float64
	Class string // sev-critical, sev-high, ...
	Title string // shown on hover; escaped by the template
}

// Tick is one label on the time axis.
type Tick struct {
	X     float64
	Label string
}

const (
	chartWidth  = 960.0
	chartLeft   = 170.0
	chartRight  = 940.0
	laneHeight  = 30.0
	chartTop    = 20.0
	chartBottom = 40.0
	maxPoints   = 5000
)

// Item is what a timeline plots: a finding and the lane it belongs to.
type Item struct {
	Lane    string
	Finding *finding.Finding
	Host    string
}

// kindLane names the lane of a finding on a one-host chart.
func kindLane(f *finding.Finding) string {
	switch f.Kind {
	case finding.KindLog:
		return "IIS / Exchange logs"
	case finding.KindFile:
		return "Files"
	case finding.KindEvent:
		return "Event logs"
	case finding.KindScan:
		return "Network scan"
	}
	return "Other"
}

// NewChart lays out items on a time axis, one lane per distinct Lane, in
// the order lanes first appear in laneOrder (others after, sorted).
func NewChart(items []Item, laneOrder []string) *Chart {
	c := &Chart{Width: chartWidth, Left: chartLeft, Right: chartRight}
	var timed []Item
	for _, it := range items {
		if it.Finding.Time.IsZero() {
			c.Untimed++
			continue
		}
		timed = append(timed, it)
	}
	if len(timed) > maxPoints {
		// Keep the most severe findings when there are too many to draw.
		slices.SortStableFunc(timed, func(a, b Item) int { return b.Finding.Severity.Rank() - a.Finding.Severity.Rank() })
		c.Dropped = len(timed) - maxPoints
		timed = timed[:maxPoints]
	}
	laneY := map[string]float64{}
	addLane := func(name string) {
		if _, ok := laneY[name]; !ok {
			y := chartTop + laneHeight*float64(len(c.Lanes)) + laneHeight/2
			laneY[name] = y
			c.Lanes = append(c.Lanes, Lane{Label: name, Y: y})
		}
	}
	var rest []string
	for _, it := range timed {
		if !slices.Contains(laneOrder, it.Lane) && !slices.Contains(rest, it.Lane) {
			rest = append(rest, it.Lane)
		}
	}
	slices.Sort(rest)
	for _, l := range append(slices.Clone(laneOrder), rest...) {
		if slices.ContainsFunc(timed, func(it Item) bool { return it.Lane == l }) {
			addLane(l)
		}
	}
	c.Height = chartTop + laneHeight*float64(len(c.Lanes)) + chartBottom
	if len(timed) == 0 {
		return c
	}
	lo, hi := timed[0].Finding.Time, timed[0].Finding.Time
	for _, it := range timed {
		if it.Finding.Time.Before(lo) {
			lo = it.Finding.Time
		}
		if it.Finding.Time.After(hi) {
			hi = it.Finding.Time
		}
	}
	if !hi.After(lo) { // one instant: give the axis an hour either side
		lo, hi = lo.Add(-time.Hour), hi.Add(time.Hour)
	}
	span := float64(hi.Sub(lo))
	x := func(t time.Time) float64 { return chartLeft + (chartRight-chartLeft)*float64(t.Sub(lo))/span }
	for _, it := range timed {
		f := it.Finding
		title := fmt.Sprintf("%s %s [%s] %s", f.Time.UTC().Format("2006-01-02 15:04:05Z"), it.Host, f.Severity, f.Title)
		if f.Source != "" {
			title += " — " + location(f)
		}
		c.Points = append(c.Points, Point{X: x(f.Time), Y: laneY[it.Lane], R: 3 + float64(max(f.Severity.Rank(), 0)), Class: "sev-" + string(f.Severity), Title: title})
	}
	layout := "2006-01-02"
	if hi.Sub(lo) < 48*time.Hour {
		layout = "01-02 15:04"
	}
	for i := range 5 {
		t := lo.Add(time.Duration(float64(hi.Sub(lo)) * float64(i) / 4))
		c.Ticks = append(c.Ticks, Tick{X: x(t), Label: t.UTC().Format(layout)})
	}
	return c
}

// location is "source:line", or the source alone.
func location(f *finding.Finding) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.Source, f.Line)
	}
	return f.Source
}
