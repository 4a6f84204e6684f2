package api

import (
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

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
)

// intakeStore keeps what the intake endpoints store, in memory.
// Authenticate knows nobody: every guess is wrong.
func (f *intakeStore) Authenticate(context.Context, string, string) (fireline.User, error) {
	return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "wrong username or password")
}

type intakeStore struct {
	*fakeStore
	alarms   []fireline.Alarm
	warnings []fireline.Warning
	related  int64 // the incident a reset is related to
}

func (f *intakeStore) ReceiveAlarm(_ context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	if len(rule.Cells) == 0 || a.Cell == "" {
		return fireline.AlarmReceipt{}, fmt.Errorf("alarm without cells")
	}
	for _, o := range f.alarms {
		if o.Source == a.Source && o.SourceID == a.SourceID {
			return fireline.AlarmReceipt{Alarm: o, IncidentID: o.IncidentID, Repeat: true, RecordedOnly: !o.Kind.OpensIncident()}, nil
		}
	}
	a.ID = int64(len(f.alarms) + 1)
	rc := fireline.AlarmReceipt{Alarm: a, RecordedOnly: !a.Kind.OpensIncident()}
	if !rc.RecordedOnly {
		a.IncidentID, rc.IncidentID = 100+a.ID, 100+a.ID
		rc.Alarm = a
	}
	if a.Kind == fireline.KindReset {
		rc.RelatedIncidentID = f.related
	}
	f.alarms = append(f.alarms, a)
	return rc, nil
}

func (f *intakeStore) ConfirmAlarm(_ context.Context, id int64, actor string, at time.Time) (fireline.Alarm, error) {
	for i, a := range f.alarms {
		if a.ID != id {
			continue
		}
		if !a.Unverified {
			return fireline.Alarm{}, fireline.Errorf(fireline.ECONFLICT, "alarm %d is no unverified report", id)
		}
		a.Unverified, a.ConfirmedBy, a.ConfirmedAt = false, actor, &at
		f.alarms[i] = a
		return a, nil
	}
	return fireline.Alarm{}, fireline.Errorf(fireline.ENOTFOUND, "alarm %d does not exist", id)
}

