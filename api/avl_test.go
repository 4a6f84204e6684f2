package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestPositionRequestNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{"good", `{"lat":36.456,"lng":115.985,"heading":90,"speed":12.5,"accuracy":8,"time":"2026-11-22T08:59:58Z"}`, 0, ""},
		{"good, only what is required", `{"lat":36.456,"lng":115.985,"time":"2026-11-22T17:00:00.123+08:00"}`, 0, ""},
		{"heading 360", `{"lat":36.456,"lng":115.985,"heading":360,"time":"2026-11-22T08:59:58Z"}`, 0, ""},
		{"a little ahead", `{"lat":36.456,"lng":115.985,"time":"2026-11-22T09:04:59Z"}`, 0, ""},
		{"no lat", `{"lng":115.985,"time":"2026-11-22T08:59:58Z"}`, 400, "lat: required"},
		{"no lng", `{"lat":36.456,"time":"2026-11-22T08:59:58Z"}`, 400, "lng: required"},
		{"no time", `{"lat":36.456,"lng":115.985}`, 400, "time: required"},
		{"bad time", `{"lat":36.456,"lng":115.985,"time":"22/11/2026 09:00"}`, 400, `time: "22/11/2026 09:00" is not an RFC 3339 time`},
		{"time as a number", `{"lat":36.456,"lng":115.985,"time":1700000000}`, 400, "time: expected string"},
		{"too far ahead", `{"lat":36.456,"lng":115.985,"time":"2026-11-22T09:06:00Z"}`, 400, "time: 2026-11-22T09:06:00Z is 6m0s ahead"},
		{"lat out of range", `{"lat":96,"lng":115.985,"time":"2026-11-22T08:59:58Z"}`, 400, "lat 96 is outside"},
		{"no fix", `{"lat":0,"lng":0,"time":"2026-11-22T08:59:58Z"}`, 400, "position 0,0 is not a fix"},
		{"heading negative", `{"lat":36.456,"lng":115.985,"heading":-1,"time":"2026-11-22T08:59:58Z"}`, 400, "heading: -1 is outside 0..360"},
		{"heading too big", `{"lat":36.456,"lng":115.985,"heading":361,"time":"2026-11-22T08:59:58Z"}`, 400, "heading: 361"},
		{"speed negative", `{"lat":36.456,"lng":115.985,"speed":-0.5,"time":"2026-11-22T08:59:58Z"}`, 400, "speed: -0.5 m/s is negative"},
		{"accuracy negative", `{"lat":36.456,"lng":115.985,"accuracy":-3,"time":"2026-11-22T08:59:58Z"}`, 400, "accuracy: -3 m is negative"},
		{"unknown field", `{"lat":36.456,"lng":115.985,"altitude":30,"time":"2026-11-22T08:59:58Z"}`, 400, `unknown field "altitude"`},
		{"too large", `{"lat":36.456,"lng":115.985,"time":"` + strings.Repeat("9", maxPositionBody) + `"}`, 413, "larger than 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{log: slog.New(slog.DiscardHandler)}
			r := httptest.NewRequest("POST", "/api/v1/units/E-1/position", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			var req positionRequest
			err := decodeJSONMax(w, r, &req, maxPositionBody)
			if err == nil {
				_, err = req.fix(now)
			}
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s", tt.body)
			}
			s.writeError(w, r, err)
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem body %q: %v", w.Body, err)
			}
			if w.Code != tt.status || p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("%d %+v, want %d with detail containing %q", w.Code, p, tt.status, tt.detail)
			}
		})
	}
}

// fakeStore holds units in memory; the embedded nil Store panics if the handlers reach for
// anything else.
type fakeStore struct {
	fireline.Store
	units   map[string]fireline.Unit
	history []fireline.UnitEvent
	// historyFilter is the filter of the last history read.
	historyFilter fireline.HistoryFilter
	// unitFilter is the filter of the last list of units.
	unitFilter fireline.UnitFilter
}

