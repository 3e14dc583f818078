package filecheck

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
)

// webShellPath is where the family tests place a sample: a web folder no
// location rule singles out, so only content rules can fire.
func webShellPath(name string) string { return "C/inetpub/wwwroot/app/" + path.Base(name) }

// shellRules returns the yara:webshells rules among the findings for data.
func shellRules(t *testing.T, c *Checker, name string, data []byte) []string {
	t.Helper()
	var out []string
	for _, id := range ruleIDs(detect(t, c, webShellPath(name), data)) {
		if r, ok := strings.CutPrefix(id, "yara:webshells:"); ok {
			out = append(out, r)
		}
	}
	return out
}

// familySamples maps every web-shell rule of the pack to real samples of
// the families it describes, in the shared corpus (tennc-webshell) or,
// where the corpus has none, in testdata/shells (excerpts of the public
// tools, see testdata/shells/SOURCES.md).
var familySamples = map[string][]string{
	"China_Chopper_ASPX":               {"corpus:tennc-webshell/caidao-shell/ice.aspx", "corpus:tennc-webshell/aspx/editor.aspx", "corpus:tennc-webshell/aspx/xslt.aspx"},
	"JScript_Eval_Runat_Server":        {"corpus:tennc-webshell/aspx/aspx变形一句话.aspx"},
	"JScript_Server_Eval":              {"corpus:tennc-webshell/aspx/abcd.aspx", "corpus:tennc-webshell/aspx/wooyun2015052301.aspx"},
	"XSLT_Script_Shell":                {"corpus:tennc-webshell/aspx/a1.aspx", "corpus:tennc-webshell/aspx/a.aspx"},
	"ASPX_Command_Exec_From_Request":   {"corpus:tennc-webshell/aspx/as.ashx", "corpus:tennc-webshell/fuzzdb-webshell/asp/cmd.aspx", "corpus:tennc-webshell/web-malware-collection-13-06-2012/ASP/cmdexec.aspx", "corpus:tennc-webshell/aspx/nishang/Antak-WebShell/antak.aspx", "corpus:tennc-webshell/Backdoor Dev Shells/devshell.aspx"},
	"WScript_Shell_Exec_ASPX":          {"corpus:tennc-webshell/aspx/a1.aspx", "corpus:tennc-webshell/aspx/web.config"},
	"ASPX_SQL_Server_Command_Exec":     {"corpus:tennc-webshell/aspx/2013110125222650.aspx", "corpus:tennc-webshell/aspx/ASPXspy2.aspx"},
	"ASPX_Assembly_Loader":             {"corpus:tennc-webshell/Behinder/shell.aspx", "corpus:tennc-webshell/Godzilla/123.aspx", "corpus:tennc-webshell/Godzilla/123.asmx", "shells/antsword-csharp.aspx", "shells/sharpyshell-encrypted-dll.aspx"},
	"ASPX_Payload_In_Session":          {"corpus:tennc-webshell/Godzilla/123.ashx"},
	"ASPX_Runtime_Compiler":            {"shells/sharpyshell-raw-xor.aspx"},
	"ASPX_Embedded_Executable":         {"corpus:tennc-webshell/Backdoor Dev Shells/Source/devilzShell.aspx", "shells/msf-to-exe.aspx"},
	"ASPX_Shellcode_Loader":            {"shells/msf-to-mem.aspx"},
	"ASPX_Socket_Tunnel":               {"shells/regeorg-tunnel.aspx", "shells/neoregeorg-tunnel.aspx", "shells/tunna-conn.aspx"},
	"ASPX_Packet_Sniffer":              {"corpus:tennc-webshell/aspx/aspx下嗅探工具websniff1.0-linux.aspx", "corpus:tennc-webshell/net-friend/aspx/sniffer--aspx的嗅探工具.aspx"},
	"ASPX_SQL_Console":                 {"corpus:tennc-webshell/aspx/asp.net-backdoors/sql.aspx", "corpus:tennc-webshell/aspx/asp.net-backdoors/spexec.aspx", "corpus:tennc-webshell/drag/tuo.aspx", "corpus:tennc-webshell/net-friend/aspx/脱裤4ngle.aspx"},
	"ASPX_File_Write_From_Request":     {"corpus:tennc-webshell/aspx/asp.net-backdoors/fileupload.aspx", "corpus:tennc-webshell/aspx/Aspx一句话木马小集.aspx"},
	"ASPX_Server_Console":              {"corpus:tennc-webshell/aspx/ASPXspy2.aspx", "corpus:tennc-webshell/aspx/wso.aspx", "corpus:tennc-webshell/caidao-shell/customize.asmx", "corpus:tennc-webshell/net-friend/aspx/view.aspx"},
	"ASPX_File_Browser":                {"corpus:tennc-webshell/aspx/asp.net-backdoors/filesystembrowser.aspx", "corpus:tennc-webshell/web-malware-collection-13-06-2012/ASP/filesystembrowser.aspx"},
	"ASPX_IIS_Credential_Harvest":      {"corpus:tennc-webshell/aspx/AspxSpy2014Final.aspx", "corpus:tennc-webshell/aspx/con2.aspx"},
	"ASPX_Registry_Walker":             {"corpus:tennc-webshell/net-friend/asp/asp目录可写扫描/01.aspx", "corpus:tennc-webshell/net-friend/可读写目录探测/从注册表中读存在路径.aspx"},
	"ASPX_Writable_Folder_Scanner":     {"corpus:tennc-webshell/net-friend/可读写目录探测/啊D小工具 - 目录读写检测 [ASPX版].aspx", "corpus:tennc-webshell/net-friend/asp/asp目录可写扫描/wt.aspx"},
	"China_Chopper_Custom_Server":      {"corpus:tennc-webshell/caidao-shell/customize.ashx", "corpus:tennc-webshell/caidao-shell/Customize.soap", "corpus:tennc-webshell/caidao-shell/customize.asmx"},
	"ASPX_Obfuscated_Code":             {"corpus:tennc-webshell/aspx/wooyun2015052301.aspx"},
	"WebConfig_Embedded_Script":        {"corpus:tennc-webshell/aspx/web.config"},
	"WebConfig_Script_Handler_Mapping": {"corpus:tennc-webshell/aspx/web.config"},
}

