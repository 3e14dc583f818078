package main

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/exhunt/exhunt/internal/store"
)

func emulated(t *testing.T, profile string) string {
	t.Helper()
	cfg, err := emulator.ProfileByName(profile)
	if err != nil {
		t.Fatal(err)
	}
	h, err := emulator.Start(cfg, emulator.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h.Addr.String() // always 127.0.0.1:port
}

func TestScanCLI(t *testing.T) {
	vuln := emulated(t, "vulnerable-2016cu19")
	patched := emulated(t, "patched-se")
	shelled := emulated(t, "webshelled-2016cu19")
	list := filepath.Join(t.TempDir(), "hosts.txt")
	os.WriteFile(list, []byte("# fleet\n"+patched+"\n"), 0o600)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte(patched+"\nnot a host!\n"), 0o600)

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
	test("vulnerable host: exit 1, real knowledge base", []string{"scan", vuln}, "", 1, "2016 CU19 ", "1 exposed")
	test("patched twin: exit 0", []string{"scan", patched}, "", 0, "15.2.2562.56", "0 exposed, 0 web-shelled, 0 errors")
	test("active probe confirms", []string{"scan", "--active", "--format", "jsonl", vuln}, "", 1, `"check":"CVE-2021-26855","result":"vulnerable"`, "")
	test("web shell census", []string{"scan", "--webshells", "--host-rate", "0", "--format", "csv", shelled}, "", 1, "/aspnet_client/supp0rt.aspx", "1 web-shelled")
	port := strings.Split(patched, ":")[1]
	test("host name target: target as given, url as answered", []string{"scan", "--format", "jsonl", "localhost:" + port}, "", 0,
		`"target":"localhost:`+port+`","ip":"127.0.0.1","port":`+port+`,"scheme":"https","url":"https://localhost:`+port+`"`, "")
	test("URL target", []string{"scan", "https://" + patched + "/owa/"}, "", 0, "15.2.2562.56", "")
	test("input file", []string{"scan", "-i", list, "--format", "csv"}, "", 0, "target,ip,port,exchange,build", "1 targets")
	test("stdin", []string{"scan", "-"}, patched+"\n", 0, "15.2.2562.56", "")
	test("stdin with a bad line and nothing found: exit 2", []string{"scan", "-"}, patched+"\nbad host!\n", 2, "bad target", "1 malformed")
	test("bad line in a file fails before scanning", []string{"scan", "-i", bad}, "", 2, "", "bad.txt:2")
	test("bad argument", []string{"scan", "10.0.0.0/4"}, "", 2, "", "CIDR larger")
	test("no targets", []string{"scan"}, "", 2, "", "no targets")
	test("bad format", []string{"scan", "--format", "xml", vuln}, "", 2, "", "unknown format")
	test("bad shard", []string{"scan", "--shard", "4/3", vuln}, "", 2, "", "K/N")
	test("bad timeout", []string{"scan", "--timeout", "0s", vuln}, "", 2, "", "--timeout")
	test("help teaches", []string{"scan", "--help"}, "", 0, "EXIT STATUS", "")
	test("help defines the three states", []string{"scan", "--help"}, "", 0, "unidentified  answers like IIS/Exchange", "")
	test("help lists the doors", []string{"scan", "--help"}, "", 0, "GET /Microsoft-Server-ActiveSync", "")
	test("help defines each verdict once", []string{"scan", "--help"}, "", 0, "One meaning per answer, the same for every probe", "")
	test("--webshells-all on a non-Exchange host", []string{"scan", "--webshells-all", "--host-rate", "0", emulated(t, "not-exchange")}, "", 0, "no ", "0 web-shelled")
	test("emulate lists profiles", []string{"emulate", "--list-profiles"}, "", 0, "webshelled-2016cu19", "")
	test("emulate refuses non-loopback", []string{"emulate", "--first-ip", "10.0.0.1"}, "", 2, "", "loopback")
}

