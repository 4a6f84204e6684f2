//go:build !(linux || darwin || freebsd)

package media

import (
	"errors"
	"syscall"
)

// statfsFree cannot read the free space here: the reserve is off and only a write that
// fails for want of space suspends recording.
func statfsFree(string) (int64, error) {
	return 0, errors.ErrUnsupported
}

// diskFull reports whether err is a write refused for want of space.
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC)
}