// readSample reads a "corpus:" path from the shared corpus (nil when the
// corpus is absent) or a path under testdata.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	if p, ok := strings.CutPrefix(name, "corpus:"); ok {
		if _, err := os.Stat(filepath.Join(yaratest.CorpusDir, "GROUND_TRUTH.md")); err != nil {
			return nil
		}
		return mustRead(t, filepath.Join(yaratest.CorpusDir, p))
	}
	return readTestdata(t, name)
}

// TestWebShellFamilies checks each web-shell rule on real samples of the
// families it names. Corpus samples are skipped (not failed) when the
// shared corpus is absent; the testdata excerpts always run.
func TestWebShellFamilies(t *testing.T) {
	c := testChecker(t)
	for rule, samples := range familySamples {
		for _, s := range samples {
			t.Run(rule+"/"+path.Base(s), func(t *testing.T) {
				data := readSample(t, s)
				if data == nil {
					t.Skip("shared corpus not available")
				}
				if got := shellRules(t, c, s, data); !slices.Contains(got, rule) {
					t.Errorf("%s: rules %v, want %s", s, got, rule)
				}
			})
		}
	}
}

// TestWebShellRulesAllTested keeps familySamples and the pack in step: a
// web-shell rule without a real sample is an untested rule.
func TestWebShellRulesAllTested(t *testing.T) {
	yar := string(readTestdata(t, "../pack/webshells.yar"))
	for _, line := range strings.Split(yar, "\n") {
		name, ok := strings.CutPrefix(line, "rule ")
		if !ok {
			continue
		}
		name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), "{"))
		if _, tested := familySamples[name]; !tested && name != "Eval_On_Request_ASPX" && name != "CSharp_JScript_Evaluate" {
			t.Errorf("rule %s has no sample in familySamples", name)
		}
	}
}

