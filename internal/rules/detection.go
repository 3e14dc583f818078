package rules

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// detection is a rule's compiled detection section.
type detection struct {
	sels  []selection
	names []string
	cond  *cond
}

// selection is one detection identifier: an OR of alternatives, each an
// AND of field conditions (a map is one alternative, a list of maps is
// several, a list of plain values is one keyword condition).
type selection struct {
	name string
	alts [][]fieldCond
}

// fieldCond is one "Field|modifiers: values" entry. field is "" for
// keywords, which are searched in every field value.
type fieldCond struct {
	field string
	all   bool // |all: every value must match instead of any
	ms    []valueMatcher
}

// errAt is a compile error with the YAML line it refers to.
type errAt struct {
	line int
	msg  string
}

func (e *errAt) Error() string { return e.msg }

func errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &errAt{line: line, msg: fmt.Sprintf(format, args...)}
}

func compileDetection(n *yaml.Node) (*detection, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, errorf(n, "detection must be a map")
	}
	d := &detection{}
	seen := map[string]bool{}
	budget := maxRuleValues
	var condNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "condition":
			condNode = v
			continue
		case "timeframe":
			continue // only meaningful with aggregations, which are refused below
		}
		if len(d.sels) >= maxSelections {
			return nil, errorf(k, "more than %d detection identifiers", maxSelections)
		}
		if seen[k.Value] {
			return nil, errorf(k, "detection identifier %q appears twice", k.Value)
		}
		seen[k.Value] = true
		s, err := compileSelection(k.Value, v, &budget)
		if err != nil {
			return nil, err
		}
		d.sels = append(d.sels, s)
		d.names = append(d.names, k.Value)
	}
	if condNode == nil {
		return nil, errorf(n, "detection has no condition")
	}
	var conds []string
	switch condNode.Kind {
	case yaml.ScalarNode:
		conds = []string{condNode.Value}
	case yaml.SequenceNode:
		for _, c := range condNode.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errorf(c, "condition list items must be strings")
			}
			conds = append(conds, c.Value)
		}
	default:
		return nil, errorf(condNode, "condition must be a string or a list of strings")
	}
	var kids []*cond
	for _, s := range conds {
		c, err := parseCondition(s, d.names)
		if err != nil {
			return nil, errorf(condNode, "%v", err)
		}
		kids = append(kids, c)
	}
	for _, k := range kids {
		orderByCost(d, k)
	}
	switch len(kids) {
	case 0:
		return nil, errorf(condNode, "empty condition list")
	case 1:
		d.cond = kids[0]
	default:
		// A list of conditions means any of them (Sigma v1).
		d.cond = &cond{op: opOr, kids: kids}
	}
	return d, nil
}

func compileSelection(name string, n *yaml.Node, budget *int) (selection, error) {
	s := selection{name: name}
	switch n.Kind {
	case yaml.MappingNode:
		alt, err := compileMap(n, budget)
		if err != nil {
			return s, err
		}
		s.alts = append(s.alts, alt)
	case yaml.SequenceNode:
		var keywords []*yaml.Node
		for _, item := range n.Content {
			switch item.Kind {
			case yaml.MappingNode:
				alt, err := compileMap(item, budget)
				if err != nil {
					return s, err
				}
				s.alts = append(s.alts, alt)
			case yaml.ScalarNode:
				keywords = append(keywords, item)
			default:
				return s, errorf(item, "selection %q: list items must be maps or plain values", name)
			}
		}
		if len(keywords) > 0 {
			fc, err := compileField("", nil, keywords, n, budget)
			if err != nil {
				return s, err
			}
			s.alts = append(s.alts, []fieldCond{fc})
		}
	case yaml.ScalarNode:
		fc, err := compileField("", nil, []*yaml.Node{n}, n, budget)
		if err != nil {
			return s, err
		}
		s.alts = append(s.alts, []fieldCond{fc})
	default:
		return s, errorf(n, "selection %q: unsupported YAML node (aliases are not supported)", name)
	}
	if len(s.alts) == 0 {
		return s, errorf(n, "selection %q is empty", name)
	}
	return s, nil
}

func compileMap(n *yaml.Node, budget *int) ([]fieldCond, error) {
	var alt []fieldCond
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errorf(k, "field names must be strings")
		}
		parts := strings.Split(k.Value, "|")
		field, mods := parts[0], parts[1:]
		var values []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			values = []*yaml.Node{v}
		case yaml.SequenceNode:
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					return nil, errorf(item, "field %q: values must be plain values, not nested lists or maps", field)
				}
				values = append(values, item)
			}
			if len(values) == 0 {
				return nil, errorf(v, "field %q: empty value list", field)
			}
		default:
			return nil, errorf(v, "field %q: nested maps are not supported", field)
		}
		fc, err := compileField(field, mods, values, k, budget)
		if err != nil {
			return nil, err
		}
		alt = append(alt, fc)
	}
	if len(alt) == 0 {
		return nil, errorf(n, "empty map in detection")
	}
	return alt, nil
}

// orderByCost puts the cheap operands of and/or first (field tests before
// keyword searches), so evaluation short-circuits early. Reordering does
// not change the result: the operands have no side effects.
func orderByCost(d *detection, n *cond) int {
	switch n.op {
	case opSel:
		cost := 1
		for _, alt := range d.sels[n.sel].alts {
			for _, fc := range alt {
				cost += len(fc.ms)
				if fc.field == "" {
					cost += 20 * len(fc.ms)
				}
			}
		}
		return cost
	case opNot:
		return orderByCost(d, n.kids[0])
	}
	costs := make(map[*cond]int, len(n.kids))
	total := 0
	for _, k := range n.kids {
		costs[k] = orderByCost(d, k)
		total += costs[k]
	}
	slices.SortStableFunc(n.kids, func(a, b *cond) int { return costs[a] - costs[b] })
	return total
}
