package jsonfmt

import (
	"encoding/json"
	"testing"
)

func TestNonNil(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, "[]"}, {[]string{}, "[]"}, {[]string{"a"}, `["a"]`}} {
		b, err := json.Marshal(NonNil(tc.in))
		if err != nil || string(b) != tc.want {
			t.Errorf("NonNil(%#v) marshals to %s, %v; want %s", tc.in, b, err, tc.want)
		}
	}
}
