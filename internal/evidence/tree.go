package evidence

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrEvidence is wrapped by errors about the evidence as a whole (a path
// that does not exist, a zip that cannot be opened).
var ErrEvidence = errors.New("evidence")

// Options bound what opening evidence may cost.
type Options struct {
	// MaxEntrySize is the largest file (or zip entry, uncompressed) read;
	// larger ones are listed but skipped with a warning. Default 4 GiB.
	MaxEntrySize int64
	// MaxRatio is the largest uncompressed:compressed ratio accepted for a
	// zip entry over 1 MiB (zip bombs). Default 200.
	MaxRatio int64
	// TempDir receives zip entries that a reader needs random access to
	// (EVTX). Default os.TempDir().
	TempDir string
}

func (o *Options) defaults() {
	if o.MaxEntrySize <= 0 {
		o.MaxEntrySize = 4 << 30
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 200
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
}

// Tree is one piece of evidence: a folder, a zip, or a single file. It is
// only ever read.
type Tree struct {
	Name     string // what the user gave
	Kind     string // "dir", "zip" or "file"
	opt      Options
	root     *os.Root
	zr       *zip.Reader
	zc       io.Closer
	single   string
	Warnings []string
	Skipped  int // entries not read: links, devices, unsafe or oversized zip entries
	// Unread lists the entries counted in Skipped, with the reason, for
	// the hunt's "not examined" list (the first maxUnread of them).
	Unread []Unread
}

// Unread is one entry of the evidence that was not read, and why.
type Unread struct {
	Path   string
	Reason string
}

// maxUnread bounds Tree.Unread and Tree.Warnings: a tree of a million
// links must not fill memory with their names.
const maxUnread = 1000

// Open opens path read-only as evidence.
func Open(p string, opt Options) (*Tree, error) {
	opt.defaults()
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	t := &Tree{Name: p, opt: opt}
	switch {
	case st.IsDir():
		t.Kind = "dir"
		if t.root, err = os.OpenRoot(p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
		}
	case isZip(p):
		zf, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
		}
		if err := t.openZip(zf, st.Size()); err != nil {
			zf.Close()
			return nil, err
		}
		t.zc = zf
	case st.Mode().IsRegular():
		t.Kind = "file"
		t.single = p
	default:
		return nil, fmt.Errorf("%w: %s is neither a folder, a zip nor a regular file", ErrEvidence, p)
	}
	return t, nil
}

// openZip reads the zip's directory from r.
func (t *Tree) openZip(r io.ReaderAt, size int64) error {
	t.Kind = "zip"
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("%w: %s: not a readable zip: %v", ErrEvidence, t.Name, err)
	}
	t.zr = zr
	return nil
}

func isZip(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06"
}

// Close releases the tree.
func (t *Tree) Close() error {
	switch {
	case t.root != nil:
		return t.root.Close()
	case t.zc != nil:
		return t.zc.Close()
	}
	return nil
}

// skip records an entry that is not read: counted, listed with its
// reason, and warned about as "path: skipped: reason" (or, for read
// errors, "path: cannot read: reason").
func (t *Tree) skip(p, verb, reason string) {
	t.Skipped++
	if len(t.Unread) < maxUnread {
		t.Unread = append(t.Unread, Unread{Path: p, Reason: reason})
	}
	if len(t.Warnings) < maxUnread {
		t.Warnings = append(t.Warnings, p+": "+verb+": "+reason)
	}
}

// File is one regular file of the evidence.
type File struct {
	Path    string // relative to the evidence root, '/'-separated, original case
	Size    int64
	ModTime time.Time
	tree    *Tree
	zf      *zip.File
}

// Lower is the path in lower case, for Windows-style case-insensitive matching.
func (f *File) Lower() string { return strings.ToLower(f.Path) }

// Name is the base name of the file.
func (f *File) Name() string { return path.Base(f.Path) }

// Location names the file for humans: the evidence name and the path inside it.
func (f *File) Location() string {
	if f.tree.Kind == "file" {
		return f.tree.Name
	}
	return f.tree.Name + "!" + f.Path
}

// Open opens the file for reading.
func (f *File) Open() (io.ReadCloser, error) {
	switch f.tree.Kind {
	case "dir":
		return f.tree.root.Open(filepath.FromSlash(f.Path))
	case "file":
		return os.Open(f.tree.single)
	}
	rc, err := f.zf.Open()
	if err != nil {
		return nil, err
	}
	// The declared size may lie: never read more than it. The final probe
	// lets the zip reader check the entry's CRC, so a corrupt entry fails
	// instead of reading as good.
	return &limitedReadCloser{LimitReader(rc, int64(f.zf.UncompressedSize64), errZipTooLong), rc}, nil
}

var errZipTooLong = errors.New("zip entry is longer than its declared size")

type limitedReadCloser struct {
	io.Reader
	io.Closer
}

