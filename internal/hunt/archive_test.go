package hunt

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

// tarOf returns a tar archive holding one file.
func tarOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	tw.Close()
	return b.Bytes()
}

func gzipOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// An archive exhunt cannot open, given as the evidence path, is not
// examined, with why, whatever its name: the file checks reading its
// bytes do not make it examined evidence (a hunt of it used to say
// "no-evidence"). The twin: the same log, gzip-compressed or given plain,
// is examined.
func TestArchivesNotExamined(t *testing.T) {
	tunna, err := os.ReadFile(filepath.Join(needReal(t, "eas"), "Command_and_Control_Tunna_rdp_tunnel_IIS.log"))
	if err != nil {
		t.Fatal(err)
	}
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata/archives", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	opt := builtinOptions(t)
	opt.Files = stubFiles{}
	opt.AllFiles = true
	test := func(name string, data []byte, want string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := hunt1(t, p, opt)[0]
		if want == "" {
			if r.FilesExamined != 1 || len(r.NotExamined) != 0 {
				t.Errorf("%s: examined %d, not examined %+v; want it examined", name, r.FilesExamined, r.NotExamined)
			}
			return
		}
		if r.FilesExamined != 0 || len(r.NotExamined) != 1 || !strings.HasPrefix(r.NotExamined[0].Reason, want) {
			t.Errorf("%s: examined %d, not examined %+v; want only it, not examined: %q", name, r.FilesExamined, r.NotExamined, want)
			return
		}
		if !strings.HasPrefix(r.VerdictReason, "nothing could be examined: 1 input") || !strings.Contains(r.VerdictReason, want[:min(len(want), 20)]) {
			t.Errorf("%s: verdict reason %q", name, r.VerdictReason)
		}
	}
	test("evidence.tar.gz", gzipOf(t, tarOf(t, "u_ex190903.log", tunna)), "a tar.gz archive: tar.gz archives are not read; extract it or give a zip")
	test("evidence.tgz.renamed", gzipOf(t, tarOf(t, "u_ex190903.log", tunna)), "a tar.gz archive")
	test("evidence.tar", tarOf(t, "u_ex190903.log", tunna), "a tar archive")
	test("evidence.7z", append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 64)...), "a 7z archive: its content is not read")
	test("evidence.rar", append([]byte("Rar!\x1a\x07\x01\x00"), make([]byte, 64)...), "a RAR archive")
	test("note.txt.xz", fixture("note.txt.xz"), "an xz-compressed file")
	test("note.txt.bz2", fixture("note.txt.bz2"), "a bzip2-compressed file")
	test("note.txt.zst", fixture("note.txt.zst"), "a zstd-compressed file")
	test("evidence.zip", []byte("this is a text file named .zip\n"), `not a valid zip: no zip signature (it starts with "this is `)
	test("evidence.gz", gzipOf(t, bytes.Repeat([]byte{0, 1, 2, 3}, 64)), "a gzip file that holds no IIS or Exchange log")
	test("broken.gz", []byte("\x1f\x8bnot gzip at all"), "not a valid gzip file")
	// The twins: the same log, compressed or not, is read.
	test("u_ex190903.log", tunna, "")
	test("tunna.log.gz", gzipOf(t, tunna), "")

	// Beside examined evidence, the archive is listed and the evidence
	// called incomplete.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "u_ex190903.log"), tunna, 0o644)
	os.WriteFile(filepath.Join(dir, "more-logs.7z"), append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 64)...), 0o644)
	r := hunt1(t, dir, opt)[0]
	if r.FilesExamined != 1 || len(r.NotExamined) != 1 || r.NotExamined[0].Path != "more-logs.7z" || !strings.Contains(r.VerdictReason, "the evidence is incomplete: 1 input not examined") {
		t.Errorf("log and 7z: examined %d, not examined %+v, reason %q", r.FilesExamined, r.NotExamined, r.VerdictReason)
	}
	if len(r.Findings) == 0 || r.Verdict == finding.NoEvidence {
		t.Errorf("log and 7z: the Tunna log's findings are gone: %s, %d findings", r.Verdict, len(r.Findings))
	}

	// In a server's tree an archive is one of the server's files (staged
	// by an attacker), checked as a file: examined, not listed.
	srv := t.TempDir()
	web := filepath.Join(srv, "inetpub", "wwwroot", "aspnet_client")
	os.MkdirAll(web, 0o755)
	os.WriteFile(filepath.Join(web, "staged.7z"), append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), []byte("eval(")...), 0o644)
	sopt := builtinOptions(t)
	sopt.Files = layoutFiles{}
	r = hunt1(t, srv, sopt)[0]
	if r.FilesExamined != 1 || len(r.NotExamined) != 0 || len(r.Findings) != 1 {
		t.Errorf("7z in a server tree: examined %d, not examined %+v, %d findings", r.FilesExamined, r.NotExamined, len(r.Findings))
	}
}
