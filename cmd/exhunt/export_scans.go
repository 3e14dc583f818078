package main

import (
	"context"
	"io"

	"github.com/exhunt/exhunt/internal/report"
	"github.com/exhunt/exhunt/internal/store"
)

// exportScans writes the newest scan record of every target (exhunt
// export --scans).
func exportScans(ctx context.Context, g *globalOptions, o *exportOptions) error {
	f, err := report.ParseFormat(o.format)
	if err != nil || (f != report.FormatJSONL && f != report.FormatCSV) {
		return usagef("export --scans: unknown --format %q (want jsonl or csv)", o.format)
	}
	if len(o.hosts) > 0 || len(o.from) > 0 || o.all {
		return usagef("export --scans lists every target of the database: no HOST, --all or --from")
	}
	kb, err := loadKB(g)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		return usageError{err}
	}
	defer st.Close()
	return writeOutput(g.stdout, o.output, func(w io.Writer) error {
		list, err := report.NewScanList(w, f)
		if err != nil {
			return err
		}
		if err := st.LatestScans(ctx, func(r store.ScanRecord) error {
			return list.Write(report.NewScanRow(&r.Scan, r.ScannedAt, r.ScanID, kb))
		}); err != nil {
			return err
		}
		return list.Close()
	})
}