func (f *intakeStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	if id < 100 {
		return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	return fireline.Incident{ID: id}, nil
}

func (f *intakeStore) IncidentAlarms(_ context.Context, id int64) ([]fireline.Alarm, error) {
	var out []fireline.Alarm
	for _, a := range f.alarms {
		if a.IncidentID == id {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *intakeStore) ReceiveWarning(_ context.Context, w fireline.Warning, raw []byte) (fireline.WarningReceipt, error) {
	if len(raw) == 0 {
		return fireline.WarningReceipt{}, fmt.Errorf("no raw XML")
	}
	w.ID = int64(len(f.warnings) + 1)
	f.warnings = append(f.warnings, w)
	return fireline.WarningReceipt{Warning: w}, nil
}

func (f *intakeStore) Warnings(_ context.Context, wf fireline.WarningFilter) ([]fireline.Warning, error) {
	var out []fireline.Warning
	for _, w := range f.warnings {
		if wf.ActiveAt.IsZero() || w.InForce(wf.ActiveAt) {
			out = append(out, w)
		}
	}
	return out, nil
}

func (f *intakeStore) Readiness(_ context.Context, at time.Time) ([]fireline.WarningCell, error) {
	var out []fireline.WarningCell
	for _, w := range f.warnings {
		if w.Active(at) {
			out = append(out, w.Cells...)
		}
	}
	return out, nil
}

// intakeIncidents records what the intake hands to workflows.
type intakeIncidents struct {
	Incidents
	received []int64
	recorded []int64
	finished bool
}

func (f *intakeIncidents) AlarmReceived(_ context.Context, id int64, _, _ fireline.Alarm) error {
	f.received = append(f.received, id)
	return nil
}

func (f *intakeIncidents) AlarmRecorded(_ context.Context, id int64, _ fireline.Alarm) error {
	if f.finished {
		return fireline.Errorf(fireline.ECONFLICT, "incident %d has finished", id)
	}
	f.recorded = append(f.recorded, id)
	return nil
}

type gridLocator struct{}

func (gridLocator) Cell(p fireline.Point) (string, error) {
	c, err := geo.CellOf(p, geo.Resolution)
	return c.String(), err
}

func (gridLocator) Neighbours(p fireline.Point, k int) ([]string, error) {
	return geo.NeighbourCells(p, k)
}

// registry is the panel and pole registry of the API tests.
type registry struct{}

func (registry) Device(_ context.Context, id string) (fireline.Device, error) {
	if id == "FAP-1" {
		return fireline.Device{ID: id, PremiseID: "P-1", Building: "Tower", Point: fireline.Point{Lat: 36.45, Lng: 115.98}}, nil
	}
	return fireline.Device{}, fireline.Errorf(fireline.ENOTFOUND, "no device %s", id)
}

func (registry) Pole(_ context.Context, id string) (fireline.Pole, error) {
	if id == "LP-1" {
		return fireline.Pole{ID: id, Point: fireline.Point{Lat: 36.46, Lng: 115.97}, Address: "Main St"}, nil
	}
	return fireline.Pole{}, fireline.Errorf(fireline.ENOTFOUND, "no pole %s", id)
}

func (registry) Premise(_ context.Context, id string) (fireline.Premise, error) {
	if id == "P-1" {
		return fireline.Premise{ID: id, Name: "Tower", Hazards: []string{"e-bike charging"}, Point: fireline.Point{Lat: 36.45, Lng: 115.98}}, nil
	}
	return fireline.Premise{}, fireline.Errorf(fireline.ENOTFOUND, "no premises %s", id)
}

type area struct{}

func (area) ServiceArea(context.Context) (*geo.Area, error) {
	c, _ := geo.CellOf(fireline.Point{Lat: 36.456, Lng: 115.985}, 7)
	cells, _ := geo.Disk(c, 6)
	return geo.NewArea(cells)
}

func newIntakeServer(t *testing.T) (*Server, *intakeStore, *intakeIncidents) {
	t.Helper()
	st := &intakeStore{fakeStore: &fakeStore{}}
	inc := &intakeIncidents{}
	desk := intake.NewDesk(intake.New(registry{}, area{}, func() time.Time { return now }), st, st, inc, intake.DefaultDeskConfig(),
		slog.New(slog.DiscardHandler))
	s := New(DefaultConfig(), Deps{Store: st, Incidents: inc, Locator: gridLocator{}, Intake: desk, Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, st, inc
}

// post sends body with the content type and answers the status and decoded JSON.
func post(t *testing.T, s *Server, token, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("POST %s: body %q: %v", path, w.Body, err)
	}
	if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST %s: %d as %s", path, w.Code, w.Header().Get("Content-Type"))
	}
	return w.Code, out
}

const (
	callBody   = `{"call_id":"119-1","line":"119","type":"structure_fire","lat":36.456,"lng":115.985,"caller_name":"Wang"}`
	iotBody    = `{"event_id":"E1","device_id":"FAP-1","kind":"fire_alarm","floor":"3","time":"2026-11-22T08:59:00Z"}`
	pressBody  = `{"pole_id":"LP-1","press_id":"7","time":"2026-11-22T08:59:00Z"}`
	publicBody = `{"report_id":"sms-1","channel":"sms","text":"smoke","lat":36.47,"lng":115.99,"time":"2026-11-22T08:59:00Z"}`
	capBody    = `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>W-1</identifier><sender>met@example.cn</sender>
<sent>2026-11-22T16:50:00+08:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><category>Met</category><event>Rainstorm</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
<expires>2026-11-22T22:00:00+08:00</expires><area><areaDesc>City</areaDesc><circle>36.456,115.985 5</circle></area></info></alert>`
)

func TestIntakeEndpoints(t *testing.T) {
	const js, capXML = "application/json", "application/cap+xml"
	tests := []struct {
		name, token, path, contentType, body string
		code                                 int
		detail                               string
	}{
		{"call", "operator", "/api/v1/alarms/call", js, callBody, 202, ""},
		{"panel fire alarm by its gateway", "gateway", "/api/v1/alarms/iot", js, iotBody, 202, ""},
		{"lamp post by its gateway", "gateway", "/api/v1/alarms/lamppost", js, pressBody, 202, ""},
		{"public report by its gateway", "gateway", "/api/v1/alarms/public", js, publicBody, 202, ""},
		{"public report keyed in by a supervisor", "supervisor", "/api/v1/alarms/public", js, strings.Replace(publicBody, "sms-1", "sms-2", 1), 202, ""},
		{"CAP warning by its feed", "gateway", "/api/v1/warnings", capXML + "; charset=utf-8", capBody, 202, ""},

		{"a gateway takes no calls", "gateway", "/api/v1/alarms/call", js, callBody, 403, "role gateway may not"},
		{"a gateway posts no generic alarms", "gateway", "/api/v1/alarms", js, `{}`, 403, "role gateway"},
		{"crews post no alarms", "field:E-1", "/api/v1/alarms/iot", js, iotBody, 403, "role field"},
		{"risk officers post no warnings", "risk", "/api/v1/warnings", capXML, capBody, 403, "role risk"},
		{"form-encoded", "gateway", "/api/v1/alarms/iot", "application/x-www-form-urlencoded", "event_id=E1", 415, "Content-Type must be application/json"},
		{"no content type", "gateway", "/api/v1/alarms/lamppost", "", pressBody, 415, "Content-Type"},
		{"CAP as JSON", "gateway", "/api/v1/warnings", js, capBody, 415, "Content-Type must be application/cap+xml"},
		{"CAP as plain XML", "gateway", "/api/v1/warnings", "application/xml", capBody, 415, "application/cap+xml"},
		{"CAP in Latin-1", "gateway", "/api/v1/warnings", capXML + "; charset=iso-8859-1", capBody, 415, "charset must be utf-8"},
		{"oversized JSON", "gateway", "/api/v1/alarms/public", js, `{"text":"` + strings.Repeat("x", intake.MaxJSONBytes) + `"}`, 413, "larger than 65536 bytes"},
		{"oversized CAP", "gateway", "/api/v1/warnings", capXML, capBody + "<!--" + strings.Repeat("x", intake.MaxCAPBytes) + "-->", 413, "larger than 2097152 bytes"},
		{"malformed JSON", "gateway", "/api/v1/alarms/iot", js, `{"event_id":`, 400, "truncated"},
		{"unknown device", "gateway", "/api/v1/alarms/iot", js, strings.Replace(iotBody, "FAP-1", "FAP-9", 1), 400, `device_id: "FAP-9" is not registered`},
		{"unknown pole", "gateway", "/api/v1/alarms/lamppost", js, strings.Replace(pressBody, "LP-1", "LP-9", 1), 400, `pole_id: "LP-9"`},
		{"hostile report", "gateway", "/api/v1/alarms/public", js, strings.Replace(publicBody, "smoke", `smoke\u0000`, 1), 400, "text: control character U+0000"},
		{"absurd position", "operator", "/api/v1/alarms/call", js, strings.Replace(callBody, "36.456", "360", 1), 400, "lat 360 is outside"},
		{"CAP with a DOCTYPE", "gateway", "/api/v1/warnings", capXML, `<!DOCTYPE alert [<!ENTITY a "aaaa">]>` + capBody, 400, "DOCTYPE"},
		{"CAP without identifier", "gateway", "/api/v1/warnings", capXML, strings.Replace(capBody, "<identifier>W-1</identifier>", "", 1), 400, "identifier: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, inc := newIntakeServer(t)
			code, body := post(t, s, tt.token, tt.path, tt.contentType, tt.body)
			if code != tt.code || (tt.detail != "" && !strings.Contains(fmt.Sprint(body["detail"]), tt.detail)) {
				t.Fatalf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
			if code >= 400 {
				if len(st.alarms)+len(st.warnings)+len(inc.received) != 0 {
					t.Fatalf("a refused request stored or signalled something: %+v %+v %+v", st.alarms, st.warnings, inc.received)
				}
				if !strings.HasPrefix(fmt.Sprint(body["type"]), "urn:fireline:problem:") || body["status"] != float64(code) {
					t.Fatalf("problem %v", body)
				}
				return
			}
			if strings.HasSuffix(tt.path, "/warnings") {
				if body["warning_id"] != 1.0 || body["in_service_area"] != true || body["cells"].(float64) < 5 || body["readiness"] != 2.0 {
					t.Fatalf("warning receipt %v", body)
				}
				return
			}
			if body["alarm_id"] != 1.0 || body["incident_id"] != 101.0 || body["merged"] != false || body["recorded_only"] != false ||
				!slices.Equal(inc.received, []int64{101}) {
				t.Fatalf("receipt %v, workflows told of %v", body, inc.received)
			}
		})
	}
}

// TestCAPAcceptsTwoMiB: a real-world alert runs to hundreds of kilobytes; the API takes up to
// 2 MiB.
func TestCAPAcceptsTwoMiB(t *testing.T) {
	s, st, _ := newIntakeServer(t)
	body := strings.Replace(capBody, "<scope>", "<!--"+strings.Repeat("x", intake.MaxCAPBytes-len(capBody)-7)+"--><scope>", 1)
	if len(body) != intake.MaxCAPBytes {
		t.Fatalf("body of %d bytes", len(body))
	}
	if code, out := post(t, s, "gateway", "/api/v1/warnings", "application/cap+xml", body); code != 202 || len(st.warnings) != 1 {
		t.Fatalf("%d %v", code, out)
	}
}

func TestPanelEventsRecordedOnly(t *testing.T) {
	s, st, inc := newIntakeServer(t)
	fault := strings.Replace(iotBody, "fire_alarm", "fault", 1)
	code, body := post(t, s, "gateway", "/api/v1/alarms/iot", "application/json", fault)
	if code != 202 || body["recorded_only"] != true || body["incident_id"] != 0.0 || len(inc.received)+len(inc.recorded) != 0 {
		t.Fatalf("fault: %d %v, workflows %+v", code, body, inc)
	}
	st.related = 42
	reset := strings.Replace(strings.Replace(iotBody, "fire_alarm", "reset", 1), "E1", "E2", 1)
	code, body = post(t, s, "gateway", "/api/v1/alarms/iot", "application/json", reset)
	if code != 202 || body["recorded_only"] != true || body["related_incident_id"] != 42.0 || !slices.Equal(inc.recorded, []int64{42}) {
		t.Fatalf("reset: %d %v, recorded %v", code, body, inc.recorded)
	}
	inc.finished = true
	code, body = post(t, s, "gateway", "/api/v1/alarms/iot", "application/json", strings.Replace(reset, "E2", "E3", 1))
	if code != 202 || body["related_incident_id"] != 42.0 {
		t.Fatalf("reset for a finished incident: %d %v", code, body)
	}
	if a := st.alarms[0]; a.Kind != fireline.KindFault || a.DeviceID != "FAP-1" || a.PremiseID != "P-1" || a.Details.Floor != "3" ||
		!slices.Equal(a.Details.Hazards, []string{"e-bike charging"}) || a.Cell == "" {
		t.Errorf("stored fault %+v", a)
	}
}

func TestConfirmPublicReport(t *testing.T) {
	s, st, _ := newIntakeServer(t)
	post(t, s, "gateway", "/api/v1/alarms/public", "application/json", publicBody)
	post(t, s, "operator", "/api/v1/alarms/call", "application/json", callBody)
	if !st.alarms[0].Unverified {
		t.Fatalf("public report stored verified: %+v", st.alarms[0])
	}
	code, body := call(t, s, "gateway", "GET", "/api/v1/incidents/101/alarms", "")
	if code != 403 {
		t.Fatalf("a gateway read an incident's alarms: %d %v", code, body)
	}
	code, body = call(t, s, "risk", "GET", "/api/v1/incidents/101/alarms", "")
	if alarms, _ := body["alarms"].([]any); code != 200 || len(alarms) != 1 || alarms[0].(map[string]any)["unverified"] != true {
		t.Fatalf("incident's alarms: %d %v", code, body)
	}
	for _, tt := range []struct {
		token, id string
		code      int
		detail    string
	}{
		{"gateway", "1", 403, "role gateway"},
		{"risk", "1", 403, "role risk"},
		{"operator", "x", 400, `alarm id "x"`},
		{"operator", "9", 404, "alarm 9"},
		{"operator", "2", 409, "no unverified report"},
		{"operator", "1", 200, ""},
	} {
		code, body := call(t, s, tt.token, "POST", "/api/v1/alarms/"+tt.id+"/confirm", "")
		if code != tt.code || (tt.detail != "" && !strings.Contains(fmt.Sprint(body["detail"]), tt.detail)) {
			t.Errorf("%s confirming %s: %d %v, want %d", tt.token, tt.id, code, body, tt.code)
		}
		if code == 200 && (body["confirmed_by"] != "operator" || body["unverified"] != nil) {
			t.Errorf("confirmed: %v", body)
		}
	}
}

func TestWarningsAndReadiness(t *testing.T) {
	s, _, _ := newIntakeServer(t)
	post(t, s, "gateway", "/api/v1/warnings", "application/cap+xml", capBody)
	code, body := call(t, s, "operator", "GET", "/api/v1/warnings?active=true", "")
	if ws, _ := body["warnings"].([]any); code != 200 || len(ws) != 1 {
		t.Fatalf("active warnings: %d %v", code, body)
	}
	code, body = call(t, s, "risk", "GET", "/api/v1/readiness?shapes=true", "")
	cells, _ := body["cells"].([]any)
	if code != 200 || len(cells) < 5 {
		t.Fatalf("readiness: %d %v", code, body)
	}
	if c := cells[0].(map[string]any); c["readiness"] != 2.0 || len(c["boundary"].([]any)) < 6 {
		t.Errorf("cell %v", c)
	}
	if code, _ := call(t, s, "gateway", "GET", "/api/v1/warnings", ""); code != 403 {
		t.Errorf("a gateway read warnings: %d", code)
	}
	if code, _ := call(t, s, "operator", "GET", "/api/v1/readiness?shapes=maybe", ""); code != 400 {
		t.Errorf("bad shapes flag: %d", code)
	}
	s.now = func() time.Time { return now.Add(24 * time.Hour) }
	if _, body := call(t, s, "operator", "GET", "/api/v1/warnings?active=true", ""); len(body["warnings"].([]any)) != 0 {
		t.Errorf("expired warning still active: %v", body)
	}
}

// TestOpenAPI: the document is OpenAPI 3.1, served without sign-in, and lists every intake
// route chi serves (and the review's search, findings and unit histories), and nothing chi
// does not.
func TestOpenAPI(t *testing.T) {
	s, _, _ := newIntakeServer(t)
	r := httptest.NewRequest("GET", "/api/v1/openapi.json", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); w.Code != 200 || err != nil {
		t.Fatalf("%d %v", w.Code, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v", doc.OpenAPI, doc.Servers)
	}
	intakeRoute := func(route string) bool {
		return strings.HasPrefix(route, "/alarms") || route == "/warnings" || route == "/readiness" ||
			route == "/incidents/{id}/alarms" || route == "/openapi.json" || route == "/auth/login" ||
			strings.HasPrefix(route, "/media/") || strings.HasPrefix(route, "/admin/api-keys") ||
			route == "/incidents" || route == "/incidents/{id}/findings" || route == "/units/{id}/history" ||
			strings.HasPrefix(route, "/auth/logout") || route == "/auth/password" || strings.HasPrefix(route, "/admin/users") ||
			strings.HasPrefix(route, "/audit") ||
			route == "/analytics/intervals" || route == "/risk/cells" || route == "/incidents/{id}/eido" ||
			route == "/admin/imports" ||
			route == "/incidents/{id}/alerts" || strings.HasPrefix(route, "/alerts/") ||
			strings.HasPrefix(route, "/buildings") || strings.HasPrefix(route, "/admin/devices") || route == "/admin/unregistered-devices"
	}
	served := map[string]bool{}
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route, ok := strings.CutPrefix(route, "/api/v1")
		route = strings.TrimSuffix(route, "/") // a subrouter's own root
		if !ok || !intakeRoute(route) {
			return nil
		}
		served[strings.ToLower(method)+" "+route] = true
		if _, ok := doc.Paths[route][strings.ToLower(method)]; !ok {
			t.Errorf("%s %s is served but not in the OpenAPI document", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) < 11 {
		t.Errorf("only %d intake routes found: %v", len(served), served)
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" { // a path's own, shared by its operations
				continue
			}
			if !served[method+" "+path] {
				t.Errorf("the document lists %s %s, which is not served", method, path)
			}
			var o struct {
				Responses   map[string]json.RawMessage `json:"responses"`
				RequestBody json.RawMessage            `json:"requestBody"`
			}
			if err := json.Unmarshal(op, &o); err != nil || len(o.Responses) == 0 {
				t.Errorf("%s %s: no responses (%v)", method, path, err)
			}
			// What takes a body documents the answers to a bad one.
			if method == "post" && o.RequestBody != nil && path != "/auth/login" && path != "/alarms/{id}/confirm" {
				for _, code := range []string{"400", "401", "403", "413", "415"} {
					if _, ok := o.Responses[code]; !ok {
						t.Errorf("%s %s: no %s answer documented", method, path, code)
					}
				}
			}
		}
	}
	if !strings.Contains(w.Body.String(), "2 MiB") || !strings.Contains(w.Body.String(), `"maxLength": 2097152`) {
		t.Error("the CAP limit of 2 MiB is not documented")
	}
}
