package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// recordStore answers incident 7 as PostgreSQL's projection holds it: everything the console
// shows, in one record.
type recordStore struct {
	*lifecycleStore
	record fireline.Incident
}

func (f *recordStore) Incident(ctx context.Context, id int64) (fireline.Incident, error) {
	if id == f.record.ID {
		return f.record, nil
	}
	return f.lifecycleStore.Incident(ctx, id)
}

func newRecordServer(t *testing.T) (*Server, *recordStore, *orders) {
	t.Helper()
	s, st, o := newLifecycleServer(t)
	assessed, due := now.Add(-9*time.Minute), now.Add(-time.Minute)
	rs := &recordStore{lifecycleStore: st, record: fireline.Incident{
		ID: 7, Type: fireline.TypeStructureFire, Level: 2, Status: fireline.IncidentActive, Priority: 2, CreatedAt: now.Add(-10 * time.Minute),
		Recommendation: []fireline.Recommendation{{UnitID: "E-1", Type: fireline.UnitEngine, ETASeconds: 120}},
		Alternates:     []fireline.Recommendation{{UnitID: "E-3", Type: fireline.UnitEngine, ETASeconds: 300}},
		Short:          []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 1}},
		Replacements:   []fireline.Recommendation{{UnitID: "E-4", Type: fireline.UnitEngine, Replaces: "E-1"}},
		Assignments:    []fireline.Assignment{{UnitID: "E-1", Type: fireline.UnitEngine, Status: fireline.UnitDispatched, DispatchedAt: assessed}},
		AssessedAt:     &assessed, AssessedBy: "operator", PARDueAt: &due,
		AgencyTasks: []fireline.AgencyTask{{IncidentID: 7, Agency: fireline.AgencyPolice, Task: "cordon", Status: fireline.TaskRequested}},
		Escalations: []fireline.Escalation{{ID: 1, IncidentID: 7, Key: "escalation:ack:E-1:1", Timer: fireline.TimerAcknowledge}},
		UpdatedAt:   now.Add(-30 * time.Second),
	}}
	s.store = rs
	return s, rs, o
}

// TestIncidentIsTheRecord: GET /incidents/{id} answers the stored record as it is, with the
// keys the console reads, and needs nothing from the workflow engine.
func TestIncidentIsTheRecord(t *testing.T) {
	s, rs, o := newRecordServer(t)
	o.down = fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering; try again")
	r := httptest.NewRequest("GET", "/api/v1/incidents/7", nil)
	r.Header.Set("Authorization", "Bearer operator")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	want, err := json.Marshal(rs.record)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(w.Body.String()); got != string(want) {
		t.Errorf("answered\n%s\nwant the record\n%s", got, want)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"alternates", "short", "replacements", "assessed_at", "assessed_by", "par_due_at",
		"agency_tasks", "escalations", "recommendation", "assigned_units", "updated_at"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("no %q in %s", k, w.Body)
		}
	}
}

// TestOrdersWithTheEngineDown: an order is refused with a 503 that says what still works, at
// once and without reaching the workflow; the incident still reads.
func TestOrdersWithTheEngineDown(t *testing.T) {
	s, _, o := newRecordServer(t)
	o.down = fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering; try again")
	for _, tt := range []struct{ path, body string }{
		{"/api/v1/incidents/7/assess", `{"type":"structure_fire","level":2,"priority":1}`},
		{"/api/v1/incidents/7/dispatch", `{"unit_ids":["E-2"]}`},
		{"/api/v1/incidents/7/close", `{}`},
		{"/api/v1/incidents/7/cancel", `{"reason":"false alarm"}`},
		{"/api/v1/incidents/7/controlled", ``},
		{"/api/v1/incidents/7/agency-tasks/police", `{"status":"done"}`},
	} {
		code, body := call(t, s, "operator", "POST", tt.path, tt.body)
		if code != http.StatusServiceUnavailable || !strings.Contains(body["detail"].(string), "workflow engine is not answering") ||
			body["code"] != fireline.EUNAVAILABLE {
			t.Errorf("%s: %d %v, want 503 saying the workflow engine is not answering", tt.path, code, body)
		}
	}
	if len(o.sent) != 0 {
		t.Errorf("orders reached the workflow: %+v", o.sent)
	}
	if code, body := call(t, s, "risk", "GET", "/api/v1/incidents/7", ""); code != http.StatusOK || body["assessed_by"] != "operator" {
		t.Errorf("read with the engine down: %d %v", code, body)
	}
}

