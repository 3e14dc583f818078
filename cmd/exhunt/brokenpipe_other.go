//go:build !windows

package main

import (
	"errors"
	"syscall"
)

// isBrokenPipe says whether err is a write to a pipe whose reader has gone
// (exhunt hunt ... | head).
func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }
