package fireline

import (
	"context"
	"strings"
	"time"
)

// Operator orders and field reports on an incident. The API checks each with Validate before it
// is sent, and the incident workflow's Update validators call the same Validate before they
// check it against the incident's own state: one rule, one place.
//
// The orders travel in workflow histories as JSON keyed by their Go field names: renaming a
// field breaks the replay of running incidents, so they carry no json tags.

// MaxDispatchUnits bounds one dispatch order; a bigger one is a typing accident.
const MaxDispatchUnits = 30

// MaxReasonLen bounds the free text of an order: a close or cancel reason, an agency note.
const MaxReasonLen = 1024

// AssessOrder sets an incident's type, alarm level and priority. A higher level or another type
// on an incident with units out sends the difference (reinforcement).
type AssessOrder struct {
	Type     IncidentType
	Level    int
	Priority Priority
	Actor    string
}

// Validate names the first bad field of the assessment.
func (o AssessOrder) Validate() error {
	switch {
	case !o.Type.Valid():
		return Errorf(EINVALID, "type: %q is not an incident type code", o.Type)
	case o.Level < MinLevel || o.Level > MaxLevel:
		return Errorf(EINVALID, "level: %d is outside %d..%d", o.Level, MinLevel, MaxLevel)
	case !o.Priority.Valid():
		return Errorf(EINVALID, "priority: %d is outside %d..%d (1 is most urgent)", o.Priority, PriorityImmediate, PriorityRoutine)
	}
	return nil
}

// DispatchOrder sends units to an incident.
type DispatchOrder struct {
	UnitIDs []string
	Actor   string
}

// Validate checks the list of units: at least one, at most MaxDispatchUnits, none twice.
func (o DispatchOrder) Validate() error {
	switch {
	case len(o.UnitIDs) == 0:
		return Errorf(EINVALID, "unit_ids: name at least one unit")
	case len(o.UnitIDs) > MaxDispatchUnits:
		return Errorf(EINVALID, "unit_ids: at most %d units in one order", MaxDispatchUnits)
	}
	for i, id := range o.UnitIDs {
		for _, before := range o.UnitIDs[:i] {
			if before == id {
				return Errorf(EINVALID, "unit_ids: %s is listed twice", id)
			}
		}
	}
	return nil
}

// CloseOrder closes an incident; Reason is optional.
type CloseOrder struct {
	Actor  string
	Reason string
}

// Validate bounds the reason.
func (o CloseOrder) Validate() error { return validateReason("reason", o.Reason) }

// CancelOrder calls an incident off at any open stage; it must say why.
type CancelOrder struct {
	Actor  string
	Reason string
}

// Validate requires a reason and bounds it.
func (o CancelOrder) Validate() error {
	if strings.TrimSpace(o.Reason) == "" {
		return Errorf(EINVALID, "reason: say why the incident is cancelled")
	}
	return validateReason("reason", o.Reason)
}

// StageOrder reports a stage reached: the incident under control, a PAR confirmed.
type StageOrder struct {
	Actor string
}

// Validate accepts every stage order: it carries nothing to check.
func (o StageOrder) Validate() error { return nil }

// MergeOrder merges an incident into incident Into, a duplicate found late.
type MergeOrder struct {
	Into  int64
	Actor string
}

// Validate checks that the order names another incident than id, the one merged away.
func (o MergeOrder) Validate(id int64) error {
	switch {
	case o.Into <= 0:
		return Errorf(EINVALID, "into: name the incident to merge into")
	case o.Into == id:
		return Errorf(EINVALID, "into: an incident cannot be merged into itself")
	}
	return nil
}

// SplitOrder moves one alarm out of an incident into an incident of its own.
type SplitOrder struct {
	AlarmID int64
	Actor   string
}

// Validate checks that the order names an alarm.
func (o SplitOrder) Validate() error {
	if o.AlarmID <= 0 {
		return Errorf(EINVALID, "alarm_id: name the alarm to split out")
	}
	return nil
}

// AgencyTaskOrder reports progress of a joint-agency task.
type AgencyTaskOrder struct {
	Agency Agency
	Status AgencyTaskStatus
	Note   string
	Actor  string
}

// Validate checks the agency, the new status (never back to requested) and the note.
func (o AgencyTaskOrder) Validate() error {
	switch {
	case !o.Agency.Valid():
		return Errorf(ENOTFOUND, "no agency %q", o.Agency)
	case !o.Status.Valid() || o.Status == TaskRequested:
		return Errorf(EINVALID, "status: %q is not acknowledged, done or cancelled", o.Status)
	}
	return validateReason("note", o.Note)
}

