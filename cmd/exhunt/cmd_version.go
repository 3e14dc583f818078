package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/spf13/cobra"
)

// Set at release time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// buildInfo fills commit and date from the Go toolchain's VCS stamp when
// the linker did not set them.
func buildInfo() (ver, rev, when string) {
	ver, rev, when = version, commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.time" && when == "":
				when = s.Value
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, when
}

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the date of the build knowledge",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kb, why, err := loadKBWithOrigin(g)
			if err != nil {
				return err
			}
			ver, rev, when := buildInfo()
			fmt.Fprintf(g.stdout, "exhunt %s\ncommit:          %s\n", ver, rev)
			if when != "" {
				fmt.Fprintf(g.stdout, "built:           %s\n", when)
			}
			fmt.Fprintf(g.stdout, "build knowledge: %s\n", why)
			fmt.Fprintf(g.stdout, "knowledge date:  newest release %s; %d builds, %d CVE fix rows, %d CVEs, %d CISA KEV entries\n",
				kb.DataDate().Format("2006-01-02"), len(kb.Releases), len(kb.Fixes), countCVEs(kb), len(kb.KEV))
			if !kb.Updated.IsZero() {
				fmt.Fprintf(g.stdout, "kb updated:      %s (exhunt kb update)\n", kb.Updated.Format("2006-01-02 15:04 MST"))
			}
			if dir, err := userKBDir(); err == nil {
				fmt.Fprintf(g.stdout, "kb update dir:   %s\n", dir)
			}
			fmt.Fprintf(g.stdout, "go:              %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func countCVEs(kb *exchange.KB) int {
	seen := map[string]bool{}
	for _, f := range kb.Fixes {
		seen[f.CVE] = true
	}
	return len(seen)
}
