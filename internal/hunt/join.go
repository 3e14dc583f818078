package hunt

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/finding"
)

// maxJoinIDs bounds the request ids the second pass looks for.
const maxJoinIDs = 4096

// joinRequests reads the Exchange logs a second time, only when some
// finding carries a request id, and attaches every other record with the
// same RequestId (the back-end side of a proxied request: what the SSRF
// reached; CSS-Exchange issue #92).
func (h *hostHunt) joinRequests(ctx context.Context) error {
	ids := map[string][]int{}
	for i, f := range h.findings {
		if id := f.Details["request_id"]; len(id) >= 8 && len(ids) < maxJoinIDs {
			ids[id] = append(ids[id], i)
		}
	}
	if len(ids) == 0 || len(h.exFiles) == 0 {
		return nil
	}
	needles := make([][]byte, 0, len(ids))
	for id := range ids {
		needles = append(needles, []byte(id))
	}
	filter := func(line []byte) bool {
		for _, n := range needles {
			if bytes.Contains(line, n) {
				return true
			}
		}
		return false
	}
	for _, f := range h.exFiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		_, err = exlog.Parse(ctx, rc, f.Path, exlog.Options{Filter: filter}, func(rec *evidence.Record) error {
			id, _ := rec.Fields.Get("RequestId")
			for _, i := range ids[id] {
				fi := &h.findings[i]
				if fi.Source == rec.Source && fi.Line == rec.Line {
					continue
				}
				if len(fi.Related) < 20 {
					fi.Related = append(fi.Related, finding.Ref{Source: rec.Source, Line: rec.Line, Time: rec.Time,
						Note: "same request: " + describe(rec)})
				}
			}
			return nil
		})
		rc.Close()
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// describe renders what a joined record says the request did.
func describe(rec *evidence.Record) string {
	var parts []string
	for _, k := range []string{"Protocol", "Method", "UrlStem", "UrlQuery", "HttpStatus", "TargetServer", "BackEndStatus", "AuthenticatedUser", "Cmdlet", "Parameters", "EventData"} {
		if v, ok := rec.Fields.Get(k); ok && v != "" && v != "-" {
			parts = append(parts, k+"="+v)
		}
	}
	return truncate(fmt.Sprintf("%s %s", rec.Log.Service, strings.Join(parts, " ")), 1024)
}
