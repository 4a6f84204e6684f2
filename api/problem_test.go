package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

func TestDecodeJSONNamesTheProblem(t *testing.T) {
	type body struct {
		UnitIDs []string `json:"unit_ids"`
		Level   int      `json:"level"`
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		detail      string
	}{
		{"good", "application/json", `{"unit_ids":["E-1"],"level":2}`, 0, ""},
		{"good with charset", "application/json; charset=utf-8", `{"level":1}`, 0, ""},
		{"wrong media type", "text/plain", `{"level":1}`, http.StatusUnsupportedMediaType, "Content-Type must be application/json"},
		{"no media type", "", `{"level":1}`, http.StatusUnsupportedMediaType, "Content-Type"},
		{"empty", "application/json", ``, http.StatusBadRequest, "empty"},
		{"malformed", "application/json", `{"level":}`, http.StatusBadRequest, "malformed JSON at byte"},
		{"truncated", "application/json", `{"level":1`, http.StatusBadRequest, "truncated"},
		{"wrong type", "application/json", `{"level":"two"}`, http.StatusBadRequest, "level: expected int"},
		{"unknown field", "application/json", `{"levle":2}`, http.StatusBadRequest, `unknown field "levle"`},
		{"trailing data", "application/json", `{"level":1}{"level":2}`, http.StatusBadRequest, "more data"},
		{"too large", "application/json", `{"unit_ids":["` + strings.Repeat("E", maxJSONBody) + `"]}`, http.StatusRequestEntityTooLarge, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{log: slog.New(slog.DiscardHandler)}
			r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			var v body
			err := decodeJSON(w, r, &v)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("decodeJSON: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("decodeJSON accepted %q", tt.body)
			}
			s.writeError(w, r, err)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%v)", w.Code, tt.status, err)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem body %q: %v", w.Body, err)
			}
			if p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) || !strings.HasPrefix(p.Type, "urn:fireline:problem:") {
				t.Fatalf("problem %+v, want status %d and detail containing %q", p, tt.status, tt.detail)
			}
		})
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/api/v1/incidents/1", nil), errString("pq: password for user fireline is hunter2"))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("status %d body %s: want 500 without the cause", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/x", nil), fireline.Errorf(fireline.EUNAUTHORIZED, "login required"))
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate: %d %v", w.Code, w.Header())
	}
}

type errString string

func (e errString) Error() string { return string(e) }
