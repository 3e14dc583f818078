package scan

import (
	"context"
	"errors"
	"iter"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Resolver turns a host name into addresses (net.DefaultResolver fits).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config tunes a Scanner. Zero values get the defaults noted.
type Config struct {
	Concurrency  int           // hosts in parallel (default 100)
	Rate         float64       // requests per second over all hosts (0: unlimited)
	HostRate     float64       // requests per second to one IP (default 20; <0: unlimited)
	Timeout      time.Duration // per request: connect, TLS, headers and body (default 3s)
	HostTimeout  time.Duration // per target, all requests (default 20×Timeout)
	Retries      int           // extra attempts of the first request on network errors (default 1; <0: none)
	Active       bool          // run the --active probes (on hosts judged Exchange)
	WebShells    bool          // run the --webshells census (on hosts judged Exchange)
	WebShellsAll bool          // run the census on every responding host (--webshells-all)
	// KeepOrder emits results in input order instead of completion order;
	// at most keepOrderWindow×Concurrency finished results wait in memory.
	KeepOrder bool
	UserAgent string
	Assessor  Assessor // build → exposure; nil leaves exposure empty
	Shard     Shard
	// StatePath, if set, is the --resume file; StateKey fingerprints the
	// inputs so a state file is never applied to another scan.
	StatePath string
	StateKey  string

	Resolver Resolver                                                          // default net.DefaultResolver
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error) // default net.Dialer
	Now      func() time.Time
}

// Scanner scans targets; it never prints.
type Scanner struct {
	cfg    Config
	global *rate.Limiter

	mu    sync.Mutex
	hosts map[netip.Addr]*hostLimit
}

type hostLimit struct {
	lim  *rate.Limiter
	refs int
}

// Summary counts a run.
type Summary struct {
	Targets      int64         `json:"targets"` // in this shard, after resume skipping
	Skipped      int64         `json:"skipped_resume"`
	Scanned      int64         `json:"scanned"`
	Responding   int64         `json:"responding"`
	Exchange     int64         `json:"exchange"`
	Unidentified int64         `json:"unidentified"`
	Lookalikes   int64         `json:"owa_lookalikes"`
	Exposed      int64         `json:"exposed"`
	WebShelled   int64         `json:"webshelled"`
	Errors       int64         `json:"errors"`
	BadInput     int64         `json:"bad_input"`
	Elapsed      time.Duration `json:"-"`
	Seconds      float64       `json:"seconds"`
	HostsPerS    float64       `json:"hosts_per_second"`
}

// New checks the configuration and fills in defaults.
func New(cfg Config) (*Scanner, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 100
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.HostTimeout <= 0 {
		cfg.HostTimeout = 20 * cfg.Timeout
	}
	if cfg.HostRate == 0 {
		cfg.HostRate = 20
	}
	if cfg.Retries == 0 {
		cfg.Retries = 1
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Mozilla/5.0 (compatible; exhunt-scan; +https://github.com/exhunt/exhunt)"
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Shard.N == 0 {
		cfg.Shard = Shard{1, 1}
	}
	if cfg.Rate < 0 {
		return nil, errors.New("scan: rate must be >= 0")
	}
	lim := rate.NewLimiter(rate.Inf, 0)
	if cfg.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/10)))
	}
	return &Scanner{cfg: cfg, global: lim, hosts: map[netip.Addr]*hostLimit{}}, nil
}

// keepOrderWindow × Concurrency bounds the finished results --keep-order
// holds while an earlier target is still being scanned.
const keepOrderWindow = 16