// TestWebShellTwins runs each web-shell rule's near-miss benign twin:
// legitimate code using the same APIs without the shell's behaviour.
// None may raise a web-shell finding.
func TestWebShellTwins(t *testing.T) {
	c := testChecker(t)
	twins := []struct{ rule, name, code string }{
		{"China_Chopper_ASPX, JScript_Server_Eval", "jscript.aspx", `<%@ Page Language="JScript" %>
<script runat="server">function Page_Load() { var qty = parseInt(Request.Form["qty"]); Total.Text = String(qty * 2); }</script>
<script type="text/javascript">var cfg = eval("(" + json + ")");</script>
<asp:Repeater runat="server"><ItemTemplate><%# DataBinder.Eval(Container.DataItem, "Price", "{0:c}") %></ItemTemplate></asp:Repeater>`},
		{"CSharp_JScript_Evaluate", "calc.aspx", `<%@ Page Language="C#" %>
<script runat="server">void Calc(object s, EventArgs e) {
  string expr = System.Text.RegularExpressions.Regex.Replace(txtFormula.Text, "[^0-9+*/().-]", "");
  lblResult.Text = Microsoft.JScript.Eval.JScriptEvaluate(expr, Microsoft.JScript.Vsa.VsaEngine.CreateEngine()).ToString();
}</script>`},
		{"XSLT_Script_Shell", "report.aspx", `<%@ Page Language="C#" %>
<% var s = new XsltSettings(false, true); s.EnableScript = true;
string xsl = "<xsl:stylesheet xmlns:msxsl='urn:schemas-microsoft-com:xslt'><msxsl:script language='C#' implements-prefix='u'>public string Today() { return System.DateTime.Now.ToString(\"d\"); }</msxsl:script></xsl:stylesheet>";
var x = new XslCompiledTransform(); x.Load(XmlReader.Create(new StringReader(xsl)), s, null); %>`},
		{"ASPX_Command_Exec_From_Request", "diag.aspx", `<%@ Page Language="C#" %>
<script runat="server">void Page_Load(object s, EventArgs e) {
  var psi = new System.Diagnostics.ProcessStartInfo("ipconfig.exe", "/all");
  psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
  var p = System.Diagnostics.Process.Start(psi);
  lblOut.Text = Server.HtmlEncode(p.StandardOutput.ReadToEnd());
  lblUser.Text = Server.HtmlEncode(Request.QueryString["user"]);
}</script>`},
		{"WScript_Shell_Exec_ASPX", "info.asp", `<%
Set sh = Server.CreateObject("WScript.Shell")
ver = sh.RegRead("HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName")
Response.Write Server.HTMLEncode(ver & " " & Request("lang"))
%>`},
		{"ASPX_SQL_Server_Command_Exec", "audit.aspx", `<%@ Page Language="C#" %>
<% using (var cn = new SqlConnection(ConfigurationManager.ConnectionStrings["main"].ConnectionString)) {
  cn.Open(); new SqlCommand("EXEC sp_configure 'show advanced options', 1; RECONFIGURE; EXEC sp_configure 'xp_cmdshell', 0; RECONFIGURE", cn).ExecuteNonQuery();
  lblStatus.Text = "xp_cmdshell disabled for " + Server.HtmlEncode(Request.QueryString["db"]); } %>`},
		{"ASPX_Assembly_Loader", "plugins.aspx", `<%@ Page Language="C#" %>
<% var asm = System.Reflection.Assembly.LoadFrom(Server.MapPath("~/bin/Plugins.dll"));
var plugin = asm.CreateInstance("Plugins." + Request.QueryString["name"]);
plugin.GetType().GetMethod("Render").Invoke(plugin, null);
imgLogo.ImageUrl = "data:image/png;base64," + Convert.ToBase64String(Convert.FromBase64String(logo)); %>`},
		{"ASPX_Payload_In_Session", "version.aspx", `<%@ Page Language="C#" %>
<% Application["version"] = System.Reflection.Assembly.GetExecutingAssembly().GetName().Version;
Session["culture"] = Request.UserLanguages[0]; %>`},
		{"ASPX_Runtime_Compiler", "formula.aspx", `<%@ Page Language="C#" %>
<script runat="server">decimal Eval(string expr) {
  var p = new Microsoft.CSharp.CSharpCodeProvider();
  var cp = new System.CodeDom.Compiler.CompilerParameters(); cp.GenerateInMemory = true;
  var res = p.CompileAssemblyFromSource(cp, "public class E { public decimal Run() { return " + expr + "; } }");
  var o = res.CompiledAssembly.CreateInstance("E");
  return (decimal)o.GetType().GetMethod("Run").Invoke(o, null);
}
void Page_Load(object s, EventArgs e) { lbl.Text = Eval(System.Text.RegularExpressions.Regex.Replace(Request["f"], "[^0-9+*/.]", "")).ToString(); }</script>`},
		{"ASPX_Embedded_Executable", "icon.ashx", `<%@ WebHandler Language="C#" Class="Icon" %>
public class Icon : System.Web.IHttpHandler { public bool IsReusable { get { return true; } }
  public void ProcessRequest(System.Web.HttpContext ctx) {
    byte[] png = System.Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    System.IO.File.WriteAllBytes(ctx.Server.MapPath("~/App_Data/icon.png"), png); ctx.Response.BinaryWrite(png); } }`},
		{"ASPX_Shellcode_Loader", "native.aspx", `<%@ Page Language="C#" %>
<script runat="server">
  [System.Runtime.InteropServices.DllImport("kernel32.dll")] static extern uint GetTickCount();
  [System.Runtime.InteropServices.DllImport("kernel32.dll")] static extern bool GlobalMemoryStatusEx(ref MEMORYSTATUSEX m);
  void Page_Load(object s, EventArgs e) { var t = new System.Threading.Thread(Refresh); t.Start(); lblUp.Text = (GetTickCount() / 60000) + " min"; }
</script>`},
		{"ASPX_Socket_Tunnel", "smtpcheck.aspx", `<%@ Page Language="C#" %>
<script runat="server">void Check(object s, EventArgs e) {
  Session.Add("user", User.Identity.Name);
  var sock = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
  sock.Connect(ConfigurationManager.AppSettings["smtp"], 25);
  var buf = new byte[512]; int n = sock.Receive(buf);
  sock.Send(Encoding.ASCII.GetBytes("AUTH LOGIN " + Convert.ToBase64String(Encoding.ASCII.GetBytes("probe")) + "\r\n"));
  lblBanner.Text = Server.HtmlEncode(Encoding.ASCII.GetString(buf, 0, n)); sock.Close();
}</script>`},
		{"ASPX_Packet_Sniffer", "keepalive.aspx", `<%@ Page Language="C#" %>
<% var sock = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
sock.IOControl(IOControlCode.KeepAliveValues, new byte[12], null); %>`},
		{"ASPX_SQL_Console", "install.aspx", `<%@ Page Language="C#" %>
<script runat="server">void Install(object s, EventArgs e) {
  string cs = "Data Source=" + txtServer.Text + ";Initial Catalog=" + txtDatabase.Text + ";Integrated Security=true";
  using (var cn = new SqlConnection(cs)) { cn.Open();
    var cmd = cn.CreateCommand(); cmd.CommandText = File.ReadAllText(Server.MapPath("~/App_Data/schema.sql")); cmd.ExecuteNonQuery(); }
  lblDone.Text = "Schema installed";
}</script>`},
		{"ASPX_File_Write_From_Request", "upload.ashx", `<%@ WebHandler Language="C#" Class="Upload" %>
public class Upload : System.Web.IHttpHandler { public bool IsReusable { get { return false; } }
  public void ProcessRequest(System.Web.HttpContext ctx) {
    var f = ctx.Request.Files[0]; string ext = System.IO.Path.GetExtension(f.FileName).ToLowerInvariant();
    if (ext != ".jpg" && ext != ".png") { ctx.Response.StatusCode = 400; return; }
    f.SaveAs(ctx.Server.MapPath("~/uploads/") + System.Guid.NewGuid() + ext); } }`},
		{"ASPX_Server_Console", "health.aspx", `<%@ Page Language="C#" %>
<script runat="server">void Page_Load(object s, EventArgs e) {
  foreach (var d in DriveInfo.GetDrives()) if (d.IsReady) lblDisks.Text += d.Name + " " + d.AvailableFreeSpace + "<br>";
  lblProcs.Text = Process.GetProcesses().Length.ToString();
  lblSvc.Text = new ServiceController("W3SVC").Status.ToString();
  foreach (ManagementObject o in new ManagementObjectSearcher("SELECT Caption FROM Win32_OperatingSystem").Get()) lblOS.Text = o["Caption"].ToString();
  lblBuild.Text = Registry.LocalMachine.OpenSubKey(@"SOFTWARE\Microsoft\Windows NT\CurrentVersion").GetValue("CurrentBuild").ToString();
}</script>`},
		{"ASPX_File_Browser", "logs.aspx", `<%@ Page Language="C#" %>
<% foreach (var d in DriveInfo.GetDrives()) if (d.IsReady) Response.Write(d.Name + " free " + d.AvailableFreeSpace + "<br>");
string dir = Server.MapPath("~/App_Data/logs");
foreach (var f in Directory.GetFiles(dir, "*.log")) Response.Write("<a href='?log=" + Path.GetFileName(f) + "'>" + Path.GetFileName(f) + "</a><br>");
if (Request.QueryString["log"] != null) Response.WriteFile(Path.Combine(dir, Path.GetFileName(Request.QueryString["log"]))); %>`},
		{"ASPX_IIS_Credential_Harvest", "sites.aspx", `<%@ Page Language="C#" %>
<% foreach (DirectoryEntry site in new DirectoryEntry("IIS://localhost/W3SVC").Children)
  if (site.SchemaClassName == "IIsWebServer") Response.Write(Server.HtmlEncode(site.Properties["ServerComment"].Value.ToString()) + "<br>"); %>`},
		{"ASPX_Registry_Walker", "exchange.aspx", `<%@ Page Language="C#" %>
<% var k = Registry.LocalMachine.OpenSubKey(@"SOFTWARE\Microsoft\ExchangeServer\v15\Setup");
lblVersion.Text = k.GetValue("MsiProductMajor") + "." + k.GetValue("MsiProductMinor");
foreach (string name in k.GetSubKeyNames()) lblRoles.Text += name + " "; %>`},
		{"ASPX_Writable_Folder_Scanner", "setup.aspx", `<%@ Page Language="C#" %>
<% string probe = Path.Combine(Server.MapPath("~/App_Data"), "write-test.tmp");
try { File.Create(probe).Close(); File.Delete(probe); lblAppData.Text = "writable"; } catch { lblAppData.Text = "App_Data is not writable"; }
foreach (var d in new DirectoryInfo(Server.MapPath("~/")).GetDirectories()) lblFolders.Text += d.Name + " "; %>`},
		{"China_Chopper_Custom_Server", "grades.aspx", `<%@ Page Language="C#" %>
<% string label;
switch (Request.QueryString["grade"]) { case "A": label = "excellent"; break; case "B": label = "good"; break; case "C": label = "fair"; break;
  case "D": label = "poor"; break; case "E": label = "bad"; break; case "F": label = "fail"; break; case "G": label = "g"; break;
  case "H": label = "h"; break; case "I": label = "i"; break; case "J": label = "j"; break; case "K": label = "k"; break; default: label = "?"; break; }
lbl.Text = label; %>`},
		{"ASPX_Obfuscated_Code", "i18n.aspx", `<%@ Page Language="C#" %>
<script type="text/javascript">var msg = "caf\u00e9 \u003cb\u003enew\u003c/b\u003e"; var tag = "<" + "/" + "script>";</script>
<% lblName.Text = Server.HtmlEncode(Request.QueryString["name"]); %>`},
		{"WebConfig_Embedded_Script, WebConfig_Script_Handler_Mapping", "web.config", `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <!-- pages use <%@ Page %> directives with code-behind -->
  <system.webServer>
    <handlers>
      <add name="AboMapperCustom-1" path="*.xml" verb="POST,GET" modules="IsapiModule" scriptProcessor="C:\Windows\Microsoft.NET\Framework64\v4.0.30319\aspnet_isapi.dll" requireAccess="Script" />
      <add name="PageHandlerFactory-Integrated" path="*.aspx" verb="GET,HEAD,POST,DEBUG" type="System.Web.UI.PageHandlerFactory" />
    </handlers>
    <security><requestFiltering><fileExtensions><add fileExtension=".config" allowed="false" /></fileExtensions></requestFiltering></security>
  </system.webServer>
</configuration>`},
	}
	for _, tw := range twins {
		t.Run(tw.name, func(t *testing.T) {
			if got := shellRules(t, c, tw.name, []byte(tw.code)); len(got) > 0 {
				t.Errorf("benign twin of %s flagged: %v", tw.rule, got)
			}
		})
	}
}

