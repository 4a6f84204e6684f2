package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

func (k roleKeys) RevokeAPIKey(_ context.Context, id int64, actor string) (fireline.APIKey, error) {
	if id != 1 {
		return fireline.APIKey{}, fireline.Errorf(fireline.ENOTFOUND, "API key %d does not exist", id)
	}
	k.f.write("revoke by " + actor)
	return fireline.APIKey{ID: 1, Name: "chem-park", RevokedBy: actor, RevokedAt: &now}, nil
}

// TestAPIKeyAdmin: an administrator creates a key and sees its secret once (not cached),
// revokes one by id, and is told precisely what is wrong.
func TestAPIKeyAdmin(t *testing.T) {
	s, f := newRoleServer(t)
	r := httptest.NewRequest("POST", "/api/v1/admin/api-keys", strings.NewReader(`{"name":"mall panels","source":"iot","source_id_prefix":"FAP-MALL-"}`))
	r.Header.Set("Authorization", "Bearer admin")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var created struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusCreated || created.Secret != "flk_new" || created.Name != "mall panels" ||
		w.Header().Get("Location") != "/api/v1/admin/api-keys/2" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("create: %d %s %v", w.Code, w.Body, w.Header())
	}
	for _, tt := range []struct {
		c      roleCall
		status int
		detail string
	}{
		{roleCall{"revoke", "DELETE", "/api/v1/admin/api-keys/1", ""}, http.StatusOK, ""},
		{roleCall{"revoke unknown", "DELETE", "/api/v1/admin/api-keys/5", ""}, http.StatusNotFound, "API key 5 does not exist"},
		{roleCall{"revoke bad id", "DELETE", "/api/v1/admin/api-keys/x", ""}, http.StatusBadRequest, `API key id "x" is not a positive integer`},
		{roleCall{"unknown field", "POST", "/api/v1/admin/api-keys", `{"name":"a","source":"iot","secret":"mine"}`}, http.StatusBadRequest, "secret"},
	} {
		status, detail := send(t, s, "admin", tt.c)
		if status != tt.status || !strings.Contains(detail, tt.detail) {
			t.Errorf("%s: %d %q, want %d with %q", tt.c.name, status, detail, tt.status, tt.detail)
		}
	}
	if want := []string{"key mall panels by admin", "revoke by admin"}; strings.Join(f.writes, "|") != strings.Join(want, "|") {
		t.Errorf("writes %v, want %v", f.writes, want)
	}
}
