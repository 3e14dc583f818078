// Command yarabench scans a directory tree with internal/yara, the way
// "yara -r" does, and prints throughput. It is the Go half of
// bench/files.sh.
//
//	yarabench [-p workers] [-max-size bytes] rules.yar... -- DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/exhunt/exhunt/internal/yara"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("yarabench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("p", runtime.GOMAXPROCS(0), "scan workers")
	maxSize := fl.Int64("max-size", 64<<20, "skip files larger than this")
	printMatches := fl.Bool("m", false, "print \"rule path\" per match, like yara")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	rest := fl.Args()
	if len(rest) < 2 {
		fmt.Fprintln(stderr, "usage: yarabench [-p N] rules.yar... DIR")
		return 2
	}
	ruleFiles, dir := rest[:len(rest)-1], rest[len(rest)-1]

	start := time.Now()
	var srcs []yara.Source
	for _, f := range ruleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		srcs = append(srcs, yara.Source{Name: strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), Data: data})
	}
	rules, errs := yara.Compile(srcs...)
	for _, e := range errs {
		fmt.Fprintln(stderr, "compile:", e)
	}
	compileTime := time.Since(start)

	var files, bytes, matches atomic.Int64
	paths := make(chan string, 256)
	out := make(chan string, 256)
	g, ctx := errgroup.WithContext(ctx)
	scanStart := time.Now()
	g.Go(func() error {
		defer close(paths)
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			select {
			case paths <- p:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	done := make(chan struct{})
	go func() {
		for line := range out {
			fmt.Fprintln(stdout, line)
		}
		close(done)
	}()
	scanners, _ := errgroup.WithContext(ctx)
	for range *workers {
		scanners.Go(func() error {
			for p := range paths {
				if err := scanFile(rules, p, *maxSize, &files, &bytes, &matches, *printMatches, out); err != nil {
					fmt.Fprintln(stderr, err)
				}
			}
			return nil
		})
	}
	_ = scanners.Wait()
	close(out)
	<-done
	if err := g.Wait(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	el := time.Since(scanStart).Seconds()
	mb := float64(bytes.Load()) / (1 << 20)
	fmt.Fprintf(stderr, "rules=%d compile=%.2fs files=%d MB=%.1f matches=%d time=%.2fs files/s=%.0f MB/s=%.1f\n",
		rules.Len(), compileTime.Seconds(), files.Load(), mb, matches.Load(), el, float64(files.Load())/el, mb/el)
	return 0
}

func scanFile(rules *yara.Rules, p string, maxSize int64, files, bytes, matches *atomic.Int64, print bool, out chan<- string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() > maxSize {
		return err
	}
	ms, err := rules.ScanReader(f, st.Size(), yara.Vars{
		Filename: filepath.Base(p), Filepath: p, Extension: filepath.Ext(p),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	files.Add(1)
	bytes.Add(st.Size())
	matches.Add(int64(len(ms)))
	if print {
		for _, m := range ms {
			out <- m.Rule + " " + p
		}
	}
	return nil
}
