package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// roleStore is the store behind the per-role tests: incidents 7 and 8, engine E1 on 7 and E2
// at its station, and every write recorded. The embedded nil interfaces panic (a 500) if a
// handler reaches for anything else.
type roleStore struct {
	fireline.Store
	fireline.AdminStore
	fireline.IncidentService
	units  map[string]fireline.Unit
	writes []string
	// orderKey is the idempotency key the last dispatch came with.
	orderKey string
}

func (f *roleStore) write(w string) { f.writes = append(f.writes, w) }

func (f *roleStore) SessionUser(_ context.Context, token string) (fireline.User, error) {
	role, unit, _ := strings.Cut(token, ":")
	if !fireline.Role(role).Valid() {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "not signed in, or the session has expired")
	}
	return fireline.User{Username: token, Role: fireline.Role(role), UnitID: unit}, nil
}

func (f *roleStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	if id != 7 && id != 8 {
		return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	inc := fireline.Incident{ID: id, Type: fireline.TypeStructureFire, Level: 1, Status: fireline.IncidentActive, CreatedAt: now}
	if id == 7 {
		inc.Assignments = []fireline.Assignment{{UnitID: "E1", Type: fireline.UnitEngine, Status: fireline.UnitOnScene, DispatchedAt: now}}
	}
	return inc, nil
}

func (f *roleStore) Incidents(ctx context.Context, _ fireline.IncidentFilter) ([]fireline.Incident, error) {
	a, _ := f.Incident(ctx, 7)
	b, _ := f.Incident(ctx, 8)
	return []fireline.Incident{a, b}, nil
}

func (f *roleStore) Unit(_ context.Context, id string) (fireline.Unit, error) {
	u, ok := f.units[id]
	if !ok {
		return u, fireline.Errorf(fireline.ENOTFOUND, "unit %s does not exist", id)
	}
	return u, nil
}

func (f *roleStore) Units(context.Context, fireline.UnitFilter) ([]fireline.Unit, error) {
	return []fireline.Unit{f.units["E1"], f.units["E2"]}, nil
}

func (f *roleStore) SetUnitStatusBy(_ context.Context, id string, _ int64, s fireline.UnitStatus, _ time.Time, actor string) (fireline.Unit, error) {
	f.write("status " + id + " " + string(s) + " by " + actor)
	u := f.units[id]
	u.Status = s
	return u, nil
}

func (f *roleStore) Findings(context.Context, int64) ([]fireline.Finding, error) { return nil, nil }

func (f *roleStore) AddFinding(_ context.Context, fd fireline.Finding) (fireline.Finding, error) {
	f.write("finding by " + fd.Author)
	fd.ID = 1
	return fd, nil
}

func (f *roleStore) Escalations(context.Context, fireline.EscalationFilter) ([]fireline.Escalation, error) {
	return nil, nil
}

func (f *roleStore) AckEscalation(_ context.Context, id int64, actor string, at time.Time) (fireline.Escalation, error) {
	f.write("ack by " + actor)
	return fireline.Escalation{ID: id, IncidentID: 7, AckedBy: actor, AckedAt: &at}, nil
}

func (f *roleStore) Stations(context.Context, fireline.RefFilter) ([]fireline.Station, error) {
	return nil, nil
}

func (f *roleStore) CreateStation(_ context.Context, s fireline.Station, actor string) (fireline.Station, error) {
	f.write("station " + s.ID + " by " + actor)
	return s, nil
}

// ReceiveAlarm is the alarm store behind the real intake desk.
func (f *roleStore) ReceiveAlarm(_ context.Context, a fireline.Alarm, _ fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	f.write("alarm " + string(a.Source) + " " + a.SourceID)
	a.ID, a.IncidentID = 1, 9
	return fireline.AlarmReceipt{Alarm: a, IncidentID: 9}, nil
}

// The workflow engine, as the API and the desk see it.
func (f *roleStore) Ready(context.Context) error { return nil }
func (f *roleStore) Dispatch(ctx context.Context, id int64, o fireline.DispatchOrder) error {
	f.write("dispatch by " + o.Actor)
	f.orderKey = fireline.OrderKey(ctx)
	return nil
}
func (f *roleStore) UnitStatus(_ context.Context, _ int64, r fireline.UnitStatusReport) error {
	f.write("status " + r.UnitID + " " + string(r.Status) + " by " + r.Actor)
	return nil
}
func (f *roleStore) AlarmReceived(context.Context, int64, fireline.Alarm, fireline.Alarm) error {
	return nil
}

// IntervalReport answers the analytics with an empty report.
func (f *roleStore) IntervalReport(_ context.Context, q fireline.IntervalQuery) (fireline.IntervalReport, error) {
	return fireline.IntervalReport{Query: q}, nil
}

// roleEIDO exports the role store's incidents as a stub document: the route's guard and the
// crew's check are under test, not the document (exchange's tests hold that).
type roleEIDO struct{ f *roleStore }

func (e roleEIDO) IncidentEIDO(ctx context.Context, id int64, content fireline.EIDOContent) (json.RawMessage, error) {
	if _, err := e.f.Incident(ctx, id); err != nil {
		return nil, err
	}
	return json.RawMessage(fmt.Sprintf(`{"eidoVersion":"1.0","content":%d}`, content)), nil
}

// roleKeys are two API keys: the chemical park's panels (iot, FAP-CHEM-) and a revoked one.
type roleKeys struct {
	fireline.APIKeyStore
	f *roleStore
}

func (k roleKeys) APIKeyBySecret(_ context.Context, secret string) (fireline.APIKey, error) {
	switch secret {
	case "flk_panels":
		return fireline.APIKey{ID: 1, Name: "chem-park", Source: fireline.SourceIoT, SourceIDPrefix: "FAP-CHEM-"}, nil
	case "flk_revoked":
		return fireline.APIKey{}, fireline.Errorf(fireline.EUNAUTHORIZED, "API key old-panels was revoked")
	}
	return fireline.APIKey{}, fireline.Errorf(fireline.EUNAUTHORIZED, "unknown API key")
}

func (k roleKeys) APIKeys(context.Context) ([]fireline.APIKey, error) { return nil, nil }

func (k roleKeys) CreateAPIKey(_ context.Context, n fireline.NewAPIKey, actor string) (fireline.APIKey, string, error) {
	k.f.write("key " + n.Name + " by " + actor)
	return fireline.APIKey{ID: 2, Name: n.Name, Source: n.Source, CreatedBy: actor}, "flk_new", nil
}

// roleImporter takes any export and writes that it did.
type roleImporter struct{ f *roleStore }

func (i roleImporter) ImportCSV(_ context.Context, format string, _ io.Reader) (fireline.ImportSummary, error) {
	i.f.write("import " + format)
	return fireline.ImportSummary{Format: format, Rows: 1, IncidentsAdded: 1}, nil
}

// roleRegistry knows every panel and pole, at the same place.
type roleRegistry struct{ intake.Registry }

func (roleRegistry) Device(_ context.Context, id string) (fireline.Device, error) {
	return fireline.Device{ID: id, Building: "Building", Point: fireline.Point{Lat: 36.456, Lng: 115.985}}, nil
}
func (roleRegistry) Pole(_ context.Context, id string) (fireline.Pole, error) {
	return fireline.Pole{ID: id, Address: "Dongchang Rd", Point: fireline.Point{Lat: 36.456, Lng: 115.985}}, nil
}

// newRoleServer is the real router over the role store, with the real intake desk.
func newRoleServer(t *testing.T) (*Server, *roleStore) {
	t.Helper()
	home := fireline.Point{Lat: 36.48, Lng: 115.985}
	f := &roleStore{units: map[string]fireline.Unit{
		"E1": {ID: "E1", Type: fireline.UnitEngine, Status: fireline.UnitOnScene, IncidentID: 7, Point: home, Home: &home},
		"E2": {ID: "E2", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, Point: home, Home: &home},
	}}
	buildings := newFakeBuildings()
	buildings.also = &f.writes
	log := slog.New(slog.DiscardHandler)
	desk := intake.NewDesk(intake.New(roleRegistry{}, nil, func() time.Time { return now }), f, nil, f, intake.DefaultDeskConfig(), log)
	s := New(DefaultConfig(), Deps{Store: f, Admin: f, Incidents: f, Intake: desk, APIKeys: roleKeys{f: f}, Locator: fakeLocator{}, Logger: log,
		Analytics: f, Risk: fakeRisk{}, EIDO: roleEIDO{f}, Importer: roleImporter{f: f}, PublicAlerts: f, Buildings: buildings})
	s.now = func() time.Time { return now }
	return s, f
}

// send makes one request as token and returns the status and the problem's detail, if any.
func send(t *testing.T, s *Server, token string, c roleCall) (int, string) {
	t.Helper()
	r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(c.path, "/api/v1/admin/imports") {
		r.Header.Set("Content-Type", "text/csv")
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var p Problem
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s %s: problem %q: %v", c.method, c.path, w.Body, err)
		}
	}
	return w.Code, p.Detail
}

