package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// ErrNotLoopback is returned for any address outside 127.0.0.0/8 and ::1.
var ErrNotLoopback = errors.New("emulator: refusing to bind a non-loopback address")

// Options say where and how a host listens.
type Options struct {
	// Addr is ip:port; port 0 picks a free port. Default 127.0.0.1:0.
	Addr string
	// TLS serves HTTPS with a self-signed certificate naming the host
	// (CN and SANs = FQDN, mail.<domain>, autodiscover.<domain>).
	TLS bool
	// CertExpired makes the certificate one that expired a year ago.
	CertExpired bool
}

// Host is one running emulated server.
type Host struct {
	Config Config
	Addr   netip.AddrPort
	TLS    bool

	ln     net.Listener
	srv    *http.Server
	closed chan struct{}
	wg     sync.WaitGroup
}

// URL is the base URL of the host (https://127.0.0.1:port or http://...).
func (h *Host) URL() string {
	if h.TLS {
		return "https://" + h.Addr.String()
	}
	return "http://" + h.Addr.String()
}

// Start runs one emulated host until Close.
func Start(cfg Config, opts Options) (*Host, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	ap, err := netip.ParseAddrPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: address %q: %w", opts.Addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("%w: %s", ErrNotLoopback, opts.Addr)
	}
	ln, err := net.Listen("tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("emulator: listen %s: %w", ap, err)
	}
	h := &Host{Config: cfg, TLS: opts.TLS, ln: ln, closed: make(chan struct{})}
	h.Addr = ln.Addr().(*net.TCPAddr).AddrPort()
	if opts.TLS && cfg.Kind != TLSStall && cfg.Kind != Garbage {
		cert, err := certificate(&cfg, opts.CertExpired)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10})
	}
	if cfg.Kind == GzipBomb {
		bombBytes() // build it before the first client waits for it
	}
	switch cfg.Kind {
	case Slowloris, EndlessHeaders, TLSStall, Garbage:
		h.wg.Add(1)
		go func() { defer h.wg.Done(); h.serveRaw(ln) }()
	default:
		h.srv = &http.Server{
			Handler:           Handler(cfg),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       30 * time.Second,
			ErrorLog:          log.New(discard{}, "", 0),
		}
		h.wg.Add(1)
		go func() { defer h.wg.Done(); _ = h.srv.Serve(ln) }()
	}
	return h, nil
}

// Close stops the host and waits for its goroutines.
func (h *Host) Close() error {
	select {
	case <-h.closed:
		return nil
	default:
	}
	close(h.closed)
	var err error
	if h.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = h.srv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = h.srv.Close()
		}
	} else {
		err = h.ln.Close()
	}
	h.wg.Wait()
	return err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

var fleetKey = sync.OnceValues(func() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
})

// certificate makes a self-signed certificate whose names reveal the
// internal host name, as default Exchange certificates do.
func certificate(cfg *Config, expired bool) (tls.Certificate, error) {
	key, err := fleetKey()
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("emulator: key: %w", err)
	}
	now := time.Now()
	nb, na := now.Add(-time.Hour), now.AddDate(5, 0, 0)
	if expired {
		nb, na = now.AddDate(-3, 0, 0), now.AddDate(-1, 0, 0)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	fqdn := cfg.FQDN()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: fqdn},
		Issuer:       pkix.Name{CommonName: fqdn},
		DNSNames:     []string{fqdn, "mail." + cfg.domain(), "autodiscover." + cfg.domain()},
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("emulator: certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Fleet is many hosts, each on its own loopback address.
type Fleet struct {
	Hosts []*Host
}

// FleetOptions place a fleet.
type FleetOptions struct {
	// FirstIP is the address of host 0; host i gets FirstIP+i, skipping
	// addresses ending in .0 and .255. Default 127.1.0.1.
	FirstIP netip.Addr
	// Port for every host; 0 picks a free port per host.
	Port int
	TLS  bool
	// ExpiredEvery gives every n-th TLS host an expired certificate (0: none).
	ExpiredEvery int
}

// StartFleet starts one host per config. On error it closes what it started.
func StartFleet(cfgs []Config, opts FleetOptions) (*Fleet, error) {
	ip := opts.FirstIP
	if !ip.IsValid() {
		ip = netip.MustParseAddr("127.1.0.1")
	}
	f := &Fleet{}
	for i, c := range cfgs {
		for ip.Is4() && (ip.As4()[3] == 0 || ip.As4()[3] == 255) {
			ip = ip.Next()
		}
		expired := opts.ExpiredEvery > 0 && i%opts.ExpiredEvery == opts.ExpiredEvery-1
		h, err := Start(c, Options{Addr: net.JoinHostPort(ip.String(), strconv.Itoa(opts.Port)), TLS: opts.TLS, CertExpired: expired})
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Hosts = append(f.Hosts, h)
		ip = ip.Next()
	}
	return f, nil
}

// Close stops every host.
func (f *Fleet) Close() error {
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range f.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Close(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
