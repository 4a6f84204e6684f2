package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// adminFake keeps reference data in memory with the store's rules that the handlers pass on
// (duplicates, unknown ids, retired records). The embedded nil interfaces panic if a handler
// reaches for anything else.
type adminFake struct {
	fireline.Store
	fireline.AdminStore
	stations map[string]fireline.Station
	units    map[string]fireline.Unit
	water    map[string]fireline.WaterSource
	premises map[string]fireline.Premise
	plans    map[string]fireline.ResponsePlan
	// cells records the cell each UpdateStation was given, by station id.
	cells map[string]string
	trail []fireline.AuditEntry
}

func newAdminFake() *adminFake {
	retired := now
	s1 := fireline.Point{Lat: 36.45, Lng: 115.98}
	return &adminFake{
		stations: map[string]fireline.Station{
			"S1": {ID: "S1", Name: "Station One", Point: s1},
			"S3": {ID: "S3", Name: "Station Three", Point: fireline.Point{Lat: 36.5, Lng: 115.9}, RetiredAt: &retired},
		},
		units: map[string]fireline.Unit{
			"E1": {ID: "E1", Name: "Engine 1", Type: fireline.UnitEngine, Status: fireline.UnitOnScene, IncidentID: 7, StationID: "S1", Point: s1},
			"E2": {ID: "E2", Name: "Engine 2", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, StationID: "S1", Point: s1},
		},
		water:    map[string]fireline.WaterSource{},
		premises: map[string]fireline.Premise{"P1": {ID: "P1", Name: "Library", Kind: "public", Point: s1, Hazards: []string{}}},
		plans: map[string]fireline.ResponsePlan{
			"structure_fire/1": {IncidentType: fireline.TypeStructureFire, Level: 1, Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}}},
		},
		cells: map[string]string{},
	}
}

func (f *adminFake) SessionUser(_ context.Context, token string) (fireline.User, error) {
	role, unit, _ := strings.Cut(token, ":")
	return fireline.User{Username: token, Role: fireline.Role(role), UnitID: unit}, nil
}

func (f *adminFake) record(actor, action, entity, id string, after any) {
	b, _ := json.Marshal(after)
	f.trail = append(f.trail, fireline.AuditEntry{ID: int64(len(f.trail) + 1), At: now, Actor: actor, Action: action, Entity: entity, EntityID: id, After: b})
}

// listed returns the values of m by key, leaving out retired ones unless all.
func listed[T any](m map[string]T, retired func(T) bool, all bool) []T {
	var out []T
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		if all || !retired(m[k]) {
			out = append(out, m[k])
		}
	}
	return out
}

// what names each audited entity in messages.
var what = map[string]string{
	fireline.EntityStation: "station", fireline.EntityUnit: "unit", fireline.EntityWaterSource: "water source",
	fireline.EntityPremise: "premises", fireline.EntityResponsePlan: "response plan",
}

// create and update apply the store's rules to one map.
func create[T any](f *adminFake, m map[string]T, entity, id, actor string, v T) (T, error) {
	if _, ok := m[id]; ok {
		var zero T
		return zero, fireline.Errorf(fireline.ECONFLICT, "%s %s already exists", what[entity], id)
	}
	m[id] = v
	f.record(actor, fireline.AuditCreate, entity, id, v)
	return v, nil
}

func update[T any](f *adminFake, m map[string]T, entity, id, actor string, v T, retired func(T) bool) (T, error) {
	old, ok := m[id]
	switch {
	case !ok:
		return old, fireline.Errorf(fireline.ENOTFOUND, "%s %s does not exist", what[entity], id)
	case retired(old):
		return old, fireline.Errorf(fireline.ECONFLICT, "%s %s was retired", what[entity], id)
	}
	m[id] = v
	f.record(actor, fireline.AuditUpdate, entity, id, v)
	return v, nil
}

func get[T any](m map[string]T, entity, id string) (T, error) {
	v, ok := m[id]
	if !ok {
		return v, fireline.Errorf(fireline.ENOTFOUND, "%s %s does not exist", what[entity], id)
	}
	return v, nil
}

