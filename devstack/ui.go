package devstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI is the Temporal Web UI served in-process, so that `fireline dev` needs
// no separate download to show workflows.
type webUI struct {
	srv  *uiserver.Server
	done chan struct{} // closed when the serving goroutine has returned
	url  string
}

// startUI serves the Web UI on loopback port (already checked free), talking
// gRPC to frontend, and returns once it answers its health route.
func startUI(ctx context.Context, frontend string, port int, namespace string) (*webUI, error) {
	srv, err := newUIServer(&uiconfig.Config{
		TemporalGRPCAddress: frontend,
		Host:                loopback,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		// Plain HTTP on loopback: a Secure CSRF cookie would never be sent back.
		CORS: uiconfig.CORS{CookieInsecure: true},
		// The machines this runs on may have no internet; don't let the
		// browser try to fetch release news.
		DisableNewsFetch:   true,
		NotifyOnNewVersion: false,
		// Echo's request log and banner go to stdout, bypassing our logger.
		HideLogs: true,
	})
	if err != nil {
		return nil, err
	}
	ui := &webUI{
		srv:  srv,
		done: make(chan struct{}),
		url:  "http://" + net.JoinHostPort(loopback, strconv.Itoa(port)),
	}
	go func() {
		defer close(ui.done)
		// Start blocks until Stop. If it cannot bind, ui-server exits the
		// process (echo's Logger.Fatal); the caller's port check before
		// startUI is what keeps that from happening in practice.
		_ = srv.Start()
	}()
	if err := ui.waitReady(ctx); err != nil {
		ui.stop()
		return nil, err
	}
	return ui, nil
}

// newUIServer builds the ui-server, turning its panics on bad configuration
// into an error so that a UI problem fails StartTemporal instead of the process.
func newUIServer(cfg *uiconfig.Config) (srv *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build web ui: %v", r)
		}
	}()
	return uiserver.NewServer(uioptions.WithConfigProvider(cfg)), nil
}

func (ui *webUI) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ui.url+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("web ui health request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("web ui at %s: %w; last error: %w", ui.url, ctx.Err(), lastErr)
		case <-ui.done:
			return fmt.Errorf("web ui at %s stopped while starting: %w", ui.url, lastErr)
		case <-tick.C:
		}
	}
}

// stop closes the UI and waits for its serving goroutine, so the port is free
// when it returns.
func (ui *webUI) stop() {
	ui.srv.Stop()
	<-ui.done
}
