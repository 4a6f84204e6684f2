package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

// escalatedAt returns when each escalation key was raised.
func (h *harness) escalatedAt() map[string]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]time.Time{}
	for _, e := range h.escalations {
		out[e.Key] = e.RaisedAt
	}
	return out
}

func (h *harness) eventsOfKind(kind string) []fireline.TimelineEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []fireline.TimelineEvent
	for _, e := range h.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func ok(t *testing.T, name string, o outcome) {
	t.Helper()
	if !o.done || o.rejected != nil || o.failed != nil {
		t.Fatalf("%s: done=%v rejected=%v failed=%v", name, o.done, o.rejected, o.failed)
	}
}

// TestEveryTimerLapses lets every supervision timer lapse once, each at its standard interval
// counted from the right moment, and checks each is escalated exactly once.
func TestEveryTimerLapses(t *testing.T) {
	h := newHarness(t)
	var d, par1, par2, replaced, c outcome
	// Nobody assesses; the operator dispatches late, at 90 s.
	h.update(90*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}, Actor: "operator"}, &d)
	// L-1 acknowledges and turns out in time; E-1 stays silent, then very late.
	h.status(95*time.Second, "L-1", fireline.UnitAcknowledged)
	h.status(100*time.Second, "L-1", fireline.UnitEnRoute)
	h.status(400*time.Second, "L-1", fireline.UnitOnScene)
	// After E-1's ack lapses (120 s) its replacement is offered; the operator sends it.
	h.update(130*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-2"}, Actor: "operator"}, &replaced)
	h.status(135*time.Second, "E-2", fireline.UnitAcknowledged)
	h.status(140*time.Second, "E-2", fireline.UnitEnRoute)
	h.status(450*time.Second, "E-2", fireline.UnitOnScene)
	// PAR 1 falls due 20 min after the first arrival (1600 s) and is confirmed late, PAR 2
	// (20 min after that) in time.
	h.update(2000*time.Second, workflows.UpdateConfirmPAR, fireline.StageOrder{Actor: "commander"}, &par1)
	h.update(3250*time.Second, workflows.UpdateConfirmPAR, fireline.StageOrder{Actor: "commander"}, &par2)
	h.update(3300*time.Second, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator", Reason: "fire out"}, &c)
	st := h.run(t)
	for name, o := range map[string]outcome{"dispatch": d, "replacement": replaced, "par 1": par1, "par 2": par2, "close": c} {
		ok(t, name, o)
	}

	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	want := map[string]time.Time{
		"escalation:assessment":      at(60),   // alarm + 60 s
		"escalation:call_processing": at(60),   // alarm + 60 s
		"escalation:ack:E-1:1":       at(120),  // dispatch + 30 s
		"escalation:turnout:E-1:1":   at(170),  // dispatch + 80 s
		"escalation:first_arrival":   at(340),  // first en route (100 s) + 240 s
		"escalation:full_alarm":      at(580),  // first en route + 480 s: E-1 never arrived
		"escalation:agency:police":   at(690),  // asked at the dispatch's assessment + 10 min
		"escalation:par:1":           at(1900), // due at 1600 s + 5 min
	}
	got := h.escalatedAt()
	for key, when := range want {
		if g, ok := got[key]; !ok || !g.Equal(when) {
			t.Errorf("%s raised at %v (raised: %v), want %v", key, g, ok, when.Sub(t0))
		}
	}
	if len(got) != len(want) {
		t.Errorf("raised %d escalations %v, want exactly %d", len(got), got, len(want))
	}
	if st.Escalations != len(want) || st.Review.Escalations != len(want) {
		t.Errorf("state counts %d escalations, review %d", st.Escalations, st.Review.Escalations)
	}
	if ev := h.eventsOfKind(fireline.EventReplacement); len(ev) != 1 || ev[0].Data["unit"] != "E-2" || ev[0].Data["replaces"] != "E-1" {
		t.Errorf("replacement events %+v, want E-2 for the silent E-1", ev)
	}
	if len(st.Replacements) != 0 {
		t.Errorf("replacements %+v: E-2 was dispatched, so no offer is left", st.Replacements)
	}
	for _, e := range h.eventsOfKind(fireline.EventEscalation) {
		if e.Actor != "supervision" || e.Detail == "" || e.Data["timer"] == nil {
			t.Errorf("escalation event %+v: want the supervision's, with a detail and its timer", e)
		}
	}
	pars := h.eventsOfKind(fireline.EventPAR)
	var parKeys []string
	for _, e := range pars {
		parKeys = append(parKeys, e.Key)
	}
	if !slices.Equal(parKeys, []string{"par:1:due", "par:1:confirmed", "par:2:due", "par:2:confirmed"}) {
		t.Errorf("PAR timeline %v", parKeys)
	}
}

// TestReinforcementOnLevelUpgrade: an upgrade sends the difference between the new level's
// run card and the units already there, at once; a downgrade sends nothing.
func TestReinforcementOnLevelUpgrade(t *testing.T) {
	h := newHarness(t)
	var d, up, down, c outcome
	h.update(10*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}, Actor: "operator"}, &d)
	h.update(60*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeStructureFire, Level: 3, Priority: 1, Actor: "chief"}, &up)
	h.update(10*time.Minute, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeStructureFire, Level: 2, Priority: 1, Actor: "chief"}, &down)
	h.update(15*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator"}, &c)
	st := h.run(t)
	for name, o := range map[string]outcome{"dispatch": d, "upgrade": up, "downgrade": down, "close": c} {
		ok(t, name, o)
	}
	if len(h.reserved) != 2 {
		t.Fatalf("reservations %v, want the dispatch and one reinforcement", h.reserved)
	}
	reinforced := slices.Sorted(slices.Values(h.reserved[1]))
	if !slices.Equal(reinforced, []string{"E-2", "E-3", "L-2", "R-1"}) {
		t.Errorf("reinforcement %v, want level 3's 3 engines, 2 ladders and a rescue less E-1 and L-1", reinforced)
	}
	var asked []activities.RecommendInput
	for _, r := range h.recommends {
		if len(r.Have) > 0 && !r.Probe {
			asked = append(asked, r)
		}
	}
	if len(asked) != 1 || asked[0].Level != 3 || !slices.Contains(asked[0].Exclude, "E-1") ||
		!slices.Equal(asked[0].Have, []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitLadder, Count: 1}}) {
		t.Errorf("reinforcement asked for %+v, want level 3 less the engine and ladder there", asked)
	}
	if st.Level != 2 || st.Priority != 1 || len(st.Assignments) != 6 {
		t.Errorf("state level %d priority %d with %d units", st.Level, st.Priority, len(st.Assignments))
	}
	ev := h.eventsOfKind(fireline.EventReinforced)
	if len(ev) != 1 || ev[0].Key != "dispatch:2" || ev[0].Actor != "chief" {
		t.Errorf("reinforcement events %+v", ev)
	}
	var agencies []fireline.Agency
	for _, a := range h.agency {
		agencies = append(agencies, a.Agency)
	}
	if !slices.Equal(agencies, []fireline.Agency{fireline.AgencyPolice, fireline.AgencyEMS, fireline.AgencyPower, fireline.AgencyGas,
		fireline.AgencyWater, fireline.AgencyEmergency}) {
		t.Errorf("agencies asked %v, want the police at level 1 and the rest with the upgrade to 3, each once", agencies)
	}
}

