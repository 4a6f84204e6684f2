// Package devicesim simulates a fleet of buildings' user information transmission devices
// (用户信息传输装置) speaking GB/T 26875.3 to a monitoring centre, for tests, demos and load:
// each device holds its own TCP connection, sends its state as a heartbeat, sends what it is
// told (a component's fire alarm, a fault, any unit) and waits for the centre's confirm,
// sending the same frame again — same serial number, same time label — when the answer does
// not come, as the standard's clause 6.5 has a device do. It confirms the centre's control
// commands (a clock sync). It imports the codec only.
package devicesim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fireline/fireline/gb26875"
)

// Config says which devices to simulate and where they report.
type Config struct {
	Addr          string         // the centre's listener
	Count         int            // devices, each on its own connection
	FirstAddress  uint64         // device i has address FirstAddress+i (as gb26875.Address, low byte first on the wire)
	Heartbeat     time.Duration  // each device sends its DeviceStatus this often; 0 → none
	AnswerTimeout time.Duration  // a frame unanswered this long is sent again, same serial and label; 0 → 10 s
	Location      *time.Location // the devices' clock zone; nil → UTC
	Log           *slog.Logger
}

// DefaultAnswerTimeout is how long a device waits for the centre's answer before sending a
// frame again.
const DefaultAnswerTimeout = 10 * time.Second

// dialers bounds the connections Start opens at once, so that a thousand devices do not
// overrun the centre's accept queue.
const dialers = 64

// Errors of a send.
var (
	// ErrDenied: the centre answered the frame with a deny.
	ErrDenied = errors.New("devicesim: the centre denied the frame")
	// ErrClosed: the device's connection is closed (Silence, Close, or the centre hung up).
	ErrClosed = errors.New("devicesim: the device's connection is closed")
)

// Result is the outcome of one confirmed frame.
type Result struct {
	Serial uint16
	// Latency is from the first send to the confirm, resends included.
	Latency time.Duration
	// Resends counts the times the frame was sent again for want of an answer.
	Resends int
}

// Stats are a fleet's counts so far.
type Stats struct {
	Connected           int   // devices whose connection is open
	HeartbeatsSent      int64 // heartbeat frames sent (not counting resends)
	HeartbeatsConfirmed int64
	Sent                int64 // other frames sent (not counting resends)
	Confirmed           int64
	Denied              int64 // frames of either kind denied
	Resent              int64 // resends of either kind
	// Latencies are every confirmed non-heartbeat frame's, first send to confirm, in the order
	// the confirms came; HeartbeatLatencies the heartbeats'.
	Latencies          []time.Duration
	HeartbeatLatencies []time.Duration
}

// Fleet is a running set of simulated devices. Its methods are safe for concurrent use.
type Fleet struct {
	cfg     Config
	log     *slog.Logger
	devices []*device
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	connected              atomic.Int64
	hbSent, hbConfirmed    atomic.Int64
	sent, confirmed        atomic.Int64
	denied, resent         atomic.Int64
	mu                     sync.Mutex
	latencies, hbLatencies []time.Duration
}

// device is one simulated transmission device and its connection.
type device struct {
	f       *Fleet
	i       int
	addr    gb26875.Address
	conn    net.Conn
	wmu     sync.Mutex // one frame written at a time
	mu      sync.Mutex
	serial  uint16
	pending map[uint16]chan gb26875.Command
	closed  chan struct{}
	once    sync.Once
	stopHB  context.CancelFunc
}

