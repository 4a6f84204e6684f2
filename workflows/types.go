package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Incident types are data an administrator may change at any time; an incident goes on with
// the definition its type had when the incident took it (at start, or when an assessment gave
// it the type). The definition and the run cards of its levels are read once by an activity,
// so the snapshot sits in the history, and carried over continue-as-new in the Ledger. The
// timers, the joint-agency tasks and the units recommended come from the snapshot; an incident
// without one (started before types were data, or whose type could not be read at start)
// follows the built-in rules and reads the run cards when it recommends, as before.

// typeSnapshotChange names the change that made the incident snapshot its type. It is asked
// once per run, before anything else is scheduled: a history recorded before it has no marker
// and replays without snapshots.
const (
	typeSnapshotChange  = "incident-type-snapshot"
	typeSnapshotVersion = 1
)

// decideSnapshots asks, once per run, whether this run snapshots types, and for a new
// incident takes the snapshot of its first alarm's type. A type that cannot be read (retired
// since the alarm came in) is logged, and the incident follows the built-in rules.
func (inc *incident) decideSnapshots(ctx workflow.Context) {
	inc.snapshots = workflow.GetVersion(ctx, typeSnapshotChange, workflow.DefaultVersion, typeSnapshotVersion) >= typeSnapshotVersion
	if !inc.snapshots || inc.in.Resume != nil {
		return
	}
	read := func(ctx workflow.Context, t fireline.IncidentType) workflow.Future {
		return workflow.ExecuteActivity(withRetries(ctx), acts.SnapshotIncidentType, t)
	}
	if inc.localSteps {
		read = func(ctx workflow.Context, t fireline.IncidentType) workflow.Future {
			return runShort(ctx, true, acts.SnapshotIncidentType, t)
		}
	}
	if _, err := inc.readSnapshot(ctx, inc.st.Type, read); err != nil {
		inc.log.Warn("incident type not read; the built-in rules apply", "type", inc.st.Type, "error", err)
	}
}

// snapshot returns the incident's snapshot of type t, reading it with ctx's activity options
// the first time; nil, nil when this run takes no snapshots.
func (inc *incident) snapshot(ctx workflow.Context, t fireline.IncidentType) (*fireline.TypeSnapshot, error) {
	return inc.readSnapshot(ctx, t, func(ctx workflow.Context, t fireline.IncidentType) workflow.Future {
		return workflow.ExecuteActivity(ctx, acts.SnapshotIncidentType, t)
	})
}

// readSnapshot is snapshot with the read of its choice: the start's is a local step since
// localStepsChange.
func (inc *incident) readSnapshot(ctx workflow.Context, t fireline.IncidentType, read func(workflow.Context, fireline.IncidentType) workflow.Future) (*fireline.TypeSnapshot, error) {
	if s := inc.typeOf(t); s != nil || !inc.snapshots {
		return s, nil
	}
	var s fireline.TypeSnapshot
	if err := read(ctx, t).Get(ctx, &s); err != nil {
		return nil, err
	}
	inc.led.Types = append(inc.led.Types, s)
	return &inc.led.Types[len(inc.led.Types)-1], nil
}

// typeOf is the incident's snapshot of type t, nil when it has none.
func (inc *incident) typeOf(t fireline.IncidentType) *fireline.TypeSnapshot {
	i := slices.IndexFunc(inc.led.Types, func(s fireline.TypeSnapshot) bool { return s.Definition.Code == t })
	if i < 0 {
		return nil
	}
	return &inc.led.Types[i]
}

// timers are the supervision intervals of the incident's type now.
func (inc *incident) timers() Timers {
	if s := inc.typeOf(inc.st.Type); s != nil {
		return inc.policy.ForDefinition(s.Definition)
	}
	return inc.policy.For(inc.st.Type)
}

// agencyRules are the joint-agency tasks the incident's type and level call for.
func (inc *incident) agencyRules() []fireline.AgencyRule {
	s := inc.typeOf(inc.st.Type)
	if s == nil {
		return fireline.TasksFor(fireline.AgencyRules(), inc.st.Type, inc.st.Level)
	}
	var out []fireline.AgencyRule
	for _, t := range s.Definition.TasksAt(inc.st.Level) {
		out = append(out, fireline.AgencyRule{Type: inc.st.Type, MinLevel: t.MinLevel, Agency: t.Agency, Task: t.Task, Within: t.Within()})
	}
	return out
}

// planSlots puts the run card of the snapshot into a recommendation's input; without a
// snapshot, or a card for the level, the recommender reads the card in force.
func (inc *incident) planSlots(in *activities.RecommendInput) {
	if s := inc.typeOf(in.Type); s != nil && len(in.Slots) == 0 {
		in.Slots = s.Slots(in.Level)
	}
}

// ForDefinition returns the timers of an incident type as defined: Default, with the quick
// turnout of its category and then its own overrides in place of Default's.
func (p TimerPolicy) ForDefinition(d fireline.TypeDefinition) Timers {
	out := p.Default
	if d.Category.QuickTurnout() {
		out.Turnout = fireline.QuickTurnoutSeconds * time.Second
	}
	for _, f := range []struct {
		dst *time.Duration
		s   int
	}{
		{&out.Assessment, d.Timers.AssessmentS}, {&out.CallProcessing, d.Timers.CallProcessingS}, {&out.Acknowledge, d.Timers.AcknowledgeS},
		{&out.Turnout, d.Timers.TurnoutS}, {&out.FirstArrival, d.Timers.FirstArrivalS}, {&out.FullAlarm, d.Timers.FullAlarmS},
		{&out.PARInterval, d.Timers.PARIntervalS}, {&out.PARGrace, d.Timers.PARGraceS},
	} {
		if f.s > 0 {
			*f.dst = time.Duration(f.s) * time.Second
		}
	}
	return out
}