// TestAssessmentBeforeDispatch: an operator's assessment before any dispatch replaces the
// recommendation with the new level's whole run card and moves the incident to dispatching.
func TestAssessmentBeforeDispatch(t *testing.T) {
	h := newHarness(t)
	var a, bad, d, c outcome
	h.update(20*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeHighRiseFire, Level: 2, Priority: 1, Actor: "operator"}, &a)
	h.update(25*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeHighRiseFire, Level: 7, Priority: 1}, &bad)
	h.update(30*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"R-1"}, Actor: "operator"}, &d)
	h.update(5*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	var mid workflows.IncidentState
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err == nil {
			err = v.Get(&mid)
		}
		if err != nil {
			t.Error(err)
		}
	}, 22*time.Second)
	st := h.run(t)
	ok(t, "assess", a)
	ok(t, "dispatch", d)
	assertCode(t, bad.rejected, fireline.EINVALID)
	if mid.Status != fireline.IncidentDispatching || mid.AssessedBy != "operator" || mid.Type != fireline.TypeHighRiseFire ||
		!slices.ContainsFunc(mid.Recommendation, func(r fireline.Recommendation) bool { return r.UnitID == "R-1" }) {
		t.Errorf("after assessment: %+v, want dispatching with level 2's rescue recommended", mid)
	}
	if !sameSeconds(st.Review.AssessmentSeconds, ptr(20)) {
		t.Errorf("assessment interval %v, want 20 s", deref(st.Review.AssessmentSeconds))
	}
	if _, raised := h.escalatedAt()["escalation:assessment"]; raised {
		t.Error("assessment escalated though done at 20 s")
	}
}

