package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzVerify: any bytes as a bundle never panic Verify's reader, and a
// report it returns is consistent: a problem-free report checked every
// manifest file, and problems name a path.
func FuzzVerify(f *testing.F) {
	good, err := os.ReadFile(bundle(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(bytes.Replace(good, []byte("exhunt-bundle/1"), []byte("exhunt-bundle/2"), 1))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyReader(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		want := len(rep.Manifest.Entries())
		if rep.OK() && rep.Files != want {
			t.Fatalf("OK after checking %d of %d files", rep.Files, want)
		}
		for _, p := range rep.Problems {
			if p.Kind == "" {
				t.Fatalf("problem without a kind: %+v", p)
			}
		}
	})
}

// FuzzParseManifest: any bytes never panic the manifest parser, and a
// manifest it accepts survives a JSON round trip unchanged.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"exhunt-bundle/1","files":[{"path":"C/x","size":1,"sha256":"` + strings.Repeat("ab", 32) + `","times":{"modified":"2021-03-05T04:05:06Z"}}]}`))
	f.Add([]byte(`{"format":"exhunt-bundle/1","log":null,"skipped":[{"original_path":"C:\\x","reason":"r"}]}`))
	f.Add([]byte(`{"format":"exhunt-bundle/1","files":[{"path":"","size":-1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		m2, err := ParseManifest(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(m2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip differs:\n%s\n%s", b, b2)
		}
	})
}

// FuzzApplicationHost: applicationHost.config from a copied server is
// untrusted: any bytes never panic the parser, and what it derives is
// well-formed (one W3SVC folder per site id, no empty paths).
func FuzzApplicationHost(f *testing.F) {
	f.Add([]byte(`<configuration><system.applicationHost><sites><site name="a" id="1"><application><virtualDirectory physicalPath="C:\x\FrontEnd\HttpProxy\owa"/></application><logFile directory="D:\L"/></site><siteDefaults><logFile directory="%SystemDrive%\inetpub\logs\LogFiles"/></siteDefaults></sites></system.applicationHost></configuration>`))
	f.Add([]byte(`<configuration><system.applicationHost><log centralLogFileMode="CentralW3C"><centralW3CLogFile directory="C:\c"/></log></system.applicationHost></configuration>`))
	if b, err := os.ReadFile(exchange2019IIS + "/applicationHost.config"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseApplicationHost(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, d := range cfg.LogDirs() {
			if d == "" {
				t.Fatal("empty log folder")
			}
		}
		if p, ok := cfg.ExchangeInstall(); ok && p == "" {
			t.Fatal("empty install path")
		}
	})
}
