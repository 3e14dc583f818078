// Command evtxbench measures how fast exhunt reads .evtx files, alone or
// with the built-in and SigmaHQ Windows rules evaluated on every record.
// It is the Go side of bench/evtx.sh and is not part of the exhunt binary.
//
//	evtxbench [-rules] [-sigma DIR]... PATH...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/rules"
)

type dirs []string

func (d *dirs) String() string     { return strings.Join(*d, ",") }
func (d *dirs) Set(v string) error { *d = append(*d, v); return nil }

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("evtxbench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	withRules := fl.Bool("rules", false, "evaluate the built-in pack and the -sigma rules on every record")
	var sigma dirs
	fl.Var(&sigma, "sigma", "folder of Sigma rules to load (repeatable)")
	cpuprofile := fl.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "evtxbench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "evtxbench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	var set *rules.Set
	if *withRules {
		var errs []rules.LoadError
		set, errs = rules.Builtin()
		for _, d := range sigma {
			more, e := rules.LoadFS(os.DirFS(d), ".")
			errs = append(errs, e...)
			set.Merge(more)
		}
		fmt.Fprintf(stderr, "evtxbench: %d rules loaded, %d load errors\n", set.Len(), len(errs))
	}
	var files, records, bad, matches, size int64
	start := time.Now()
	for _, root := range fl.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".evtx") {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			files++
			size += fi.Size()
			st, err := eventlog.Read(ctx, f, fi.Size(), p, func(rec *evidence.Record) error {
				if set != nil {
					set.ForSource(rec.Log).Match(rec, func(*rules.Rule) { matches++ })
				}
				return nil
			})
			records += st.Records
			bad += st.BadRecords
			return err
		})
		if err != nil {
			fmt.Fprintf(stderr, "evtxbench: %v\n", err)
			return 1
		}
	}
	secs := time.Since(start).Seconds()
	mode := "parse"
	if set != nil {
		mode = "parse+rules"
	}
	fmt.Fprintf(stdout, "mode=%s files=%d bytes=%d records=%d bad_records=%d matches=%d seconds=%.3f records_per_sec=%.0f\n",
		mode, files, size, records, bad, matches, secs, float64(records)/secs)
	return 0
}
