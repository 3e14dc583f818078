package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bound the work one validation does on hostile input.
const (
	// MaxDepth is the deepest nesting of values and $refs checked.
	MaxDepth = 64
	// MaxViolations is how many violations are collected before
	// validation stops.
	MaxViolations = 20
	// MaxSize is the largest document ValidateJSON accepts, in bytes.
	// Callers bound their input earlier (http.MaxBytesReader).
	MaxSize = 256 << 20
)

// ErrMismatch is wrapped by every *Error: the document does not match
// the schema.
var ErrMismatch = errors.New("schema: document does not match")

// Violation is one failed rule, at a JSON Pointer (RFC 6901) into the
// document; "" is the document itself.
type Violation struct {
	Pointer string
	Message string
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + v.Message
}

// Error lists the violations found, in document order within each
// object's schema properties, at most MaxViolations of them.
type Error struct {
	Schema     string
	Violations []Violation
	Truncated  bool // validation stopped at MaxViolations
}

func (e *Error) Error() string {
	const shown = 5
	var b strings.Builder
	for i, v := range e.Violations {
		if i == shown {
			fmt.Fprintf(&b, "; and %d more", len(e.Violations)-shown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	if e.Truncated && len(e.Violations) <= shown {
		b.WriteString("; and more")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return ErrMismatch }

// ValidateJSON decodes data (numbers kept exact) and validates it.
func (s *Schema) ValidateJSON(data []byte) error {
	if len(data) > MaxSize {
		return &Error{Schema: s.name, Violations: []Violation{{Message: fmt.Sprintf("document larger than %d bytes", MaxSize)}}}
	}
	var v any
	if err := decode(data, &v); err != nil {
		return fmt.Errorf("schema %s: %w", s.name, err)
	}
	return s.Validate(v)
}

// Validate checks a decoded JSON value: nil, bool, string, json.Number
// or float64, []any and map[string]any, as encoding/json produces. It
// returns nil or an *Error.
func (s *Schema) Validate(v any) error {
	st := state{}
	st.check(s.root, v, "", 0)
	if len(st.violations) == 0 {
		return nil
	}
	return &Error{Schema: s.name, Violations: st.violations, Truncated: st.truncated}
}

type state struct {
	violations []Violation
	truncated  bool
}

func (st *state) fail(at, format string, args ...any) {
	if len(st.violations) >= MaxViolations {
		st.truncated = true
		return
	}
	st.violations = append(st.violations, Violation{Pointer: at, Message: fmt.Sprintf(format, args...)})
}

func (st *state) full() bool { return len(st.violations) >= MaxViolations }

func (st *state) check(n *node, v any, at string, depth int) {
	if st.full() {
		st.truncated = true
		return
	}
	if depth > MaxDepth {
		st.fail(at, "nested deeper than %d levels", MaxDepth)
		return
	}
	if n.target != nil {
		st.check(n.target, v, at, depth+1)
	}
	t := typeOf(v)
	if t == "" {
		st.fail(at, "unsupported Go value of type %T", v)
		return
	}
	if n.types != nil && !typeIn(t, n.types) {
		st.fail(at, "%s is not of type %s", show(v), orList(n.types))
		return // the other keywords would only repeat the mismatch
	}
	st.alternatives(n, v, at, depth)
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return equal(e, v) }) {
		if len(n.enum) == 1 {
			st.fail(at, "%s is not %s", show(v), show(n.enum[0]))
		} else {
			st.fail(at, "%s is not one of %s", show(v), enumList(n.enum))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		st.object(n, x, at, depth)
	case []any:
		st.array(n, x, at, depth)
	case string:
		st.format(n, x, at)
		if n.pattern != nil && !n.pattern.MatchString(x) {
			st.fail(at, "%s does not match pattern %s", show(v), n.pattern)
		}
	case json.Number, float64:
		f, _, _ := number(v)
		if n.min != nil && f < *n.min {
			st.fail(at, "%s is less than the minimum %v", show(v), *n.min)
		}
		if n.max != nil && f > *n.max {
			st.fail(at, "%s is greater than the maximum %v", show(v), *n.max)
		}
	}
}

// alternatives checks anyOf and oneOf: each alternative is checked on its
// own, and only the count of those v matches is reported.
func (st *state) alternatives(n *node, v any, at string, depth int) {
	for _, c := range []struct {
		kw   string
		alts []*node
	}{{"anyOf", n.anyOf}, {"oneOf", n.oneOf}} {
		if c.alts == nil {
			continue
		}
		pass := 0
		for _, a := range c.alts {
			sub := state{}
			sub.check(a, v, at, depth+1)
			if len(sub.violations) == 0 {
				pass++
			}
		}
		switch {
		case pass == 0:
			st.fail(at, "%s matches none of the %d schemas of %s", show(v), len(c.alts), c.kw)
		case c.kw == "oneOf" && pass > 1:
			st.fail(at, "%s matches %d of the schemas of oneOf, not exactly one", show(v), pass)
		}
	}
}

func (st *state) array(n *node, x []any, at string, depth int) {
	if len(x) < n.minItems {
		st.fail(at, "%d items, fewer than the minimum %d", len(x), n.minItems)
	}
	if n.unique {
		seen := make(map[string]int, len(x))
		for i, e := range x {
			b, err := json.Marshal(e) // maps marshal with sorted keys: one text per value
			if err != nil {
				continue
			}
			if j, dup := seen[string(b)]; dup {
				st.fail(at+"/"+strconv.Itoa(i), "duplicate of item %d (uniqueItems)", j)
			} else {
				seen[string(b)] = i
			}
		}
	}
	if n.items != nil {
		for i, e := range x {
			st.check(n.items, e, at+"/"+strconv.Itoa(i), depth+1)
		}
	}
}

func (st *state) format(n *node, x, at string) {
	switch n.format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
			st.fail(at, "%s is not an RFC 3339 date-time", show(x))
		}
	case "uri":
		if u, err := url.Parse(x); err != nil || u.Scheme == "" {
			st.fail(at, "%s is not an absolute URI", show(x))
		}
	case "uri-reference":
		if _, err := url.Parse(x); err != nil {
			st.fail(at, "%s is not a URI reference", show(x))
		}
	}
}

func (st *state) object(n *node, x map[string]any, at string, depth int) {
	for _, r := range n.required {
		if _, ok := x[r]; !ok {
			st.fail(at, "required property %q is missing", r)
		}
	}
	if n.props == nil && n.addl == nil && !n.addlFalse {
		return
	}
	// Sorted keys keep the messages stable from run to run.
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if st.full() {
			st.truncated = true
			return
		}
		if p, ok := n.props[k]; ok {
			st.check(p, x[k], at+"/"+escape(k), depth+1)
			continue
		}
		if p := foldMatch(n, k); p != "" {
			st.fail(at+"/"+escape(k), "property %q differs from %q only in case", k, p)
			continue
		}
		switch {
		case n.addlFalse:
			st.fail(at, "property %q is not allowed", k)
		case n.addl != nil:
			st.check(n.addl, x[k], at+"/"+escape(k), depth+1)
		}
	}
}

