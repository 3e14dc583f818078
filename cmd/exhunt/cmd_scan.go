package main

import (
	"github.com/spf13/cobra"
)

func newScanCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "scan TARGET...",
		Short: "Scan Exchange servers over the network (not yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("scan: not yet built in this version")
		},
	}
}
