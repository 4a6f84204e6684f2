//go:build !linux

package pgcluster

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// account is the system account the server runs as; switching accounts is supported on Linux
// only, where the dev stack and CI run.
type account struct{}

func serverAccount() (*account, error) {
	if os.Geteuid() == 0 {
		return nil, errors.New("PostgreSQL refuses to run as root; run as an ordinary user")
	}
	return nil, nil
}

func procAttr(*account) *syscall.SysProcAttr { return nil }

func chownTree(string, *account) error { return nil }

func reachable(string, *account) error { return nil }

type noLock struct{}

func (noLock) Close() error { return nil }

// lockDir does not lock: without flock a second cluster on the same dir is refused by the
// server's own postmaster.pid check instead.
func lockDir(string) (io.Closer, error) { return noLock{}, nil }

func canInspectProcesses() bool { return false }

func isPostmasterOf(int, string) bool { return false }

func stopOrphan(context.Context, int, string) error {
	return errors.New("cannot stop orphaned servers on this platform")
}
