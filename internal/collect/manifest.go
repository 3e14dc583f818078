package collect

import (
	"archive/zip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Names inside a bundle, and its format tag.
const (
	ManifestName = "manifest.json"
	LogName      = "collection.log"
	Format       = "exhunt-bundle/1"
)

// maxManifestSize bounds the manifest Verify reads: about 3 million files.
const maxManifestSize = 1 << 30

// Manifest is manifest.json: what was collected, from where, when, by
// which collector, with each file's hash, and what was not and why.
type Manifest struct {
	Format      string            `json:"format"`
	Collector   Collector         `json:"collector"`
	Host        string            `json:"host"`         // the server collected ("" when unknown offline)
	CollectedOn string            `json:"collected_on"` // the machine that ran the collector
	Mode        string            `json:"mode"`         // "live" or "root"
	Drives      map[string]string `json:"drives,omitempty"`
	CommandLine []string          `json:"command_line,omitempty"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	Since       *time.Time        `json:"since,omitempty"`
	MaxSize     int64             `json:"max_size"`
	Exchange    ExchangeInfo      `json:"exchange"`
	IIS         IISInfo           `json:"iis"`
	Files       []FileEntry       `json:"files"`
	Log         *FileEntry        `json:"log,omitempty"` // collection.log, hashed like the files
	Skipped     []Skipped         `json:"skipped"`
	Missing     []Missing         `json:"missing"`
	Warnings    []string          `json:"warnings"`
	Totals      Totals            `json:"totals"`
}

// Collector names the program that wrote the bundle.
type Collector struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// FileEntry is one copied file.
type FileEntry struct {
	Path         string `json:"path"`          // in the bundle
	OriginalPath string `json:"original_path"` // on the server
	Category     string `json:"category"`
	Size         int64  `json:"size"`   // bytes copied
	SHA256       string `json:"sha256"` // of the bytes copied
	Times        Times  `json:"times"`
	Method       string `json:"method"` // read, EvtExportLog, wevtutil epl
	Channel      string `json:"channel,omitempty"`
	Note         string `json:"note,omitempty"`
	Error        string `json:"error,omitempty"` // the copy stopped early: the entry holds what was read
}

// Totals sum up the manifest.
type Totals struct {
	Files   int   `json:"files"`
	Bytes   int64 `json:"bytes"`
	Skipped int   `json:"skipped"`
	Missing int   `json:"missing"`
}

// readManifest decodes manifest.json from a bundle entry, bounded, until
// ctx ends, and
// checks what Verify relies on: the format tag, and a path, a size and a
// SHA-256 for every file.
func readManifest(ctx context.Context, zf *zip.File) (*Manifest, error) {
	if zf.UncompressedSize64 > maxManifestSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d byte limit", ManifestName, zf.UncompressedSize64, maxManifestSize)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	defer rc.Close()
	m, err := ReadManifest(&ctxReader{ctx, rc}, int64(zf.UncompressedSize64))
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopped, not malformed
	}
	return m, err
}

// ReadManifest reads and checks a manifest of the given size (as its zip
// entry declares it), never reading more than the 1 GiB bound.
func ReadManifest(r io.Reader, size int64) (*Manifest, error) {
	if size > maxManifestSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d byte limit", ManifestName, size, maxManifestSize)
	}
	return ParseManifest(io.LimitReader(r, maxManifestSize))
}

// ParseManifest reads and checks a manifest.
func ParseManifest(r io.Reader) (*Manifest, error) {
	var m Manifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, want %q", ManifestName, m.Format, Format)
	}
	check := func(e FileEntry) error {
		if e.Path == "" || e.Size < 0 {
			return fmt.Errorf("%s: file entry %q: no path or a negative size", ManifestName, e.Path)
		}
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("%s: %s: %q is not a SHA-256", ManifestName, e.Path, e.SHA256)
		}
		return nil
	}
	for _, e := range m.Entries() {
		if err := check(e); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// Entries are the hashed entries of the bundle: the files and the
// collection log.
func (m *Manifest) Entries() []FileEntry {
	if m.Log == nil {
		return m.Files
	}
	return append(m.Files[:len(m.Files):len(m.Files)], *m.Log)
}
