package main

import (
	"context"

	"github.com/exhunt/exhunt/internal/report"
	"github.com/spf13/cobra"
)

type exportOptions struct {
	hostSelection
	format string
	output string
	scans  bool // --scans: the newest scan record per target (export_scans.go)
}

func (o *exportOptions) AddFlags(cmd *cobra.Command) {
	o.hostSelection.AddFlags(cmd)
	cmd.Flags().StringVarP(&o.format, "format", "f", "jsonl", "sarif, stix, csv or jsonl (Elastic Common Schema)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "-", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&o.scans, "scans", false, "export the newest scan record of every target instead of findings (jsonl or csv): the notification list of a survey")
}

func newExportCommand(g *globalOptions) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export [HOST...] --format sarif|stix|csv|jsonl",
		Short: "Export findings for other tools: SARIF 2.1.0, STIX 2.1, CSV, ECS JSON lines",
		Long: `Export the findings of the named hosts (default: every host in the database)
for other tools:

  sarif   SARIF 2.1.0: one run per host, findings as results with the evidence
          file and line as location (code-scanning dashboards, DefectDojo)
  stix    STIX 2.1 bundle: an indicator per IOC (attacker IP, file hash, user
          agent, web shell name), per host an identity, observed-data and a
          sighting (MISP, OpenCTI, TIPs)
  csv     one row per finding; cells that a spreadsheet would run as a formula
          are prefixed with a quote
  jsonl   one JSON object per finding with Elastic Common Schema field names
          (@timestamp, host.name, source.ip, user_agent.original, rule.id, ...)

--scans lists the newest scan of every target (host and port) in the
database instead: target as given, port, ip, exchange_state (exchange,
not-exchange, unidentified, unreachable: the scan's yes, no, unidentified
and an error), build, product, cves, kev_cves (in CISA's Known Exploited
Vulnerabilities catalog), webshells (paths found), scanned_at, scan_id (of
a queued scan), error, owa_lookalike, exposed (the scan's verdict, or the
knowledge base's on the build today), exposure (exposed, not-exposed or
unknown: could not tell) and su_dependent_cves, as jsonl or csv.

Examples:
  exhunt export --scans --format csv -o notify.csv --db postgres://exhunt@db/exhunt
  exhunt export --format sarif -o fleet.sarif
  exhunt export EX01 --format stix -o ex01-stix.json
  exhunt export --format jsonl --from hunt.json | curl -T - ...

EXIT STATUS
  0  the export was written
  2  bad flags, an unknown host, an unreadable --from file`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.hosts = args
			return runExport(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runExport(ctx context.Context, g *globalOptions, o *exportOptions) error {
	if o.scans {
		return exportScans(ctx, g, o)
	}
	f, err := report.ParseFormat(o.format)
	if err != nil || f == report.FormatHTML {
		return usagef("unknown --format %q (want sarif, stix, csv or jsonl; for HTML use exhunt report)", o.format)
	}
	return writeHosts(ctx, g, &o.hostSelection, false, f, o.output)
}
