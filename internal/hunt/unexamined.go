package hunt

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/safetext"
)

// ncsaLine is the start of an Apache/NCSA common or combined log line:
// host ident user [10/Oct/2000:13:55:36 -0700].
var ncsaLine = regexp.MustCompile(`^\S+ \S+ \S+ \[\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`)

// unknownFormat says why a file that looks like a log is not one exhunt
// reads, from its first bytes; scanned says the file checks still looked
// at its content.
func unknownFormat(f *evidence.File, head []byte, scanned bool) string {
	var why string
	first := firstLine(head)
	switch {
	case len(head) == 0:
		why = "empty file"
	case ncsaLine.Match(first):
		why = "an Apache/NCSA access log: not a format exhunt reads (IIS W3C, Exchange CSV, EVTX)"
	case bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(first):
		why = "unknown format: binary, not an IIS, Exchange or Windows event log"
	case isoTimeLed(first) && bytes.Count(first, []byte(",")) >= 2:
		why = "a CSV log without a header line: its columns are unknown"
	case bytes.Count(first, []byte(",")) >= 2:
		why = fmt.Sprintf("a CSV file whose columns (%s) are not those of an Exchange log", safetext.Truncate(string(first), 120))
	case len(first) >= 19 && isDateLed(first):
		why = "a log without a #Fields: header whose lines do not fit IIS's default fields"
	default:
		why = "unknown format: not an IIS W3C, Exchange or Windows event log"
	}
	if scanned {
		why += "; its content was still checked for web shells and tools"
	}
	return oneLine(why, 300)
}

func firstLine(head []byte) []byte {
	for line := range bytes.Lines(head) {
		line = bytes.TrimRight(line, "\r\n")
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		if len(line) > 0 && line[0] != '#' {
			return line
		}
	}
	return nil
}

func isDateLed(b []byte) bool {
	return len(b) >= 10 && b[4] == '-' && b[7] == '-' && b[0] >= '0' && b[0] <= '9'
}

func isoTimeLed(b []byte) bool {
	return len(b) >= 19 && isDateLed(b) && (b[10] == 'T' || b[10] == ' ') && b[13] == ':'
}

// summarizeUnexamined says in a few words what was not examined, by
// reason, for the verdict reason: "2 inputs not examined (1 cannot
// read: permission denied; 1 an Apache/NCSA access log ...)".
func summarizeUnexamined(list []finding.Unexamined, total int) string {
	byReason := map[string]int{}
	for _, u := range list {
		r, _, _ := strings.Cut(u.Reason, ";")
		byReason[r]++
	}
	reasons := slices.Sorted(func(yield func(string) bool) {
		for r := range byReason {
			if !yield(r) {
				return
			}
		}
	})
	slices.SortStableFunc(reasons, func(a, b string) int { return byReason[b] - byReason[a] })
	var parts []string
	for i, r := range reasons {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", byReason[r], safetext.Truncate(r, 100)))
	}
	noun := "inputs"
	if total == 1 {
		noun = "input"
	}
	return fmt.Sprintf("%d %s not examined or only in part (%s; see not_examined)", total, noun, strings.Join(parts, "; "))
}
