package peversion

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// testdata/distlib-w32.exe is a real Windows launcher with a version
// resource: distlib 0.3.8's w32.exe, as vendored in pip 24.2
// (pip/_vendor/distlib/w32.exe; distlib is under the PSF licence, see
// testdata/SOURCES.md). Its StringFileInfo says FileVersion 1.1.0.14,
// which is the independent oracle for the fixed file info read here.
func TestReadRealPE(t *testing.T) {
	data, err := os.ReadFile("testdata/distlib-w32.exe")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != "1.1.0.14" {
		t.Errorf("version %s, want 1.1.0.14", v)
	}
}

func TestReadNearMisses(t *testing.T) {
	data, err := os.ReadFile("testdata/distlib-w32.exe")
	if err != nil {
		t.Fatal(err)
	}
	// The same file with its VS_FIXEDFILEINFO signature broken.
	broken := bytes.Clone(data)
	i := bytes.Index(broken, []byte{0xbd, 0x04, 0xef, 0xfe})
	broken[i] = 0
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"not PE":        {[]byte("#Software: Microsoft Exchange Server\n"), ErrNotPE},
		"MZ only":       {[]byte("MZ"), ErrNotPE},
		"truncated":     {data[:1024], nil},
		"bad signature": {broken, ErrNoVersion},
		"empty":         {nil, ErrNotPE},
	} {
		_, err := Read(bytes.NewReader(tc.in), int64(len(tc.in)))
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	data, err := os.ReadFile("testdata/distlib-w32.exe")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:4096])
	f.Add([]byte("MZ\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := Read(bytes.NewReader(in), int64(len(in)))
		if err == nil && v == (Version{}) && len(in) < 100 {
			t.Fatalf("version from %d bytes", len(in))
		}
	})
}
