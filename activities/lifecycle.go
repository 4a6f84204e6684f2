package activities

import (
	"context"
	"time"

	"github.com/fireline/fireline"
)

// AssessInput stores an incident's assessment.
type AssessInput struct {
	IncidentID int64
	Type       fireline.IncidentType
	Level      int
	Priority   fireline.Priority
	// AssessedBy is who the incident's first assessment counts as: the operator, "pre-plan",
	// or "dispatch" when a dispatch accepted the alarm's type. The store keeps the first
	// assessment's, and Event.At as its time.
	AssessedBy string
	Event      fireline.TimelineEvent
}

// AssessIncident stores the incident's type, alarm level and priority, and the timeline event.
// An incident whose workflow started before AssessedBy existed counts its first assessment as
// the event's actor's.
func (a *Activities) AssessIncident(ctx context.Context, in AssessInput) error {
	by := in.AssessedBy
	if by == "" {
		by = in.Event.Actor
	}
	if err := a.store.AssessIncident(ctx, in.IncidentID, in.Type, in.Level, in.Priority, by, in.Event.At); err != nil {
		return classify("assess incident", err)
	}
	return classify("append event", a.store.AppendEvent(ctx, in.Event))
}

// Premise reads a key premises, for the pre-plan of an alarm from its panel.
func (a *Activities) Premise(ctx context.Context, id string) (fireline.Premise, error) {
	p, err := a.store.Premise(ctx, id)
	return p, classify("premise", err)
}

// SnapshotIncidentType reads an incident type in force and its run cards, for an incident
// that starts with it or is assessed as it: the workflow keeps the answer in its history, so
// the incident goes on with that definition whatever is changed after. A type that does not
// exist or is retired is a non-retryable EINVALID.
func (a *Activities) SnapshotIncidentType(ctx context.Context, code fireline.IncidentType) (fireline.TypeSnapshot, error) {
	s, err := a.store.IncidentTypeSnapshot(ctx, code)
	return s, classify("incident type snapshot", err)
}

// EscalateInput raises a lapsed timer to the supervisors.
type EscalateInput struct {
	Escalation fireline.Escalation
	Event      fireline.TimelineEvent
	// Agency is set when the lapse is a joint-agency task's: the task is marked overdue too.
	Agency fireline.Agency
}

// Escalate puts the escalation on the supervisors' queue and the incident's timeline, once.
func (a *Activities) Escalate(ctx context.Context, in EscalateInput) error {
	if _, err := a.store.RaiseEscalation(ctx, in.Escalation, in.Event); err != nil {
		return classify("raise escalation", err)
	}
	if in.Agency != "" {
		if err := a.store.MarkAgencyTaskEscalated(ctx, in.Escalation.IncidentID, in.Agency, in.Escalation.RaisedAt); err != nil {
			return classify("mark agency task escalated", err)
		}
	}
	a.log.Warn("escalation", "incident", in.Escalation.IncidentID, "timer", in.Escalation.Timer,
		"unit", in.Escalation.UnitID, "detail", in.Escalation.Detail)
	return nil
}

// AgencyTasksInput asks other agencies for their tasks.
type AgencyTasksInput struct {
	Tasks  []fireline.AgencyTask
	Events []fireline.TimelineEvent
}

// RequestAgencyTasks records the tasks as requested; an agency already asked keeps its task.
func (a *Activities) RequestAgencyTasks(ctx context.Context, in AgencyTasksInput) error {
	return classify("request agency tasks", a.store.RequestAgencyTasks(ctx, in.Tasks, in.Events))
}

// AgencyTaskInput moves a joint-agency task along.
type AgencyTaskInput struct {
	IncidentID int64
	Agency     fireline.Agency
	Status     fireline.AgencyTaskStatus
	Note       string
	Actor      string
	At         time.Time
	Event      fireline.TimelineEvent
}

// UpdateAgencyTask stores the task's new status and its timeline event.
func (a *Activities) UpdateAgencyTask(ctx context.Context, in AgencyTaskInput) (fireline.AgencyTask, error) {
	t, err := a.store.UpdateAgencyTask(ctx, in.IncidentID, in.Agency, in.Status, in.Note, in.Actor, in.At, in.Event)
	return t, classify("update agency task", err)
}

// MergeInput merges one incident into another.
type MergeInput struct {
	From, Into int64
	At         time.Time
	Actor      string
}

// MergeResult is what moved: the alarms and the units (by id) whose open assignments moved.
type MergeResult struct {
	AlarmIDs []int64
	Units    []string
}

// MergeIncidents moves the alarms and open assignments of From to Into and ends From as merged.
func (a *Activities) MergeIncidents(ctx context.Context, in MergeInput) (MergeResult, error) {
	alarms, units, err := a.store.MergeIncidents(ctx, in.From, in.Into, in.At, in.Actor)
	if err != nil {
		return MergeResult{}, classify("merge incidents", err)
	}
	if a.rooms != nil {
		a.rooms.CloseRoom(RoomName(in.From))
	}
	a.log.Info("incidents merged", "from", in.From, "into", in.Into, "alarms", alarms, "units", units, "actor", in.Actor)
	return MergeResult{AlarmIDs: alarms, Units: units}, nil
}

// SplitInput splits an alarm out of an incident into a new one.
type SplitInput struct {
	From, AlarmID int64
	At            time.Time
	Actor         string
}

// SplitResult is the new incident and its alarm.
type SplitResult struct {
	IncidentID int64
	Alarm      fireline.Alarm
}

// SplitAlarm moves the alarm into a new incident of its own and returns it.
func (a *Activities) SplitAlarm(ctx context.Context, in SplitInput) (SplitResult, error) {
	id, err := a.store.SplitAlarm(ctx, in.From, in.AlarmID, in.At, in.Actor)
	if err != nil {
		return SplitResult{}, classify("split alarm", err)
	}
	al, err := a.store.Alarm(ctx, in.AlarmID)
	if err != nil {
		return SplitResult{}, classify("read alarm", err)
	}
	a.log.Info("alarm split", "from", in.From, "alarm", in.AlarmID, "incident", id, "actor", in.Actor)
	return SplitResult{IncidentID: id, Alarm: al}, nil
}
