package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// fakeAlerts is the public alert service over a list of messages, keeping the rules of the
// real one that the handlers pass on: an incident 7 only, nothing after a Cancel, parameters
// validated. writes counts what reached it.
type fakeAlerts struct {
	msgs   []fireline.PublicAlert
	writes *int
}

func (f *fakeAlerts) add(a fireline.PublicAlert, actor string) fireline.PublicAlert {
	*f.writes++
	a.Identifier = "LC119-7-20261122T010000Z-" + string(rune('a'+len(f.msgs)))
	a.Author, a.IncidentID, a.Sent, a.Expires = actor, 7, now, now.Add(time.Hour)
	a.XML = `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>` + a.Identifier + `</identifier></alert>`
	f.msgs = append(f.msgs, a)
	return a
}

func (f *fakeAlerts) PublishAlert(_ context.Context, id int64, p fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	if id != 7 {
		return fireline.PublicAlert{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	p = p.WithDefaults(fireline.TypeHazmat)
	if err := p.Validate(); err != nil {
		return fireline.PublicAlert{}, err
	}
	return f.add(fireline.PublicAlert{MsgType: fireline.CAPAlert, Params: p}, actor), nil
}

func (f *fakeAlerts) follow(identifier string, kind fireline.CAPMsgType, p fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	for _, m := range f.msgs {
		if m.Identifier == identifier {
			latest := f.msgs[len(f.msgs)-1]
			if err := fireline.CanFollow(latest, kind, now); err != nil {
				return fireline.PublicAlert{}, err
			}
			return f.add(fireline.PublicAlert{MsgType: kind, Follows: latest.Identifier, Params: p.Merge(latest.Params)}, actor), nil
		}
	}
	return fireline.PublicAlert{}, fireline.Errorf(fireline.ENOTFOUND, "public alert %s does not exist", identifier)
}

func (f *fakeAlerts) UpdateAlert(_ context.Context, identifier string, p fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	return f.follow(identifier, fireline.CAPUpdate, p, actor)
}

func (f *fakeAlerts) CancelAlert(_ context.Context, identifier, note, actor string) (fireline.PublicAlert, error) {
	return f.follow(identifier, fireline.CAPCancel, fireline.PublicAlertParams{Note: note}, actor)
}

func (f *fakeAlerts) IncidentAlerts(_ context.Context, id int64) ([]fireline.PublicAlert, error) {
	out := []fireline.PublicAlert{}
	for i := len(f.msgs) - 1; i >= 0; i-- {
		out = append(out, f.msgs[i])
	}
	return out, nil
}

func (f *fakeAlerts) AlertDocument(_ context.Context, identifier string) ([]byte, error) {
	for _, m := range f.msgs {
		if m.Identifier == identifier {
			return []byte(m.XML), nil
		}
	}
	return nil, fireline.Errorf(fireline.ENOTFOUND, "public alert %s does not exist", identifier)
}

func (f *fakeAlerts) AlertFeed(_ context.Context, base string) ([]byte, error) {
	return []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="` + base + `/cap/feed.atom"/></feed>`), nil
}

// The role store publishes through the same fake, its writes recorded as the others are.
func (f *roleStore) PublishAlert(_ context.Context, id int64, p fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	f.write("alert by " + actor)
	return fireline.PublicAlert{Identifier: "LC119-7-x", IncidentID: id, MsgType: fireline.CAPAlert, Params: p}, nil
}
func (f *roleStore) UpdateAlert(_ context.Context, id string, p fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	f.write("alert update by " + actor)
	return fireline.PublicAlert{Identifier: id + "-u", MsgType: fireline.CAPUpdate, Params: p}, nil
}
func (f *roleStore) CancelAlert(_ context.Context, id, _, actor string) (fireline.PublicAlert, error) {
	f.write("alert cancel by " + actor)
	return fireline.PublicAlert{Identifier: id + "-c", MsgType: fireline.CAPCancel}, nil
}
func (f *roleStore) IncidentAlerts(context.Context, int64) ([]fireline.PublicAlert, error) {
	return []fireline.PublicAlert{}, nil
}
func (f *roleStore) AlertDocument(context.Context, string) ([]byte, error) {
	return []byte("<alert/>"), nil
}
func (f *roleStore) AlertFeed(context.Context, string) ([]byte, error) { return []byte("<feed/>"), nil }

var (
	listAlerts   = roleCall{"list an incident's public alerts", "GET", "/api/v1/incidents/7/alerts", ""}
	publishAlert = roleCall{"publish a public alert", "POST", "/api/v1/incidents/7/alerts", `{"event":"危险化学品泄漏","headline":"请立即撤离"}`}
	cancelAlert  = roleCall{"cancel a public alert", "POST", "/api/v1/alerts/LC119-7-x/cancel", `{"note":"all clear"}`}
	readFeed     = roleCall{"read the CAP feed", "GET", "/cap/feed.atom", ""}
)

// TestPublicAlertRoles: operators, supervisors and administrators publish and cancel; risk
// officers read; crews and gateways do neither; anyone reads the feed.
func TestPublicAlertRoles(t *testing.T) {
	for _, tt := range []struct {
		who         string
		allow, deny []roleCall
	}{
		{"operator", []roleCall{listAlerts, publishAlert, cancelAlert, readFeed}, nil},
		{"supervisor", []roleCall{listAlerts, publishAlert, cancelAlert}, nil},
		{"admin", []roleCall{listAlerts, publishAlert, cancelAlert}, nil},
		{"risk", []roleCall{listAlerts, readFeed}, []roleCall{publishAlert, cancelAlert}},
		{"field:E1", []roleCall{readFeed}, []roleCall{listAlerts, publishAlert, cancelAlert}},
		{"gateway", []roleCall{readFeed}, []roleCall{listAlerts, publishAlert, cancelAlert}},
		{"", []roleCall{readFeed}, nil},
	} {
		for _, c := range tt.allow {
			s, _ := newRoleServer(t)
			if status, detail := send(t, s, tt.who, c); status >= 300 {
				t.Errorf("%q may %s: %d %s", tt.who, c.name, status, detail)
			}
		}
		for _, c := range tt.deny {
			s, f := newRoleServer(t)
			if status, detail := send(t, s, tt.who, c); status != http.StatusForbidden || len(f.writes) != 0 {
				t.Errorf("%q may not %s: %d %q, wrote %v", tt.who, c.name, status, detail, f.writes)
			}
		}
	}
	s, f := newRoleServer(t)
	if status, _ := send(t, s, "", publishAlert); status != http.StatusUnauthorized || len(f.writes) != 0 {
		t.Errorf("nobody publishes: %d, wrote %v", status, f.writes)
	}
}

func newAlertServer(t *testing.T) (*Server, *fakeAlerts) {
	t.Helper()
	st := &fakeStore{}
	writes := 0
	alerts := &fakeAlerts{writes: &writes}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: &fakeIncidents{}, Locator: fakeLocator{}, PublicAlerts: alerts,
		Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, alerts
}

// TestPublicAlertRoutes: publish (201, Location of the CAP document), update, cancel with an
// empty body, a conflict after the Cancel, the list, the document and the feed as XML.
func TestPublicAlertRoutes(t *testing.T) {
	s, alerts := newAlertServer(t)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer operator")
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	w := do("POST", "/api/v1/incidents/7/alerts", `{"event":"危险化学品泄漏","headline":"请立即撤离","radius_m":1500,"expires_in":3600,
		"en":{"event":"Hazmat leak","headline":"Evacuate now","description":"","instruction":""}}`)
	if w.Code != http.StatusCreated || len(alerts.msgs) != 1 || w.Header().Get("Location") != "/cap/alerts/"+alerts.msgs[0].Identifier+".xml" {
		t.Fatalf("publish: %d %s %v", w.Code, w.Body, w.Header())
	}
	if a := alerts.msgs[0]; a.Author != "operator" || a.Params.RadiusM != 1500 || a.Params.English == nil || a.Params.Category != "CBRNE" {
		t.Errorf("published %+v", a)
	}
	first := alerts.msgs[0].Identifier
	if w := do("POST", "/api/v1/alerts/"+first+"/update", `{"headline":"撤离范围扩大"}`); w.Code != http.StatusCreated {
		t.Fatalf("update: %d %s", w.Code, w.Body)
	}
	if w := do("POST", "/api/v1/alerts/"+first+"/cancel", ""); w.Code != http.StatusCreated || alerts.msgs[2].MsgType != fireline.CAPCancel {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if w := do("POST", "/api/v1/alerts/"+first+"/update", `{"headline":"again"}`); w.Code != http.StatusConflict {
		t.Errorf("update after cancel: %d %s, want 409", w.Code, w.Body)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"no such incident", "POST", "/api/v1/incidents/9/alerts", `{"event":"x","headline":"y"}`, 404},
		{"radius too wide", "POST", "/api/v1/incidents/7/alerts", `{"event":"x","headline":"y","radius_m":90000}`, 400},
		{"unknown field", "POST", "/api/v1/incidents/7/alerts", `{"event":"x","headline":"y","polygon":"1,2"}`, 400},
		{"no such alert", "POST", "/api/v1/alerts/LC119-9-x/cancel", `{}`, 404},
		{"identifier with a quote", "POST", "/api/v1/alerts/x'y/cancel", `{}`, 400},
	} {
		if w := do(c.method, c.path, c.body); w.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, w.Code, w.Body, c.status)
		}
	}
	if *alerts.writes != 3 {
		t.Errorf("%d writes, want the 3 messages", *alerts.writes)
	}
	w = do("GET", "/api/v1/incidents/7/alerts", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), first) || strings.Contains(w.Body.String(), "<alert") {
		t.Errorf("list: %d %s", w.Code, w.Body)
	}

	// The public's side: no token.
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	if w := get("/cap/alerts/" + first + ".xml"); w.Code != 200 || w.Header().Get("Content-Type") != "application/cap+xml; charset=utf-8" ||
		w.Body.String() != alerts.msgs[0].XML {
		t.Errorf("document: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := get("/cap/alerts/" + first + ".json"); w.Code != 404 {
		t.Errorf("document as .json: %d", w.Code)
	}
	if w := get("/cap/alerts/LC119-9-x.xml"); w.Code != 404 {
		t.Errorf("unknown document: %d", w.Code)
	}
	if w := get("/cap/feed.atom"); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/atom+xml") ||
		!strings.Contains(w.Body.String(), `href="http://example.com/cap/feed.atom"`) {
		t.Errorf("feed: %d %v %s", w.Code, w.Header(), w.Body)
	}

	// Without a publisher the routes say so.
	bare := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	w = httptest.NewRecorder()
	bare.ServeHTTP(w, httptest.NewRequest("GET", "/cap/feed.atom", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("feed without a publisher: %d", w.Code)
	}
}

// TestRequestScheme: the feed's links say https behind a TLS-terminating proxy we trust, and
// only then.
func TestRequestScheme(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	s := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
	for _, tt := range []struct {
		name, remote, proto string
		want                string
	}{
		{"direct", "192.0.2.10:4000", "", "http"},
		{"a client's own header", "192.0.2.10:4000", "https", "http"},
		{"a trusted proxy over TLS", "10.1.2.3:4000", "https", "https"},
		{"a trusted proxy over plain HTTP", "10.1.2.3:4000", "http", "http"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/cap/feed.atom", nil)
			r.RemoteAddr = tt.remote
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if got := s.requestScheme(r); got != tt.want {
				t.Errorf("scheme %q, want %q", got, tt.want)
			}
		})
	}
}