// TestPrePlanAssessesAtOnce: a fire alarm from a key premises' own panel is assessed from the
// pre-plan without waiting for an operator.
func TestPrePlanAssessesAtOnce(t *testing.T) {
	h := newHarness(t)
	h.premises["P-1"] = fireline.Premise{ID: "P-1", Name: "Riverside Tower", PlanType: fireline.TypeHighRiseFire, PlanLevel: 2}
	in := input()
	in.Alarm.Source, in.Alarm.Kind, in.Alarm.PremiseID, in.Alarm.DeviceID = fireline.SourceIoT, fireline.KindFireAlarm, "P-1", "FACP-1"
	var c outcome
	h.update(10*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	h.env.ExecuteWorkflow(workflows.IncidentWorkflow, in)
	st := result(t, h)
	if st.AssessedBy != "pre-plan" || st.Type != fireline.TypeHighRiseFire || st.Level != 2 || st.Priority != fireline.PriorityImmediate ||
		st.AssessedAt == nil || !st.AssessedAt.Equal(t0) {
		t.Errorf("state %+v, want assessed at once as the pre-plan says", st)
	}
	if len(h.recommends) != 1 || h.recommends[0].Level != 2 || h.recommends[0].Type != fireline.TypeHighRiseFire {
		t.Errorf("recommendations asked %+v, want one, at the pre-plan's level", h.recommends)
	}
	if ev := h.eventsOfKind(fireline.EventAssessed); len(ev) != 1 || !strings.Contains(ev[0].Detail, "Riverside Tower") || ev[0].Actor != "pre-plan" {
		t.Errorf("assessment events %+v", ev)
	}
}

func result(t *testing.T, h *harness) workflows.IncidentState {
	t.Helper()
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var st workflows.IncidentState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestCancellation: an incident is called off with a reason; its units are released, the
// review says so, and no order is taken after.
func TestCancellation(t *testing.T) {
	h := newHarness(t)
	var d, noReason, cancel, late outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1"}}, &d)
	h.update(20*time.Second, workflows.UpdateCancel, fireline.CancelOrder{Actor: "operator", Reason: "  "}, &noReason)
	h.update(30*time.Second, workflows.UpdateCancel, fireline.CancelOrder{Actor: "operator", Reason: "caller mistook steam for smoke"}, &cancel)
	h.update(31*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"L-1"}}, &late)
	st := h.run(t)
	ok(t, "dispatch", d)
	ok(t, "cancel", cancel)
	assertCode(t, noReason.rejected, fireline.EINVALID)
	if late.done && late.rejected == nil && late.failed == nil {
		t.Error("a dispatch after the cancellation succeeded")
	}
	if len(h.closes) != 1 || h.closes[0].Status != fireline.IncidentCancelled || h.closes[0].Event.Kind != fireline.EventCancelled {
		t.Fatalf("close activity calls %+v, want one cancellation", h.closes)
	}
	if st.Outcome != fireline.IncidentCancelled || st.Status != fireline.IncidentReviewed || st.Review.Outcome != fireline.IncidentCancelled ||
		st.Review.Reason != "caller mistook steam for smoke" || st.Assignments[0].ClearedAt == nil {
		t.Errorf("state %+v", st)
	}
	for _, tk := range st.AgencyTasks {
		if tk.Status != fireline.TaskCancelled {
			t.Errorf("agency task %+v still open after the cancellation", tk)
		}
	}
}

