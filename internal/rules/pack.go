package rules

import (
	"embed"
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
