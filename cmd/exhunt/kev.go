package main

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"strings"
	"sync"
)

// kevCSV is CISA's Known Exploited Vulnerabilities catalog, Exchange
// entries only, copied unchanged from shared/data/cisa-kev-exchange.csv
// (each row names its source: the KEV catalog as published in
// cisagov/kev-data). The fleet dashboard and `export --scans` flag KEV
// CVEs from it.
// TODO(issue 13): use the knowledge base's KEV table once it has one.
//
//go:embed kev.csv
var kevCSV []byte

var kevSet = sync.OnceValue(func() map[string]bool {
	rows, err := csv.NewReader(bytes.NewReader(kevCSV)).ReadAll()
	out := map[string]bool{}
	if err != nil {
		panic("kev.csv: " + err.Error()) // embedded and tested: cannot happen
	}
	for _, r := range rows[1:] {
		out[strings.ToUpper(strings.TrimSpace(r[0]))] = true
	}
	return out
})

// inKEV says whether CISA lists cve as exploited in the wild.
func inKEV(cve string) bool { return kevSet()[strings.ToUpper(cve)] }
