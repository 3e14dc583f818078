package report

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
)

// Urgency orders remediation steps; lower is sooner.
type Urgency int

const (
	Now      Urgency = iota // stop the bleeding: contain, remove attacker access
	Today                   // patch and mitigate exposure that is exploited in the wild
	ThisWeek                // credentials, rebuild planning, other exposure
	Later                   // hygiene: coverage, lifecycle
)

func (u Urgency) String() string {
	return [...]string{"now", "today", "this week", "later"}[u]
}

// Step is one remediation action.
type Step struct {
	Urgency Urgency
	Title   string
	Why     string
	Items   []string // files to delete, accounts to reset, rules to apply
}

// Plan derives the remediation plan of a host, ordered by urgency.
func Plan(kb *exchange.KB, h *Host, e *Exposure) []Step {
	r := &h.Result
	var steps []Step
	shells := webShells(h)
	dumps, lsass := dumpFiles(r.Findings)
	codeExec := slices.ContainsFunc(r.Findings, func(f finding.Finding) bool {
		return f.Kind == finding.KindEvent && f.Severity.Rank() >= finding.High.Rank()
	})
	if r.Verdict == finding.Compromised {
		steps = append(steps, Step{Urgency: Now, Title: "Contain " + r.Host,
			Why: "the evidence shows a successful compromise: cut the attacker off before cleaning, and keep the evidence",
			Items: []string{
				"block inbound HTTPS to the server at the firewall or take it out of the load balancer",
				"save memory, the IIS and Exchange logs and the files listed below before deleting anything",
			}})
	}
	if len(shells) > 0 {
		steps = append(steps, Step{Urgency: Now, Title: "Remove the web shells",
			Why:   "each one gives the attacker code execution as SYSTEM through IIS; delete them after saving a copy as evidence",
			Items: shells})
	}
	if len(dumps) > 0 {
		steps = append(steps, Step{Urgency: Now, Title: "Remove memory dumps and staged archives",
			Why:   "they hold credentials or data the attacker meant to take",
			Items: dumps})
	}
	steps = append(steps, patchSteps(kb, e)...)
	if lsass {
		steps = append(steps, Step{Urgency: ThisWeek, Title: "Reset the credentials LSASS held",
			Why:   "LSASS memory was dumped: every password hash and Kerberos ticket of anyone logged on to " + r.Host + " must be treated as stolen",
			Items: accounts(r)})
	}
	switch {
	case r.Verdict == finding.Compromised && (lsass || codeExec || anySucceeded(r.Findings)):
		steps = append(steps, Step{Urgency: ThisWeek, Title: "Rebuild the server",
			Why: "attacker code ran on the server; removing the files found does not prove nothing else was left",
			Items: []string{
				"install a clean Windows Server and Exchange with Setup /Mode:RecoverServer at the newest CU and security update",
				"keep the databases; do not restore the system drive from a backup taken after the first finding",
			}})
	case r.Verdict == finding.Compromised:
		steps = append(steps, Step{Urgency: ThisWeek, Title: "Decide whether to rebuild",
			Why: "a web shell was on disk but no executed command was seen; rebuild unless logs covering the whole period prove it never ran"})
	}
	if gaps := coverageGaps(r); len(gaps) > 0 {
		steps = append(steps, Step{Urgency: Later, Title: "Close the gaps in log coverage",
			Why:   "a verdict is only as good as the logs behind it: collect the missing days and hunt again",
			Items: gaps})
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return int(a.Urgency) - int(b.Urgency) })
	return steps
}

