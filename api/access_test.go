package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-chi/chi/v5"
)

// walkRoutes lists every method and path the server's router registers, as chi.Walk names them.
func walkRoutes(t *testing.T, s *Server) []string {
	t.Helper()
	var got []string
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		got = append(got, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAccessTableCoversTheRouter: every route the router registers has its row in the access
// table, and every row names a route that exists, on an API node with pages; a media node's
// routes have rows too. A route without a row refuses every request, so this test is where a
// forgotten row shows.
func TestAccessTableCoversTheRouter(t *testing.T) {
	pages := fstest.MapFS{"index.html": {}, "field.html": {}, "review.html": {}}
	full := New(DefaultConfig(), Deps{Store: &fakeStore{}, Assets: pages, Logger: slog.New(slog.DiscardHandler)})
	routes := walkRoutes(t, full)
	t.Logf("%d routes, %d rows", len(routes), len(accessTable))
	for _, route := range routes {
		if _, ok := accessRules[route]; !ok {
			t.Errorf("route %s is registered but has no row in the access table (api/access.go): add one saying who may call it", route)
		}
		if !full.guarded[route] {
			t.Errorf("route %s is registered on the chi router directly: register it through a routeSet, which puts its access row's guard in front", route)
		}
	}
	seen := map[string]bool{}
	for _, row := range accessTable {
		key := row.Method + " " + row.Path
		switch {
		case seen[key]:
			t.Errorf("access table: %s has two rows", key)
		case !slices.Contains(routes, key):
			t.Errorf("access table: row %s (%s) names no route the router registers", key, row.Who)
		}
		seen[key] = true
		if (row.Who.kind == kindPublic || row.Who.kind == kindSignedIn) && strings.TrimSpace(row.Who.why) == "" {
			t.Errorf("access table: %s is %s without saying why", key, row.Who)
		}
		if (row.Who.kind == kindActions || row.Who.kind == kindTicket) && len(row.Who.actions) == 0 {
			t.Errorf("access table: %s names no action, so nobody may call it", key)
		}
	}

	cfg := DefaultConfig()
	cfg.MediaOnly = true
	media := New(cfg, Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	for _, route := range walkRoutes(t, media) {
		if _, ok := accessRules[route]; !ok || !media.guarded[route] {
			t.Errorf("media node: route %s has no row in the access table (api/access.go), or is not registered through a routeSet", route)
		}
	}
}

// TestRouteWithoutRowRefuses: a route registered without a row in the access table never runs
// its handler, whoever asks.
func TestRouteWithoutRowRefuses(t *testing.T) {
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	r := chi.NewRouter()
	ran := false
	routeSet{s: s, r: r, prefix: "/api/v1"}.post("/unlisted", func(http.ResponseWriter, *http.Request) { ran = true })
	for _, token := range []string{"", "admin"} {
		req := httptest.NewRequest("POST", "/unlisted", nil) // r stands for the /api/v1 sub-router
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if ran || w.Code != http.StatusInternalServerError {
			t.Errorf("token %q: %d, handler ran %v; want 500 and the handler never run", token, w.Code, ran)
		}
	}
}
