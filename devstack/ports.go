package devstack

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/fireline/fireline/internal/freeport"
)

// loopback is the only address the dev stack listens on: it is a developer's
// tool, and nothing outside the machine should reach its unauthenticated APIs.
const loopback = "127.0.0.1"

// freePorts picks n distinct free loopback ports outside the kernel's ephemeral range, so
// that none of the connections the starting server opens can take one before it binds it.
func freePorts(n int) ([]int, error) {
	return freeport.Pick(n)
}

// checkPort reports whether port can be bound on loopback right now, so that
// a port clash becomes a clear error before any server is built. Port 0 picks
// a free port and returns it.
func checkPort(port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
	if errors.Is(err, syscall.EADDRINUSE) {
		return 0, fmt.Errorf("%w: %w", ErrPortInUse, err)
	}
	if err != nil {
		return 0, fmt.Errorf("check port: %w", err)
	}
	chosen := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release port %d: %w", chosen, err)
	}
	return chosen, nil
}
