package exchange

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestDefaultKB(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// The sizes the README and SOURCES.md state.
	cves := map[string]bool{}
	for _, f := range kb.Fixes {
		cves[f.CVE] = true
	}
	if len(kb.Releases) != 346 || len(kb.Fixes) != 781 || len(cves) != 157 || len(kb.KEV) != 18 {
		t.Errorf("embedded kb: %d releases, %d fixes, %d CVEs, %d KEV entries; README and SOURCES.md say 346, 781, 157, 18", len(kb.Releases), len(kb.Fixes), len(cves), len(kb.KEV))
	}
	if got := kb.DataDate().Format("2006-01-02"); got != "2026-10-13" {
		t.Errorf("data date %s", got)
	}
	if kb.CVEs["CVE-2021-26855"].ExploitedSince.Format("2006-01-02") != "2021-01-06" {
		t.Errorf("ProxyLogon first exploitation date: %v", kb.CVEs["CVE-2021-26855"])
	}
}

func TestLoadMalformed(t *testing.T) {
	good := "product,cu,update_name,build,release_date,kb,notes\nExchange Server 2016,CU19,CU19,15.1.2176.2,2020-12-15,,\n"
	fixes := "cve,product,cu,fixed_build,update_name,condition,source,notes\nCVE-2021-26855,Exchange Server 2016,CU19,15.1.2176.9,Mar21SU,build,x,\n"
	test := func(builds, fixes, want string) {
		t.Helper()
		_, err := LoadFS(fstest.MapFS{BuildsFile: {Data: []byte(builds)}, FixesFile: {Data: []byte(fixes)}})
		if err == nil {
			t.Fatalf("no error, want %q", want)
		}
		if !errors.Is(err, ErrKB) || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to contain %q", err, want)
		}
	}
	test(good+"Exchange Server 2016,CU19,Mar21SU,15.1.x.9,2021-03-02,,\n", fixes, "builds.csv: line 3:")
	test(good+"Exchange Server 2016,CU19,Mar21SU,15.1.2176.9,03/02/2021,,\n", fixes, "line 3: date")
	test("product,cu,build\n", fixes, "builds.csv: line 1: missing column \"update_name\"")
	test(good, fixes+"CVE-2021-26857,Exchange Server 2016,CU19,15.1.2176.9,Mar21SU,maybe,x,\n", "cve-fixes.csv: line 3: condition \"maybe\"")
	test(good, fixes+"\"unterminated,x\n", "cve-fixes.csv")
	if _, err := LoadFS(fstest.MapFS{BuildsFile: {Data: []byte(good)}, FixesFile: {Data: []byte(fixes)}}); err != nil {
		t.Errorf("good files: %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	// A newer table: one invented future SU, to prove --kb replaces the data.
	b := "product,cu,update_name,build,release_date,kb,notes\nExchange Server SE,RTM,RTM,15.2.2562.17,2025-07-01,,\nExchange Server SE,RTM,Dec27SU,15.2.2562.90,2027-12-14,KB9999999,test\n"
	f := "cve,product,cu,fixed_build,update_name,condition,source,notes\nCVE-2027-0001,Exchange Server SE,RTM,15.2.2562.90,Dec27SU,build,test,\n"
	os.WriteFile(filepath.Join(dir, BuildsFile), []byte(b), 0o644)
	os.WriteFile(filepath.Join(dir, FixesFile), []byte(f), 0o644)
	kb, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := kb.Assess("15.2.2562.17")
	if len(a.CVEs) != 1 || a.CVEs[0] != "CVE-2027-0001" || a.LatestUpdate != "Dec27SU" {
		t.Errorf("newer kb not used: %+v", a)
	}
	if _, err := Load(filepath.Join(dir, "nope")); err == nil || !errors.Is(err, ErrKB) {
		t.Errorf("missing dir: %v", err)
	}
}