// Start connects cfg.Count devices to the centre, at most 64 dialling at once, and starts
// their heartbeats, spread over the first interval. When any device cannot connect, every
// connection opened is closed and the error returned. ctx bounds the fleet's life: when it is
// done, the devices stop as by Close.
func Start(ctx context.Context, cfg Config) (*Fleet, error) {
	if cfg.Count <= 0 {
		return nil, fmt.Errorf("devicesim: count %d: at least one device", cfg.Count)
	}
	if cfg.FirstAddress+uint64(cfg.Count) > 1<<48 {
		return nil, fmt.Errorf("devicesim: addresses from %d for %d devices do not fit in six bytes", cfg.FirstAddress, cfg.Count)
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = DefaultAnswerTimeout
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fctx, cancel := context.WithCancel(ctx)
	f := &Fleet{cfg: cfg, log: log.With("component", "devicesim"), devices: make([]*device, cfg.Count), ctx: fctx, cancel: cancel}
	var (
		sem     = make(chan struct{}, dialers)
		dwg     sync.WaitGroup
		errOnce sync.Once
		dialErr error
	)
	dialer := net.Dialer{Timeout: 10 * time.Second}
	for i := range cfg.Count {
		sem <- struct{}{}
		dwg.Add(1)
		go func() {
			defer func() { <-sem; dwg.Done() }()
			c, err := dialer.DialContext(fctx, "tcp", cfg.Addr)
			if err != nil {
				errOnce.Do(func() { dialErr = fmt.Errorf("devicesim: device %d: %w", i, err) })
				return
			}
			f.devices[i] = &device{f: f, i: i, addr: address(cfg.FirstAddress + uint64(i)), conn: c,
				pending: map[uint16]chan gb26875.Command{}, closed: make(chan struct{})}
		}()
	}
	dwg.Wait()
	if dialErr != nil {
		for _, d := range f.devices {
			if d != nil {
				_ = d.conn.Close()
			}
		}
		cancel()
		return nil, dialErr
	}
	for _, d := range f.devices {
		f.connected.Add(1)
		hctx, stop := context.WithCancel(fctx)
		d.stopHB = stop
		f.wg.Add(1)
		go func() { defer f.wg.Done(); d.read() }()
		if cfg.Heartbeat > 0 {
			offset := cfg.Heartbeat * time.Duration(d.i) / time.Duration(cfg.Count)
			f.wg.Add(1)
			go func() { defer f.wg.Done(); d.heartbeat(hctx, offset) }()
		}
	}
	go func() {
		<-fctx.Done()
		for _, d := range f.devices {
			d.close()
		}
	}()
	f.log.Info("devices connected", "count", cfg.Count, "centre", cfg.Addr)
	return f, nil
}

// address is n as a six-byte address, low byte first.
func address(n uint64) gb26875.Address {
	var a gb26875.Address
	for i := range a {
		a[i] = byte(n >> (8 * i))
	}
	return a
}

// Address is device i's address as Fireline writes it: twelve hex digits, most significant
// byte first.
func (f *Fleet) Address(i int) string { return address(f.cfg.FirstAddress + uint64(i)).String() }

// Send sends unit u from device i and waits for the centre's confirm, sending it again each
// AnswerTimeout. A deny is ErrDenied; a closed connection ErrClosed.
func (f *Fleet) Send(ctx context.Context, i int, u gb26875.Unit) (Result, error) {
	d, err := f.device(i)
	if err != nil {
		return Result{}, err
	}
	return d.send(ctx, u, false)
}

// FireAlarm sends component c's fire alarm from device i: its status is set to fire alarm in
// normal operation, and its time label to the device's clock when c has none.
func (f *Fleet) FireAlarm(ctx context.Context, i int, c gb26875.ComponentStatus) (Result, error) {
	c.Status = gb26875.StatusFireAlarm | gb26875.StatusNormal
	return f.Component(ctx, i, c)
}

// Component sends component c's status as given from device i (its time label set to the
// device's clock when c has none): a fault, a shield, a return to normal.
func (f *Fleet) Component(ctx context.Context, i int, c gb26875.ComponentStatus) (Result, error) {
	if c.At == (gb26875.Timestamp{}) {
		c.At = f.clock()
	}
	return f.Send(ctx, i, gb26875.Unit{Type: gb26875.TypeComponentStatus, Objects: []gb26875.Object{c}})
}

// Silence stops device i's heartbeat and closes its connection: it falls offline.
func (f *Fleet) Silence(i int) {
	if d, err := f.device(i); err == nil {
		d.close()
	}
}

// Stats are the fleet's counts so far.
func (f *Fleet) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{
		Connected: int(f.connected.Load()), HeartbeatsSent: f.hbSent.Load(), HeartbeatsConfirmed: f.hbConfirmed.Load(),
		Sent: f.sent.Load(), Confirmed: f.confirmed.Load(), Denied: f.denied.Load(), Resent: f.resent.Load(),
		Latencies: append([]time.Duration(nil), f.latencies...), HeartbeatLatencies: append([]time.Duration(nil), f.hbLatencies...),
	}
}

// Close stops every device and waits for their goroutines.
func (f *Fleet) Close() error {
	f.cancel()
	for _, d := range f.devices {
		d.close()
	}
	f.wg.Wait()
	return nil
}

func (f *Fleet) device(i int) (*device, error) {
	if i < 0 || i >= len(f.devices) {
		return nil, fmt.Errorf("devicesim: no device %d in a fleet of %d", i, len(f.devices))
	}
	return f.devices[i], nil
}

// clock is the devices' clock as a time label.
func (f *Fleet) clock() gb26875.Timestamp { return gb26875.TimestampOf(time.Now().In(f.cfg.Location)) }

