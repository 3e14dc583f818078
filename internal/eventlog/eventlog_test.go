package eventlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/evidence"
)

// readAll reads an EVTX image and returns its records and stats.
func readAll(t *testing.T, data []byte) ([]*evidence.Record, Stats) {
	t.Helper()
	var recs []*evidence.Record
	st, err := Read(t.Context(), bytes.NewReader(data), int64(len(data)), "x.evtx", func(r *evidence.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs, st
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pick returns the named fields of r; absent ones are left out.
func pick(r *evidence.Record, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		if v, ok := r.Fields.Get(n); ok {
			m[n] = v
		}
	}
	return m
}

func TestReadSamples(t *testing.T) {
	test := func(file string, wantRecords int64, wantService string, want map[string]string) {
		t.Helper()
		recs, st := readAll(t, readFile(t, "testdata/"+file))
		if st.Records != wantRecords || st.BadRecords != 0 || st.BadChunks != 0 || int64(len(recs)) != wantRecords {
			t.Fatalf("%s: stats %+v, %d records; want %d clean records", file, st, len(recs), wantRecords)
		}
		r := recs[0]
		if r.Log != (evidence.LogSource{Product: "windows", Service: wantService}) {
			t.Errorf("%s: Log = %+v", file, r.Log)
		}
		if r.Source != "x.evtx" || r.Time.Location() != time.UTC || r.Time.IsZero() {
			t.Errorf("%s: Source %q Time %v", file, r.Source, r.Time)
		}
		names := make([]string, 0, len(want))
		for k := range want {
			names = append(names, k)
		}
		if diff := cmp.Diff(want, pick(r, names...)); diff != "" {
			t.Errorf("%s first record (-want +got):\n%s", file, diff)
		}
	}
	test("sysmon_mimikatz_lsass.evtx", 3, "sysmon", map[string]string{
		"Channel":       "Microsoft-Windows-Sysmon/Operational",
		"Provider_Name": "Microsoft-Windows-Sysmon",
		"EventID":       "1",
		"Level":         "4",
		"EventRecordID": "82849",
		"TimeCreated":   "2021-10-21T20:40:12.8678222Z",
		"Computer":      "FS03.offsec.lan",
		"Image":         `C:\TOOLS\Mimikatzx64\mimikatz.exe`,
		"ParentImage":   `C:\Windows\System32\cmd.exe`,
		"LogonId":       "0x1f4c65f",
		"ProcessGuid":   "{7CF65FC7-D02C-6171-1203-000000001200}",
	})
	test("security_4756.evtx", 15, "security", map[string]string{
		"Channel":       "Security",
		"EventID":       "4756",
		"Level":         "0",
		"EventRecordID": "102653291",
		"MemberSid":     "S-1-5-21-4230534742-2542757381-3142984815-1147",
		"TargetSid":     "S-1-5-21-4230534742-2542757381-3142984815-1201",
		"Keywords":      "0x8020000000000000",
	})
	test("exchange_cmdlet_transport_agent.evtx", 4, "msexchange-management", map[string]string{
		"Channel":            "MSExchange Management",
		"Provider_Name":      "MSExchange CmdletLogs",
		"EventID":            "6", // 0xC0000006 with the qualifiers stripped
		"EventID_Qualifiers": "49152",
		"Level":              "2",
	})
}

func TestRecordLineAndTime(t *testing.T) {
	recs, _ := readAll(t, readFile(t, "testdata/sysmon_mimikatz_lsass.evtx"))
	// The export renumbered the record headers (1, 2, 3) but kept the
	// EventRecordID Event Viewer shows; Line must follow the latter.
	var got []int64
	for _, r := range recs {
		got = append(got, r.Line)
	}
	if diff := cmp.Diff([]int64{82849, 82852, 82853}, got); diff != "" {
		t.Errorf("Line (-want +got):\n%s", diff)
	}
	want := time.Date(2021, 10, 21, 20, 40, 12, 867822200, time.UTC)
	if !recs[0].Time.Equal(want) {
		t.Errorf("Time = %v, want %v", recs[0].Time, want)
	}
}

func TestClassicEventData(t *testing.T) {
	data := synthFile(synthChunk(10,
		classicEvent("Application", "MSExchange Unified Messaging", "1", "2",
			"System.InvalidCastException: Unable to cast object", "at Microsoft.Exchange.UM"),
	))
	recs, st := readAll(t, data)
	if st.Records != 1 || st.BadRecords != 0 || st.BadChunks != 0 {
		t.Fatalf("stats %+v", st)
	}
	got := map[string]string{}
	recs[0].Fields.Range(func(k, v string) bool { got[k] = v; return true })
	want := map[string]string{
		"Provider_Name": "MSExchange Unified Messaging",
		"EventID":       "1",
		"Level":         "2",
		"Channel":       "Application",
		"Computer":      "EX01.corp.example",
		"Data":          "System.InvalidCastException: Unable to cast object\nat Microsoft.Exchange.UM",
		"EventRecordID": "10",
		"TimeCreated":   "2021-02-17T01:46:40.0000000Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if recs[0].Line != 10 || recs[0].Log.Service != "application" {
		t.Errorf("Line %d Log %+v", recs[0].Line, recs[0].Log)
	}
}

func TestFieldsGet(t *testing.T) {
	f := fieldList{{"CommandLine", "cmd /c whoami"}, {"commandline", "lower"}, {"Image", `C:\x.exe`}}
	test := func(name, want string, wantOK bool) {
		t.Helper()
		got, ok := f.Get(name)
		if got != want || ok != wantOK {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", name, got, ok, want, wantOK)
		}
	}
	test("CommandLine", "cmd /c whoami", true)
	test("commandline", "lower", true) // exact match wins over folding
	test("IMAGE", `C:\x.exe`, true)
	test("ParentImage", "", false)
}

func TestService(t *testing.T) {
	for channel, want := range map[string]string{
		"Security":                             "security",
		"System":                               "system",
		"Application":                          "application",
		"Microsoft-Windows-Sysmon/Operational": "sysmon",
		"Microsoft-Windows-PowerShell/Operational":       "powershell",
		"Windows PowerShell":                             "powershell-classic",
		"MSExchange Management":                          "msexchange-management",
		"Microsoft-Windows-Windows Defender/Operational": "windefend",
		"Microsoft-Windows-TaskScheduler/Operational":    "microsoft-windows-taskscheduler/operational",
		"": "",
	} {
		if got := Service(channel); got != want {
			t.Errorf("Service(%q) = %q, want %q", channel, got, want)
		}
	}
}

func TestIsEVTX(t *testing.T) {
	test := func(in string, want bool) {
		t.Helper()
		if got := IsEVTX([]byte(in)); got != want {
			t.Errorf("IsEVTX(%q) = %v", in, got)
		}
	}
	test("ElfFile\x00\x00\x00", true)
	test("ElfFile\x00", true)
	test("ElfFile", false)
	test("ElfChnk\x00", false)
	test("", false)
}

func TestReadNotEVTX(t *testing.T) {
	for _, in := range []string{"", "MZ\x90\x00", "ElfChnk\x00" + strings.Repeat("\x00", 100)} {
		_, err := Read(t.Context(), strings.NewReader(in), int64(len(in)), "x", func(*evidence.Record) error { return nil })
		if !errors.Is(err, ErrNotEVTX) {
			t.Errorf("Read(%q) error = %v, want ErrNotEVTX", in, err)
		}
	}
}

func TestReadStops(t *testing.T) {
	data := synthFile(
		synthChunk(1, classicEvent("System", "EventLog", "104", "4")),
		synthChunk(2, classicEvent("System", "EventLog", "104", "4")),
	)
	stop := errors.New("stop")
	n := 0
	_, err := Read(t.Context(), bytes.NewReader(data), int64(len(data)), "x", func(*evidence.Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn error: err = %v after %d records; want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Read(ctx, bytes.NewReader(data), int64(len(data)), "x", func(*evidence.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

func readFileTB(path string) ([]byte, error) { return os.ReadFile(path) }

func TestPaths(t *testing.T) {
	test := func(rel string, evtx, inLogs bool) {
		t.Helper()
		if got := IsEVTXPath(rel); got != evtx {
			t.Errorf("IsEVTXPath(%q) = %v", rel, got)
		}
		if got := InLogsDir(rel); got != inLogs {
			t.Errorf("InLogsDir(%q) = %v", rel, got)
		}
	}
	test("Windows/System32/winevt/Logs/Security.evtx", true, true)
	test("C/WINDOWS/system32/WINEVT/LOGS/MSExchange Management.EVTX", true, true)
	test("host1/c/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx", true, true)
	test("exports/app.evtx", true, false)
	test("Windows/System32/winevt/Logs/Security.evtx.bak", false, true)
	test("Windows/System32/winevt/Logs/sub/x.evtx", true, false)
	test("Windows/System32/winevt/LogsX/x.evtx", true, false)
	test("notes.txt", false, false)
}

func TestReadSizeLargerThanFile(t *testing.T) {
	data := synthFile(synthChunk(1, classicEvent("System", "EventLog", "104", "4")))
	var n int
	st, err := Read(t.Context(), bytes.NewReader(data), 1<<40, "x", func(*evidence.Record) error { n++; return nil })
	if err != nil || n != 1 || st.Records != 1 {
		t.Errorf("Read with a 1 TiB size: %d records, %+v, %v", n, st, err)
	}
}

// Defender writes field names with spaces; Sigma rules write them
// without. Get bridges that, and only that.
func TestGetIgnoresSpacesOfRecordNames(t *testing.T) {
	f := fieldList{{"Source Name", "Real-Time Protection"}, {"Threat Name", "Tool:Win32/EICAR_Test_File"}, {"Path", "x"}}
	for name, want := range map[string]string{"SourceName": "Real-Time Protection", "threatname": "Tool:Win32/EICAR_Test_File", "Source Name": "Real-Time Protection", "Path": "x"} {
		if v, ok := f.Get(name); !ok || v != want {
			t.Errorf("Get(%q) = %q, %v", name, v, ok)
		}
	}
	for _, name := range []string{"SourceNam", "SourceNames", "Source", "Name", "S ourceName", "ThreatNameX", ""} {
		if v, ok := f.Get(name); ok {
			t.Errorf("Get(%q) = %q, want no match", name, v)
		}
	}
}