func (f *fakeStore) SessionUser(_ context.Context, token string) (fireline.User, error) {
	role, unit, _ := strings.Cut(token, ":")
	return fireline.User{Username: token, Role: fireline.Role(role), UnitID: unit}, nil
}

func (f *fakeStore) Unit(_ context.Context, id string) (fireline.Unit, error) {
	u, ok := f.units[id]
	if !ok {
		return fireline.Unit{}, fireline.Errorf(fireline.ENOTFOUND, "unit %s does not exist", id)
	}
	return u, nil
}

func (f *fakeStore) SetUnitStatusBy(_ context.Context, id string, _ int64, s fireline.UnitStatus, at time.Time, actor string) (fireline.Unit, error) {
	u := f.units[id]
	u.Status = s
	f.units[id] = u
	f.history = append(f.history, fireline.UnitEvent{UnitID: id, At: at, Status: s, Actor: actor})
	return u, nil
}

func (f *fakeStore) ReportPosition(_ context.Context, id string, fx fireline.Fix) (fireline.Unit, bool, error) {
	u := f.units[id]
	if u.PositionAt != nil && !u.PositionAt.Before(fx.At) {
		return u, false, nil
	}
	u.Point, u.Cell, u.PositionAt = fx.Point, fx.Cell, &fx.At
	f.units[id] = u
	return u, true, nil
}

func (f *fakeStore) UnitHistory(_ context.Context, id string, hf fireline.HistoryFilter) ([]fireline.UnitEvent, error) {
	if hf.Limit < 1 || hf.Limit > 1000 {
		return nil, fireline.Errorf(fireline.EINVALID, "limit: %d is outside 1..1000", hf.Limit)
	}
	f.historyFilter = hf
	return f.history, nil
}

type fakeIncidents struct {
	Incidents
	signals []fireline.UnitStatusReport
	down    error
}

// Ready says the workflow engine takes orders; a test that needs it down sets down.
func (f *fakeIncidents) Ready(context.Context) error { return f.down }

func (f *fakeIncidents) UnitStatus(_ context.Context, _ int64, sig fireline.UnitStatusReport) error {
	f.signals = append(f.signals, sig)
	return nil
}

type fakeLocator struct{ Locator }

func (fakeLocator) Cell(p fireline.Point) (string, error) { return fmt.Sprintf("cell(%v)", p), nil }

func newTestServer(t *testing.T) (*Server, *fakeStore, *fakeIncidents) {
	t.Helper()
	home := fireline.Point{Lat: 36.48, Lng: 115.985}
	old := now.Add(-45 * time.Minute)
	st := &fakeStore{units: map[string]fireline.Unit{
		"E-1": {ID: "E-1", Status: fireline.UnitOnScene, IncidentID: 7, Point: home, Home: &home},
		"E-2": {ID: "E-2", Status: fireline.UnitAvailable, Point: fireline.Point{Lat: 36.4, Lng: 115.9}, Cell: "fix",
			PositionAt: &old, Home: &home},
	}}
	inc := &fakeIncidents{}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: inc, Locator: fakeLocator{}, Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, st, inc
}

func call(t *testing.T, s *Server, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, w.Body, err)
	}
	return w.Code, out
}

