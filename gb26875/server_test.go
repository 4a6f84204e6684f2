package gb26875_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline/gb26875"
)

// confirmer is a Handler that records what it is given and confirms it, unless fail says to
// leave a serial unanswered.
type confirmer struct {
	mu     sync.Mutex
	frames []gb26875.Frame
	remote []string
	fail   map[uint16]bool
}

func (h *confirmer) ServeFrame(_ context.Context, remote string, f gb26875.Frame, raw []byte) ([]gb26875.Frame, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if again, err := gb26875.Decode(raw); err != nil || again.Serial != f.Serial {
		return nil, errors.New("raw is not the frame")
	}
	h.frames = append(h.frames, f)
	h.remote = append(h.remote, remote)
	if h.fail[f.Serial] {
		return nil, errors.New("the store is down")
	}
	return []gb26875.Frame{gb26875.Confirm(f, centreNow)}, nil
}

func (h *confirmer) serials() []uint16 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s []uint16
	for _, f := range h.frames {
		s = append(s, f.Serial)
	}
	return s
}

// serve starts a Server on a loopback port; stop shuts it down and reports Serve's return.
func serve(t *testing.T, h gb26875.Handler, maxConns int) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &gb26875.Server{Handler: h, Log: slog.New(slog.DiscardHandler), MaxConns: maxConns,
		Now: func() time.Time { return centreNow }, Location: centreNow.Location()}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(5 * time.Second):
				serr = errors.New("Serve did not return within 5 s of shutdown")
			}
		})
		return serr
	}
	t.Cleanup(func() { stop() })
	return ln.Addr().String(), stop
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// heartbeat is a device-status frame with serial n, built byte by byte.
func heartbeat(n uint16) []byte { return up(n, cat([]byte{21, 1, 0x01}, wireTime)...) }

// readAnswers reads n answers from c.
func readAnswers(t *testing.T, c net.Conn, n int) []gb26875.Frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	sp := gb26875.NewSplitter(c)
	var got []gb26875.Frame
	for range n {
		f, err := sp.Next()
		if err != nil {
			t.Fatalf("after %d answers: %v", len(got), err)
		}
		got = append(got, f)
	}
	return got
}

