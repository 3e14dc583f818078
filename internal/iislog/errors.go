package iislog

import "github.com/exhunt/exhunt/internal/logline"

// ErrTooLarge reports gzip input whose decompressed size passes
// Options.MaxDecompressed; it guards against decompression bombs.
var ErrTooLarge = logline.ErrTooLarge
