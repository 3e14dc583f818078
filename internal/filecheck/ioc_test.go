package filecheck

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestBuiltinIOCs(t *testing.T) {
	x, err := builtinIOCs()
	if err != nil {
		t.Fatal(err)
	}
	if len(x.hashes) < 40 || len(x.names) < 50 {
		t.Errorf("builtin lists look truncated: %d hashes, %d names", len(x.hashes), len(x.names))
	}
	// Microsoft's March 2021 HAFNIUM web shell, listed by MSTIC, SCS and signature-base.
	h, ok := x.Hash("511DF0E2DF9BFA5521B588CC4BB5F8C5A321801B803394EBC493DB1EF3C78FA1")
	if !ok || h.Type != "sha256" || !strings.Contains(h.Source, "mstic-march2021") {
		t.Errorf("Hafnium sha256: %+v %v", h, ok)
	}
	test := func(p string, want bool) {
		t.Helper()
		if _, got := x.Name(p); got != want {
			t.Errorf("Name(%q) = %v, want %v", p, got, want)
		}
	}
	test("C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/OutlookZH.aspx", true)
	test("C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/OutlookCN.aspx", false) // stock
	test("C/inetpub/wwwroot/aspnet_client/system_web/LOG.aspx", true)
	test("C/inetpub/wwwroot/aspnet_client/log.aspx", false)
	test("C/inetpub/wwwroot/aspnet_client/xx.aspx", true)
	test("C/inetpub/wwwroot/xx.aspx", false)
	test("C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/supp0rt.aspx", true)
	test("C/inetpub/wwwroot/aspnet_client_old/supp0rt.aspx", false)
}

// TestHashFindings injects IOC lists, since the published hashes are of
// malware samples the repository does not hold.
func TestHashFindings(t *testing.T) {
	data := []byte(`<%@ Page Language="C#" %>harmless`)
	s1, m5 := sha1.Sum(data), md5.Sum(data)
	base := *testChecker(t)
	for _, tc := range []struct {
		name string
		ioc  HashIOC
		want bool
	}{
		{"sha1 listed", HashIOC{Hash: hex.EncodeToString(s1[:]), Type: "sha1", Source: "test"}, true},
		{"md5 listed", HashIOC{Hash: hex.EncodeToString(m5[:]), Type: "md5", Source: "test"}, true},
		{"other md5", HashIOC{Hash: strings.Repeat("0", 32), Type: "md5", Source: "test"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Checker{sets: base.sets, log: base.log, iocs: NewIOCs([]HashIOC{tc.ioc}, nil)}
			fs := detect(t, c, "site/x.aspx", data)
			if got := len(fs) == 1 && fs[0].Rule == "ioc:hash"; got != tc.want {
				t.Fatalf("findings %v, want hash hit %v", ruleIDs(fs), tc.want)
			}
			if tc.want && (fs[0].Severity != finding.Critical || !strings.Contains(fs[0].Evidence, tc.ioc.Hash) || fs[0].Details["ioc_source"] != "test") {
				t.Errorf("finding = %+v", fs[0])
			}
		})
	}
}

func TestParseIOCErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"bad header", "sha,type,name,source\n", "header"},
		{"bad type", "hash,type,name,source\nabcd,sha512,,x\n", "unknown hash type"},
		{"bad length", "hash,type,name,source\nabcd,md5,,x\n", "not a md5"},
		{"not hex", "hash,type,name,source\n" + strings.Repeat("z", 32) + ",md5,,x\n", "not a md5"},
		{"field count", "hash,type,name,source\nabcd,md5\n", "wrong number of fields"},
	} {
		if _, err := ParseHashes(strings.NewReader(tc.csv)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ParseNames(strings.NewReader("folder,name,source\nowa/auth/,../x.aspx,s\n")); err == nil {
		t.Error("name with a slash accepted")
	}
	ns, err := ParseNames(strings.NewReader("folder,name,source\n# comment\n/OWA/Auth,x.aspx,s\n"))
	if err != nil || len(ns) != 1 || ns[0].Folder != "owa/auth/" {
		t.Errorf("ParseNames = %+v, %v", ns, err)
	}
}

// TestHashTypesComputedOnlyWhenListed: the built-in lists hold SHA-256
// only (ESET's SHA-1 and MD5 lists name the same samples), so a hunt does
// not pay for SHA-1 and MD5; a list with such hashes turns them on.
func TestHashTypesComputedOnlyWhenListed(t *testing.T) {
	x, err := builtinIOCs()
	if err != nil {
		t.Fatal(err)
	}
	if !x.Lists("sha256") || x.Lists("sha1") || x.Lists("md5") {
		t.Errorf("built-in lists: sha256 %v sha1 %v md5 %v, want only sha256", x.Lists("sha256"), x.Lists("sha1"), x.Lists("md5"))
	}
	eset := 0
	for _, h := range x.hashes {
		if strings.Contains(h.Source, "eset-exchange-exploitation") {
			eset++
		}
	}
	if eset != 23 {
		t.Errorf("%d ESET samples listed, want 23", eset)
	}
	y := NewIOCs([]HashIOC{{Hash: strings.Repeat("a", 32), Type: "md5"}}, nil)
	if !y.Lists("md5") || y.Lists("sha1") {
		t.Errorf("md5-only list: md5 %v sha1 %v", y.Lists("md5"), y.Lists("sha1"))
	}
}
