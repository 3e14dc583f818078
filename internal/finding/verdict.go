package finding

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
//     user agent answered 200) never decide compromise on their own;
//   - exploitation-attempted: any other such finding;
//   - no-evidence: none.
func Judge(fs []Finding) Verdict {
	v := NoEvidence
	for i := range fs {
		f := &fs[i]
		if f.Severity.Rank() < Medium.Rank() {
			continue
		}
		if f.Outcome == Succeeded && f.Severity.Rank() >= High.Rank() {
			return Compromised
		}
		if (f.Kind == KindFile || f.Kind == KindEvent) && f.Outcome != Attempted && f.Severity.Rank() >= High.Rank() {
			return Compromised
		}
		v = ExploitationAttempted
	}
	return v
}
