package main

import "github.com/spf13/cobra"

// subcommands lists every subcommand; each lives in its own cmd_*.go file.
func subcommands(g *globalOptions) []*cobra.Command {
	return []*cobra.Command{
		newVersionCommand(g),
		newBuildCommand(g),
		newKBCommand(g),
		newHuntCommand(g),
		newRulesCommand(g),
		newCollectCommand(g),
		newScanCommand(g),
		newEmulateCommand(g),
		newImportCommand(g),
		newReportCommand(g),
		newExportCommand(g),
		newServeCommand(g),
		newWorkerCommand(g),
		newQueueCommand(g),
	}
}
