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
	Concurrency int           // hosts in parallel (default 100)
	Rate        float64       // requests per second over all hosts (0: unlimited)
	HostRate    float64       // requests per second to one IP (default 20; <0: unlimited)
	Timeout     time.Duration // per request: connect, TLS, headers and body (default 3s)
	HostTimeout time.Duration // per target, all requests (default 20×Timeout)
	Retries     int           // extra attempts of the first request on network errors (default 1; <0: none)
	Active      bool          // run the --active probes
	WebShells   bool          // run the --webshells census
	UserAgent   string
	Assessor    Assessor // build → exposure; nil leaves exposure empty
	Shard       Shard
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
	Targets    int64         `json:"targets"` // in this shard, after resume skipping
	Skipped    int64         `json:"skipped_resume"`
	Scanned    int64         `json:"scanned"`
	Responding int64         `json:"responding"`
	Exchange   int64         `json:"exchange"`
	Exposed    int64         `json:"exposed"`
	WebShelled int64         `json:"webshelled"`
	Errors     int64         `json:"errors"`
	BadInput   int64         `json:"bad_input"`
	Elapsed    time.Duration `json:"-"`
	Seconds    float64       `json:"seconds"`
	HostsPerS  float64       `json:"hosts_per_second"`
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

// Run scans every target of the shard not already done per the resume
// state, calling emit (serialised) once per target. Bad input entries are
// emitted as results with Error set and counted in Summary.BadInput.
// It stops at the first emit error or when ctx ends.
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
	var emu sync.Mutex
	out := func(r *Result) error {
		emu.Lock()
		defer emu.Unlock()
		count(&sum, r)
		return emit(r)
	}

	g, gctx := errgroup.WithContext(ctx)
	ch := make(chan Target, s.cfg.Concurrency)
	g.Go(func() error {
		defer close(ch)
		for t, err := range targets {
			if gctx.Err() != nil {
				return nil
			}
			if err != nil {
				if e := out(&Result{Type: "host", Target: t.Input, Error: err.Error()}); e != nil {
					return e
				}
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
			tr.begin(t.Ordinal)
			select {
			case ch <- t:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range s.cfg.Concurrency {
		g.Go(func() error {
			for t := range ch {
				r := s.scanOne(gctx, t)
				if gctx.Err() != nil {
					return nil // interrupted: not done, resume will rescan it
				}
				if err := out(r); err != nil {
					return err
				}
				tr.done(t.Ordinal)
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
	if r.Exposed {
		sum.Exposed++
	}
	if r.WebShelled {
		sum.WebShelled++
	}
}
