package jsonfmt

// NonNil returns s, or an empty slice when s is nil, so that a list field
// is written as [] and never as null: the JSON schemas and the readers
// of exhunt's output rely on it.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
