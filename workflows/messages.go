// Package workflows holds Fireline's Temporal workflows: one Incident workflow per incident,
// from its first alarm to its after-action review. Workflows are deterministic: they see the
// domain, the message types in this file and activity method values, and nothing else.
package workflows

import (
	"time"

	"github.com/fireline/fireline"
)

// Names shared by workflows, workers and clients. A rename here breaks running incidents: the
// registered names are part of the durable history.
const (
	// TaskQueue is where incident workflows and their activities run.
	TaskQueue = "fireline-incidents"
	// IncidentWorkflow is the registered name of Incident.
	IncidentWorkflow = "Incident"

	// SignalAlarm carries an AlarmSignal: another alarm merged into the incident, or a panel's
	// event about it (a reset).
	SignalAlarm = "alarm"
	// SignalUnitStatus carries a fireline.UnitStatusReport from the field.
	SignalUnitStatus = "unit-status"
	// SignalMerged carries a MergedSignal: another incident was merged into this one.
	SignalMerged = "merged"
	// UpdateDispatch takes a fireline.DispatchOrder and answers a DispatchResult.
	UpdateDispatch = "dispatch"
	// UpdateClose takes a fireline.CloseOrder and answers the IncidentState after closing.
	UpdateClose = "close"
	// UpdateAssess takes a fireline.AssessOrder and answers the IncidentState after it.
	UpdateAssess = "assess"
	// UpdateControlled takes a fireline.StageOrder: the fire is under control, units still on
	// scene.
	UpdateControlled = "controlled"
	// UpdateCancel takes a fireline.CancelOrder and answers the IncidentState after cancelling.
	UpdateCancel = "cancel"
	// UpdateMergeInto takes a fireline.MergeOrder: this incident is merged into another.
	UpdateMergeInto = "merge-into"
	// UpdateSplitAlarm takes a fireline.SplitOrder and answers a SplitResult: an alarm leaves
	// for an incident of its own.
	UpdateSplitAlarm = "split-alarm"
	// UpdateAgencyTask takes a fireline.AgencyTaskOrder and answers the fireline.AgencyTask.
	UpdateAgencyTask = "agency-task"
	// UpdateConfirmPAR takes a fireline.StageOrder: the incident commander reports every crew
	// accounted for.
	UpdateConfirmPAR = "confirm-par"
	// QueryState answers the IncidentState.
	QueryState = "state"
)

// Search attributes the Temporal UI filters incidents by, kept current by the workflow. They
// must be registered in the namespace (the embedded server and `fireline serve` do it).
const (
	SearchType   = "FirelineType"   // keyword: the incident type
	SearchLevel  = "FirelineLevel"  // int: the alarm level
	SearchStatus = "FirelineStatus" // keyword: the incident status
	SearchCell   = "FirelineCell"   // keyword: the resolution-9 H3 cell, hex
)

// Timers are the supervision intervals of an incident; a lapse escalates to the supervisor.
type Timers struct {
	// Assessment is alarm received → incident assessed.
	Assessment time.Duration
	// CallProcessing is alarm received → first dispatch (NFPA 1225: 60 s).
	CallProcessing time.Duration
	// Acknowledge is dispatch → the crew's acknowledgement; a lapse also recommends a
	// replacement.
	Acknowledge time.Duration
	// Turnout is dispatch → en route (NFPA 1710: 60 s for EMS, 80 s for fire).
	Turnout time.Duration
	// FirstArrival is the first unit en route → the first unit on scene (240 s of travel).
	FirstArrival time.Duration
	// FullAlarm is the first unit en route → every unit of the first alarm on scene (480 s).
	FullAlarm time.Duration
	// PARInterval is how often, while crews work the scene, a personnel accountability report
	// is due; PARGrace is how long the commander has to confirm it.
	PARInterval time.Duration
	PARGrace    time.Duration
}

// DefaultTimers are the standard intervals of a fire.
func DefaultTimers() Timers {
	return Timers{
		Assessment: 60 * time.Second, CallProcessing: 60 * time.Second, Acknowledge: 30 * time.Second,
		Turnout: 80 * time.Second, FirstArrival: 240 * time.Second, FullAlarm: 480 * time.Second,
		PARInterval: 20 * time.Minute, PARGrace: 5 * time.Minute,
	}
}

// TimerPolicy gives each incident type its timers: Default, with the non-zero fields of
// ByType's entry for the type in place of Default's.
type TimerPolicy struct {
	Default Timers
	ByType  map[fireline.IncidentType]Timers
}

// DefaultTimerPolicy is DefaultTimers with NFPA 1710's shorter EMS turnout (60 s) for the
// incident types whose first units are a rescue, not a fire fight.
func DefaultTimerPolicy() TimerPolicy {
	ems := Timers{Turnout: 60 * time.Second}
	return TimerPolicy{Default: DefaultTimers(), ByType: map[fireline.IncidentType]Timers{
		fireline.TypeTrafficAccident: ems, fireline.TypeWaterRescue: ems,
		fireline.TypeBuildingCollapse: ems, fireline.TypeHelpRequested: ems,
	}}
}

// For returns the timers of incident type t.
func (p TimerPolicy) For(t fireline.IncidentType) Timers {
	out := p.Default
	o, ok := p.ByType[t]
	if !ok {
		return out
	}
	for _, f := range []struct{ dst, src *time.Duration }{
		{&out.Assessment, &o.Assessment}, {&out.CallProcessing, &o.CallProcessing}, {&out.Acknowledge, &o.Acknowledge},
		{&out.Turnout, &o.Turnout}, {&out.FirstArrival, &o.FirstArrival}, {&out.FullAlarm, &o.FullAlarm},
		{&out.PARInterval, &o.PARInterval}, {&out.PARGrace, &o.PARGrace},
	} {
		if *f.src > 0 {
			*f.dst = *f.src
		}
	}
	return out
}