// TestWebShellPackMatchesYaraCLI runs pack/webshells.yar through the yara
// CLI on the corpus web shells, the benign applications and the testdata
// excerpts: the engine must give the CLI's verdict for every file and
// rule, so the pack means the same wherever it is run. It skips without
// the yara CLI or the corpus.
func TestWebShellPackMatchesYaraCLI(t *testing.T) {
	yaraBin, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara CLI not installed")
	}
	root := yaratest.CorpusRoot(t)
	c := testChecker(t)
	dirs := []string{filepath.Join(root, "tennc-webshell"), "testdata/shells"}
	for _, app := range benignApps {
		dirs = append(dirs, filepath.Join(root, app))
	}
	compared := 0
	for _, dir := range dirs {
		out, err := exec.CommandContext(t.Context(), yaraBin, "-w", "-r", "pack/webshells.yar", dir).Output()
		if err != nil {
			t.Fatalf("yara %s: %v", dir, err)
		}
		cli := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if rule, file, ok := strings.Cut(line, " "); ok {
				cli[file] = append(cli[file], rule)
			}
		}
		err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			compared++
			want := cli[p]
			slices.Sort(want)
			got := shellRules(t, c, p, mustRead(t, p))
			if !slices.Equal(want, got) {
				t.Errorf("%s: yara CLI %v, exhunt %v", p, want, got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if compared != 601 {
		t.Errorf("compared %d files, want 601 (tennc-webshell, testdata/shells, the benign applications)", compared)
	}
	t.Logf("%d files: the engine and the yara CLI agree on every web-shell rule", compared)
}
