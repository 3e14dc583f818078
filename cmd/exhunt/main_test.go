package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestMain points the default result database at a temporary file, so
// in-process hunts never write to the user's data directory.
// subprocessEnv, when set to a JSON array of arguments, makes the test
// binary run exhunt with them (see TestMain).
const subprocessEnv = "EXHUNT_TEST_EXHUNT_ARGS"

func TestMain(m *testing.M) {
	// The fleet tests start this test binary as exhunt processes (workers
	// they can kill -9) instead of building the command.
	if args := os.Getenv(subprocessEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, argv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "exhunt-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("EXHUNT_DB", filepath.Join(dir, "test.db"))
	// ... nor read or write the user's kb update copy.
	os.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	os.Setenv("LOCALAPPDATA", filepath.Join(dir, "data"))
	// No community rule set of the developer's own data directory may
	// change what a test hunt finds.
	os.Setenv("EXHUNT_DATA_DIR", filepath.Join(dir, "data"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs exhunt in-process and returns exit code, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBuildCLI(t *testing.T) {
	test := func(name string, args []string, stdin string, exit int, outHas, errHas string) {
		t.Helper()
		code, out, errs := cli(t, stdin, args...)
		if code != exit {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, exit, out, errs)
		}
		if !strings.Contains(out, outHas) {
			t.Errorf("%s: stdout lacks %q:\n%s", name, outHas, out)
		}
		if !strings.Contains(errs, errHas) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, errHas, errs)
		}
	}
	test("exposed", []string{"build", "15.1.2176.2"}, "", 1, "EXPLOITED (KEV): CVE-2021-26855 (CISA KEV since 2021-11-03, used by ransomware)", "")
	test("patched SE", []string{"build", "15.2.2562.56"}, "", 0, "no known CVE", "")
	test("SE one update behind", []string{"build", "15.2.2562.53"}, "", 1, "EXPOSED to:      3 CVEs", "")
	test("fail-on-kev, no KEV exposure", []string{"build", "--fail-on-kev", "15.2.2562.46"}, "", 0, "EXPOSED to:", "")
	test("fail-on-kev, OWA zero-day", []string{"build", "--fail-on-kev", "15.2.2562.17"}, "", 1, "EXPLOITED (KEV): CVE-2026-42897 (CISA KEV since 2026-05-15)", "")
	test("Exchange 2010 RU32", []string{"build", "14.3.513.0"}, "", 1, "UNSUPPORTED:     since 2020-10-13", "")
	test("zero padded", []string{"build", "15.01.2176.002"}, "", 1, "CU19", "")
	test("three parts", []string{"build", "15.1.2176"}, "", 1, "CU known, security update unknown", "")
	test("admin display", []string{"build", "Version 15.1 (Build 2176.9)"}, "", 1, "Mar21SU (KB5000871)", "")
	test("bad part", []string{"build", "15.1.x.2"}, "", 2, "", `"x" is not a number`)
	test("empty", []string{"build", ""}, "", 2, "", "empty input")
	test("huge", []string{"build", strings.Repeat("9", 10000)}, "", 2, "", "10000 characters")
	test("negative", []string{"build", "15.1.-2176.2"}, "", 2, "", "not a number")
	test("no args", []string{"build"}, "", 2, "", "requires at least 1 arg")
	test("bad format", []string{"build", "--format", "xml", "15.1.2176.2"}, "", 2, "", "unknown --format")
	test("stdin", []string{"build", "-"}, "# comment\n15.2.2562.56\n\n15.2.2562.17\n", 1, "15.2.2562.17", "")
	test("mixed good and bad", []string{"build", "15.2.2562.56", "junk"}, "", 2, "15.2.2562.56", "junk")
	test("unknown flag", []string{"build", "--nope", "1"}, "", 2, "", "unknown flag")
	test("version", []string{"version"}, "", 0, "knowledge date:  newest release 2026-10-13", "")
	test("help teaches", []string{"build", "--help"}, "", 0, "EXIT STATUS", "")
	test("root help", []string{"--help"}, "", 0, "exhunt build 15.1.2176.2", "")
}

func TestBuildJSON(t *testing.T) {
	code, out, _ := cli(t, "", "build", "--format", "json", "15.1.2176.2", "15.1.2176")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("%d objects", len(got))
	}
	for _, k := range []string{"input", "build", "product", "cu", "update", "release_date", "known", "latest_in_line", "missing_updates", "cves"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("field %q missing from %v", k, got[0])
		}
	}
	if got[0]["release_date"] != "2020-12-15" || got[0]["known"] != true || got[1]["build"] != "15.1.2176" {
		t.Errorf("values: %v / %v", got[0], got[1])
	}
	if cves := got[0]["cves"].([]any); len(cves) < 10 || !strings.Contains(fmt.Sprint(cves), "CVE-2021-26855") {
		t.Errorf("cves %v", cves)
	}
	kev, _ := got[0]["kev_cves"].([]any)
	if len(kev) < 5 || got[0]["exposed"] != true {
		t.Errorf("kev_cves %v exposed %v", kev, got[0]["exposed"])
	}
	first, _ := kev[0].(map[string]any)
	if first["cve"] == "" || first["date_added"] == "" || (first["known_ransomware_use"] != "Known" && first["known_ransomware_use"] != "Unknown") {
		t.Errorf("kev entry %v", first)
	}
	code, out, _ = cli(t, "", "build", "--format", "jsonl", "15.2.2562.56", "15.2.2562.17")
	if code != 1 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"kev_cves":[]`) {
		t.Errorf("jsonl: exit %d\n%s", code, out)
	}
}

func TestBuildKBFlag(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "builds.csv"), []byte("product,cu,update_name,build,release_date,kb,notes\nExchange Server SE,RTM,RTM,15.2.2562.17,2025-07-01,,\nExchange Server SE,RTM,Bad,15.2.x,2025-07-01,,\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cve-fixes.csv"), []byte("cve,product,cu,fixed_build,update_name,condition,source,notes\n"), 0o644)
	code, _, errs := cli(t, "", "--kb", dir, "build", "15.2.2562.17")
	if code != 2 || !strings.Contains(errs, "builds.csv: line 3") {
		t.Errorf("malformed kb: exit %d, %s", code, errs)
	}
	t.Setenv("EXHUNT_KB", filepath.Join(dir, "missing"))
	code, _, errs = cli(t, "", "build", "15.2.2562.17")
	if code != 2 || !strings.Contains(errs, "missing") {
		t.Errorf("EXHUNT_KB missing dir: exit %d, %s", code, errs)
	}
}

// exhunt kb update --from the recorded feed documents, then the update is
// the knowledge in use: version says so, build uses it.
func TestKBUpdateCLI(t *testing.T) {
	feeds := t.TempDir()
	os.Mkdir(filepath.Join(feeds, "cve"), 0o755)
	src := filepath.Join("..", "..", "internal", "kbfeed", "testdata")
	for _, f := range []string{"cve/CVE-2026-96940.json", "cve/CVE-2021-26858.json", "cve/CVE-2026-69641.truncated.json"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(feeds, f), data, 0o644)
	}
	data, _ := os.ReadFile(filepath.Join(src, "kev-excerpt.json"))
	os.WriteFile(filepath.Join(feeds, "kev.json"), data, 0o644)
	t.Cleanup(func() { os.RemoveAll(filepath.Join(os.Getenv("XDG_DATA_HOME"), "exhunt", "kb")) })
	// A contradiction and a malformed document: written, reported, exit 1.
	code, out, errs := cli(t, "", "kb", "update", "--from", feeds)
	if code != 1 || !strings.Contains(out, "CONTRADICTIONS") || !strings.Contains(out, "CVE-2021-26858 Exchange Server 2019 CU4") ||
		!strings.Contains(out, "SKIPPED documents (1)") || !strings.Contains(out, "written to") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = cli(t, "", "version")
	if code != 0 || !strings.Contains(out, "from exhunt kb update") || !strings.Contains(out, "kb updated:") {
		t.Errorf("version after update: %s", out)
	}
	code, out, _ = cli(t, "", "build", "15.2.2562.17")
	if code != 1 || !strings.Contains(out, "CVE-2026-42897") {
		t.Errorf("build with the updated kb: exit %d\n%s", code, out)
	}
	code, _, errs = cli(t, "", "kb", "update", "--from", filepath.Join(feeds, "missing"))
	if code != 2 || !strings.Contains(errs, "not a readable folder") {
		t.Errorf("missing --from: exit %d %s", code, errs)
	}
	code, _, errs = cli(t, "", "kb", "update", "--from", t.TempDir())
	if code != 2 || !strings.Contains(errs, "no feed document could be read") {
		t.Errorf("empty --from: exit %d %s", code, errs)
	}
}

// build --mail on real mailing-list headers: each on-premises hop judged
// on the day it was seen and today, Exchange Online hops listed only.
func TestBuildMailCLI(t *testing.T) {
	td := filepath.Join("..", "..", "internal", "mailhdr", "testdata")
	code, out, errs := cli(t, "", "build", "--mail", "--format", "jsonl", filepath.Join(td, "nvidia-linux-rdma-2025-06-19.headers"))
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d hops:\n%s", len(lines), out)
	}
	var hop struct {
		Host, Build, Seen string
		Online            bool `json:"exchange_online"`
		AtSeen            *struct {
			CVEs []string `json:"cves"`
			KEV  []any    `json:"kev_cves"`
		} `json:"at_seen"`
		Today *struct {
			CU      string                 `json:"cu"`
			Update  string                 `json:"update"`
			KEV     []struct{ CVE string } `json:"kev_cves"`
			Exposed bool                   `json:"exposed"`
		} `json:"today"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &hop); err != nil || !hop.Online || hop.Today != nil {
		t.Errorf("Exchange Online hop: %v %+v", err, hop)
	}
	if err := json.Unmarshal([]byte(lines[3]), &hop); err != nil {
		t.Fatal(err)
	}
	// mail.nvidia.com ran 2019 CU14 (15.2.1544.4, Feb 2024) on 2025-06-19:
	// it then missed Mar24SU and later; CVE-2026-42897 did not exist yet.
	if hop.Host != "mail.nvidia.com" || hop.Build != "15.2.1544.4" || hop.Seen != "2025-06-19T11:56:00Z" || hop.Today == nil || hop.Today.CU != "CU14" || !hop.Today.Exposed {
		t.Fatalf("hop %+v", hop)
	}
	if !slices.Contains(hop.AtSeen.CVEs, "CVE-2024-26198") || slices.Contains(hop.AtSeen.CVEs, "CVE-2026-42897") || len(hop.AtSeen.KEV) != 0 {
		t.Errorf("on that day: %v", hop.AtSeen.CVEs)
	}
	if !slices.ContainsFunc(hop.Today.KEV, func(k struct{ CVE string }) bool { return k.CVE == "CVE-2026-42897" }) {
		t.Errorf("today: %+v", hop.Today.KEV)
	}
	code, out, _ = cli(t, "", "build", "--mail", filepath.Join(td, "two-lists.mbox"))
	if code != 1 || !strings.Contains(out, "RTEXMBS04.realtek.com.tw  build 15.1.2308.21  seen 2022-04-29T07:18:47Z") || !strings.Contains(out, "today:           EXPLOITED (KEV): CVE-2022-41040") {
		t.Errorf("mbox text: exit %d\n%s", code, out)
	}
	code, _, errs = cli(t, "", "build", "--mail", filepath.Join(td, "missing.eml"))
	if code != 2 {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
	code, _, errs = cli(t, "", "build", "--mail", "-")
	if code != 0 || !strings.Contains(errs, "no Received header of a Microsoft Exchange server") {
		t.Errorf("empty stdin: exit %d %s", code, errs)
	}
}
