package workflows_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/workflows"
)

// gasLeak is an administrator's type: a hazmat category with a 45 s turnout of its own, the
// gas company asked at level 1 and the police from level 2, and run cards of one rescue and an
// engine per level.
func gasLeak() fireline.TypeSnapshot {
	s := fireline.TypeSnapshot{Definition: fireline.TypeDefinition{
		Code: "gas_leak", NameZH: "燃气泄漏", NameEN: "Gas leak", Category: fireline.CategoryHazmat,
		Timers: fireline.TypeTimers{TurnoutS: 45},
		AgencyTasks: []fireline.TypeTask{
			{MinLevel: 1, Agency: fireline.AgencyGas, Task: "isolate the gas supply", WithinS: 600},
			{MinLevel: 2, Agency: fireline.AgencyPolice, Task: "evacuate the block", WithinS: 600},
		},
	}}
	for level := fireline.MinLevel; level <= fireline.MaxLevel; level++ {
		s.Plans = append(s.Plans, fireline.ResponsePlan{IncidentType: "gas_leak", Level: level,
			Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: level}, {Type: fireline.UnitRescue, Count: 1}}})
	}
	return s
}

// TestIncidentKeepsItsTypeDefinition: an incident of an administrator's type goes on with the
// type as it was when the incident started, after the administrator renames it, changes its
// timers, tasks and run cards and retires it; an assessment to a type that does not exist is
// refused.
func TestIncidentKeepsItsTypeDefinition(t *testing.T) {
	h := newHarness(t)
	h.types["gas_leak"] = gasLeak()
	h.env.RegisterDelayedCallback(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		changed := gasLeak()
		retired := t0.Add(10 * time.Second)
		changed.Definition.NameZH, changed.Definition.NameEN, changed.Definition.RetiredAt = "天然气泄漏", "Natural gas leak", &retired
		changed.Definition.Timers.TurnoutS = 300
		changed.Definition.AgencyTasks = []fireline.TypeTask{{MinLevel: 1, Agency: fireline.AgencyWater, Task: "shut the mains", WithinS: 60}}
		for i := range changed.Plans {
			changed.Plans[i].Slots = []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 2}}
		}
		h.types["gas_leak"] = changed
	}, 10*time.Second)

	var assessed, flood, dispatched, closed outcome
	h.update(30*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: "gas_leak", Level: 2, Priority: 1, Actor: "operator"}, &assessed)
	h.update(40*time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: "flood", Level: 2, Priority: 2, Actor: "operator"}, &flood)
	h.update(50*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1"}, Actor: "operator"}, &dispatched)
	h.status(60*time.Second, "E-1", fireline.UnitAcknowledged)
	h.update(20*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator", Reason: "leak stopped"}, &closed)

	in := input()
	in.Alarm.Type = "gas_leak"
	st := h.runInput(t, in)

	for name, o := range map[string]outcome{"assess": assessed, "dispatch": dispatched, "close": closed} {
		if !o.done || o.rejected != nil || o.failed != nil {
			t.Fatalf("%s: done=%v rejected=%v failed=%v", name, o.done, o.rejected, o.failed)
		}
	}
	var app *temporal.ApplicationError
	if err := errors.Join(flood.rejected, flood.failed); !errors.As(err, &app) || app.Type() != fireline.EINVALID {
		t.Errorf("assess to a type that does not exist: %v, want an EINVALID refusal", err)
	}
	if st.Type != "gas_leak" || st.Level != 2 {
		t.Errorf("final type %s level %d, want gas_leak level 2", st.Type, st.Level)
	}
	if want := []fireline.IncidentType{"gas_leak", "flood"}; !slices.Equal(h.snapshots, want) {
		t.Errorf("type reads %v, want %v: the incident's own type is read once, at start", h.snapshots, want)
	}

	// The run cards as they were at start: level 1's at start, level 2's on the assessment.
	want := gasLeak()
	var levels []int
	for _, r := range h.recommends {
		if len(r.Slots) == 1 && r.Slots[0].Count == 1 && r.Slots[0].Type != fireline.UnitRescue {
			continue // a replacement for a silent unit
		}
		levels = append(levels, r.Level)
		if !slices.Equal(r.Slots, want.Slots(r.Level)) {
			t.Errorf("level %d recommended from %v, want the card at start %v", r.Level, r.Slots, want.Slots(r.Level))
		}
	}
	if !slices.Equal(levels, []int{1, 2}) {
		t.Errorf("recommended for levels %v, want 1 then 2", levels)
	}

	// The tasks as they were at start: the gas company, then the police from level 2.
	var agencies []fireline.Agency
	for _, task := range h.agency {
		agencies = append(agencies, task.Agency)
	}
	if !slices.Equal(agencies, []fireline.Agency{fireline.AgencyGas, fireline.AgencyPolice}) {
		t.Errorf("agencies asked %v, want gas then police", agencies)
	}

	// The turnout as it was at start: 45 s after the dispatch at 50 s, not 300 s.
	if at, ok := h.escalatedAt()["escalation:turnout:E-1:1"]; !ok || !at.Equal(t0.Add(95*time.Second)) {
		t.Errorf("turnout escalated at %v (raised %v), want %v", at, ok, t0.Add(95*time.Second))
	}
}
