package eventlog_test

import (
	"context"
	"fmt"
	"os"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
)

func ExampleRead() {
	f, err := os.Open("testdata/sysmon_mimikatz_lsass.evtx")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fi, _ := f.Stat()
	st, err := eventlog.Read(context.Background(), f, fi.Size(), "Logs/Sysmon.evtx", func(r *evidence.Record) error {
		id, _ := r.Fields.Get("EventID")
		image, _ := r.Fields.Get("Image")
		target, _ := r.Fields.Get("TargetImage")
		fmt.Println(r.Line, r.Log.Service, id, image+target)
		return nil
	})
	fmt.Println(st.Records, st.BadRecords, err)
	// Output:
	// 82849 sysmon 1 C:\TOOLS\Mimikatzx64\mimikatz.exe
	// 82852 sysmon 1 C:\Windows\System32\cmd.exe
	// 82853 sysmon 10 C:\Windows\system32\lsass.exe
	// 3 0 <nil>
}
