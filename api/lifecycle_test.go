package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// lifecycleStore holds incidents 7 (open) and 8 (closed) and an escalation queue.
type lifecycleStore struct {
	*fakeStore
	escalations []fireline.Escalation
}

func (f *lifecycleStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	switch id {
	case 7:
		return fireline.Incident{ID: 7, Status: fireline.IncidentActive, Type: fireline.TypeStructureFire, Level: 1}, nil
	case 8:
		return fireline.Incident{ID: 8, Status: fireline.IncidentReviewed}, nil
	case 9:
		return fireline.Incident{ID: 9, Status: fireline.IncidentAssessing}, nil
	}
	return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
}

func (f *lifecycleStore) AgencyTasks(context.Context, int64) ([]fireline.AgencyTask, error) {
	return []fireline.AgencyTask{{IncidentID: 7, Agency: fireline.AgencyPolice, Task: "cordon", Status: fireline.TaskRequested}}, nil
}

func (f *lifecycleStore) IncidentAlarms(_ context.Context, id int64) ([]fireline.Alarm, error) {
	return []fireline.Alarm{{ID: 70, IncidentID: id, Source: fireline.SourceCall}, {ID: 71, IncidentID: id, Source: fireline.SourceLampPost}}, nil
}

func (f *lifecycleStore) Escalations(_ context.Context, ef fireline.EscalationFilter) ([]fireline.Escalation, error) {
	var out []fireline.Escalation
	for _, e := range f.escalations {
		if (!ef.OpenOnly || e.AckedAt == nil) && (ef.IncidentID == 0 || e.IncidentID == ef.IncidentID) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *lifecycleStore) AckEscalation(_ context.Context, id int64, actor string, at time.Time) (fireline.Escalation, error) {
	for i := range f.escalations {
		if e := &f.escalations[i]; e.ID == id {
			if e.AckedAt != nil {
				return fireline.Escalation{}, fireline.Errorf(fireline.ECONFLICT, "escalation %d was taken by %s", id, e.AckedBy)
			}
			e.AckedBy, e.AckedAt = actor, &at
			return *e, nil
		}
	}
	return fireline.Escalation{}, fireline.Errorf(fireline.ENOTFOUND, "escalation %d does not exist", id)
}

// orders records the orders sent to incident workflows.
type orders struct {
	*fakeIncidents
	sent []any
}

func (o *orders) Assess(_ context.Context, _ int64, req fireline.AssessOrder) error {
	o.sent = append(o.sent, req)
	return nil
}

func (o *orders) Controlled(_ context.Context, _ int64, req fireline.StageOrder) error {
	o.sent = append(o.sent, req)
	return nil
}

func (o *orders) ConfirmPAR(_ context.Context, _ int64, req fireline.StageOrder) error {
	o.sent = append(o.sent, req)
	return fireline.Errorf(fireline.ECONFLICT, "no PAR is due on incident 7")
}

func (o *orders) Cancel(_ context.Context, _ int64, req fireline.CancelOrder) error {
	o.sent = append(o.sent, req)
	return nil
}

func (o *orders) MergeInto(_ context.Context, _ int64, req fireline.MergeOrder) error {
	o.sent = append(o.sent, req)
	return nil
}

func (o *orders) SplitAlarm(_ context.Context, _ int64, req fireline.SplitOrder) (int64, error) {
	o.sent = append(o.sent, req)
	return 9, nil
}

func (o *orders) AgencyTask(_ context.Context, _ int64, req fireline.AgencyTaskOrder) (fireline.AgencyTask, error) {
	o.sent = append(o.sent, req)
	return fireline.AgencyTask{IncidentID: 7, Agency: req.Agency, Status: req.Status, Note: req.Note}, nil
}

func newLifecycleServer(t *testing.T) (*Server, *lifecycleStore, *orders) {
	t.Helper()
	base, units, inc := newTestServer(t)
	st := &lifecycleStore{fakeStore: units, escalations: []fireline.Escalation{
		{ID: 1, IncidentID: 7, Key: "escalation:ack:E-1:1", Timer: fireline.TimerAcknowledge, UnitID: "E-1", Detail: "E-1 did not acknowledge", RaisedAt: now},
		{ID: 2, IncidentID: 9, Key: "escalation:assessment", Timer: fireline.TimerAssessment, Detail: "not assessed", RaisedAt: now},
	}}
	o := &orders{fakeIncidents: inc}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: o, Locator: fakeLocator{}, Logger: slog.New(slog.DiscardHandler)})
	s.now = base.now
	return s, st, o
}

