package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOrderIdempotencyKey: an order's Idempotency-Key reaches the incident service with the
// order, which makes a resend of the same order one order; a malformed or repeated header is
// refused before anything is sent, naming the header.
func TestOrderIdempotencyKey(t *testing.T) {
	s, f := newRoleServer(t)
	dispatch := func(keys ...string) (int, string) {
		r := httptest.NewRequest("POST", "/api/v1/incidents/7/dispatch", strings.NewReader(`{"unit_ids":["E2"]}`))
		r.Header.Set("Authorization", "Bearer operator")
		r.Header.Set("Content-Type", "application/json")
		for _, k := range keys {
			r.Header.Add("Idempotency-Key", k)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, body := dispatch("2f1c6a52-7d1e-4c55-9a8e-0c1d2b3a4f50"); code != http.StatusOK || f.orderKey != "2f1c6a52-7d1e-4c55-9a8e-0c1d2b3a4f50" {
		t.Fatalf("dispatch with a key: %d %s; the service saw key %q", code, body, f.orderKey)
	}
	if code, body := dispatch(); code != http.StatusOK || f.orderKey != "" {
		t.Fatalf("dispatch without a key: %d %s; the service saw key %q", code, body, f.orderKey)
	}
	sent := len(f.writes)
	for _, keys := range [][]string{{"two words"}, {""}, {strings.Repeat("k", 129)}, {"a", "b"}} {
		if code, body := dispatch(keys...); code != http.StatusBadRequest || !strings.Contains(body, "Idempotency-Key") {
			t.Errorf("keys %q: %d %s, want 400 naming Idempotency-Key", keys, code, body)
		}
	}
	if len(f.writes) != sent {
		t.Errorf("refused orders reached the service: %v", f.writes[sent:])
	}
}
