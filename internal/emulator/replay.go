package emulator

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// recorded holds responses recorded from real servers (and from the
// honeypots and phishing kits that copy them), one folder per host, each
// with its source in recorded/SOURCES.md. A Replay host serves them on
// loopback, next to the synthetic profiles, so the scanner is tested on
// what real servers answered and not only on what this package writes.
//
//go:embed recorded
var recorded embed.FS

// Recorded is one recorded host: host.json in its folder.
type Recorded struct {
	Name   string `json:"-"`
	Source string `json:"source"` // short form; recorded/SOURCES.md has the details
	// Truth is what the host is, from its source (reviewed by hand, not
	// from any scanner's output).
	Truth RecordedTruth `json:"truth"`
	// Computer and Domain name the host (certificate, NTLM challenge).
	Computer string `json:"computer,omitempty"`
	Domain   string `json:"domain,omitempty"`
	// CaseSensitive matches paths exactly (a Flask or PHP host); IIS
	// matches them case-insensitively.
	CaseSensitive bool `json:"case_sensitive,omitempty"`
	// Target is the path a scan of this host should be given (a phishing
	// kit lives in a folder), "" for the host itself.
	Target    string          `json:"target,omitempty"`
	Responses []RecordedRoute `json:"responses"`
	// Default answers every path no route matches; "" is a bare 404 (the
	// source did not record what the host answers there).
	Default string `json:"default,omitempty"`

	routes  []route
	fallbk  *recordedResponse
	loadErr error
}

// RecordedTruth is the ground truth of a recorded host.
type RecordedTruth struct {
	Exchange  bool   `json:"exchange"`            // a real Exchange server
	Lookalike bool   `json:"lookalike,omitempty"` // a page copying OWA from another host
	Build     string `json:"build,omitempty"`     // the build its recorded answers show, if any
	// Identifiable is false when only an answer no fingerprint asks for was
	// recorded (an active probe's): the host cannot be identified from it.
	Identifiable bool   `json:"identifiable"`
	Note         string `json:"note,omitempty"`
}

// RecordedRoute maps requests to one recorded response file.
type RecordedRoute struct {
	Path   string `json:"path,omitempty"`   // exact path
	Prefix string `json:"prefix,omitempty"` // or any path under it
	Query  string `json:"query,omitempty"`  // and a query containing this (lower case)
	File   string `json:"file"`
	// NTLM answers an NTLM NEGOTIATE with a CHALLENGE naming
	// Computer/Domain (rebuilt from the names the source decoded).
	NTLM bool `json:"ntlm,omitempty"`
}

type route struct {
	RecordedRoute
	resp *recordedResponse
}

// recordedResponse is one .http file: "HTTP/x code reason", header lines,
// a blank line, the body. {{host}} is replaced by the request's Host,
// {{scheme}} by http or https, {{url-origin}} by the percent-encoded
// scheme://host OWA writes into its url= parameter.
type recordedResponse struct {
	status int
	header [][2]string
	body   string
}

var (
	recordedMu    sync.Mutex
	recordedCache = map[string]*Recorded{}
)

