// Package fetch is exhunt's one HTTP download: a GET whose status must be
// 200 and whose body is copied to a writer, bounded in size. kbfeed reads
// the CVE and KEV feeds with it, ruleset the community rule sets, queue
// the triage bundles of remote hunts.
//
// It sets no policy: which URLs may be fetched, how redirects are
// followed and how long a download may take are the caller's, in the
// *http.Client it passes and the checks it makes before.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge matches (errors.Is) the error for a response larger than
// Request.Limit, whose text says only the sizes: callers name the URL.
var ErrTooLarge = errors.New("fetch: response over the size limit")

type limitError string

func (e limitError) Error() string        { return string(e) }
func (e limitError) Is(target error) bool { return target == ErrTooLarge }

// StatusError is a response whose status was not 200 OK.
type StatusError struct {
	Code   int
	Status string // as the server sent it, e.g. "404 Not Found"
}

func (e *StatusError) Error() string { return "HTTP " + e.Status }

// Request is one download.
type Request struct {
	URL       string
	Accept    string // the Accept header; "" sends none
	UserAgent string // the User-Agent header; "" leaves Go's
	// Limit is the largest body accepted, in bytes; 0 means no bound.
	// A larger declared Content-Length fails before anything is read.
	Limit int64
}

// Get downloads r.URL with c and copies the body to w. It returns the
// response's Content-Type. It fails with a *StatusError on any status but
// 200, with ErrTooLarge past r.Limit (w may then hold the first part of
// the body), and with c's or w's error otherwise.
func Get(ctx context.Context, c *http.Client, r Request, w io.Writer) (contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return "", err
	}
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	if r.UserAgent != "" {
		req.Header.Set("User-Agent", r.UserAgent)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	body := io.Reader(resp.Body)
	if r.Limit > 0 {
		if resp.ContentLength > r.Limit {
			return "", limitError(fmt.Sprintf("%d bytes, over the %d-byte limit", resp.ContentLength, r.Limit))
		}
		body = io.LimitReader(resp.Body, r.Limit+1)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return "", err
	}
	if r.Limit > 0 && n > r.Limit {
		return "", limitError(fmt.Sprintf("over the %d-byte limit", r.Limit))
	}
	return resp.Header.Get("Content-Type"), nil
}