// foldMatch returns the declared property that k equals under Unicode
// case folding, or "". Go's encoding/json matches field names that way,
// so without this check {"Severity":"severe"} would pass the schema as an
// unknown property and then be decoded into the Severity field unchecked.
func foldMatch(n *node, k string) string {
	for _, p := range n.propNames {
		if strings.EqualFold(p, k) {
			return p
		}
	}
	return ""
}

// typeOf names v's JSON type; "" for a value JSON cannot hold.
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
	case json.Number, float64:
		if _, isInt, ok := number(x); !ok {
			return ""
		} else if isInt {
			return "integer"
		}
		return "number"
	}
	return ""
}

func typeIn(t string, want []string) bool {
	return slices.Contains(want, t) || (t == "integer" && slices.Contains(want, "number"))
}

// number reads a JSON number. Integers are numbers with a zero
// fractional part, as JSON Schema defines them (1.0 is an integer).
func number(v any) (f float64, isInt, ok bool) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false, false
		}
		return x, x == math.Trunc(x), true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return 0, false, false
			}
			// Out of float64 range: huge magnitudes are integral,
			// vanishing ones are not.
			return f, math.IsInf(f, 0), true
		}
		if !strings.ContainsAny(string(x), ".eE") {
			return f, true, true
		}
		return f, f == math.Trunc(f), true
	}
	return 0, false, false
}

func equal(e, v any) bool {
	switch x := e.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == x
	case string:
		s, ok := v.(string)
		return ok && s == x
	case float64:
		f, _, ok := number(v)
		return ok && f == x
	}
	return false
}

// show renders a value for a message, shortened.
func show(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	const max = 80
	if len(b) > max {
		i := max
		for i > 0 && !utf8.RuneStart(b[i]) {
			i--
		}
		return string(b[:i]) + "…"
	}
	return string(b)
}

func orList(ts []string) string {
	return strings.Join(ts, " or ")
}

func enumList(l []any) string {
	parts := make([]string, len(l))
	for i, e := range l {
		if s, ok := e.(string); ok {
			parts[i] = s
		} else {
			parts[i] = show(e)
		}
	}
	return strings.Join(parts, ", ")
}

// escape encodes one JSON Pointer reference token (RFC 6901 section 3).
func escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// decode is json.Unmarshal keeping numbers exact and refusing trailing
// data.
func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}
