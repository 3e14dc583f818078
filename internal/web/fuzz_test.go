package web

import (
	"net/url"
	"testing"
)

// FuzzFleetQuery: the host list's query string is untrusted. Parsing never
// panics, an accepted query stays in bounds, and the links the page builds
// from it parse back to the same query.
func FuzzFleetQuery(f *testing.F) {
	for _, s := range []string{"", "q=ex01&verdict=compromised&sort=findings&dir=desc&page=3&per=100",
		"exposure=exposed&kev=1&product=Exchange+Server+2016&build=15.1.2176.2", "page=0", "per=501", "sort=doc;drop",
		"q=%25_%5C&kev=0", "verdict=not-hunted&exposure=unknown-build&page=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseFleetQuery(v)
		if err != nil {
			return
		}
		if q.Page < 1 || q.Per < 1 || q.Per > maxPer || len(q.Search) > 255 {
			t.Fatalf("accepted out of bounds: %+v", q)
		}
		back, err := parseFleetQuery(q.values())
		if err != nil || back != q {
			t.Fatalf("%q: %+v → %q → %+v, %v", raw, q, q.values().Encode(), back, err)
		}
	})
}
