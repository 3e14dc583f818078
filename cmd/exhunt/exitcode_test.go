package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/scan"
)

// tableCodes are the codes of exitTable, in order.
func tableCodes() []int {
	var codes []int
	for _, e := range exitTable {
		codes = append(codes, e.code)
	}
	return codes
}

// TestExitStatusHelp runs every command's --help and checks its EXIT
// STATUS against exitTable: only codes the table knows, and at least 0 (or
// 1) and the codes any command can end with. The root help and the
// README's table list the whole table, in order.
func TestExitStatusHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	checked := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			walk(sub)
		}
		if c.HasSubCommands() {
			return // a group: its help lists subcommands, not exits
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		code, out, errs := cli(t, "", args...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", args, code, errs)
			return
		}
		got := helpExitCodes(out)
		if len(got) == 0 {
			t.Errorf("%s: no EXIT STATUS:\n%s", args, out)
			return
		}
		for _, n := range got {
			if !slices.Contains(tableCodes(), n) {
				t.Errorf("%s: exit %d is not in exitTable", args, n)
			}
		}
		for _, want := range []int{exitUsage, exitInternal, exitInterrupted} {
			if want == exitInterrupted && runsUntilStopped(out) {
				if slices.Contains(got, want) {
					t.Errorf("%s: stopped by a signal with exit 0, yet its help lists 130", args)
				}
				continue
			}
			if !slices.Contains(got, want) {
				t.Errorf("%s: EXIT STATUS omits %d: %v", args, want, got)
			}
		}
		if !slices.Contains(got, exitOK) && !slices.Contains(got, exitFindings) {
			t.Errorf("%s: EXIT STATUS lists neither 0 nor 1: %v", args, got)
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s: EXIT STATUS codes out of order or repeated: %v", args, got)
		}
		checked++
	}
	walk(newRootCommand(&globalOptions{}))
	for _, n := range []string{"serve", "worker", "emulate"} {
		if _, out, _ := cli(t, "", n, "--help"); !runsUntilStopped(out) {
			t.Errorf("%s: its help should say that a signal stops it with exit 0", n)
		}
	}
	if checked < 15 {
		t.Errorf("checked %d commands, want every leaf command (at least 15)", checked)
	}

	_, out, _ := cli(t, "", "--help")
	if got := helpExitCodes(out); !slices.Equal(got, tableCodes()) {
		t.Errorf("root help lists %v, want %v", got, tableCodes())
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "## Exit codes (all commands)")
	if !ok {
		t.Fatal("README has no ## Exit codes (all commands) section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var readmeCodes []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(sec, -1) {
		n, _ := strconv.Atoi(m[1])
		readmeCodes = append(readmeCodes, n)
	}
	if !slices.Equal(readmeCodes, tableCodes()) {
		t.Errorf("README exit-code table lists %v, want %v (exitTable)", readmeCodes, tableCodes())
	}
}

