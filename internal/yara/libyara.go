//go:build yara_cgo && linux && cgo

package yara

import (
	"fmt"
	"sort"

	goyara "github.com/hillu/go-yara/v4"
)

// This file is built only with -tags yara_cgo (Linux, cgo, Debian
// libyara-dev 4.2 and github.com/hillu/go-yara/v4 v4.2.4). It offers the
// same Scan API on top of libyara, for full YARA compatibility where cgo
// is acceptable and as a reference in tests.

// LibRules is a rule set compiled by libyara.
type LibRules struct {
	rules *goyara.Rules
	n     int
}

var libVars = []string{"filename", "filepath", "extension", "filetype"}

func newLibCompiler() (*goyara.Compiler, error) {
	c, err := goyara.NewCompiler()
	if err != nil {
		return nil, err
	}
	for _, v := range libVars {
		if err := c.DefineVariable(v, ""); err != nil {
			return nil, err
		}
	}
	c.DisableIncludes()
	return c, nil
}

// CompileLibyara compiles sources with libyara. libyara cannot skip a
// single bad rule, so a source with an error is reported and skipped as a
// whole (CompileError.Rule is empty then).
func CompileLibyara(sources ...Source) (*LibRules, []CompileError) {
	var errs []CompileError
	c, err := newLibCompiler()
	if err != nil {
		return nil, []CompileError{{Reason: err.Error()}}
	}
	defer c.Destroy()
	for _, src := range sources {
		probe, err := newLibCompiler()
		if err != nil {
			return nil, []CompileError{{Reason: err.Error()}}
		}
		err = probe.AddString(string(src.Data), src.Name)
		for _, m := range probe.Errors {
			errs = append(errs, CompileError{File: src.Name, Line: m.Line, Reason: m.Text})
		}
		probe.Destroy()
		if err != nil {
			continue
		}
		if err := c.AddString(string(src.Data), src.Name); err != nil {
			errs = append(errs, CompileError{File: src.Name, Reason: err.Error()})
		}
	}
	rules, err := c.GetRules()
	if err != nil {
		return nil, append(errs, CompileError{Reason: err.Error()})
	}
	return &LibRules{rules: rules, n: len(rules.GetRules())}, errs
}

// Len returns the number of compiled rules.
func (r *LibRules) Len() int { return r.n }

// Scan matches data like (*Rules).Scan.
func (r *LibRules) Scan(data []byte, vars Vars) ([]Match, error) {
	s, err := goyara.NewScanner(r.rules)
	if err != nil {
		return nil, err
	}
	defer s.Destroy()
	for i, v := range []string{vars.Filename, vars.Filepath, vars.Extension, vars.Filetype} {
		if err := s.DefineVariable(libVars[i], v); err != nil {
			return nil, err
		}
	}
	var ms goyara.MatchRules
	if err := s.SetCallback(&ms).ScanMem(data); err != nil {
		return nil, fmt.Errorf("yara: libyara scan: %w", err)
	}
	out := make([]Match, 0, len(ms))
	for _, m := range ms {
		match := Match{Rule: m.Rule, Namespace: m.Namespace, Tags: m.Tags, Meta: map[string]string{}}
		for _, meta := range m.Metas {
			if _, dup := match.Meta[meta.Identifier]; !dup {
				match.Meta[meta.Identifier] = fmt.Sprint(meta.Value)
			}
		}
		for _, s := range m.Strings {
			d := s.Data
			if len(d) > MaxMatchData {
				d = d[:MaxMatchData]
			}
			match.Strings = append(match.Strings, StringMatch{ID: s.Name, Offset: int64(s.Base + s.Offset), Data: d})
		}
		sort.SliceStable(match.Strings, func(i, j int) bool { return match.Strings[i].ID < match.Strings[j].ID })
		out = append(out, match)
	}
	return out, nil
}
