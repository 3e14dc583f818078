package main

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// isBrokenPipe says whether err is a write to a pipe whose reader has gone
// (exhunt hunt ... | more): Windows says "The pipe is being closed"
// (ERROR_NO_DATA) where Unix says EPIPE.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE)
}
