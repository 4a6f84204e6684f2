package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/workflows"
)

// TestUnitTransitions: a crew moves through transporting and returning; its own backwards or
// impossible reports are dropped; a dispatcher's correction is applied, unsays the later step,
// and the step reached again gets a timeline entry of its own.
func TestUnitTransitions(t *testing.T) {
	h := newHarness(t)
	var dispatched, closed outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1", "L-1"}, Actor: "operator"}, &dispatched)
	h.status(20*time.Second, "E-1", fireline.UnitEnRoute)
	h.status(30*time.Second, "E-1", fireline.UnitTransporting) // a crew: transporting only from on scene
	h.status(200*time.Second, "E-1", fireline.UnitOnScene)     // pressed too early
	h.signal(210*time.Second, workflows.SignalUnitStatus, fireline.UnitStatusReport{
		UnitID: "E-1", Status: fireline.UnitEnRoute, At: t0.Add(210 * time.Second), Actor: "operator", ByDispatcher: true})
	h.status(215*time.Second, "E-1", fireline.UnitAcknowledged) // a crew's late report: never backwards
	h.status(300*time.Second, "E-1", fireline.UnitOnScene)
	h.status(400*time.Second, "E-1", fireline.UnitTransporting)
	h.status(500*time.Second, "E-1", fireline.UnitReturning)
	h.status(600*time.Second, "E-1", fireline.UnitOutOfService) // clear first
	h.status(700*time.Second, "E-1", fireline.UnitAvailable)
	h.status(40*time.Second, "L-1", fireline.UnitReturning) // not yet left: refused
	h.update(20*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator"}, &closed)

	st := h.run(t)
	if dispatched.failed != nil || closed.failed != nil {
		t.Fatalf("dispatch %v close %v", dispatched.failed, closed.failed)
	}
	var e1, l1 fireline.Assignment
	for _, a := range st.Assignments {
		switch a.UnitID {
		case "E-1":
			e1 = a
		case "L-1":
			l1 = a
		}
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	if e1.EnRouteAt == nil || !e1.EnRouteAt.Equal(at(20*time.Second)) || e1.OnSceneAt == nil || !e1.OnSceneAt.Equal(at(300*time.Second)) ||
		e1.ClearedAt == nil || !e1.ClearedAt.Equal(at(700*time.Second)) || e1.AckAt != nil {
		t.Errorf("E-1 %+v, want en route at 20 s, on scene at 300 s (after the correction), cleared at 700 s", e1)
	}
	if l1.Status != fireline.UnitAvailable { // released on close, never returning
		t.Errorf("L-1 %+v", l1)
	}
	var e1Keys []string
	for _, k := range h.eventKeys() {
		if len(k) > 8 && k[:8] == "unit:E-1" {
			e1Keys = append(e1Keys, k)
		}
	}
	want := []string{"unit:E-1:1:en_route", "unit:E-1:1:on_scene", "unit:E-1:1:en_route:2", "unit:E-1:1:on_scene:2",
		"unit:E-1:1:transporting", "unit:E-1:1:returning", "unit:E-1:1:available"}
	if !slices.Equal(e1Keys, want) {
		t.Errorf("E-1 timeline keys %v, want %v", e1Keys, want)
	}
	if slices.ContainsFunc(h.eventKeys(), func(k string) bool { return len(k) > 8 && k[:8] == "unit:L-1" }) {
		t.Errorf("L-1's refused report reached the timeline: %v", h.eventKeys())
	}
}
