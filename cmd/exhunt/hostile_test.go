package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/scan"
)

// Attacker text planted in evidence (issue 16.2): terminal escapes that
// clear the screen and retitle the window, a bell, CR/LF that forged a
// report line, and invalid UTF-8.
const (
	clearScreen = "\x1b[2J\x1b[H"
	retitle     = "\x1b]0;pwned\x07"
	forgedLine  = "\r\nFAKE: verdict no-evidence\r\n"
	badUTF8     = "\xff\xfe"
)

// rawControl reports the first byte of s that a terminal would act on
// (any C0 control but the output's own newlines, DEL) or that is not
// UTF-8, or "" when there is none.
func rawControl(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if (c < 0x20 && c != '\n') || c == 0x7f {
			return s[max(0, i-20):min(len(s), i+20)]
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || r >= 0x80 && r < 0xa0 {
			return s[max(0, i-20):min(len(s), i+20)]
		}
		i += n
	}
	return ""
}

// assertNeutral fails when out carries a raw control byte or a line that
// starts with the forged text.
func assertNeutral(t *testing.T, what, out string) {
	t.Helper()
	if bad := rawControl(out); bad != "" {
		t.Errorf("%s: raw control or invalid byte near %q", what, bad)
	}
	for l := range strings.Lines(out) {
		if strings.HasPrefix(strings.TrimSpace(l), "FAKE:") {
			t.Errorf("%s: a planted newline forged the line %q", what, l)
		}
	}
}

// hostileEvidence writes a server tree whose file names, IIS host name
// (s-computername), user agents and URLs carry the planted text, and the
// same tree as a triage zip with a hostile (and an unsafe) entry name.
func hostileEvidence(t *testing.T) (dir, zipPath string) {
	t.Helper()
	shellName := "C/inetpub/wwwroot/aspnet_client/sh" + retitle + forgedLine + badUTF8 + ".aspx"
	log := "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n" +
		"#Fields: date time s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n" +
		"2021-03-03 05:00:17 EXCH01" + retitle + badUTF8 + " 10.0.0.5 POST /aspnet_client/" + clearScreen + "x.aspx - 443 - 203.0.113.7 DuckDuckBot/1.0" + retitle + badUTF8 + " - 200 0 0 62\n" +
		"2021-03-03 05:00:18 EXCH01" + retitle + badUTF8 + " 10.0.0.5 POST /owa/auth/Current/x - 443 - 203.0.113.7 =HYPERLINK(\"http://evil\",\"DuckDuckBot/1.0\") - 200 0 0 62\n"
	files := map[string]string{
		shellName: chopperASPX,
		"C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": log,
	}
	dir = fileTree(t, files)
	files["C/ProgramData/z"+clearScreen+retitle+badUTF8+".aspx"] = chopperASPX
	files["../escape"+retitle+forgedLine] = "x"
	return dir, zipOf(t, files)
}

