package main

import (
	"github.com/spf13/cobra"
)

func newHuntCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "hunt PATH...",
		Short: "Hunt evidence (folder trees, zips, logs, EVTX) for Exchange compromise (not yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("hunt: not yet built in this version")
		},
	}
}
