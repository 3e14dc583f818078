package eventlog

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/evidence"
)

// corpusDir is the shared sample corpus, relative to this package.
const corpusDir = "../../../shared/corpus"

// groundTruth is one row of GROUND_TRUTH.md section 2: what python-evtx
// found in a sample.
type groundTruth struct {
	file      string
	providers []string
	counts    map[string]int
}

// readGroundTruth parses the markdown table of GROUND_TRUTH.md section 2
// ("| file | providers | EventID:count | indicators |").
func readGroundTruth(t *testing.T) []groundTruth {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "GROUND_TRUTH.md"))
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	defer f.Close()
	var rows []groundTruth
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## 2.")
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| file") {
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) < 3 || !strings.HasSuffix(cols[0], ".evtx") {
			continue
		}
		g := groundTruth{file: strings.TrimPrefix(cols[0], "| "), counts: map[string]int{}}
		g.providers = strings.Split(cols[1], ";")
		for _, kv := range strings.Fields(cols[2]) {
			id, n, ok := strings.Cut(kv, ":")
			c, err := strconv.Atoi(n)
			if !ok || err != nil {
				t.Fatalf("GROUND_TRUTH.md: bad EventID:count %q in %s", kv, g.file)
			}
			g.counts[id] = c
		}
		rows = append(rows, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("GROUND_TRUTH.md: no rows found in section 2")
	}
	return rows
}

func TestCorpusGroundTruth(t *testing.T) {
	rows := readGroundTruth(t)
	for _, g := range rows {
		recs, st := readAll(t, readFile(t, filepath.Join(corpusDir, g.file)))
		if st.BadRecords != 0 || st.BadChunks != 0 {
			t.Errorf("%s: stats %+v", g.file, st)
		}
		counts := map[string]int{}
		var providers []string
		for _, r := range recs {
			id, _ := r.Fields.Get("EventID")
			counts[id]++
			p, _ := r.Fields.Get("Provider_Name")
			if !slices.Contains(providers, p) {
				providers = append(providers, p)
			}
		}
		sort.Strings(providers)
		want := slices.Clone(g.providers)
		sort.Strings(want)
		if diff := cmp.Diff(g.counts, counts); diff != "" {
			t.Errorf("%s EventID counts (-python-evtx +ours):\n%s", g.file, diff)
		}
		if diff := cmp.Diff(want, providers); diff != "" {
			t.Errorf("%s providers (-python-evtx +ours):\n%s", g.file, diff)
		}
	}
	t.Logf("%d files match GROUND_TRUTH.md", len(rows))
}

// TestCorpusAllFiles reads every .evtx of the corpus, listed in the
// ground truth or not, and checks each record has the basic fields.
func TestCorpusAllFiles(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	files := 0
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".evtx") {
			return err
		}
		files++
		recs, st := readAll(t, readFile(t, p))
		if st.Records == 0 || st.BadRecords != 0 {
			t.Errorf("%s: stats %+v", p, st)
		}
		for _, r := range recs {
			checkBasics(t, p, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 30 {
		t.Errorf("found %d .evtx files, want the corpus's 31", files)
	}
}

func checkBasics(t *testing.T, file string, r *evidence.Record) {
	t.Helper()
	for _, name := range []string{"Channel", "EventID", "Provider_Name", "Computer", "Level", "EventRecordID", "TimeCreated"} {
		if v, ok := r.Fields.Get(name); !ok || (v == "" && name != "Level") {
			t.Errorf("%s record %d: field %s missing", file, r.Line, name)
		}
	}
	if r.Time.IsZero() || r.Line <= 0 || r.Log.Product != "windows" || r.Log.Service == "" {
		t.Errorf("%s record %d: Time %v Log %+v", file, r.Line, r.Time, r.Log)
	}
	if id, _ := r.Fields.Get("EventID"); strings.Trim(id, "0123456789") != "" {
		t.Errorf("%s record %d: EventID %q is not decimal", file, r.Line, id)
	}
}
