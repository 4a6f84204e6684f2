package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

var (
	acts *activities.Activities
	t0   = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
)

// harness runs one Incident workflow in the time-skipping test environment with its activities
// replaced by recorders: the workflow's decisions are what is under test here; the activities'
// effects are tested against PostgreSQL in their own packages.
type harness struct {
	env *testsuite.TestWorkflowEnvironment

	mu       sync.Mutex
	events   []fireline.TimelineEvent
	reserved [][]string
	taken    map[string]bool // units another incident holds: ReserveUnits refuses them
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	// The test environment logs every timer and retry at debug level; warnings are enough here.
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h := &harness{env: suite.NewTestWorkflowEnvironment(), taken: map[string]bool{}}
	h.env.SetStartTime(t0)
	h.env.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	h.env.RegisterActivity(acts)

	h.env.OnActivity(acts.Recommend, mock.Anything, mock.Anything).Return(activities.RecommendResult{
		Units: []fireline.Recommendation{
			{UnitID: "E-1", Type: fireline.UnitEngine, ETASeconds: 120},
			{UnitID: "L-1", Type: fireline.UnitLadder, ETASeconds: 200},
		},
		Alternates: []fireline.Recommendation{{UnitID: "E-2", Type: fireline.UnitEngine, ETASeconds: 300}},
	}, nil)
	h.env.OnActivity(acts.AppendEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, e fireline.TimelineEvent) error { h.record(e); return nil })
	h.env.OnActivity(acts.SetIncidentStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StatusInput) error { h.record(in.Event); return nil })
	h.env.OnActivity(acts.SetUnitStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.UnitStatusInput) error { h.record(in.Event); return nil })
	h.env.OnActivity(acts.ReserveUnits, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReserveInput) (activities.ReserveResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			var res activities.ReserveResult
			for _, id := range in.UnitIDs {
				if h.taken[id] {
					return activities.ReserveResult{}, temporal.NewNonRetryableApplicationError(
						"unit "+id+" is committed to incident 99", fireline.ECONFLICT, nil)
				}
				res.Units = append(res.Units, fireline.Unit{ID: id, Type: fireline.UnitEngine})
			}
			h.reserved = append(h.reserved, in.UnitIDs)
			h.events = append(h.events, in.Event)
			return res, nil
		})
	h.env.OnActivity(acts.CloseIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CloseInput) ([]string, error) {
			h.record(in.Event)
			return nil, nil
		})
	h.env.OnActivity(acts.WriteReview, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReviewInput) error { h.record(in.Event); return nil })
	return h
}

func (h *harness) record(e fireline.TimelineEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *harness) eventKeys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, len(h.events))
	for i, e := range h.events {
		keys[i] = e.Key
	}
	return keys
}

// update sends an Update at the given offset from the start and keeps its outcome.
type outcome struct {
	rejected, failed error
	done             bool
	result           any
}

func (h *harness) update(at time.Duration, name string, arg any, out *outcome) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { out.rejected = err; out.done = true },
			OnComplete: func(res any, err error) {
				out.result, out.failed, out.done = res, err, true
			},
		}, arg)
	}, at)
}

func (h *harness) signal(at time.Duration, name string, arg any) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(name, arg) }, at)
}

func (h *harness) status(at time.Duration, unit string, s fireline.UnitStatus) {
	h.signal(at, workflows.SignalUnitStatus, workflows.UnitStatusSignal{UnitID: unit, Status: s, At: t0.Add(at), Actor: "crew-" + unit})
}

func input() workflows.IncidentInput {
	return workflows.IncidentInput{
		IncidentID: 7,
		Alarm: fireline.Alarm{ID: 70, Source: fireline.SourceCall, SourceID: "c-1", Type: fireline.TypeStructureFire,
			Point: fireline.Point{Lat: 36.456, Lng: 115.985}, ReportedAt: t0, ReceivedAt: t0},
	}
}

func (h *harness) run(t *testing.T) workflows.IncidentState {
	t.Helper()
	h.env.ExecuteWorkflow(workflows.IncidentWorkflow, input())
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var st workflows.IncidentState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		t.Fatalf("result: %v", err)
	}
	return st
}

