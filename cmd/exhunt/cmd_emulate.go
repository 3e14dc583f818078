package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/spf13/cobra"
)

type emulateOptions struct {
	hosts      int
	profile    string
	firstIP    string
	port       int
	plainHTTP  bool
	vulnerable float64
	notEx      float64
	slow       float64
	slowDelay  time.Duration
	shelled    int
	seed       uint64
	targets    string
	truth      string
	duration   time.Duration
	list       bool
}

func (o *emulateOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVarP(&o.hosts, "hosts", "n", 10, "number of emulated hosts")
	f.StringVar(&o.profile, "profile", "", "give every host this stock profile (see --list-profiles) instead of a mixed fleet")
	f.StringVar(&o.firstIP, "first-ip", "127.1.0.1", "loopback address of host 1; host i listens on first-ip + i")
	f.IntVar(&o.port, "port", 0, "port of every host (0: a free port per host)")
	f.BoolVar(&o.plainHTTP, "http", false, "serve plain HTTP instead of HTTPS with self-signed certificates")
	f.Float64Var(&o.vulnerable, "vulnerable", 0.10, "share of hosts vulnerable to ProxyLogon/ProxyShell (mixed fleet)")
	f.Float64Var(&o.notEx, "not-exchange", 0.05, "share of non-Exchange hosts: plain IIS, IIS with NTLM, catch-all (mixed fleet)")
	f.Float64Var(&o.slow, "slow", 0.02, "share of slow hosts (mixed fleet)")
	f.DurationVar(&o.slowDelay, "slow-delay", 300*time.Millisecond, "delay before every response of a slow host")
	f.IntVar(&o.shelled, "webshelled", 0, "number of web-shelled hosts (default hosts/250, at least 1)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the fleet mix (same seed, same fleet)")
	f.StringVar(&o.targets, "targets", "", "write the host:port list to FILE (default stdout)")
	f.StringVar(&o.truth, "truth", "", "write one JSON object per host describing what it emulates to FILE")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until interrupted)")
	f.BoolVar(&o.list, "list-profiles", false, "list the stock profiles and exit")
}

func newEmulateCommand(g *globalOptions) *cobra.Command {
	var o emulateOptions
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run a fleet of emulated Exchange servers on loopback (demos, tests, benchmarks)",
		Long: `Run emulated Microsoft Exchange front ends on loopback addresses only
(127.0.0.0/8): chosen builds, vulnerable or patched, with or without the
CVE-2021-26855 SSRF behaviour and planted web shells, plus non-Exchange hosts.
They answer what anonymous scanners see (OWA logon page, X-OWA-Version, the ECP
export-tool manifest, 401 NTLM on EWS); there is no mailbox behind them.

The host:port list goes to stdout (or --targets) once every host listens;
"ready" is then logged on stderr. Stop with Ctrl-C or --duration.

Examples:
  exhunt emulate -n 20 --targets fleet.txt --truth truth.jsonl &
  exhunt scan -i fleet.txt --active --webshells
  exhunt emulate --profile webshelled-2016cu19 -n 1 --duration 10m
  exhunt emulate --profile recorded/owa-honeypot -n 1   # answers recorded from a real host
  exhunt emulate --list-profiles

EXIT STATUS
  0  stopped by Ctrl-C, SIGTERM or --duration
  2  bad flags or a non-loopback --first-ip
  3  internal error (e.g. an address is in use)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulate(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// emulatedHost is one line of --truth.
type emulatedHost struct {
	Addr          string   `json:"addr"`
	Kind          string   `json:"kind"`
	Build         string   `json:"build,omitempty"`
	VersionHeader bool     `json:"version_header"`
	SSRF          bool     `json:"ssrf"`
	ProxyShell    bool     `json:"proxyshell"`
	WebShells     []string `json:"webshells,omitempty"`
	DelayMS       int64    `json:"delay_ms,omitempty"`
	Computer      string   `json:"computer,omitempty"`
}

func runEmulate(ctx context.Context, g *globalOptions, o *emulateOptions) error {
	if o.list {
		for _, p := range emulator.Profiles() {
			fmt.Fprintf(g.stdout, "%-32s %s %s\n", p.Name, p.Config.Kind, p.Config.Build)
		}
		return nil
	}
	first, err := netip.ParseAddr(o.firstIP)
	if err != nil || !first.IsLoopback() {
		return usagef("emulate: --first-ip %q: want a loopback address (127.0.0.0/8 or ::1)", o.firstIP)
	}
	if o.hosts < 1 || o.hosts > 60000 || o.port < 0 || o.port > 65535 {
		return usagef("emulate: --hosts must be 1-60000 and --port 0-65535")
	}
	var cfgs []emulator.Config
	if o.profile != "" {
		c, err := emulator.ProfileByName(o.profile)
		if err != nil {
			return usageError{err}
		}
		for i := range o.hosts {
			c.Computer = fmt.Sprintf("EX%04d", i+1)
			cfgs = append(cfgs, c)
		}
	} else {
		cfgs = emulator.Mix(o.hosts, emulator.MixOptions{Vulnerable: o.vulnerable, NotExchange: o.notEx, Slow: o.slow,
			SlowDelay: o.slowDelay, WebShelled: o.shelled, Seed: o.seed})
	}
	fleet, err := emulator.StartFleet(cfgs, emulator.FleetOptions{FirstIP: first, Port: o.port, TLS: !o.plainHTTP})
	if err != nil {
		return err
	}
	defer fleet.Close()

	if err := writeTo(g.stdout, o.targets, func(w io.Writer) error {
		for _, h := range fleet.Hosts {
			if _, err := fmt.Fprintln(w, h.Addr.String()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if o.truth != "" {
		if err := writeTo(nil, o.truth, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for _, h := range fleet.Hosts {
				c := h.Config
				if err := enc.Encode(emulatedHost{Addr: h.Addr.String(), Kind: c.Kind.String(), Build: c.Build, VersionHeader: c.VersionHeader,
					SSRF: c.SSRF, ProxyShell: c.ProxyShell, WebShells: c.WebShells, DelayMS: c.Delay.Milliseconds(), Computer: c.Computer}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	g.log.Info("ready", "hosts", len(fleet.Hosts), "first", fleet.Hosts[0].Addr.String(), "tls", !o.plainHTTP)
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	<-ctx.Done()
	return nil
}

// writeTo writes to the named file (atomically enough for a reader that
// waits for it: the file appears complete under its name) or to def.
func writeTo(def io.Writer, name string, fn func(io.Writer) error) error {
	if name == "" || name == "-" {
		bw := bufio.NewWriter(def)
		if err := fn(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return usageError{fmt.Errorf("emulate: %w", err)}
	}
	bw := bufio.NewWriter(f)
	if err := fn(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, strings.TrimSpace(name))
}
