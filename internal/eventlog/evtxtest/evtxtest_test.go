package evtxtest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/eventlog/evtxtest"
	"github.com/exhunt/exhunt/internal/evidence"
)

// TestRoundTrip reads what Event, Chunk and File write back through the
// real reader: every field, the record id as Line, and the event time.
func TestRoundTrip(t *testing.T) {
	at := time.Date(2021, 3, 3, 12, 12, 11, 0, time.UTC)
	data := evtxtest.File(
		evtxtest.Chunk(1200,
			evtxtest.Event("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", "1", "4", at, "EXCH01.contoso.local",
				evtxtest.Pairs("Image", `C:\Windows\System32\cmd.exe`, "CommandLine", `"cmd" /c whoami`, "RuleName", "")...),
			evtxtest.Event("Application", "MSExchange Unified Messaging", "1", "2", time.Time{}, "",
				evtxtest.NameValue{Value: "System.InvalidCastException"}, evtxtest.NameValue{Value: "at UM"}),
		),
		evtxtest.Chunk(1202, evtxtest.Event("Security", "Microsoft-Windows-Security-Auditing", "4624", "0", at.Add(time.Hour), "EXCH01.contoso.local")),
	)
	var got []map[string]string
	var lines []int64
	var times []time.Time
	st, err := eventlog.Read(t.Context(), bytes.NewReader(data), int64(len(data)), "x.evtx", func(r *evidence.Record) error {
		m := map[string]string{}
		r.Fields.Range(func(k, v string) bool { m[k] = v; return true })
		got = append(got, m)
		lines = append(lines, r.Line)
		times = append(times, r.Time)
		return nil
	})
	if err != nil || st.Records != 3 || st.BadRecords != 0 || st.BadChunks != 0 || len(st.Warnings) != 0 {
		t.Fatalf("Read: %+v, %v", st, err)
	}
	want := []map[string]string{{
		"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1", "Provider_Name": "Microsoft-Windows-Sysmon",
		"Level": "4", "TimeCreated": "2021-03-03T12:12:11.0000000Z", "Computer": "EXCH01.contoso.local",
		"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": `"cmd" /c whoami`, "RuleName": "", "EventRecordID": "1200",
	}, {
		// No TimeCreated element: the header time, the default for a first record.
		"Channel": "Application", "EventID": "1", "Provider_Name": "MSExchange Unified Messaging", "Level": "2",
		"Data": "System.InvalidCastException\nat UM", "EventRecordID": "1201", "TimeCreated": "2021-02-17T01:46:41.0000000Z",
	}, {
		"Channel": "Security", "EventID": "4624", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Level": "0",
		"TimeCreated": "2021-03-03T13:12:11.0000000Z", "Computer": "EXCH01.contoso.local", "EventRecordID": "1202",
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int64{1200, 1201, 1202}, lines); d != "" {
		t.Errorf("Line (-want +got):\n%s", d)
	}
	wantTimes := []time.Time{at, time.Date(2021, 2, 17, 1, 46, 41, 0, time.UTC), at.Add(time.Hour)}
	if d := cmp.Diff(wantTimes, times); d != "" {
		t.Errorf("Time (-want +got):\n%s", d)
	}
}

func TestChunkTooFull(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for records past 64 KiB")
		}
	}()
	big := evtxtest.Event("Application", "x", "1", "4", time.Time{}, "", evtxtest.NameValue{Value: string(bytes.Repeat([]byte("A"), 40000))})
	evtxtest.Chunk(1, big, big)
}

func TestChunks(t *testing.T) {
	// 40 KB of UTF-16 each: one record per chunk; small ones share.
	big := evtxtest.Event("Application", "x", "1", "4", time.Time{}, "", evtxtest.NameValue{Value: strings.Repeat("A", 20000)})
	small := evtxtest.Event("Application", "x", "2", "4", time.Time{}, "")
	chunks := evtxtest.Chunks(7, big, small, big, big, small, small)
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	data := evtxtest.File(chunks...)
	var ids []int64
	st, err := eventlog.Read(t.Context(), bytes.NewReader(data), int64(len(data)), "x.evtx", func(r *evidence.Record) error {
		ids = append(ids, r.Line)
		return nil
	})
	if err != nil || st.BadChunks != 0 || st.BadRecords != 0 {
		t.Fatalf("Read: %+v, %v", st, err)
	}
	if d := cmp.Diff([]int64{7, 8, 9, 10, 11, 12}, ids); d != "" {
		t.Errorf("record ids (-want +got):\n%s", d)
	}
}
