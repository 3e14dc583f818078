package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// helperEnv makes the test binary act as one exhunt process that opens
// the database named in it and saves one hunt result (TestMain).
const helperEnv = "EXHUNT_STORE_HELPER_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(helperEnv); db != "" {
		os.Exit(helperSave(db, os.Getenv("EXHUNT_STORE_HELPER_HOST")))
	}
	os.Exit(m.Run())
}

func helperSave(db, host string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	if _, err := s.SaveHunt(ctx, oneHunt(host)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func oneHunt(host string) finding.HostResult {
	at := time.Date(2021, 3, 3, 1, 2, 3, 0, time.UTC)
	return finding.HostResult{Host: host, Verdict: finding.NoEvidence, Findings: []finding.Finding{}, Started: at, Finished: at}
}

// TestConcurrentCreateProcesses is the red team's case (issue 16): four
// exhunt processes that create the same SQLite file at once lost runs in
// 7 of 10 trials ("partial migration error ... table runs already
// exists"). Now every process migrates under one lock and every run is
// kept, in every trial.
func TestConcurrentCreateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 40 processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	const trials, procs = 10, 4
	for trial := range trials {
		db := filepath.Join(t.TempDir(), "exhunt.db")
		cmds := make([]*exec.Cmd, procs)
		outs := make([][]byte, procs)
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i := range procs {
			cmds[i] = exec.Command(exe, "-test.run=^$")
			cmds[i].Env = append(os.Environ(), helperEnv+"="+db, fmt.Sprintf("EXHUNT_STORE_HELPER_HOST=EX%02d", i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = cmds[i].CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range procs {
			if errs[i] != nil {
				t.Errorf("trial %d process %d: %v: %s", trial, i, errs[i], outs[i])
			}
		}
		assertRuns(t, db, procs)
	}
}

// TestConcurrentCreateOpens does the same inside one process: separate
// *sql.DB opens of the same fresh file, each saving a run.
func TestConcurrentCreateOpens(t *testing.T) {
	const trials, opens = 20, 6
	for trial := range trials {
		db := filepath.Join(t.TempDir(), "exhunt.db")
		var wg sync.WaitGroup
		errs := make([]error, opens)
		for i := range opens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(t.Context(), db)
				if err != nil {
					errs[i] = err
					return
				}
				defer s.Close()
				_, errs[i] = s.SaveHunt(t.Context(), oneHunt(fmt.Sprintf("EX%02d", i)))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		assertRuns(t, db, opens)
	}
}

func assertRuns(t *testing.T, db string, want int) {
	t.Helper()
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if runs, _, err := s.Counts(t.Context()); err != nil || runs != want {
		t.Errorf("%s holds %d runs (%v), want %d: runs were lost", db, runs, err, want)
	}
}

// TestMigrationLockWaits: a process that holds the migration lock makes
// Open wait, and Open gives a clear error, not a half-migrated database,
// when the lock is never released.
func TestMigrationLockWaits(t *testing.T) {
	db := filepath.Join(t.TempDir(), "exhunt.db")
	unlock, err := lockSQLite(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	old := migrationLockWait
	migrationLockWait = 300 * time.Millisecond
	t.Cleanup(func() { migrationLockWait = old })
	start := time.Now()
	if s, err := Open(t.Context(), db); err == nil {
		s.Close()
		t.Fatal("Open succeeded while another process held the migration lock")
	} else if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("Open gave up after %v, before the %v wait: %v", d, migrationLockWait, err)
	}
	unlock()
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatalf("Open after the lock was released: %v", err)
	}
	s.Close()
}
