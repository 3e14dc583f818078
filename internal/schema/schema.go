// Package schema holds the versioned JSON Schemas (draft 2020-12) of the
// result documents exhunt writes and accepts, hunt results and scan
// results, and validates decoded JSON values against them.
//
// The canonical schema files are v1/*.schema.json in this package,
// embedded into the binary; schema/*.v1.schema.json at the repository root
// are byte-identical published copies that TestPublishedCopies keeps in
// step (refresh them with `go test ./internal/schema -run
// TestPublishedCopies -update`). A breaking change means new v2 files,
// never an incompatible edit of v1.
//
// The validator supports exactly the keywords these schemas use: type
// (a name or a list of names), required, properties,
// additionalProperties (boolean or schema), items, enum and const of
// scalars, format "date-time" (checked as RFC 3339), minimum, maximum,
// pattern, and $ref to #/$defs/... ; and those the OASIS SARIF 2.1.0
// schema (draft-04) adds, so that the SARIF export is tested with the
// same validator: definitions (with $ref to #/definitions/...), id,
// minItems, uniqueItems, anyOf, oneOf, and format "uri" (absolute) and
// "uri-reference" (checked with net/url). Any other keyword is an error
// when a schema is compiled, so a schema can never silently ask for a
// check the validator does not make.
//
// One check goes beyond JSON Schema: an object key that is not a declared
// property but equals one under case folding ("Severity" for "severity")
// is a violation, because Go's encoding/json decodes such a key into the
// declared field and would so bypass the schema. It does no I/O.
package schema

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed v1/*.schema.json
var files embed.FS

// Names of the embedded schemas, also the base names of their published
// copies under schema/ (name + ".schema.json").
const (
	HuntResultV1 = "hunt-result.v1"
	ScanResultV1 = "scan-result.v1"
)

// paths maps a schema name to its embedded file.
var paths = map[string]string{
	HuntResultV1: "v1/hunt-result.schema.json",
	ScanResultV1: "v1/scan-result.schema.json",
}

// Names lists the embedded schemas.
func Names() []string {
	return []string{HuntResultV1, ScanResultV1}
}

// Source returns the embedded schema file of name.
func Source(name string) ([]byte, error) {
	p, ok := paths[name]
	if !ok {
		return nil, fmt.Errorf("schema: unknown schema %q", name)
	}
	return files.ReadFile(p)
}

var (
	huntV1 = sync.OnceValues(func() (*Schema, error) { return load(HuntResultV1) })
	scanV1 = sync.OnceValues(func() (*Schema, error) { return load(ScanResultV1) })
)

// HuntV1 returns the compiled hunt result schema, version 1.
func HuntV1() (*Schema, error) { return huntV1() }

// ScanV1 returns the compiled scan result schema, version 1.
func ScanV1() (*Schema, error) { return scanV1() }

func load(name string) (*Schema, error) {
	b, err := Source(name)
	if err != nil {
		return nil, err
	}
	return Compile(name, b)
}

// Schema is a compiled JSON Schema, safe for concurrent use.
type Schema struct {
	name string
	root *node
}

// Name is the schema's name, e.g. "hunt-result.v1".
func (s *Schema) Name() string { return s.name }

// node is one compiled (sub)schema.
type node struct {
	types     []string // nil: any type
	required  []string
	props     map[string]*node
	propNames []string // sorted keys of props
	addl      *node    // additionalProperties as a schema
	addlFalse bool     // additionalProperties: false
	items     *node
	minItems  int
	unique    bool    // uniqueItems
	anyOf     []*node // nil: no anyOf
	oneOf     []*node
	enum      []any // scalars: string, bool, nil, float64
	format    string
	min, max  *float64
	pattern   *regexp.Regexp
	ref       string
	target    *node // resolved ref
}

// annotations are keywords that only document; they are accepted and ignored.
var annotations = []string{"$schema", "$id", "id", "$comment", "title", "description", "examples", "default", "deprecated"}

// defsKeywords hold the named subschemas $ref points to: 2020-12's $defs
// and draft-04's definitions.
var defsKeywords = []string{"$defs", "definitions"}

// formats are the checked values of format.
var formats = []string{"date-time", "uri", "uri-reference"}

var typeNames = []string{"null", "boolean", "object", "array", "number", "string", "integer"}

// Compile parses a schema document. It fails on any keyword the
// validator does not implement and on a $ref it cannot resolve.
func Compile(name string, data []byte) (*Schema, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	c := compiler{defs: map[string]*node{}} // by $ref, "#/$defs/name"
	for _, kw := range defsKeywords {
		d, ok := doc[kw]
		if !ok {
			continue
		}
		dm, ok := d.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema %s: %s is not an object", name, kw)
		}
		for k := range dm {
			c.defs["#/"+kw+"/"+k] = &node{}
		}
		for k, v := range dm {
			if err := c.compileInto(c.defs["#/"+kw+"/"+k], v, "/"+kw+"/"+k); err != nil {
				return nil, fmt.Errorf("schema %s: %w", name, err)
			}
		}
	}
	root := &node{}
	if err := c.compileInto(root, doc, ""); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	for _, n := range c.refs {
		t, ok := c.defs[n.ref]
		if !ok {
			return nil, fmt.Errorf("schema %s: unresolvable $ref %q", name, n.ref)
		}
		n.target = t
	}
	return &Schema{name: name, root: root}, nil
}

type compiler struct {
	defs map[string]*node
	refs []*node
}

func (c *compiler) compile(v any, at string) (*node, error) {
	n := &node{}
	return n, c.compileInto(n, v, at)
}

func (c *compiler) compileInto(n *node, v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: a schema must be an object", at)
	}
	var err error
	for k, kv := range m {
		switch k {
		case "$defs", "definitions":
			if at != "" {
				return fmt.Errorf("%s: %s only at the root", at, k)
			}
		case "type":
			n.types, err = compileTypes(kv)
		case "required":
			n.required, err = stringList(kv)
		case "properties":
			pm, ok := kv.(map[string]any)
			if !ok {
				return fmt.Errorf("%s/properties: not an object", at)
			}
			n.props = make(map[string]*node, len(pm))
			for p, ps := range pm {
				if n.props[p], err = c.compile(ps, at+"/properties/"+escape(p)); err != nil {
					return err
				}
				n.propNames = append(n.propNames, p)
			}
			slices.Sort(n.propNames)
		case "additionalProperties":
			if b, ok := kv.(bool); ok {
				n.addlFalse = !b
			} else {
				n.addl, err = c.compile(kv, at+"/additionalProperties")
			}
		case "items":
			n.items, err = c.compile(kv, at+"/items")
		case "minItems":
			f, ok := kv.(float64)
			if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
				return fmt.Errorf("%s/minItems: not a whole number", at)
			}
			n.minItems = int(f)
		case "uniqueItems":
			if n.unique, ok = kv.(bool); !ok {
				return fmt.Errorf("%s/uniqueItems: not a boolean", at)
			}
		case "anyOf", "oneOf":
			l, ok := kv.([]any)
			if !ok || len(l) == 0 {
				return fmt.Errorf("%s/%s: not a non-empty array", at, k)
			}
			alts := make([]*node, len(l))
			for i, a := range l {
				if alts[i], err = c.compile(a, fmt.Sprintf("%s/%s/%d", at, k, i)); err != nil {
					return err
				}
			}
			if k == "anyOf" {
				n.anyOf = alts
			} else {
				n.oneOf = alts
			}
		case "enum":
			l, ok := kv.([]any)
			if !ok || len(l) == 0 {
				return fmt.Errorf("%s/enum: not a non-empty array", at)
			}
			for _, e := range l {
				if !scalar(e) {
					return fmt.Errorf("%s/enum: only scalar values are supported", at)
				}
			}
			n.enum = l
		case "const":
			if !scalar(kv) {
				return fmt.Errorf("%s/const: only scalar values are supported", at)
			}
			n.enum = []any{kv}
		case "format":
			f, _ := kv.(string)
			if !slices.Contains(formats, f) {
				return fmt.Errorf("%s/format: only %s are supported, not %v", at, strings.Join(formats, ", "), kv)
			}
			n.format = f
		case "minimum", "maximum":
			f, ok := kv.(float64)
			if !ok {
				return fmt.Errorf("%s/%s: not a number", at, k)
			}
			if k == "minimum" {
				n.min = &f
			} else {
				n.max = &f
			}
		case "pattern":
			s, ok := kv.(string)
			if !ok {
				return fmt.Errorf("%s/pattern: not a string", at)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return fmt.Errorf("%s/pattern: %w", at, err)
			}
		case "$ref":
			s, ok := kv.(string)
			if !ok {
				return fmt.Errorf("%s/$ref: not a string", at)
			}
			n.ref = s
			c.refs = append(c.refs, n)
		default:
			if !slices.Contains(annotations, k) {
				return fmt.Errorf("%s: unsupported keyword %q", at, k)
			}
		}
		if err != nil {
			return fmt.Errorf("%s/%s: %w", at, k, err)
		}
	}
	return nil
}

func compileTypes(v any) ([]string, error) {
	var ts []string
	switch x := v.(type) {
	case string:
		ts = []string{x}
	case []any:
		var err error
		if ts, err = stringList(x); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("not a string or an array of strings")
	}
	for _, t := range ts {
		if !slices.Contains(typeNames, t) {
			return nil, fmt.Errorf("unknown type %q", t)
		}
	}
	return ts, nil
}

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, errors.New("not an array")
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("not an array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, string, float64:
		return true
	}
	return false
}
