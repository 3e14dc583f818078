package evidence

import "time"

// FileInfo is what a file detector is told about a file it examines,
// beside its bytes: the hunt hands it to filecheck. It lives here, with
// File, so that the detectors below the hunt need not import it.
type FileInfo struct {
	Path    string // inside the evidence, '/'-separated
	Size    int64
	ModTime time.Time
	SHA256  string // hex; "" when only the file's head was read
}
