package filecheck

import (
	"bytes"
	"testing"
)

// BenchmarkDetect measures one file through the whole checker (hashes,
// IOC lists, default pack).
func BenchmarkDetect(b *testing.B) {
	c := testChecker(b)
	for _, bc := range []struct {
		name, path string
		data       []byte
	}{
		{"logon.aspx", "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/logon.aspx", readTestdata(b, "logon.aspx")},
		{"1MiB-aspx", "C/inetpub/wwwroot/app/big.aspx", bytes.Repeat(readTestdata(b, "logon.aspx"), (1<<20)/len(readTestdata(b, "logon.aspx")))},
		{"1MiB-zeros", "C/ProgramData/x.bin", make([]byte, 1<<20)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				detect(b, c, bc.path, bc.data)
			}
		})
	}
}