// quiet checks that nothing comes back on c for a while.
func quiet(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [64]byte
	if n, err := c.Read(b[:]); n > 0 || !isTimeout(err) {
		t.Fatalf("expected silence, read %d bytes %x, %v", n, b[:n], err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func wantConfirms(t *testing.T, got []gb26875.Frame, cmd gb26875.Command, serials ...uint16) {
	t.Helper()
	if len(got) != len(serials) {
		t.Fatalf("%d answers, want %d", len(got), len(serials))
	}
	for i, f := range got {
		if f.Command != cmd || f.Serial != serials[i] || f.Destination != device || f.Time != gb26875.TimestampOf(centreNow) {
			t.Fatalf("answer %d: %+v, want %v to serial %d of %v at the centre's time", i, f, cmd, serials[i], device)
		}
	}
}

func TestServerReadsStreams(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(c net.Conn) error
		want  []uint16
	}{
		{"several frames in one write", func(c net.Conn) error {
			_, err := c.Write(cat(heartbeat(1), heartbeat(2), heartbeat(3)))
			return err
		}, []uint16{1, 2, 3}},
		{"a frame in 1-byte writes", func(c net.Conn) error {
			for _, b := range heartbeat(9) {
				if _, err := c.Write([]byte{b}); err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
			}
			return nil
		}, []uint16{9}},
		{"garbage between frames", func(c net.Conn) error {
			_, err := c.Write(cat([]byte("GET / HTTP/1.1\r\n\r\n"), heartbeat(4), []byte{0, 0xff, '@', '#', '#'}, heartbeat(5), []byte("@@xx")))
			return err
		}, []uint16{4, 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &confirmer{}
			addr, _ := serve(t, h, 0)
			c := dial(t, addr)
			if err := tt.write(c); err != nil {
				t.Fatal(err)
			}
			wantConfirms(t, readAnswers(t, c, len(tt.want)), gb26875.CommandConfirm, tt.want...)
			if s := h.serials(); !slicesEqual(s, tt.want) {
				t.Fatalf("handled %v, want %v", s, tt.want)
			}
			if h.remote[0] != c.LocalAddr().String() {
				t.Fatalf("remote %q, want the device's %q", h.remote[0], c.LocalAddr())
			}
		})
	}
}

func slicesEqual(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestServerDeniesBadFrames: a bad checksum and an impossible length are denied with their
// serial, the connection carries on, and another device's connection is untouched.
func TestServerDeniesBadFrames(t *testing.T) {
	h := &confirmer{}
	addr, _ := serve(t, h, 0)
	bad, other := dial(t, addr), dial(t, addr)
	badSum := heartbeat(20)
	badSum[len(badSum)-3]++
	long := heartbeat(21)
	long[24], long[25] = 0x01, 0x04 // 1025 bytes of data
	if _, err := bad.Write(cat(badSum, long, heartbeat(22))); err != nil {
		t.Fatal(err)
	}
	got := readAnswers(t, bad, 3)
	wantConfirms(t, got[:2], gb26875.CommandDeny, 20, 21)
	wantConfirms(t, got[2:], gb26875.CommandConfirm, 22)
	if _, err := other.Write(heartbeat(30)); err != nil {
		t.Fatal(err)
	}
	wantConfirms(t, readAnswers(t, other, 1), gb26875.CommandConfirm, 30)
	if s := h.serials(); !slicesEqual(s, []uint16{22, 30}) {
		t.Fatalf("the handler saw %v; bad frames must not reach it", s)
	}
}

// TestServerHandlerError: a frame the handler fails on gets no answer; the next one does.
func TestServerHandlerError(t *testing.T) {
	h := &confirmer{fail: map[uint16]bool{40: true}}
	addr, _ := serve(t, h, 0)
	c := dial(t, addr)
	if _, err := c.Write(heartbeat(40)); err != nil {
		t.Fatal(err)
	}
	quiet(t, c)
	if _, err := c.Write(heartbeat(41)); err != nil {
		t.Fatal(err)
	}
	wantConfirms(t, readAnswers(t, c, 1), gb26875.CommandConfirm, 41)
}

// TestServerMaxConns: a connection beyond the limit is closed at once; the others are served.
func TestServerMaxConns(t *testing.T) {
	h := &confirmer{}
	addr, _ := serve(t, h, 2)
	a, b := dial(t, addr), dial(t, addr)
	for i, c := range []net.Conn{a, b} {
		c.Write(heartbeat(uint16(50 + i)))
		wantConfirms(t, readAnswers(t, c, 1), gb26875.CommandConfirm, uint16(50+i))
	}
	extra := dial(t, addr)
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf [8]byte
	if n, err := extra.Read(buf[:]); n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("a third connection read %d bytes, %v; want it closed", n, err)
	}
	b.Close()
	// Once one device leaves, another may come.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dial(t, addr)
		c.Write(heartbeat(60))
		c.SetReadDeadline(time.Now().Add(time.Second))
		f, err := gb26875.NewSplitter(c).Next()
		if err == nil && f.Serial == 60 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a device left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// TestServerShutdown: Serve returns once its context is done, with every connection closed.
func TestServerShutdown(t *testing.T) {
	h := &confirmer{}
	addr, stop := serve(t, h, 0)
	c := dial(t, addr)
	c.Write(heartbeat(70))
	wantConfirms(t, readAnswers(t, c, 1), gb26875.CommandConfirm, 70)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf [8]byte
	if n, err := c.Read(buf[:]); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("after shutdown the connection read %d bytes, %v; want it closed", n, err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("the listener still accepts after shutdown")
	}
}

func TestSyncClock(t *testing.T) {
	f, err := gb26875.Decode(heartbeat(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := gb26875.SyncClock(f, 777, centreNow).Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := gb26875.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	u, err := got.Unit()
	wantTime := []byte{7, 5, 18, 1, 12, 26}
	if err != nil || got.Command != gb26875.CommandControl || got.Serial != 777 || got.Destination != device ||
		u.Type != gb26875.TypeSyncDeviceClock || u.Count != 1 || !bytes.Equal(u.Raw, wantTime) {
		t.Fatalf("clock sync %+v, unit %+v %v", got, u, err)
	}
}

// TestServerListenerClosed: a listener closed under the server ends Serve with that error,
// after closing the connections it served.
func TestServerListenerClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- (&gb26875.Server{Handler: &confirmer{}}).Serve(context.Background(), ln) }()
	c := dial(t, ln.Addr().String())
	c.Write(heartbeat(80))
	wantConfirms(t, readAnswers(t, c, 1), gb26875.CommandConfirm, 80)
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve went on after its listener closed")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 8)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("the connection read %d bytes, %v; want it closed", n, err)
	}
}

// TestServerIdleTimeout: a connection silent for IdleTimeout is closed.
func TestServerIdleTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&gb26875.Server{Handler: &confirmer{}, IdleTimeout: 200 * time.Millisecond}).Serve(ctx, ln)
	c := dial(t, ln.Addr().String())
	c.Write(heartbeat(90))
	wantConfirms(t, readAnswers(t, c, 1), gb26875.CommandConfirm, 90)
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 8)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("the silent connection read %d bytes, %v; want it closed", n, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("closed after %v, before its idle timeout", d)
	}
}

// TestServerIdleTimeoutTrickle: a peer that keeps sending bytes that make no frame — garbage,
// or one frame a byte at a time — is closed after IdleTimeout as a silent one is, so that it
// cannot hold one of MaxConns for ever.
func TestServerIdleTimeoutTrickle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"garbage", bytes.Repeat([]byte("x"), 200)},
		{"a frame a byte at a time", heartbeat(91)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go (&gb26875.Server{Handler: &confirmer{}, IdleTimeout: 300 * time.Millisecond}).Serve(ctx, ln)
			c := dial(t, ln.Addr().String())
			start := time.Now()
			for _, b := range tc.bytes {
				if _, err := c.Write([]byte{b}); err != nil {
					break // closed, as it should be
				}
				if time.Since(start) > 3*time.Second {
					t.Fatalf("the trickling connection was still open after %v", time.Since(start))
				}
				time.Sleep(40 * time.Millisecond)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := c.Read(make([]byte, 64)); n != 0 || err == nil || isTimeout(err) {
				t.Fatalf("the trickling connection read %d bytes, %v; want it closed", n, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("closed after %v; want about its idle timeout", d)
			}
		})
	}
}
