package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/mailhdr"
	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/safetext"
)

type buildOptions struct {
	format    string
	failOnKEV bool
	mail      bool
}

func (o *buildOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text, json (one object per build, in an array) or jsonl (one object per line)")
	cmd.Flags().BoolVar(&o.failOnKEV, "fail-on-kev", false, "exit 1 only when a build is exposed to a CVE on CISA's Known Exploited Vulnerabilities list (exit 0 for other exposure)")
	cmd.Flags().BoolVar(&o.mail, "mail", false, "the arguments are mail files (.eml, .mbox, or a raw header block; - for stdin): judge every Exchange server their Received headers name")
}

func newBuildCommand(g *globalOptions) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build BUILD... | build --mail FILE...",
		Short: "Tell which Exchange update a build is and which updates and CVEs it misses",
		Long: `Identify an Exchange build offline: product, CU, the exact security update,
its release date, the newest update of its CU line, whether the line is still
supported, every security update it misses and every CVE it is exposed to.

BUILD may be given in any form you meet:
  15.1.2176.2                   ExSetup.exe file version, X-OWA-Version header
  15.01.2176.002                Exchange log headers (#Version:)
  15.1.2176                     OWA/ECP resource paths (CU known, SU unknown)
  "Version 15.1 (Build 2176.2)" Get-ExchangeServer AdminDisplayVersion
Use - to read builds from standard input, one per line.

With --mail the arguments are mail files instead: a raw header block, an
.eml message or an .mbox archive (- reads standard input). Every message
that passed an Exchange server carries "Received: ... by HOST with Microsoft
SMTP Server (...) id 15.2.1544.9; DATE": exhunt lists each such hop (host,
build, date seen) and judges it on that day and today, without sending a
single packet. --format jsonl gives one object per hop for bulk use.
Exchange Online hops (15.20.x) are listed, not judged.

Builds the knowledge base does not list are never guessed: exhunt says which
known builds bracket them and what that implies, and judges CVEs by comparing
with the known fixed builds.

Examples:
  exhunt build 15.1.2176.2 15.1.2176.9            # 2016 CU19 before/after ProxyLogon SU
  exhunt build --format json 15.02.0986.005
  exhunt build "Version 15.2 (Build 1118.7)"
  exhunt build --fail-on-kev 15.2.1748.24          # exit 1 only for CVEs exploited in the wild
  exhunt build --mail message.eml archive.mbox     # every Exchange hop of the Received headers
  exhunt --kb ./newer-kb build 15.2.2562.56       # with a newer knowledge base

CVEs on CISA's Known Exploited Vulnerabilities list come first (kev_cves in
JSON, with the date CISA added them and known ransomware use). A product
Microsoft no longer fixes at all (Exchange 2010 since 2020-10-13, 2013 since
2023-04-11, 2016 and 2019 once their paid updates ended in October 2026) is
exposed whatever its CVE list says: unsupported_since in JSON.

EXIT STATUS
  0  no build is exposed (with --fail-on-kev: none to a KEV CVE)
  1  at least one build is exposed (or may be: CU known, SU unknown), or
     runs an unsupported product; with --fail-on-kev: exposed to a KEV CVE
  2  bad input (malformed build, unreadable --kb or mail file)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(g, &o, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func kbDir(g *globalOptions) string {
	if g.kbDir != "" {
		return g.kbDir
	}
	return os.Getenv("EXHUNT_KB")
}

func loadKB(g *globalOptions) (*exchange.KB, error) {
	kb, _, err := loadKBWithOrigin(g)
	return kb, err
}

func runBuild(g *globalOptions, o *buildOptions, args []string) error {
	if o.format != "text" && o.format != "json" && o.format != "jsonl" {
		return usagef("unknown --format %q (want text, json or jsonl)", o.format)
	}
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	if o.mail {
		return runBuildMail(g, o, kb, args)
	}
	inputs, err := buildInputs(g.stdin, args)
	if err != nil {
		return err
	}
	var results []exchange.Assessment
	var bad []error
	exposed := false
	for _, in := range inputs {
		a, err := kb.Assess(in)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if o.failOnKEV {
			exposed = exposed || a.ExposedKEV()
		} else {
			exposed = exposed || a.Exposed()
		}
		results = append(results, a)
	}
	if err := writeAssessments(g.stdout, o.format, results); err != nil {
		return err
	}
	if len(bad) > 0 {
		return usageError{errors.Join(bad...)}
	}
	if exposed {
		return errFound
	}
	return nil
}

// buildInputs expands "-" into the lines of stdin (bounded).
func buildInputs(stdin io.Reader, args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if a != "-" {
			out = append(out, a)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

func writeAssessments(w io.Writer, format string, as []exchange.Assessment) error {
	switch format {
	case "json":
		if as == nil {
			as = []exchange.Assessment{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(as)
	case "jsonl":
		enc := json.NewEncoder(w)
		for _, a := range as {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}
	for i, a := range as {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeAssessmentText(w, &a)
	}
	return nil
}

func writeAssessmentText(w io.Writer, a *exchange.Assessment) {
	fmt.Fprintf(w, "%s\n", safetext.Line(a.Input)) // as given: from the command line or standard input
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-16s %s\n", k+":", v)
		}
	}
	row("build", a.Build)
	row("product", a.Product)
	cu := a.CU
	if cu == "" {
		cu = "unknown"
	}
	row("CU", cu)
	update := a.Update
	switch {
	case update == "" && a.CU != "" && a.Known:
		update = "unknown (CU known, security update unknown)"
	case update == "":
		update = "unknown build (not in the knowledge base)"
	case a.KB != "":
		update += " (" + a.KB + ")"
	}
	row("update", update)
	row("released", a.ReleaseDate)
	if a.LatestInLine != "" {
		row("newest in line", fmt.Sprintf("%s %s", a.LatestInLine, a.LatestUpdate))
	}
	sup := "yes"
	if !a.LineSupported {
		sup = "no"
	}
	row("line supported", sup)
	if len(a.Missing) > 0 {
		var names []string
		for _, r := range a.Missing {
			n := r.Name
			if r.KB != "" {
				n += " (" + r.KB + ")"
			}
			names = append(names, n)
		}
		row("missing updates", strings.Join(names, ", "))
	} else if a.Update != "" {
		row("missing updates", "none in this CU line")
	}
	if a.UnsupportedSince != "" {
		row("UNSUPPORTED", "since "+a.UnsupportedSince+": Microsoft no longer fixes this product")
	}
	// Exploited in the wild first: what CISA lists comes before the rest.
	for _, k := range a.KEVCVEs {
		ransom := ""
		if k.Ransomware == "Known" {
			ransom = ", used by ransomware"
		}
		row("EXPLOITED (KEV)", fmt.Sprintf("%s (CISA KEV since %s%s)", k.CVE, k.DateAdded, ransom))
	}
	switch {
	case len(a.CVEs) > 0:
		row("EXPOSED to", fmt.Sprintf("%s: %s", plural(len(a.CVEs), "CVE"), strings.Join(a.KEVFirst(a.CVEs), ", ")))
	case len(a.SUDependent) == 0 && a.UnsupportedSince != "":
		row("exposed to", "no CVE the knowledge base lists, but later CVEs are not even assessed for an unsupported product")
	case len(a.SUDependent) == 0:
		row("exposed to", "no known CVE")
	}
	if len(a.SUDependent) > 0 {
		row("unless SU", strings.Join(a.KEVFirst(a.SUDependent), ", "))
	}
	for _, c := range a.Conditional {
		kev := ""
		if c.KEV {
			kev = " [CISA KEV]"
		}
		row("if misconfigured", fmt.Sprintf("%s%s (%s) %s", c.CVE, kev, c.Condition, c.Note))
	}
	for _, n := range a.Notes {
		row("note", n)
	}
}

// mailHop is one Exchange server a message passed through, judged on the
// day it was seen and today: one JSON object per hop with --format jsonl.
type mailHop struct {
	File      string               `json:"file"`
	Message   int                  `json:"message"`
	MessageID string               `json:"message_id,omitempty"`
	Host      string               `json:"host"`
	From      string               `json:"from,omitempty"`
	Build     string               `json:"build"`
	Seen      string               `json:"seen,omitempty"` // RFC 3339, from the Received header
	Frontend  bool                 `json:"frontend,omitempty"`
	Online    bool                 `json:"exchange_online,omitempty"`
	AtSeen    *exchange.Assessment `json:"at_seen,omitempty"` // exposure on the day the mail passed
	Today     *exchange.Assessment `json:"today,omitempty"`
	Note      string               `json:"note,omitempty"`
}

func runBuildMail(g *globalOptions, o *buildOptions, kb *exchange.KB, args []string) error {
	var hops []mailHop
	var bad []error
	exposed := false
	for _, name := range args {
		var r io.Reader = g.stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				bad = append(bad, err)
				continue
			}
			defer f.Close()
			r = f
		}
		found, err := mailhdr.Parse(r)
		if err != nil {
			fmt.Fprintf(g.stderr, "exhunt: %s: %v\n", name, err)
		}
		if len(found) == 0 {
			fmt.Fprintf(g.stderr, "exhunt: %s: no Received header of a Microsoft Exchange server\n", name)
		}
		for _, h := range found {
			m := mailHop{File: name, Message: h.Message, MessageID: h.MessageID, Host: h.Host, From: h.From, Build: h.Build, Frontend: h.Frontend, Online: h.Online}
			if !h.Date.IsZero() {
				m.Seen = h.Date.UTC().Format(time.RFC3339)
			}
			b, err := exchange.ParseBuild(h.Build)
			switch {
			case h.Online:
				m.Note = "Exchange Online (Microsoft 365): patched by Microsoft, not judged"
			case err != nil:
				m.Note = err.Error()
			default:
				today := kb.AssessBuild(b)
				m.Today = &today
				if !h.Date.IsZero() {
					at := kb.AssessAt(b, h.Date)
					m.AtSeen = &at
				}
				if o.failOnKEV {
					exposed = exposed || today.ExposedKEV()
				} else {
					exposed = exposed || today.Exposed()
				}
			}
			hops = append(hops, m)
		}
	}
	switch o.format {
	case "json", "jsonl":
		enc := json.NewEncoder(g.stdout)
		if o.format == "json" {
			enc.SetIndent("", "  ")
			if hops == nil {
				hops = []mailHop{}
			}
			if err := enc.Encode(hops); err != nil {
				return err
			}
			break
		}
		for _, h := range hops {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
	default:
		writeMailText(g.stdout, hops)
	}
	if len(bad) > 0 {
		return usageError{errors.Join(bad...)}
	}
	if exposed {
		return errFound
	}
	return nil
}

func writeMailText(w io.Writer, hops []mailHop) {
	for i, h := range hops {
		if i > 0 {
			fmt.Fprintln(w)
		}
		seen := h.Seen
		if seen == "" {
			seen = "date unreadable"
		}
		fmt.Fprintf(w, "%s (message %d): %s  build %s  seen %s\n", h.File, h.Message, h.Host, h.Build, seen)
		if h.Note != "" {
			fmt.Fprintf(w, "  %s\n", h.Note)
			continue
		}
		a := h.Today
		fmt.Fprintf(w, "  %-16s %s\n", "release:", strings.TrimSpace(strings.Join([]string{a.Product, a.CU, orUnknownUpdate(a)}, " ")))
		for _, v := range []struct {
			label string
			a     *exchange.Assessment
		}{{"on that day:", h.AtSeen}, {"today:", h.Today}} {
			if v.a == nil {
				continue
			}
			fmt.Fprintf(w, "  %-16s %s\n", v.label, exposureLine(v.a))
		}
	}
}

func orUnknownUpdate(a *exchange.Assessment) string {
	if a.Update == "" {
		return "(update unknown)"
	}
	return a.Update
}

// exposureLine says in one line what a build is exposed to, KEV first.
func exposureLine(a *exchange.Assessment) string {
	var parts []string
	if len(a.KEVCVEs) > 0 {
		var ids []string
		for _, k := range a.KEVCVEs {
			ids = append(ids, k.CVE)
		}
		parts = append(parts, "EXPLOITED (KEV): "+strings.Join(ids, ", "))
	}
	if n := len(a.CVEs) + len(a.SUDependent); n > 0 {
		parts = append(parts, plural(n, "CVE")+", "+plural(len(a.MissingUpdates), "update")+" missing")
	}
	if a.UnsupportedSince != "" {
		parts = append(parts, "unsupported since "+a.UnsupportedSince)
	}
	if len(parts) == 0 {
		return "no known CVE"
	}
	return strings.Join(parts, "; ")
}

// plural writes "1 CVE", "2 CVEs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