// roleCall is one request of the per-role lists.
type roleCall struct{ name, method, path, body string }

var (
	listIncidents = roleCall{"list incidents", "GET", "/api/v1/incidents", ""}
	readOwn       = roleCall{"read incident 7", "GET", "/api/v1/incidents/7", ""}
	readOther     = roleCall{"read incident 8", "GET", "/api/v1/incidents/8", ""}
	listUnits     = roleCall{"list units", "GET", "/api/v1/units", ""}
	readFindings  = roleCall{"read findings", "GET", "/api/v1/incidents/7/findings", ""}
	dispatchE2    = roleCall{"dispatch E2 to 7", "POST", "/api/v1/incidents/7/dispatch", `{"unit_ids":["E2"]}`}
	moveE1        = roleCall{"move E1 (on 7)", "POST", "/api/v1/units/E1/status", `{"status":"returning"}`}
	moveE2        = roleCall{"move E2", "POST", "/api/v1/units/E2/status", `{"status":"out_of_service"}`}
	addFinding    = roleCall{"add a finding", "POST", "/api/v1/incidents/7/findings", `{"category":"communication","text":"radio dead zone"}`}
	ackEscalation = roleCall{"ack an escalation", "POST", "/api/v1/escalations/1/ack", ""}
	createStation = roleCall{"create a station", "POST", "/api/v1/admin/stations",
		`{"id":"S9","name":"Station Nine","location":{"lat":36.45,"lng":115.98}}`}
	listKeys  = roleCall{"list API keys", "GET", "/api/v1/admin/api-keys", ""}
	createKey = roleCall{"create an API key", "POST", "/api/v1/admin/api-keys", `{"name":"mall panels","source":"iot"}`}
	postCall  = roleCall{"post a call", "POST", "/api/v1/alarms/call", `{}`}
	postPanel = roleCall{"post a chem-park panel's alarm", "POST", "/api/v1/alarms/iot",
		`{"event_id":"EV-1","device_id":"FAP-CHEM-1","kind":"fire_alarm","time":"2026-11-22T08:59:00Z"}`}
	postOtherPanel = roleCall{"post a mall panel's alarm", "POST", "/api/v1/alarms/iot",
		`{"event_id":"EV-2","device_id":"FAP-MALL-1","kind":"fire_alarm","time":"2026-11-22T08:59:00Z"}`}
	postPress = roleCall{"post a lamp-post press", "POST", "/api/v1/alarms/lamppost", `{"pole_id":"LP-1","press_id":"000042","time":"2026-11-22T08:59:00Z"}`}
	me        = roleCall{"who am I", "GET", "/api/v1/auth/me", ""}
	analytics = roleCall{"read the interval analytics", "GET", "/api/v1/analytics/intervals?from=2026-12-01&to=2026-12-31", ""}
	readRisk  = roleCall{"read the risk grid", "GET", "/api/v1/risk/cells?format=geojson", ""}
	eidoOwn   = roleCall{"export incident 7 as EIDO", "GET", "/api/v1/incidents/7/eido", ""}
	eidoOther = roleCall{"export incident 8 as EIDO", "GET", "/api/v1/incidents/8/eido", ""}
	importSF  = roleCall{"import an export", "POST", "/api/v1/admin/imports?format=sf-calls", "Incident Number\n1\n"}

	readBuildings    = roleCall{"list impaired buildings", "GET", "/api/v1/buildings?impaired=true", ""}
	readBoard        = roleCall{"read a building's board", "GET", "/api/v1/buildings/P-HOSP", ""}
	registerDevice   = roleCall{"register a transmission device", "POST", "/api/v1/admin/devices", deviceBody}
	unregisteredSeen = roleCall{"list unregistered devices", "GET", "/api/v1/admin/unregistered-devices", ""}
)

