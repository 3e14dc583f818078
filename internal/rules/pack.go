package rules

import (
	"embed"
	"strings"
	"sync"
)

// pack holds the built-in rules, in the same Sigma format users write:
// pack/webserver (IIS), pack/exchange (Exchange HttpProxy, ECP,
// OABGenerator and cmdlet logs) and pack/windows (event logs). See the
// README.md in each folder.
//
//go:embed pack
var pack embed.FS

var builtin = sync.OnceValues(func() (*Set, []LoadError) {
	return LoadFS(pack, "pack")
})

// Builtin returns the embedded rule pack, parsed once on first use. Each
// call returns a new Set sharing the compiled rules, so callers may Merge
// their own rules into it without affecting other callers.
func Builtin() (*Set, []LoadError) {
	s, errs := builtin()
	return s.clone(), errs
}

// PackData returns a data file of the built-in pack's iocs folder
// (stock-aspx.csv, exchange-vdirs.txt, ...): lists the hunt uses next to
// the rules generated from them.
func PackData(name string) ([]byte, error) {
	return pack.ReadFile("pack/iocs/" + name)
}

// PackList returns the entries of a list in the pack's iocs folder: its
// lines, trimmed, without blank lines and # comments.
func PackList(name string) ([]string, error) {
	b, err := PackData(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range strings.Lines(string(b)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}