// LimitReader reads at most n bytes of r, and then reads r once more, so
// that the end is told apart from a cut: more data is the error over
// (rather than a silent EOF that would pass a truncated read for a whole
// one), an error of r's own at its end (a zip entry's CRC, a gzip
// trailer) is returned, and only a clean end is io.EOF.
func LimitReader(r io.Reader, n int64, over error) io.Reader {
	return &limitReader{r: r, left: n, over: over}
}

type limitReader struct {
	r    io.Reader
	left int64
	over error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		m, err := l.r.Read(one[:])
		switch {
		case m > 0:
			return 0, l.over
		case err == nil:
			err = io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	m, err := l.r.Read(p)
	l.left -= int64(m)
	return m, err
}

// ReaderAt is what random-access parsers (EVTX) need.
type ReaderAt interface {
	io.ReaderAt
	io.Closer
}

// OpenReaderAt opens the file for random access. A zip entry is first
// copied to a temporary file (removed on Close), never next to the evidence.
func (f *File) OpenReaderAt() (ReaderAt, error) {
	if f.tree.Kind != "zip" {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		if ra, ok := rc.(ReaderAt); ok {
			return ra, nil
		}
		rc.Close()
		return nil, fmt.Errorf("%s: no random access", f.Path)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(f.tree.opt.TempDir, "exhunt-*.tmp")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &tempFile{tmp}, nil
}

type tempFile struct{ *os.File }

func (t *tempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.File.Name())
	return err
}

// Walk calls fn for every regular file, in path order. Links, devices,
// FIFOs, unsafe zip paths, zip bombs and files over MaxEntrySize are
// skipped and counted in Skipped and Warnings. A non-nil error from fn stops
// the walk, except fs.SkipDir which is not used for files.
func (t *Tree) Walk(ctx context.Context, fn func(*File) error) error {
	switch t.Kind {
	case "file":
		st, err := os.Stat(t.single)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrEvidence, err)
		}
		return fn(&File{Path: filepath.Base(t.single), Size: st.Size(), ModTime: st.ModTime(), tree: t})
	case "zip":
		return t.walkZip(ctx, fn)
	}
	return fs.WalkDir(t.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.skip(p, "cannot read", err.Error())
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			t.skip(p, "skipped", fmt.Sprintf("not a regular file (%s)", d.Type()))
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.skip(p, "cannot stat", err.Error())
			return nil
		}
		if info.Size() > t.opt.MaxEntrySize {
			t.skip(p, "skipped", fmt.Sprintf("%d bytes is over the %d byte limit", info.Size(), t.opt.MaxEntrySize))
			return nil
		}
		return fn(&File{Path: p, Size: info.Size(), ModTime: info.ModTime(), tree: t})
	})
}

func (t *Tree) walkZip(ctx context.Context, fn func(*File) error) error {
	files := append([]*zip.File(nil), t.zr.File...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, zf := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := strings.ReplaceAll(zf.Name, "\\", "/")
		if strings.HasSuffix(name, "/") || zf.FileInfo().IsDir() {
			continue
		}
		clean := path.Clean(name)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(clean, ":") {
			t.skip(zf.Name, "skipped", "unsafe path in zip")
			continue
		}
		if !zf.Mode().IsRegular() {
			t.skip(zf.Name, "skipped", fmt.Sprintf("not a regular file in zip (%s)", zf.Mode().Type()))
			continue
		}
		size := int64(zf.UncompressedSize64)
		if size < 0 || size > t.opt.MaxEntrySize {
			t.skip(zf.Name, "skipped", fmt.Sprintf("%d bytes uncompressed is over the %d byte limit", zf.UncompressedSize64, t.opt.MaxEntrySize))
			continue
		}
		if size > 1<<20 && (zf.CompressedSize64 == 0 || size/int64(max(zf.CompressedSize64, 1)) > t.opt.MaxRatio) {
			t.skip(zf.Name, "skipped", fmt.Sprintf("compression ratio %d:1 is over %d:1 (zip bomb?)", size/int64(max(zf.CompressedSize64, 1)), t.opt.MaxRatio))
			continue
		}
		if err := fn(&File{Path: clean, Size: size, ModTime: zf.Modified, tree: t, zf: zf}); err != nil {
			return err
		}
	}
	return nil
}

// HashReader wraps a reader and computes the SHA-256 of everything read.
type HashReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

// NewHashReader wraps r.
func NewHashReader(r io.Reader) *HashReader { return &HashReader{r: r, h: sha256.New()} }

func (h *HashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Finish reads whatever the consumer left unread (so the hash covers the
// whole file) and returns the hex SHA-256 and the byte count.
func (h *HashReader) Finish() (string, int64, error) {
	_, err := io.Copy(io.Discard, h)
	return hex.EncodeToString(h.h.Sum(nil)), h.n, err
}
