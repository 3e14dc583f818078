package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/exhunt/exhunt/internal/fetch"
	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store"
)

// ScanOptions are the scan settings a chunk job carries; they are part of
// the job's identity.
type ScanOptions struct {
	Active        bool    `json:"active,omitempty"`
	WebShells     bool    `json:"webshells,omitempty"`
	Concurrency   int     `json:"concurrency"`               // hosts at once within one job
	Rate          float64 `json:"rate,omitempty"`            // requests/s within one job (0: unlimited)
	HostRate      float64 `json:"host_rate"`                 // requests/s to one IP (<0: unlimited)
	TimeoutMS     int64   `json:"timeout_ms"`                // per request
	HostTimeoutMS int64   `json:"host_timeout_ms,omitempty"` // per target (0: 20 × timeout)
	Retries       int     `json:"retries"`                   // <0: none
}

// ScanArgs is one chunk of a scan: consecutive targets of its list.
type ScanArgs struct {
	ScanID  string      `json:"scan_id"`
	Chunk   int         `json:"chunk"`
	First   int64       `json:"first"`   // ordinal of Targets[0] in the scan's list
	Targets []string    `json:"targets"` // host:port, or scheme://host:port/ when the scheme was given
	Options ScanOptions `json:"options"`
}

// Kind names scan chunk jobs.
func (ScanArgs) Kind() string { return "exhunt_scan_chunk" }

// HuntArgs is one evidence bundle to hunt.
type HuntArgs struct {
	Bundle       string `json:"bundle"` // a path or http(s) URL the workers can read
	SHA256       string `json:"sha256" river:"unique"`
	RulesVersion string `json:"rules_version" river:"unique"`
	Host         string `json:"host,omitempty"`
	Batch        string `json:"batch"` // the enqueue that made it, for queue status
}

// Kind names hunt jobs.
func (HuntArgs) Kind() string { return "exhunt_hunt_bundle" }

// ScanRequest is a scan to enqueue.
type ScanRequest struct {
	ID          string // a name for the scan; "" derives it from the targets and options
	Targets     []scan.Target
	Options     ScanOptions
	ChunkSize   int // targets per job (default 256)
	MaxAttempts int // per job (default 5)
}

// Enqueued reports what an enqueue did.
type Enqueued struct {
	ID         string `json:"id"` // scan id or hunt batch
	Targets    int64  `json:"targets,omitempty"`
	Jobs       int    `json:"jobs"`
	New        int    `json:"new"`        // jobs inserted
	Duplicates int    `json:"duplicates"` // jobs already queued or done, skipped
}

var scanIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Entry is how a worker is handed a target: host:port, or a URL when the
// scheme was given.
func Entry(t scan.Target) string {
	hp := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	if t.Scheme != "" {
		return t.Scheme + "://" + hp + "/"
	}
	return hp
}

// EnqueueScan records the scan in st and enqueues its chunk jobs in one
// transaction. The scan id is req.ID, else the first 16 hex digits of the
// SHA-256 of the options and the target list: the same list with the same
// options is the same scan, and its chunks are skipped as duplicates.
func (q *Queue) EnqueueScan(ctx context.Context, st *store.Store, req ScanRequest) (Enqueued, error) {
	if req.ChunkSize <= 0 {
		req.ChunkSize = 256
	}
	if req.MaxAttempts <= 0 {
		req.MaxAttempts = 5
	}
	if len(req.Targets) == 0 {
		return Enqueued{}, fmt.Errorf("queue: no targets")
	}
	opts, err := json.Marshal(req.Options)
	if err != nil {
		return Enqueued{}, err
	}
	entries := make([]string, len(req.Targets))
	h := sha256.New()
	h.Write(opts)
	for i, t := range req.Targets {
		entries[i] = Entry(t)
		h.Write([]byte{'\n'})
		h.Write([]byte(entries[i]))
	}
	id := req.ID
	if id == "" {
		id = hex.EncodeToString(h.Sum(nil))[:16]
	} else if !scanIDRE.MatchString(id) {
		return Enqueued{}, fmt.Errorf("queue: scan id %q: use 1-64 letters, digits, '.', '_' or '-'", id)
	}
	var params []river.InsertManyParams
	for first := 0; first < len(entries); first += req.ChunkSize {
		chunk := entries[first:min(first+req.ChunkSize, len(entries))]
		params = append(params, river.InsertManyParams{
			Args: ScanArgs{ScanID: id, Chunk: len(params), First: req.Targets[first].Ordinal, Targets: chunk, Options: req.Options},
			InsertOpts: &river.InsertOpts{Queue: ScanQueue, MaxAttempts: req.MaxAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true}},
		})
	}
	if _, err := st.AddScan(ctx, store.ScanInfo{ID: id, Targets: int64(len(entries)), Chunks: len(params), Options: opts}); err != nil {
		return Enqueued{}, err
	}
	out, err := q.insert(ctx, params)
	out.ID, out.Targets = id, int64(len(entries))
	return out, err
}