// TestPanelReset: a panel's reset before any dispatch cancels the incident it opened; after a
// dispatch it is only recorded. Faults are recorded too.
func TestPanelReset(t *testing.T) {
	reset := func(id int64) workflows.AlarmSignal {
		return workflows.AlarmSignal{Alarm: fireline.Alarm{ID: id, Source: fireline.SourceIoT, Kind: fireline.KindReset, DeviceID: "FACP-1"}}
	}
	t.Run("before dispatch", func(t *testing.T) {
		h := newHarness(t)
		h.signal(40*time.Second, workflows.SignalAlarm, reset(80))
		st := h.run(t)
		if st.Outcome != fireline.IncidentCancelled || !strings.Contains(st.Reason, "reset") {
			t.Errorf("state %+v, want cancelled by the reset", st)
		}
		if ev := h.eventsOfKind(fireline.EventPanelEvent); len(ev) != 1 || ev[0].Key != "panel:80" {
			t.Errorf("panel events %+v", ev)
		}
	})
	t.Run("after dispatch", func(t *testing.T) {
		h := newHarness(t)
		var d, c outcome
		h.update(10*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1"}}, &d)
		h.signal(40*time.Second, workflows.SignalAlarm, reset(80))
		h.signal(50*time.Second, workflows.SignalAlarm, workflows.AlarmSignal{Alarm: fireline.Alarm{ID: 81, Source: fireline.SourceIoT, Kind: fireline.KindFault, DeviceID: "FACP-1"}})
		h.update(5*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
		st := h.run(t)
		if st.Outcome != fireline.IncidentClosed || slices.Contains(st.AlarmIDs, 80) {
			t.Errorf("state %+v, want closed by the operator, the reset not counted as an alarm", st)
		}
		ev := h.eventsOfKind(fireline.EventPanelEvent)
		if len(ev) != 2 || !strings.Contains(ev[0].Detail, "units continue") || !strings.Contains(ev[1].Detail, "fault") {
			t.Errorf("panel events %+v", ev)
		}
	})
}

// TestMergeInto: an incident found to duplicate another is merged into it: PostgreSQL moves
// its alarms and units, the other incident's workflow is told, and this one ends unreviewed.
func TestMergeInto(t *testing.T) {
	h := newHarness(t)
	h.merged = activities.MergeResult{AlarmIDs: []int64{70}, Units: []string{"E-1"}}
	var told []workflows.MergedSignal
	h.env.OnSignalExternalWorkflow(mock.Anything, fireline.WorkflowID(9), "", workflows.SignalMerged, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			told = append(told, arg.(workflows.MergedSignal))
			return nil
		})
	var d, self, m, after outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}}, &d)
	h.status(8*time.Second, "L-1", fireline.UnitAvailable) // L-1 released before the merge
	h.update(20*time.Second, workflows.UpdateMergeInto, fireline.MergeOrder{Into: 7, Actor: "operator"}, &self)
	h.update(30*time.Second, workflows.UpdateMergeInto, fireline.MergeOrder{Into: 9, Actor: "operator"}, &m)
	h.update(31*time.Second, workflows.UpdateClose, fireline.CloseOrder{}, &after)
	st := h.run(t)
	ok(t, "merge", m)
	assertCode(t, self.rejected, fireline.EINVALID)
	if after.done && after.rejected == nil && after.failed == nil {
		t.Error("closing a merged incident succeeded")
	}
	if st.Status != fireline.IncidentMerged || st.Outcome != fireline.IncidentMerged || st.MergedInto != 9 || st.Review != nil {
		t.Errorf("state %+v, want merged into 9 without a review", st)
	}
	if len(told) != 1 || told[0].From != 7 || len(told[0].Assignments) != 1 || told[0].Assignments[0].UnitID != "E-1" {
		t.Errorf("incident 9 was told %+v, want E-1's assignment from 7", told)
	}
	if slices.Contains(h.eventKeys(), "reviewed") {
		t.Error("a merged incident wrote a review")
	}
}

