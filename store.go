package fireline

import (
	"context"
	"math"
	"time"
)

// Store is the durable state the API reads and writes. postgres.DB implements it.
type Store interface {
	// Ping reports whether the store answers now.
	Ping(ctx context.Context) error
	UserStore
	UserAdmin
	AlarmStore
	WarningStore
	IncidentStore
	UnitStore
	MoveUpStore
	ReferenceStore
	FindingStore
}

// UserStore signs users in. postgres.DB implements it.
type UserStore interface {
	Authenticate(ctx context.Context, username, password string) (User, error)
	// CreateSession opens a session for u that lasts ttl and returns its token.
	CreateSession(ctx context.Context, u User, ttl time.Duration) (string, error)
	// SessionUser is the user of a live session's token.
	SessionUser(ctx context.Context, token string) (User, error)
}

// IncidentFilter narrows a read of incidents, newest first. Every field left at its zero value
// keeps all incidents; the fields set must all hold.
type IncidentFilter struct {
	// OpenOnly keeps incidents that still need the command centre (IncidentStatus.Open), and
	// FinishedOnly those that no longer do (closed, cancelled, merged or reviewed).
	OpenOnly     bool
	FinishedOnly bool
	// From and To bound when the first alarm was received (CreatedAt): From included, To
	// excluded. A zero time leaves that side open.
	From, To time.Time
	// Type keeps incidents of this type.
	Type IncidentType
	// Level keeps incidents at this alarm level.
	Level int
	// Near and RadiusMeters keep incidents whose location lies within RadiusMeters of Near, on
	// the great circle. A zero radius keeps incidents anywhere.
	Near         Point
	RadiusMeters float64
	// Limit caps the list; zero or less means 100, and more than MaxIncidentList means
	// MaxIncidentList.
	Limit int
}

// MaxIncidentList bounds one read of incidents, and MaxSearchRadius the area of a search: the
// sample city's districts lie within 50 km of its centre.
const (
	MaxIncidentList = 1000
	MaxSearchRadius = 50_000
)

// Validate names the first filter that cannot hold: open and finished at once, a time range
// that ends before it starts, an unknown type or level, a bad centre or radius.
func (f IncidentFilter) Validate() error {
	switch {
	case f.OpenOnly && f.FinishedOnly:
		return Errorf(EINVALID, "status: an incident is open or finished, not both")
	case !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To):
		return Errorf(EINVALID, "from: %s is not before to: %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	case f.Type != "" && !f.Type.Valid():
		return Errorf(EINVALID, "type: %q is not an incident type code", f.Type)
	case f.Level != 0 && (f.Level < MinLevel || f.Level > MaxLevel):
		return Errorf(EINVALID, "level: %d is outside %d..%d", f.Level, MinLevel, MaxLevel)
	case math.IsNaN(f.RadiusMeters) || f.RadiusMeters < 0 || f.RadiusMeters > MaxSearchRadius:
		return Errorf(EINVALID, "radius_m: %v is outside 0..%d metres", f.RadiusMeters, MaxSearchRadius)
	case f.RadiusMeters > 0:
		if err := f.Near.Validate(); err != nil {
			return Errorf(EINVALID, "near: %s", ErrorMessage(err))
		}
	}
	return nil
}

// EscalationFilter narrows a read of escalations, newest first.
type EscalationFilter struct {
	// OpenOnly keeps escalations no supervisor has taken yet.
	OpenOnly bool
	// IncidentID keeps one incident's; 0 keeps all.
	IncidentID int64
	// Limit caps the list (1..1000; 0 means 200).
	Limit int
}

// IncidentStore reads the incidents' projection, which the activities keep complete, and
// keeps the supervisors' queue. postgres.DB implements it.
type IncidentStore interface {
	// Incident returns an incident whole, as the console shows it, from one consistent read of
	// the projection the activities keep: recommendation with alternates and unfilled slots,
	// replacement offers, the first assessment, a PAR due, assignments, agency tasks,
	// escalations and the review. Empty lists are empty, not nil. It never asks the workflow.
	Incident(ctx context.Context, id int64) (Incident, error)
	// Incidents returns incidents newest first, each as complete as Incident returns it.
	Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	Timeline(ctx context.Context, incidentID int64) ([]TimelineEvent, error)
	// Escalations returns the supervisors' queue.
	Escalations(ctx context.Context, f EscalationFilter) ([]Escalation, error)
	AckEscalation(ctx context.Context, id int64, actor string, at time.Time) (Escalation, error)
	AgencyTasks(ctx context.Context, incidentID int64) ([]AgencyTask, error)
}

// UnitFilter narrows a read of units.
type UnitFilter struct {
	// Status keeps units in this status; empty keeps all.
	Status UnitStatus
	// IncludeRetired keeps retired units too; they are left out by default.
	IncludeRetired bool
	// UpdatedSince keeps units whose record changed after this time (status, position, post,
	// retirement); zero keeps all. A unit retired since then is kept whatever IncludeRetired
	// says, so a reader following changes learns of it. A change is stamped when its
	// transaction starts and seen when it commits, so such a reader asks with some overlap.
	UpdatedSince time.Time
}