// TestHostileTextOutputs: whatever the evidence holds, the hunt text
// report, stderr, the CSV export, the HTML report (printed to a terminal
// with --html -) and the scan table print it escaped
// (\x1b, \a, \r\n, \xff) and never raw; the planted newline cannot start a
// line of its own (issue 16.2).
func TestHostileTextOutputs(t *testing.T) {
	dir, zipPath := hostileEvidence(t)
	for _, ev := range []string{dir, zipPath} {
		db := filepath.Join(t.TempDir(), "results.db")
		code, out, errs := cli(t, "", "hunt", "--db", db, ev)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1 (findings)\n%s\n%s", ev, code, out, errs)
		}
		assertNeutral(t, "hunt text of "+filepath.Base(ev), out)
		assertNeutral(t, "hunt stderr of "+filepath.Base(ev), errs)
		// The host name is upper-cased, which turns invalid UTF-8 into
		// U+FFFD; JSON does the same to the stored strings.
		first, _, _ := strings.Cut(out, "\n")
		want := `EXCH01\x1b]0;PWNED\a` + "\ufffd\ufffd" + `: COMPROMISED`
		if ev == zipPath { // its unsafe ../ entry is not examined, and listed
			want += " (EVIDENCE INCOMPLETE)"
		}
		if first != want {
			t.Errorf("%s: host line %q, want the s-computername escaped", filepath.Base(ev), first)
		}
		for _, want := range []string{
			`sh\x1b]0;pwned\a\r\nFAKE: verdict no-evidence\r\n\xff\xfe.aspx`, // the file name, in the timeline and next steps
			`/aspnet_client/\x1b[2J\x1b[Hx.aspx`,                             // the URL
			`DuckDuckBot/1.0\x1b]0;pwned\a\xff\xfe`,                          // the user agent
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: text lacks %q:\n%s", filepath.Base(ev), want, out)
			}
		}
		// In the zip, the name with "FAKE: ..." is refused (a colon is a
		// drive or a stream); its warning above shows it escaped.
		steps := out[strings.Index(out, "Next steps"):]
		flagged := `remove the flagged files: C/inetpub/wwwroot/aspnet_client/sh\x1b]0;pwned\a\r\nFAKE`
		if ev == zipPath {
			flagged = `remove the flagged files: C/ProgramData/z\x1b[2J\x1b[H\x1b]0;pwned\a\xff\xfe.aspx`
		}
		if !strings.Contains(steps, flagged) {
			t.Errorf("%s: next steps do not list the file escaped:\n%s", filepath.Base(ev), steps)
		}
		if ev == zipPath && !strings.Contains(out, `C/ProgramData/z\x1b[2J\x1b[H\x1b]0;pwned\a\xff\xfe.aspx`) {
			t.Errorf("zip: the hostile entry name is not shown escaped:\n%s", out)
		}
		if ev == zipPath && !strings.Contains(out, `../escape\x1b]0;pwned\a\r\nFAKE: verdict no-evidence\r\n: skipped: unsafe path in zip`) {
			t.Errorf("zip: the unsafe entry's warning is not escaped:\n%s", out)
		}
		exportCSV(t, db, ev == zipPath)
		code, html, errs := cli(t, "", "report", "--db", db, "--all", "--html", "-")
		if code != 0 {
			t.Fatalf("report: exit %d: %s", code, errs)
		}
		// HTML keeps newlines and tabs (whitespace there, and its own
		// layout); every other control character is escaped.
		if bad := rawControl(strings.ReplaceAll(html, "\t", " ")); bad != "" {
			t.Errorf("HTML report of %s: raw control or invalid byte near %q", filepath.Base(ev), bad)
		}
		if !strings.Contains(html, `DuckDuckBot/1.0\x1b]0;pwned\a`) {
			t.Errorf("HTML report lacks the escaped user agent")
		}
	}
	scanOutputs(t)
}

// exportCSV checks the CSV export of the hostile hunt stored in db.
func exportCSV(t *testing.T, db string, fromZip bool) {
	t.Helper()
	code, out, errs := cli(t, "", "export", "--db", db, "--format", "csv")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	file := `sh\x1b]0;pwned\a\r\nFAKE: verdict no-evidence\r\n` + "\ufffd\ufffd.aspx"
	if fromZip {
		file = `C/ProgramData/z\x1b[2J\x1b[H\x1b]0;pwned\a` + "\ufffd\ufffd.aspx"
	}
	assertNeutral(t, "CSV export", out)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var sawUA, sawFormula, sawFile bool
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
				t.Errorf("CSV cell %q would run as a formula", cell)
			}
			sawUA = sawUA || cell == `DuckDuckBot/1.0\x1b]0;pwned\a`+"\ufffd\ufffd"
			sawFormula = sawFormula || cell == `'=HYPERLINK("http://evil","DuckDuckBot/1.0")`
			sawFile = sawFile || strings.Contains(cell, file)
		}
		if row[0] != `EXCH01\x1b]0;PWNED\a`+"\ufffd\ufffd" {
			t.Errorf("CSV host cell %q", row[0])
		}
	}
	if !sawUA || !sawFormula || !sawFile {
		t.Errorf("CSV lacks the escaped user agent (%v), the defused formula (%v) or the escaped file name (%v):\n%s", sawUA, sawFormula, sawFile, out)
	}
}

