package devicesim_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
)

// centre is a Handler that confirms every frame, except that it fails the first time it sees
// a component at failOnce and denies a component at deny; it keeps the components it saw.
type centre struct {
	mu         sync.Mutex
	failed     bool
	heartbeats map[gb26875.Address]int
	components []seen
}

type seen struct {
	from gb26875.Address
	c    gb26875.ComponentStatus
}

const (
	failOnce = 4242
	deny     = 666
)

func (h *centre) ServeFrame(_ context.Context, _ string, f gb26875.Frame, _ []byte) ([]gb26875.Frame, error) {
	u, err := f.Unit()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, o := range u.Objects {
		switch o := o.(type) {
		case gb26875.DeviceStatus:
			h.heartbeats[f.Source]++
		case gb26875.ComponentStatus:
			if o.ComponentAddress == failOnce && !h.failed {
				h.failed = true
				return nil, errors.New("the store is down, once")
			}
			if o.ComponentAddress == deny {
				return []gb26875.Frame{gb26875.Deny(f, time.Now())}, nil
			}
			h.components = append(h.components, seen{f.Source, o})
		}
	}
	return []gb26875.Frame{gb26875.Confirm(f, time.Now())}, nil
}

func TestFleet(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &centre{heartbeats: map[gb26875.Address]int{}}
	done := make(chan error, 1)
	go func() { done <- (&gb26875.Server{Handler: h, Log: slog.New(slog.DiscardHandler)}).Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	const n = 200
	first := uint64(0x0102_0304_0000)
	fleet, err := devicesim.Start(ctx, devicesim.Config{Addr: ln.Addr().String(), Count: n, FirstAddress: first,
		Heartbeat: 200 * time.Millisecond, AnswerTimeout: 300 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	if got := fleet.Address(5); got != "010203040005" {
		t.Fatalf("address of device 5: %s", got)
	}

	t.Run("heartbeats confirmed", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			h.mu.Lock()
			heard := len(h.heartbeats)
			h.mu.Unlock()
			st := fleet.Stats()
			if heard == n && st.HeartbeatsConfirmed >= n {
				if st.Connected != n || len(st.HeartbeatLatencies) != int(st.HeartbeatsConfirmed) {
					t.Fatalf("stats %+v", st)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 20 s, %d devices heard, stats %+v", heard, st.HeartbeatsConfirmed)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("a fire alarm confirmed", func(t *testing.T) {
		res, err := fleet.FireAlarm(ctx, 7, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40, ComponentAddress: 123,
			Description: "5F东走廊"})
		if err != nil || res.Resends != 0 || res.Latency <= 0 {
			t.Fatalf("%+v %v", res, err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		last := h.components[len(h.components)-1]
		if last.from.String() != fleet.Address(7) || last.c.Status != gb26875.StatusFireAlarm|gb26875.StatusNormal ||
			last.c.Description != "5F东走廊" || last.c.At == (gb26875.Timestamp{}) {
			t.Fatalf("the centre saw %+v from %v", last.c, last.from)
		}
	})

	t.Run("resent when unanswered", func(t *testing.T) {
		res, err := fleet.Component(ctx, 8, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40, ComponentAddress: failOnce,
			Status: gb26875.StatusNormal | gb26875.StatusFault})
		if err != nil || res.Resends != 1 || res.Latency < 300*time.Millisecond {
			t.Fatalf("%+v %v", res, err)
		}
		if st := fleet.Stats(); st.Resent < 1 {
			t.Fatalf("stats %+v", st)
		}
	})

	t.Run("a deny is an error", func(t *testing.T) {
		_, err := fleet.Component(ctx, 9, gb26875.ComponentStatus{ComponentAddress: deny, Status: gb26875.StatusNormal})
		if !errors.Is(err, devicesim.ErrDenied) || fleet.Stats().Denied != 1 {
			t.Fatalf("%v, stats %+v", err, fleet.Stats())
		}
	})

	t.Run("silence closes", func(t *testing.T) {
		fleet.Silence(3)
		if st := fleet.Stats(); st.Connected != n-1 {
			t.Fatalf("connected %d, want %d", st.Connected, n-1)
		}
		if _, err := fleet.FireAlarm(ctx, 3, gb26875.ComponentStatus{}); !errors.Is(err, devicesim.ErrClosed) {
			t.Fatalf("a silenced device sent: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // a heartbeat written before the close may still be on its way
		h.mu.Lock()
		before := h.heartbeats[addressOf(t, fleet.Address(3))]
		h.mu.Unlock()
		time.Sleep(500 * time.Millisecond)
		h.mu.Lock()
		after := h.heartbeats[addressOf(t, fleet.Address(3))]
		h.mu.Unlock()
		if after != before {
			t.Fatalf("a silenced device's heartbeats went on: %d then %d", before, after)
		}
	})

	if err := fleet.Close(); err != nil {
		t.Fatal(err)
	}
	if st := fleet.Stats(); st.Connected != 0 {
		t.Fatalf("connected after Close: %d", st.Connected)
	}
}

// addressOf reads an address as Fleet.Address writes it.
func addressOf(t *testing.T, s string) gb26875.Address {
	t.Helper()
	var a gb26875.Address
	for i := range a {
		var b byte
		for _, c := range s[10-2*i : 12-2*i] {
			b <<= 4
			switch {
			case '0' <= c && c <= '9':
				b |= byte(c - '0')
			default:
				b |= byte(c-'a') + 10
			}
		}
		a[i] = b
	}
	if a.String() != s {
		t.Fatalf("address %s read as %s", s, a)
	}
	return a
}
