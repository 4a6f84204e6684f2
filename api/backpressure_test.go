package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// downStore cannot store: the database is unreachable.
type downStore struct{ *intakeStore }

func (downStore) ReceiveAlarm(context.Context, fireline.Alarm, fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EUNAVAILABLE, "the database is unavailable; try again")
}

// awayEngine is the workflow engine not answering.
type awayEngine struct{ *intakeIncidents }

func (awayEngine) AlarmReceived(context.Context, int64, fireline.Alarm, fireline.Alarm) error {
	return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering; try again")
}

// handoffs records the hand-offs marked.
type handoffs struct{ marked []int64 }

func (h *handoffs) MarkHandedOff(_ context.Context, id int64) error {
	h.marked = append(h.marked, id)
	return nil
}

func (h *handoffs) HandOffAwaiting(context.Context, time.Duration, int, func(context.Context, fireline.Alarm) error) (int, error) {
	return 0, nil
}

// raw sends a request and answers the recorder, headers and all.
func raw(s *Server, token, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// TestBackpressure: a dependency down is a 503 with Retry-After and problem JSON that says
// which, never a 500; an alarm stored while only the workflow engine is away is accepted with
// its hand-off pending.
func TestBackpressure(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	deskWith := func(st fireline.AlarmStore, wst fireline.WarningStore, inc fireline.IncidentService, h fireline.HandoffStore) *intake.Desk {
		d := intake.NewDesk(intake.New(registry{}, area{}, func() time.Time { return now }), st, wst, inc, intake.DefaultDeskConfig(), log)
		if h != nil {
			d.RecoverHandoffs(h)
		}
		return d
	}
	serve := func(st *intakeStore, d *intake.Desk) *Server {
		s := New(DefaultConfig(), Deps{Store: st, Incidents: &intakeIncidents{}, Locator: gridLocator{}, Intake: d, Logger: log})
		s.now = func() time.Time { return now }
		return s
	}

	t.Run("database down", func(t *testing.T) {
		st := &intakeStore{fakeStore: &fakeStore{}}
		s := serve(st, deskWith(downStore{st}, st, &intakeIncidents{}, &handoffs{}))
		w := raw(s, "operator", "POST", "/api/v1/alarms/call", callBody)
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" ||
			w.Header().Get("Content-Type") != "application/problem+json" || p.Code != fireline.EUNAVAILABLE ||
			!strings.Contains(p.Detail, "database is unavailable") {
			t.Errorf("%d Retry-After %q %s, want 503, Retry-After 5 and a problem naming the database", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	})

	t.Run("engine away, alarm stored", func(t *testing.T) {
		st, h := &intakeStore{fakeStore: &fakeStore{}}, &handoffs{}
		s := serve(st, deskWith(st, st, awayEngine{&intakeIncidents{}}, h))
		w := raw(s, "operator", "POST", "/api/v1/alarms/call", callBody)
		var rc map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &rc)
		if w.Code != http.StatusAccepted || rc["handoff"] != fireline.HandoffPending || rc["alarm_id"] != float64(1) || len(h.marked) != 0 {
			t.Errorf("%d %s, marked %v; want 202 with handoff pending, nothing marked", w.Code, w.Body, h.marked)
		}
		// Handed off at once, the answer says nothing of a hand-off and the alarm is marked.
		st2, h2 := &intakeStore{fakeStore: &fakeStore{}}, &handoffs{}
		w = raw(serve(st2, deskWith(st2, st2, &intakeIncidents{}, h2)), "operator", "POST", "/api/v1/alarms/call", callBody)
		if w.Code != http.StatusAccepted || strings.Contains(w.Body.String(), "handoff") || len(h2.marked) != 1 {
			t.Errorf("engine up: %d %s, marked %v", w.Code, w.Body, h2.marked)
		}
	})

	t.Run("orders with the engine down", func(t *testing.T) {
		s, _, o := newRecordServer(t)
		o.down = fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering; try again")
		w := raw(s, "operator", "POST", "/api/v1/incidents/7/dispatch", `{"unit_ids":["E-2"]}`)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" {
			t.Errorf("dispatch with the engine down: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
	})
}

// engineDown is a workflow engine that does not answer its readiness check.
type engineDown struct{ *intakeIncidents }

func (engineDown) Ready(context.Context) error {
	return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering")
}

// pingStore is a database that answers its ping.
type pingStore struct{ fireline.Store }

func (pingStore) Ping(context.Context) error { return nil }

// TestReadyRequire: a load balancer asks /readyz?require=postgres, and a node that reaches
// PostgreSQL stays in service while Temporal is away; without the parameter both count.
func TestReadyRequire(t *testing.T) {
	s := New(DefaultConfig(), Deps{Store: pingStore{}, Incidents: engineDown{&intakeIncidents{}}, Locator: gridLocator{}, Logger: slog.New(slog.DiscardHandler)})
	for _, c := range []struct {
		path string
		want int
	}{
		{"/readyz", http.StatusServiceUnavailable},
		{"/readyz?require=temporal", http.StatusServiceUnavailable},
		{"/readyz?require=postgres", http.StatusOK},
		{"/readyz?require=postgres,temporal", http.StatusServiceUnavailable},
		{"/readyz?require=redis", http.StatusBadRequest},
	} {
		w := raw(s, "", "GET", c.path, "")
		if w.Code != c.want {
			t.Errorf("%s: %d %s, want %d", c.path, w.Code, w.Body, c.want)
		}
		if c.want != http.StatusBadRequest && !strings.Contains(w.Body.String(), `"temporal":"`) {
			t.Errorf("%s: %s, want the engine's state named", c.path, w.Body)
		}
	}
}
