package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// State is what --resume keeps on disk: every target whose Ordinal is
// below DoneBelow has been scanned. Targets in flight at a crash (at most
// --concurrency of them) are scanned again on resume, never skipped.
type State struct {
	Version   int    `json:"version"`
	Inputs    string `json:"inputs"` // fingerprint of arguments, ports and shard
	DoneBelow int64  `json:"done_below"`
	Scanned   int64  `json:"scanned"`
	Complete  bool   `json:"complete"`
}

// ErrStateMismatch means the state file belongs to another input or shard.
var ErrStateMismatch = errors.New("scan: resume state was written for other inputs, ports or shard")

// LoadState reads a state file; a missing file is a fresh start.
func LoadState(path, inputs string) (State, error) {
	st := State{Version: 1, Inputs: inputs}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("scan: read resume state: %w", err)
	}
	var got State
	if err := json.Unmarshal(b, &got); err != nil {
		return st, fmt.Errorf("scan: resume state %s: %w", path, err)
	}
	if got.Inputs != inputs {
		return st, fmt.Errorf("%w (%s)", ErrStateMismatch, path)
	}
	return got, nil
}

// SaveState writes the state atomically (temporary file, then rename).
func SaveState(path string, st State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".exhunt-resume-*")
	if err != nil {
		return fmt.Errorf("scan: save resume state: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("scan: save resume state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("scan: save resume state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("scan: save resume state: %w", err)
	}
	return nil
}

// tracker computes the low-water mark of finished ordinals while results
// arrive out of order. Memory is O(targets in flight).
type tracker struct {
	mu       sync.Mutex
	inflight map[int64]struct{}
	next     int64 // one past the highest ordinal handed out
	scanned  int64
}

func newTracker(start int64) *tracker {
	return &tracker{inflight: map[int64]struct{}{}, next: start}
}

func (t *tracker) begin(ord int64) {
	t.mu.Lock()
	t.inflight[ord] = struct{}{}
	if ord >= t.next {
		t.next = ord + 1
	}
	t.mu.Unlock()
}

// skip records an ordinal not scanned by this shard (or before the resume
// point) so the mark can pass it.
func (t *tracker) skip(ord int64) {
	t.mu.Lock()
	if ord >= t.next {
		t.next = ord + 1
	}
	t.mu.Unlock()
}

func (t *tracker) done(ord int64) {
	t.mu.Lock()
	delete(t.inflight, ord)
	t.scanned++
	t.mu.Unlock()
}

// mark is the smallest ordinal that may not be finished.
func (t *tracker) mark() (int64, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.next
	for o := range t.inflight {
		m = min(m, o)
	}
	return m, t.scanned
}