// TestRolesAllowedAndDenied runs each role's allowed and denied calls through the real router:
// a denied call is a 403 problem and writes nothing; an allowed one is neither 401 nor 403 and
// is not our failure (5xx).
func TestRolesAllowedAndDenied(t *testing.T) {
	for _, tt := range []struct {
		who            string // the bearer token: a role (field:E1 crews E1) or an API key
		allow, deny    []roleCall
		denyDetailHas  map[string]string // call name → part of the 403's detail
		unauthenticate []roleCall        // 401
	}{
		{who: "operator",
			allow: []roleCall{listIncidents, readOwn, readOther, listUnits, readFindings, dispatchE2, moveE2, moveE1, postPanel, postPress, postCall, me, readRisk, eidoOwn, eidoOther, publishAlert, readBuildings, readBoard},
			deny:  []roleCall{addFinding, ackEscalation, createStation, listKeys, createKey, analytics, importSF, registerDevice, unregisteredSeen}},
		{who: "supervisor",
			allow: []roleCall{listIncidents, readOther, dispatchE2, moveE2, addFinding, ackEscalation, postPanel, me, analytics, readRisk, eidoOther, publishAlert, readBuildings, readBoard},
			deny:  []roleCall{createStation, listKeys, createKey, importSF, registerDevice, unregisteredSeen}},
		{who: "field:E1",
			allow: []roleCall{readOwn, listUnits, moveE1, me, eidoOwn},
			deny: []roleCall{listIncidents, readOther, readFindings, dispatchE2, moveE2, addFinding, ackEscalation, createStation, listKeys, postCall, postPanel, postPress, analytics, readRisk, eidoOther, importSF, publishAlert,
				readBuildings, readBoard, registerDevice},
			denyDetailHas: map[string]string{
				readOther.name:  "crew of E1 may read only the incident the unit is on",
				eidoOther.name:  "crew of E1 may read only the incident the unit is on",
				moveE2.name:     "crew of E1 may not set the status of E2",
				dispatchE2.name: "role field may not POST /api/v1/incidents/7/dispatch",
			}},
		// A crew whose unit is on no incident exports none.
		{who: "field:E2",
			allow:         []roleCall{me},
			deny:          []roleCall{eidoOwn, eidoOther},
			denyDetailHas: map[string]string{eidoOwn.name: "crew of E2 may read only the incident the unit is on"}},
		{who: "risk",
			allow: []roleCall{listIncidents, readOwn, readOther, listUnits, readFindings, addFinding, me, analytics, readRisk, eidoOwn, readBuildings, readBoard},
			deny: []roleCall{dispatchE2, moveE1, moveE2, ackEscalation, createStation, listKeys, createKey, postCall, postPanel, postPress, importSF, publishAlert,
				registerDevice, unregisteredSeen}},
		{who: "admin",
			allow: []roleCall{listIncidents, readOther, dispatchE2, moveE2, addFinding, ackEscalation, createStation, listKeys, createKey, postCall, postPanel, me, analytics, readRisk, eidoOther, importSF, publishAlert,
				readBuildings, readBoard, registerDevice, unregisteredSeen}},
		// The demo gateway login posts any device source's alarms, and reads nothing.
		{who: "gateway",
			allow: []roleCall{postPanel, postOtherPanel, postPress, me},
			deny: []roleCall{listIncidents, readOwn, listUnits, readFindings, dispatchE2, moveE2, addFinding, createStation, listKeys, postCall, analytics, readRisk, eidoOwn, importSF,
				readBuildings, readBoard, registerDevice}},
		// A per-source key posts its own source's alarms within its prefix, and nothing else.
		{who: "flk_panels",
			allow: []roleCall{postPanel, me},
			deny:  []roleCall{postOtherPanel, postPress, postCall, listIncidents, listUnits, readOwn, dispatchE2, moveE2, addFinding, listKeys},
			denyDetailHas: map[string]string{
				postOtherPanel.name: `API key chem-park posts alarms whose source id begins with "FAP-CHEM-" only, not "FAP-MALL-1:EV-2"`,
				postPress.name:      "API key chem-park posts iot alarms only, not the lamppost format",
				postCall.name:       "role gateway may not POST /api/v1/alarms/call",
			}},
		{who: "flk_revoked", unauthenticate: []roleCall{postPanel, me, listUnits}},
		{who: "flk_unknown", unauthenticate: []roleCall{postPanel}},
		{who: "", unauthenticate: []roleCall{postPanel, listUnits, listIncidents, dispatchE2, createStation, listKeys, me, analytics, eidoOwn,
			readBuildings, registerDevice}},
	} {
		t.Run(cmp.Or(tt.who, "nobody"), func(t *testing.T) {
			for _, c := range tt.allow {
				s, _ := newRoleServer(t)
				if status, detail := send(t, s, tt.who, c); status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
					t.Errorf("%s may %s: %d %s", tt.who, c.name, status, detail)
				}
			}
			for _, c := range tt.deny {
				s, f := newRoleServer(t)
				status, detail := send(t, s, tt.who, c)
				if status != http.StatusForbidden {
					t.Errorf("%s may not %s: %d %q, want 403", tt.who, c.name, status, detail)
				}
				if want := tt.denyDetailHas[c.name]; !strings.Contains(detail, want) {
					t.Errorf("%s may not %s: detail %q, want it to say %q", tt.who, c.name, detail, want)
				}
				if len(f.writes) != 0 {
					t.Errorf("%s may not %s, yet it wrote %v", tt.who, c.name, f.writes)
				}
			}
			for _, c := range tt.unauthenticate {
				s, f := newRoleServer(t)
				if status, detail := send(t, s, tt.who, c); status != http.StatusUnauthorized || len(f.writes) != 0 {
					t.Errorf("%s: %s: %d %q, wrote %v; want 401 and nothing written", tt.who, c.name, status, detail, f.writes)
				}
			}
		})
	}
}

