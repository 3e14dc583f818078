package filecheck

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
)

// The IOC lists are data with their sources (iocs/SOURCES.md); gen.sh
// rebuilds them from the shared corpus copies of the published sets.
//
//go:embed iocs/*.csv
var iocFS embed.FS

// HashIOC is one published hash of a 2021 Exchange web shell or tool.
type HashIOC struct {
	Hash   string // lower-case hex
	Type   string // sha256, sha1 or md5
	Name   string // what the source calls it, may be empty
	Source string // source ids, ';'-separated (see iocs/SOURCES.md)
}

// NameIOC is a published web-shell file name in the folder it was found in.
type NameIOC struct {
	Folder string // lower-case '/'-separated tail of the file's folder, e.g. "owa/auth/"
	Name   string
	Source string
}

// IOCs holds the hash and file-name indicators, indexed for lookup.
type IOCs struct {
	types  map[string]bool // hash types listed: only those are computed
	hashes map[string]HashIOC
	names  map[string][]NameIOC // by lower-case name
}

var hashLen = map[string]int{"sha256": 64, "sha1": 40, "md5": 32}

// ParseHashes reads a hash,type,name,source CSV (header first).
func ParseHashes(r io.Reader) ([]HashIOC, error) {
	var out []HashIOC
	err := readCSV(r, []string{"hash", "type", "name", "source"}, func(line int, rec []string) error {
		h := HashIOC{Hash: strings.ToLower(rec[0]), Type: rec[1], Name: rec[2], Source: rec[3]}
		n, ok := hashLen[h.Type]
		if !ok {
			return fmt.Errorf("line %d: unknown hash type %q", line, h.Type)
		}
		if len(h.Hash) != n || strings.Trim(h.Hash, "0123456789abcdef") != "" {
			return fmt.Errorf("line %d: %q is not a %s", line, rec[0], h.Type)
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// ParseNames reads a folder,name,source CSV (header first).
func ParseNames(r io.Reader) ([]NameIOC, error) {
	var out []NameIOC
	err := readCSV(r, []string{"folder", "name", "source"}, func(line int, rec []string) error {
		n := NameIOC{Folder: strings.ToLower(strings.Trim(rec[0], "/")) + "/", Name: rec[1], Source: rec[2]}
		if n.Name == "" || strings.ContainsAny(n.Name, `/\`) {
			return fmt.Errorf("line %d: bad file name %q", line, rec[1])
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

func readCSV(r io.Reader, header []string, fn func(line int, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	cr.Comment = '#'
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("filecheck: %w", err)
		}
		if first {
			first = false
			if !strings.EqualFold(strings.Join(rec, ","), strings.Join(header, ",")) {
				return fmt.Errorf("filecheck: header %q, want %q", strings.Join(rec, ","), strings.Join(header, ","))
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return fmt.Errorf("filecheck: %w", err)
		}
	}
}

// NewIOCs indexes hash and name indicators.
func NewIOCs(hashes []HashIOC, names []NameIOC) *IOCs {
	x := &IOCs{types: map[string]bool{}, hashes: map[string]HashIOC{}, names: map[string][]NameIOC{}}
	for _, h := range hashes {
		x.hashes[h.Hash] = h
		x.types[h.Type] = true
	}
	for _, n := range names {
		k := strings.ToLower(n.Name)
		x.names[k] = append(x.names[k], n)
	}
	return x
}

// builtinIOCs parses the embedded lists once.
var builtinIOCs = sync.OnceValues(func() (*IOCs, error) {
	hf, err := iocFS.Open("iocs/hashes.csv")
	if err != nil {
		return nil, err
	}
	defer hf.Close()
	hs, err := ParseHashes(hf)
	if err != nil {
		return nil, fmt.Errorf("iocs/hashes.csv: %w", err)
	}
	nf, err := iocFS.Open("iocs/names.csv")
	if err != nil {
		return nil, err
	}
	defer nf.Close()
	ns, err := ParseNames(nf)
	if err != nil {
		return nil, fmt.Errorf("iocs/names.csv: %w", err)
	}
	return NewIOCs(hs, ns), nil
})

// Lists reports whether any indicator is a hash of type t (sha256, sha1,
// md5): a file hunt computes SHA-1 and MD5 only when they can match.
func (x *IOCs) Lists(t string) bool { return x.types[t] }

// Hash returns the indicator listed for any of the given hex digests
// (empty ones are skipped).
func (x *IOCs) Hash(sums ...string) (HashIOC, bool) {
	for _, s := range sums {
		if s == "" {
			continue
		}
		if h, ok := x.hashes[strings.ToLower(s)]; ok {
			return h, true
		}
	}
	return HashIOC{}, false
}

// Name returns the indicator for a file at p ('/'-separated) whose name
// matches a published web shell found in that folder or below it
// (shells moved one folder down are no less suspicious).
func (x *IOCs) Name(p string) (NameIOC, bool) {
	l := strings.ToLower(strings.Trim(p, "/"))
	cands := x.names[path.Base(l)]
	dir := "/" + path.Dir(l) + "/"
	for _, n := range cands {
		if strings.Contains(dir, "/"+n.Folder) {
			return n, true
		}
	}
	return NameIOC{}, false
}
