package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/safetext"
)

// Exit codes shared by every subcommand; scripts rely on them.
const (
	exitOK       = 0 // nothing found / success
	exitFindings = 1 // the command worked and found something (exposure, findings)
	exitUsage    = 2 // bad input: flags, arguments, unreadable evidence or data
	exitInternal = 3 // an unexpected failure inside exhunt
	exitNotSaved = 4 // the command worked but its results could not be recorded in the result database
)

// errFound is returned by a command that ran fine and found what the
// caller asked about (CVE exposure, findings at or above --fail-on).
var errFound = errors.New("exhunt: findings")

// errNotSaved is wrapped by the error of a command whose results could not
// be recorded in the result database: they were printed, but a dashboard,
// report or later correlation will not see them.
var errNotSaved = errors.New("results not recorded in the result database")

// usageError marks a user mistake: exit 2 and print the message only.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

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
	g := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFound):
		return exitFindings
	case errors.Is(err, errNotSaved):
		printError(stderr, err)
		return exitNotSaved
	case errors.As(err, &ue):
		printError(stderr, err)
		return exitUsage
	case strings.HasPrefix(err.Error(), "unknown command"):
		printError(stderr, err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "exhunt: interrupted")
		return exitUsage
	default:
		printError(stderr, err)
		return exitInternal
	}
}

// printError writes err to stderr, one line per joined error, with control
// characters escaped: messages may quote evidence paths and host names.
func printError(stderr io.Writer, err error) {
	if ue, ok := err.(usageError); ok {
		err = ue.err
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printError(stderr, e)
		}
		return
	}
	fmt.Fprintf(stderr, "exhunt: %s\n", safetext.Line(err.Error()))
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

EXIT STATUS (all commands)
  0  nothing found, or success
  1  the command worked and found something (exposure, findings)
  2  bad input (flags, arguments, unreadable evidence or data files)
  3  internal error
  4  the results could not be recorded in the result database (exhunt hunt;
     they were printed: rerun with a working --db, or --no-store)`,
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
// command, as flag errors already are.
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
	for _, sub := range c.Commands() {
		markArgErrors(sub)
	}
}
