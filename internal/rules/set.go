package rules

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/internal/evidence"
)

// Set is a collection of compiled rules with unique ids. Rules are
// immutable once loaded, so a Set and its Matchers may be used from many
// goroutines; Merge must not run concurrently with other methods.
type Set struct {
	rules []*Rule
	byID  map[string]int

	mu       sync.Mutex
	matchers map[evidence.LogSource]*Matcher
}

// NewSet returns a Set holding rules; a later rule replaces an earlier one
// with the same id, and each replacement is reported.
func NewSet(rules ...*Rule) (*Set, []LoadError) {
	s := &Set{byID: map[string]int{}}
	var errs []LoadError
	for _, r := range rules {
		if e, dup := s.add(r); dup {
			errs = append(errs, e)
		}
	}
	return s, errs
}

func (s *Set) add(r *Rule) (LoadError, bool) {
	if s.byID == nil {
		s.byID = map[string]int{}
	}
	if i, ok := s.byID[r.ID]; ok {
		old := s.rules[i]
		s.rules[i] = r
		return LoadError{Path: r.Path, Line: r.Line, RuleID: r.ID, Title: r.Title,
			Reason: fmt.Sprintf("duplicate id: replaces the rule from %s", old.Path)}, true
	}
	s.byID[r.ID] = len(s.rules)
	s.rules = append(s.rules, r)
	return LoadError{}, false
}

// Merge adds o's rules to s. A rule of o replaces the rule of s with the
// same id (user rules override built-in ones); each replacement is
// returned as a LoadError.
func (s *Set) Merge(o *Set) []LoadError {
	if o == nil {
		return nil
	}
	var errs []LoadError
	for _, r := range o.rules {
		if e, dup := s.add(r); dup {
			errs = append(errs, e)
		}
	}
	s.mu.Lock()
	s.matchers = nil
	s.mu.Unlock()
	return errs
}

// Rules returns the rules ordered by id.
func (s *Set) Rules() []*Rule {
	out := slices.Clone(s.rules)
	slices.SortFunc(out, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// clone returns a Set sharing s's (immutable) rules.
func (s *Set) clone() *Set {
	c := &Set{rules: slices.Clone(s.rules), byID: make(map[string]int, len(s.byID))}
	for k, v := range s.byID {
		c.byID[k] = v
	}
	return c
}

// LoadFS loads every .yml and .yaml file under root in fsys, recursively,
// in lexical order. Files larger than the 1 MiB limit are reported and
// skipped without being read whole.
func LoadFS(fsys fs.FS, root string) (*Set, []LoadError) {
	s := &Set{byID: map[string]int{}}
	var errs []LoadError
	walkErr := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, LoadError{Path: p, Reason: err.Error()})
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(path.Ext(p))
		if d.IsDir() || (ext != ".yml" && ext != ".yaml") {
			return nil
		}
		data, err := readLimited(fsys, p)
		if err != nil {
			errs = append(errs, LoadError{Path: p, Reason: err.Error()})
			return nil
		}
		rules, perrs := Parse(p, data)
		errs = append(errs, perrs...)
		for _, r := range rules {
			if e, dup := s.add(r); dup {
				errs = append(errs, e)
			}
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, LoadError{Path: root, Reason: walkErr.Error()})
	}
	return s, errs
}

func readLimited(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is larger than the limit of %d bytes", maxFileSize)
	}
	return data, nil
}

// Matcher runs the subset of a Set's rules that apply to records of one
// LogSource. Get it once per file or channel with Set.ForSource.
type Matcher struct {
	entries []entry
	pre     *prefilter
	sel     *selector
}

type entry struct {
	id      int // the rule's number in the Set (its place in Rules())
	rule    *Rule
	windows bool     // check the record's Channel and EventID against targets
	targets []target // for windows rules
	alias   map[string][]string
}

// ForSource returns the Matcher for records of ls: rules whose logsource
// applies (for Windows event logs, by channel and EventID through the
// mapping table in logsource.yml; otherwise Sigma's rule that every key the
// rule sets must agree). Matchers are cached per LogSource.
func (s *Set) ForSource(ls evidence.LogSource) *Matcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.matchers[ls]; ok {
		return m
	}
	m := s.buildMatcher(ls)
	if s.matchers == nil {
		s.matchers = map[evidence.LogSource]*Matcher{}
	}
	s.matchers[ls] = m
	return m
}

func (s *Set) buildMatcher(ls evidence.LogSource) *Matcher {
	t := mustSourceTable()
	var web map[string][]string
	if strings.EqualFold(ls.Category, "webserver") {
		web = t.webAlias
	}
	m := &Matcher{}
	for id, r := range s.Rules() {
		switch {
		case r.ls.windows:
			if tg := r.ls.targetsFor(ls); len(tg) > 0 {
				m.entries = append(m.entries, entry{id: id, rule: r, windows: true, targets: tg})
			}
		case agrees(r.LogSource, ls):
			m.entries = append(m.entries, entry{id: id, rule: r, alias: web})
		}
	}
	m.pre = buildPrefilter(m.entries)
	if m.pre != nil {
		m.sel = buildSelector(m.entries)
	}
	return m
}

// Len returns the number of rules the Matcher runs.
func (m *Matcher) Len() int { return len(m.entries) }

// Rules returns the rules the Matcher runs, ordered by id.
func (m *Matcher) Rules() []*Rule {
	out := make([]*Rule, len(m.entries))
	for i := range m.entries {
		out[i] = m.entries[i].rule
	}
	return out
}

// Match calls fn, in rule id order, for each rule of the Matcher that
// matches rec.
func (m *Matcher) Match(rec *evidence.Record, fn func(*Rule)) {
	m.MatchSelected(rec, nil, fn)
}

// MatchSelected is Match for the rules s selects (see Select); a nil s
// selects all. It calls fn for exactly the rules Match would, faster.
func (m *Matcher) MatchSelected(rec *evidence.Record, s *Selection, fn func(*Rule)) {
	if rec == nil || rec.Fields == nil {
		return
	}
	c := newEvalCtx(rec.Fields)
	defer c.release()
	for i := range m.entries {
		e := &m.entries[i]
		if s != nil && !s.selected(e.id) {
			continue
		}
		c.alias, c.alias2 = e.alias, nil
		if e.windows {
			tg, ok := pick(e.targets, rec.Fields)
			if !ok {
				continue
			}
			c.alias2 = tg.alias
		}
		if c.eval(e.rule.det, e.rule.det.cond) {
			fn(e.rule)
		}
	}
}
