package rules

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/internal/evidence"
	"gopkg.in/yaml.v3"
)

//go:embed logsource.yml
var logsourceYAML []byte

// sourceTable is logsource.yml decoded.
type sourceTable struct {
	Channels []struct {
		Name     string   `yaml:"name"`
		Services []string `yaml:"services"`
	} `yaml:"channels"`
	Services        map[string][]string `yaml:"services"`
	Categories      map[string][]target `yaml:"categories"`
	WebserverFields map[string][]string `yaml:"webserver_fields"`
	channelServices map[string][]string // lower-cased channel → record services
	webAlias        map[string][]string // sigma field → record fields
}

// target is one channel (and optional EventIDs) a Windows rule applies
// to, with the field aliases for records of that channel.
type target struct {
	Channel  string            `yaml:"channel"`
	EventIDs []string          `yaml:"eventids"`
	Fields   map[string]string `yaml:"fields"`
	alias    map[string][]string
}

var loadSourceTable = sync.OnceValues(func() (*sourceTable, error) {
	var t sourceTable
	if err := yaml.Unmarshal(logsourceYAML, &t); err != nil {
		return nil, fmt.Errorf("rules: logsource.yml: %w", err)
	}
	t.channelServices = map[string][]string{}
	for _, c := range t.Channels {
		t.channelServices[strings.ToLower(c.Name)] = c.Services
	}
	t.webAlias = t.WebserverFields
	for _, ts := range t.Categories {
		for i := range ts {
			ts[i].alias = map[string][]string{}
			for k, v := range ts[i].Fields {
				ts[i].alias[k] = []string{v}
			}
		}
	}
	return &t, nil
})

func mustSourceTable() *sourceTable {
	t, err := loadSourceTable()
	if err != nil {
		panic(err) // the table is embedded and covered by tests
	}
	return t
}

// ruleSource is a rule's logsource, compiled. windows is set when the
// rule's service or category is mapped to event-log channels; targets then
// lists where it applies. Otherwise the Sigma rule applies to records whose
// LogSource agrees on every key the rule sets.
type ruleSource struct {
	windows bool
	targets []target
}

func compileSource(ls evidence.LogSource) ruleSource {
	t := mustSourceTable()
	if ls.Product != "" && ls.Product != "windows" {
		return ruleSource{}
	}
	svc, hasSvc := t.Services[ls.Service]
	cat, hasCat := t.Categories[ls.Category]
	switch {
	case hasCat && (hasSvc || ls.Service == ""):
		var out []target
		for _, c := range cat {
			if !hasSvc || slices.ContainsFunc(svc, func(s string) bool { return strings.EqualFold(s, c.Channel) }) {
				out = append(out, c)
			}
		}
		return ruleSource{windows: true, targets: out}
	case hasSvc && ls.Category == "":
		var out []target
		for _, c := range svc {
			out = append(out, target{Channel: c})
		}
		return ruleSource{windows: true, targets: out}
	}
	return ruleSource{}
}

// isEventLog says whether records of ls come from a Windows event log.
func isEventLog(ls evidence.LogSource) bool {
	return ls.Product == "windows" && ls.Category == "" && ls.Service != "iis"
}

// targetsFor returns the targets of a windows rule whose channel records
// of ls can come from, or nil.
func (rs *ruleSource) targetsFor(ls evidence.LogSource) []target {
	if !isEventLog(ls) {
		return nil
	}
	t := mustSourceTable()
	var out []target
	for _, tg := range rs.targets {
		ch := strings.ToLower(tg.Channel)
		if ch == ls.Service || slices.Contains(t.channelServices[ch], ls.Service) {
			out = append(out, tg)
		}
	}
	return out
}

// AnyCategory, as the Category of the LogSource given to Set.ForSource,
// stands for every category: the Matcher then holds every rule that
// records of that product and service can meet, whatever category each
// record names. Its Candidate is the prefilter for a file whose records
// each carry their own category (an HttpProxy log whose rows name their
// protocol); match each record with the Matcher of its own LogSource.
const AnyCategory = "*"

// agrees applies Sigma's logsource semantics for non-Windows-mapped
// rules: every key the rule sets must equal the record's.
func agrees(rule, rec evidence.LogSource) bool {
	eq := func(r, v string) bool { return r == "" || strings.EqualFold(r, v) }
	return eq(rule.Product, rec.Product) && eq(rule.Service, rec.Service) &&
		(rec.Category == AnyCategory || eq(rule.Category, rec.Category))
}

// pick returns the target the record belongs to, checking the record's
// Channel and EventID fields when it has them.
func pick(targets []target, f evidence.Fields) (*target, bool) {
	ch, hasCh := f.Get("Channel")
	id, hasID := f.Get("EventID")
	for i := range targets {
		tg := &targets[i]
		if hasCh && !strings.EqualFold(strings.TrimSpace(ch), tg.Channel) {
			continue
		}
		if len(tg.EventIDs) > 0 && (!hasID || !slices.Contains(tg.EventIDs, strings.TrimSpace(id))) {
			continue
		}
		return tg, true
	}
	return nil, false
}
