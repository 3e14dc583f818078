package collect

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrOutput is wrapped by errors about where the bundle would be written.
var ErrOutput = errors.New("collect: output")

// Progress receives byte counts while files are copied. The package never
// prints.
type Progress interface {
	Start(name string, total int64)
	Add(n int64)
	Done()
}

// WriteOptions describe the run for the manifest and where it reports.
// Every step goes to the bundle's collection.log; the package prints
// nothing.
type WriteOptions struct {
	Collector   Collector
	CommandLine []string
	Progress    Progress
	Now         func() time.Time
}

// Bundle is a written bundle.
type Bundle struct {
	Path     string
	SHA256   string // of the whole zip, as in Path.sha256
	Manifest *Manifest
}

// CheckOutput refuses a bundle path inside the evidence: under a --root
// or --drive folder, or, on a live system, inside a folder being
// collected. It also refuses to overwrite an existing file.
func (p *Plan) CheckOutput(out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOutput, err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("%w: %s already exists; give another -o or remove it", ErrOutput, out)
	}
	for _, side := range []string{abs + ".sha256", abs + ".partial"} {
		if _, err := os.Lstat(side); err == nil {
			return fmt.Errorf("%w: %s already exists; give another -o or remove it", ErrOutput, side)
		}
	}
	wp, ok := p.sys.winPathOf(filepath.Join(realDir(filepath.Dir(abs)), filepath.Base(abs)))
	switch {
	case !ok:
		return nil
	case !p.sys.src.Live:
		return fmt.Errorf("%w: %s is inside drive %s: (%s), the evidence being collected; write the bundle elsewhere", ErrOutput, out, wp.drive, p.sys.src.Drives[wp.drive])
	case p.excluded(wp):
		return nil
	}
	if d, inside := p.insideCollected(wp); inside {
		return fmt.Errorf("%w: %s is inside %s, which is being collected; write the bundle elsewhere (e.g. another drive or a folder of its own)", ErrOutput, out, d)
	}
	return nil
}

// excluded says whether wp lies in a folder Options.Exclude keeps out of
// the collection.
func (p *Plan) excluded(wp winPath) bool {
	for _, x := range p.exclude {
		if wp.within(x) {
			return true
		}
	}
	return false
}

// insideCollected says whether a file at wp would sit in a folder the
// plan collects (a recursive one, or a folder whose own files it takes).
func (p *Plan) insideCollected(wp winPath) (winPath, bool) {
	if len(wp.parts) == 0 {
		return winPath{}, false
	}
	parent := winPath{drive: wp.drive, parts: wp.parts[:len(wp.parts)-1]}
	for _, d := range p.dirs {
		if d.recurse && parent.within(d.p) || parent.within(d.p) && d.p.within(parent) {
			return d.p, true
		}
	}
	return winPath{}, false
}

