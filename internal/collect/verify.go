package collect

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/internal/evidence"
)

// ErrNotBundle is wrapped when a file is not a readable exhunt bundle
// (not a zip, no manifest, a manifest that does not parse).
var ErrNotBundle = errors.New("collect: not a readable exhunt bundle")

// Problem is one way a bundle differs from its manifest.
type Problem struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"` // missing, size, sha256, unreadable, extra, duplicate, container
	Detail string `json:"detail"`
}

// Report is the result of Verify.
type Report struct {
	Manifest *Manifest
	Files    int   // entries checked
	Bytes    int64 // bytes hashed
	Problems []Problem
	// Container says whether the bundle's own hash was checked against
	// the .sha256 beside it, and how it went.
	Container string
}

// OK says whether every file matched and nothing was added.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks every file of a bundle against its manifest (size and
// SHA-256), that nothing was added, and the bundle itself against the
// bundle.zip.sha256 beside it when there is one.
//
// A bundle that is not a regular file (a FIFO, a socket, a device, a
// folder) is refused before it is opened, with an error wrapping
// ErrNotBundle and evidence.ErrNotRegular. Verification stops with the
// context's error as soon as ctx ends.
func Verify(ctx context.Context, bundle string) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := evidence.OpenRegular(bundle)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotBundle, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	rep, err := VerifyReader(ctx, f, st.Size())
	if err != nil {
		return nil, err
	}
	side := bundle + ".sha256"
	want, err := readSidecar(side)
	switch {
	case errors.Is(err, os.ErrNotExist):
		rep.Container = "not checked: no " + filepath.Base(side) + " beside the bundle"
	case err != nil:
		rep.Problems = append(rep.Problems, Problem{Path: filepath.Base(side), Kind: "container", Detail: err.Error()})
	default:
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		h := sha256.New()
		if _, err := io.Copy(h, &ctxReader{ctx, f}); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if got := hexSum(h); got != want {
			rep.Problems = append(rep.Problems, Problem{Path: filepath.Base(bundle), Kind: "container",
				Detail: fmt.Sprintf("SHA-256 %s, but %s says %s", got, filepath.Base(side), want)})
		} else {
			rep.Container = "matches " + filepath.Base(side)
		}
	}
	return rep, nil
}

// readSidecar reads the hash from a `sha256sum`-style line.
func readSidecar(p string) (string, error) {
	f, err := evidence.OpenRegular(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields[0]) != 64 {
		return "", fmt.Errorf("%s: no SHA-256 on its first line", filepath.Base(p))
	}
	return strings.ToLower(fields[0]), nil
}

// VerifyReader checks a bundle read from r. It reads each entry once,
// streaming, never more bytes than the manifest says it holds plus one.
func VerifyReader(ctx context.Context, r io.ReaderAt, size int64) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(&ctxReaderAt{ctx, r}, size)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	rep := &Report{}
	entries := map[string]*zip.File{}
	for _, zf := range zr.File {
		if _, dup := entries[zf.Name]; dup {
			rep.Problems = append(rep.Problems, Problem{Path: zf.Name, Kind: "duplicate", Detail: "the bundle holds this name more than once"})
			continue
		}
		entries[zf.Name] = zf
	}
	mf := entries[ManifestName]
	if mf == nil {
		return nil, fmt.Errorf("%w: no %s", ErrNotBundle, ManifestName)
	}
	m, err := readManifest(ctx, mf)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	rep.Manifest = m
	listed := map[string]bool{ManifestName: true}
	check := func(e FileEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if listed[e.Path] {
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "duplicate", Detail: "the manifest lists this path more than once"})
			return nil
		}
		listed[e.Path] = true
		zf := entries[e.Path]
		if zf == nil {
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "missing", Detail: "in the manifest, not in the bundle"})
			return nil
		}
		rep.Files++
		rc, err := zf.Open()
		if err != nil {
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "unreadable", Detail: err.Error()})
			return nil
		}
		defer rc.Close()
		h := sha256.New()
		n, err := io.CopyN(h, &ctxReader{ctx, rc}, e.Size+1)
		rep.Bytes += n
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && err != io.EOF:
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "unreadable", Detail: fmt.Sprintf("after %d bytes: %v", n, err)})
		case n != e.Size:
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "size", Detail: fmt.Sprintf("%d bytes, manifest says %d", n, e.Size)})
		case hexSum(h) != strings.ToLower(e.SHA256):
			rep.Problems = append(rep.Problems, Problem{Path: e.Path, Kind: "sha256", Detail: fmt.Sprintf("SHA-256 %s, manifest says %s", hexSum(h), e.SHA256)})
		}
		return nil
	}
	for _, e := range m.Entries() {
		if err := check(e); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a manifest with no entries reads nothing: say so, not OK
	}
	for name := range entries {
		if !listed[name] {
			rep.Problems = append(rep.Problems, Problem{Path: name, Kind: "extra", Detail: "in the bundle, not in the manifest"})
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
}

// ctxReader stops a long read when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxReaderAt stops every read of the bundle (its directory, the manifest,
// a file's data) once the context ends: Ctrl-C stops verification at the
// next read, whatever it was reading.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
