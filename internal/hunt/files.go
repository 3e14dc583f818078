package hunt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/safetext"
)

// fileFinding remembers a suspicious file for correlation with the logs.
type fileFinding struct {
	index int    // into hostHunt.findings
	name  string // lower-case base name
	url   string // lower-case URL path it is served under, "" if not web-facing
}

// scanFile hands one file's bytes to the FileDetector.
// With headOnly, only the first headScan bytes (the readable head of an
// over-ratio zip entry) are read and the file is neither hashed nor listed
// as read evidence.
func (h *hostHunt) scanFile(ctx context.Context, f *evidence.File, hash, headOnly bool) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	var r io.Reader = rc
	if hash && h.prog != nil {
		r = &progressReader{r: rc, p: h.prog}
	}
	limit := h.opt.MaxFileSize
	if headOnly {
		limit = headLimit(f, h.opt.MaxFileSize)
	}
	buf := getBuffer(min(f.Size, limit) + 1)
	defer putBuffer(buf)
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return err
	}
	data := buf.Bytes()
	hexSum := ""
	switch {
	case headOnly:
		data = data[:min(int64(len(data)), limit)]
	case int64(len(data)) > h.opt.MaxFileSize:
		return fmt.Errorf("grew past --max-file-size (%d bytes) while read: not examined", h.opt.MaxFileSize)
	default:
		sum := sha256.Sum256(data)
		hexSum = hex.EncodeToString(sum[:])
		if hash {
			h.addHash(f, hexSum, int64(len(data)))
		}
	}
	fs := h.opt.Files.Detect(ctx, evidence.FileInfo{Path: f.Path, Size: f.Size, ModTime: f.ModTime.UTC(), SHA256: hexSum}, data)
	if len(fs) == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fi := range fs {
		fi.Kind = finding.KindFile
		if fi.Source == "" {
			fi.Source = f.Path
		}
		if fi.Details == nil {
			fi.Details = map[string]string{}
		}
		if hexSum != "" {
			fi.Details["file_sha256"] = hexSum
		} else {
			fi.Details["examined"] = fmt.Sprintf("first %d bytes of %d", len(data), f.Size)
		}
		if fi.Time.IsZero() && !f.ModTime.IsZero() {
			fi.Time = f.ModTime.UTC()
			fi.Details["time_source"] = "file modification time (attackers may timestomp)"
		}
		if fi.Outcome == "" {
			fi.Outcome = finding.Unknown
		}
		at := h.keepLocked(fi)
		if at < 0 {
			continue
		}
		h.webFiles = append(h.webFiles, fileFinding{index: at, name: strings.ToLower(path.Base(f.Path)), url: webURL(f.Path)})
	}
	return nil
}

// Read buffers are reused across files: a fresh, doubling io.ReadAll per
// file was a tenth of a 69 000-file hunt's CPU (allocation, clearing and
// the garbage collection that followed). The detectors copy what they keep.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer kept for reuse; bigger ones are left to
// the garbage collector so that one huge file does not pin its size.
const maxPooled = 16 << 20

// getBuffer returns an empty buffer that holds size bytes without growing
// (bytes.Buffer.ReadFrom wants MinRead bytes free before each read).
func getBuffer(size int64) *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	if size <= maxPooled {
		b.Grow(int(size) + bytes.MinRead)
	}
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled+bytes.MinRead {
		bufPool.Put(b)
	}
}

// webURL maps a file's evidence path to the URL path IIS serves it under,
// for the folders the 2021 web shells used.
func webURL(p string) string {
	l := strings.ToLower(p)
	for _, m := range []struct{ dir, url string }{
		{"inetpub/wwwroot/", "/"},
		{"frontend/httpproxy/owa/", "/owa/"},
		{"frontend/httpproxy/ecp/", "/ecp/"},
		{"clientaccess/owa/", "/owa/"},
		{"clientaccess/ecp/", "/ecp/"},
		{"clientaccess/oab/", "/oab/"},
	} {
		if i := strings.Index(l, m.dir); i >= 0 {
			return m.url + l[i+len(m.dir):]
		}
	}
	return ""
}