// TestDispatchChecksTheOrder: the dispatch order's own rule answers before PostgreSQL is asked.
func TestDispatchChecksTheOrder(t *testing.T) {
	s, _, _ := newRecordServer(t)
	for _, tt := range []struct{ body, detail string }{
		{`{"unit_ids":[]}`, "unit_ids: name at least one unit"},
		{`{"unit_ids":["E-2","E-2"]}`, "unit_ids: E-2 is listed twice"},
	} {
		code, body := call(t, s, "operator", "POST", "/api/v1/incidents/7/dispatch", tt.body)
		if code != http.StatusBadRequest || body["detail"] != tt.detail {
			t.Errorf("%s: %d %v, want 400 %q", tt.body, code, body, tt.detail)
		}
	}
	code, body := call(t, s, "operator", "POST", "/api/v1/incidents/7/close", `{"reason":"`+strings.Repeat("x", 2000)+`"}`)
	if code != http.StatusBadRequest || body["detail"] != "reason: longer than 1024 bytes" {
		t.Errorf("close with a long reason: %d %v", code, body)
	}
}

// staleOrders is the workflow refusing a dispatch of a recommendation gone stale, as it does
// once it has recommended afresh.
type staleOrders struct {
	*orders
	dispatched []fireline.DispatchOrder
}

func (o *staleOrders) Dispatch(_ context.Context, _ int64, req fireline.DispatchOrder) error {
	o.dispatched = append(o.dispatched, req)
	return fireline.Errorf(fireline.ECONFLICT, "unit E-5 is committed to incident 8; the incident has been recommended afresh: [E-2]")
}

// TestDispatchOfAStaleRecommendation: a unit another incident has taken is refused at once,
// unless the incident's own recommendation holds it: then the order goes on to the workflow,
// which refuses it too but recommends afresh first, and its answer is the operator's.
func TestDispatchOfAStaleRecommendation(t *testing.T) {
	s, rs, o := newRecordServer(t)
	rs.units["E-5"] = fireline.Unit{ID: "E-5", Type: fireline.UnitEngine, Status: fireline.UnitDispatched, IncidentID: 8}
	rs.units["E-6"] = fireline.Unit{ID: "E-6", Type: fireline.UnitEngine, Status: fireline.UnitDispatched, IncidentID: 8}
	rs.record.Recommendation = []fireline.Recommendation{{UnitID: "E-5", Type: fireline.UnitEngine}}
	so := &staleOrders{orders: o}
	s.incidents = so

	code, body := call(t, s, "operator", "POST", "/api/v1/incidents/7/dispatch", `{"unit_ids":["E-6"]}`)
	if code != http.StatusConflict || body["detail"] != "unit E-6 is committed to incident 8" || len(so.dispatched) != 0 {
		t.Errorf("a unit the recommendation does not hold: %d %v (%d orders sent), want 409 at once", code, body, len(so.dispatched))
	}
	code, body = call(t, s, "operator", "POST", "/api/v1/incidents/7/dispatch", `{"unit_ids":["E-5"]}`)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["detail"]), "recommended afresh: [E-2]") || len(so.dispatched) != 1 {
		t.Errorf("the stale recommendation: %d %v (%d orders sent), want the workflow's 409", code, body, len(so.dispatched))
	}
}