// TestAdoptMerged: the incident another was merged into takes on its alarms and units, and its
// crews' reports.
func TestAdoptMerged(t *testing.T) {
	h := newHarness(t)
	moved := fireline.Assignment{UnitID: "E-3", Type: fireline.UnitEngine, Status: fireline.UnitEnRoute, DispatchedAt: t0, EnRouteAt: &t0}
	h.signal(20*time.Second, workflows.SignalMerged, workflows.MergedSignal{From: 8, AlarmIDs: []int64{90, 91}, Assignments: []fireline.Assignment{moved}})
	h.status(60*time.Second, "E-3", fireline.UnitOnScene)
	var c outcome
	h.update(5*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	st := h.run(t)
	if !slices.Equal(st.AlarmIDs, []int64{70, 90, 91}) || len(st.Assignments) != 1 || st.Assignments[0].OnSceneAt == nil {
		t.Errorf("state %+v, want the merged alarms and E-3 on scene", st)
	}
	if !slices.Contains(h.eventKeys(), "status:active") {
		t.Error("the incident did not become active with the merged units")
	}
}

// TestSplitAlarm: an alarm that turns out to be another emergency leaves for an incident of
// its own, whose workflow starts as an abandoned child.
func TestSplitAlarm(t *testing.T) {
	h := newHarness(t)
	second := input().Alarm
	second.ID, second.SourceID = 71, "c-2"
	h.split = activities.SplitResult{IncidentID: 8, Alarm: second}
	// The new incident's workflow is a child of the registered type Incident, mocked here; the
	// incident under test runs the same code under another name so the mock leaves it alone.
	h.env.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: "IncidentUnderTest"})
	var started []workflows.IncidentInput
	h.env.OnWorkflow(workflows.IncidentWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in workflows.IncidentInput) (workflows.IncidentState, error) {
			started = append(started, in)
			return workflows.IncidentState{}, nil
		})
	var only, split, unknown, c outcome
	h.update(5*time.Second, workflows.UpdateSplitAlarm, fireline.SplitOrder{AlarmID: 70}, &only)
	h.signal(10*time.Second, workflows.SignalAlarm, workflows.AlarmSignal{Alarm: second})
	h.update(20*time.Second, workflows.UpdateSplitAlarm, fireline.SplitOrder{AlarmID: 99}, &unknown)
	h.update(30*time.Second, workflows.UpdateSplitAlarm, fireline.SplitOrder{AlarmID: 71, Actor: "operator"}, &split)
	h.update(5*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	h.env.ExecuteWorkflow("IncidentUnderTest", input())
	st := result(t, h)
	assertCode(t, only.rejected, fireline.ECONFLICT)
	assertCode(t, unknown.rejected, fireline.EINVALID)
	ok(t, "split", split)
	if res, _ := split.result.(workflows.SplitResult); res.IncidentID != 8 {
		t.Errorf("split answered %+v, want incident 8", split.result)
	}
	if !slices.Equal(st.AlarmIDs, []int64{70}) {
		t.Errorf("alarms left %v, want [70]", st.AlarmIDs)
	}
	if len(started) != 1 || started[0].IncidentID != 8 || started[0].Alarm.ID != 71 {
		t.Errorf("child workflows %+v, want incident 8 started with alarm 71", started)
	}
}