// TestAllowedCallsWrite: the allowed writes reach the store as the caller, so the allowed
// lists above are not passing on a refusal further in.
func TestAllowedCallsWrite(t *testing.T) {
	for _, tt := range []struct {
		who   string
		c     roleCall
		wrote string
	}{
		{"operator", dispatchE2, "dispatch by operator"},
		{"supervisor", publishAlert, "alert by supervisor"},
		{"field:E1", moveE1, "status E1 returning by field:E1"},
		{"operator", moveE2, "status E2 out_of_service by operator"},
		{"risk", addFinding, "finding by risk"},
		{"supervisor", ackEscalation, "ack by supervisor"},
		{"admin", createKey, "key mall panels by admin"},
		{"admin", importSF, "import sf-calls"},
		{"flk_panels", postPanel, "alarm iot FAP-CHEM-1:EV-1"},
		{"gateway", postOtherPanel, "alarm iot FAP-MALL-1:EV-2"},
		{"admin", registerDevice, "create UITD-2 by admin"},
	} {
		s, f := newRoleServer(t)
		status, detail := send(t, s, tt.who, tt.c)
		if len(f.writes) != 1 || f.writes[0] != tt.wrote {
			t.Errorf("%s %s: %d %q wrote %v, want %q", tt.who, tt.c.name, status, detail, f.writes, tt.wrote)
		}
	}
}

