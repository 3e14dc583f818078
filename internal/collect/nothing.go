package collect

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/safetext"
)

// ErrNothing is wrapped when a collection would hold, or held, no file:
// no bundle is written then (a bundle of nothing reads as "collected,
// nothing found" to whoever hunts it).
var ErrNothing = errors.New("collect: nothing collected")

// nothing explains an empty collection, one joined error per line: where
// it looked, what was not there, and what it found but skipped.
// copyFailed says the plan had files but none could be copied (the
// reasons are in skipped).
//
// Files at a drive's top level are collected (dropped tools), but alone
// they are not a server's evidence: a --root that holds nothing else is
// not a Windows system drive (a wrong folder, a data disk), and its
// loose files would make a bundle that hunts as "nothing found".
func (p *Plan) nothing(skipped []Skipped, copyFailed bool) error {
	from := "the live system"
	if !p.sys.src.Live {
		from = safetext.Line(p.sys.src.Drives["C"]) + ` (as C:\)`
	}
	var lines []error
	var loose []string
	if !copyFailed {
		for _, it := range p.Items {
			loose = append(loose, safetext.Line(it.OriginalPath))
		}
	}
	switch {
	case len(loose) > 0:
		lines = append(lines, fmt.Errorf("%w from %s but %s at the top of the drive (%s): no IIS log, Exchange log, event log, web folder, configuration file or ExSetup.exe where exhunt looks; no bundle written",
			ErrNothing, from, files(len(loose)), strings.Join(loose[:min(len(loose), 5)], ", ")))
	case copyFailed:
		lines = append(lines, fmt.Errorf("%w from %s: none of the %d files planned could be read; no bundle written", ErrNothing, from, len(p.Items)))
	default:
		lines = append(lines, fmt.Errorf("%w from %s: no IIS log, Exchange log, event log, web folder, configuration file, ExSetup.exe or dropped file where exhunt looks; no bundle written", ErrNothing, from))
	}
	byCat := map[string][]string{}
	reason := map[string]string{}
	for _, m := range p.Missing {
		byCat[m.Category] = append(byCat[m.Category], m.Path)
		if m.Error != "" {
			reason[m.Category] = m.Error
		}
	}
	if len(byCat) > 0 {
		lines = append(lines, fmt.Errorf("looked for, not found (%d places):", len(p.Missing)))
		for _, c := range slices.Sorted(maps.Keys(byCat)) {
			l := fmt.Sprintf("  %s: %s", c, strings.Join(byCat[c], ", "))
			if r := reason[c]; r != "" {
				l += ": " + r
			}
			lines = append(lines, errors.New(l))
		}
	}
	if len(skipped) > 0 {
		lines = append(lines, fmt.Errorf("found, not collected (%d):", len(skipped)))
		for i, s := range skipped {
			if i == 5 {
				lines = append(lines, fmt.Errorf("  ... and %d more", len(skipped)-i))
				break
			}
			lines = append(lines, fmt.Errorf("  %s: %s", s.OriginalPath, s.Reason))
		}
	}
	switch {
	case copyFailed:
		lines = append(lines, errors.New("run it with the rights to read them (on the server: an elevated prompt)"))
	case len(skipped) > 0:
		lines = append(lines, errors.New("widen --since or --max-size to take what was skipped"))
	case !p.sys.src.Live:
		lines = append(lines, errors.New("is --root the server's system drive (the folder holding Windows, inetpub, Program Files)? --exchange-path names an Exchange installed elsewhere, --drive other drives"))
	}
	return errors.Join(lines...)
}

// evidenceFound says whether the plan holds a file other than the loose
// files at a drive's top level.
func (p *Plan) evidenceFound() bool {
	return slices.ContainsFunc(p.Items, func(it Item) bool {
		return it.Category != CatRoot || strings.Count(it.OriginalPath, `\`) > 1
	})
}

func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}
