package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/exhunt/exhunt/internal/web"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	db        string
	listen    string
	tokenFile string
	maxBody   int64
	protect   bool
}

func (o *serveOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.db, "db", "", dbFlagHelp)
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&o.tokenFile, "token-file", "", "file with the API bearer tokens, one per line (also: env EXHUNT_TOKEN)")
	cmd.Flags().Int64Var(&o.maxBody, "max-body", web.DefaultMaxBody, "largest upload accepted, in bytes")
	cmd.Flags().BoolVar(&o.protect, "protect-pages", false, "require a token for the pages too (browsers prompt: any user name, the token as password)")
}

func newServeCommand(g *globalOptions) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the fleet dashboard and the upload/read API",
		Long: `Serve the fleet dashboard from the result database: hosts by verdict and by
exposure, builds against CVEs, one page per host (the same content as
exhunt report), a timeline across hosts, and the attacker IPs, user agents,
web shell hashes and names seen on more than one host.

Hunts on many servers report here:
  exhunt hunt D:\evidence --upload http://collector:8080 --token "$EXHUNT_TOKEN"

API (every call needs "Authorization: Bearer TOKEN"):
  POST /api/v1/results          hunt or scan results: a JSON object, an array or JSON lines;
                                200 once stored, 401 bad token, 413 too large, 400 invalid
  GET  /api/v1/hosts            every host with its newest hunt and scan
  GET  /api/v1/hosts/HOST       newest hunt and scan documents, all runs
  GET  /api/v1/runs?host=&kind= runs, newest first;  GET /api/v1/runs/ID  one document
  GET  /api/v1/correlations     indicators seen on more than one host

Without a token (EXHUNT_TOKEN or --token-file) the API refuses every call.
The pages need none unless --protect-pages is given: then a browser asks
for a user name (any) and a password (a token). Without it, listen on
loopback or behind an authenticating proxy.

  EXHUNT_TOKEN=$(cat token) exhunt serve --listen 0.0.0.0:8080 --protect-pages

EXIT STATUS
  0  stopped by a signal
  2  bad flags, unreadable token file
  3  the database or the listener failed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, &o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// readTokens gathers API tokens from EXHUNT_TOKEN and a token file.
func readTokens(file string) ([]string, error) {
	var out []string
	if t := strings.TrimSpace(os.Getenv("EXHUNT_TOKEN")); t != "" {
		out = append(out, t)
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--token-file: %v", err)
		}
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				if len(l) < 16 {
					return nil, usagef("--token-file %s: a token is shorter than 16 characters", file)
				}
				out = append(out, l)
			}
		}
	}
	return out, nil
}

func runServe(ctx context.Context, g *globalOptions, o *serveOptions) error {
	tokens, err := readTokens(o.tokenFile)
	if err != nil {
		return err
	}
	if o.maxBody <= 0 {
		return usagef("--max-body must be positive")
	}
	if o.protect && len(tokens) == 0 {
		return usagef("--protect-pages needs a token (EXHUNT_TOKEN or --token-file)")
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	ver, _, _ := buildInfo()
	s := &web.Server{Store: st, KB: kb, Tokens: tokens, MaxBody: o.maxBody, Log: g.log, Version: ver, ProtectPages: o.protect, KEV: kb.InKEV}
	if !o.protect && !loopbackListen(o.listen) {
		g.log.Warn("the pages are open to anyone who can reach " + o.listen + ": use --protect-pages or an authenticating proxy")
	}
	if len(tokens) == 0 {
		g.log.Warn("no API token (EXHUNT_TOKEN or --token-file): uploads and the read API are refused")
	}
	g.log.Info("serving", "url", "http://"+o.listen+"/", "tokens", len(tokens))
	if err := web.ListenAndServe(ctx, o.listen, s.Handler(), g.log); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// loopbackListen reports whether addr (host:port) listens on loopback only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
