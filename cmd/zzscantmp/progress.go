package main

import (
	"io"
	"os"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// isTerminal says whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// barProgress shows a byte progress bar on a terminal (stderr), never on
// pipes or files, so logs and scripts see no escape codes.
type barProgress struct {
	mu  sync.Mutex
	p   *mpb.Progress
	bar *mpb.Bar
	out io.Writer
}

func newBarProgress(w io.Writer) *barProgress { return &barProgress{out: w} }

func (b *barProgress) Start(name string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.p = mpb.New(mpb.WithOutput(b.out), mpb.WithWidth(40))
	b.bar = b.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(name+" ", decor.WC{W: len(name) + 1}), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), " % .1f"), decor.Name(" "), decor.Percentage()),
	)
}

func (b *barProgress) Add(n int64) {
	if b.bar != nil {
		b.bar.IncrInt64(n)
	}
}

func (b *barProgress) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.SetTotal(-1, true)
		b.p.Wait()
		b.bar, b.p = nil, nil
	}
}
