// Command gen writes the Windows event logs of the example server EXCH01
// (examples/evidence/Windows/System32/winevt/Logs): Sysmon, Application
// and Security. The output is the same on every run (fixed times, record
// ids and process ids), so the files can be committed and checked for
// drift. examples/evidence/README.md tells the story they belong to, and
// examples/evidence/EXPECTED.md lists what the built-in rules find in them.
//
// Run it from the repository root:
//
//	go generate ./examples/gen
//
// or with another output folder:
//
//	go run ./examples/gen -out /tmp/Logs
//
// The files are written with internal/eventlog/evtxtest: valid EVTX, but
// with every name inline and no templates (see that package's doc).
package main

//go:generate go run . -out ../evidence/Windows/System32/winevt/Logs

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gen:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.FromSlash("examples/evidence/Windows/System32/winevt/Logs"), "folder to write the .evtx files to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, l := range logs() {
		p := filepath.Join(*out, l.name)
		if err := os.WriteFile(p, l.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", p, len(l.data))
	}
	return nil
}
