package collect

import (
	"testing"
)

func TestWinPath(t *testing.T) {
	test := func(in, want, zip string) {
		t.Helper()
		p, err := parseWinPath(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q parsed as %s", in, p)
			}
			return
		}
		if err != nil || p.String() != want || p.zipName() != zip {
			t.Errorf("%q: %s %s %v, want %s %s", in, p, p.zipName(), err, want, zip)
		}
	}
	test(`C:\Program Files\Microsoft`, `C:\Program Files\Microsoft`, "C/Program Files/Microsoft")
	test(`d:/Exchange/`, `D:\Exchange`, "D/Exchange")
	test(`\\?\C:\Windows\Temp`, `C:\Windows\Temp`, "C/Windows/Temp")
	test(`C:\a\..\..\..\b\.\c`, `C:\b\c`, "C/b/c")
	test(`C:`, `C:\`, "C")
	test(`\\server\share\x`, "", "")
	test(`Windows\Temp`, "", "")
	test(`1:\x`, "", "")
	test(``, "", "")

	a, _ := parseWinPath(`C:\Program Files\Microsoft\Exchange Server\V15\Logging`)
	b, _ := parseWinPath(`c:\program files\MICROSOFT\exchange server\v15`)
	d, _ := parseWinPath(`D:\program files\microsoft\exchange server\v15`)
	if !a.within(b) || b.within(a) || a.within(d) || !a.within(a) {
		t.Error("within")
	}
}

func TestExpandEnv(t *testing.T) {
	env := defaultEnv()
	env["exchangeinstallpath"] = `D:\Exchange`
	test := func(in, want string, ok bool) {
		t.Helper()
		got, err := expandEnv(in, env)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	test(`%SystemDrive%\inetpub`, `C:\inetpub`, true)
	test(`%WINDIR%\Temp`, `C:\Windows\Temp`, true)
	test(`%ExchangeInstallPath%\Bin`, `D:\Exchange\Bin`, true)
	test(`100% sure`, `100% sure`, true)
	test(`%NoSuchVar%\x`, ``, false)
	test(`no vars`, `no vars`, true)
}