// Validate reports a policy with a timer that is not positive.
func (p TimerPolicy) Validate() error {
	d := p.Default
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"assessment", d.Assessment}, {"call processing", d.CallProcessing}, {"acknowledge", d.Acknowledge},
		{"turnout", d.Turnout}, {"first arrival", d.FirstArrival}, {"full alarm", d.FullAlarm},
		{"PAR interval", d.PARInterval}, {"PAR grace", d.PARGrace},
	} {
		if f.v <= 0 {
			return fireline.Errorf(fireline.EINVALID, "timer %s: %s is not a positive duration", f.name, f.v)
		}
	}
	return nil
}

// IncidentInput starts an Incident workflow.
type IncidentInput struct {
	IncidentID int64
	// Alarm is the first alarm; its ReceivedAt starts call processing.
	Alarm fireline.Alarm
	// Timers are the intervals of incidents started before the timer policy; they are read by
	// the legacy lifecycle only.
	Timers Timers
	// Policy gives the supervision intervals per incident type; nil means DefaultTimerPolicy.
	Policy *TimerPolicy
	// Resume is the state of the run this one continues, nil for a new incident.
	Resume *Resume
	// HistoryLimit is the history length past which a run continues as new; 0 means
	// DefaultHistoryLimit. Tests set it low.
	HistoryLimit int
	// SearchAttributes is set when the namespace has the incident search attributes
	// (SearchType...): the workflow keeps them current only then, since upserting one the
	// namespace does not know fails the workflow task.
	SearchAttributes bool
}

// DefaultHistoryLimit keeps an incident's run far below Temporal's warning at 10,240 events: a
// fire that draws a thousand duplicate calls or burns for days continues as new, carrying its
// state, instead of growing one history without bound.
const DefaultHistoryLimit = 8000

// Resume carries an incident's state into the run that continues it.
type Resume struct {
	State  IncidentState
	Ledger Ledger
}

// Ledger is the workflow's bookkeeping beside what it answers to queries.
type Ledger struct {
	// Rounds counts dispatch orders; UnitRound is the round that sent each unit, so timeline
	// keys stay unique when a unit is sent, released and sent again.
	Rounds    int
	UnitRound map[string]int
	// Reports counts the status changes applied per timeline key.
	Reports map[string]int
	// Escalated lists the escalation keys already raised, in the order raised.
	Escalated []string
	// PARRound is the number of the PAR cycle in progress (0 before the first).
	PARRound int
	// Recommendations and Assessments count those made, for unique timeline keys.
	Recommendations int
	Assessments     int
	// Runs counts the runs of this incident's workflow, the first being 1.
	Runs int
	// Types are the incident types the incident has had, each as it was when the incident
	// took it (types.go); empty for an incident started before types were data.
	Types []fireline.TypeSnapshot
}

// AlarmSignal reports a further alarm merged into the incident.
type AlarmSignal struct {
	Alarm fireline.Alarm
}

// DispatchResult lists the incident's assignments after the dispatch.
type DispatchResult struct {
	Assignments []fireline.Assignment
}

// IncidentState is what the workflow knows now, answered by QueryState.
type IncidentState struct {
	IncidentID     int64
	Status         fireline.IncidentStatus
	Type           fireline.IncidentType
	Level          int
	Point          fireline.Point
	AlarmIDs       []int64
	Recommendation []fireline.Recommendation
	Alternates     []fireline.Recommendation
	Short          []fireline.PlanSlot
	Assignments    []fireline.Assignment
	// FirstDispatchAt is when the first unit was dispatched, nil before.
	FirstDispatchAt *time.Time
	Escalations     int
	Review          *fireline.Review

	// Priority is the assessed urgency, 0 before assessment.
	Priority fireline.Priority
	// AssessedAt is when the incident was assessed, nil before; AssessedBy who did (a user,
	// "pre-plan" or "dispatch" when the first dispatch accepted the alarm's type at level 1).
	AssessedAt *time.Time
	AssessedBy string
	// Replacements are units recommended in place of units that did not acknowledge in time.
	Replacements []fireline.Recommendation
	// FirstAlarm lists the units of the first dispatch: the full first-alarm assignment.
	FirstAlarm []string
	// FirstEnRouteAt and FirstOnSceneAt are the first en-route and on-scene reports of any unit.
	FirstEnRouteAt *time.Time
	FirstOnSceneAt *time.Time
	ControlledAt   *time.Time
	// AgencyTasks are the joint-agency tasks requested for the incident.
	AgencyTasks []fireline.AgencyTask
	// PARDueAt is when the pending PAR fell due, nil when none is pending; PARConfirmedAt when
	// the last was confirmed.
	PARDueAt       *time.Time
	PARConfirmedAt *time.Time
	// Outcome is how the incident ended: closed, cancelled or merged; Reason says why (the
	// close or cancel reason). MergedInto is the incident it was merged into.
	Outcome    fireline.IncidentStatus
	Reason     string
	MergedInto int64
	// PremiseID is the key premises the incident is at, from its first alarm.
	PremiseID string
}

// MergedSignal tells an incident that another was merged into it: its alarms and units are
// now this incident's.
type MergedSignal struct {
	From     int64
	AlarmIDs []int64
	// Assignments are the open assignments that moved, as the merged incident knew them.
	Assignments []fireline.Assignment
	Actor       string
}

// SplitResult names the incident the alarm now belongs to.
type SplitResult struct {
	IncidentID int64
}