func TestIncidentLifecycleWritesReview(t *testing.T) {
	h := newHarness(t)
	var dispatched, closed outcome
	h.update(5*time.Second, workflows.UpdateDispatch, workflows.DispatchRequest{UnitIDs: []string{"E-1", "L-1"}, Actor: "operator"}, &dispatched)
	h.status(15*time.Second, "E-1", fireline.UnitAcknowledged)
	h.status(50*time.Second, "E-1", fireline.UnitEnRoute)
	h.status(70*time.Second, "L-1", fireline.UnitEnRoute)
	h.status(290*time.Second, "E-1", fireline.UnitOnScene)
	h.status(300*time.Second, "E-1", fireline.UnitEnRoute) // backwards: ignored
	h.update(20*time.Minute, workflows.UpdateClose, workflows.CloseRequest{Actor: "operator", Reason: "fire out"}, &closed)

	st := h.run(t)

	if dispatched.rejected != nil || dispatched.failed != nil || !dispatched.done {
		t.Fatalf("dispatch: rejected=%v failed=%v done=%v", dispatched.rejected, dispatched.failed, dispatched.done)
	}
	if closed.rejected != nil || closed.failed != nil {
		t.Fatalf("close: rejected=%v failed=%v", closed.rejected, closed.failed)
	}
	if st.Status != fireline.IncidentReviewed || st.Review == nil {
		t.Fatalf("status %s review %v, want reviewed with a review", st.Status, st.Review)
	}
	r := st.Review
	if r.CallProcessingSeconds == nil || *r.CallProcessingSeconds != 5 {
		t.Errorf("call processing %v, want 5 s", r.CallProcessingSeconds)
	}
	want := map[string][2]*float64{"E-1": {ptr(45), ptr(240)}, "L-1": {ptr(65), nil}}
	if len(r.Units) != 2 {
		t.Fatalf("review units %+v, want E-1 and L-1", r.Units)
	}
	for _, u := range r.Units {
		w := want[u.UnitID]
		if !sameSeconds(u.TurnoutSeconds, w[0]) || !sameSeconds(u.TravelSeconds, w[1]) {
			t.Errorf("%s turnout %v travel %v, want %v %v", u.UnitID, deref(u.TurnoutSeconds), deref(u.TravelSeconds), deref(w[0]), deref(w[1]))
		}
	}
	if r.Escalations != 1 { // L-1 never acknowledged
		t.Errorf("escalations %d, want 1 (L-1 ack)", r.Escalations)
	}
	keys := h.eventKeys()
	for _, k := range []string{"status:dispatching", "recommended:1", "dispatch:1", "status:active",
		"unit:E-1:1:acknowledged", "unit:E-1:1:en_route", "unit:E-1:1:on_scene", "escalation:ack:L-1:1", "closed", "reviewed"} {
		if !slices.Contains(keys, k) {
			t.Errorf("timeline lacks %q; has %v", k, keys)
		}
	}
	if n := count(keys, "unit:E-1:1:en_route"); n != 1 {
		t.Errorf("E-1 en_route written %d times, want 1 (the backwards report is dropped)", n)
	}
	if slices.Contains(keys, "escalation:call_processing") {
		t.Error("call processing escalated although dispatch came at 5 s")
	}
}