// TestAgencyTasks: tasks reported done in time never escalate; progress is recorded; a task
// nobody asked for is refused.
func TestAgencyTasks(t *testing.T) {
	h := newHarness(t)
	var d, ack, done, unknown, backwards, c outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1"}}, &d)
	h.update(time.Minute, workflows.UpdateAgencyTask, fireline.AgencyTaskOrder{Agency: fireline.AgencyPolice, Status: fireline.TaskAcknowledged, Actor: "operator"}, &ack)
	h.update(2*time.Minute, workflows.UpdateAgencyTask, fireline.AgencyTaskOrder{Agency: fireline.AgencyPower, Status: fireline.TaskDone}, &unknown)
	h.update(3*time.Minute, workflows.UpdateAgencyTask, fireline.AgencyTaskOrder{Agency: fireline.AgencyPolice, Status: fireline.TaskRequested}, &backwards)
	h.update(4*time.Minute, workflows.UpdateAgencyTask, fireline.AgencyTaskOrder{Agency: fireline.AgencyPolice, Status: fireline.TaskDone, Note: "junction closed", Actor: "operator"}, &done)
	h.update(20*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	st := h.run(t)
	ok(t, "acknowledged", ack)
	ok(t, "done", done)
	assertCode(t, unknown.rejected, fireline.ENOTFOUND)
	assertCode(t, backwards.rejected, fireline.EINVALID)
	if len(st.AgencyTasks) != 1 || st.AgencyTasks[0].Status != fireline.TaskDone || st.AgencyTasks[0].Note != "junction closed" {
		t.Errorf("tasks %+v", st.AgencyTasks)
	}
	if _, raised := h.escalatedAt()["escalation:agency:police"]; raised {
		t.Error("a task done in time was escalated")
	}
}

// TestContinueAsNew: a run whose history grows past its limit hands its whole state to a new
// run, which carries on supervising and ends the incident with a review of both runs.
func TestContinueAsNew(t *testing.T) {
	h := newHarness(t)
	in := input()
	in.HistoryLimit = 150
	var d outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}}, &d)
	h.status(20*time.Second, "E-1", fireline.UnitEnRoute)
	for i := range 60 { // a flood of duplicate calls
		a := in.Alarm
		a.ID = int64(100 + i)
		h.signal(time.Duration(30+i)*time.Second, workflows.SignalAlarm, workflows.AlarmSignal{Alarm: a})
	}
	// The test environment keeps no history; it reports the length a real server would.
	h.env.RegisterDelayedCallback(func() { h.env.SetCurrentHistoryLength(151) }, 60*time.Second)
	h.env.ExecuteWorkflow(workflows.IncidentWorkflow, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want to continue as new", err)
	}
	var next workflows.IncidentInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	r := next.Resume
	if r == nil || r.Ledger.Runs != 1 || r.State.FirstDispatchAt == nil || len(r.State.AlarmIDs) < 2 || r.Ledger.UnitRound["E-1"] != 1 ||
		r.State.FirstEnRouteAt == nil || next.IncidentID != 7 || next.HistoryLimit != 150 {
		t.Fatalf("handed over %+v", next)
	}

	// The second run: E-1 arrives, the incident closes, the review covers both runs.
	h2 := newHarness(t)
	next.HistoryLimit = 0
	var c outcome
	h2.status(time.Second, "E-1", fireline.UnitOnScene)
	h2.update(time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	h2.env.SetStartTime(t0.Add(2 * time.Minute))
	h2.env.ExecuteWorkflow(workflows.IncidentWorkflow, next)
	st := result(t, h2)
	if st.Review == nil || !sameSeconds(st.Review.CallProcessingSeconds, ptr(5)) || len(st.AlarmIDs) != len(r.State.AlarmIDs) {
		t.Fatalf("second run's state %+v", st)
	}
	if len(h2.recommends) != 0 {
		t.Error("the resumed run recommended again")
	}
	// L-1 never acknowledged: its escalation was raised in the first run, and not again.
	if !slices.Contains(r.Ledger.Escalated, "escalation:ack:L-1:1") {
		t.Errorf("first run's escalations %v, want L-1's ack", r.Ledger.Escalated)
	}
	if _, again := h2.escalatedAt()["escalation:ack:L-1:1"]; again {
		t.Error("an escalation of the first run was raised again")
	}
}

