package mailhdr

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) []Hop {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hops, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return hops
}

type want struct {
	host, build, date string
	online, frontend  bool
}

func check(t *testing.T, name string, hops []Hop, ws []want) {
	t.Helper()
	if len(hops) != len(ws) {
		t.Fatalf("%s: %d hops, want %d: %+v", name, len(hops), len(ws), hops)
	}
	for i, w := range ws {
		h := hops[i]
		if h.Host != w.host || h.Build != w.build || h.Date.UTC().Format(time.RFC3339) != w.date || h.Online != w.online || h.Frontend != w.frontend {
			t.Errorf("%s hop %d: %+v\nwant %+v", name, i, h, w)
		}
	}
}

// Expected hops are read by hand from the real headers (testdata/SOURCES.md).
func TestRealHeaders(t *testing.T) {
	check(t, "realtek", parseFile(t, "realtek-linux-wireless-2022-04-29.eml"), []want{
		{"RTEXH36504.realtek.com.tw", "15.1.2308.27", "2022-04-29T07:18:47Z", false, false},
		{"RTEXMBS04.realtek.com.tw", "15.1.2308.21", "2022-04-29T07:18:47Z", false, false},
	})
	q := parseFile(t, "qualcomm-linux-bluetooth-2024-04-19.headers")
	check(t, "qualcomm", q, []want{{"nasanex01a.na.qualcomm.com", "15.2.1544.9", "2024-04-19T22:06:04Z", false, false}})
	if q[0].MessageID != "<d076ead9-f209-43e9-ba6a-854a873b80ed@quicinc.com>" || q[0].From != "[10.253.76.25]" {
		t.Errorf("message id %q from %q", q[0].MessageID, q[0].From)
	}
	check(t, "nvidia", parseFile(t, "nvidia-linux-rdma-2025-06-19.headers"), []want{
		{"MN6PR12MB8469.namprd12.prod.outlook.com", "15.20.8857.20", "2025-06-19T11:56:04Z", true, false},
		{"SJ0PR05CA0209.outlook.office365.com", "15.20.8880.12", "2025-06-19T11:56:04Z", true, true},
		{"SJ5PEPF000001F0.mail.protection.outlook.com", "15.20.8857.21", "2025-06-19T11:56:03Z", true, true},
		{"mail.nvidia.com", "15.2.1544.4", "2025-06-19T11:56:00Z", false, false},
		{"drhqmail201.nvidia.com", "15.2.1544.14", "2025-06-19T11:55:59Z", false, false},
		{"mail.nvidia.com", "15.2.1544.14", "2025-06-19T11:55:55Z", false, true},
	})
	m := parseFile(t, "two-lists.mbox")
	if len(m) != 3 || m[0].Message != 1 || m[2].Message != 2 || m[2].Host != "nasanex01a.na.qualcomm.com" {
		t.Errorf("mbox: %+v", m)
	}
}

// Near misses: Received headers of other MTAs, a non-Exchange "id", a
// header that only mentions Exchange in its body.
func TestNotExchange(t *testing.T) {
	in := "Received: from rtits2.realtek.com.tw (rtits2.realtek.com [211.75.126.72])\n" +
		"        by lindbergh.monkeyblade.net (Postfix) with ESMTPS id E098BBF514\n" +
		"        for <linux-wireless@vger.kernel.org>; Fri, 29 Apr 2022 00:18:52 -0700 (PDT)\n" +
		"X-Note: with Microsoft SMTP Server id 15.1.2308.27\n" +
		"Subject: Received: with Microsoft SMTP Server id 15.2.1544.9\n" +
		"\n" +
		"Received: from a by b with Microsoft SMTP Server id 15.2.1544.9; Fri, 19 Apr 2024 15:06:04 -0700\n"
	if hops, err := Parse(strings.NewReader(in)); err != nil || len(hops) != 0 {
		t.Errorf("hops %+v err %v", hops, err)
	}
}

func TestHostileInput(t *testing.T) {
	in := "Received: from x by evil\x1b[31m.example with Microsoft SMTP Server id 15.2.1544.9; garbage date\n"
	hops, _ := Parse(strings.NewReader(in))
	if len(hops) != 1 || hops[0].Host != "evil" || !hops[0].Date.IsZero() {
		t.Errorf("%+v", hops)
	}
	// A huge folded header is cut, not kept whole.
	big := "Received: from a by b with Microsoft SMTP Server id 15.1.2308.27; Fri, 29 Apr 2022 15:18:47 +0800\n" + strings.Repeat(" x\n", 500000)
	if hops, err := Parse(strings.NewReader(big)); err != nil || len(hops) != 1 || hops[0].Build != "15.1.2308.27" {
		t.Errorf("big: %v %+v", err, hops)
	}
	if _, err := Parse(bytes.NewReader(make([]byte, MaxInput+10))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized input: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"realtek-linux-wireless-2022-04-29.eml", "qualcomm-linux-bluetooth-2024-04-19.headers", "nvidia-linux-rdma-2025-06-19.headers", "two-lists.mbox"} {
		data, _ := os.ReadFile("testdata/" + n)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hops, err := Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hops {
			if h.Build == "" || strings.ContainsFunc(h.Host+h.From+h.MessageID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				t.Fatalf("unclean hop %+v", h)
			}
		}
	})
}
