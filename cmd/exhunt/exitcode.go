package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/collect"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/safetext"
	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store/result"
)

// Exit codes shared by every subcommand; scripts rely on them. exitTable
// is their one description: the root help, each command's EXIT STATUS and
// the README's table are checked against it (TestExitStatusHelp).
const (
	exitOK          = 0   // nothing found / success
	exitFindings    = 1   // the command worked and found something (exposure, findings)
	exitUsage       = 2   // bad input, or nothing could be examined: "could not tell"
	exitInternal    = 3   // an unexpected failure inside exhunt
	exitNotSaved    = 4   // the command worked but its results could not be recorded in the result database
	exitInterrupted = 130 // Ctrl-C or SIGTERM stopped the command before it finished (128+SIGINT, as shells do)
	exitBrokenPipe  = 141 // standard output was closed early (exhunt ... | head): 128+SIGPIPE, as other tools
)

// exitTable is the meaning of every exit code, in the order the root help
// and the README print them.
var exitTable = []struct {
	code    int
	meaning string
}{
	{exitOK, "nothing found, or success"},
	{exitFindings, "the command worked and found something (exposure, findings)"},
	{exitUsage, "bad input (flags, arguments, unreadable evidence or data), or nothing could be examined"},
	{exitInternal, "internal error"},
	{exitNotSaved, "the results were printed but could not be recorded in the result database (exhunt hunt, exhunt scan --db)"},
	{exitInterrupted, "interrupted by Ctrl-C or SIGTERM before the command finished"},
	{exitBrokenPipe, "standard output was closed before the output ended (exhunt ... | head); nothing is printed"},
}

// commonExit are the codes any command can end with, whatever it does;
// completeExitStatus adds the ones a command's help does not list.
var commonExit = []struct {
	code int
	line string
}{
	{exitUsage, "bad flags or arguments"},
	{exitInternal, "internal error"},
	{exitInterrupted, "interrupted (Ctrl-C or SIGTERM) before the command finished"},
	{exitBrokenPipe, "standard output closed before the output ended (exhunt ... | head); nothing is printed"},
}

// errFound is returned by a command that ran fine and found what the
// caller asked about (CVE exposure, findings at or above --fail-on).
var errFound = errors.New("exhunt: findings")

// errNotSaved is wrapped by the error of a command whose results could not
// be recorded in the result database: they were printed, but a dashboard,
// report or later correlation will not see them.
var errNotSaved = errors.New("results not recorded in the result database")

// errCouldNotTell is wrapped by the error of a command that ran but could
// examine nothing (every scan target failed, no hunt PATH readable): its
// silence must not read as "clean".
var errCouldNotTell = errors.New("could not tell")

// usageError marks a user mistake: exit 2 and print the message only.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// unknownCommandError is an argument where a subcommand name was expected.
type unknownCommandError struct {
	name, parent string
	suggest      []string
}

func (e unknownCommandError) Error() string {
	s := fmt.Sprintf("unknown command %q for %q", e.name, e.parent)
	if len(e.suggest) > 0 {
		s += " (did you mean " + strings.Join(e.suggest, " or ") + "?)"
	}
	return s
}

// exitCode maps the error a command returned to its exit status and prints
// it: the one place that knows both. ctx is the run's root context: an
// error after it was cancelled is an interruption, whatever wraps it.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	var ue usageError
	var uc unknownCommandError
	switch {
	case err == nil:
		return exitOK
	case isBrokenPipe(err):
		// The reader of stdout went away (exhunt hunt ... | head): it
		// has what it wanted; nothing to say. Not 0: the output, and so
		// the verdict, was cut short.
		return exitBrokenPipe
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "exhunt: interrupted")
		return exitInterrupted
	case errors.Is(err, errNotSaved):
		printError(stderr, err)
		return exitNotSaved
	case errors.Is(err, errFound):
		return exitFindings
	case errors.As(err, &ue), errors.As(err, &uc), isBadInput(err):
		printError(stderr, err)
		return exitUsage
	default:
		printError(stderr, err)
		return exitInternal
	}
}