// TestSearchAttributes: with the namespace's search attributes registered, the incident keeps
// its type, level, status and cell current, so the Temporal UI filters incidents by them.
func TestSearchAttributes(t *testing.T) {
	h := newHarness(t)
	in := input()
	in.SearchAttributes, in.Alarm.Cell = true, "8940c8a0003ffff"
	var upserts []map[string]any
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		m := map[string]any{}
		for k, v := range args.Get(0).(temporal.SearchAttributes).GetUntypedValues() {
			m[k.GetName()] = v
		}
		upserts = append(upserts, m)
	}).Return(nil)
	var a, c outcome
	h.update(10*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeHazmat, Level: 2, Priority: 1}, &a)
	h.update(time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	h.env.ExecuteWorkflow(workflows.IncidentWorkflow, in)
	result(t, h)
	if len(upserts) < 3 {
		t.Fatalf("upserts %v", upserts)
	}
	last := upserts[len(upserts)-1]
	if last[workflows.SearchType] != "hazmat" || last[workflows.SearchLevel] != int64(2) || last[workflows.SearchStatus] != "reviewed" ||
		last[workflows.SearchCell] != "8940c8a0003ffff" {
		t.Errorf("last search attributes %v", last)
	}
}

// TestReplacementsForSilentUnits: units of one dispatch that all stay silent time out together,
// and each is offered a different replacement; an offer goes once its silent unit answers.
func TestReplacementsForSilentUnits(t *testing.T) {
	h := newHarness(t)
	var d, c outcome
	var mid workflows.IncidentState
	h.update(time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "E-2", "L-1"}}, &d)
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err == nil {
			err = v.Get(&mid)
		}
		if err != nil {
			t.Error(err)
		}
	}, 35*time.Second)
	h.status(40*time.Second, "L-1", fireline.UnitAcknowledged)
	h.update(5*time.Minute, workflows.UpdateClose, fireline.CloseOrder{}, &c)
	st := h.run(t)
	ok(t, "dispatch", d)
	offered := map[string]string{} // replacement → silent unit
	for _, r := range mid.Replacements {
		if other, dup := offered[r.UnitID]; dup {
			t.Errorf("%s offered for both %s and %s", r.UnitID, other, r.Replaces)
		}
		offered[r.UnitID] = r.Replaces
	}
	// The fleet has one engine (E-3) and one ladder (L-2) left: the second silent engine has
	// none, and the timeline says so.
	if len(offered) != 2 || offered["L-2"] != "L-1" || (offered["E-3"] != "E-1" && offered["E-3"] != "E-2") {
		t.Errorf("replacements at 35 s %+v, want E-3 for one silent engine and L-2 for L-1", mid.Replacements)
	}
	if !slices.ContainsFunc(h.eventsOfKind(fireline.EventReplacement), func(e fireline.TimelineEvent) bool { return strings.Contains(e.Detail, "no available engine") }) {
		t.Error("the timeline does not say that no engine was left for the second silent engine")
	}
	if slices.ContainsFunc(st.Replacements, func(r fireline.Recommendation) bool { return r.Replaces == "L-1" }) {
		t.Errorf("replacements at the end %+v: L-1 answered, its replacement should be gone", st.Replacements)
	}
}
