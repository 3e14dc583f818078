package exchange

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed data/*.csv
var embedded embed.FS

// File names of the knowledge base, embedded and in a --kb folder.
const (
	BuildsFile    = "builds.csv"
	FixesFile     = "cve-fixes.csv"
	LifecycleFile = "lifecycle.csv"
	CVEsFile      = "cves.csv"
	KEVFile       = "kev.csv"
	// UpdatedFile in a folder written by `exhunt kb update` holds the time
	// of the update (RFC 3339) on its first line, then the sources read.
	UpdatedFile = "updated.txt"
)

// ErrKB is wrapped by every knowledge-base loading error.
var ErrKB = errors.New("exchange: knowledge base")

// Release is one row of builds.csv: a CU, SU or HU.
type Release struct {
	Product string
	CU      string
	Name    string // CU name for the CU itself, else the SU/HU label (Mar21SU)
	Build   Build
	Date    time.Time // zero when unknown
	KB      string
	Notes   string
}

// IsCU says whether the row is the CU (or RTM/SP) release itself.
func (r Release) IsCU() bool { return r.Name == r.CU }

// Fix is one row of cve-fixes.csv: the first fixed build of a CVE in a CU line.
type Fix struct {
	CVE       string
	Product   string
	CU        string
	Build     Build // zero when NoBuild
	Update    string
	Condition string // build, config:X, build+config:X
	Source    string
	Notes     string
	// NoBuild marks a line Microsoft lists as affected with no fixed build
	// (fixed_build "none"): every build of it is exposed, the remedy is the
	// configuration the condition names.
	NoBuild bool
}

// Lifecycle is one row of lifecycle.csv.
type Lifecycle struct {
	Product      string
	EndOfSupport time.Time
	SupportedCUs []string
	// UpdatesEnd is the last day Microsoft shipped security updates to
	// anyone (paid Extended Security Updates included); zero when it is
	// the end of support or not yet known.
	UpdatesEnd time.Time
}

// KEVEntry is one row of kev.csv: a CVE on CISA's Known Exploited
// Vulnerabilities catalog.
type KEVEntry struct {
	CVE       string `json:"cve"`
	DateAdded string `json:"date_added"`
	// Ransomware is CISA's knownRansomwareCampaignUse: Known or Unknown.
	Ransomware string `json:"known_ransomware_use"`
	Name       string `json:"name,omitempty"`
	Source     string `json:"-"`
}

// CVEInfo is one row of cves.csv.
type CVEInfo struct {
	CVE            string
	Wave           string
	Summary        string
	ExploitedSince time.Time
}

// KB is the build → update → CVE knowledge base.
type KB struct {
	Releases  []Release // sorted by build
	Fixes     []Fix
	Lifecycle map[string]Lifecycle
	CVEs      map[string]CVEInfo
	KEV       map[string]KEVEntry
	// Origin says where the knowledge came from: "embedded" or a folder.
	Origin string
	// Updated is when `exhunt kb update` wrote the folder (zero for the
	// embedded copy), from its updated.txt.
	Updated time.Time
	// Now is the reference time for "still supported"; nil means time.Now.
	Now func() time.Time
	// asOf, when set (AssessAt), is the past day a build is judged on:
	// the newest update of a line and the supported CUs are those of that
	// day (asof.go).
	asOf time.Time
}

var defaultKB = sync.OnceValues(func() (*KB, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	kb, err := LoadFS(sub)
	if err != nil {
		return nil, err
	}
	kb.Origin = "embedded"
	return kb, nil
})

// Default returns the embedded knowledge base, parsed once.
func Default() (*KB, error) { return defaultKB() }

// Load reads a knowledge base from a folder. builds.csv and cve-fixes.csv
// are required; lifecycle.csv and cves.csv fall back to the embedded ones.
func Load(dir string) (*KB, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKB, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a folder", ErrKB, dir)
	}
	kb, err := loadFS(os.DirFS(dir), dir)
	if err != nil {
		return nil, err
	}
	kb.Origin = dir
	if data, err := os.ReadFile(filepath.Join(dir, UpdatedFile)); err == nil {
		first, _, _ := strings.Cut(string(data), "\n")
		kb.Updated, _ = time.Parse(time.RFC3339, strings.TrimSpace(first))
	}
	return kb, nil
}

// LoadFS reads a knowledge base from fsys (the embedded copy uses it too).
func LoadFS(fsys fs.FS) (*KB, error) { return loadFS(fsys, "") }

func loadFS(fsys fs.FS, dir string) (*KB, error) {
	name := func(f string) string {
		if dir == "" {
			return f
		}
		return filepath.Join(dir, f)
	}
	kb := &KB{Lifecycle: map[string]Lifecycle{}, CVEs: map[string]CVEInfo{}, KEV: map[string]KEVEntry{}}
	if err := readCSV(fsys, BuildsFile, name(BuildsFile), []string{"product", "cu", "update_name", "build", "release_date", "kb", "notes"}, kb.addRelease); err != nil {
		return nil, err
	}
	if err := readCSV(fsys, FixesFile, name(FixesFile), []string{"cve", "product", "cu", "fixed_build", "update_name", "condition", "source", "notes"}, kb.addFix); err != nil {
		return nil, err
	}
	for _, opt := range []struct {
		file string
		cols []string
		add  func(map[string]string) error
	}{
		{LifecycleFile, []string{"product", "end_of_support", "supported_cus", "source"}, kb.addLifecycle},
		{CVEsFile, []string{"cve", "wave", "summary", "exploited_since", "source"}, kb.addCVE},
		{KEVFile, []string{"cve", "date_added", "known_ransomware_use", "name", "source"}, kb.addKEV},
	} {
		src, shown := fsys, name(opt.file)
		if _, err := fs.Stat(fsys, opt.file); err != nil {
			src, _ = fs.Sub(embedded, "data")
			shown = "embedded " + opt.file
		}
		if err := readCSV(src, opt.file, shown, opt.cols, opt.add); err != nil {
			return nil, err
		}
	}
	if len(kb.Releases) == 0 {
		return nil, fmt.Errorf("%w: %s has no rows", ErrKB, name(BuildsFile))
	}
	slices.SortStableFunc(kb.Releases, func(a, b Release) int { return a.Build.Compare(b.Build) })
	return kb, nil
}

// readCSV reads a CSV with a header naming at least cols, and calls add per
// row with the values by column name. Errors name the file and line.
func readCSV(fsys fs.FS, file, shown string, cols []string, add func(map[string]string) error) error {
	f, err := fsys.Open(file)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKB, err)
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, 64<<20))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%w: %s: line 1: cannot read the header: %v", ErrKB, shown, err)
	}
	index := map[string]int{}
	for i, h := range header {
		index[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range cols {
		if _, ok := index[c]; !ok {
			return fmt.Errorf("%w: %s: line 1: missing column %q (want %s)", ErrKB, shown, c, strings.Join(cols, ","))
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrKB, shown, err)
		}
		line, _ := r.FieldPos(0)
		row := make(map[string]string, len(index))
		for c, i := range index { // every column: optional ones too
			if i < len(rec) {
				row[c] = strings.TrimSpace(rec[i])
			}
		}
		if err := add(row); err != nil {
			return fmt.Errorf("%w: %s: line %d: %v", ErrKB, shown, line, err)
		}
	}
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return t, nil
}

func (kb *KB) addRelease(row map[string]string) error {
	b, err := ParseBuild(row["build"])
	if err != nil {
		return err
	}
	if !b.HasRevision() {
		return fmt.Errorf("build %q needs four parts", row["build"])
	}
	d, err := parseDate(row["release_date"])
	if err != nil {
		return err
	}
	if row["product"] == "" || row["cu"] == "" || row["update_name"] == "" {
		return errors.New("product, cu and update_name must not be empty")
	}
	kb.Releases = append(kb.Releases, Release{row["product"], row["cu"], row["update_name"], b, d, row["kb"], row["notes"]})
	return nil
}

func (kb *KB) addFix(row map[string]string) error {
	if !strings.HasPrefix(row["cve"], "CVE-") {
		return fmt.Errorf("cve %q does not start with CVE-", row["cve"])
	}
	cond := row["condition"]
	if cond != "build" && !strings.HasPrefix(cond, "config:") && !strings.HasPrefix(cond, "build+config:") {
		return fmt.Errorf("condition %q is not build, config:X or build+config:X", cond)
	}
	f := Fix{CVE: row["cve"], Product: row["product"], CU: row["cu"], Update: row["update_name"], Condition: cond, Source: row["source"], Notes: row["notes"]}
	if strings.EqualFold(row["fixed_build"], "none") {
		if !strings.HasPrefix(cond, "config:") {
			return fmt.Errorf("fixed_build none needs condition config:X (the remedy), not %q", cond)
		}
		if row["product"] == "" || row["cu"] == "" {
			return errors.New("fixed_build none needs the product and cu it applies to")
		}
		f.NoBuild = true
	} else {
		b, err := ParseBuild(row["fixed_build"])
		if err != nil {
			return err
		}
		f.Build = b
	}
	kb.Fixes = append(kb.Fixes, f)
	return nil
}

func (kb *KB) addLifecycle(row map[string]string) error {
	d, err := parseDate(row["end_of_support"])
	if err != nil {
		return err
	}
	var cus []string
	for c := range strings.SplitSeq(row["supported_cus"], ";") {
		if c = strings.TrimSpace(c); c != "" {
			cus = append(cus, c)
		}
	}
	end, err := parseDate(row["updates_end"])
	if err != nil {
		return err
	}
	kb.Lifecycle[row["product"]] = Lifecycle{row["product"], d, cus, end}
	return nil
}

func (kb *KB) addKEV(row map[string]string) error {
	if !strings.HasPrefix(row["cve"], "CVE-") {
		return fmt.Errorf("cve %q does not start with CVE-", row["cve"])
	}
	if _, err := parseDate(row["date_added"]); err != nil {
		return err
	}
	use := row["known_ransomware_use"]
	if use == "" {
		use = "Unknown"
	}
	kb.KEV[row["cve"]] = KEVEntry{row["cve"], row["date_added"], use, row["name"], row["source"]}
	return nil
}

func (kb *KB) addCVE(row map[string]string) error {
	d, err := parseDate(row["exploited_since"])
	if err != nil {
		return err
	}
	kb.CVEs[row["cve"]] = CVEInfo{row["cve"], row["wave"], row["summary"], d}
	return nil
}

// InKEV says whether CISA's Known Exploited Vulnerabilities catalog lists
// cve (any letter case).
func (kb *KB) InKEV(cve string) bool {
	_, ok := kb.KEV[strings.ToUpper(strings.TrimSpace(cve))]
	return ok
}

// DataDate is the newest release date in the knowledge base: how current it is.
func (kb *KB) DataDate() time.Time {
	var newest time.Time
	for _, r := range kb.Releases {
		if r.Date.After(newest) {
			newest = r.Date
		}
	}
	return newest
}

func (kb *KB) now() time.Time {
	if kb.Now != nil {
		return kb.Now()
	}
	return time.Now()
}
