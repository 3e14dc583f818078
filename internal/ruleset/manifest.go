package ruleset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/rules"
	"github.com/exhunt/exhunt/internal/yara"
)

// Installed describes one installed community rule set (an entry of
// manifest.json and a row of `exhunt rules list`).
type Installed struct {
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	Version   string    `json:"version"`            // release tag, or "local file"
	Published time.Time `json:"published,omitzero"` // release date (file time with --from)
	Source    string    `json:"source"`             // URL or file installed from
	SHA256    string    `json:"sha256"`             // of the archive
	Checksum  string    `json:"checksum"`           // how SHA256 was verified (Check*)
	Installed time.Time `json:"installed,omitzero"` // when
	Files     int       `json:"files"`              // rule files unpacked
	Rules     int       `json:"rules"`              // rules that compiled
	Unusable  []Problem `json:"unusable"`           // rules (or files) that did not, and why
	Path      string    `json:"path,omitempty"`     // folder, filled by List
}

// Problem is a rule, or a whole file, that cannot be used.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Rule != "" {
		return fmt.Sprintf("%s: rule %s: %s", loc, p.Rule, p.Reason)
	}
	return loc + ": " + p.Reason
}

type manifest struct {
	Sets []Installed `json:"sets"`
}

const manifestName = "manifest.json"

// List returns the installed sets of data directory dir, sorted by name;
// none (and no error) when nothing was ever installed.
func List(dir string) ([]Installed, error) {
	root := RulesDir(dir)
	m, err := readManifest(root)
	if err != nil {
		return nil, err
	}
	out := m.Sets[:0]
	for _, in := range m.Sets {
		in.Path = filepath.Join(root, in.Name)
		if st, err := os.Stat(in.Path); err != nil || !st.IsDir() {
			continue // removed by hand: not installed any more
		}
		out = append(out, in)
	}
	return out, nil
}

func readManifest(root string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(root, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("ruleset: %s: %w", filepath.Join(root, manifestName), err)
	}
	return m, nil
}

// saveEntry records in in the manifest, replacing the entry of the same
// name, through a temporary file so a crash never leaves half a manifest.
func saveEntry(root string, in Installed) error {
	m, err := readManifest(root)
	if err != nil {
		return err
	}
	in.Path = ""
	m.Sets = slices.DeleteFunc(m.Sets, func(x Installed) bool { return x.Name == in.Name })
	m.Sets = append(m.Sets, in)
	slices.SortFunc(m.Sets, func(a, b Installed) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(root, ".manifest-*.json")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(root, manifestName))
}

// compile loads the unpacked set at dir with exhunt's engines and fills
// in.Files, in.Rules and in.Unusable.
func compile(kind Kind, dir string, in *Installed) error {
	switch kind {
	case YARA:
		files, err := ruleFiles(dir, []string{".yar", ".yara"})
		if err != nil {
			return err
		}
		in.Files = len(files)
		r, errs := yara.CompileRoots(yara.Root{FS: os.DirFS(dir), Dir: "."})
		if r != nil {
			in.Rules = r.Len()
		}
		in.Unusable = []Problem{}
		for _, e := range errs {
			in.Unusable = append(in.Unusable, Problem{File: e.File, Line: e.Line, Rule: e.Rule, Reason: e.Reason})
		}
	case Sigma:
		files, err := ruleFiles(dir, []string{".yml", ".yaml"})
		if err != nil {
			return err
		}
		in.Files = len(files)
		set, errs := rules.LoadFS(os.DirFS(dir), ".")
		in.Rules = set.Len()
		in.Unusable = []Problem{}
		for _, e := range errs {
			rule := e.RuleID
			if e.Title != "" {
				rule = strings.TrimSpace(rule + " (" + e.Title + ")")
			}
			in.Unusable = append(in.Unusable, Problem{File: e.Path, Line: e.Line, Rule: rule, Reason: e.Reason})
		}
	default:
		return fmt.Errorf("ruleset: unknown kind %q", kind)
	}
	return nil
}
