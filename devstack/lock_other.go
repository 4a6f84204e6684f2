//go:build !unix

package devstack

// dirLock is a no-op where flock is unavailable: the dev stack targets
// Linux and macOS, and elsewhere the user must not share a data directory.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) unlock() error { return nil }