func (f *adminFake) Stations(_ context.Context, rf fireline.RefFilter) ([]fireline.Station, error) {
	return listed(f.stations, func(s fireline.Station) bool { return s.RetiredAt != nil }, rf.IncludeRetired), nil
}
func (f *adminFake) Station(_ context.Context, id string) (fireline.Station, error) {
	return get(f.stations, fireline.EntityStation, id)
}
func (f *adminFake) CreateStation(_ context.Context, s fireline.Station, actor string) (fireline.Station, error) {
	return create(f, f.stations, fireline.EntityStation, s.ID, actor, s)
}
func (f *adminFake) UpdateStation(_ context.Context, s fireline.Station, cell, actor string) (fireline.Station, error) {
	f.cells[s.ID] = cell
	return update(f, f.stations, fireline.EntityStation, s.ID, actor, s, func(s fireline.Station) bool { return s.RetiredAt != nil })
}
func (f *adminFake) RetireStation(_ context.Context, id, actor string) (fireline.Station, error) {
	s, err := get(f.stations, fireline.EntityStation, id)
	if err != nil {
		return s, err
	}
	for _, u := range f.units {
		if u.StationID == id && u.RetiredAt == nil {
			return s, fireline.Errorf(fireline.ECONFLICT, "station %s is still home to units", id)
		}
	}
	at := now
	s.RetiredAt = &at
	f.stations[id] = s
	f.record(actor, fireline.AuditRetire, fireline.EntityStation, id, s)
	return s, nil
}

func (f *adminFake) Units(_ context.Context, uf fireline.UnitFilter) ([]fireline.Unit, error) {
	return listed(f.units, func(u fireline.Unit) bool { return u.RetiredAt != nil || (uf.Status != "" && u.Status != uf.Status) }, uf.IncludeRetired), nil
}
func (f *adminFake) Unit(_ context.Context, id string) (fireline.Unit, error) {
	return get(f.units, fireline.EntityUnit, id)
}
func (f *adminFake) CreateUnit(_ context.Context, u fireline.Unit, actor string) (fireline.Unit, error) {
	return create(f, f.units, fireline.EntityUnit, u.ID, actor, u)
}
func (f *adminFake) UpdateUnit(_ context.Context, u fireline.Unit, actor string) (fireline.Unit, error) {
	return update(f, f.units, fireline.EntityUnit, u.ID, actor, u, func(u fireline.Unit) bool { return u.RetiredAt != nil })
}
func (f *adminFake) RetireUnit(_ context.Context, id, actor string) (fireline.Unit, error) {
	u, err := get(f.units, fireline.EntityUnit, id)
	switch {
	case err != nil:
		return u, err
	case u.Status.Committed():
		return u, fireline.Errorf(fireline.ECONFLICT, "unit %s is %s on incident %d; clear it from the incident first", id, u.Status, u.IncidentID)
	}
	at := now
	u.Status, u.RetiredAt = fireline.UnitOutOfService, &at
	f.units[id] = u
	f.record(actor, fireline.AuditRetire, fireline.EntityUnit, id, u)
	return u, nil
}

func (f *adminFake) WaterSources(_ context.Context, rf fireline.RefFilter) ([]fireline.WaterSource, error) {
	return listed(f.water, func(w fireline.WaterSource) bool { return w.RetiredAt != nil }, rf.IncludeRetired), nil
}
func (f *adminFake) CreateWaterSource(_ context.Context, w fireline.WaterSource, actor string) (fireline.WaterSource, error) {
	return create(f, f.water, fireline.EntityWaterSource, w.ID, actor, w)
}

func (f *adminFake) Premises(_ context.Context, rf fireline.RefFilter) ([]fireline.Premise, error) {
	return listed(f.premises, func(p fireline.Premise) bool { return p.RetiredAt != nil }, rf.IncludeRetired), nil
}
func (f *adminFake) CreatePremise(_ context.Context, p fireline.Premise, actor string) (fireline.Premise, error) {
	return create(f, f.premises, fireline.EntityPremise, p.ID, actor, p)
}
func (f *adminFake) RetirePremise(_ context.Context, id, actor string) (fireline.Premise, error) {
	p, err := get(f.premises, fireline.EntityPremise, id)
	if err != nil {
		return p, err
	}
	at := now
	p.RetiredAt = &at
	f.premises[id] = p
	f.record(actor, fireline.AuditRetire, fireline.EntityPremise, id, p)
	return p, nil
}

