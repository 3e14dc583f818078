package ruleset

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/exhunt/exhunt/internal/datadir"
)

// ErrChecksum is returned when an archive's SHA-256 differs from the one
// given by the user or published with the release: nothing is installed.
var ErrChecksum = errors.New("ruleset: SHA-256 mismatch")

// ErrNoRules is returned when an archive holds no usable rule of its set.
var ErrNoRules = errors.New("ruleset: no usable rules in the archive")

// Checksum states how an installed archive was verified.
const (
	CheckUser      = "matches the SHA-256 given with --sha256"
	CheckPublished = "matches the SHA-256 published with the release"
	CheckNone      = "not verified: no SHA-256 given or published"
)

// Options configure Update and InstallFile.
type Options struct {
	Dir       string        // data directory; the sets go to Dir/rules
	Timeout   time.Duration // whole download of one set (default 5 minutes)
	UserAgent string        // default "exhunt"
	// SHA256 is the expected lower-case hex digest (ParseSHA256), checked
	// before the release's own; "" to rely on the release.
	SHA256 string
	Now    func() time.Time
	// Progress receives one line per step; nil discards them.
	Progress func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.UserAgent == "" {
		o.UserAgent = "exhunt"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
}

// RulesDir is where the sets of data directory dir are installed.
func RulesDir(dir string) string { return filepath.Join(dir, "rules") }

// Update downloads the newest release of src, verifies, unpacks, compiles
// and installs it, replacing the installed set only when all of that
// worked.
func Update(ctx context.Context, src Source, opt Options) (Installed, error) {
	opt.defaults()
	root := RulesDir(opt.Dir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Installed{}, err
	}
	spool, err := os.CreateTemp(root, ".download-"+src.Name+"-*.zip")
	if err != nil {
		return Installed{}, err
	}
	defer func() { spool.Close(); os.Remove(spool.Name()) }()

	c := newClient(opt.Timeout)
	opt.Progress("%s: fetching %s", src.Name, src.URL)
	t, isArchive, err := resolve(ctx, c, src, opt.UserAgent, spool)
	if err != nil {
		return Installed{}, fmt.Errorf("%s: %w", src.Name, err)
	}
	if !isArchive {
		if err := spool.Truncate(0); err != nil {
			return Installed{}, err
		}
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return Installed{}, err
		}
		opt.Progress("%s: release %s, downloading %s", src.Name, t.version, t.url)
		if _, err := get(ctx, c, t.url, "application/zip, application/octet-stream", opt.UserAgent, MaxArchive, spool); err != nil {
			return Installed{}, fmt.Errorf("%s: %w", src.Name, err)
		}
	}
	in := Installed{Name: src.Name, Kind: src.Kind, Version: t.version, Published: t.published, Source: redacted(t.url)}
	return install(src, spool, t.sha256, in, opt)
}

// redacted drops a password from a URL before it is recorded.
func redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// InstallFile installs the set src from a local zip archive (offline use:
// `exhunt rules update --from FILE.zip`), verified against opt.SHA256 when
// given.
func InstallFile(src Source, file string, opt Options) (Installed, error) {
	opt.defaults()
	f, err := os.Open(file)
	if err != nil {
		return Installed{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Installed{}, err
	}
	if !st.Mode().IsRegular() {
		return Installed{}, fmt.Errorf("%w: %s is not a regular file", ErrArchive, file)
	}
	abs, _ := filepath.Abs(file)
	in := Installed{Name: src.Name, Kind: src.Kind, Version: "local file", Published: st.ModTime().UTC(), Source: abs}
	if err := os.MkdirAll(RulesDir(opt.Dir), 0o755); err != nil {
		return Installed{}, err
	}
	return install(src, f, "", in, opt)
}

// install verifies the archive in f, unpacks it to a staging folder,
// compiles it and swaps it in.
func install(src Source, f *os.File, published string, in Installed, opt Options) (Installed, error) {
	sum, err := fileSHA256(f)
	if err != nil {
		return in, err
	}
	in.SHA256 = sum
	switch {
	case opt.SHA256 != "":
		if sum != opt.SHA256 {
			return in, fmt.Errorf("%s: %w: the archive's is %s, --sha256 gave %s: not installed", src.Name, ErrChecksum, sum, opt.SHA256)
		}
		in.Checksum = CheckUser
	case published != "":
		if sum != published {
			return in, fmt.Errorf("%s: %w: the archive's is %s, the release publishes %s: not installed", src.Name, ErrChecksum, sum, published)
		}
		in.Checksum = CheckPublished
	default:
		in.Checksum = CheckNone
	}
	st, err := f.Stat()
	if err != nil {
		return in, err
	}
	root := RulesDir(opt.Dir)
	stage, err := os.MkdirTemp(root, ".stage-"+src.Name+"-")
	if err != nil {
		return in, err
	}
	defer os.RemoveAll(stage)
	opt.Progress("%s: unpacking %d bytes (SHA-256 %s, %s)", src.Name, st.Size(), sum, in.Checksum)
	if _, err := extract(f, st.Size(), src, stage); err != nil {
		return in, fmt.Errorf("%s: %w: not installed", src.Name, err)
	}
	opt.Progress("%s: compiling", src.Name)
	if err := compile(src.Kind, stage, &in); err != nil {
		return in, err
	}
	if in.Rules == 0 {
		return in, fmt.Errorf("%s: %w (%d files, %d rules not usable): not installed", src.Name, ErrNoRules, in.Files, len(in.Unusable))
	}
	in.Installed = opt.Now().UTC()
	if err := datadir.Replace(filepath.Join(root, src.Name), stage); err != nil {
		return in, err
	}
	if err := saveEntry(root, in); err != nil {
		return in, err
	}
	return in, nil
}

// DetectSource tells which default set a local archive holds: the one
// whose rule files (by extension) it has most of. It errors when the file
// is no zip archive or holds neither YARA nor Sigma rules.
func DetectSource(file string) (Source, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return Source{}, fmt.Errorf("%w: %s: not a zip archive: %v", ErrArchive, file, err)
	}
	defer zr.Close()
	best, bestN := Source{}, 0
	for _, src := range Defaults() {
		names := make([]string, 0, len(zr.File))
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		sel := newSelector(src, names)
		n := 0
		for _, name := range names {
			if _, ok := sel.pick(name); ok {
				n++
			}
		}
		if n > bestN {
			best, bestN = src, n
		}
	}
	if bestN == 0 {
		return Source{}, fmt.Errorf("%w: %s holds no YARA (.yar) or Sigma (.yml) rule files; name the set with --set", ErrArchive, file)
	}
	return best, nil
}