// samplePath fills a table row's path parameters with values the role store knows.
func samplePath(p string) string {
	return strings.NewReplacer("{identifier}", "LC119-7-x", "{id}", "7", "{name}", "E1.webm", "{stream}", "E1", "{session}", "s1", "{agency}", "police",
		"{eid}", "1", "{type}", "structure_fire", "{level}", "1", "{premise_id}", "P-HOSP").Replace(p)
}

// changes reports whether a route changes state: every method but the reads.
func changes(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// TestRiskChangesNothingButFindings: a risk officer is refused every state-changing route in
// the access table except the findings of a review, and writes nothing. Playing an incident's
// video (a WHEP session of their own) changes nothing of the incident: risk officers watch as the
// console does. Nor does ending their own sessions or changing their own password.
func TestRiskChangesNothingButFindings(t *testing.T) {
	allowed := map[string]bool{
		"POST /api/v1/auth/logout":                                true,
		"POST /api/v1/auth/logout-all":                            true,
		"POST /api/v1/auth/password":                              true,
		"POST /api/v1/incidents/{id}/findings":                    true,
		"POST /api/v1/media/incidents/{id}/streams/{stream}/whep": true,
		"PATCH /api/v1/media/incidents/{id}/whep/{session}":       true,
		"DELETE /api/v1/media/incidents/{id}/whep/{session}":      true,
	}
	n := 0
	for _, row := range accessTable {
		key := row.Method + " " + row.Path
		if !changes(row.Method) || row.Who.kind == kindPublic || allowed[key] {
			continue
		}
		n++
		s, f := newRoleServer(t)
		if status, detail := send(t, s, "risk", roleCall{key, row.Method, samplePath(row.Path), "{}"}); status != http.StatusForbidden || len(f.writes) != 0 {
			t.Errorf("risk %s: %d %q, wrote %v; want 403 and nothing written", key, status, detail, f.writes)
		}
	}
	t.Logf("%d state-changing routes refused", n)
}

// TestGatewayReachesOnlyIntake: the gateway role (a demo login or any API key) is refused every
// route but the device sources' intake and who it is.
func TestGatewayReachesOnlyIntake(t *testing.T) {
	intakeRoutes := map[string]bool{
		"POST /api/v1/alarms/iot": true, "POST /api/v1/alarms/lamppost": true, "POST /api/v1/alarms/public": true,
		"POST /api/v1/warnings": true, "GET /api/v1/auth/me": true,
	}
	for _, token := range []string{"gateway", "flk_panels"} {
		for _, row := range accessTable {
			key := row.Method + " " + row.Path
			if row.Who.kind == kindPublic || intakeRoutes[key] {
				continue
			}
			s, f := newRoleServer(t)
			if status, detail := send(t, s, token, roleCall{key, row.Method, samplePath(row.Path), "{}"}); status != http.StatusForbidden || len(f.writes) != 0 {
				t.Errorf("%s %s: %d %q, wrote %v; want 403 and nothing written", token, key, status, detail, f.writes)
			}
		}
	}
}
