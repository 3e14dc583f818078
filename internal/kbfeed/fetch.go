package kbfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/fetch"
)

// The publishers' own feeds.
const (
	DefaultKEVURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	// DefaultCVEURL is the CVE Services API; %s is the CVE id. It returns
	// the record in CVE JSON 5, as cvelistV5 publishes it.
	DefaultCVEURL = "https://cveawg.mitre.org/api/cve/%s"
)

// Source says where an update reads the feeds from: the network (KEVURL,
// CVEURL) or, when Dir is set, a folder holding kev.json (or
// known_exploited_vulnerabilities.json) and CVE records (*.json, also in a
// cve/ subfolder) saved earlier.
type Source struct {
	KEVURL, CVEURL string
	Dir            string
	Client         *http.Client
	// Progress, when set, is told of each document read.
	Progress func(done, total int, what string)
}

// Result is what Update produced.
type Result struct {
	KB      *exchange.KB
	Report  Report
	Sources []string
}

// Update reads the feeds, the CVE records of every Exchange CVE the base
// knows or CISA lists plus extra, and merges them into a copy of base.
// Malformed documents are skipped and reported. It fails only when no
// document at all could be read.
func Update(ctx context.Context, base *exchange.KB, src Source, extra []string, now time.Time) (*Result, error) {
	res := &Result{}
	rep := &res.Report
	var kev *KEVCatalog
	if data, name, err := src.kevDocument(ctx); err != nil {
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", name, err))
	} else if c, err := ParseKEV(data); err != nil {
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", name, err))
	} else {
		kev = &c
		rep.Documents++
		res.Sources = append(res.Sources, fmt.Sprintf("CISA KEV catalog %s (%s): %d Exchange entries", c.Version, name, len(c.Exchange)))
	}
	var affected []Affected
	docs, err := src.cveDocuments(ctx, base, kev, extra)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		if src.Progress != nil {
			src.Progress(i+1, len(docs), d.name)
		}
		if d.err != nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", d.name, d.err))
			continue
		}
		a, notes, err := ParseCVERecord(d.data)
		if err != nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", d.name, err))
			continue
		}
		rep.Documents++
		affected = append(affected, a...)
		rep.Notes = append(rep.Notes, notes...)
	}
	if rep.Documents == 0 {
		return nil, fmt.Errorf("kbfeed: no feed document could be read (%s)", strings.Join(rep.Skipped, "; "))
	}
	if len(docs) > 0 {
		res.Sources = append(res.Sources, fmt.Sprintf("Microsoft CVE records (CVE JSON 5): %d read of %d", rep.Documents-btoi(kev != nil), len(docs)))
	}
	res.KB = Merge(base, affected, kev, now, rep)
	return res, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

type document struct {
	name string
	data []byte
	err  error
}

func (s Source) kevDocument(ctx context.Context) ([]byte, string, error) {
	if s.Dir != "" {
		for _, n := range []string{"kev.json", "known_exploited_vulnerabilities.json"} {
			p := filepath.Join(s.Dir, n)
			if data, err := readBounded(p); err == nil {
				return data, p, nil
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, p, err
			}
		}
		return nil, filepath.Join(s.Dir, "kev.json"), errors.New("no KEV catalog in the folder (kev.json or known_exploited_vulnerabilities.json)")
	}
	u := s.KEVURL
	if u == "" {
		u = DefaultKEVURL
	}
	data, err := s.get(ctx, u)
	return data, u, err
}

// cveDocuments lists and reads the CVE records to merge.
func (s Source) cveDocuments(ctx context.Context, base *exchange.KB, kev *KEVCatalog, extra []string) ([]document, error) {
	if s.Dir != "" {
		var paths []string
		for _, pattern := range []string{"*.json", "cve/*.json", "cves/*.json"} {
			m, _ := filepath.Glob(filepath.Join(s.Dir, pattern))
			paths = append(paths, m...)
		}
		var out []document
		for _, p := range paths {
			switch strings.ToLower(filepath.Base(p)) {
			case "kev.json", "known_exploited_vulnerabilities.json":
				continue
			}
			data, err := readBounded(p)
			out = append(out, document{p, data, err})
		}
		return out, nil
	}
	ids := map[string]bool{}
	for _, f := range base.Fixes {
		ids[f.CVE] = true
	}
	for id := range base.KEV {
		ids[id] = true
	}
	if kev != nil {
		for _, e := range kev.Exchange {
			ids[e.CVE] = true
		}
	}
	for _, id := range extra {
		id = strings.ToUpper(strings.TrimSpace(id))
		if !cveID.MatchString(id) {
			return nil, fmt.Errorf("kbfeed: %q is not a CVE id", id)
		}
		ids[id] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	u := s.CVEURL
	if u == "" {
		u = DefaultCVEURL
	}
	out := make([]document, 0, len(list))
	for _, id := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		url := fmt.Sprintf(u, id)
		data, err := s.get(ctx, url)
		out = append(out, document{url, data, err})
	}
	return out, nil
}

func (s Source) get(ctx context.Context, url string) ([]byte, error) {
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 60 * time.Second}
	}
	var b bytes.Buffer
	_, err := fetch.Get(ctx, c, fetch.Request{URL: url, Accept: "application/json", UserAgent: "exhunt-kb-update", Limit: maxDocument}, &b)
	if errors.Is(err, fetch.ErrTooLarge) {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDocument, maxDocument)
	}
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllBounded(f)
}

func readAllBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDocument, maxDocument)
	}
	return data, nil
}