// patchSteps says which update to install and what to do until then.
func patchSteps(kb *exchange.KB, e *Exposure) []Step {
	a := e.Assessment
	if a == nil {
		return []Step{{Urgency: ThisWeek, Title: "Find the exact Exchange build",
			Why:   e.Problem,
			Items: []string{"run exhunt scan against the server, or exhunt build with the file version of ExSetup.exe"}}}
	}
	if !a.Exposed() && a.LineSupported {
		return nil
	}
	urgency := ThisWeek
	if slices.ContainsFunc(e.CVEs, func(c CVE) bool { return c.Exploited }) {
		urgency = Today
	}
	var steps []Step
	var install Step
	install.Urgency = urgency
	cves := make([]string, 0, len(e.CVEs))
	for _, c := range e.CVEs {
		cves = append(cves, c.ID)
	}
	update := orUnknown(a.Update)
	if a.Update == a.CU {
		update = "no security update" // the knowledge base names a CU's own build after the CU
	}
	install.Why = fmt.Sprintf("build %s (%s %s, %s, from %s) is exposed to %s", a.Build, a.Product, a.CU, update, e.BuildSource, orNone(cves))
	switch {
	case !a.LineSupported:
		cu, su := newestCU(kb, a.Product)
		install.Title = fmt.Sprintf("Install %s %s, then its newest security update %s", a.Product, cu, su)
		if a.LatestInLine != "" && a.LatestInLine != a.Build {
			install.Items = append(install.Items, fmt.Sprintf("until then, the newest update of the %s line: %s (%s)", a.CU, a.LatestUpdate, a.LatestInLine))
		}
		install.Items = append(install.Items, a.Notes...)
	case a.LatestInLine != "" && a.LatestInLine != a.Build:
		install.Title = fmt.Sprintf("Install %s for %s %s (build %s)", a.LatestUpdate, a.Product, a.CU, a.LatestInLine)
		for _, m := range a.Missing {
			item := m.Name + " " + m.Build.String()
			if m.KB != "" {
				item += " (" + m.KB + ")"
			}
			install.Items = append(install.Items, "missing: "+item)
		}
	default:
		install.Title = fmt.Sprintf("Install the newest security update for %s %s", a.Product, a.CU)
		install.Items = append(install.Items, a.Notes...)
	}
	steps = append(steps, install)
	if m := mitigations(e, a); len(m) > 0 {
		steps = append(steps, Step{Urgency: urgency, Title: "Mitigate until the update is installed",
			Why: "these block the known exploitation paths of the exposed CVEs; they do not replace the update", Items: m})
	}
	return steps
}

// waveMitigations are Microsoft's interim mitigations per wave.
// Sources: CSS-Exchange EOMT (2021-03-15); MSRC ProxyNotShell guidance
// (2022-09-29, URL Rewrite rule and remote PowerShell); CrowdStrike OWASSRF
// (2022-12-20); MS ADV24-21410 Extended Protection; CISA ED 25-02.
var waveMitigations = map[string]string{
	"ProxyLogon":    "ProxyLogon: run EOMT.ps1 (CSS-Exchange), which adds the URL Rewrite rule against the X-AnonResource-Backend and X-BEResource cookie SSRF",
	"ProxyShell":    `ProxyShell: URL Rewrite rule blocking requests whose URL matches ".*autodiscover\.json.*\@.*Powershell.*"`,
	"ProxyNotShell": `ProxyNotShell: URL Rewrite rule blocking ".*autodiscover\.json.*Powershell.*" on {UrlDecode:{REQUEST_URI}} (Exchange Emergency Mitigation Service M1.2), and Set-User -RemotePowerShellEnabled $false for non-admin users`,
	"OWASSRF":       "OWASSRF: Set-User -RemotePowerShellEnabled $false for every non-admin user; the ProxyNotShell URL Rewrite rule does not stop /owa/mastermailbox/powershell",
	"NTLM relay":    "NTLM relay: enable Extended Protection with ExchangeExtendedProtectionManagement.ps1 (CSS-Exchange)",
	"Hybrid":        "Hybrid: deploy the dedicated Exchange hybrid application and reset the shared service principal's keyCredentials (ConfigureExchangeHybridApplication.ps1)",
}

