package iislog

import "github.com/exhunt/exhunt/internal/logline"

// ctxEvery is the lines between checks of the context, for the tests.
const ctxEvery = logline.CheckEvery
