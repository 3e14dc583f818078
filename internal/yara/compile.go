package yara

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// Source is one YARA rule file. Name becomes the namespace of its rules.
type Source struct {
	Name string
	Data []byte
}

// CompileError describes a rule (or a whole file, when Rule is empty)
// that could not be compiled and was skipped.
type CompileError struct {
	File   string
	Line   int
	Rule   string
	Reason string
}

func (e CompileError) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s:%d: rule %s: %s", e.File, e.Line, e.Rule, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Rules is a compiled, immutable rule set; it is safe for concurrent use.
type Rules struct {
	rules    []*rule
	patterns []*pattern
	table    atomTable
	globals  map[string][]int // namespace -> global rule indices
	pool     sync.Pool        // *scanner
	bufs     sync.Pool        // *[]byte input buffers of ScanReader
}

type rule struct {
	name, ns    string
	tags        []string
	meta        []metaEntry
	private     bool
	global      bool
	strs        []int // pattern indices, in definition order
	strIDs      []string
	strPrivate  []bool
	cond        *expr
	needsString bool // condition is false unless a string matched
	alwaysEval  bool // has strings the prefilter cannot see
}

// Len returns the number of compiled rules, private ones included.
func (r *Rules) Len() int { return len(r.rules) }

// RuleNames returns "namespace:rule" for every compiled rule, in
// compilation order.
func (r *Rules) RuleNames() []string {
	names := make([]string, len(r.rules))
	for i, ru := range r.rules {
		names[i] = ru.ns + ":" + ru.name
	}
	return names
}

// Compile compiles YARA sources. Rules that cannot be compiled are
// reported in the returned errors and skipped; all other rules work.
// Include statements are reported as errors (use CompileFS).
func Compile(sources ...Source) (*Rules, []CompileError) {
	return compile(sources, nil)
}

// CompileFS compiles every .yar and .yara file below root in fsys
// (recursively, in lexical order), each in its own namespace named by its
// path. Include statements are resolved relative to the including file
// inside fsys; an included file below root is also compiled on its own,
// as yara does for a rules directory.
func CompileFS(fsys fs.FS, root string) (*Rules, []CompileError) {
	return CompileRoots(Root{FS: fsys, Dir: root})
}

// Root is one rule folder for CompileRoots: the .yar/.yara files below Dir
// in FS. Prefix, when set, is put before each file's path in its namespace
// (and in compile errors), so folders with files of the same name stay
// apart.
type Root struct {
	FS     fs.FS
	Dir    string
	Prefix string
}

// CompileRoots compiles several rule folders into one rule set, so a scan
// makes one pass over the data for all of them. Includes resolve inside
// the including file's own folder tree.
func CompileRoots(roots ...Root) (*Rules, []CompileError) {
	var sources []Source
	var errs []CompileError
	owner := map[string]int{} // source name → index in roots
	for i, rt := range roots {
		name := func(p string) string {
			if rt.Prefix == "" {
				return p
			}
			return rt.Prefix + "/" + p
		}
		err := fs.WalkDir(rt.FS, rt.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, CompileError{File: name(p), Reason: err.Error()})
				return nil
			}
			ext := strings.ToLower(path.Ext(p))
			if d.IsDir() || (ext != ".yar" && ext != ".yara") {
				return nil
			}
			data, err := fs.ReadFile(rt.FS, p)
			if err != nil {
				errs = append(errs, CompileError{File: name(p), Reason: err.Error()})
				return nil
			}
			sources = append(sources, Source{Name: name(p), Data: data})
			owner[name(p)] = i
			return nil
		})
		if err != nil {
			errs = append(errs, CompileError{File: name(rt.Dir), Reason: err.Error()})
		}
	}
	include := func(from, name string) (string, []byte, error) {
		rt := roots[owner[from]]
		rel := strings.TrimPrefix(from, rt.Prefix+"/")
		if rt.Prefix == "" {
			rel = from
		}
		p := path.Clean(path.Join(path.Dir(rel), strings.ReplaceAll(name, `\`, "/")))
		if !fs.ValidPath(p) {
			return "", nil, fmt.Errorf("path outside of the rule folder")
		}
		data, err := fs.ReadFile(rt.FS, p)
		full := p
		if rt.Prefix != "" {
			full = rt.Prefix + "/" + p
		}
		owner[full] = owner[from]
		return full, data, err
	}
	rules, cerrs := compile(sources, include)
	return rules, append(errs, cerrs...)
}

func compile(sources []Source, include func(from, name string) (string, []byte, error)) (*Rules, []CompileError) {
	r := &Rules{globals: map[string][]int{}}
	b := newTableBuilder()
	var errs []CompileError
	for _, src := range sources {
		names := map[string]int{} // rule name -> index, -1 if broken
		p := &parser{
			lx:      &lexer{src: src.Data, line: 1},
			file:    src.Name,
			ns:      src.Name,
			imports: map[string]bool{},
			include: include,
			nameSet: map[string]bool{},
		}
		p.lookupRule = func(name string) (int, error) {
			idx, ok := names[name]
			switch {
			case !ok:
				return 0, fmt.Errorf("undefined identifier %q", name)
			case idx < 0:
				return 0, fmt.Errorf("depends on rule %q, which could not be compiled", name)
			}
			return idx, nil
		}
		p.emit = func(def *ruleDef) {
			if def.line < 0 {
				names[def.name] = -1
				return
			}
			if err := r.addRule(def, b); err != nil {
				names[def.name] = -1
				p.errs = append(p.errs, CompileError{File: p.file, Line: def.line, Rule: def.name, Reason: err.Error()})
				return
			}
			names[def.name] = len(r.rules) - 1
		}
		p.parseFile()
		errs = append(errs, p.errs...)
	}
	r.table = b.build()
	r.pool.New = func() any { return newScanner(r) }
	return r, errs
}

// addRule compiles the strings of a parsed rule and appends it.
func (r *Rules) addRule(def *ruleDef, b *tableBuilder) error {
	ru := &rule{
		name: def.name, ns: def.ns, tags: def.tags, meta: def.meta,
		private: def.private, global: def.global, cond: def.cond,
	}
	idx := len(r.rules)
	type compiled struct {
		p     *pattern
		atoms [][]byte
		key   string
	}
	var pats []compiled
	for _, s := range def.strings {
		key := patternKey(s)
		if _, ok := b.shared[key]; ok {
			pats = append(pats, compiled{key: key})
			continue
		}
		p, a, err := compilePattern(s)
		if err != nil {
			return err
		}
		pats = append(pats, compiled{p, a, key})
	}
	for i, c := range pats {
		pi, ok := b.shared[c.key]
		if !ok {
			pi = len(r.patterns)
			r.patterns = append(r.patterns, c.p)
			b.shared[c.key] = pi
			b.add(c.atoms, pi, c.p)
		}
		p := r.patterns[pi]
		if !slices.Contains(p.rules, idx) {
			p.rules = append(p.rules, idx)
		}
		ru.strs = append(ru.strs, pi)
		ru.strIDs = append(ru.strIDs, def.strings[i].id)
		ru.strPrivate = append(ru.strPrivate, def.strings[i].mods.private)
		if p.deferred && !p.hasAtoms {
			ru.alwaysEval = true
		}
	}
	ru.needsString = ru.cond.needsString()
	r.rules = append(r.rules, ru)
	if ru.global {
		r.globals[ru.ns] = append(r.globals[ru.ns], idx)
	}
	return nil
}
