package report

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// schemaValidator checks a JSON document against a JSON Schema draft-04
// document, covering the keywords the SARIF 2.1.0 schema uses: $ref (local),
// type, properties, additionalProperties, required, items, minItems,
// uniqueItems, minimum, maximum, enum, pattern, anyOf, oneOf. Keywords it
// does not know (format, default, description) are ignored.
type schemaValidator struct {
	root map[string]any
	errs []string
}

func validateSchema(schema, doc []byte) ([]string, error) {
	var root, v any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	sv := &schemaValidator{root: root.(map[string]any)}
	sv.check(sv.root, v, "$")
	return sv.errs, nil
}

func (sv *schemaValidator) fail(at, format string, args ...any) {
	sv.errs = append(sv.errs, at+": "+fmt.Sprintf(format, args...))
}

func (sv *schemaValidator) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		cur := any(sv.root)
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[p]
		}
		s = cur.(map[string]any)
	}
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	}
	return "unknown"
}

func (sv *schemaValidator) check(s map[string]any, v any, at string) {
	s = sv.resolve(s)
	if t, ok := s["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, y := range x {
				types = append(types, y.(string))
			}
		}
		got := typeOf(v)
		if !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			sv.fail(at, "type %s, want %v", got, types)
			return
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
		sv.fail(at, "%v not in enum %v", v, e)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, ok := s[key].([]any)
		if !ok {
			continue
		}
		pass := 0
		for _, a := range alts {
			sub := &schemaValidator{root: sv.root}
			sub.check(a.(map[string]any), v, at)
			if len(sub.errs) == 0 {
				pass++
			}
		}
		if pass == 0 || (key == "oneOf" && pass != 1) {
			sv.fail(at, "%s: %d alternatives match", key, pass)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				sv.fail(at, "missing required %q", r)
			}
		}
		for k, val := range x {
			if ps, ok := props[k].(map[string]any); ok {
				sv.check(ps, val, at+"."+k)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					sv.fail(at, "property %q not allowed", k)
				}
			case map[string]any:
				sv.check(ap, val, at+"."+k)
			}
		}
	case []any:
		if m, ok := s["minItems"].(float64); ok && float64(len(x)) < m {
			sv.fail(at, "%d items, want at least %v", len(x), m)
		}
		if u, _ := s["uniqueItems"].(bool); u {
			seen := map[string]bool{}
			for _, it := range x {
				b, _ := json.Marshal(it)
				if seen[string(b)] {
					sv.fail(at, "duplicate item %s", b)
				}
				seen[string(b)] = true
			}
		}
		if is, ok := s["items"].(map[string]any); ok {
			for i, it := range x {
				sv.check(is, it, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			sv.fail(at, "%v below minimum %v", x, m)
		}
		if m, ok := s["maximum"].(float64); ok && x > m {
			sv.fail(at, "%v above maximum %v", x, m)
		}
	case string:
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(x) {
				sv.fail(at, "%q does not match %s", x, p)
			}
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
