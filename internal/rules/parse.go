package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"gopkg.in/yaml.v3"
)

// Parse compiles the Sigma rules in one YAML file (several documents are
// allowed, with Sigma v1 "action: global/reset/repeat" collections).
// name is recorded as each rule's Path and in every LoadError. Rules that
// cannot be compiled, and documents exhunt does not run (correlations,
// filters), are returned as LoadErrors; the other rules still load.
func Parse(name string, data []byte) ([]*Rule, []LoadError) {
	if len(data) > maxFileSize {
		return nil, []LoadError{{Path: name, Reason: fmt.Sprintf("file is %d bytes, more than the limit of %d", len(data), maxFileSize)}}
	}
	var (
		rules  []*Rule
		errs   []LoadError
		global *yaml.Node
		prev   *yaml.Node
	)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		if n >= maxDocuments {
			errs = append(errs, LoadError{Path: name, Reason: fmt.Sprintf("more than %d YAML documents", maxDocuments)})
			break
		}
		var doc yaml.Node
		err := decode(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The decoder cannot resume after a syntax error.
			errs = append(errs, LoadError{Path: name, Line: yamlErrLine(err), Reason: "YAML: " + err.Error()})
			break
		}
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // empty document
		}
		if root.Kind != yaml.MappingNode {
			errs = append(errs, LoadError{Path: name, Line: root.Line, Reason: "a rule must be a YAML map"})
			continue
		}
		switch scalar(root, "action") {
		case "global":
			global = root
			continue
		case "reset":
			global = nil
			continue
		case "repeat":
			if prev == nil {
				errs = append(errs, LoadError{Path: name, Line: root.Line, Reason: "action: repeat without a previous rule"})
				continue
			}
			root = merge(prev, root)
		default:
			if global != nil {
				root = merge(global, root)
			}
		}
		prev = root
		r, lerr := compileRule(name, root)
		if lerr != nil {
			errs = append(errs, *lerr)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

// decode guards against a panic in the third-party YAML parser on hostile
// input: the rule file is reported instead of taking the hunt down.
func decode(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	return dec.Decode(doc)
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func compileRule(name string, root *yaml.Node) (*Rule, *LoadError) {
	r := &Rule{
		Path:        name,
		Line:        root.Line,
		ID:          scalar(root, "id"),
		Title:       scalar(root, "title"),
		Status:      scalar(root, "status"),
		Description: scalar(root, "description"),
		Author:      scalar(root, "author"),
		Date:        scalar(root, "date"),
		Modified:    scalar(root, "modified"),
	}
	fail := func(line int, format string, args ...any) *LoadError {
		if line == 0 {
			line = root.Line
		}
		return &LoadError{Path: name, Line: line, RuleID: r.ID, Title: r.Title, Reason: fmt.Sprintf(format, args...)}
	}
	if c := get(root, "correlation"); c != nil {
		return nil, fail(c.Line, "Sigma correlation rules (%s) are not supported: exhunt evaluates one record at a time", scalar(c, "type"))
	}
	if get(root, "filter") != nil && get(root, "detection") == nil {
		return nil, fail(0, "Sigma filter documents are not supported")
	}
	if r.ID == "" {
		return nil, fail(0, "rule has no id")
	}
	lvl := scalar(root, "level")
	switch {
	case lvl == "":
		r.Level = finding.Medium
	default:
		sev, err := finding.ParseSeverity(lvl)
		if err != nil {
			return nil, fail(get(root, "level").Line, "%v", err)
		}
		r.Level = sev
	}
	r.Tags = stringList(root, "tags")
	r.References = stringList(root, "references")
	r.FalsePositives = stringList(root, "falsepositives")
	if ls := get(root, "logsource"); ls != nil {
		if ls.Kind != yaml.MappingNode {
			return nil, fail(ls.Line, "logsource must be a map")
		}
		r.LogSource = evidence.LogSource{
			Product:  strings.ToLower(scalar(ls, "product")),
			Service:  strings.ToLower(scalar(ls, "service")),
			Category: strings.ToLower(scalar(ls, "category")),
		}
	}
	r.ls = compileSource(r.LogSource)
	det, err := compileDetection(get(root, "detection"))
	if err != nil {
		line := 0
		var ea *errAt
		if errors.As(err, &ea) {
			line = ea.line
		}
		return nil, fail(line, "%v", err)
	}
	r.det = det
	return r, nil
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar returns the string value of key, or "".
func scalar(n *yaml.Node, key string) string {
	v := get(n, key)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return ""
	}
	return v.Value
}

// stringList returns key as a list of strings; a single string is a list of
// one.
func stringList(n *yaml.Node, key string) []string {
	v := get(n, key)
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			return nil
		}
		return []string{v.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range v.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

// merge returns base with over's keys laid on top, merging maps
// recursively (Sigma v1 rule collections).
func merge(base, over *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: over.Line, Column: over.Column}
	out.Content = append(out.Content, base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		if k.Value == "action" {
			continue
		}
		replaced := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value != k.Value {
				continue
			}
			if old := out.Content[j+1]; old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode {
				v = merge(old, v)
			}
			out.Content[j+1] = v
			replaced = true
			break
		}
		if !replaced {
			out.Content = append(out.Content, k, v)
		}
	}
	// Drop the base's action key so a merged document is a plain rule.
	for j := 0; j+1 < len(out.Content); j += 2 {
		if out.Content[j].Value == "action" {
			out.Content = append(out.Content[:j:j], out.Content[j+2:]...)
			break
		}
	}
	return out
}