func (f *adminFake) ResponsePlans(_ context.Context, rf fireline.RefFilter) ([]fireline.ResponsePlan, error) {
	return listed(f.plans, func(p fireline.ResponsePlan) bool { return p.RetiredAt != nil }, rf.IncludeRetired), nil
}
func (f *adminFake) Plan(_ context.Context, t fireline.IncidentType, level int, _ bool) (fireline.ResponsePlan, error) {
	return get(f.plans, fireline.EntityResponsePlan, fmt.Sprintf("%s/%d", t, level))
}
func (f *adminFake) CreatePlan(_ context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error) {
	return create(f, f.plans, fireline.EntityResponsePlan, p.Key(), actor, p)
}
func (f *adminFake) UpdatePlan(_ context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error) {
	return update(f, f.plans, fireline.EntityResponsePlan, p.Key(), actor, p, func(p fireline.ResponsePlan) bool { return p.RetiredAt != nil })
}

func (f *adminFake) Audit(_ context.Context, af fireline.AuditFilter) ([]fireline.AuditEntry, error) {
	var out []fireline.AuditEntry
	for _, e := range slices.Backward(f.trail) {
		if (af.Entity == "" || e.Entity == af.Entity) && len(out) < af.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func newAdminServer(t *testing.T) (*Server, *adminFake, *bytes.Buffer) {
	t.Helper()
	f := newAdminFake()
	var logs bytes.Buffer
	s := New(DefaultConfig(), Deps{Store: f, Admin: f, Incidents: &fakeIncidents{}, Locator: fakeLocator{},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.now = func() time.Time { return now }
	return s, f, &logs
}

// adminCall sends a request as token ("" for nobody) and returns the status, headers and JSON.
func adminCall(t *testing.T, s *Server, token, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, w.Body, err)
	}
	return w.Code, w.Header(), out
}

func TestAdminAccess(t *testing.T) {
	s, _, _ := newAdminServer(t)
	requests := []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/stations", ""},
		{"GET", "/api/v1/admin/units/E2", ""},
		{"POST", "/api/v1/admin/water-sources", `{"id":"W1","kind":"pond","location":{"lat":36.45,"lng":115.98}}`},
		{"PUT", "/api/v1/admin/premises/P1", `{"name":"Library","kind":"public","location":{"lat":36.45,"lng":115.98}}`},
		{"DELETE", "/api/v1/admin/response-plans/structure_fire/1", ""},
		{"GET", "/api/v1/admin/audit", ""},
	}
	for _, req := range requests {
		for _, tt := range []struct {
			token string
			code  int
		}{{"", 401}, {"operator", 403}, {"supervisor", 403}, {"risk", 403}, {"field:E2", 403}} {
			t.Run(req.method+" "+req.path+" as "+tt.token, func(t *testing.T) {
				code, h, body := adminCall(t, s, tt.token, req.method, req.path, req.body)
				if code != tt.code || body["status"] != float64(tt.code) || h.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %v, want %d problem JSON", code, body, tt.code)
				}
			})
		}
	}
	if code, _, body := adminCall(t, s, "admin", "GET", "/api/v1/admin/stations", ""); code != 200 {
		t.Fatalf("admin: %d %v", code, body)
	}
}