// close stops the device's heartbeat and closes its connection, once.
func (d *device) close() {
	d.once.Do(func() {
		if d.stopHB != nil {
			d.stopHB()
		}
		_ = d.conn.Close()
		close(d.closed)
		d.f.connected.Add(-1)
	})
}

// send writes u in a new frame and waits for its answer.
func (d *device) send(ctx context.Context, u gb26875.Unit, heartbeat bool) (Result, error) {
	data, err := u.Encode()
	if err != nil {
		return Result{}, err
	}
	ch := make(chan gb26875.Command, 1)
	d.mu.Lock()
	d.serial++
	serial := d.serial
	d.pending[serial] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.pending, serial)
		d.mu.Unlock()
	}()
	raw, err := gb26875.Frame{Serial: serial, Version: gb26875.Version1, Time: d.f.clock(), Source: d.addr,
		Command: gb26875.CommandSendData, Data: data}.Encode()
	if err != nil {
		return Result{}, err
	}
	if heartbeat {
		d.f.hbSent.Add(1)
	} else {
		d.f.sent.Add(1)
	}
	start := time.Now()
	res := Result{Serial: serial}
	if err := d.write(raw); err != nil {
		return res, err
	}
	timer := time.NewTimer(d.f.cfg.AnswerTimeout)
	defer timer.Stop()
	for {
		select {
		case cmd := <-ch:
			if cmd == gb26875.CommandDeny {
				d.f.denied.Add(1)
				return res, ErrDenied
			}
			res.Latency = time.Since(start)
			d.f.mu.Lock()
			if heartbeat {
				d.f.hbConfirmed.Add(1)
				d.f.hbLatencies = append(d.f.hbLatencies, res.Latency)
			} else {
				d.f.confirmed.Add(1)
				d.f.latencies = append(d.f.latencies, res.Latency)
			}
			d.f.mu.Unlock()
			return res, nil
		case <-timer.C:
			res.Resends++
			d.f.resent.Add(1)
			d.f.log.Debug("no answer; sending again", "device", d.addr.String(), "serial", serial, "resends", res.Resends)
			if err := d.write(raw); err != nil {
				return res, err
			}
			timer.Reset(d.f.cfg.AnswerTimeout)
		case <-d.closed:
			return res, ErrClosed
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}

// write writes one frame whole.
func (d *device) write(raw []byte) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	select {
	case <-d.closed:
		return ErrClosed
	default:
	}
	if err := d.conn.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return ErrClosed
	}
	if _, err := d.conn.Write(raw); err != nil {
		d.close()
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return nil
}

// read takes the centre's frames off the connection: answers go to the send waiting for them,
// control commands are confirmed.
func (d *device) read() {
	defer d.close()
	sp := gb26875.NewSplitter(d.conn)
	for {
		fr, err := sp.Next()
		var fe *gb26875.FrameError
		if errors.As(err, &fe) && !errors.Is(err, gb26875.ErrTruncated) {
			d.f.log.Warn("bad frame from the centre", "device", d.addr.String(), "err", err)
			continue
		}
		if err != nil {
			return
		}
		switch fr.Command {
		case gb26875.CommandConfirm, gb26875.CommandDeny:
			d.mu.Lock()
			ch := d.pending[fr.Serial]
			d.mu.Unlock()
			if ch != nil {
				select {
				case ch <- fr.Command:
				default: // an answer to a resend, after the first
				}
			}
		case gb26875.CommandControl:
			d.f.log.Debug("control command confirmed", "device", d.addr.String(), "serial", fr.Serial)
			b, _ := gb26875.Confirm(fr, time.Now().In(d.f.cfg.Location)).Encode()
			if d.write(b) != nil {
				return
			}
		}
	}
}

// heartbeat sends the device's state every interval after offset, until ctx is done.
func (d *device) heartbeat(ctx context.Context, offset time.Duration) {
	// A device says it is there as soon as it connects, as a real one does after the centre
	// restarts; its later heartbeats keep the phase offset gives it, so a fleet's do not all
	// come at once.
	t := time.NewTimer(0)
	defer t.Stop()
	next := offset
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		u := gb26875.Unit{Type: gb26875.TypeDeviceStatus, Objects: []gb26875.Object{
			gb26875.DeviceStatus{Status: gb26875.DeviceNormal, At: d.f.clock()}}}
		if _, err := d.send(ctx, u, true); err != nil && ctx.Err() == nil {
			if errors.Is(err, ErrClosed) {
				return
			}
			d.f.log.Info("heartbeat not confirmed", "device", d.addr.String(), "err", err)
		}
		if next <= 0 {
			next = d.f.cfg.Heartbeat
		}
		t.Reset(next)
		next = d.f.cfg.Heartbeat
	}
}