// Bundle is one evidence bundle to hunt.
type Bundle struct {
	Path   string // a path or http(s) URL the workers can read
	SHA256 string // of the bundle (see Digest)
	Host   string // host name to report; "" lets the hunt find it
}

// EnqueueHunt enqueues one hunt job per bundle, unique by the bundle's
// SHA-256 and rulesVersion: a bundle hunted before with the same rules is
// skipped.
func (q *Queue) EnqueueHunt(ctx context.Context, bundles []Bundle, rulesVersion string, maxAttempts int) (Enqueued, error) {
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	h := sha256.New()
	h.Write([]byte(rulesVersion))
	for _, b := range bundles {
		h.Write([]byte("\n" + b.SHA256))
	}
	batch := "hunt-" + hex.EncodeToString(h.Sum(nil))[:12]
	var params []river.InsertManyParams
	seen := map[string]bool{}
	dups := 0
	for _, b := range bundles {
		if seen[b.SHA256] { // River refuses one unique key twice in a batch
			dups++
			continue
		}
		seen[b.SHA256] = true
		params = append(params, river.InsertManyParams{
			Args: HuntArgs{Bundle: b.Path, SHA256: b.SHA256, RulesVersion: rulesVersion, Host: b.Host, Batch: batch},
			InsertOpts: &river.InsertOpts{Queue: HuntQueue, MaxAttempts: maxAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true}},
		})
	}
	out, err := q.insert(ctx, params)
	out.ID, out.Jobs, out.Duplicates = batch, out.Jobs+dups, out.Duplicates+dups
	return out, err
}

// insert adds jobs in one transaction, counting the duplicates River skipped.
func (q *Queue) insert(ctx context.Context, params []river.InsertManyParams) (Enqueued, error) {
	out := Enqueued{Jobs: len(params)}
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		return out, fmt.Errorf("queue: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	for len(params) > 0 {
		part := params[:min(len(params), 1000)]
		params = params[len(part):]
		res, err := q.client.InsertManyTx(ctx, tx, part)
		if err != nil {
			return out, fmt.Errorf("queue: insert jobs: %w", err)
		}
		for _, r := range res {
			if r.UniqueSkippedAsDuplicate {
				out.Duplicates++
			} else {
				out.New++
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return out, fmt.Errorf("queue: commit: %w", err)
	}
	return out, nil
}

// Digest returns the SHA-256 that identifies an evidence bundle: of the
// file's bytes for a file (a zip, a log, an .evtx); for a folder, of the
// sorted list of its regular files' relative paths, sizes and SHA-256s
// (symbolic links are not followed); for an http(s) URL, of the body it
// serves (read once, to the end).
func Digest(ctx context.Context, path string) (string, error) {
	if isHTTP(path) {
		return urlDigest(ctx, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return fileDigest(path)
	}
	h := sha256.New()
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sum, err := fileDigest(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", filepath.ToSlash(rel), info.Size(), sum)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isHTTP(p string) bool {
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// httpClient fetches bundles: no redirect is followed off the given URL's
// host, and a stalled server cannot hold a worker beyond the job timeout.
var httpClient = &http.Client{
	Timeout: 6 * time.Hour,
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 || req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse
		}
		return nil
	},
}

// download GETs url into w; an HTTP error status is a *fetch.StatusError,
// named "GET url: HTTP 404 Not Found".
func download(ctx context.Context, url string, w io.Writer) error {
	_, err := fetch.Get(ctx, httpClient, fetch.Request{URL: url}, w)
	if se := (*fetch.StatusError)(nil); errors.As(err, &se) {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return err
}

func urlDigest(ctx context.Context, url string) (string, error) {
	h := sha256.New()
	if err := download(ctx, url, h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
