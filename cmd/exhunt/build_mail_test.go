package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mailHops runs exhunt build --mail --format jsonl on a header text and
// returns the hops of one host.
func mailHops(t *testing.T, text, host string) []mailHopJSON {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "", "build", "--mail", "--format", "jsonl", p)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var hops []mailHopJSON
	for l := range strings.Lines(out) {
		var h mailHopJSON
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if h.Host == host {
			hops = append(hops, h)
		}
	}
	if len(hops) == 0 {
		t.Fatalf("no hop of %s in:\n%s", host, out)
	}
	return hops
}

type mailJudgement struct {
	Latest    string   `json:"latest_in_line"`
	Update    string   `json:"latest_in_line_update"`
	Supported bool     `json:"line_supported"`
	Missing   []string `json:"missing_updates"`
	Notes     []string `json:"notes"`
}

type mailHopJSON struct {
	Host   string         `json:"host"`
	Build  string         `json:"build"`
	Seen   string         `json:"seen"`
	AtSeen *mailJudgement `json:"at_seen"`
	Today  *mailJudgement `json:"today"`
}

// TestBuildMailAsOfSeen: at_seen's latest_in_line and line_supported are
// those of the day the mail passed (they were today's), on real Received
// headers (internal/mailhdr/testdata/SOURCES.md), as recorded and with
// their dates moved across a release.
func TestBuildMailAsOfSeen(t *testing.T) {
	td := filepath.Join("..", "..", "internal", "mailhdr", "testdata")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(td, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Qualcomm's 2019 CU14 Mar24SU (15.2.1544.9) on 2024-04-19: the newest
	// update of CU14 then, four days before Apr24HU.
	qc := read("qualcomm-linux-bluetooth-2024-04-19.headers")
	h := mailHops(t, qc, "nasanex01a.na.qualcomm.com")[0]
	if h.Build != "15.2.1544.9" || h.Seen != "2024-04-19T22:06:04Z" {
		t.Fatalf("hop %+v", h)
	}
	if a := h.AtSeen; a.Latest != "15.2.1544.9" || a.Update != "Mar24SU" || !a.Supported || len(a.Missing) != 0 {
		t.Errorf("on 2024-04-19: %+v; want latest 15.2.1544.9 Mar24SU, supported, nothing missing", *a)
	}
	if a := h.Today; a.Latest == "15.2.1544.9" || a.Supported || !slices.Contains(a.Missing, "Apr24HU") {
		t.Errorf("today: %+v; want a later latest, unsupported (2019 left support 2025-10-14), Apr24HU missing", *a)
	}
	// The same header seen on 2024-04-24, the day after Apr24HU came out.
	moved := strings.Replace(qc, "Fri, 19 Apr\n 2024 15:06:04", "Wed, 24 Apr\n 2024 15:06:04", 1)
	if moved == qc {
		t.Fatal("date of the Exchange hop not found")
	}
	if a := mailHops(t, moved, "nasanex01a.na.qualcomm.com")[0].AtSeen; a.Latest != "15.2.1544.11" || a.Update != "Apr24HU" || !slices.Equal(a.Missing, []string{"Apr24HU"}) {
		t.Errorf("on 2024-04-24: %+v; want latest 15.2.1544.11 Apr24HU, Apr24HU missing", *a)
	}

	// Realtek's 2016 CU21 (15.1.2308.21) on 2022-04-29, nine days after
	// 2016 CU23 came out: CU21 was N-2, unsupported, as it is today.
	rt := read("realtek-linux-wireless-2022-04-29.eml")
	h = mailHops(t, rt, "RTEXMBS04.realtek.com.tw")[0]
	if a := h.AtSeen; h.Build != "15.1.2308.21" || a.Supported || a.Latest != "15.1.2308.27" ||
		!slices.ContainsFunc(a.Notes, func(n string) bool { return strings.Contains(n, "supported then: CU23, CU22") }) {
		t.Errorf("on 2022-04-29: %s %+v; want unsupported (N-2), latest 15.1.2308.27", h.Build, *a)
	}
	// Seen on 2022-04-19 instead, the day before CU23: CU21 was N-1 and
	// got security updates. Today's judgement does not move.
	before := regexp.MustCompile(`Fri, 29 Apr(\s+)2022`).ReplaceAllString(rt, "Tue, 19 Apr${1}2022")
	h = mailHops(t, before, "RTEXMBS04.realtek.com.tw")[0]
	if a := h.AtSeen; h.Seen != "2022-04-19T07:18:47Z" || !a.Supported || a.Latest != "15.1.2308.27" {
		t.Errorf("on 2022-04-19: %s %+v; want supported (N-1), latest 15.1.2308.27", h.Seen, *a)
	}
	if h.Today.Supported {
		t.Errorf("today: 2016 CU21 supported")
	}
}