// TestExitCodeMapping checks the one mapping from returned errors to exit
// codes, the way commands return them: wrapped, joined, typed.
func TestExitCodeMapping(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	test := func(name string, ctx context.Context, err error, want int, wantMsg string) {
		t.Helper()
		var errb bytes.Buffer
		if got := exitCode(ctx, err, &errb); got != want {
			t.Errorf("%s: exit %d, want %d", name, got, want)
		}
		if wantMsg == "" && errb.Len() > 0 || !strings.Contains(errb.String(), wantMsg) {
			t.Errorf("%s: stderr %q, want %q", name, errb.String(), wantMsg)
		}
	}
	bg := context.Background()
	test("nil", bg, nil, 0, "")
	test("found", bg, errFound, 1, "")
	test("found wrapped", bg, fmt.Errorf("hunt: %w", errFound), 1, "")
	test("usage", bg, usagef("bad --x"), 2, "bad --x")
	test("could not tell", bg, fmt.Errorf("%w: every target failed", errCouldNotTell), 2, "every target failed")
	test("unknown command", bg, unknownCommandError{name: "hnut", parent: "exhunt", suggest: []string{"hunt"}}, 2, `did you mean hunt?`)
	test("internal", bg, errors.New("boom"), 3, "boom")
	test("package sentinel, wrapped, no marking", bg, fmt.Errorf("hunt x: %w", fmt.Errorf("walk: %w", hunt.ErrNoEvidence)), 2, "no logs")
	test("scan resume mismatch", bg, fmt.Errorf("scan: %w", scan.ErrStateMismatch), 2, "resume state")
	test("joined with an internal error", bg, errors.Join(errors.New("x"), fmt.Errorf("%w: nope", evidence.ErrEvidence)), 2, "nope")
	test("not saved wins over found", bg, errors.Join(fmt.Errorf("%w: disk full", errNotSaved), errFound), 4, "disk full")
	test("not saved wins over internal", bg, errors.Join(fmt.Errorf("%w: x", errNotSaved), errors.New("upload failed")), 4, "upload failed")
	test("context canceled", bg, fmt.Errorf("read: %w", context.Canceled), 130, "interrupted")
	test("any error after cancel", cancelled, errors.New("read: i/o on closed file"), 130, "interrupted")
	test("broken pipe", bg, fmt.Errorf("write /dev/stdout: %w", syscall.EPIPE), 141, "")
	test("broken pipe wins over found", bg, errors.Join(fmt.Errorf("write: %w", syscall.EPIPE), errFound), 141, "")
}

// TestUnknownCommand: an unknown subcommand is a typed usage error (exit
// 2), at the root and in a command group; no subcommand shows the help.
func TestUnknownCommand(t *testing.T) {
	test := func(want int, wantErr string, args ...string) {
		t.Helper()
		code, out, errs := cli(t, "", args...)
		if code != want || !strings.Contains(errs, wantErr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", args, code, errs, want, wantErr)
		}
		if want == 0 && !strings.Contains(out, "Available Commands") {
			t.Errorf("%v: no help on stdout:\n%s", args, out)
		}
	}
	test(2, `unknown command "hnut" for "exhunt" (did you mean hunt?)`, "hnut")
	test(2, `unknown command "upgrade" for "exhunt kb"`, "kb", "upgrade")
	test(2, `unknown command "nope" for "exhunt rules"`, "rules", "nope")
	test(0, "", "kb")
	test(0, "")
}

// TestInterruptExits130: a hunt whose context is cancelled (what Ctrl-C
// does through signal.NotifyContext in main) exits 130, not 2.
func TestInterruptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"hunt", "--no-store", "../../examples/evidence"}, strings.NewReader(""), &out, &errb)
	if code != exitInterrupted || !strings.Contains(errb.String(), "exhunt: interrupted") {
		t.Errorf("exit %d, stderr %q; want 130 and 'interrupted'", code, errb.String())
	}
}

// epipeWriter fails every write as a closed pipe does.
type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}

// TestBrokenPipeQuiet: stdout closed by its reader (exhunt hunt ... |
// head) ends the command without a "broken pipe" message, in-process and
// as a real process whose stdout pipe is closed.
func TestBrokenPipeQuiet(t *testing.T) {
	for _, format := range []string{"text", "json", "jsonl"} {
		var errb bytes.Buffer
		code := run(context.Background(), []string{"hunt", "--no-store", "--format", format, "../../examples/evidence"}, strings.NewReader(""), epipeWriter{}, &errb)
		if code != exitBrokenPipe || strings.Contains(errb.String(), "pipe") {
			t.Errorf("%s: exit %d, stderr %q; want 141 and no pipe message", format, code, errb.String())
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	raw, _ := json.Marshal([]string{"hunt", "--no-store", "--format", "json", "../../examples/evidence"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), subprocessEnv+"="+string(raw))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first write, as with | head -0
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errb
	err = cmd.Run()
	w.Close()
	if strings.Contains(errb.String(), "pipe") {
		t.Errorf("stderr mentions the pipe: %q", errb.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitBrokenPipe && !strings.Contains(ee.String(), "broken pipe") {
		t.Errorf("process ended with %v, want exit 141 or SIGPIPE", err)
	}
}