func TestLifecycleOrders(t *testing.T) {
	s, _, o := newLifecycleServer(t)
	tests := []struct {
		name, token, path, body string
		code                    int
		detail                  string
	}{
		{"assess", "operator", "/api/v1/incidents/7/assess", `{"type":"high_rise_fire","level":3,"priority":1}`, 200, ""},
		{"assess: malformed type", "operator", "/api/v1/incidents/7/assess", `{"type":"Meteor!","level":3,"priority":1}`, 400, "type:"},
		{"assess: level 6", "operator", "/api/v1/incidents/7/assess", `{"type":"hazmat","level":6,"priority":1}`, 400, "level:"},
		{"assess: no priority", "operator", "/api/v1/incidents/7/assess", `{"type":"hazmat","level":2}`, 400, "priority:"},
		{"assess: risk reads only", "risk", "/api/v1/incidents/7/assess", `{"type":"hazmat","level":2,"priority":2}`, 403, "may not"},
		{"assess: unknown incident", "operator", "/api/v1/incidents/99/assess", `{"type":"hazmat","level":2,"priority":2}`, 404, "99"},
		{"controlled", "supervisor", "/api/v1/incidents/7/controlled", ``, 200, ""},
		{"PAR not due", "operator", "/api/v1/incidents/7/par", `{}`, 409, "no PAR is due"},
		{"cancel", "operator", "/api/v1/incidents/7/cancel", `{"reason":"false alarm: cooking smoke"}`, 200, ""},
		{"cancel: no reason", "operator", "/api/v1/incidents/7/cancel", `{"reason":"  "}`, 400, "reason:"},
		{"cancel: a crew may not", "field:E-1", "/api/v1/incidents/7/cancel", `{"reason":"x"}`, 403, "may not"},
		{"merge", "operator", "/api/v1/incidents/9/merge", `{"into":7}`, 200, ""},
		{"merge into itself", "operator", "/api/v1/incidents/7/merge", `{"into":7}`, 400, "itself"},
		{"merge into a closed incident", "operator", "/api/v1/incidents/9/merge", `{"into":8}`, 409, "open incident"},
		{"merge into nothing", "operator", "/api/v1/incidents/9/merge", `{"into":0}`, 400, "into:"},
		{"split", "operator", "/api/v1/incidents/7/split", `{"alarm_id":71}`, 201, ""},
		{"split: no alarm", "operator", "/api/v1/incidents/7/split", `{}`, 400, "alarm_id:"},
		{"agency task done", "operator", "/api/v1/incidents/7/agency-tasks/police", `{"status":"done","note":"road closed"}`, 200, ""},
		{"agency task: unknown agency", "operator", "/api/v1/incidents/7/agency-tasks/army", `{"status":"done"}`, 404, "army"},
		{"agency task: back to requested", "operator", "/api/v1/incidents/7/agency-tasks/police", `{"status":"requested"}`, 400, "status:"},
		{"agency task: note too long", "operator", "/api/v1/incidents/7/agency-tasks/police", `{"status":"done","note":"` + strings.Repeat("x", 2000) + `"}`, 400, "note:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(o.sent)
			code, body := call(t, s, tt.token, "POST", tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("%d %v, want %d", code, body, tt.code)
			}
			if tt.detail != "" && !strings.Contains(body["detail"].(string), tt.detail) {
				t.Errorf("detail %q, want it to name %q", body["detail"], tt.detail)
			}
			if refused := code >= 400 && code != 409; refused && len(o.sent) != before {
				t.Errorf("a refused order reached the workflow: %+v", o.sent[before:])
			}
		})
	}
	if a, ok := o.sent[0].(fireline.AssessOrder); !ok || a.Type != fireline.TypeHighRiseFire || a.Level != 3 || a.Priority != 1 || a.Actor != "operator" {
		t.Errorf("first order %+v", o.sent[0])
	}
}

func TestIncidentAlarms(t *testing.T) {
	s, _, _ := newLifecycleServer(t)
	code, body := call(t, s, "risk", "GET", "/api/v1/incidents/7/alarms", "")
	if code != http.StatusOK || len(body["alarms"].([]any)) != 2 {
		t.Errorf("alarms: %d %v", code, body)
	}
	if code, _ := call(t, s, "operator", "GET", "/api/v1/incidents/99/alarms", ""); code != http.StatusNotFound {
		t.Errorf("unknown incident: %d, want 404", code)
	}
}

func TestEscalationQueue(t *testing.T) {
	s, _, _ := newLifecycleServer(t)
	code, body := call(t, s, "supervisor", "GET", "/api/v1/escalations", "")
	if code != http.StatusOK || len(body["escalations"].([]any)) != 2 {
		t.Fatalf("queue: %d %v", code, body)
	}
	if code, _ := call(t, s, "operator", "POST", "/api/v1/escalations/1/ack", ""); code != http.StatusForbidden {
		t.Errorf("an operator took an escalation: %d, want 403", code)
	}
	code, body = call(t, s, "supervisor", "POST", "/api/v1/escalations/1/ack", "")
	if code != http.StatusOK || body["acknowledged_by"] != "supervisor" {
		t.Fatalf("take: %d %v", code, body)
	}
	if code, body := call(t, s, "admin", "POST", "/api/v1/escalations/1/ack", ""); code != http.StatusConflict {
		t.Errorf("taken twice: %d %v, want 409", code, body)
	}
	code, body = call(t, s, "supervisor", "GET", "/api/v1/escalations", "")
	if open := body["escalations"].([]any); code != http.StatusOK || len(open) != 1 {
		t.Errorf("open after taking one: %v", body)
	}
	code, body = call(t, s, "risk", "GET", "/api/v1/escalations?all=true&incident=7", "")
	if list := body["escalations"].([]any); code != http.StatusOK || len(list) != 1 {
		t.Errorf("incident 7's, taken included: %d %v", code, body)
	}
	for _, bad := range []string{"/api/v1/escalations?all=maybe", "/api/v1/escalations?incident=-3"} {
		if code, _ := call(t, s, "supervisor", "GET", bad, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	if code, _ := call(t, s, "supervisor", "POST", "/api/v1/escalations/x/ack", ""); code != http.StatusBadRequest {
		t.Errorf("bad id: %d, want 400", code)
	}
}
