// Package freeport picks free loopback TCP ports for servers that must be told their port
// before they bind it: the embedded PostgreSQL, the embedded Temporal server's services, and
// the stacks the end-to-end tests start.
//
// A port the kernel hands out for "port 0" lies in its ephemeral range, the same range it takes
// the local ports of outgoing connections from. Between choosing such a port and the server
// binding it, any of the dozens of connections a starting stack opens (PostgreSQL pools, gRPC
// clients, ringpop) may take it, and the server then fails with "address already in use". So
// this package chooses ports below (or above) the ephemeral range, where the kernel never
// assigns ports by itself; only another program binding the very same port explicitly can
// still take one, and each port is checked free when chosen.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// loopback is where every port is checked: the servers this package serves listen there.
const loopback = "127.0.0.1"

// rangeFile holds the kernel's ephemeral port range, "low<TAB>high".
const rangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// Linux's default ephemeral range, assumed when rangeFile cannot be read.
const (
	defaultLow  = 32768
	defaultHigh = 60999
)

// floor is the lowest port chosen: below it sit well-known and commonly configured services.
const floor = 10000

// attempts bounds the random probing before falling back to the kernel's choice.
const attempts = 200

// Pick returns n distinct ports that are free on 127.0.0.1 now and outside the kernel's
// ephemeral range when the machine leaves room for that; otherwise the kernel chooses. All
// probe listeners stay open until every port is chosen, so no port is handed out twice.
func Pick(n int) ([]int, error) {
	if n <= 0 {
		return nil, nil
	}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	candidates := outside(ephemeralRange())
	for try := 0; len(ports) < n && try < attempts && len(candidates) > 0; try++ {
		c := candidates[rand.IntN(len(candidates))]
		port := c.lo + rand.IntN(c.hi-c.lo+1)
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
		if err != nil {
			continue // taken, or not ours to bind: try another
		}
		held = append(held, l)
		ports = append(ports, port)
	}
	for len(ports) < n {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return nil, fmt.Errorf("freeport: pick a free port: %w", err)
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// One returns a single port as Pick does.
func One() (int, error) {
	p, err := Pick(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// span is an inclusive range of ports.
type span struct{ lo, hi int }

// ephemeralRange reads the kernel's ephemeral port range.
func ephemeralRange() span {
	b, err := os.ReadFile(rangeFile)
	if err != nil {
		return span{defaultLow, defaultHigh}
	}
	r, err := parseRange(string(b))
	if err != nil {
		return span{defaultLow, defaultHigh}
	}
	return r
}

func parseRange(s string) (span, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return span{}, errors.New("want two fields")
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err := errors.Join(err1, err2); err != nil {
		return span{}, err
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return span{}, fmt.Errorf("range %d-%d out of bounds", lo, hi)
	}
	return span{lo, hi}, nil
}

// outside lists the usable spans around the ephemeral range: at least 1000 ports each, from
// floor up to 65535.
func outside(eph span) []span {
	var out []span
	if eph.lo-1-floor >= 1000 {
		out = append(out, span{floor, eph.lo - 1})
	}
	if lo := max(eph.hi+1, floor); 65535-lo >= 1000 {
		out = append(out, span{lo, 65535})
	}
	return out
}
