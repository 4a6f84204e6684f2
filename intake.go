package fireline

import (
	"context"
	"time"
)

// AlarmFormat names the payload format of an alarm source's endpoint: which intake adapter
// reads it. Several formats may bring alarms of one AlarmSource.
type AlarmFormat string

// The alarm payload formats the intake desk reads.
const (
	// FormatAlarm is the generic form: any source's alarm in the common fields.
	FormatAlarm    AlarmFormat = "alarm"
	FormatCall     AlarmFormat = "call"     // a call-taker's form
	FormatIoT      AlarmFormat = "iot"      // a panel network gateway's event
	FormatLampPost AlarmFormat = "lamppost" // a lamp-post button press
	FormatPublic   AlarmFormat = "public"   // a public report by app or SMS
)

// IntakeService is the intake desk, where every source's alarms and warnings come in: it reads
// the source's payload, places the alarm on the grid, stores it durably and hands it to its
// incident, and only then answers, so a source acknowledged has lost nothing. intake.Desk
// implements it.
type IntakeService interface {
	// ReceiveAlarm takes one alarm in the given format. A repeat (same source and source id)
	// answers the first receipt and hands the alarm on again, so a source retrying after a
	// failure loses nothing.
	ReceiveAlarm(ctx context.Context, format AlarmFormat, payload []byte) (AlarmReceipt, error)
	// ReceiveWarning takes one CAP 1.2 alert (XML). It opens no incident.
	ReceiveWarning(ctx context.Context, payload []byte) (WarningReceipt, error)
}

// DedupeRule says which open incidents an alarm may join.
type DedupeRule struct {
	// Cells are the H3 cells (hex) where a duplicate's incident may lie: the alarm's own cell
	// and its neighbours out to the configured ring.
	Cells []string
	// Window is how far apart in time an incident's creation and the alarm's receipt may be.
	// Zero or less turns merging off.
	Window time.Duration
}

// AlarmReceipt is the outcome of storing an alarm.
type AlarmReceipt struct {
	// Alarm is the stored alarm, with ID, IncidentID and ReceivedAt filled.
	Alarm      Alarm
	IncidentID int64
	// Merged is true when the alarm joined an incident opened by an earlier alarm.
	Merged bool
	// Repeat is true when the source had sent this alarm before; nothing was written.
	Repeat bool
	// RecordedOnly is true for an alarm whose kind opens no incident (a panel's fault,
	// supervisory event or reset): it is stored with no incident.
	RecordedOnly bool
	// RelatedIncidentID is, for a panel's reset, the open incident its device's latest fire
	// alarm opened or joined (0 when none): the caller tells that incident.
	RelatedIncidentID int64
	// Handoff is HandoffPending when the alarm is stored but its incident's workflow did not
	// answer: the system hands it on by itself later. Empty otherwise.
	Handoff string
	// Recommendation is, for an alarm that opened an incident, the units recommended for it at
	// intake (FirstRecommender), best first; nil when none could be made then (no run card, the
	// index not ready), and the incident's workflow recommends.
	Recommendation []Recommendation
}

// AlarmStore keeps every source's alarms. postgres.DB implements it.
type AlarmStore interface {
	// ReceiveAlarm stores an alarm idempotently on its source and source id, and attaches it
	// to the newest compatible open incident the rule allows, or opens one.
	ReceiveAlarm(ctx context.Context, a Alarm, rule DedupeRule) (AlarmReceipt, error)
	// ConfirmAlarm records an operator's confirmation of an unverified public report and writes
	// it to the report's incident's timeline; a second confirmation changes nothing.
	ConfirmAlarm(ctx context.Context, id int64, actor string, at time.Time) (Alarm, error)
	// IncidentAlarms lists the alarms that opened or joined an incident, in the order received.
	IncidentAlarms(ctx context.Context, incidentID int64) ([]Alarm, error)
}

// WarningReceipt is the outcome of storing a CAP warning.
type WarningReceipt struct {
	// Warning is the stored warning with ID and ReceivedAt filled.
	Warning Warning
	// Repeat is true when the feed had sent this alert (sender, identifier) before: nothing was
	// written and Warning is the stored one.
	Repeat bool
	// Superseded lists the earlier warnings this Update or Cancel superseded.
	Superseded []int64
}

// MaxWarnings bounds one read of warnings.
const MaxWarnings = 500

// WarningFilter narrows a read of warnings, newest first.
type WarningFilter struct {
	// ActiveAt keeps only the warnings in force at that time: not superseded, not expired,
	// readiness above none, and in the service area or Unlocated (to be read by a person).
	// Zero keeps every warning.
	ActiveAt time.Time
	// Limit is how many to return, 1..MaxWarnings.
	Limit int
}

// WarningStore keeps the CAP warnings. postgres.DB implements it.
type WarningStore interface {
	// ReceiveWarning stores a CAP warning with its cells and XML, idempotently on its sender and
	// identifier; an Update or Cancel supersedes the warnings it references.
	ReceiveWarning(ctx context.Context, w Warning, raw []byte) (WarningReceipt, error)
	// Warnings lists warnings with their cells, newest first.
	Warnings(ctx context.Context, f WarningFilter) ([]Warning, error)
	// Readiness lists the cells whose readiness warnings in force at at raise.
	Readiness(ctx context.Context, at time.Time) ([]WarningCell, error)
}

// HandoffPending is the Handoff of an alarm stored but not yet handed to its incident's
// workflow, because the workflow engine did not answer: the starter hands it on later.
const HandoffPending = "pending"

// HandoffStore remembers which stored alarms still await their hand-off to their incident's
// workflow, so that an alarm stored while the workflow engine was away is started by the
// system itself. postgres.DB implements it.
type HandoffStore interface {
	// MarkHandedOff records that the alarm was handed to its incident's workflow.
	MarkHandedOff(ctx context.Context, alarmID int64) error
	// HandOffAwaiting calls handOff, in the order stored, on at most limit alarms that opened
	// or joined an incident, were stored more than after ago and are not handed off, marking
	// each one handOff accepts. Alarms another caller is handing off meanwhile are skipped,
	// so several nodes share the work without doing it twice. It stops at the first
	// EUNAVAILABLE (the engine is away: the rest would fail too) and answers how many it
	// handed off.
	HandOffAwaiting(ctx context.Context, after time.Duration, limit int, handOff func(context.Context, Alarm) error) (int, error)
}
