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

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/iislog"
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
	if hash && h.opt.Progress != nil {
		r = &progressReader{r: rc, p: h.opt.Progress}
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
	fs := h.opt.Files.Detect(ctx, FileInfo{Path: f.Path, Size: f.Size, ModTime: f.ModTime.UTC(), SHA256: hexSum}, data)
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
func (h *hostHunt) correlateFiles() {
	if len(h.webFiles) == 0 {
		return
	}
	// Only log findings that can name a written file are candidates: the
	// OAB generator's temporary-file lines and virtual-directory changes.
	var writers []int
	for i := range h.findings {
		lf := &h.findings[i]
		if lf.Kind != finding.KindLog {
			continue
		}
		ev := strings.ToLower(lf.Evidence)
		if strings.Contains(ev, "temporary file") || strings.Contains(ev, "virtualdirectory") {
			writers = append(writers, i)
		}
	}
	for _, wf := range h.webFiles {
		fi := &h.findings[wf.index]
		for _, i := range writers {
			lf := &h.findings[i]
			if strings.Contains(strings.ToLower(lf.Evidence), wf.name) {
				fi.Related = append(fi.Related, finding.Ref{Source: lf.Source, Line: lf.Line, Time: lf.Time, Note: "written by: " + lf.Title})
				lf.Related = append(lf.Related, finding.Ref{Source: fi.Source, Time: fi.Time, Note: "wrote the file flagged as: " + fi.Title})
			}
		}
	}
	h.iisRequestsForFiles()
}

// iisRequestsForFiles scans the IIS logs for requests to the suspicious
// files' URLs.
func (h *hostHunt) iisRequestsForFiles() {
	var needles [][]byte
	byURL := map[string][]int{}
	for _, wf := range h.webFiles {
		if wf.url == "" {
			continue
		}
		byURL[wf.url] = append(byURL[wf.url], wf.index)
		needles = append(needles, []byte(wf.name))
	}
	if len(byURL) == 0 {
		return
	}
	filter := func(line []byte) bool {
		low := bytes.ToLower(line)
		for _, n := range needles {
			if bytes.Contains(low, n) {
				return true
			}
		}
		return false
	}
	ctx := context.Background()
	for _, f := range h.iisFiles {
		h.iisRequests(ctx, f, filter, byURL)
	}
}

func (h *hostHunt) iisRequests(ctx context.Context, f *evidence.File, filter func([]byte) bool, byURL map[string][]int) {
	rc, err := f.Open()
	if err != nil {
		return
	}
	defer rc.Close()
	iislog.Parse(ctx, rc, f.Path, iislog.Options{Filter: filter}, func(rec *evidence.Record) error {
		stem, _ := rec.Fields.Get("cs-uri-stem")
		for _, i := range byURL[strings.ToLower(stem)] {
			fi := &h.findings[i]
			status, _ := rec.Fields.Get("sc-status")
			method, _ := rec.Fields.Get("cs-method")
			ip, _ := rec.Fields.Get("c-ip")
			q, _ := rec.Fields.Get("cs-uri-query")
			if len(fi.Related) < 50 {
				fi.Related = append(fi.Related, finding.Ref{Source: rec.Source, Line: rec.Line, Time: rec.Time,
					Note: truncate(fmt.Sprintf("requested: %s %s?%s → %s from %s", method, stem, q, status, ip), 512)})
			}
			if code, err := strconv.Atoi(status); err == nil && code >= 200 && code < 300 {
				fi.Outcome = finding.Succeeded
			}
		}
		return nil
	})
}
