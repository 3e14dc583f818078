package scan_test

import (
	"fmt"

	"github.com/exhunt/exhunt/internal/scan"
)

// Targets expands arguments, files or stdin into host:port targets; a
// Shard keeps a stable part of them wherever it runs.
func ExampleTargets() {
	in := []scan.Input{{Name: "argument", Args: []string{"10.0.0.0/31", "mail.example.com:8443", "https://owa.example.org/owa/"}}}
	for t, err := range scan.Targets(in, []int{443}) {
		if err != nil {
			fmt.Println("bad:", err)
			continue
		}
		fmt.Printf("%d %s %q\n", t.Ordinal, t.Key(), t.Scheme)
	}
	// Output:
	// 0 10.0.0.0:443 ""
	// 1 10.0.0.1:443 ""
	// 2 mail.example.com:8443 ""
	// 3 owa.example.org:443 "https"
}