func TestUnitStatusMoves(t *testing.T) {
	s, st, inc := newTestServer(t)
	tests := []struct {
		name, token, unit, status string
		code                      int
		detail                    string
	}{
		{"crew backwards", "field:E-1", "E-1", "en_route", 409, "unit E-1: status may not go from on_scene to en_route; from on_scene its crew may set available, transporting or returning"},
		{"out of service while committed", "operator", "E-1", "out_of_service", 409, "clear the unit from its incident first"},
		{"dispatched by hand", "operator", "E-2", "dispatched", 409, "only a dispatch order"},
		{"unknown status", "field:E-1", "E-1", "asleep", 400, `status: "asleep" is not a unit status`},
		{"another crew's unit", "field:E-2", "E-1", "transporting", 403, "crew of E-2"},
		{"risk officer", "risk", "E-1", "transporting", 403, "role risk"},
		{"crew forward", "field:E-1", "E-1", "transporting", 202, ""},
		{"dispatcher correction", "supervisor", "E-1", "en_route", 202, ""},
		{"repeat", "field:E-1", "E-1", "on_scene", 202, ""},
		{"off an incident", "operator", "E-2", "out_of_service", 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, s, tt.token, "POST", "/api/v1/units/"+tt.unit+"/status", `{"status":"`+tt.status+`"}`)
			if code != tt.code || (tt.detail != "" && !strings.Contains(fmt.Sprint(body["detail"]), tt.detail)) {
				t.Fatalf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
		})
	}
	want := []fireline.UnitStatusReport{
		{UnitID: "E-1", Status: fireline.UnitTransporting, At: now, Actor: "field:E-1"},
		{UnitID: "E-1", Status: fireline.UnitEnRoute, At: now, Actor: "supervisor", ByDispatcher: true},
	}
	if fmt.Sprint(inc.signals) != fmt.Sprint(want) {
		t.Errorf("signals %+v, want %+v (a repeat sends nothing)", inc.signals, want)
	}
	if len(st.history) != 1 || st.history[0].Actor != "operator" || st.history[0].Status != fireline.UnitOutOfService {
		t.Errorf("store changes %+v, want E-2 out of service by operator", st.history)
	}
}

func TestUnitPosition(t *testing.T) {
	s, _, _ := newTestServer(t)
	fix := func(at string) string { return `{"lat":36.46,"lng":115.99,"speed":10,"time":"` + at + `"}` }

	code, body := call(t, s, "field:E-1", "POST", "/api/v1/units/E-1/position", fix("2026-11-22T08:59:50Z"))
	if code != 200 || body["stored"] != true || body["position_at"] != "2026-11-22T08:59:50Z" || body["cell"] != "cell(36.460000,115.990000)" {
		t.Fatalf("first fix: %d %v", code, body)
	}
	code, body = call(t, s, "admin", "POST", "/api/v1/units/E-1/position", fix("2026-11-22T08:59:40Z"))
	if code != 200 || body["stored"] != false || !strings.Contains(fmt.Sprint(body["reason"]), "ignored") ||
		body["position_at"] != "2026-11-22T08:59:50Z" {
		t.Fatalf("older fix: %d %v, want accepted, ignored, and the newer fix named", code, body)
	}
	for _, tt := range []struct {
		token string
		code  int
	}{{"field:E-2", 403}, {"risk", 403}, {"operator", 200}} {
		if code, body := call(t, s, tt.token, "POST", "/api/v1/units/E-1/position", fix("2026-11-22T08:59:55Z")); code != tt.code {
			t.Errorf("%s: %d %v, want %d", tt.token, code, body, tt.code)
		}
	}
	if code, body := call(t, s, "field:E-1", "POST", "/api/v1/units/E-1/position", `{"lat":36.46,"lng":115.99}`); code != 400 || body["detail"] != "time: required (RFC 3339, e.g. 2026-11-22T09:00:00Z)" {
		t.Errorf("no time: %d %v", code, body)
	}
}

func TestUnitsShowStaleFixesAtHome(t *testing.T) {
	s, _, _ := newTestServer(t)
	code, body := call(t, s, "operator", "GET", "/api/v1/units/E-2", "")
	loc, _ := body["location"].(map[string]any)
	if code != 200 || body["position_source"] != "station" || loc["lat"] != 36.48 || body["cell"] != "cell(36.480000,115.985000)" ||
		body["position_at"] != "2026-11-22T08:15:00Z" {
		t.Fatalf("E-2 with a 45-minute-old fix: %d %v, want at its station, saying so, with the fix's time", code, body)
	}
}

