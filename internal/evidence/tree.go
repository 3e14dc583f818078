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
	"slices"
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
	// zip entry over 1 MiB (zip bombs). Default 200. An entry over it is
	// still handed out, but reads stop after its first OverRatioHead bytes
	// (File.Head): a web shell padded with megabytes of spaces compresses
	// like a zip bomb, and must be looked at, not skipped.
	MaxRatio int64
	// OverRatioHead is how much of an over-ratio zip entry is read.
	// Default 1 MiB, the size up to which no ratio is checked.
	OverRatioHead int64
	// TempDir receives zip entries that a reader needs random access to
	// (EVTX). Default os.TempDir().
	TempDir string
	// MaxDepth is how many levels of folders below the root a folder
	// tree is walked (default 256: far deeper than any Windows install,
	// whose paths rarely pass 20 levels). A folder below it is not
	// walked; it is listed in Unread and warned about, with why.
	MaxDepth int
}

func (o *Options) defaults() {
	if o.MaxEntrySize <= 0 {
		o.MaxEntrySize = 4 << 30
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 200
	}
	if o.OverRatioHead <= 0 {
		o.OverRatioHead = ratioChecked
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
}

// DefaultMaxDepth is Options.MaxDepth's default.
const DefaultMaxDepth = 256

// Tree is one piece of evidence: a folder, a zip, or a single file. It is
// only ever read.
type Tree struct {
	Name     string // what the user gave
	Kind     string // "dir", "zip" or "file"
	opt      Options
	root     *os.Root
	beneath  beneath // the folder held open for openat2 (Linux)
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

// ratioChecked is the uncompressed size above which a zip entry's
// compression ratio is checked.
const ratioChecked = 1 << 20

// Open opens path read-only as evidence. A path that is neither a folder
// nor a regular file (a FIFO, a socket, a device) is an error at once: it
// is never opened, since opening a FIFO waits for a writer forever.
func Open(p string, opt Options) (*Tree, error) {
	opt.defaults()
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	t := &Tree{Name: p, opt: opt}
	if st.IsDir() {
		t.Kind = "dir"
		if t.root, err = os.OpenRoot(p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
		}
		t.openBeneathDir(p)
		return t, nil
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is %s, not a folder, a zip or a regular file", ErrEvidence, p, describeMode(st.Mode()))
	}
	f, err := openRegular(p)
	if err != nil {
		// Unreadable (permissions): a single file, whose read fails
		// later and is reported there, as before.
		t.Kind, t.single = "file", p
		return t, nil
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 4 && (string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06") {
		fst, err := f.Stat()
		if err == nil {
			err = t.openZip(f, fst.Size())
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		t.zc = f
		return t, nil
	}
	f.Close()
	t.Kind = "file"
	t.single = p
	return t, nil
}

// describeMode names a file type that is not evidence, for messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// openRegular opens the file at p for reading (openNoATime: no
// access-time update where the OS allows, never blocking on open) and
// checks that what it opened is a regular file: the path may have been
// replaced by a FIFO or a device since it was listed.
func openRegular(p string) (*os.File, error) {
	return checkRegular(openNoATime(func(flag int) (*os.File, error) { return os.OpenFile(p, flag, 0) }))
}

// openInRoot is openRegular for a '/'-separated path inside a folder tree.
func (t *Tree) openInRoot(name string) (*os.File, error) {
	return checkRegular(openNoATime(func(flag int) (*os.File, error) { return t.root.OpenFile(filepath.FromSlash(name), flag, 0) }))
}

func checkRegular(f *os.File, err error) (*os.File, error) {
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %s, not a regular file: not read", f.Name(), describeMode(st.Mode()))
	}
	return f, nil
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

// Close releases the tree.
func (t *Tree) Close() error {
	switch {
	case t.root != nil:
		t.closeBeneathDir()
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
	t.notef("%s: %s: %s", p, verb, reason)
}

// notef adds a warning about an entry that is still read.
func (t *Tree) notef(format string, args ...any) {
	if len(t.Warnings) < maxUnread {
		t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...))
	}
}

// File is one regular file of the evidence.
type File struct {
	Path    string // relative to the evidence root, '/'-separated, original case
	Size    int64
	ModTime time.Time
	// Head, when not 0, is all Open will read of the file: it is a zip
	// entry compressed OverRatio:1, over Options.MaxRatio (a zip bomb, or
	// a file padded to slip past scanners). Size stays the declared size.
	Head      int64
	OverRatio int64
	tree      *Tree
	zf        *zip.File
	lower     string // Path in lower case, made once (see Lower)
}

// Lower is the path in lower case, for Windows-style case-insensitive
// matching. It is made on the first call: call it once before handing the
// File to other goroutines (the hunt's walk does).
func (f *File) Lower() string {
	if f.lower == "" {
		f.lower = strings.ToLower(f.Path)
	}
	return f.lower
}

// Name is the base name of the file.
func (f *File) Name() string { return path.Base(f.Path) }

// Location names the file for humans: the evidence name and the path inside it.
func (f *File) Location() string {
	if f.tree.Kind == "file" {
		return f.tree.Name
	}
	return f.tree.Name + "!" + f.Path
}

// Open opens the file for reading, read-only, without changing its access
// time where the OS allows it (see openNoATime).
func (f *File) Open() (io.ReadCloser, error) {
	switch f.tree.Kind {
	case "dir":
		if rc, ok, err := f.tree.openFast(f.Path); ok {
			return rc, err
		}
		return f.tree.openInRoot(f.Path)
	case "file":
		return openRegular(f.tree.single)
	}
	rc, err := f.zf.Open()
	if err != nil {
		return nil, err
	}
	// The declared size may lie: never read more than it. The final probe
	// lets the zip reader check the entry's CRC, so a corrupt entry fails
	// instead of reading as good. Of an over-ratio entry only its head is
	// read, so there is no CRC to check.
	if f.Head > 0 && f.Head < int64(f.zf.UncompressedSize64) {
		return &limitedReadCloser{io.LimitReader(rc, f.Head), rc}, nil
	}
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
// FIFOs, unsafe zip paths and files over MaxEntrySize are skipped and
// counted in Skipped and Warnings; over-ratio zip entries are handed out
// with Head set and a warning. A non-nil error from fn stops the walk,
// except fs.SkipDir which is not used for files.
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
	return t.walkDir(ctx, t.root, ".", 0, func(p string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			t.skip(p, "skipped", fmt.Sprintf("not a regular file (%s)", d.Type()))
			return nil
		}
		// The listing already stat'ed the entry (relative to its folder,
		// whatever its depth).
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

// walkDir calls fn for every entry of the folder dir (held open as r,
// depth levels below the root) and of the folders below it that is not
// itself a folder, in path order. Each folder is opened relative to its
// parent, so a walk costs the same per entry at any depth (resolving
// every folder's path from the root made a 10 000-deep tree quadratic:
// 185 s); at most MaxDepth folders are held open. Folders are listed
// through openNoATime, so listing them leaves their access times alone
// too; a folder that cannot be read, or lies deeper than MaxDepth, is a
// warning and an Unread entry, and the walk goes on.
func (t *Tree) walkDir(ctx context.Context, r *os.Root, dir string, depth int, fn func(p string, d fs.DirEntry) error) error {
	entries, err := readDir(r)
	if err != nil {
		t.skip(dir, "cannot read", err.Error())
	}
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := d.Name()
		if dir != "." {
			p = dir + "/" + p
		}
		if !d.IsDir() {
			if err := fn(p, d); err != nil {
				return err
			}
			continue
		}
		if depth+1 > t.opt.MaxDepth {
			t.skip(p, "skipped", fmt.Sprintf("folder %d levels deep, past the walk's limit of %d: not walked", depth+1, t.opt.MaxDepth))
			continue
		}
		sub, err := r.OpenRoot(d.Name())
		if err != nil {
			t.skip(p, "cannot read", err.Error())
			continue
		}
		err = t.walkDir(ctx, sub, p, depth+1, fn)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readDir lists the folder r, sorted by name.
func readDir(r *os.Root) ([]fs.DirEntry, error) {
	f, err := openNoATime(func(flag int) (*os.File, error) { return r.OpenFile(".", flag, 0) })
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
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
		f := &File{Path: clean, Size: size, ModTime: zf.Modified, tree: t, zf: zf}
		if ratio := size / int64(max(zf.CompressedSize64, 1)); size > ratioChecked && ratio > t.opt.MaxRatio {
			f.Head, f.OverRatio = t.opt.OverRatioHead, ratio
			t.notef("%s: compression ratio %d:1 is over %d:1 (a zip bomb, or padding to slip past scanners): only its first %d of %d bytes are read",
				zf.Name, ratio, t.opt.MaxRatio, min(f.Head, size), size)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// HashReader wraps a reader and computes the SHA-256 of everything read.
type HashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	eof bool // r said io.EOF: Finish need not read again
}

// NewHashReader wraps r.
func NewHashReader(r io.Reader) *HashReader { return &HashReader{r: r, h: sha256.New()} }

func (h *HashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err == io.EOF {
		h.eof = true
	}
	return n, err
}

// Finish reads whatever the consumer left unread (so the hash covers the
// whole file) and returns the hex SHA-256 and the byte count.
func (h *HashReader) Finish() (string, int64, error) {
	var err error
	if !h.eof {
		_, err = io.Copy(io.Discard, h)
	}
	return hex.EncodeToString(h.h.Sum(nil)), h.n, err
}
