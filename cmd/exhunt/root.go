package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// globalOptions holds what every subcommand sees.
type globalOptions struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	kbDir  string
	quiet  bool
}

// run executes the CLI in-process so tests can drive it with arguments.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &watchedWriter{w: stdout}
	g := &globalOptions{stdin: stdin, stdout: out, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if out.err != nil && !errors.Is(err, out.err) {
		err = errors.Join(out.err, err) // output lost: say so, whatever the command thought
	}
	return exitCode(ctx, err, stderr)
}

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "exhunt",
		Short: "Find exposed and compromised Microsoft Exchange servers",
		Long: `exhunt answers three questions about Microsoft Exchange servers, from one
server to a hundred thousand:

  Exposed?      which build runs, which security updates and CVEs it misses
                (exhunt build offline, exhunt scan over the network)
  Compromised?  web shells, exploitation traces in IIS and Exchange logs,
                suspicious processes in event logs (exhunt hunt)
  What now?     one timeline, a verdict, and the steps to take

Examples:
  exhunt build 15.1.2176.2                 # what is Exchange 2016 CU19 RTM missing?
  exhunt build --format json 15.02.0986.005
  exhunt hunt examples/evidence            # hunt a copied server folder tree (or a zip, or .evtx)
  exhunt.exe hunt --live                   # on the server: collect it and hunt it in one step
  exhunt.exe collect -o D:\triage\EXCH01.zip # on the server: a verifiable triage bundle to hunt elsewhere
  exhunt scan --webshells 192.0.2.0/24     # find and fingerprint servers you are responsible for
  exhunt report EXCH01 --html exch01.html  # one self-contained report from the result database
  exhunt serve --listen 127.0.0.1:8080     # fleet dashboard and upload API

` + rootExitStatus(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if g.quiet {
				level = slog.LevelWarn
			}
			g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&g.kbDir, "kb", "", "folder with newer builds.csv and cve-fixes.csv (env EXHUNT_KB); default: the embedded knowledge base")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only warnings and errors on stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, c := range subcommands(g) {
		root.AddCommand(c)
	}
	markArgErrors(root)
	return root
}

// markArgErrors makes argument-count errors usage errors (exit 2) in every
// command, as flag errors already are, makes an unknown subcommand a typed
// error, and completes each command's EXIT STATUS.
func markArgErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	unknownSubcommand(c)
	completeExitStatus(c)
	for _, sub := range c.Commands() {
		markArgErrors(sub)
	}
}
