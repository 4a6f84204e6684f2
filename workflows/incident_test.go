package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/resources"
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
	// recommends counts Recommend calls and keeps their inputs.
	recommends []activities.RecommendInput
	// assessed keeps the assessments stored, escalations the escalations raised.
	assessed    []activities.AssessInput
	escalations []fireline.Escalation
	agency      []fireline.AgencyTask
	premises    map[string]fireline.Premise
	// merged and split are what the merge and split activities answer.
	merged activities.MergeResult
	split  activities.SplitResult
	closes []activities.CloseInput
	// types are the incident types as SnapshotIncidentType reads them: the built-in ones with
	// the test run card at every level, unless a test changes them; snapshots counts the reads.
	types     map[fireline.IncidentType]fireline.TypeSnapshot
	snapshots []fireline.IncidentType
}

// builtinSnapshots are the built-in types, each with the test run card (runCard) per level.
func builtinSnapshots() map[fireline.IncidentType]fireline.TypeSnapshot {
	out := map[fireline.IncidentType]fireline.TypeSnapshot{}
	for _, d := range fireline.BuiltinTypes() {
		s := fireline.TypeSnapshot{Definition: d}
		for level := fireline.MinLevel; level <= fireline.MaxLevel; level++ {
			s.Plans = append(s.Plans, fireline.ResponsePlan{IncidentType: d.Code, Level: level, Slots: runCard(level)})
		}
		out[d.Code] = s
	}
	return out
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	// The test environment logs every timer and retry at debug level; warnings are enough here.
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h := &harness{env: suite.NewTestWorkflowEnvironment(), taken: map[string]bool{}, premises: map[string]fireline.Premise{},
		types: builtinSnapshots()}
	h.env.SetStartTime(t0)
	h.env.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	h.env.RegisterActivity(acts)

	// The recommender's fleet: E-1, E-2, E-3 engines, L-1 and L-2 ladders, R-1 a rescue; it
	// fills the run card less what the incident has (Have), skipping Exclude, as resources does.
	h.env.OnActivity(acts.Recommend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecommendInput) (activities.RecommendResult, error) {
			h.mu.Lock()
			h.recommends = append(h.recommends, in)
			// As the activity does, never a unit another incident has taken.
			for id := range h.taken {
				in.Exclude = append(slices.Clone(in.Exclude), id)
			}
			h.mu.Unlock()
			return recommend(in), nil
		})
	h.env.OnActivity(acts.SnapshotIncidentType, mock.Anything, mock.Anything).Return(
		func(_ context.Context, t fireline.IncidentType) (fireline.TypeSnapshot, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.snapshots = append(h.snapshots, t)
			s, ok := h.types[t]
			if !ok || s.Definition.RetiredAt != nil {
				return s, temporal.NewNonRetryableApplicationError("type: "+string(t)+" is not an incident type in force", fireline.EINVALID, nil)
			}
			return s, nil
		})
	h.env.OnActivity(acts.AssessIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AssessInput) error {
			h.mu.Lock()
			h.assessed = append(h.assessed, in)
			h.mu.Unlock()
			h.record(in.Event)
			return nil
		})
	h.env.OnActivity(acts.Premise, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (fireline.Premise, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			p, ok := h.premises[id]
			if !ok {
				return p, temporal.NewNonRetryableApplicationError("premises "+id+" does not exist", fireline.ENOTFOUND, nil)
			}
			return p, nil
		})
	h.env.OnActivity(acts.Escalate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EscalateInput) error {
			h.mu.Lock()
			h.escalations = append(h.escalations, in.Escalation)
			h.mu.Unlock()
			h.record(in.Event)
			return nil
		})
	h.env.OnActivity(acts.RequestAgencyTasks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AgencyTasksInput) error {
			h.mu.Lock()
			h.agency = append(h.agency, in.Tasks...)
			h.mu.Unlock()
			for _, e := range in.Events {
				h.record(e)
			}
			return nil
		})
	h.env.OnActivity(acts.UpdateAgencyTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AgencyTaskInput) (fireline.AgencyTask, error) {
			h.record(in.Event)
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, t := range h.agency {
				if t.Agency == in.Agency {
					t.Status, t.Note, t.Actor, t.UpdatedAt = in.Status, in.Note, in.Actor, in.At
					return t, nil
				}
			}
			return fireline.AgencyTask{}, temporal.NewNonRetryableApplicationError("no task", fireline.ENOTFOUND, nil)
		})
	h.env.OnActivity(acts.MergeIncidents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.MergeInput) (activities.MergeResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.merged, nil
		})
	h.env.OnActivity(acts.SplitAlarm, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SplitInput) (activities.SplitResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.split, nil
		})
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
				ut := fireline.UnitEngine
				if i := slices.IndexFunc(fleet, func(r fireline.Recommendation) bool { return r.UnitID == id }); i >= 0 {
					ut = fleet[i].Type
				}
				res.Units = append(res.Units, fireline.Unit{ID: id, Type: ut})
			}
			h.reserved = append(h.reserved, in.UnitIDs)
			h.events = append(h.events, in.Event)
			return res, nil
		})
	h.env.OnActivity(acts.CloseIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CloseInput) ([]string, error) {
			h.mu.Lock()
			h.closes = append(h.closes, in)
			h.mu.Unlock()
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
	h.signal(at, workflows.SignalUnitStatus, fireline.UnitStatusReport{UnitID: unit, Status: s, At: t0.Add(at), Actor: "crew-" + unit})
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
	return h.runInput(t, input())
}