// UnitStatusReport is a unit's status change on an incident: its crew's report, or a
// dispatcher's correction.
type UnitStatusReport struct {
	UnitID string
	Status UnitStatus
	// At is when Fireline received the report: the time that counts for the intervals.
	At    time.Time
	Actor string
	// ByDispatcher is set when an operator, supervisor or admin made the change rather than the
	// unit's crew: a dispatcher may correct a status backwards (UnitStatus.CanMoveTo).
	ByDispatcher bool
}

func validateReason(field, s string) error {
	if len(strings.TrimSpace(s)) > MaxReasonLen {
		return Errorf(EINVALID, "%s: longer than %d bytes", field, MaxReasonLen)
	}
	return nil
}

// orderKey is the context key of an order's idempotency key.
type orderKey struct{}

// WithOrderKey marks the order sent with ctx by its client's idempotency key: the same order
// sent again with the same key (a retry after an answer that never came, or a 503 while the
// order was in fact being carried out) is carried out once and answered as the first was.
func WithOrderKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, orderKey{}, key)
}

// OrderKey is the idempotency key WithOrderKey gave ctx, "" when none.
func OrderKey(ctx context.Context) string {
	k, _ := ctx.Value(orderKey{}).(string)
	return k
}

// ValidOrderKey checks an idempotency key as a client sends it: 1 to 128 visible ASCII
// characters (a UUID, say).
func ValidOrderKey(key string) error {
	if key == "" || len(key) > 128 {
		return Errorf(EINVALID, "Idempotency-Key: want 1 to 128 characters, got %d", len(key))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return Errorf(EINVALID, "Idempotency-Key: character %d is not visible ASCII", i+1)
		}
	}
	return nil
}

// FirstRecommender recommends the units for an incident the moment its first alarm is stored,
// from the in-memory unit index, and keeps the recommendation on the incident: the operator has
// it in the alarm's answer and on the change feed while the incident's workflow is still
// starting, and the workflow takes it over as the incident's first recommendation unless a
// unit in it was taken meanwhile. resources.FirstResponder implements it.
type FirstRecommender interface {
	// RecommendFirst recommends and stores the first units for incidentID, opened by a. An
	// incident its type and level have no run card for gets none (ENOTFOUND).
	RecommendFirst(ctx context.Context, incidentID int64, a Alarm) ([]Recommendation, error)
}

// HeldRecommendation is the recommendation intake made for a new incident the moment its first
// alarm was stored, kept on the incident until its workflow takes it over.
type HeldRecommendation struct {
	Units      []Recommendation `json:"units"`
	Alternates []Recommendation `json:"alternates"`
	Short      []PlanSlot       `json:"short"`
	// Type and Level are what it was made for.
	Type  IncidentType `json:"type"`
	Level int          `json:"level"`
	// At is when it was stored, and so shown to the operators: the database's clock, as an
	// alarm's receipt time is.
	At time.Time `json:"at"`
}

// IncidentService carries alarms and orders to the incidents' durable state machines and
// answers once each is accepted. What an incident looks like afterwards is read from the
// IncidentStore's projection, never from the service. workflows.Client implements it.
type IncidentService interface {
	// AlarmReceived opens the incident with its first alarm, or hands it a further one.
	AlarmReceived(ctx context.Context, incidentID int64, first, alarm Alarm) error
	// AlarmRecorded hands a running incident an alarm that did not join it (a panel's reset),
	// whose meaning the incident decides; ECONFLICT when the incident has finished.
	AlarmRecorded(ctx context.Context, incidentID int64, alarm Alarm) error
	Assess(ctx context.Context, incidentID int64, o AssessOrder) error
	Dispatch(ctx context.Context, incidentID int64, o DispatchOrder) error
	Controlled(ctx context.Context, incidentID int64, o StageOrder) error
	ConfirmPAR(ctx context.Context, incidentID int64, o StageOrder) error
	Close(ctx context.Context, incidentID int64, o CloseOrder) error
	Cancel(ctx context.Context, incidentID int64, o CancelOrder) error
	MergeInto(ctx context.Context, incidentID int64, o MergeOrder) error
	// SplitAlarm answers the id of the incident the alarm now opens.
	SplitAlarm(ctx context.Context, incidentID int64, o SplitOrder) (int64, error)
	AgencyTask(ctx context.Context, incidentID int64, o AgencyTaskOrder) (AgencyTask, error)
	UnitStatus(ctx context.Context, incidentID int64, r UnitStatusReport) error
	// Ready reports whether the service can take orders now.
	Ready(ctx context.Context) error
}