// scanOutputs checks the scan table and CSV.
func scanOutputs(t *testing.T) {
	t.Helper()
	// The scan table and CSV: a hostile server controls its certificate
	// names, its build headers and the error text.
	var table, sheet bytes.Buffer
	for _, f := range []scan.Format{scan.FormatText, scan.FormatCSV} {
		buf := &table
		if f == scan.FormatCSV {
			buf = &sheet
		}
		w := scan.NewWriter(f, buf)
		w.Write(&scan.Result{Target: "mail" + retitle + ".example", Port: 443, Exchange: true, Build: "15.1" + clearScreen,
			Product: "Exchange Server 2016" + forgedLine, TLS: &scan.TLSInfo{Names: []string{"cn" + retitle + badUTF8}}})
		w.Write(&scan.Result{Target: "=cmd|' /C calc'!A0", Error: "tls: " + forgedLine + badUTF8})
		w.Close()
	}
	assertNeutral(t, "scan table", table.String())
	assertNeutral(t, "scan CSV", sheet.String())
	for _, want := range []string{`mail\x1b]0;pwned\a.example:…`, `15.1\x1b[2J\x1b[H`, `cn\x1b]0;pwned\a\xff\xfe`, `error: tls: \r\nFAKE: verdict no-evidence\r\n\xff\xfe`} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("scan table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(sheet.String(), `'=cmd|' /C calc'!A0`) {
		t.Errorf("scan CSV did not defuse the formula target:\n%s", sheet.String())
	}
}

// TestHuntNotSavedExit4: results that could not be recorded in the result
// database were only a warning, exit 0 (issue 16.4). Now they are exit 4,
// whatever was found, with the reason and the findings count on stderr;
// --no-store still exits by the findings.
func TestHuntNotSavedExit4(t *testing.T) {
	clean := fileTree(t, map[string]string{"C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem sc-status\n2021-03-03 01:02:03 GET /owa/ 200\n"})
	bad := fileTree(t, map[string]string{"C/inetpub/wwwroot/aspnet_client/x.aspx": chopperASPX})
	unusable := filepath.Join(os.DevNull, "exhunt.db") // its folder is a device
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		errHas   []string
		errLacks string
	}{
		{"clean, db unusable", []string{"--db", unusable, clean}, 4, []string{"results not recorded in the result database", "--no-store"}, "findings at or above"},
		{"findings, db unusable", []string{"--db", unusable, bad}, 4, []string{"results not recorded", "2 findings at or above --fail-on high were found"}, ""},
		{"findings, --no-store", []string{"--no-store", bad}, 1, nil, "not recorded"},
		{"findings, db fine", []string{"--db", filepath.Join(t.TempDir(), "ok.db"), bad}, 1, nil, "not recorded"},
	} {
		code, out, errs := cli(t, "", append([]string{"hunt", "--format", "json"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, errs)
		}
		if !strings.Contains(out, `"verdict"`) {
			t.Errorf("%s: the results were not printed: %q", tc.name, out)
		}
		for _, s := range tc.errHas {
			if !strings.Contains(errs, s) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, s, errs)
			}
		}
		if tc.errLacks != "" && strings.Contains(errs, tc.errLacks) {
			t.Errorf("%s: stderr has %q:\n%s", tc.name, tc.errLacks, errs)
		}
	}
}