func mitigations(e *Exposure, a *exchange.Assessment) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range e.CVEs {
		if m, ok := waveMitigations[c.Wave]; ok && !seen[c.Wave] {
			seen[c.Wave] = true
			out = append(out, m)
		}
	}
	for _, c := range a.Conditional {
		out = append(out, fmt.Sprintf("%s: %s %s", c.CVE, c.Condition, c.Note))
	}
	return out
}

func newestCU(kb *exchange.KB, product string) (cu, su string) {
	for _, r := range kb.Releases {
		if r.Product != product {
			continue
		}
		if r.IsCU() {
			cu, su = r.CU, ""
		} else if r.CU == cu {
			su = r.Name
		}
	}
	if su == "" {
		su = "(none released yet)"
	}
	if cu == "" {
		cu = "newest CU"
	}
	return cu, su
}

func webShells(h *Host) []string {
	var out []string
	for _, f := range h.Result.Findings {
		if f.Kind != finding.KindFile || !isWebShell(&f) {
			continue
		}
		item := f.Source
		if sum := f.Details["file_sha256"]; sum != "" {
			item += " (sha256 " + strings.ToLower(sum) + ")"
		}
		out = appendNew(out, item)
	}
	if h.Scan != nil {
		for _, p := range h.Scan.Webshells {
			out = appendNew(out, p+" (answered the network scan like a web shell)")
		}
	}
	return out
}

func isWebShell(f *finding.Finding) bool {
	s := strings.ToLower(f.Rule + " " + f.Title)
	return strings.Contains(s, "webshell") || strings.Contains(s, "web shell") || slices.Contains(f.Attack, "T1505.003")
}

var dumpExt = []string{".dmp", ".zip", ".7z", ".rar"}

// dumpFiles lists dump and archive files the findings name, and whether
// LSASS memory was dumped.
func dumpFiles(fs []finding.Finding) (files []string, lsass bool) {
	for _, f := range fs {
		text := strings.ToLower(f.Rule + " " + f.Title + " " + f.Evidence)
		if strings.Contains(text, "lsass") && (strings.Contains(text, "dump") || strings.Contains(text, "-ma ") || strings.Contains(text, "minidump")) {
			lsass = true
		}
		for _, k := range []string{"target_file", "file_path", "path"} {
			if p := f.Details[k]; p != "" && slices.Contains(dumpExt, strings.ToLower(path.Ext(strings.ReplaceAll(p, `\`, "/")))) {
				files = appendNew(files, p)
			}
		}
		if f.Kind == finding.KindFile && slices.Contains(dumpExt, strings.ToLower(path.Ext(f.Source))) {
			files = appendNew(files, f.Source)
		}
	}
	return files, lsass
}

func accounts(r *finding.HostResult) []string {
	var out []string
	for _, f := range r.Findings {
		for _, k := range []string{"user", "account", "target_user", "subject_user"} {
			if v := f.Details[k]; v != "" && v != "-" {
				out = appendNew(out, v+" (seen in the findings)")
			}
		}
	}
	return append(out,
		"every account that logged on to "+r.Host+" interactively or as a service since the first finding",
		"the computer account "+r.Host+"$ and the Exchange service accounts",
		"if a domain admin logged on to the server: krbtgt, twice, ten hours apart",
	)
}

func anySucceeded(fs []finding.Finding) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Outcome == finding.Succeeded })
}

func coverageGaps(r *finding.HostResult) []string {
	var out []string
	for _, c := range r.Coverage {
		for _, g := range c.Gaps {
			out = append(out, fmt.Sprintf("%s: no records from %s to %s", c.Source, g.From.Format("2006-01-02"), g.To.Format("2006-01-02")))
		}
		for _, w := range c.Warnings {
			out = append(out, c.Source+": "+w)
		}
		if c.Records == 0 && len(c.Warnings) == 0 {
			out = append(out, c.Source+": no records at all")
		}
	}
	return out
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown update"
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no known CVE"
	}
	return strings.Join(s, ", ")
}
