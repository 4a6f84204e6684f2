package api

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy lets the pages load only what this server serves. The pages are ES
// modules and stylesheets from /dist with no inline script or style; MapLibre starts its tile
// worker from /dist and hands decoded images around as blob: URLs; the map's own icons are
// data: URLs; WebRTC media arrives as a MediaStream (srcObject), which CSP does not govern;
// the event stream, the API and the base map's tiles are fetched from this origin, WHIP and
// WHEP from it or from the media nodes it redirects to (mediaOrigins). No page may be framed
// (clickjacking a dispatch button), and no form posts anywhere else.
func contentSecurityPolicy(mediaOrigins []string) string {
	connect := strings.Join(append([]string{"'self'"}, mediaOrigins...), " ")
	return "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: blob:; font-src 'self'; connect-src " + connect + "; media-src 'self' blob:; " +
		"worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// permissionsPolicy allows the camera and microphone to this origin only (the field page
// streams the scene over WHIP) and geolocation for the field page's position reports; every
// other powerful feature is off.
const permissionsPolicy = "camera=(self), microphone=(self), geolocation=(self), payment=(), usb=(), " +
	"serial=(), bluetooth=(), midi=(), display-capture=(), interest-cohort=()"

// hstsMaxAge is two years: a browser that has once reached Fireline over TLS never tries
// plain HTTP again.
const hstsMaxAge = "max-age=63072000; includeSubDomains"

// secureHeaders sets the headers every answer carries: the content security policy and its
// companions, Strict-Transport-Security on a TLS connection, and no-store on the API's
// answers (they hold callers' names and addresses, which no shared cache may keep). A handler
// that knows better (a recording's private, no-cache) overrides Cache-Control after this.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
