//go:build linux || darwin || freebsd

package media

import (
	"errors"
	"syscall"
)

// statfsFree is the space on dir's filesystem that an unprivileged writer may use (statfs's
// available blocks, not its free ones: the blocks kept for root are no use to the recorder).
func statfsFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil // #nosec G115 -- block counts and sizes of a real filesystem fit
}

// diskFull reports whether err is a write refused for want of space: the disk is full
// (ENOSPC) or the node's quota is used up (EDQUOT).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
