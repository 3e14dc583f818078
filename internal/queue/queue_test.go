package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/scan"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/pgtest"
)

func TestEntryRoundTrip(t *testing.T) {
	for _, in := range []string{"10.0.0.1:443", "[2001:db8::1]:8443", "mail.example.com:443", "https://Mail.Example.com:8443/owa/", "http://10.0.0.2/"} {
		var ts []scan.Target
		for tg, err := range scan.Targets([]scan.Input{{Name: "t", Args: []string{in}}}, []int{443}) {
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, tg)
		}
		e := Entry(ts[0])
		back, err := parseEntry(e)
		if err != nil {
			t.Fatalf("%s → %s: %v", in, e, err)
		}
		if back.Host != ts[0].Host || back.Port != ts[0].Port || back.Scheme != ts[0].Scheme {
			t.Errorf("%s → %q → %+v, want %+v", in, e, back, ts[0])
		}
	}
	if _, err := parseEntry("10.0.0.0/30"); err == nil {
		t.Error("a CIDR is not one job target")
	}
}

func TestRescueAfter(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		6 * time.Second:  8 * time.Second,
		30 * time.Minute: 33 * time.Minute,
		10 * time.Hour:   10*time.Hour + 5*time.Minute,
	} {
		if got := RescueAfter(in); got != want {
			t.Errorf("RescueAfter(%s) = %s, want %s", in, got, want)
		}
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestDigest(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "b", "x.log"), []byte("one"), 0o644)
	os.WriteFile(filepath.Join(dir, "y.evtx"), []byte("two"), 0o644)
	ctx := context.Background()
	if got, err := Digest(ctx, filepath.Join(dir, "y.evtx")); err != nil || got != sha([]byte("two")) {
		t.Errorf("file digest = %s, %v; want the SHA-256 of its bytes", got, err)
	}
	d1, err := Digest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := sha([]byte("a/b/x.log\x003\x00" + sha([]byte("one")) + "\ny.evtx\x003\x00" + sha([]byte("two")) + "\n"))
	if d1 != want {
		t.Errorf("folder digest = %s, want %s", d1, want)
	}
	os.WriteFile(filepath.Join(dir, "a", "b", "x.log"), []byte("One"), 0o644)
	if d2, _ := Digest(ctx, dir); d2 == d1 {
		t.Error("a changed file left the folder digest as it was")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("bundle bytes"))
	}))
	defer srv.Close()
	if got, err := Digest(ctx, srv.URL+"/b.zip"); err != nil || got != sha([]byte("bundle bytes")) {
		t.Errorf("URL digest = %s, %v", got, err)
	}
	if _, err := Digest(ctx, srv.URL+"/gone"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("404: %v", err)
	}
	if _, err := Digest(ctx, filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing path: %v", err)
	}
}

func targets(t *testing.T, args ...string) []scan.Target {
	t.Helper()
	var out []scan.Target
	for tg, err := range scan.Targets([]scan.Input{{Name: "t", Args: args}}, []int{443}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tg)
	}
	return out
}

// The queue's tables go in the schema of the URL's search_path; the same
// list with the same options is one scan; a new name or new options make
// another.
func TestEnqueueScan(t *testing.T) {
	url := pgtest.DSN(t, "exhunt_queuetest")
	ctx := t.Context()
	q, err := Open(ctx, url, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	schema := url[strings.LastIndex(url, "search_path=")+len("search_path="):]
	if q.Schema() != schema {
		t.Errorf("Schema() = %q, want %q", q.Schema(), schema)
	}
	var n int
	if err := q.pool.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'river_job'`, schema).Scan(&n); err != nil || n != 1 {
		t.Fatalf("river_job in schema %s: %d, %v", schema, n, err)
	}
	// Opening again (another worker starting) migrates nothing twice.
	q2, err := Open(ctx, url, 4, nil)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	q2.Close()

	list := targets(t, "10.0.0.0/29", "mail.example.com")
	opts := ScanOptions{Concurrency: 8, TimeoutMS: 3000, HostRate: -1}
	first, err := q.EnqueueScan(ctx, st, ScanRequest{Targets: list, Options: opts, ChunkSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ID) != 16 || first.Targets != 9 || first.Jobs != 3 || first.New != 3 || first.Duplicates != 0 {
		t.Errorf("first enqueue = %+v", first)
	}
	again, err := q.EnqueueScan(ctx, st, ScanRequest{Targets: targets(t, "10.0.0.0/29", "mail.example.com"), Options: opts, ChunkSize: 3})
	if err != nil || again.ID != first.ID || again.New != 0 || again.Duplicates != 3 {
		t.Errorf("same list again = %+v, %v", again, err)
	}
	opts.Active = true
	other, err := q.EnqueueScan(ctx, st, ScanRequest{Targets: list, Options: opts, ChunkSize: 3})
	if err != nil || other.ID == first.ID || other.New != 3 {
		t.Errorf("other options = %+v, %v", other, err)
	}
	named, err := q.EnqueueScan(ctx, st, ScanRequest{ID: "weekly-2026.12", Targets: list, Options: opts, ChunkSize: 3})
	if err != nil || named.ID != "weekly-2026.12" || named.New != 3 {
		t.Errorf("named = %+v, %v", named, err)
	}
	if _, err := q.EnqueueScan(ctx, st, ScanRequest{ID: "no spaces; please", Targets: list}); err == nil {
		t.Error("a scan id with spaces accepted")
	}
	active, err := q.Active(ctx)
	if err != nil || active != 9 {
		t.Errorf("Active = %d, %v; want 9 jobs", active, err)
	}
	groups, err := q.Status(ctx, st, first.ID)
	if err != nil || len(groups) != 1 || groups[0].Jobs.Pending != 3 || groups[0].Targets != 9 || groups[0].Stored != 0 || groups[0].Done() {
		t.Errorf("Status = %+v, %v", groups, err)
	}
	if _, err := Open(ctx, strings.Replace(url, "search_path=", "search_path=bad-name,", 1), 4, nil); err == nil {
		t.Error("a search_path that is not a plain schema name accepted")
	}
}