// badInput are the errors of the internal packages that mean "bad input"
// or "could not tell" (exit 2) wherever they come from: a command returns
// them as they are, wrapped or joined, and never has to mark them.
var badInput = []error{
	errCouldNotTell,
	evidence.ErrEvidence,       // a PATH that is no folder, zip or regular file
	hunt.ErrNoEvidence,         // nothing to examine
	scan.ErrBadTarget,          // a malformed target
	scan.ErrStateMismatch,      // --resume with a state file of another scan
	collect.ErrOutput,          // a bundle inside the evidence, or existing
	collect.ErrLiveUnsupported, // --live off Windows
	collect.ErrNotBundle,       // --verify of a file that is not a bundle
	result.ErrInvalid,          // a result document that breaks the schema
}

func isBadInput(err error) bool {
	for _, target := range badInput {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// printError writes err to stderr, one line per joined error, with control
// characters escaped: messages may quote evidence paths and host names.
func printError(stderr io.Writer, err error) {
	if ue, ok := err.(usageError); ok {
		err = ue.err
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if e != nil && !errors.Is(e, errFound) {
				printError(stderr, e)
			}
		}
		return
	}
	fmt.Fprintf(stderr, "exhunt: %s\n", safetext.Line(err.Error()))
}

// rootExitStatus is the root help's EXIT STATUS section, from exitTable.
func rootExitStatus() string {
	var b strings.Builder
	b.WriteString("EXIT STATUS (all commands)\n")
	for _, e := range exitTable {
		fmt.Fprintf(&b, "  %-3d  %s\n", e.code, e.meaning)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// exitLine matches one "  N  meaning" line of an EXIT STATUS section.
var exitLine = regexp.MustCompile(`(?m)^ {2}(\d+) +\S`)

// helpExitCodes returns the codes an EXIT STATUS section lists, in order.
func helpExitCodes(long string) []int {
	_, sec, ok := strings.Cut(long, "EXIT STATUS")
	if !ok {
		return nil
	}
	var codes []int
	for _, m := range exitLine.FindAllStringSubmatch(sec, -1) {
		n, _ := strconv.Atoi(m[1])
		codes = append(codes, n)
	}
	return codes
}

// completeExitStatus adds to a runnable command's EXIT STATUS the codes
// every command can end with that its help does not list yet, so no help
// can forget one.
func completeExitStatus(c *cobra.Command) {
	if !c.Runnable() || !c.HasParent() {
		return
	}
	if !strings.Contains(c.Long, "EXIT STATUS") {
		if c.Long == "" {
			c.Long = c.Short + "."
		}
		c.Long = strings.TrimRight(c.Long, "\n") + "\n\nEXIT STATUS\n  0  success"
	}
	listed := helpExitCodes(c.Long)
	for _, e := range commonExit {
		if e.code == exitInterrupted && runsUntilStopped(c.Long) {
			continue // Ctrl-C is how it ends: exit 0, as its help says
		}
		if !containsInt(listed, e.code) {
			c.Long += fmt.Sprintf("\n  %d  %s", e.code, e.line)
		}
	}
}

// untilStopped matches the EXIT STATUS line of a command that runs until
// a signal stops it (serve, worker, emulate).
var untilStopped = regexp.MustCompile(`(?m)^ {2}0 +stopped by .*(signal|Ctrl-C)`)

func runsUntilStopped(long string) bool { return untilStopped.MatchString(long) }

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// unknownSubcommand makes a command that only groups subcommands refuse an
// unknown one with a typed error (exit 2) and show its help when given
// none.
func unknownSubcommand(c *cobra.Command) {
	if c.Runnable() || !c.HasSubCommands() {
		return
	}
	c.SuggestionsMinimumDistance = 2
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return unknownCommandError{name: args[0], parent: cmd.CommandPath(), suggest: cmd.SuggestionsFor(args[0])}
		}
		return nil
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// watchedWriter remembers the first write error of the writer it wraps:
// text output that does not check each write (fmt.Fprintf) still ends the
// command with the error, so a closed pipe or a full disk is never a
// silent success.
type watchedWriter struct {
	w   io.Writer
	err error
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
