package hunt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A real event log cut within its header or its first chunk has no
// readable record: it is not examined, with the truncation first in the
// reason, and alone it leaves nothing examined (exit 2 in the CLI). Cut
// after some records it stays examined, with the truncation a warning.
func TestTruncatedEventLog(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(needReal(t, "eas"), "Credential_Access_discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	opt := builtinOptions(t)
	test := func(n int, examined bool, want string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "Sysmon.evtx")
		os.WriteFile(p, src[:n], 0o644)
		r := hunt1(t, p, opt)[0]
		if !examined {
			if r.FilesExamined != 0 || len(r.NotExamined) != 1 || !strings.HasPrefix(r.NotExamined[0].Reason, want) ||
				!strings.HasPrefix(r.VerdictReason, "nothing could be examined: 1 input") {
				t.Errorf("cut at %d: examined %d, not examined %+v, reason %q; want not examined: %q", n, r.FilesExamined, r.NotExamined, r.VerdictReason, want)
			}
			return
		}
		if r.FilesExamined != 1 || len(r.NotExamined) != 0 || !strings.Contains(strings.Join(r.Warnings, "\n"), want) {
			t.Errorf("cut at %d: examined %d, not examined %+v, warnings %q; want examined, warned %q", n, r.FilesExamined, r.NotExamined, r.Warnings, want)
		}
	}
	test(4096, false, "file is truncated: 4096 of the ")
	test(3000, false, "file is truncated: 3000 bytes, shorter than the 4096-byte EVTX file header")
	// Cut within the first chunk: the records before the cut are read.
	test(4096+30000, true, "file is truncated: 34096 of the 331776 bytes its header declares")
	test(200000, true, "file is truncated: 200000 of the 331776 bytes its header declares")
	test(len(src), true, "") // the whole file
}
