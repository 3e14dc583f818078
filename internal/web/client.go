package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// ErrRejected is wrapped when the server refuses an upload for good (bad
// token, too large, invalid): retrying the same request cannot help.
var ErrRejected = errors.New("web: upload rejected")

// Client uploads results to an exhunt serve instance.
type Client struct {
	HTTP    *http.Client // nil: a client with a one-minute timeout
	Retries int          // attempts after the first on network errors and 5xx; 0: 4, negative: none
	Batch   int          // results per request; default 50
	Backoff time.Duration
}

var defaultHTTP = &http.Client{Timeout: time.Minute}

// Upload sends hunt results to the upload API at url (the server's base
// URL or the full /api/v1/results URL) with a bearer token. It retries
// network errors and 5xx answers: uploads are idempotent, so a retry after
// a lost acknowledgement stores nothing twice.
func Upload(ctx context.Context, url, token string, results []finding.HostResult) error {
	return (&Client{}).Upload(ctx, url, token, results)
}

// Upload sends results in batches; see the package function.
func (c *Client) Upload(ctx context.Context, url, token string, results []finding.HostResult) error {
	batch := c.Batch
	if batch <= 0 {
		batch = 50
	}
	for i := 0; i < len(results); i += batch {
		body, err := json.Marshal(results[i:min(i+batch, len(results))])
		if err != nil {
			return fmt.Errorf("web: encode results: %w", err)
		}
		if _, err := c.Post(ctx, url, token, body); err != nil {
			return err
		}
	}
	return nil
}

// Post sends one upload body (JSON object, array or JSON lines) and
// returns the server's acknowledgement.
func (c *Client) Post(ctx context.Context, url, token string, body []byte) (UploadResponse, error) {
	url = strings.TrimRight(url, "/")
	if !strings.HasSuffix(url, "/api/v1/results") {
		url += "/api/v1/results"
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	retries := c.Retries
	switch {
	case retries == 0:
		retries = 4
	case retries < 0:
		retries = 0
	}
	backoff := c.Backoff
	if backoff == 0 {
		backoff = 500 * time.Millisecond
	}
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return UploadResponse{}, ctx.Err()
			case <-time.After(backoff << (attempt - 1)):
			}
		}
		resp, retry, err := c.post(ctx, hc, url, token, body)
		if err == nil || !retry {
			return resp, err
		}
		last = err
	}
	return UploadResponse{}, fmt.Errorf("web: upload to %s failed after %d attempts: %w", url, retries+1, last)
}

func (c *Client) post(ctx context.Context, hc *http.Client, url, token string, body []byte) (UploadResponse, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return UploadResponse{}, false, fmt.Errorf("web: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return UploadResponse{}, ctx.Err() == nil, fmt.Errorf("web: upload: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return UploadResponse{}, true, fmt.Errorf("web: read answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e apiError
		json.Unmarshal(data, &e) //nolint:errcheck // a proxy may answer with HTML
		msg := e.Error
		if msg == "" {
			msg = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		err := fmt.Errorf("web: upload: %s: %s", res.Status, msg)
		if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
			return UploadResponse{}, true, err
		}
		return UploadResponse{}, false, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	var ack UploadResponse
	if err := json.Unmarshal(data, &ack); err != nil {
		return UploadResponse{}, true, fmt.Errorf("web: bad acknowledgement: %w", err)
	}
	return ack, false, nil
}
