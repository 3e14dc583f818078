package ruleset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/fetch"
)

// ErrDownload is wrapped by every download failure.
var ErrDownload = errors.New("ruleset: download")

const (
	maxRedirects   = 5
	maxReleaseJSON = 4 << 20
)

// release is the part of a GitHub release (REST API "get the latest
// release") exhunt reads.
type release struct {
	TagName     string    `json:"tag_name"`
	PublishedAt time.Time `json:"published_at"`
	ZipballURL  string    `json:"zipball_url"`
	Assets      []struct {
		Name   string `json:"name"`
		URL    string `json:"browser_download_url"`
		Size   int64  `json:"size"`
		Digest string `json:"digest"` // "sha256:<hex>", published by GitHub for uploaded assets
	} `json:"assets"`
}

// target is the archive to download and what is known about it before.
type target struct {
	url       string
	version   string
	published time.Time
	sha256    string // published digest, lower-case hex; "" when none
}

// allowedURL refuses anything but HTTPS, and plain HTTP to a loopback
// address (tests, local mirrors).
func allowedURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("%w: %s: plain http is allowed to loopback addresses only; use https", ErrDownload, u.Redacted())
	}
	return fmt.Errorf("%w: %s: unsupported scheme %q", ErrDownload, u.Redacted(), u.Scheme)
}

// newClient returns an HTTP client whose whole exchange (connect,
// redirects, body) is bounded by timeout and which follows at most
// maxRedirects redirects, each to an allowed URL.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrDownload, maxRedirects)
			}
			return allowedURL(req.URL)
		},
	}
}

// get fetches raw with the client and returns the body, bounded by limit
// bytes; a larger body is an error, as is any status but 200.
func get(ctx context.Context, c *http.Client, raw, accept, userAgent string, limit int64, w io.Writer) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrDownload, raw, err)
	}
	if err := allowedURL(u); err != nil {
		return "", err
	}
	ctype, err := fetch.Get(ctx, c, fetch.Request{URL: u.String(), Accept: accept, UserAgent: userAgent, Limit: limit}, w)
	var ue *url.Error
	switch {
	case err == nil:
		return ctype, nil
	case errors.As(err, &ue): // names the URL itself
		return "", fmt.Errorf("%w: %v", ErrDownload, err)
	}
	return "", fmt.Errorf("%w: %s: %v", ErrDownload, u.Redacted(), err)
}

// resolve turns a source URL into the archive to download: a GitHub
// release JSON names it (the wanted asset with its published digest, or
// the source archive), anything else is the archive itself. body is the
// already downloaded response when it was the archive.
func resolve(ctx context.Context, c *http.Client, src Source, userAgent string, spool *os.File) (target, bool, error) {
	var buf bytes.Buffer
	ctype, err := get(ctx, c, src.URL, "application/vnd.github+json, application/zip;q=0.9", userAgent, MaxArchive, &teeLimit{buf: &buf, max: maxReleaseJSON, file: spool})
	if err != nil {
		return target{}, false, err
	}
	head := bytes.TrimSpace(buf.Bytes())
	if !strings.Contains(ctype, "json") && !bytes.HasPrefix(head, []byte("{")) {
		return target{url: src.URL}, true, nil // the URL was the archive: spool holds it
	}
	var rel release
	if err := json.Unmarshal(buf.Bytes(), &rel); err != nil {
		return target{}, false, fmt.Errorf("%w: %s: release description: %v", ErrDownload, src.URL, err)
	}
	t := target{version: rel.TagName, published: rel.PublishedAt, url: rel.ZipballURL}
	// The asset named by the source, else the release's only zip asset,
	// else the source archive of the release's tag.
	pick := -1
	zips := 0
	for i, a := range rel.Assets {
		switch {
		case src.Asset != "" && a.Name == src.Asset:
			pick = i
		case src.Asset == "" && strings.HasSuffix(strings.ToLower(a.Name), ".zip"):
			zips++
			pick = i
		}
	}
	if src.Asset == "" && zips > 1 {
		pick = -1
	}
	if pick >= 0 {
		a := rel.Assets[pick]
		t.url = a.URL
		if hexSum, ok := strings.CutPrefix(strings.ToLower(a.Digest), "sha256:"); ok {
			t.sha256 = hexSum
		}
	} else if src.Asset != "" && t.url == "" {
		return target{}, false, fmt.Errorf("%w: release %s has no asset %s and no source archive", ErrDownload, rel.TagName, src.Asset)
	}
	if t.url == "" {
		return target{}, false, fmt.Errorf("%w: release %q names no archive", ErrDownload, rel.TagName)
	}
	return t, false, nil
}

// teeLimit keeps the first max bytes in buf (to parse a release JSON) and
// writes everything to file (in case the response was the archive).
type teeLimit struct {
	buf  *bytes.Buffer
	max  int
	file *os.File
}

func (t *teeLimit) Write(p []byte) (int, error) {
	if room := t.max - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(room, len(p))])
	}
	return t.file.Write(p)
}

// fileSHA256 hashes the file at its current content.
func fileSHA256(f *os.File) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ParseSHA256 checks a user-given SHA-256: 64 hex digits, optionally
// prefixed "sha256:".
func ParseSHA256(s string) (string, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"))
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("ruleset: %q is not a SHA-256 (64 hex digits)", s)
	}
	return h, nil
}
