package gb26875

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Handler answers the frames a Server reads.
type Handler interface {
	// ServeFrame answers one sound frame from remote ("ip:port"); the frames it returns are
	// written back in order. An error leaves the frame unanswered, so the device sends it again.
	// raw is the frame as it came, markers included.
	ServeFrame(ctx context.Context, remote string, f Frame, raw []byte) ([]Frame, error)
}

// Defaults of a Server's zero fields.
const (
	DefaultIdleTimeout = 10 * time.Minute
	DefaultMaxConns    = 10000
	// writeTimeout bounds one answer's write: a device that stops reading is cut off, not
	// waited on.
	writeTimeout = 10 * time.Second
)

// Server is the monitoring centre's side of the protocol: it accepts the transmission devices'
// TCP connections, cuts frames out of each with a Splitter and writes back what its Handler
// answers. Each connection has its own goroutine, so its frames are handled in the order they
// came and one slow or hostile device never holds up another.
//
// A frame the splitter can delimit but not trust (a bad checksum, a length above 1024) is
// answered with a Deny carrying its serial number, as table 2 has the receiver refuse sent data
// it cannot accept; the device sends it again. The connection carries on: the splitter
// resynchronises on the next start marker. Garbage without a frame's bounds is skipped
// unanswered.
type Server struct {
	Handler Handler
	Log     *slog.Logger
	// IdleTimeout is how long a connection may go without bringing a whole frame before it is
	// closed; 0 → DefaultIdleTimeout. Bytes that make no frame do not count: a peer trickling
	// garbage, or one frame a byte at a time, must not hold a connection for ever.
	IdleTimeout time.Duration
	MaxConns    int              // 0 → DefaultMaxConns; beyond it a new connection is closed at once, logged
	Now         func() time.Time // nil → time.Now
	Location    *time.Location   // the zone of the time labels the centre writes; nil → UTC
}

// Serve accepts connections on ln until ctx is done, then closes ln and every connection and
// returns nil once their goroutines have ended. A failed accept (out of file descriptors) is
// logged and tried again with a growing pause of up to a second; only ln closed by someone
// else ends Serve early, with that error, after closing every connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "gb26875", "listen", ln.Addr().String())
	maxConns := s.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	var (
		mu    sync.Mutex
		conns = make(map[net.Conn]struct{})
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		close(stopped)
	}()
	var (
		err     error
		backoff time.Duration
	)
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(aerr, net.ErrClosed) {
				err = aerr
				log.Error("the listener was closed under the server", "err", aerr)
				break
			}
			// Out of file descriptors, a connection reset before it was accepted: the devices
			// already connected are served, and the listener tries again shortly.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			log.Warn("accept failed; trying again", "err", aerr, "in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			_ = c.Close()
			break
		}
		if len(conns) >= maxConns {
			mu.Unlock()
			log.Warn("connection refused: too many devices connected", "remote", c.RemoteAddr().String(), "max_conns", maxConns)
			_ = c.Close()
			continue
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c, log)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			_ = c.Close()
		}()
	}
	cancel()
	<-stopped
	wg.Wait()
	return err
}

// serveConn reads one device's frames until it hangs up, falls silent or the server stops.
func (s *Server) serveConn(ctx context.Context, c net.Conn, log *slog.Logger) {
	remote := c.RemoteAddr().String()
	log = log.With("remote", remote)
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	log.Debug("device connected")
	ir := &idleReader{c: c}
	sp := NewSplitter(ir)
	var out []byte
	for {
		// Each frame, answered or denied, gives the connection idle for the next.
		ir.renew(idle)
		f, err := sp.Next()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.HasHeader && (errors.Is(err, ErrChecksum) || errors.Is(err, ErrLength)) {
				log.Warn("frame denied", "serial", fe.Serial, "source", fe.Header.Source.String(), "err", fe.Err)
				if out, err = s.write(c, out[:0], []Frame{Deny(fe.Header, s.now())}); err != nil {
					log.Info("device connection lost", "err", err)
					return
				}
				continue
			}
			switch {
			case errors.Is(err, io.EOF):
				log.Debug("device hung up")
			case ctx.Err() != nil:
			default:
				// A truncated frame at the end of the stream, a read timeout or a reset.
				log.Info("device connection closed", "err", err)
			}
			return
		}
		raw, _ := f.Encode() // a frame the splitter read has at most MaxDataLength bytes of data
		answers, err := s.Handler.ServeFrame(ctx, remote, f, raw)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("frame left unanswered, the device will send it again", "serial", f.Serial,
				"source", f.Source.String(), "command", f.Command.String(), "err", err)
			continue
		}
		if out, err = s.write(c, out[:0], answers); err != nil {
			log.Info("device connection lost", "err", err)
			return
		}
	}
}

// write sends frames in one write, within writeTimeout.
func (s *Server) write(c net.Conn, buf []byte, frames []Frame) ([]byte, error) {
	if len(frames) == 0 {
		return buf, nil
	}
	for _, f := range frames {
		var err error
		if buf, err = f.AppendEncode(buf); err != nil {
			return buf, err
		}
	}
	if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return buf, err
	}
	_, err := c.Write(buf)
	return buf, err
}

// now is the centre's clock in the zone its time labels are written in.
func (s *Server) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return now().In(loc)
}

// idleReader closes a connection that brings no frame: its reads share one deadline, which
// the server moves on only when a whole frame has come. A deadline renewed on every read would
// let a peer sending a byte now and then hold the connection, and one of MaxConns, for ever.
type idleReader struct {
	c        net.Conn
	deadline time.Time // of the next frame
	set      bool      // deadline is the one set on c
}

// renew gives the next frame idle from now.
func (r *idleReader) renew(idle time.Duration) {
	r.deadline, r.set = time.Now().Add(idle), false
}

func (r *idleReader) Read(p []byte) (int, error) {
	if !r.set {
		if err := r.c.SetReadDeadline(r.deadline); err != nil {
			return 0, err
		}
		r.set = true
	}
	return r.c.Read(p)
}
