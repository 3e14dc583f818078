package yara

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/yara/yaratest"
)

// fuzzRules is the fixed rule set of FuzzScan: one rule per feature, so
// that arbitrary input exercises every matcher and condition operator.
const fuzzRules = `
import "math"
global rule g { condition: filesize < 1MB }
private rule tag { strings: $t = "<%" $s = /<script\s+runat/ nocase condition: any of them }
rule text { strings: $a = "eval(" nocase wide ascii $b = "Request" fullword $c = "ab" condition: tag and ($a or #b > 1 or #c in (0..100) > 2) }
rule hex { strings: $h = { 4D 5A ?? [0-8] ( 50 45 | 4E 45 ) ~00 ?1 2? } condition: $h at 0 or $h in (0..64) }
rule re { strings: $r = /\b(eval|execute)[\s(]{1,20}request[.(\[]/i wide ascii $u = /[\x80-\xff]{4,}/ $n = /\d{3}-\d+/ condition: any of them and @r[1] >= 0 and !r[1] > 0 }
rule loops { strings: $x = "x" $y = "y" condition: for any i in (1..#x) : ( @x[i] + 1 == @y[i] ) and for all of ($x, $y) : ( # < 100 ) }
rule ints { condition: uint16(0) == 0x5A4D or uint32be(filesize - 4) == 0x3C2F3E0A or int8(1) < 0 and uint8(uint8(0)) > 0x20 }
rule ext { condition: filename iendswith ".aspx" and filepath matches /\\aspnet_client\\/ and math.entropy(0, filesize) > 1 }
rule pct { strings: $p1 = "<%@" $p2 = "Page" $p3 = "Language" condition: 2 of ($p*) and 50% of them and not none of them }
`

func seedInputs(f *testing.F) {
	f.Helper()
	for _, dir := range []string{"testdata/samples", filepath.Join(yaratest.CorpusDir, "tennc-webshell/caidao-shell"), filepath.Join(yaratest.CorpusDir, "tennc-webshell/Godzilla")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil && len(data) < 16<<10 {
				f.Add(data)
			}
		}
	}
}

func FuzzScan(f *testing.F) {
	rules, errs := Compile(Source{Name: "fuzz", Data: []byte(fuzzRules)})
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	seedInputs(f)
	f.Add([]byte("MZ\x00\x00PE\x00\x01\x21"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars := Vars{Filename: "x.aspx", Filepath: `C:\inetpub\wwwroot\aspnet_client\x.aspx`}
		ms, err := rules.Scan(data, vars)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			for _, s := range m.Strings {
				if s.Offset < 0 || s.Offset >= int64(len(data)) && len(s.Data) > 0 || len(s.Data) > MaxMatchData {
					t.Fatalf("bad match %+v for input of %d bytes", s, len(data))
				}
			}
		}
		// Scanning is deterministic.
		again, _ := rules.Scan(data, vars)
		if len(again) != len(ms) {
			t.Fatalf("second scan: %d matches, first %d", len(again), len(ms))
		}
	})
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte(fuzzRules))
	for _, glob := range []string{"testdata/rules/*.yar*", "testdata/rules/*/*.yar"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(yaratest.CorpusDir, "signature-base/yara/apt_webshell_chinachopper.yar")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`rule a { strings: $a = { 4D [1-2] ( 5A | ?? ) ~4? } condition: for 2 i in (0, 1) : ( @a[i] > 0 ) }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		rules, errs := Compile(Source{Name: "fuzz", Data: src})
		for _, e := range errs {
			if e.Reason == "" || e.File != "fuzz" {
				t.Fatalf("bad compile error %+v", e)
			}
		}
		if rules == nil {
			t.Fatal("nil rules")
		}
		// Whatever compiled must scan without panicking or hanging.
		if _, err := rules.Scan([]byte("<%@ Page %><% eval(Request[\"x\"]) %>MZ\x90\x00"), Vars{}); err != nil && err != ErrEvalBudget {
			t.Fatal(err)
		}
	})
}
