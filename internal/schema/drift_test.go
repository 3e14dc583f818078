package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the published copies under schema/ from internal/schema/v1")

// TestPublishedCopies fails when schema/<name>.schema.json at the
// repository root differs from the embedded canonical file.
func TestPublishedCopies(t *testing.T) {
	for _, name := range Names() {
		want, err := Source(name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "schema", name+".schema.json")
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/schema -run TestPublishedCopies -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from internal/schema/%s: edit the embedded file, then run go test ./internal/schema -run TestPublishedCopies -update", path, paths[name])
		}
	}
}

// TestFieldsCovered fails when a Go result type has a JSON field the
// schema does not describe, or describes with an incompatible type, so a
// field added in Go without the schema breaks CI.
func TestFieldsCovered(t *testing.T) {
	test := func(name string, typ reflect.Type, want int) {
		t.Helper()
		errs := uncovered(t, name, typ)
		if len(errs) != want {
			t.Errorf("%s against %s: %d problems, want %d:\n%s", typ, name, len(errs), want, strings.Join(errs, "\n"))
		}
	}
	test(HuntResultV1, reflect.TypeFor[finding.HostResult](), 0)
	test(ScanResultV1, reflect.TypeFor[scan.Result](), 0)
	// The check itself: a field missing from the schema and a changed
	// type are both caught.
	type drifted struct {
		Host    string `json:"host"`
		Verdict int    `json:"verdict"`
		New     string `json:"new_field,omitempty"`
	}
	test(HuntResultV1, reflect.TypeFor[drifted](), 2)
}

type walker struct {
	root map[string]any
	errs []string
}

func (w *walker) errorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// uncovered lists what the schema name lacks for the Go type typ.
func uncovered(t *testing.T, name string, typ reflect.Type) []string {
	t.Helper()
	src, err := Source(name)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(src, &root); err != nil {
		t.Fatal(err)
	}
	w := walker{root: root}
	w.walk(root, typ, typ.String())
	return w.errs
}

func (w *walker) resolve(s map[string]any) map[string]any {
	if ref, ok := s["$ref"].(string); ok {
		defs := w.root["$defs"].(map[string]any)
		return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	return s
}

func types(s map[string]any) []string {
	switch x := s["type"].(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// walk checks the struct typ against the object schema s.
func (w *walker) walk(s map[string]any, typ reflect.Type, at string) {
	s = w.resolve(s)
	props, _ := s["properties"].(map[string]any)
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			w.walk(s, f.Type, at)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ps, ok := props[name].(map[string]any)
		if !ok {
			w.errorf("%s: field %s (json %q) is not in the schema's properties", at, f.Name, name)
			continue
		}
		w.field(ps, f.Type, at+"."+name)
	}
}

func (w *walker) field(s map[string]any, typ reflect.Type, at string) {
	s = w.resolve(s)
	ts := types(s)
	want := func(names ...string) {
		for _, n := range names {
			if !slices.Contains(ts, n) {
				w.errorf("%s: Go type %s, schema type %v lacks %q", at, typ, ts, n)
			}
		}
	}
	if typ == reflect.TypeFor[time.Time]() {
		want("string")
		if s["format"] != "date-time" {
			w.errorf("%s: a time.Time wants format date-time", at)
		}
		return
	}
	switch typ.Kind() {
	case reflect.String:
		want("string")
	case reflect.Bool:
		want("boolean")
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint16:
		want("integer")
	case reflect.Slice:
		want("array", "null")
		if items, ok := s["items"].(map[string]any); ok {
			w.field(items, typ.Elem(), at+"[]")
		} else {
			w.errorf("%s: array without items", at)
		}
	case reflect.Map:
		want("object", "null")
		if addl, ok := s["additionalProperties"].(map[string]any); ok {
			w.field(addl, typ.Elem(), at+"{}")
		} else {
			w.errorf("%s: map without an additionalProperties schema", at)
		}
	case reflect.Pointer:
		want("object", "null")
		w.walk(s, typ.Elem(), at)
	case reflect.Struct:
		want("object")
		w.walk(s, typ, at)
	default:
		w.errorf("%s: Go kind %s not handled by this test", at, typ.Kind())
	}
}