// realDir resolves links in the longest existing prefix of dir, so a
// symlink cannot hide that the output is inside the evidence.
func realDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	rest := ""
	for cur := abs; ; cur = filepath.Dir(cur) {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(cur) == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// Write copies every planned file into a new zip at out, streaming and
// hashing each one, then adds collection.log and manifest.json and writes
// out.sha256 beside it. The zip is built as out.partial and renamed only
// when complete; on any error nothing is left behind.
func (p *Plan) Write(ctx context.Context, out string, wo WriteOptions) (b *Bundle, err error) {
	if err := p.CheckOutput(out); err != nil {
		return nil, err
	}
	if !p.evidenceFound() {
		return nil, p.nothing(p.Skipped, false)
	}
	if wo.Now == nil {
		wo.Now = time.Now
	}
	m := p.newManifest(wo)
	work, err := os.MkdirTemp(filepath.Dir(out), ".exhunt-collect-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutput, err)
	}
	defer os.RemoveAll(work)
	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutput, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(partial)
		}
	}()
	logFile, err := os.Create(filepath.Join(work, LogName))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.Info("collect: start", "mode", m.Mode, "host", m.Host, "files", len(p.Items), "bundle", out)
	for _, w := range p.Warnings {
		log.Warn("collect: " + w)
	}

	zipHash := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, zipHash), 1<<20)
	zw := zip.NewWriter(bw)
	// Logs deflate 10-20x even at the fastest level, which keeps copying
	// disk-bound rather than CPU-bound.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	c := &copier{plan: p, zw: zw, work: work, buf: make([]byte, 1<<20), log: log, progress: wo.Progress}
	if c.progress != nil {
		c.progress.Start("collect", p.Estimate().Bytes)
	}
	for i := range p.Items {
		if err := c.copyItem(ctx, &p.Items[i], m); err != nil {
			if c.progress != nil {
				c.progress.Done()
			}
			return nil, err
		}
	}
	if c.progress != nil {
		c.progress.Done()
	}
	sortSkipped(m.Skipped)
	if m.Totals.Files == 0 { // every planned file failed: the partial bundle goes
		return nil, p.nothing(m.Skipped, true)
	}
	m.Finished = wo.Now().UTC()
	m.Totals.Skipped, m.Totals.Missing = len(m.Skipped), len(m.Missing)
	log.Info("collect: files copied", "files", m.Totals.Files, "bytes", m.Totals.Bytes, "skipped", m.Totals.Skipped, "missing", m.Totals.Missing)

	// collection.log is closed before it is added, and hashed like a file.
	if err := logFile.Close(); err != nil {
		return nil, err
	}
	lf, err := os.Open(logFile.Name())
	if err != nil {
		return nil, err
	}
	size, sum, rerr, werr := c.stream(ctx, LogName, time.Now(), lf, nil)
	lf.Close()
	if err := errors.Join(rerr, werr); err != nil {
		return nil, err
	}
	m.Log = &FileEntry{Path: LogName, OriginalPath: LogName, Category: "collection-log", Size: size, SHA256: sum, Method: "read", Times: Times{Modified: m.Finished}}

	w, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: m.Finished})
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, out); err != nil {
		return nil, err
	}
	b = &Bundle{Path: out, SHA256: hexSum(zipHash), Manifest: m}
	if err := os.WriteFile(out+".sha256", []byte(b.SHA256+"  "+filepath.Base(out)+"\n"), 0o644); err != nil {
		return b, fmt.Errorf("bundle written, but %s.sha256 was not: %w", out, err)
	}
	return b, nil
}

func (p *Plan) newManifest(wo WriteOptions) *Manifest {
	on, _ := os.Hostname()
	m := &Manifest{
		Format: Format, Collector: wo.Collector, Host: p.sys.src.Host, CollectedOn: on, Mode: "root",
		CommandLine: wo.CommandLine, Started: wo.Now().UTC(), MaxSize: p.opt.MaxSize,
		Exchange: p.Exchange, IIS: p.IIS, Files: []FileEntry{},
		Skipped: append([]Skipped{}, p.Skipped...), Missing: append([]Missing{}, p.Missing...), Warnings: append([]string{}, p.Warnings...),
	}
	if p.sys.src.Live {
		m.Mode = "live"
	} else {
		m.Drives = map[string]string{}
		for l, d := range p.sys.src.Drives {
			if abs, err := filepath.Abs(d); err == nil {
				d = abs
			}
			m.Drives[l] = d
		}
	}
	if !p.opt.Since.IsZero() {
		s := p.opt.Since.UTC()
		m.Since = &s
	}
	return m
}

type copier struct {
	plan     *Plan
	zw       *zip.Writer
	work     string
	buf      []byte
	log      *slog.Logger
	progress Progress
	exports  int
}

