package main

import "github.com/spf13/cobra"

func subcommands(g *globalOptions) []*cobra.Command {
	return []*cobra.Command{newBuildCommand(g), newScanCommand(g), newEmulateCommand(g)}
}
