package exchange

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/datadir"
)

// Save writes the knowledge base as a folder Load reads: builds.csv,
// cve-fixes.csv and kev.csv from kb, lifecycle.csv and cves.csv copied
// from the embedded data, and updated.txt with the time and sources. The
// folder is replaced whole (written beside it, then renamed), so a reader
// never sees half of an update.
func (kb *KB) Save(dir string, updated time.Time, sources []string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	tmp, err := os.MkdirTemp(parent, ".kb-new-")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	defer os.RemoveAll(tmp)
	dateOf := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	var rows [][]string
	for _, r := range kb.Releases {
		rows = append(rows, []string{r.Product, r.CU, r.Name, r.Build.String(), dateOf(r.Date), r.KB, r.Notes})
	}
	if err := writeCSV(filepath.Join(tmp, BuildsFile), []string{"product", "cu", "update_name", "build", "release_date", "kb", "notes"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, f := range kb.Fixes {
		b := f.Build.String()
		if f.NoBuild {
			b = "none"
		}
		rows = append(rows, []string{f.CVE, f.Product, f.CU, b, f.Update, f.Condition, f.Source, f.Notes})
	}
	if err := writeCSV(filepath.Join(tmp, FixesFile), []string{"cve", "product", "cu", "fixed_build", "update_name", "condition", "source", "notes"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, k := range kb.KEV {
		rows = append(rows, []string{k.CVE, k.DateAdded, k.Ransomware, k.Name, k.Source})
	}
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if err := writeCSV(filepath.Join(tmp, KEVFile), []string{"cve", "date_added", "known_ransomware_use", "name", "source"}, rows); err != nil {
		return err
	}
	for _, name := range []string{LifecycleFile, CVEsFile} {
		data, err := fs.ReadFile(embedded, "data/"+name)
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, name), data, 0o644)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrKB, err)
		}
	}
	meta := updated.UTC().Format(time.RFC3339) + "\n" + strings.Join(sources, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(tmp, UpdatedFile), []byte(meta), 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	if err := datadir.Replace(dir, tmp); err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	return nil
}

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	w := csv.NewWriter(f)
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %v", ErrKB, path, err)
	}
	return f.Close()
}

// Clone returns a copy of kb whose slices and maps can be changed without
// touching kb.
func (kb *KB) Clone() *KB {
	c := *kb
	c.Releases = slices.Clone(kb.Releases)
	c.Fixes = slices.Clone(kb.Fixes)
	c.KEV = make(map[string]KEVEntry, len(kb.KEV))
	for k, v := range kb.KEV {
		c.KEV[k] = v
	}
	return &c
}

// SortReleases restores the build order Assess relies on after rows were
// added.
func (kb *KB) SortReleases() {
	slices.SortStableFunc(kb.Releases, func(a, b Release) int { return a.Build.Compare(b.Build) })
}
