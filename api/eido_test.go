package api

import (
	"cmp"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestIncidentEIDORoute: the route answers the exporter's document as application/json (a
// crew's without the callers), a missing incident 404, a bad id 400, and a node without an
// exporter 503.
func TestIncidentEIDORoute(t *testing.T) {
	for _, tt := range []struct {
		name, path string
		// who is the bearer token (role, or field:UNIT); operator when empty.
		who        string
		noExporter bool
		status     int
		body       string
	}{
		{name: "the document", path: "/api/v1/incidents/7/eido", status: http.StatusOK, body: `{"eidoVersion":"1.0","content":0}` + "\n"},
		// A crew reads no alarms, so its EIDO is asked without the callers' numbers and words.
		{name: "a crew's document", who: "field:E1", path: "/api/v1/incidents/7/eido", status: http.StatusOK, body: `{"eidoVersion":"1.0","content":1}` + "\n"},
		{name: "no such incident", path: "/api/v1/incidents/99/eido", status: http.StatusNotFound},
		{name: "not an id", path: "/api/v1/incidents/seven/eido", status: http.StatusBadRequest},
		{name: "no exporter", path: "/api/v1/incidents/7/eido", noExporter: true, status: http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, f := newRoleServer(t)
			if tt.noExporter {
				d := Deps{Store: f, Admin: f, Incidents: f, Logger: slog.New(slog.DiscardHandler)}
				s = New(DefaultConfig(), d)
			}
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Header.Set("Authorization", "Bearer "+cmp.Or(tt.who, "operator"))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.status)
			}
			want := "application/json"
			if tt.status != http.StatusOK {
				want = "application/problem+json"
			}
			if ct := w.Header().Get("Content-Type"); ct != want {
				t.Errorf("content type %q, want %q", ct, want)
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
		})
	}
}