// runInput runs the workflow from in to its end and returns its final state.
func (h *harness) runInput(t *testing.T, in workflows.IncidentInput) workflows.IncidentState {
	t.Helper()
	h.env.ExecuteWorkflow(workflows.IncidentWorkflow, in)
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
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}, Actor: "operator"}, &dispatched)
	h.status(15*time.Second, "E-1", fireline.UnitAcknowledged)
	h.status(50*time.Second, "E-1", fireline.UnitEnRoute)
	h.status(70*time.Second, "L-1", fireline.UnitEnRoute)
	h.status(285*time.Second, "E-1", fireline.UnitOnScene)
	h.status(300*time.Second, "E-1", fireline.UnitEnRoute) // backwards: ignored
	h.update(20*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator", Reason: "fire out"}, &closed)

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
	want := map[string][2]*float64{"E-1": {ptr(45), ptr(235)}, "L-1": {ptr(65), nil}}
	if len(r.Units) != 2 {
		t.Fatalf("review units %+v, want E-1 and L-1", r.Units)
	}
	for _, u := range r.Units {
		w := want[u.UnitID]
		if !sameSeconds(u.TurnoutSeconds, w[0]) || !sameSeconds(u.TravelSeconds, w[1]) {
			t.Errorf("%s turnout %v travel %v, want %v %v", u.UnitID, deref(u.TurnoutSeconds), deref(u.TravelSeconds), deref(w[0]), deref(w[1]))
		}
	}
	if !sameSeconds(r.AssessmentSeconds, ptr(5)) || !sameSeconds(r.FirstArrivalSeconds, ptr(285)) || r.Outcome != fireline.IncidentClosed || r.Reason != "fire out" {
		t.Errorf("review %+v: want assessed at the dispatch (5 s), first arrival at 285 s, closed: fire out", r)
	}
	// L-1 never acknowledged nor arrived, and nobody reported the police's traffic control.
	if r.Escalations != 3 {
		t.Errorf("escalations %d, want 3 (L-1's ack, the full first alarm, the police task)", r.Escalations)
	}
	keys := h.eventKeys()
	for _, k := range []string{"status:assessing", "recommended:1", "assessed:1", "agency:police", "dispatch:1", "status:active",
		"unit:E-1:1:acknowledged", "unit:E-1:1:en_route", "unit:E-1:1:on_scene", "escalation:ack:L-1:1", "replacement:L-1:1",
		"escalation:full_alarm", "escalation:agency:police", "closed", "reviewed"} {
		if !slices.Contains(keys, k) {
			t.Errorf("timeline lacks %q; has %v", k, keys)
		}
	}
	for _, k := range []string{"escalation:first_arrival", "escalation:turnout:L-1:1", "escalation:turnout:E-1:1", "escalation:assessment"} {
		if slices.Contains(keys, k) {
			t.Errorf("timeline has %q though nothing lapsed", k)
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
	// Taken after the first recommendation, which offered it as an alternate.
	h.env.RegisterDelayedCallback(func() {
		h.mu.Lock()
		h.taken["E-2"] = true
		h.mu.Unlock()
	}, 500*time.Millisecond)
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
		h.update(time.Duration(i+1)*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: c.units}, &outs[i])
	}
	var closed outcome
	h.update(time.Hour, workflows.UpdateClose, fireline.CloseOrder{}, &closed)
	var closedAgain outcome
	h.update(time.Hour+time.Second, workflows.UpdateClose, fireline.CloseOrder{}, &closedAgain)
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

// TestStaleRecommendationRecommendedAfresh: other incidents take E-1 and the alternate L-2
// between the recommendation (E-1, L-1) and the operator's dispatch of it. The refusal comes
// back saying so, and the incident has been recommended afresh without E-1 by then; a refused
// dispatch of an alternate alone changes nothing.
func TestStaleRecommendationRecommendedAfresh(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		h.mu.Lock()
		h.taken["E-1"], h.taken["L-2"] = true, true
		h.mu.Unlock()
	}, 2*time.Second)
	var other, stale, fresh outcome
	h.update(3*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"L-2"}}, &other)
	h.update(4*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}}, &stale)
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-2", "L-1"}}, &fresh)
	var closed outcome
	h.update(time.Hour, workflows.UpdateClose, fireline.CloseOrder{}, &closed)
	h.run(t)

	assertCode(t, other.failed, fireline.ECONFLICT)
	assertCode(t, stale.failed, fireline.ECONFLICT)
	if stale.failed == nil || !strings.Contains(stale.failed.Error(), "recommended afresh: [E-2 L-1]") {
		t.Errorf("stale dispatch refused with %v, want it to name the fresh recommendation E-2, L-1", stale.failed)
	}
	if fresh.failed != nil || fresh.rejected != nil {
		t.Errorf("dispatch of the fresh recommendation: %v %v", fresh.rejected, fresh.failed)
	}
	if keys := h.eventKeys(); count(keys, "recommended:2") != 1 {
		t.Errorf("timeline %v, want a second recommended event", keys)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// Replacement probes for the silent crews later do not count.
	if n := len(slices.DeleteFunc(slices.Clone(h.recommends), func(in activities.RecommendInput) bool { return in.Probe })); n != 2 {
		t.Errorf("%d recommendations, want the first and one afresh after the stale dispatch only", n)
	}
}