func TestDispatchValidation(t *testing.T) {
	h := newHarness(t)
	h.taken["E-2"] = true
	cases := []struct {
		name    string
		units   []string
		rejects bool // validator refuses: never enters history
		fails   bool // accepted, then PostgreSQL refuses the reservation
		code    string
	}{
		{"empty", nil, true, false, fireline.EINVALID},
		{"unknown unit", []string{"X-9"}, true, false, fireline.EINVALID},
		{"listed twice", []string{"E-1", "E-1"}, true, false, fireline.EINVALID},
		{"taken by another incident", []string{"E-2"}, false, true, fireline.ECONFLICT},
		{"good", []string{"E-1"}, false, false, ""},
		{"already on this incident", []string{"E-1"}, true, false, fireline.ECONFLICT},
	}
	outs := make([]outcome, len(cases))
	for i, c := range cases {
		h.update(time.Duration(i+1)*time.Second, workflows.UpdateDispatch, workflows.DispatchRequest{UnitIDs: c.units}, &outs[i])
	}
	var closed outcome
	h.update(time.Hour, workflows.UpdateClose, workflows.CloseRequest{}, &closed)
	var closedAgain outcome
	h.update(time.Hour+time.Second, workflows.UpdateClose, workflows.CloseRequest{}, &closedAgain)
	h.run(t)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := outs[i]
			if !o.done {
				t.Fatal("update never answered")
			}
			switch {
			case c.rejects:
				assertCode(t, o.rejected, c.code)
			case c.fails:
				if o.rejected != nil {
					t.Fatalf("rejected by validator: %v", o.rejected)
				}
				assertCode(t, o.failed, c.code)
			default:
				if o.rejected != nil || o.failed != nil {
					t.Fatalf("rejected=%v failed=%v", o.rejected, o.failed)
				}
			}
		})
	}
	if !slices.EqualFunc(h.reserved, [][]string{{"E-1"}}, slices.Equal) {
		t.Errorf("reservations %v, want only [[E-1]]", h.reserved)
	}
	if closed.failed != nil || closed.rejected != nil {
		t.Errorf("close: %v %v", closed.rejected, closed.failed)
	}
	// The second close may arrive after the workflow completed; either way it must not succeed.
	if closedAgain.done && closedAgain.rejected == nil && closedAgain.failed == nil {
		t.Error("second close succeeded")
	}
}

func TestCallProcessingTimerLapses(t *testing.T) {
	h := newHarness(t)
	var closed outcome
	h.update(3*time.Minute, workflows.UpdateClose, workflows.CloseRequest{Reason: "false alarm"}, &closed)
	st := h.run(t)

	keys := h.eventKeys()
	if count(keys, "escalation:call_processing") != 1 {
		t.Fatalf("want one call-processing escalation, timeline %v", keys)
	}
	if st.Review == nil || st.Review.Escalations != 1 || st.Review.CallProcessingSeconds != nil {
		t.Fatalf("review %+v: want 1 escalation and no call-processing interval (nothing dispatched)", st.Review)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Key == "escalation:call_processing" && !e.At.Equal(t0.Add(60*time.Second)) {
			t.Errorf("escalated at %s, want at alarm + 60 s", e.At)
		}
	}
}

func TestAckTimerLapsesOnlyForSilentUnits(t *testing.T) {
	h := newHarness(t)
	var d, c outcome
	h.update(2*time.Second, workflows.UpdateDispatch, workflows.DispatchRequest{UnitIDs: []string{"E-1", "L-1"}}, &d)
	h.status(10*time.Second, "E-1", fireline.UnitAcknowledged)
	h.update(10*time.Minute, workflows.UpdateClose, workflows.CloseRequest{}, &c)
	h.run(t)

	keys := h.eventKeys()
	if !slices.Contains(keys, "escalation:ack:L-1:1") || slices.Contains(keys, "escalation:ack:E-1:1") {
		t.Fatalf("want an ack escalation for L-1 only, timeline %v", keys)
	}
}

func TestMergedAlarmsAndQuery(t *testing.T) {
	h := newHarness(t)
	second := input().Alarm
	second.ID = 71
	h.signal(time.Second, workflows.SignalAlarm, workflows.AlarmSignal{Alarm: second})
	h.signal(2*time.Second, workflows.SignalAlarm, workflows.AlarmSignal{Alarm: second}) // repeat delivery
	var st workflows.IncidentState
	var qerr error
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			qerr = err
			return
		}
		qerr = v.Get(&st)
	}, 3*time.Second)
	var c outcome
	h.update(time.Minute, workflows.UpdateClose, workflows.CloseRequest{}, &c)
	h.run(t)

	if qerr != nil {
		t.Fatal(qerr)
	}
	if !slices.Equal(st.AlarmIDs, []int64{70, 71}) {
		t.Errorf("alarm ids %v, want [70 71]", st.AlarmIDs)
	}
	if st.Status != fireline.IncidentDispatching || len(st.Recommendation) != 2 {
		t.Errorf("queried state %s with %d recommended, want dispatching with 2", st.Status, len(st.Recommendation))
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an application error with code %s", err, code)
	}
	if ae.Type() != code {
		t.Fatalf("error type %q (%v), want %q", ae.Type(), err, code)
	}
}

func count(keys []string, k string) int {
	n := 0
	for _, x := range keys {
		if x == k {
			n++
		}
	}
	return n
}

func ptr(f float64) *float64 { return &f }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func sameSeconds(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
