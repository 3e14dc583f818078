package report

import (
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestNewChart(t *testing.T) {
	t0 := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	fs := []finding.Finding{
		{Severity: finding.Critical, Time: t0, Kind: finding.KindFile},
		{Severity: finding.Low, Time: t0.Add(48 * time.Hour), Kind: finding.KindLog},
		{Severity: finding.High}, // no time
	}
	var items []Item
	for i := range fs {
		items = append(items, Item{Lane: kindLane(&fs[i]), Finding: &fs[i], Host: "EX01"})
	}
	c := NewChart(items, []string{"IIS / Exchange logs", "Files"})
	if c.Untimed != 1 || len(c.Points) != 2 || len(c.Lanes) != 2 || c.Lanes[0].Label != "IIS / Exchange logs" {
		t.Fatalf("chart = %+v", c)
	}
	first, last := c.Points[0], c.Points[1]
	if first.X != chartLeft || last.X != chartRight || first.Y != c.Lanes[1].Y || first.R <= last.R {
		t.Errorf("points %+v %+v: want oldest at the left in the Files lane, bigger for critical", first, last)
	}
	if len(c.Ticks) != 5 || c.Ticks[0].Label != "2021-03-03" || c.Ticks[4].Label != "2021-03-05" {
		t.Errorf("ticks = %+v", c.Ticks)
	}
	// One instant gets an axis of two hours; many findings are capped, most severe kept.
	many := make([]finding.Finding, maxPoints+10)
	items = items[:0]
	for i := range many {
		many[i] = finding.Finding{Severity: finding.Low, Time: t0}
		if i < 10 {
			many[i].Severity = finding.Critical
		}
		items = append(items, Item{Lane: "x", Finding: &many[i]})
	}
	c = NewChart(items, nil)
	if c.Dropped != 10 || len(c.Points) != maxPoints || c.Points[0].Class != "sev-critical" || c.Ticks[0].Label != "03-02 23:00" {
		t.Errorf("capped chart: dropped %d, %d points, first %s, tick %s", c.Dropped, len(c.Points), c.Points[0].Class, c.Ticks[0].Label)
	}
}
