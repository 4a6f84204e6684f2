package api

import (
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// Every answer — a page, an asset, an API answer, a problem, a 404 — carries the security
// headers; API answers are never stored; HSTS only over TLS.
func TestSecureHeaders(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.assets = fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}, "field.html": {Data: []byte("<!doctype html>")}}
	s.router = s.routes()
	for _, c := range []struct {
		name, path, token string
		tls               bool
		store             bool // Cache-Control no-store expected
	}{
		{"console page", "/", "", false, false},
		{"field page over TLS", "/field", "", true, false},
		{"API answer", "/api/v1/units", "dispatcher", false, true},
		{"API problem", "/api/v1/units", "", false, true},
		{"unknown API route", "/api/v1/nowhere", "dispatcher", false, true},
		{"health", "/healthz", "", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.path, nil)
			if c.token != "" {
				r.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			h := w.Header()
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			} {
				if h.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, h.Get(k), want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'", "worker-src 'self' blob:"} {
				if !strings.Contains(csp, d) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
			if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "camera=(self)") || !strings.Contains(pp, "usb=()") {
				t.Errorf("Permissions-Policy = %q", pp)
			}
			if got := h.Get("Strict-Transport-Security") != ""; got != c.tls {
				t.Errorf("Strict-Transport-Security %q over TLS %v", h.Get("Strict-Transport-Security"), c.tls)
			}
			if got := h.Get("Cache-Control") == "no-store"; got != c.store {
				t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
			}
			if w.Code >= 500 {
				t.Errorf("status %d", w.Code)
			}
		})
	}
}

// Other media nodes' origins join connect-src, so a console can follow WHIP's redirect.
func TestCSPAllowsMediaOrigins(t *testing.T) {
	csp := contentSecurityPolicy([]string{"https://10.0.0.6:8443"})
	if !strings.Contains(csp, "connect-src 'self' https://10.0.0.6:8443;") {
		t.Fatalf("CSP %q", csp)
	}
}
