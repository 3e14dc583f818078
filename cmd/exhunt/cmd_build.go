package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/safetext"
)

type buildOptions struct {
	format string
}

func (o *buildOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text, json (one object per build, in an array) or jsonl (one object per line)")
}

func newBuildCommand(g *globalOptions) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build BUILD...",
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

Builds the knowledge base does not list are never guessed: exhunt says which
known builds bracket them and what that implies, and judges CVEs by comparing
with the known fixed builds.

Examples:
  exhunt build 15.1.2176.2 15.1.2176.9            # 2016 CU19 before/after ProxyLogon SU
  exhunt build --format json 15.02.0986.005
  exhunt build "Version 15.2 (Build 1118.7)"
  exhunt --kb ./newer-kb build 15.2.2562.46       # with a newer knowledge base

EXIT STATUS
  0  no build is exposed to a known CVE
  1  at least one build is exposed (or may be: CU known, SU unknown)
  2  bad input (malformed build, unreadable --kb)`,
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
	if dir := kbDir(g); dir != "" {
		kb, err := exchange.Load(dir)
		if err != nil {
			return nil, usageError{err}
		}
		return kb, nil
	}
	return exchange.Default()
}

func runBuild(g *globalOptions, o *buildOptions, args []string) error {
	if o.format != "text" && o.format != "json" && o.format != "jsonl" {
		return usagef("unknown --format %q (want text, json or jsonl)", o.format)
	}
	kb, err := loadKB(g)
	if err != nil {
		return err
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
		exposed = exposed || a.Exposed()
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
	switch {
	case len(a.CVEs) > 0:
		row("EXPOSED to", strings.Join(a.CVEs, ", "))
	case len(a.SUDependent) == 0:
		row("exposed to", "no known CVE of the covered waves")
	}
	if len(a.SUDependent) > 0 {
		row("unless SU", strings.Join(a.SUDependent, ", "))
	}
	for _, c := range a.Conditional {
		row("if misconfigured", fmt.Sprintf("%s (%s) %s", c.CVE, c.Condition, c.Note))
	}
	for _, n := range a.Notes {
		row("note", n)
	}
}