func TestUnitHistoryAccess(t *testing.T) {
	s, _, _ := newTestServer(t)
	for _, tt := range []struct {
		token, path string
		code        int
	}{
		{"field:E-1", "/api/v1/units/E-1/history", 200},
		{"field:E-2", "/api/v1/units/E-1/history", 403},
		{"risk", "/api/v1/units/E-1/history?limit=5", 200},
		{"operator", "/api/v1/units/E-1/history?limit=many", 400},
		{"operator", "/api/v1/units/E-1/history?limit=0", 400},
		{"operator", "/api/v1/units/E-1/history?from=yesterday", 400},
		{"operator", "/api/v1/units/E-1/history?from=2026-11-22T08:00:00Z&to=2026-11-22T08:00:00Z", 400},
	} {
		if code, body := call(t, s, tt.token, "GET", tt.path, ""); code != tt.code {
			t.Errorf("%s %s: %d %v, want %d", tt.token, tt.path, code, body, tt.code)
		}
	}
}

// TestUnitHistoryRange: from and to reach the store as the incident's time range; a calendar
// date is a whole UTC day, and an unencoded "+" of a time zone is read as meant.
func TestUnitHistoryRange(t *testing.T) {
	s, st, _ := newTestServer(t)
	for _, tt := range []struct {
		query    string
		from, to string
	}{
		{"from=2026-11-22T08:00:00Z&to=2026-11-22T09:30:00Z", "2026-11-22T08:00:00Z", "2026-11-22T09:30:00Z"},
		{"from=2026-11-22T16:00:00+08:00", "2026-11-22T08:00:00Z", ""},
		{"from=2026-11-22&to=2026-11-22", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"", "", ""},
	} {
		code, body := call(t, s, "risk", "GET", "/api/v1/units/E-1/history?"+tt.query, "")
		if code != 200 {
			t.Fatalf("%s: %d %v", tt.query, code, body)
		}
		got := st.historyFilter
		if rfc(got.From) != tt.from || rfc(got.To) != tt.to || got.Limit != defaultHistoryLimit {
			t.Errorf("%s: filter %+v, want from %q to %q", tt.query, got, tt.from, tt.to)
		}
	}
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (f *fakeStore) Units(_ context.Context, uf fireline.UnitFilter) ([]fireline.Unit, error) {
	f.unitFilter = uf
	var out []fireline.Unit
	for _, u := range f.units {
		out = append(out, u)
	}
	return out, nil
}

// TestListUnitsUpdatedSince checks that the console's follow-up read of changed units reaches
// the store as asked, and that a malformed time is refused with a problem naming it.
func TestListUnitsUpdatedSince(t *testing.T) {
	s, st, _ := newTestServer(t)
	code, body := call(t, s, "operator", "GET", "/api/v1/units?updated_since=2026-11-22T08:59:50.25Z", "")
	if code != 200 || !st.unitFilter.UpdatedSince.Equal(time.Date(2026, 11, 22, 8, 59, 50, 250e6, time.UTC)) {
		t.Fatalf("%d %v, filter %+v", code, body, st.unitFilter)
	}
	// An unencoded "+" of a zone offset arrives as a space.
	code, body = call(t, s, "operator", "GET", "/api/v1/units?updated_since=2026-11-22T16:59:50+08:00", "")
	if code != 200 || !st.unitFilter.UpdatedSince.Equal(time.Date(2026, 11, 22, 8, 59, 50, 0, time.UTC)) {
		t.Fatalf("%d %v, filter %+v", code, body, st.unitFilter)
	}
	code, body = call(t, s, "operator", "GET", "/api/v1/units?updated_since=yesterday", "")
	if code != 400 || !strings.Contains(fmt.Sprint(body["detail"]), `updated_since: "yesterday" is not an RFC 3339 time`) {
		t.Fatalf("%d %v", code, body)
	}
}
