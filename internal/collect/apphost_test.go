package collect

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exchange2019IIS holds real Exchange 2019 IIS configuration files, from
// microsoft/CSS-Exchange's HealthChecker test data (MIT; see
// ../shared/corpus/SOURCES.md).
const exchange2019IIS = "../../../shared/corpus/benign-css-exchange/Diagnostics/HealthChecker/Tests/DataCollection/E19/Exchange/IIS"

func readCorpus(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exchange2019IIS, name))
	if os.IsNotExist(err) {
		t.Skip("shared corpus not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseRealApplicationHost: the three real Exchange 2019
// applicationHost.config files give both Exchange sites, their default
// log folders and the install path; the file with a broken section group
// (BadApplicationHost.config) is an error, not a partial answer.
func TestParseRealApplicationHost(t *testing.T) {
	for _, name := range []string{"applicationHost.config", "applicationHost1.config", "applicationHost2.config"} {
		cfg, err := ParseApplicationHost(strings.NewReader(readCorpus(t, name)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cfg.Sites) != 2 || cfg.Sites[0].Name != "Default Web Site" || cfg.Sites[0].ID != "1" ||
			cfg.Sites[1].Name != "Exchange Back End" || cfg.Sites[1].ID != "2" {
			t.Errorf("%s: sites %+v", name, cfg.Sites)
		}
		want := []string{`%SystemDrive%\inetpub\logs\LogFiles\W3SVC1`, `%SystemDrive%\inetpub\logs\LogFiles\W3SVC2`}
		if got := cfg.LogDirs(); !slices.Equal(got, want) {
			t.Errorf("%s: log dirs %q, want %q", name, got, want)
		}
		if got, ok := cfg.ExchangeInstall(); !ok || got != `C:\Program Files\Microsoft\Exchange Server\V15` {
			t.Errorf("%s: install %q %v", name, got, ok)
		}
		if !slices.Contains(cfg.Sites[0].PhysicalPaths, `C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa`) ||
			!slices.Contains(cfg.Sites[1].PhysicalPaths, `%windir%\System32\RpcProxy`) {
			t.Errorf("%s: physical paths %q / %q", name, cfg.Sites[0].PhysicalPaths, cfg.Sites[1].PhysicalPaths)
		}
	}
	if _, err := ParseApplicationHost(strings.NewReader(readCorpus(t, "BadApplicationHost.config"))); err == nil {
		t.Error("BadApplicationHost.config parsed")
	}
}

// TestRealApplicationHostSiteLogFile: the real file, edited at test time
// the way admins move logs off C: (a site-level <logFile directory>, as
// in the public IIS server configuration c1982/IIS-SharedGitConfig
// applicationHost.config, whose sites log to C:\vhosts\<site>\logs), and
// central W3C logging switched on.
func TestRealApplicationHostSiteLogFile(t *testing.T) {
	doc := readCorpus(t, "applicationHost.config")
	const backEnd = `<site name="Exchange Back End" id="2" serverAutoStart="true">`
	if !strings.Contains(doc, backEnd) {
		t.Fatal("the corpus file changed")
	}
	doc = strings.Replace(doc, backEnd, backEnd+`<logFile logFormat="W3C" directory="D:\IIS Logs" period="Daily" />`, 1)
	doc = strings.Replace(doc, "<log>", `<log centralLogFileMode="CentralW3C">`, 1)
	cfg, err := ParseApplicationHost(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`%SystemDrive%\inetpub\logs\LogFiles\W3SVC1`, `D:\IIS Logs\W3SVC2`, `%SystemDrive%\inetpub\logs\LogFiles`}
	if got := cfg.LogDirs(); !slices.Equal(got, want) {
		t.Errorf("log dirs %q, want %q", got, want)
	}
}

// TestCollectWithRealApplicationHost: a simulated C:\ whose IIS
// configuration is the real Exchange 2019 file: the install path comes
// from it, and both sites' logs and web.config files are collected.
func TestCollectWithRealApplicationHost(t *testing.T) {
	doc := readCorpus(t, "applicationHost.config")
	root := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("windows/System32/inetsrv/config/applicationHost.config", doc)
	write("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", "#Fields: date\r\n")
	write("inetpub/logs/LogFiles/W3SVC2/u_ex210303.log", "#Fields: date\r\n")
	write("Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/web.config", readCorpus(t, "DefaultWebSite-ECP_web.config"))
	write("Program Files/Microsoft/Exchange Server/V15/ClientAccess/ecp/web.config", readCorpus(t, "ExchangeBackEnd-ECP_web.config"))
	p := plan(t, root, Options{})
	if p.Exchange.FoundFrom != "applicationHost.config" || p.IIS.From != "applicationHost.config" {
		t.Errorf("exchange %+v, iis %+v", p.Exchange, p.IIS)
	}
	var got []string
	for _, it := range p.Items {
		got = append(got, it.Path)
	}
	for _, w := range []string{
		"C/windows/System32/inetsrv/config/applicationHost.config",
		"C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
		"C/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log",
		"C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/web.config",
		"C/Program Files/Microsoft/Exchange Server/V15/ClientAccess/ecp/web.config",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("%s not collected: %q", w, got)
		}
	}
}

func TestParseApplicationHost(t *testing.T) {
	test := func(doc string, want []string, wantErr bool) {
		t.Helper()
		cfg, err := ParseApplicationHost(strings.NewReader(doc))
		if wantErr != (err != nil) {
			t.Fatalf("%s: error %v", doc, err)
		}
		if err == nil && !slices.Equal(cfg.LogDirs(), want) {
			t.Errorf("%s: %q, want %q", doc, cfg.LogDirs(), want)
		}
	}
	wrap := func(s string) string {
		return "<configuration><system.applicationHost>" + s + "</system.applicationHost></configuration>"
	}
	test(wrap(`<sites><site name="a" id="7"/></sites>`), []string{`%SystemDrive%\inetpub\logs\LogFiles\W3SVC7`}, false)
	test(wrap(`<sites><site name="no id"/></sites>`), nil, false)
	test(wrap(`<sites><siteDefaults><logFile directory="E:\Logs\"/></siteDefaults><site name="a" id="3"/></sites>`), []string{`E:\Logs\W3SVC3`}, false)
	test(wrap(`<log centralLogFileMode="Site"><centralW3CLogFile directory="F:\c"/></log>`), nil, false)
	test(`<configuration>`, nil, true)
	test(`not xml`, nil, true)
	test("<configuration>"+strings.Repeat(" ", maxAppHostSize)+"</configuration>", nil, true)
}
