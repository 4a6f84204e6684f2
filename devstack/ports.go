package devstack

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// loopback is the only address the dev stack listens on: it is a developer's
// tool, and nothing outside the machine should reach its unauthenticated APIs.
const loopback = "127.0.0.1"

// freePorts asks the kernel for n distinct free loopback ports. All listeners
// stay open until every port is chosen so that the same port is never handed
// out twice; another process may still take one before the server binds it,
// which is the usual, accepted race of this technique.
func freePorts(n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
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
