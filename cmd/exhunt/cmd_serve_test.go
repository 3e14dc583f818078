package main

import (
	"strings"
	"testing"
)

func TestServeProtectPagesNeedsToken(t *testing.T) {
	t.Setenv("EXHUNT_TOKEN", "")
	code, _, errs := cli(t, "", "serve", "--protect-pages", "--listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errs, "--protect-pages needs a token") {
		t.Errorf("serve --protect-pages without a token: exit %d, stderr %q; want 2 and the reason", code, errs)
	}
}

func TestLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true, "127.5.6.7:1": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:8080": false, "192.0.2.1:8080": false, "nonsense": false,
	} {
		if got := loopbackListen(addr); got != want {
			t.Errorf("loopbackListen(%q) = %v, want %v", addr, got, want)
		}
	}
}
