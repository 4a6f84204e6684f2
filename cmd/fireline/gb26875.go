package main

import (
	"context"
	"errors"
	"time"

	"net"

	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/intake"
	"github.com/fireline/fireline/postgres"
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
	return nil
}
