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

	// SignalAlarm carries an AlarmSignal: another alarm merged into the incident.
	SignalAlarm = "alarm"
	// SignalUnitStatus carries a UnitStatusSignal from the field.
	SignalUnitStatus = "unit-status"
	// UpdateDispatch takes a DispatchRequest and answers a DispatchResult.
	UpdateDispatch = "dispatch"
	// UpdateClose takes a CloseRequest and answers the IncidentState after closing.
	UpdateClose = "close"
	// QueryState answers the IncidentState.
	QueryState = "state"
)

// Timers are the supervision intervals of an incident; a lapse escalates to the supervisor.
type Timers struct {
	// CallProcessing is alarm received → first dispatch (NFPA 1225: 60 s).
	CallProcessing time.Duration
	// Acknowledge is dispatch → the crew's acknowledgement.
	Acknowledge time.Duration
}

// DefaultTimers are the standard intervals.
func DefaultTimers() Timers {
	return Timers{CallProcessing: 60 * time.Second, Acknowledge: 30 * time.Second}
}

// IncidentInput starts an Incident workflow.
type IncidentInput struct {
	IncidentID int64
	// Alarm is the first alarm; its ReceivedAt starts call processing.
	Alarm  fireline.Alarm
	Timers Timers
}

// AlarmSignal reports a further alarm merged into the incident.
type AlarmSignal struct {
	Alarm fireline.Alarm
}

// UnitStatusSignal is a crew's status report.
type UnitStatusSignal struct {
	UnitID string
	Status fireline.UnitStatus
	// At is when the API received the report: the time that counts for the intervals.
	At    time.Time
	Actor string
	// ByDispatcher is set when an operator, supervisor or admin made the change rather than the
	// unit's crew: a dispatcher may correct a status backwards (fireline.UnitStatus.CanMoveTo).
	ByDispatcher bool
}

// DispatchRequest is an operator's order to send units.
type DispatchRequest struct {
	UnitIDs []string
	Actor   string
}

// DispatchResult lists the incident's assignments after the dispatch.
type DispatchResult struct {
	Assignments []fireline.Assignment
}

// CloseRequest is an operator's order to close the incident.
type CloseRequest struct {
	Actor  string
	Reason string
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
}