// UnitStore keeps the units' status and position. postgres.DB implements it.
type UnitStore interface {
	Units(ctx context.Context, f UnitFilter) ([]Unit, error)
	// Unit returns one unit, retired or not (RetiredAt says).
	Unit(ctx context.Context, id string) (Unit, error)
	// SetUnitStatusBy changes a unit's status off an incident (incidentID 0) and writes it to
	// the unit's history with the actor.
	SetUnitStatusBy(ctx context.Context, unitID string, incidentID int64, s UnitStatus, at time.Time, actor string) (Unit, error)
	// ReportPosition stores an AVL fix unless the unit holds one at least as new (stored false).
	ReportPosition(ctx context.Context, unitID string, f Fix) (u Unit, stored bool, err error)
	// UnitHistory returns the latest entries of a unit's history within the filter's time
	// range, newest first.
	UnitHistory(ctx context.Context, unitID string, f HistoryFilter) ([]UnitEvent, error)
}

// HistoryFilter narrows a read of a unit's history: the review reads where a unit was during
// an incident.
type HistoryFilter struct {
	// From and To bound the entries' times: From included, To excluded; a zero time leaves that
	// side open.
	From, To time.Time
	// Limit is how many of the latest entries in the range to return (1..MaxUnitHistory).
	Limit int
}

// MaxUnitHistory bounds one read of a unit's history.
const MaxUnitHistory = 1000

// Validate names what is wrong with the limit or the time range.
func (f HistoryFilter) Validate() error {
	switch {
	case f.Limit < 1 || f.Limit > MaxUnitHistory:
		return Errorf(EINVALID, "limit: %d is outside 1..%d", f.Limit, MaxUnitHistory)
	case !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To):
		return Errorf(EINVALID, "from: %s is not before to: %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return nil
}

// MoveUpStore keeps the operators' move-up decisions. postgres.DB implements it.
type MoveUpStore interface {
	// PostUnit records an accepted move-up: the unit stands by at the station (whose H3 cell
	// is given) from at, or, sent to its home station, is back in quarters.
	PostUnit(ctx context.Context, m MoveUp, stationCell string, at time.Time, actor string) (MoveUp, Unit, error)
	// IgnoreMoveUp records that an operator ignored a move-up suggestion.
	IgnoreMoveUp(ctx context.Context, m MoveUp, at time.Time, actor string) (MoveUp, error)
	// MoveUps returns the move-up decisions since a time, newest first.
	MoveUps(ctx context.Context, since time.Time, limit int) ([]MoveUp, error)
}

// RefFilter narrows reads of reference data (stations, water sources, premises, run cards).
type RefFilter struct {
	// IncludeRetired keeps retired records too; they are left out by default.
	IncludeRetired bool
}

// ReferenceStore reads the city's reference data. postgres.DB implements it.
type ReferenceStore interface {
	// Stations, WaterSources and Premises list reference data by id.
	Stations(ctx context.Context, f RefFilter) ([]Station, error)
	WaterSources(ctx context.Context, f RefFilter) ([]WaterSource, error)
	Premises(ctx context.Context, f RefFilter) ([]Premise, error)
	NearbyWater(ctx context.Context, p Point, radiusMeters float64, k int) ([]WaterSourceNear, error)
	NearbyPremises(ctx context.Context, p Point, radiusMeters float64, k int) ([]PremiseNear, error)
}

// AdminStore changes reference data for administrators. Each change is written to the audit
// trail in the same transaction, with actor the administrator's username; nothing is deleted,
// and a retired record is kept unchanged. Reads by id include retired records. postgres.DB
// implements it.
type AdminStore interface {
	Station(ctx context.Context, id string) (Station, error)
	CreateStation(ctx context.Context, s Station, actor string) (Station, error)
	// UpdateStation takes cell, the resolution-9 cell of s.Point, for the units parked there.
	UpdateStation(ctx context.Context, s Station, cell, actor string) (Station, error)
	RetireStation(ctx context.Context, id, actor string) (Station, error)

	// CreateUnit and UpdateUnit take the home station's position and cell in u.Point and u.Cell.
	CreateUnit(ctx context.Context, u Unit, actor string) (Unit, error)
	UpdateUnit(ctx context.Context, u Unit, actor string) (Unit, error)
	RetireUnit(ctx context.Context, id, actor string) (Unit, error)

	WaterSource(ctx context.Context, id string) (WaterSource, error)
	CreateWaterSource(ctx context.Context, w WaterSource, actor string) (WaterSource, error)
	UpdateWaterSource(ctx context.Context, w WaterSource, actor string) (WaterSource, error)
	RetireWaterSource(ctx context.Context, id, actor string) (WaterSource, error)

	Premise(ctx context.Context, id string) (Premise, error)
	CreatePremise(ctx context.Context, p Premise, actor string) (Premise, error)
	UpdatePremise(ctx context.Context, p Premise, actor string) (Premise, error)
	RetirePremise(ctx context.Context, id, actor string) (Premise, error)

	// ResponsePlans lists run cards by incident type and level.
	ResponsePlans(ctx context.Context, f RefFilter) ([]ResponsePlan, error)
	// Plan returns the card in force for exactly this key; with includeRetired, a key without
	// one answers its latest retired card.
	Plan(ctx context.Context, t IncidentType, level int, includeRetired bool) (ResponsePlan, error)
	CreatePlan(ctx context.Context, p ResponsePlan, actor string) (ResponsePlan, error)
	UpdatePlan(ctx context.Context, p ResponsePlan, actor string) (ResponsePlan, error)
	RetirePlan(ctx context.Context, t IncidentType, level int, actor string) (ResponsePlan, error)

	// Audit reads the audit trail, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