func TestCallProcessingTimerLapses(t *testing.T) {
	h := newHarness(t)
	var closed outcome
	h.update(3*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Reason: "false alarm"}, &closed)
	st := h.run(t)

	keys := h.eventKeys()
	if count(keys, "escalation:call_processing") != 1 || count(keys, "escalation:assessment") != 1 {
		t.Fatalf("want one call-processing and one assessment escalation, timeline %v", keys)
	}
	if st.Review == nil || st.Review.Escalations != 2 || st.Review.CallProcessingSeconds != nil {
		t.Fatalf("review %+v: want 2 escalations and no call-processing interval (nothing dispatched)", st.Review)
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
	h.update(2*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}}, &d)
	h.status(10*time.Second, "E-1", fireline.UnitAcknowledged)
	h.update(10*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
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
	h.update(time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	h.run(t)

	if qerr != nil {
		t.Fatal(qerr)
	}
	if !slices.Equal(st.AlarmIDs, []int64{70, 71}) {
		t.Errorf("alarm ids %v, want [70 71]", st.AlarmIDs)
	}
	if st.Status != fireline.IncidentAssessing || len(st.Recommendation) != 2 {
		t.Errorf("queried state %s with %d recommended, want assessing with 2", st.Status, len(st.Recommendation))
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

// fleet is the units the harness's recommender knows, fastest first within each type.
var fleet = []fireline.Recommendation{
	{UnitID: "E-1", Type: fireline.UnitEngine, ETASeconds: 120},
	{UnitID: "L-1", Type: fireline.UnitLadder, ETASeconds: 200},
	{UnitID: "E-2", Type: fireline.UnitEngine, ETASeconds: 300},
	{UnitID: "R-1", Type: fireline.UnitRescue, ETASeconds: 320},
	{UnitID: "E-3", Type: fireline.UnitEngine, ETASeconds: 400},
	{UnitID: "L-2", Type: fireline.UnitLadder, ETASeconds: 500},
}

// runCards are the harness's response plans: level 1 is one engine and one ladder, level 2
// adds an engine and a rescue, level 3 another engine and ladder.
func runCard(level int) []fireline.PlanSlot {
	switch {
	case level >= 3:
		return []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 3}, {Type: fireline.UnitLadder, Count: 2}, {Type: fireline.UnitRescue, Count: 1}}
	case level == 2:
		return []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}, {Type: fireline.UnitLadder, Count: 1}, {Type: fireline.UnitRescue, Count: 1}}
	}
	return []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitLadder, Count: 1}}
}

// recommend fills the run card of in's level less in.Have from the fleet, skipping
// in.Exclude; each slot's next unit of the type is an alternate.
func recommend(in activities.RecommendInput) activities.RecommendResult {
	res := activities.RecommendResult{Result: resources.Result{Units: []fireline.Recommendation{}, Alternates: []fireline.Recommendation{}}}
	card := runCard(in.Level)
	if len(in.Slots) > 0 {
		card = in.Slots
	}
	for _, s := range card {
		need := s.Count
		for _, h := range in.Have {
			if h.Type == s.Type {
				need -= h.Count
			}
		}
		if need <= 0 {
			continue
		}
		alternate := false
		for _, u := range fleet {
			if u.Type != s.Type || slices.Contains(in.Exclude, u.UnitID) {
				continue
			}
			switch {
			case need > 0:
				res.Units = append(res.Units, u)
				need--
			case !alternate:
				res.Alternates = append(res.Alternates, u)
				alternate = true
			}
		}
		if need > 0 {
			res.Short = append(res.Short, fireline.PlanSlot{Type: s.Type, Count: need})
		}
	}
	return res
}