// Run scans every target of the shard not already done per the resume
// state, calling emit (serialised) once per target: in completion order,
// or in input order with Config.KeepOrder. Bad input entries are emitted as
// results with Error set and counted in Summary.BadInput. It stops at the
// first emit error or when ctx ends.
func (s *Scanner) Run(ctx context.Context, targets iter.Seq2[Target, error], emit func(*Result) error) (Summary, error) {
	start := time.Now()
	var sum Summary
	st := State{Version: 1, Inputs: s.cfg.StateKey}
	if s.cfg.StatePath != "" {
		var err error
		if st, err = LoadState(s.cfg.StatePath, s.cfg.StateKey); err != nil {
			return sum, err
		}
	}
	tr := newTracker(st.DoneBelow)

	// Every result gets a sequence number in input order. Without
	// KeepOrder it is written at once; with it, it waits in pending until
	// all earlier ones are written, and window bounds how many wait.
	type item struct {
		r      *Result
		ord    int64
		target bool
	}
	var (
		emu     sync.Mutex
		next    int64
		pending = map[int64]item{}
		window  chan struct{}
	)
	if s.cfg.KeepOrder {
		window = make(chan struct{}, keepOrderWindow*s.cfg.Concurrency)
	}
	write := func(it item) error {
		count(&sum, it.r)
		if err := emit(it.r); err != nil {
			return err
		}
		if it.target {
			tr.done(it.ord)
		}
		return nil
	}
	out := func(seq int64, it item) error {
		emu.Lock()
		defer emu.Unlock()
		if window == nil {
			return write(it)
		}
		pending[seq] = it
		for {
			it, ok := pending[next]
			if !ok {
				return nil
			}
			delete(pending, next)
			next++
			<-window
			if err := write(it); err != nil {
				return err
			}
		}
	}

	type job struct {
		t   Target
		seq int64
	}
	g, gctx := errgroup.WithContext(ctx)
	ch := make(chan job, s.cfg.Concurrency)
	g.Go(func() error {
		defer close(ch)
		var seq int64
		reserve := func() bool {
			if window == nil {
				return true
			}
			select {
			case window <- struct{}{}:
				return true
			case <-gctx.Done():
				return false
			}
		}
		for t, err := range targets {
			if gctx.Err() != nil {
				return nil
			}
			if err != nil {
				if !reserve() {
					return nil
				}
				if e := out(seq, item{r: &Result{Type: "host", Target: t.Input, Error: err.Error()}}); e != nil {
					return e
				}
				seq++
				continue
			}
			if !s.cfg.Shard.Has(t) {
				tr.skip(t.Ordinal)
				continue
			}
			if t.Ordinal < st.DoneBelow {
				tr.skip(t.Ordinal)
				emu.Lock()
				sum.Skipped++
				emu.Unlock()
				continue
			}
			if !reserve() {
				return nil
			}
			tr.begin(t.Ordinal)
			select {
			case ch <- job{t, seq}:
				seq++
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range s.cfg.Concurrency {
		g.Go(func() error {
			for j := range ch {
				r := s.scanOne(gctx, j.t)
				if gctx.Err() != nil {
					return nil // interrupted: not done, resume will rescan it
				}
				if err := out(j.seq, item{r: r, ord: j.t.Ordinal, target: true}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	stopSave := make(chan struct{})
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		if s.cfg.StatePath == "" {
			return
		}
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopSave:
				return
			case <-tick.C:
				m, n := tr.mark()
				_ = SaveState(s.cfg.StatePath, State{Version: 1, Inputs: s.cfg.StateKey, DoneBelow: m, Scanned: st.Scanned + n})
			}
		}
	}()
	err := g.Wait()
	close(stopSave)
	<-saved
	if s.cfg.StatePath != "" {
		m, n := tr.mark()
		complete := err == nil && ctx.Err() == nil
		if serr := SaveState(s.cfg.StatePath, State{Version: 1, Inputs: s.cfg.StateKey, DoneBelow: m, Scanned: st.Scanned + n, Complete: complete}); serr != nil && err == nil {
			err = serr
		}
	}
	sum.Elapsed = time.Since(start)
	sum.Seconds = sum.Elapsed.Seconds()
	if sum.Seconds > 0 {
		sum.HostsPerS = float64(sum.Scanned) / sum.Seconds
	}
	if err == nil {
		err = ctx.Err()
	}
	return sum, err
}

func count(sum *Summary, r *Result) {
	if r.IP == "" && r.Error != "" && r.Port == 0 {
		sum.BadInput++
		return
	}
	sum.Targets++
	sum.Scanned++
	switch {
	case r.Error != "":
		sum.Errors++
	default:
		sum.Responding++
	}
	if r.Exchange {
		sum.Exchange++
	}
	if r.ExchangeState == StateUnidentified {
		sum.Unidentified++
	}
	if r.OWALookalike {
		sum.Lookalikes++
	}
	if r.Exposed {
		sum.Exposed++
	}
	if r.WebShelled {
		sum.WebShelled++
	}
}