// correlateFiles ties each suspicious file to the log findings that wrote
// it (OABGenerator temporary-file lines, ECP virtual-directory changes) and
// to the IIS requests for its URL, read in one more pass over the IIS logs
// for the files' names. A file that was requested with success is
// "succeeded".
func (h *hostHunt) correlateFiles(ctx context.Context) error {
	if len(h.webFiles) == 0 {
		return nil
	}
	// Only log findings that can name a written file are candidates: the
	// OAB generator's temporary-file lines and virtual-directory changes.
	// Each writer's text is searched once for every file name it may
	// contain (a hash lookup per position and name length), not once per
	// file.
	names := newSubstrings()
	for k, wf := range h.webFiles {
		names.add(wf.name, k)
	}
	for i := range h.findings {
		lf := &h.findings[i]
		if lf.Kind != finding.KindLog {
			continue
		}
		ev := strings.ToLower(lf.Evidence)
		if !strings.Contains(ev, "temporary file") && !strings.Contains(ev, "virtualdirectory") {
			continue
		}
		found, ops := names.find(ev)
		h.ops.writers += ops
		for _, k := range found {
			fi := &h.findings[h.webFiles[k].index]
			fi.Related = append(fi.Related, finding.Ref{Source: lf.Source, Line: lf.Line, Time: lf.Time, Note: "written by: " + lf.Title})
			lf.Related = append(lf.Related, finding.Ref{Source: fi.Source, Time: fi.Time, Note: "wrote the file flagged as: " + fi.Title})
		}
	}
	return h.iisRequestsForFiles(ctx)
}

// iisRequestsForFiles reads the IIS logs once more for requests to the
// suspicious files' URLs: each request's cs-uri-stem is looked up in a
// hash of the URLs, so the pass costs the same for one file as for ten
// thousand. Files are read in parallel and their requests attached in
// file order.
func (h *hostHunt) iisRequestsForFiles(ctx context.Context) error {
	byURL := map[string][]int{}
	for _, wf := range h.webFiles {
		if wf.url != "" {
			byURL[wf.url] = append(byURL[wf.url], wf.index)
		}
	}
	if len(byURL) == 0 || len(h.iisFiles) == 0 {
		return nil
	}
	hits := make([][]fileRequest, len(h.iisFiles))
	ops := make([]int64, len(h.iisFiles))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(h.opt.Workers)
	for k, f := range h.iisFiles {
		g.Go(func() error {
			hits[k], ops[k] = h.iisRequests(gctx, f, byURL)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for k, hs := range hits {
		h.ops.fileRequests += ops[k]
		for _, x := range hs {
			fi := &h.findings[x.finding]
			if len(fi.Related) < maxRequests && !x.outcomeOnly {
				fi.Related = append(fi.Related, x.ref)
			}
			if x.ok {
				fi.Outcome = finding.Succeeded
			}
		}
	}
	return nil
}

// maxRequests bounds the requests attached to one file finding.
const maxRequests = 50

// fileRequest is one request for a suspicious file's URL.
type fileRequest struct {
	finding int
	ref     finding.Ref
	ok      bool // answered 2xx
	// outcomeOnly: a 2xx answer past the requests kept, for the outcome.
	outcomeOnly bool
}

// iisRequests returns one IIS log's requests for the URLs, at most
// maxRequests per finding plus every successful one (it sets the
// outcome), and the steps it took.
func (h *hostHunt) iisRequests(ctx context.Context, f *evidence.File, byURL map[string][]int) ([]fileRequest, int64) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0
	}
	defer rc.Close()
	var out []fileRequest
	var ops int64
	per := map[int]int{}
	var low []byte
	key := func(stem []byte) bool {
		ops++
		var ok bool
		if low, ok = lowerASCII(low[:0], stem); ok {
			_, ok = byURL[string(low)]
		} else {
			_, ok = byURL[strings.ToLower(string(stem))]
		}
		return ok
	}
	iislog.Parse(ctx, rc, f.Path, iislog.Options{KeyField: "cs-uri-stem", Key: key, Filter: func([]byte) bool { return false }}, func(rec *evidence.Record) error {
		stem, _ := rec.Fields.Get("cs-uri-stem")
		for _, i := range byURL[strings.ToLower(stem)] {
			ops++
			status, _ := rec.Fields.Get("sc-status")
			code, err := strconv.Atoi(status)
			ok := err == nil && code >= 200 && code < 300
			if per[i] >= maxRequests {
				if ok {
					out = append(out, fileRequest{finding: i, ok: true, outcomeOnly: true})
					per[i] = -1 << 30 // its outcome is known: nothing more to keep
				}
				continue
			}
			if per[i] < 0 {
				continue
			}
			per[i]++
			method, _ := rec.Fields.Get("cs-method")
			ip, _ := rec.Fields.Get("c-ip")
			q, _ := rec.Fields.Get("cs-uri-query")
			out = append(out, fileRequest{finding: i, ok: ok, ref: finding.Ref{Source: rec.Source, Line: rec.Line, Time: rec.Time,
				Note: safetext.Truncate(fmt.Sprintf("requested: %s %s?%s → %s from %s", method, stem, q, status, ip), 512)}})
		}
		return nil
	})
	return out, ops
}

// lowerASCII appends b in lower case to dst, as strings.ToLower does; ok
// is false when b is not all ASCII (then strings.ToLower must do it).
func lowerASCII(dst, b []byte) ([]byte, bool) {
	for _, c := range b {
		switch {
		case c >= 0x80:
			return dst, false
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}
