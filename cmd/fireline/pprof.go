package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's runtime profiles on addr, a loopback address of its own, when it is
// set, and answers the address it listens on: the way to see where the embedded stack's time
// goes under a surge of alarms. The profiles name the code and its load, and have no
// authentication, hence loopback only.
func (m *Main) servePprof(addr string) (string, error) {
	if addr == "" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("--pprof %q: a loopback address is required, e.g. 127.0.0.1:6060", addr)
	}
	ln, err := m.listen("pprof", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	m.log.Info("runtime profiles served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return ln.Addr().String(), nil
}
