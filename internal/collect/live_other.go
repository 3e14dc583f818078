//go:build !windows

package collect

import "context"

// Live is the running system; only Windows has one to collect.
func Live(context.Context) (Source, error) { return Source{}, ErrLiveUnsupported }
