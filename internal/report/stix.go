package report

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/TcM1911/stix2"
	"github.com/exhunt/exhunt/internal/finding"
)

// ioc is one indicator of compromise taken from findings.
type ioc struct {
	kind, value string // ip, sha256, user_agent, file_name
	rules       []string
	first, last time.Time
	hosts       map[string]*sighting
}

type sighting struct {
	count       int64
	first, last time.Time
}

// iocs extracts indicators from findings of at least medium severity:
// lower ones are context, not something to block or hunt for elsewhere.
func iocs(hosts []Host) []*ioc {
	by := map[string]*ioc{}
	var order []string
	for _, h := range hosts {
		for _, f := range h.Result.Findings {
			if f.Severity.Rank() < finding.Medium.Rank() {
				continue
			}
			add := func(kind, v string) {
				if v == "" || len(v) > 2048 {
					return
				}
				k := kind + "|" + v
				o, ok := by[k]
				if !ok {
					o = &ioc{kind: kind, value: v, hosts: map[string]*sighting{}}
					by[k], order = o, append(order, k)
				}
				if !slices.Contains(o.rules, f.Rule) {
					o.rules = append(o.rules, f.Rule)
				}
				s := o.hosts[h.Result.Host]
				if s == nil {
					s = &sighting{}
					o.hosts[h.Result.Host] = s
				}
				s.count++
				widen(&s.first, &s.last, f.Time)
				widen(&o.first, &o.last, f.Time)
			}
			if ip := net.ParseIP(f.Details["client_ip"]); ip != nil {
				add("ip", ip.String())
			}
			if sum := strings.ToLower(f.Details["file_sha256"]); len(sum) == 64 && isHex(sum) {
				add("sha256", sum)
			}
			add("user_agent", f.Details["user_agent"])
			if f.Kind == finding.KindFile {
				add("file_name", f.Details["file_name"])
			}
		}
	}
	out := make([]*ioc, 0, len(order))
	for _, k := range order {
		out = append(out, by[k])
	}
	return out
}

func widen(first, last *time.Time, t time.Time) {
	if t.IsZero() {
		return
	}
	if first.IsZero() || t.Before(*first) {
		*first = t
	}
	if t.After(*last) {
		*last = t
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// stixQuote quotes a value for a STIX pattern string literal.
func stixQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

func (o *ioc) pattern() (pattern, name string) {
	v := stixQuote(o.value)
	switch o.kind {
	case "ip":
		if strings.Contains(o.value, ":") {
			return "[ipv6-addr:value = " + v + "]", "attacker IP " + o.value
		}
		return "[ipv4-addr:value = " + v + "]", "attacker IP " + o.value
	case "sha256":
		return "[file:hashes.'SHA-256' = " + v + "]", "malicious file SHA-256 " + o.value
	case "user_agent":
		return "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = " + v + "]", "attacker user agent"
	}
	return "[file:name = " + v + "]", "malicious file name " + o.value
}

// sco returns the cyber-observable an observed-data object can refer to.
func (o *ioc) sco() (stix2.STIXObject, error) {
	switch o.kind {
	case "ip":
		if strings.Contains(o.value, ":") {
			return stix2.NewIPv6Address(o.value)
		}
		return stix2.NewIPv4Address(o.value)
	case "sha256":
		return stix2.NewFile("", stix2.Hashes{stix2.SHA256: o.value})
	case "file_name":
		return stix2.NewFile(o.value, nil)
	}
	return nil, nil
}

// STIX writes a STIX 2.1 bundle: one identity per host, one indicator per
// IOC (attacker IP, file hash, user agent, web shell name), and per IOC and
// host an observed-data object and a sighting.
func STIX(w io.Writer, hosts []Host, opt Options) error {
	now := &stix2.Timestamp{Time: opt.now()}
	var objs []stix2.STIXObject
	idents := map[string]stix2.Identifier{}
	for _, h := range hosts {
		id, err := stix2.NewIdentity(h.Result.Host, stix2.OptionClass("system"),
			stix2.OptionDescription("Microsoft Exchange server, exhunt verdict: "+string(h.Result.Verdict)))
		if err != nil {
			return fmt.Errorf("report: stix identity: %w", err)
		}
		idents[h.Result.Host] = id.ID
		objs = append(objs, id)
	}
	for _, o := range iocs(hosts) {
		pattern, name := o.pattern()
		validFrom := now
		if !o.first.IsZero() {
			validFrom = &stix2.Timestamp{Time: o.first}
		}
		ind, err := stix2.NewIndicator(pattern, "stix", validFrom, stix2.OptionName(name),
			stix2.OptionTypes([]string{stix2.IndicatorTypeMaliciousActivity}),
			stix2.OptionDescription("seen by exhunt rules: "+strings.Join(o.rules, ", ")))
		if err != nil {
			return fmt.Errorf("report: stix indicator %s: %w", pattern, err)
		}
		objs = append(objs, ind)
		sco, err := o.sco()
		if err != nil {
			return fmt.Errorf("report: stix observable %s: %w", o.value, err)
		}
		if sco != nil {
			objs = append(objs, sco)
		}
		names := make([]string, 0, len(o.hosts))
		for host := range o.hosts {
			names = append(names, host)
		}
		slices.Sort(names)
		for _, host := range names {
			s := o.hosts[host]
			first, last := stamp(s.first, now), stamp(s.last, now)
			opts := []stix2.STIXOption{stix2.OptionWhereSighted([]stix2.Identifier{idents[host]}),
				stix2.OptionCount(s.count), stix2.OptionFirstSeen(first), stix2.OptionLastSeen(last)}
			if sco != nil {
				od, err := stix2.NewObservedData(first, last, s.count, []stix2.Identifier{sco.GetID()})
				if err != nil {
					return fmt.Errorf("report: stix observed-data: %w", err)
				}
				objs = append(objs, od)
				opts = append(opts, stix2.OptionObservedData([]stix2.Identifier{od.ID}))
			}
			sg, err := stix2.NewSighting(ind.ID, opts...)
			if err != nil {
				return fmt.Errorf("report: stix sighting: %w", err)
			}
			objs = append(objs, sg)
		}
	}
	b, err := stix2.NewBundle(objs...)
	if err != nil {
		return fmt.Errorf("report: stix bundle: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

func stamp(t time.Time, def *stix2.Timestamp) *stix2.Timestamp {
	if t.IsZero() {
		return def
	}
	return &stix2.Timestamp{Time: t}
}
