package result

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/exhunt/exhunt/internal/finding"

	"github.com/exhunt/exhunt/internal/schema"
)

// defaults are the values given to contract fields a document left out,
// for the object itself and for the elements of its array properties.
type defaults struct {
	fields map[string]any
	items  map[string]defaults // property name → defaults of each element
}

// huntDefaults and scanDefaults: exhunt always writes every required field of the v1
// schemas (the drift tests in cmd/exhunt prove it), but hand-written
// documents and those of tools that emit the v1 shape loosely may leave
// some out. Import and upload accept those, as they did before the
// schemas existed, by filling in the empty value the Go decoder would
// have used. Fields that identify a result are never defaulted: host,
// target, a finding's rule and severity, a coverage source, an active
// check's check and result, a web shell's path and status. A missing or
// empty verdict is judged from the findings after validation (see
// [ValidateHunt]).
var (
	huntDefaults = defaults{
		fields: map[string]any{"verdict": string(finding.NoEvidence), "coverage": []any{}, "findings": []any{}},
		items: map[string]defaults{
			"findings": {fields: map[string]any{"title": "", "cves": []any{}, "attack": []any{}, "outcome": string(finding.Unknown), "source": "", "evidence": ""}},
			"coverage": {fields: map[string]any{"files": json.Number("0"), "records": json.Number("0"), "malformed": json.Number("0")}},
		},
	}
	scanDefaults = defaults{
		fields: map[string]any{
			"ip": "", "port": json.Number("0"), "exchange": false, "build": "", "build_methods": []any{},
			"product": "", "cu": "", "update": "", "cves": []any{}, "missing_updates": []any{},
			"active": []any{}, "webshells": []any{}, "tls": nil, "exposed": false, "webshelled": false, "error": "",
		},
		items: map[string]defaults{
			"active":    {fields: map[string]any{"evidence": "", "request": ""}},
			"webshells": {fields: map[string]any{"evidence": "", "http_status": json.Number("0")}},
		},
	}
)

// conform fills a copy of obj's missing fields from d and validates it
// against the schema get returns. The caller's obj is not changed.
func conform(get func() (*schema.Schema, error), obj map[string]any, d defaults, what string) error {
	s, err := get()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err) // an embedded schema is broken: a bug, not bad input
	}
	if err := s.Validate(fill(obj, d)); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	return nil
}

func fill(obj map[string]any, d defaults) map[string]any {
	out := maps.Clone(obj)
	for k, v := range d.fields {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	for k, id := range d.items {
		l, ok := out[k].([]any)
		if !ok {
			continue
		}
		nl := make([]any, len(l))
		for i, e := range l {
			if m, ok := e.(map[string]any); ok {
				nl[i] = fill(m, id)
			} else {
				nl[i] = e
			}
		}
		out[k] = nl
	}
	return out
}
