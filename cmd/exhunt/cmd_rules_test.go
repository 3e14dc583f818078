package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

// corpusZip archives the shared corpus folder base/dirs under top/, or
// skips the test when the corpus is absent.
func corpusZip(t *testing.T, base, top string, dirs ...string) []byte {
	t.Helper()
	root := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(root, "GROUND_TRUTH.md")); err != nil {
		t.Skip("shared corpus not available")
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, base, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(root, base), p)
			w, err := zw.Create(top + "/" + filepath.ToSlash(rel))
			if err == nil {
				_, err = w.Write(data)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRulesCLI installs real signature-base and SigmaHQ archives from a
// loopback server, lists them, hunts with them (and without them), and
// checks the refusals and the offline --from install.
func TestRulesCLI(t *testing.T) {
	sb := corpusZip(t, "signature-base", "signature-base-master", "yara", "LICENSE")
	sigma := corpusZip(t, "sigmahq", "sigma", "rules/windows/process_creation", "rules-emerging-threats/2021/Exploits")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sb.zip":
			w.Write(sb)
		case "/sigma.zip":
			w.Write(sigma)
		case "/corrupt.zip":
			w.Write(sb[:1000])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	data := t.TempDir()
	dd := "--data-dir=" + data

	code, out, errs := cli(t, "", "rules", "list", dd)
	if code != 0 || !strings.Contains(out, "built-in YARA pack") || !strings.Contains(out, "No community rule set installed") {
		t.Errorf("empty list: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs = cli(t, "", "rules", "update", dd, "--url", "signature-base="+srv.URL+"/sb.zip", "--url", "sigma="+srv.URL+"/sigma.zip",
		"--sha256", "signature-base="+sha256Hex(sb), "--sha256", "sigma="+sha256Hex(sigma))
	if code != 0 || !strings.Contains(out, "signature-base unversioned installed: ") || !strings.Contains(out, "sigma unversioned installed: ") ||
		strings.Count(out, "(matches the SHA-256 given with --sha256)") != 2 {
		t.Fatalf("update: exit %d\n%s%s", code, out, errs)
	}

	code, out, _ = cli(t, "", "rules", "list", dd, "--format", "json")
	var list struct {
		DataDir string `json:"data_dir"`
		Builtin []struct {
			Name  string
			Rules int
		}
		Community []struct {
			Name, Kind, Checksum string
			Rules                int
			Unusable             []struct{ File, Rule, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
		t.Fatalf("list json: %v\n%s", err, out)
	}
	if list.DataDir != data || len(list.Builtin) != 2 || list.Builtin[0].Rules < 30 || len(list.Community) != 2 ||
		list.Community[0].Name != "sigma" || list.Community[0].Rules < 500 || list.Community[1].Name != "signature-base" || list.Community[1].Rules < 800 {
		t.Errorf("list: %+v", list)
	}

	// A hunt loads the community sets: signature-base's rules fire on a
	// China Chopper page, and the result records the sets' versions.
	evidence := fileTree(t, map[string]string{"C/inetpub/wwwroot/aspnet_client/system_web/a.aspx": chopperASPX})
	code, out, errs = cli(t, "", "hunt", "--format", "json", "--no-store", dd, evidence)
	var res finding.HostResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
		t.Fatalf("hunt: exit %d, %v\n%s", code, err, errs)
	}
	community := 0
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, "yara:") && !strings.HasPrefix(f.Rule, "yara:webshells:") && !strings.HasPrefix(f.Rule, "yara:exchange:") {
			community++
		}
	}
	if community == 0 || res.RulesVersion != "sigma unversioned, signature-base unversioned" ||
		!strings.Contains(errs, "community Sigma rules") || !strings.Contains(errs, "community YARA rules") {
		t.Errorf("hunt with community rules: %d community findings, rules_version %q\n%s", community, res.RulesVersion, errs)
	}
	code, out, errs = cli(t, "", "hunt", "--format", "json", "--no-store", "--no-community-rules", dd, evidence)
	res = finding.HostResult{}
	json.Unmarshal([]byte(out), &res)
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, "yara:") && !strings.HasPrefix(f.Rule, "yara:webshells:") && !strings.HasPrefix(f.Rule, "yara:exchange:") {
			t.Errorf("--no-community-rules: community finding %s", f.Rule)
		}
	}
	if code != 1 || res.RulesVersion != "" || strings.Contains(errs, "community") {
		t.Errorf("--no-community-rules: exit %d, rules_version %q\n%s", code, res.RulesVersion, errs)
	}

	// Refusals: exit 2 and the installed set stays.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--only", "signature-base", "--url", "signature-base=" + srv.URL + "/sb.zip", "--sha256", strings.Repeat("0", 64)}, "SHA-256 mismatch"},
		{[]string{"--only", "signature-base", "--url", "signature-base=" + srv.URL + "/corrupt.zip"}, "not a zip archive"},
		{[]string{"--only", "signature-base", "--url", "signature-base=" + srv.URL + "/missing.zip"}, "404"},
		{[]string{"--only", "nosuchset"}, "unknown rule set"},
		{[]string{"--sha256", "xyz"}, "not a SHA-256"},
		{[]string{"--url", "sigma"}, "want NAME=VALUE"},
	} {
		code, out, errs := cli(t, "", append([]string{"rules", "update", dd}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s%s", tc.args, code, tc.msg, out, errs)
		}
	}
	code, out, _ = cli(t, "", "rules", "list", dd)
	if code != 0 || !strings.Contains(out, sha256Hex(sb)) {
		t.Errorf("a refused update changed the installed set:\n%s", out)
	}

	// Offline: --from, the set detected from the archive's files.
	file := filepath.Join(t.TempDir(), "signature-base-master.zip")
	os.WriteFile(file, sb, 0o644)
	code, out, errs = cli(t, "", "rules", "update", dd, "--from", file)
	if code != 0 || !strings.Contains(out, "signature-base local file installed") || !strings.Contains(out, "not verified") {
		t.Errorf("--from: exit %d\n%s%s", code, out, errs)
	}
}
