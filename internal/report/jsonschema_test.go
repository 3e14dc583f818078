package report

import (
	"errors"

	"github.com/exhunt/exhunt/internal/schema"
)

// validateSchema checks doc against a JSON Schema document with exhunt's
// one validator, package schema (it knows the draft-04 keywords of the
// SARIF 2.1.0 schema), and returns its violations.
func validateSchema(schemaDoc, doc []byte) ([]string, error) {
	s, err := schema.Compile("test", schemaDoc)
	if err != nil {
		return nil, err
	}
	err = s.ValidateJSON(doc)
	var se *schema.Error
	if !errors.As(err, &se) {
		return nil, err
	}
	out := make([]string, 0, len(se.Violations))
	for _, v := range se.Violations {
		out = append(out, v.String())
	}
	return out, nil
}

// asSlice is v as a JSON array, nil if it is not one.
func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