// RecordedHosts lists the recorded hosts, sorted by name.
func RecordedHosts() ([]*Recorded, error) {
	ents, err := fs.ReadDir(recorded, "recorded")
	if err != nil {
		return nil, err
	}
	var out []*Recorded
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		r, err := LoadRecorded(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// LoadRecorded reads one recorded host.
func LoadRecorded(name string) (*Recorded, error) {
	recordedMu.Lock()
	defer recordedMu.Unlock()
	if r, ok := recordedCache[name]; ok {
		return r, r.loadErr
	}
	r := &Recorded{Name: name}
	r.loadErr = r.load()
	recordedCache[name] = r
	return r, r.loadErr
}

func (r *Recorded) load() error {
	dir := path.Join("recorded", r.Name)
	b, err := fs.ReadFile(recorded, path.Join(dir, "host.json"))
	if err != nil {
		return fmt.Errorf("emulator: recorded host %q: %w", r.Name, err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		return fmt.Errorf("emulator: recorded host %q: %w", r.Name, err)
	}
	read := func(file string) (*recordedResponse, error) {
		b, err := fs.ReadFile(recorded, path.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("emulator: recorded host %q: %w", r.Name, err)
		}
		resp, err := parseRecorded(string(b))
		if err != nil {
			return nil, fmt.Errorf("emulator: recorded host %q, %s: %w", r.Name, file, err)
		}
		return resp, nil
	}
	for _, rr := range r.Responses {
		if rr.NTLM && (r.Computer == "" || r.Domain == "") {
			return fmt.Errorf("emulator: recorded host %q: an NTLM route needs computer and domain", r.Name)
		}
		resp, err := read(rr.File)
		if err != nil {
			return err
		}
		r.routes = append(r.routes, route{rr, resp})
	}
	if r.Default != "" {
		if r.fallbk, err = read(r.Default); err != nil {
			return err
		}
	}
	return nil
}

func parseRecorded(s string) (*recordedResponse, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	head, body, _ := strings.Cut(s, "\n\n")
	lines := strings.Split(head, "\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return nil, fmt.Errorf("status line %q", lines[0])
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 599 {
		return nil, fmt.Errorf("status line %q", lines[0])
	}
	resp := &recordedResponse{status: code, body: body}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("header line %q", l)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "content-length", "transfer-encoding", "connection", "date":
			continue // the server writes its own
		}
		resp.header = append(resp.header, [2]string{k, v})
	}
	return resp, nil
}

// match finds the route for a request.
func (r *Recorded) match(req *http.Request) *route {
	p, q := req.URL.Path, strings.ToLower(req.URL.RawQuery)
	eq, pre := strings.EqualFold, func(s, prefix string) bool {
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
	}
	if r.CaseSensitive {
		eq, pre = func(a, b string) bool { return a == b }, strings.HasPrefix
	}
	for i := range r.routes {
		rt := &r.routes[i]
		if rt.Path != "" && !eq(p, rt.Path) || rt.Prefix != "" && !pre(p, rt.Prefix) {
			continue
		}
		if rt.Query != "" && !strings.Contains(q, rt.Query) {
			continue
		}
		return rt
	}
	return nil
}

func replayHandler(name string) http.Handler {
	rec, err := LoadRecorded(name)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		rt := rec.match(req)
		resp := rec.fallbk
		if rt != nil {
			resp = rt.resp
		}
		if resp == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		scheme := "http"
		if req.TLS != nil {
			scheme = "https"
		}
		fill := strings.NewReplacer("{{host}}", req.Host, "{{scheme}}", scheme,
			"{{url-origin}}", scheme+"%3a%2f%2f"+strings.ToLower(req.Host)).Replace
		h := w.Header()
		h["Date"] = nil // recorded answers have their own Date, or none
		for _, kv := range resp.header {
			h.Add(kv[0], fill(kv[1]))
		}
		if rt != nil && rt.NTLM && isNegotiate(req.Header.Get("Authorization")) {
			h.Del("WWW-Authenticate")
			h.Set("WWW-Authenticate", "NTLM "+base64.StdEncoding.EncodeToString(ChallengeMessage(rec.Computer, rec.Domain)))
		}
		if len(resp.body) > 0 && h.Get("Content-Type") == "" {
			h["Content-Type"] = nil // as recorded: none
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write([]byte(fill(resp.body)))
	})
}

func isNegotiate(auth string) bool {
	t1, ok := strings.CutPrefix(auth, "NTLM ")
	if !ok {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t1))
	return err == nil && len(b) >= 12 && string(b[:8]) == "NTLMSSP\x00" && b[8] == 1
}

// recordedProfiles lists the recorded hosts as profiles named
// recorded/<name>.
func recordedProfiles() []Profile {
	hosts, err := RecordedHosts()
	if err != nil {
		return nil
	}
	var out []Profile
	for _, h := range hosts {
		out = append(out, Profile{"recorded/" + h.Name, Config{Kind: Replay, Recorded: h.Name, Computer: h.Computer, Domain: h.Domain}})
	}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	return out
}