// TestHuntOverRatioZipEntry: a web shell padded with 4 MiB of spaces
// compresses over the 200:1 guard and was skipped unread inside a triage
// zip (issue 16.5). Now its head is checked (the shell is found) and the
// entry itself is reported as suspicious; an ordinary entry is not.
func TestHuntOverRatioZipEntry(t *testing.T) {
	shell := "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck2.aspx"
	padded := chopperASPX + strings.Repeat(" ", 4<<20)
	var words strings.Builder // a 2 MiB page that compresses like real text
	for i := 0; words.Len() < 2<<20; i++ {
		fmt.Fprintf(&words, "<p id=\"p%d\">%x</p>\n", i, sha256.Sum256([]byte(strconv.Itoa(i))))
	}
	hunt := func(entries map[string]string) finding.HostResult {
		t.Helper()
		code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", zipOf(t, entries))
		if code > 1 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var r finding.HostResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := hunt(map[string]string{shell: padded, "C/Windows/System32/winevt/Logs/Empty.evtx": "ElfFile\x00" + strings.Repeat("\x00", 3<<20),
		"C/Windows/Temp/sparse.dat": strings.Repeat("\x00", 3<<20)})
	rules := map[string]finding.Finding{}
	for _, f := range r.Findings {
		rules[f.Rule+" "+f.Source] = f
	}
	over := rules["evidence:zip-over-ratio "+shell]
	if over.Severity != finding.Medium || over.Kind != finding.KindFile || !slices.Equal(over.Attack, []string{"T1027.001"}) ||
		!strings.Contains(over.Evidence, "only the first 1048576 bytes were read and checked") {
		t.Errorf("padded web shell: over-ratio finding %+v; want medium, file, T1027.001, head read", over)
	}
	if f, ok := rules["yara:webshells:China_Chopper_ASPX "+shell]; !ok || f.Details["examined"] != fmt.Sprintf("first 1048576 bytes of %d", len(padded)) {
		t.Errorf("padded web shell: its head was not checked: %+v (findings %v)", f, slices.Collect(maps.Keys(rules)))
	}
	if f := rules["evidence:zip-over-ratio C/Windows/System32/winevt/Logs/Empty.evtx"]; f.Severity != finding.Low {
		t.Errorf("zero-filled event log outside the web folders: %+v; want a low over-ratio finding", f)
	}
	if f := rules["evidence:zip-over-ratio C/Windows/Temp/sparse.dat"]; f.Severity != finding.Low {
		t.Errorf("sparse file in Windows/Temp (in scope, not code): %+v; want a low over-ratio finding", f)
	}
	if r.Verdict != finding.Compromised {
		t.Errorf("verdict %s, want compromised (the shell in the head)", r.Verdict)
	}

	// Near-miss twins: the same shell unpadded, and a 2 MiB page that
	// compresses like real text, give no over-ratio finding.
	r = hunt(map[string]string{shell: chopperASPX, "C/inetpub/wwwroot/big.html": words.String()})
	for _, f := range r.Findings {
		if f.Rule == "evidence:zip-over-ratio" {
			t.Errorf("ordinary entry reported as over-ratio: %+v", f)
		}
	}
}

// zipOf writes entries into a triage zip (deflated).
func zipOf(t *testing.T, entries map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "triage.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// TestHuntTruncatedEVTX: a real event log cut inside its first chunk said
// only "no timestamped records" (issue 16.7); the report now says the
// file is truncated and how much was readable.
func TestHuntTruncatedEVTX(t *testing.T) {
	full, err := os.ReadFile("../../internal/eventlog/testdata/sysmon_mimikatz_lsass.evtx")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "Sysmon.evtx")
	os.WriteFile(p, full[:4096+300], 0o644)
	_, out, errs := cli(t, "", "hunt", "--no-store", p)
	want := "Sysmon.evtx: file is truncated: 4396 of the 69632 bytes its header declares (64 KiB chunks: 1 declared, 0 read whole, 1 cut or damaged); 0 records readable"
	if !strings.Contains(out, want) {
		t.Errorf("report lacks %q:\n%s\n%s", want, out, errs)
	}
}
