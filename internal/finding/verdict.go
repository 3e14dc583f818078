package finding

import (
	"fmt"
	"strings"
)

// Verdict is the one-word answer for a host (issue #3).
type Verdict string

const (
	Compromised           Verdict = "compromised"
	ExploitationAttempted Verdict = "exploitation-attempted"
	NoEvidence            Verdict = "no-evidence"
)

// Judge derives the host verdict from findings of at least medium severity:
//   - compromised: a high or critical finding whose outcome is succeeded,
//     or a high or critical file or event finding not marked attempted (a
//     web shell on disk, an LSASS dump, w3wp starting cmd.exe are facts,
//     not attempts); medium findings (indicators such as a known attacker
//     user agent answered 200) never decide compromise on their own, and
//     neither does a cleared event log (ATT&CK T1070, indicator removal:
//     suspicious, since administrators clear logs too);
//   - exploitation-attempted: any other such finding;
//   - no-evidence: none.
func Judge(fs []Finding) Verdict {
	v, _ := JudgeWhy(fs)
	return v
}

// JudgeWhy is Judge with the reason: a sentence naming the strongest
// finding behind the verdict (for compromise: one that succeeded before
// one merely on record, the most severe, the earliest).
func JudgeWhy(fs []Finding) (Verdict, string) {
	var attempt, suspicious, proof *Finding
	strength := func(f *Finding) int {
		s := 10 * f.Severity.Rank()
		if f.Outcome == Succeeded {
			s += 100
		}
		return s
	}
	for i := range fs {
		f := &fs[i]
		if f.Severity.Rank() < Medium.Rank() {
			continue
		}
		if onlyIndicatorRemoval(f) {
			if suspicious == nil {
				suspicious = f
			}
			continue
		}
		decisive := f.Severity.Rank() >= High.Rank() &&
			(f.Outcome == Succeeded || (f.Kind == KindFile || f.Kind == KindEvent) && f.Outcome != Attempted)
		if decisive && (proof == nil || strength(f) > strength(proof)) {
			proof = f
		}
		if attempt == nil {
			attempt = f
		}
	}
	switch {
	case proof != nil && proof.Outcome == Succeeded:
		return Compromised, "compromised: " + describe(proof) + " succeeded"
	case proof != nil:
		return Compromised, "compromised: " + describe(proof) + " is on record"
	case attempt != nil:
		why := "exploitation attempted: " + describe(attempt) + "; no finding shows that an attack succeeded"
		if suspicious != nil {
			why += "; " + describe(suspicious) + " is suspicious, not proof"
		}
		return ExploitationAttempted, why
	case suspicious != nil:
		return ExploitationAttempted, "suspicious: " + describe(suspicious) +
			": attackers clear logs to hide their tracks, but so do administrators, so it is no proof of compromise; nothing else was found"
	}
	return NoEvidence, "no finding of medium severity or more in what was examined"
}

// onlyIndicatorRemoval says whether every ATT&CK technique of f is T1070
// (indicator removal: a cleared event log).
func onlyIndicatorRemoval(f *Finding) bool {
	if len(f.Attack) == 0 || len(f.CVEs) > 0 {
		return false
	}
	for _, a := range f.Attack {
		if !strings.HasPrefix(a, "T1070") {
			return false
		}
	}
	return true
}

func describe(f *Finding) string {
	at := f.Source
	if f.Line > 0 {
		at = fmt.Sprintf("%s:%d", f.Source, f.Line)
	}
	return fmt.Sprintf("%q (%s, %s)", f.Title, f.Severity, at)
}