// copyItem adds one file to the bundle and the manifest. A file that
// cannot be opened is recorded as skipped; only a failure to write the
// bundle (or a cancel) is an error.
func (c *copier) copyItem(ctx context.Context, it *Item, m *Manifest) error {
	p := c.plan
	skip := func(reason string) {
		c.log.Debug("collect: skipped", "path", it.OriginalPath, "reason", reason)
		s := Skipped{OriginalPath: it.OriginalPath, Category: it.Category, Reason: reason}
		if it.Size >= 0 {
			tm := it.Times
			s.Size, s.Times = it.Size, &tm
		}
		m.Skipped = append(m.Skipped, s)
		if it.Category == CatExchangeBin && m.Exchange.ExSetupVersion != "" {
			m.Exchange.BuildNote = "exsetup_version was read when the collection was planned; ExSetup.exe itself could not be copied: " + reason
		}
		if it.Size > 0 && c.progress != nil {
			c.progress.Add(it.Size)
		}
	}
	e := FileEntry{Path: it.Path, OriginalPath: it.OriginalPath, Category: it.Category, Times: it.Times, Method: "read", Channel: it.Channel}
	var f *os.File
	var openErr error
	if it.rel != "" {
		f, openErr = p.sys.open(it.drive, it.rel)
	}
	if it.rel == "" || openErr != nil && it.Channel != "" && p.sys.src.Live && p.sys.src.Exporter != nil {
		dst := filepath.Join(c.work, fmt.Sprintf("export-%d.evtx", c.exports))
		c.exports++
		method, err := p.sys.src.Exporter.Export(ctx, it.Channel, dst)
		if err != nil {
			why := "export of channel " + it.Channel + " failed: " + p.reason(err)
			if openErr != nil {
				why = p.reason(openErr) + "; " + why
			}
			skip(why)
			return ctx.Err()
		}
		defer os.Remove(dst)
		if f, openErr = os.Open(dst); openErr != nil {
			skip("export written but unreadable: " + openErr.Error())
			return nil
		}
		e.Method = method
		e.Note = "exported from the live channel " + it.Channel + " because the EventLog service holds the file open: the records are the same, the hash is the export's, not the file's on disk"
	} else if openErr != nil {
		skip(p.reason(openErr))
		return nil
	} else {
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			skip(notRegular)
			return nil
		}
		if t, err := handleTimes(f); err == nil {
			e.Times = t
		}
	}
	defer f.Close()
	prog := c.progress
	if it.Size < 0 {
		prog = nil // not in the estimate: the bar would pass 100%
	}
	size, sum, rerr, werr := c.stream(ctx, it.Path, e.Times.Modified, f, prog)
	if werr != nil {
		return werr
	}
	e.Size, e.SHA256 = size, sum
	if it.Category == CatExchangeBin && rerr == nil {
		// The version of the bytes just hashed, not of the file at plan time.
		readExSetup(&m.Exchange, f, size)
	}
	if rerr != nil {
		e.Error = fmt.Sprintf("read stopped after %d bytes: %s; the bundle holds those bytes", size, p.reason(rerr))
	} else if e.Method == "read" && it.Size >= 0 && size != it.Size {
		e.Note = fmt.Sprintf("the file changed size while it was collected: %d bytes when listed, %d copied", it.Size, size)
	}
	if c.progress != nil && it.Size >= 0 && size < it.Size {
		c.progress.Add(it.Size - size)
	}
	c.log.Debug("collect: copied", "path", it.OriginalPath, "bytes", size, "sha256", sum, "method", e.Method)
	m.Files = append(m.Files, e)
	m.Totals.Files++
	m.Totals.Bytes += size
	return nil
}

// stream writes r into a new entry, returning the bytes and SHA-256 of
// what was read. A read error ends the entry with what was read (rerr); a
// write error or a cancel is fatal (werr).
func (c *copier) stream(ctx context.Context, name string, mtime time.Time, r io.Reader, prog Progress) (n int64, sum string, rerr, werr error) {
	w, err := c.zw.CreateHeader(&zip.FileHeader{Name: name, Method: methodFor(name), Modified: mtime})
	if err != nil {
		return 0, "", nil, err
	}
	h := sha256.New()
	for {
		if err := ctx.Err(); err != nil {
			return n, "", nil, err
		}
		k, err := r.Read(c.buf)
		if k > 0 {
			if _, werr := w.Write(c.buf[:k]); werr != nil {
				return n, "", nil, werr
			}
			h.Write(c.buf[:k])
			n += int64(k)
			if prog != nil {
				prog.Add(int64(k))
			}
		}
		if err == io.EOF {
			return n, hexSum(h), nil, nil
		}
		if err != nil {
			return n, hexSum(h), err, nil
		}
	}
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// methodFor stores what is already compressed and deflates the rest.
func methodFor(name string) uint16 {
	switch strings.ToLower(path.Ext(name)) {
	case ".zip", ".gz", ".7z", ".rar", ".cab", ".lzx", ".jpg", ".jpeg", ".png", ".gif", ".docx", ".xlsx", ".pptx", ".msi", ".xz", ".bz2":
		return zip.Store
	}
	return zip.Deflate
}

// sortSkipped merges what the plan skipped with what failed while
// copying, by path.
func sortSkipped(s []Skipped) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].OriginalPath < s[j].OriginalPath })
}
