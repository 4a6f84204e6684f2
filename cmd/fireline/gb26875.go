package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
	"github.com/fireline/fireline/intake"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/samplecity"
)

// bindGB26875 binds the transmission devices' listener of the api role when one is asked for,
// before anything starts, as bind does the HTTP listener's.
func (m *Main) bindGB26875(cfg Config) (net.Listener, error) {
	if cfg.GB26875Addr == "" || !cfg.has("api") {
		return nil, nil
	}
	ln, err := m.listen("gb26875", cfg.GB26875Addr)
	if err != nil {
		return nil, err
	}
	m.GB26875Addr = ln.Addr().String()
	return ln, nil
}

// serveGB26875 serves the buildings' transmission devices on ln until Main closes: each sound
// frame goes to the intake desk's device use case, which stores it before the device is
// answered.
func (m *Main) serveGB26875(cfg Config, ln net.Listener, db *postgres.DB) error {
	loc, err := time.LoadLocation(cfg.TimeZone) // validated with the config
	if err != nil {
		return err
	}
	srv := &gb26875.Server{
		Handler:  intake.NewDevices(m.desk, db, loc, m.log),
		Log:      m.log.With("component", "gb26875"),
		Location: loc,
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	m.onClose("gb26875 listener", func() error {
		stop()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	m.log.Info("listening for transmission devices (GB/T 26875.3)", "addr", m.GB26875Addr)
	if m.Dev && cfg.SimulateDevices {
		return m.simulateSampleDevices(loc)
	}
	return nil
}

// devHeartbeat is how often dev's simulated devices send their state.
const devHeartbeat = 30 * time.Second

// simulateSampleDevices connects a simulated transmission device for each of the sample city's
// registered devices to dev's own listener, sending its heartbeat, so the buildings' boards of
// the demo show them online (and `fireline devicesim` can raise an alarm from a building
// beside them). A real centre has real devices; serve never does this.
func (m *Main) simulateSampleDevices(loc *time.Location) error {
	n := len(samplecity.Liaocheng().Devices)
	first, err := strconv.ParseUint(samplecity.DeviceAddress(1), 16, 64)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	fleet, err := devicesim.Start(ctx, devicesim.Config{
		Addr: m.GB26875Addr, Count: n, FirstAddress: first, Heartbeat: devHeartbeat, Location: loc,
		Log: m.log.With("component", "devicesim"),
	})
	if err != nil {
		stop()
		return fmt.Errorf("simulated sample devices: %w", err)
	}
	m.onClose("simulated devices", func() error { stop(); return fleet.Close() })
	m.log.Info("simulating the sample city's transmission devices", "devices", n, "heartbeat", devHeartbeat)
	return nil
}