func TestAdminValidationNamesTheField(t *testing.T) {
	loc := `"location":{"lat":36.46,"lng":115.99}`
	station := func(fields string) string { return `{"id":"S2","name":"Station Two",` + loc + fields + `}` }
	unit := func(fields string) string {
		return `{"id":"E3","name":"Engine 3","type":"engine","station_id":"S1"` + fields + `}`
	}
	water := func(fields string) string { return `{"id":"H1",` + loc + fields + `}` }
	premise := func(fields string) string {
		return `{"id":"P2","name":"Depot","kind":"warehouse",` + loc + fields + `}`
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"station: no id", "POST", "/api/v1/admin/stations", `{"name":"Two",` + loc + `}`, 400, "id: required"},
		{"station: bad id", "POST", "/api/v1/admin/stations", `{"id":"S 2","name":"Two",` + loc + `}`, 400, `id: "S 2" may hold only letters, digits`},
		{"station: long id", "POST", "/api/v1/admin/stations", `{"id":"` + strings.Repeat("S", 65) + `","name":"Two",` + loc + `}`, 400, "id: longer than 64 bytes"},
		{"station: no name", "POST", "/api/v1/admin/stations", `{"id":"S2",` + loc + `}`, 400, "name: required"},
		{"station: no location", "POST", "/api/v1/admin/stations", `{"id":"S2","name":"Two"}`, 400, "location: required"},
		{"station: no lng", "POST", "/api/v1/admin/stations", `{"id":"S2","name":"Two","location":{"lat":36.4}}`, 400, "location.lng: required"},
		{"station: lat out of range", "POST", "/api/v1/admin/stations", `{"id":"S2","name":"Two","location":{"lat":95,"lng":115}}`, 400, "location: lat 95 is outside -90..90"},
		{"station: no fix", "POST", "/api/v1/admin/stations", `{"id":"S2","name":"Two","location":{"lat":0,"lng":0}}`, 400, "location: position 0,0 is not a fix"},
		{"station: lat as text", "POST", "/api/v1/admin/stations", `{"id":"S2","name":"Two","location":{"lat":"north","lng":115}}`, 400, "location.lat: expected float64"},
		{"station: unknown field", "POST", "/api/v1/admin/stations", station(`,"elevation":30`), 400, `body: unknown field "elevation"`},
		{"station: duplicate", "POST", "/api/v1/admin/stations", `{"id":"S1","name":"One",` + loc + `}`, 409, "station S1 already exists"},
		{"station: path and body disagree", "PUT", "/api/v1/admin/stations/S1", station(""), 400, `id: the body says "S2" but the path says "S1"`},
		{"station: update unknown", "PUT", "/api/v1/admin/stations/S9", `{"name":"Nine",` + loc + `}`, 404, "station S9 does not exist"},
		{"station: update retired", "PUT", "/api/v1/admin/stations/S3", `{"name":"Three",` + loc + `}`, 409, "station S3 was retired"},
		{"station: retire with units", "DELETE", "/api/v1/admin/stations/S1", "", 409, "still home to units"},
		{"station: retire unknown", "DELETE", "/api/v1/admin/stations/S9", "", 404, "station S9 does not exist"},
		{"station: get unknown", "GET", "/api/v1/admin/stations/S9", "", 404, "station S9 does not exist"},

		{"unit: no home station", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","type":"engine"}`, 400, "station_id: required"},
		{"unit: unknown station", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","type":"engine","station_id":"S9"}`, 400, "station_id: station S9 does not exist"},
		{"unit: retired station", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","type":"engine","station_id":"S3"}`, 400, "station_id: station S3 was retired on 2026-11-22T09:00:00Z"},
		{"unit: type", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","type":"boat","station_id":"S1"}`, 400, `type: "boat" is not a unit type (engine, ladder, rescue, hazmat, tanker, command)`},
		{"unit: no type", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","station_id":"S1"}`, 400, `type: "" is not a unit type`},
		{"unit: committed status", "POST", "/api/v1/admin/units", unit(`,"status":"on_scene"`), 400, `status: a new unit starts available or out_of_service, not "on_scene"`},
		{"unit: position", "POST", "/api/v1/admin/units", unit(`,` + loc), 400, `body: unknown field "location"`},
		{"unit: duplicate", "POST", "/api/v1/admin/units", `{"id":"E2","name":"Engine 2","type":"engine","station_id":"S1"}`, 409, "unit E2 already exists"},
		{"unit: status by update", "PUT", "/api/v1/admin/units/E2", `{"name":"Engine 2","type":"engine","station_id":"S1","status":"available"}`, 400, "status: change a unit's status with POST /api/v1/units/E2/status"},
		{"unit: retire committed", "DELETE", "/api/v1/admin/units/E1", "", 409, "unit E1 is on_scene on incident 7; clear it from the incident first"},
		{"unit: retire unknown", "DELETE", "/api/v1/admin/units/Z9", "", 404, "unit Z9 does not exist"},
		{"unit: list by a bad status", "GET", "/api/v1/admin/units?status=asleep", "", 400, `status: "asleep" is not a unit status`},

		{"water: kind", "POST", "/api/v1/admin/water-sources", water(`,"kind":"well"`), 400, `kind: "well" is not a water source kind (hydrant, pond, river_intake, cistern)`},
		{"water: status", "POST", "/api/v1/admin/water-sources", water(`,"kind":"pond","status":"dry"`), 400, `status: "dry" is not working or out_of_service`},
		{"water: hydrant without flow", "POST", "/api/v1/admin/water-sources", water(`,"kind":"hydrant"`), 400, "flow_lpm: 0 is outside 1..20000; a hydrant needs its rated flow"},
		{"water: pond with flow", "POST", "/api/v1/admin/water-sources", water(`,"kind":"pond","flow_lpm":500`), 400, "flow_lpm: a pond has no rated flow"},
		{"water: negative flow", "POST", "/api/v1/admin/water-sources", water(`,"kind":"hydrant","flow_lpm":-5`), 400, "flow_lpm: -5 is outside 1..20000"},
		{"water: flow as text", "POST", "/api/v1/admin/water-sources", water(`,"kind":"hydrant","flow_lpm":"lots"`), 400, "flow_lpm: expected int"},
		{"water: no location", "POST", "/api/v1/admin/water-sources", `{"id":"H1","kind":"pond"}`, 400, "location: required"},

		{"premises: blank hazard", "POST", "/api/v1/admin/premises", premise(`,"hazards":["LPG",""]`), 400, "hazards[1]: required"},
		{"premises: no kind", "POST", "/api/v1/admin/premises", `{"id":"P2","name":"Depot",` + loc + `}`, 400, "kind: required"},
		{"premises: long pre-plan", "POST", "/api/v1/admin/premises", premise(`,"pre_plan":"` + strings.Repeat("x", 16<<10+1) + `"`), 400, "pre_plan: longer than 16384 bytes"},
		{"premises: too large", "POST", "/api/v1/admin/premises", premise(`,"pre_plan":"` + strings.Repeat("x", maxJSONBody) + `"`), 413, "body: larger than 65536 bytes"},

		{"plan: no level", "POST", "/api/v1/admin/response-plans", `{"incident_type":"structure_fire","slots":[{"type":"engine","count":2}]}`, 400, "level: required (1..5)"},
		{"plan: level 6", "POST", "/api/v1/admin/response-plans", `{"incident_type":"structure_fire","level":6,"slots":[{"type":"engine","count":2}]}`, 400, "level: 6 is outside 1..5"},
		{"plan: incident type", "POST", "/api/v1/admin/response-plans", `{"incident_type":"Picnic","level":1,"slots":[{"type":"engine","count":2}]}`, 400, `incident_type: "Picnic" is not an incident type code`},
		{"plan: no slots", "POST", "/api/v1/admin/response-plans", `{"incident_type":"hazmat","level":1,"slots":[]}`, 400, "slots: a run card needs at least one slot"},
		{"plan: zero count", "POST", "/api/v1/admin/response-plans", `{"incident_type":"hazmat","level":1,"slots":[{"type":"hazmat","count":0}]}`, 400, "slots[0].count: 0 is outside 1..100"},
		{"plan: unknown unit type", "POST", "/api/v1/admin/response-plans", `{"incident_type":"hazmat","level":1,"slots":[{"type":"hazmat","count":1},{"type":"boat","count":1}]}`, 400, `slots[1].type: "boat" is not a unit type`},
		{"plan: slot field", "POST", "/api/v1/admin/response-plans", `{"incident_type":"hazmat","level":1,"slots":[{"type":"hazmat","n":1}]}`, 400, `body: unknown field "n"`},
		{"plan: duplicate", "POST", "/api/v1/admin/response-plans", `{"incident_type":"structure_fire","level":1,"slots":[{"type":"engine","count":3}]}`, 409, "already exists"},
		{"plan: path level", "PUT", "/api/v1/admin/response-plans/structure_fire/9", `{"slots":[{"type":"engine","count":3}]}`, 400, `level: "9" is not a level 1..5`},
		{"plan: path type", "PUT", "/api/v1/admin/response-plans/Picnic!/1", `{"slots":[{"type":"engine","count":3}]}`, 400, `incident_type: "Picnic!" is not an incident type code`},
		{"plan: body disagrees", "PUT", "/api/v1/admin/response-plans/structure_fire/1", `{"level":2,"slots":[{"type":"engine","count":3}]}`, 400, "level: the body says 2 but the path says 1"},
		{"plan: update unknown", "PUT", "/api/v1/admin/response-plans/hazmat/2", `{"slots":[{"type":"hazmat","count":1}]}`, 404, "hazmat/2 does not exist"},

		{"list: include_retired", "GET", "/api/v1/admin/premises?include_retired=maybe", "", 400, `include_retired: "maybe" is not true or false`},
		{"audit: limit zero", "GET", "/api/v1/admin/audit?limit=0", "", 400, "limit: 0 is outside 1..500"},
		{"audit: limit too big", "GET", "/api/v1/admin/audit?limit=100000", "", 400, "limit: 100000 is outside 1..500"},
		{"audit: limit text", "GET", "/api/v1/admin/audit?limit=all", "", 400, `limit: "all" is not a whole number`},
		{"audit: entity", "GET", "/api/v1/admin/audit?entity=user", "", 400, `entity: "user" is not one of station, unit, water_source, premise, response_plan`},
		{"audit: before", "GET", "/api/v1/admin/audit?before=x", "", 400, `before: "x" is not an audit entry id`},

		{"no such endpoint", "GET", "/api/v1/admin/nonesuch", "", 404, "no API endpoint GET /api/v1/admin/nonesuch"},
		{"no such method", "PATCH", "/api/v1/admin/stations/S1", `{}`, 405, "PATCH is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f, logs := newAdminServer(t)
			code, h, body := adminCall(t, s, "admin", tt.method, tt.path, tt.body)
			if code != tt.status || body["status"] != float64(tt.status) || h.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(fmt.Sprint(body["detail"]), tt.detail) || !strings.HasPrefix(fmt.Sprint(body["type"]), "urn:fireline:problem:") {
				t.Fatalf("%d %v, want %d problem JSON with detail containing %q", code, body, tt.status, tt.detail)
			}
			if len(f.trail) != 0 || strings.Contains(logs.String(), "admin change") {
				t.Fatalf("a refused request changed something: trail %+v, logs %s", f.trail, logs)
			}
		})
	}
}

func TestAdminChanges(t *testing.T) {
	s, f, logs := newAdminServer(t)
	s1 := fireline.Point{Lat: 36.45, Lng: 115.98}
	steps := []struct {
		name, method, path, body string
		status                   int
		location                 string
		check                    func(t *testing.T, body map[string]any)
	}{
		{"create a station", "POST", "/api/v1/admin/stations",
			`{"id":"S2","name":"Station Two","district":"West","address":"2 Main St","location":{"lat":36.46,"lng":115.9}}`,
			201, "/api/v1/admin/stations/S2", func(t *testing.T, body map[string]any) {
				if body["name"] != "Station Two" || body["district"] != "West" {
					t.Errorf("station %v", body)
				}
			}},
		{"move it", "PUT", "/api/v1/admin/stations/S2", `{"id":"S2","name":"Station Two","location":{"lat":36.47,"lng":115.91}}`,
			200, "", func(t *testing.T, body map[string]any) {
				// The units parked there follow it into the new position's cell.
				if f.cells["S2"] != "cell(36.470000,115.910000)" {
					t.Errorf("UpdateStation got cell %q", f.cells["S2"])
				}
			}},
		{"create a unit", "POST", "/api/v1/admin/units", `{"id":"E3","name":"Engine 3","type":"engine","station_id":"S1"}`,
			201, "/api/v1/admin/units/E3", func(t *testing.T, body map[string]any) {
				u := f.units["E3"]
				if u.Status != fireline.UnitAvailable || u.Point != s1 || u.Cell != "cell(36.450000,115.980000)" || body["station_id"] != "S1" {
					t.Errorf("stored %+v, answered %v; want available, parked at S1 in its cell", u, body)
				}
			}},
		{"rehome it", "PUT", "/api/v1/admin/units/E3", `{"name":"Tanker 3","type":"tanker","station_id":"S2"}`,
			200, "", func(t *testing.T, body map[string]any) {
				u := f.units["E3"]
				if u.Type != fireline.UnitTanker || u.StationID != "S2" || u.Cell != "cell(36.470000,115.910000)" {
					t.Errorf("stored %+v, want a tanker at S2's new position", u)
				}
			}},
		{"retire it", "DELETE", "/api/v1/admin/units/E3", "", 200, "", func(t *testing.T, body map[string]any) {
			if body["status"] != "out_of_service" || body["retired_at"] != "2026-11-22T09:00:00Z" {
				t.Errorf("retired unit %v", body)
			}
		}},
		{"units in service", "GET", "/api/v1/admin/units", "", 200, "", func(t *testing.T, body map[string]any) {
			if n := len(body["units"].([]any)); n != 2 {
				t.Errorf("%d units listed, want E1 and E2 (E3 is retired)", n)
			}
		}},
		{"all units", "GET", "/api/v1/admin/units?include_retired=true", "", 200, "", func(t *testing.T, body map[string]any) {
			if n := len(body["units"].([]any)); n != 3 {
				t.Errorf("%d units listed, want 3 with the retired one", n)
			}
		}},
		{"a retired unit is still read by id", "GET", "/api/v1/admin/units/E3", "", 200, "", func(t *testing.T, body map[string]any) {
			if body["retired_at"] == nil {
				t.Errorf("E3 %v", body)
			}
		}},
		{"create a hydrant", "POST", "/api/v1/admin/water-sources", `{"id":"H-1","kind":"hydrant","flow_lpm":1200,"location":{"lat":36.451,"lng":115.981}}`,
			201, "/api/v1/admin/water-sources/H-1", func(t *testing.T, body map[string]any) {
				if body["status"] != "working" || body["flow_lpm"] != float64(1200) {
					t.Errorf("hydrant %v, want working by default", body)
				}
			}},
		{"create premises", "POST", "/api/v1/admin/premises", `{"id":"P2","name":"Depot","kind":"warehouse","location":{"lat":36.44,"lng":115.97}}`,
			201, "/api/v1/admin/premises/P2", func(t *testing.T, body map[string]any) {
				if h, ok := body["hazards"].([]any); !ok || len(h) != 0 {
					t.Errorf("premises %v, want an empty hazards list", body)
				}
			}},
		{"retire premises", "DELETE", "/api/v1/admin/premises/P1", "", 200, "", nil},
		{"premises in service", "GET", "/api/v1/admin/premises", "", 200, "", func(t *testing.T, body map[string]any) {
			if n := len(body["premises"].([]any)); n != 1 {
				t.Errorf("%d premises listed, want P2 only", n)
			}
		}},
		{"create a run card", "POST", "/api/v1/admin/response-plans",
			`{"incident_type":"structure_fire","level":3,"slots":[{"type":"engine","count":5},{"type":"ladder","count":2}]}`,
			201, "/api/v1/admin/response-plans/structure_fire/3", nil},
		{"update it", "PUT", "/api/v1/admin/response-plans/structure_fire/3", `{"slots":[{"type":"engine","count":6}]}`,
			200, "", func(t *testing.T, body map[string]any) {
				if p := f.plans["structure_fire/3"]; len(p.Slots) != 1 || p.Slots[0].Count != 6 {
					t.Errorf("card %+v", p)
				}
			}},
		{"read it", "GET", "/api/v1/admin/response-plans/structure_fire/3", "", 200, "", func(t *testing.T, body map[string]any) {
			if body["incident_type"] != "structure_fire" || body["level"] != float64(3) {
				t.Errorf("card %v", body)
			}
		}},
		{"the audit trail, newest first", "GET", "/api/v1/admin/audit?limit=3", "", 200, "", func(t *testing.T, body map[string]any) {
			entries := body["entries"].([]any)
			first := entries[0].(map[string]any)
			if len(entries) != 3 || first["entity"] != "response_plan" || first["action"] != "update" || first["actor"] != "admin" {
				t.Errorf("audit %v", entries)
			}
		}},
	}
	for _, st := range steps {
		code, h, body := adminCall(t, s, "admin", st.method, st.path, st.body)
		if code != st.status || h.Get("Location") != st.location {
			t.Fatalf("%s: %d %v (Location %q), want %d at %q", st.name, code, body, h.Get("Location"), st.status, st.location)
		}
		if st.check != nil {
			st.check(t, body)
		}
	}
	for _, want := range []string{
		`actor=admin action=create entity=station id=S2`,
		`actor=admin action=update entity=unit id=E3`,
		`actor=admin action=retire entity=premise id=P1`,
		`actor=admin action=update entity=response_plan id=structure_fire/3`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}
