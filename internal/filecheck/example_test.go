package filecheck_test

import (
	"context"
	"fmt"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/filecheck"
)

func ExampleChecker_Detect() {
	c, _, err := filecheck.New(filecheck.Options{})
	if err != nil {
		panic(err)
	}
	p := "C/inetpub/wwwroot/aspnet_client/system_web/x.aspx"
	fmt.Println("in scope:", c.InScope(p, 70, false))
	data := []byte(`<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`)
	for _, f := range c.Detect(context.Background(), evidence.FileInfo{Path: p, Size: int64(len(data))}, data) {
		fmt.Println(f.Rule, f.Severity, f.Attack)
	}
	// Output:
	// in scope: true
	// yara:exchange:ASPX_In_Aspnet_Client high [T1505.003]
	// yara:webshells:China_Chopper_ASPX critical [T1505.003]
}