// Recorded real answers through the CLI, in input order: every line joins
// back to its input and says what the host is.
func TestScanRecordedCLI(t *testing.T) {
	f5 := emulated(t, "recorded/ex2019cu14-activesync-f5")
	honeypot := emulated(t, "recorded/owa-honeypot")
	kit := "https://" + emulated(t, "recorded/phishing-kit-owa2010") + "/ntu/"
	decoy := emulated(t, "recorded/decoy-manifest")
	in := []string{f5, honeypot, kit, decoy}
	code, out, errs := cli(t, "", append([]string{"scan", "--no-store", "--format", "jsonl", "--keep-order", "--active", "--webshells", "--host-rate", "0"}, in...)...)
	if code == 2 || code == 3 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	type line struct {
		Target, URL, ExchangeState string
		Exchange, OWALookalike     bool
		Build                      string
		Active, Webshells          []any
	}
	var got []line
	for l := range strings.Lines(out) {
		var m struct {
			Target        string `json:"target"`
			URL           string `json:"url"`
			ExchangeState string `json:"exchange_state"`
			Exchange      bool   `json:"exchange"`
			OWALookalike  bool   `json:"owa_lookalike"`
			Build         string `json:"build"`
			Active        []any  `json:"active"`
			Webshells     []any  `json:"webshells"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		got = append(got, line{m.Target, m.URL, m.ExchangeState, m.Exchange, m.OWALookalike, m.Build, m.Active, m.Webshells})
	}
	if len(got) != 4 {
		t.Fatalf("%d lines:\n%s", len(got), out)
	}
	want := []struct {
		state     string
		lookalike bool
		build     string
		url       string
	}{{"yes", false, "15.2.1544.11", "https://" + f5}, {"no", true, "", "https://" + honeypot}, {"no", true, "", strings.TrimSuffix(kit, "/")}, {"unidentified", false, "", "https://" + decoy}}
	for i, g := range got {
		w := want[i]
		if g.Target != in[i] || g.URL != w.url || g.ExchangeState != w.state || g.OWALookalike != w.lookalike || g.Build != w.build || g.Exchange != (w.state == "yes") {
			t.Errorf("line %d = %+v, want target %s %+v", i, g, in[i], w)
		}
		if (len(g.Active) > 0) != g.Exchange {
			t.Errorf("line %d: %d active probes on a host with exchange=%v", i, len(g.Active), g.Exchange)
		}
	}
	if !strings.Contains(errs, "1 unidentified, 2 OWA look-alikes") {
		t.Errorf("summary: %s", errs)
	}
	code, out, _ = cli(t, "", "scan", "--no-store", honeypot, decoy)
	if !strings.Contains(out, "lookalike") || !strings.Contains(out, "unidentified") {
		t.Errorf("text table does not show the states (exit %d):\n%s", code, out)
	}
}

// Exchange 2010 is judged with the real knowledge base: out of support,
// so exposed, exit 1.
func TestScanExchange2010CLI(t *testing.T) {
	code, out, errs := cli(t, "", "scan", "--no-store", "--format", "jsonl", emulated(t, "exchange-2010sp3"))
	if code != 1 || !strings.Contains(out, `"build":"14.3.513.0"`) || !strings.Contains(out, `"product":"Exchange Server 2010"`) ||
		!strings.Contains(out, `"exposed":true`) || !strings.Contains(out, "unsupported since 2020-10-13") {
		t.Errorf("exit %d, want 1 with Exchange 2010 exposed:\n%s\n%s", code, out, errs)
	}
}

func TestScanJSONLContract(t *testing.T) {
	vuln := emulated(t, "cu-only-2016cu19-may21")
	code, out, _ := cli(t, "", "scan", "--format", "jsonl", vuln)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &m); err != nil {
		t.Fatal(err)
	}
	if m["build"] != "15.1.2176" || m["build_precision"] != "cu" {
		t.Errorf("build %v precision %v, want 15.1.2176 cu", m["build"], m["build_precision"])
	}
	if dep, _ := m["su_dependent_cves"].([]any); len(dep) == 0 {
		t.Errorf("CU-only host lists no su_dependent_cves: %s", out)
	}
	if !strings.Contains(out, "CU known") {
		t.Errorf("CU-only host lacks the CU-known note: %s", out)
	}
}

func TestScanECPVersionFolder(t *testing.T) {
	code, out, _ := cli(t, "", "scan", "--format", "jsonl", emulated(t, "ecp-folder-2016cu19-apr21"))
	if code != 1 || !strings.Contains(out, `"build":"15.1.2176.12","build_precision":"full"`) || !strings.Contains(out, `"method":"ecp-version-folder"`) {
		t.Errorf("exit %d, want the Apr21SU build read from the ECP version folder:\n%s", code, out)
	}
}

func TestScanResumeCLI(t *testing.T) {
	a, b := emulated(t, "patched-se"), emulated(t, "patched-se") // 2019 CU15 Aug26SU is exposed since the Sep/Oct 2026 updates
	state := filepath.Join(t.TempDir(), "s.state")
	code, _, _ := cli(t, "", "scan", "--resume", state, a, b)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	code, out, errs := cli(t, "", "scan", "--resume", state, a, b)
	if code != 0 || strings.Contains(out, "127.0.0.1") || !strings.Contains(errs, "2 skipped") {
		t.Errorf("second run: exit %d, stdout %q, stderr %q; want nothing rescanned", code, out, errs)
	}
	code, _, errs = cli(t, "", "scan", "--resume", state, a)
	if code != 2 || !strings.Contains(errs, "other inputs") {
		t.Errorf("state reused for other inputs: exit %d, %s", code, errs)
	}
}

// A scan is recorded in the result database and reported from it.
func TestScanRecords(t *testing.T) {
	shelled := emulated(t, "webshelled-2016cu19")
	db := filepath.Join(t.TempDir(), "scan.db")
	code, _, errs := cli(t, "", "scan", "--db", db, "--webshells", "--host-rate", "0", shelled)
	if code != 1 {
		t.Fatalf("scan exit %d: %s", code, errs)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), store.Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %d, %v", len(runs), err)
	}

	// A CIDR target: each member is recorded under its own address.
	first := netip.MustParseAddr("127.9.0.1")
	fleet, err := emulator.StartFleet([]emulator.Config{{Kind: emulator.NotExchange}, {Kind: emulator.NotExchange}},
		emulator.FleetOptions{FirstIP: first, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	db2 := filepath.Join(t.TempDir(), "cidr.db")
	for _, h := range fleet.Hosts {
		cli(t, "", "scan", "--db", db2, "--ports", strconv.Itoa(int(h.Addr.Port())), "127.9.0.0/31")
	}
	st2, err := store.Open(context.Background(), db2)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	runs, err = st2.Runs(context.Background(), store.Filter{})
	var hosts []string
	for _, r := range runs {
		hosts = append(hosts, r.Host)
	}
	if err != nil || slices.Contains(hosts, "127.9.0.0/31") || !slices.Contains(hosts, "127.9.0.1") {
		t.Errorf("stored hosts %q (%v), want members by address", hosts, err)
	}
}

// TestScanAllFailedExits2: a scan where every target refused the
// connection judged nothing: exit 2 with a message, never 0. One refused
// target among answering ones keeps the usual code and says so.
func TestScanAllFailedExits2(t *testing.T) {
	closed := closedPort(t)
	code, out, errs := cli(t, "", "scan", "--no-store", "--retries", "0", "--timeout", "2s", closed, closed2(t))
	if code != 2 || !strings.Contains(errs, "all 2 targets failed") || !strings.Contains(out, "error") {
		t.Errorf("all refused: exit %d, stderr %q, stdout %q; want 2 and 'all 2 targets failed'", code, errs, out)
	}
	vuln := emulated(t, "vulnerable-2016cu19")
	code, _, errs = cli(t, "", "scan", "--no-store", "--retries", "0", "--timeout", "2s", vuln, closed)
	if code != 1 || !strings.Contains(errs, "1 of 2 targets failed and were not judged") {
		t.Errorf("partial: exit %d, stderr %q; want 1 and '1 of 2 targets failed'", code, errs)
	}
	patched := emulated(t, "patched-se")
	code, _, errs = cli(t, "", "scan", "--no-store", "--retries", "0", "--timeout", "2s", patched, closed)
	if code != 0 || !strings.Contains(errs, "1 of 2 targets failed") {
		t.Errorf("partial, clean: exit %d, stderr %q; want 0 and '1 of 2 targets failed'", code, errs)
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func closed2(t *testing.T) string {
	t.Helper()
	return strings.Replace(closedPort(t), "127.0.0.1", "127.0.0.2", 1)
}

// TestScanUnwritableDBExits4: results that could not be recorded are exit
// 4, as for exhunt hunt, and the results are still printed.
func TestScanUnwritableDBExits4(t *testing.T) {
	patched := emulated(t, "patched-se")
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	code, out, errs := cli(t, "", "scan", "--db", filepath.Join(notDir, "scan.db"), patched)
	if code != 4 || !strings.Contains(errs, "results not recorded") || !strings.Contains(out, "15.2.2562.56") {
		t.Errorf("exit %d, stderr %q; want 4, the reason, and the results on stdout", code, errs)
	}
	vuln := emulated(t, "vulnerable-2016cu19")
	if code, _, _ := cli(t, "", "scan", "--db", filepath.Join(notDir, "scan.db"), vuln); code != 4 {
		t.Errorf("exposed host, unwritable --db: exit %d, want 4 (wins over 1)", code)
	}
}

// TestScanLoopbackNotInDefaultDB: the emulator's hosts (loopback) never
// land in the default result database; a named one records them.
func TestScanLoopbackNotInDefaultDB(t *testing.T) {
	data := t.TempDir()
	t.Setenv("EXHUNT_DB", "")
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("LOCALAPPDATA", data)
	t.Setenv("EXHUNT_DATA_DIR", data)
	patched := emulated(t, "patched-se")
	code, _, errs := cli(t, "", "scan", patched)
	if code != 0 || !strings.Contains(errs, "loopback") {
		t.Fatalf("exit %d, stderr %q; want 0 and a note on loopback", code, errs)
	}
	if p, err := store.DefaultPath(); err != nil || !strings.HasPrefix(p, data) {
		t.Fatalf("default database %q (%v) is not under the test's data folder", p, err)
	}
	def, err := store.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := def.Runs(context.Background(), store.Filter{})
	def.Close()
	if err != nil || len(runs) != 0 {
		t.Errorf("default database holds %d runs (%v), want none", len(runs), err)
	}
	named := filepath.Join(t.TempDir(), "named.db")
	if code, _, errs := cli(t, "", "scan", "--db", named, patched); code != 0 {
		t.Fatalf("--db: exit %d: %s", code, errs)
	}
	st, err := store.Open(context.Background(), named)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if runs, err := st.Runs(context.Background(), store.Filter{}); err != nil || len(runs) != 1 {
		t.Errorf("named database holds %d runs (%v), want 1", len(runs), err)
	}
}
