package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestPprofLoopbackOnly serves the runtime profiles on a loopback port and refuses any other
// address: the profiles have no authentication.
func TestPprofLoopbackOnly(t *testing.T) {
	m := &Main{log: slog.New(slog.DiscardHandler)}
	t.Cleanup(func() { _ = m.Close() })
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "localhost"} {
		if _, err := m.servePprof(addr); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--pprof %s: error %v, want a refusal naming loopback", addr, err)
		}
	}
	addr, err := m.servePprof("127.0.0.1:0")
	if err != nil {
		t.Fatalf("--pprof 127.0.0.1:0: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("GET /debug/pprof/: status %d, body %.200q; want the profiles' index", resp.StatusCode, body)
	}
}
