package fireline

import (
	"slices"
	"strconv"
	"time"
)

// IncidentType is what is happening: it picks the response plan.
type IncidentType string

// The incident types of the sample city's run cards.
const (
	TypeStructureFire    IncidentType = "structure_fire"
	TypeHighRiseFire     IncidentType = "high_rise_fire"
	TypeIndustrialFire   IncidentType = "industrial_fire"
	TypeVehicleFire      IncidentType = "vehicle_fire"
	TypeWildlandFire     IncidentType = "wildland_fire"
	TypeHazmat           IncidentType = "hazmat"
	TypeTrafficAccident  IncidentType = "traffic_accident"
	TypeWaterRescue      IncidentType = "water_rescue"
	TypeBuildingCollapse IncidentType = "building_collapse"
	TypeHelpRequested    IncidentType = "help_requested"
)

// IncidentTypes lists the built-in incident types in a stable order: those every deployment
// starts with (BuiltinTypes). Administrators add others; the stored types are the whole list.
var IncidentTypes = []IncidentType{
	TypeStructureFire, TypeHighRiseFire, TypeIndustrialFire, TypeVehicleFire, TypeWildlandFire,
	TypeHazmat, TypeTrafficAccident, TypeWaterRescue, TypeBuildingCollapse, TypeHelpRequested,
}

// Valid reports whether t is well formed as an incident type's code: a lowercase letter, then
// lowercase letters, digits and '_', at most MaxTypeCodeLen bytes, as the built-in types are.
// Whether such a type exists, and is in force, is the stored types' to say
// (IncidentTypeStore), and is checked where an alarm, an order or a run card comes in.
func (t IncidentType) Valid() bool { return t.Check() == nil }

// Check is Valid with a message naming what is wrong.
func (t IncidentType) Check() error {
	switch {
	case t == "":
		return Errorf(EINVALID, "code: required")
	case len(t) > MaxTypeCodeLen:
		return Errorf(EINVALID, "code: longer than %d bytes", MaxTypeCodeLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '_')) {
			return Errorf(EINVALID, "code: %q may hold only lowercase letters, digits and '_', and must start with a letter", string(t))
		}
	}
	return nil
}

// IncidentStatus is where an incident is in its life.
type IncidentStatus string

// The incident statuses, in order of a normal life: received → assessing → dispatching →
// active (units en route and on scene) → controlled → closed → reviewed. An incident may be
// cancelled at any open stage (then reviewed too), or merged into another (and end there).
const (
	IncidentReceived    IncidentStatus = "received"
	IncidentAssessing   IncidentStatus = "assessing"
	IncidentDispatching IncidentStatus = "dispatching"
	IncidentActive      IncidentStatus = "active"
	// IncidentControlled is a fire under control or a rescue done: units still work the scene.
	IncidentControlled IncidentStatus = "controlled"
	IncidentClosed     IncidentStatus = "closed"
	// IncidentCancelled is an incident called off before its end: a false alarm, a panel reset,
	// a caller's mistake. It is reviewed like a closed one.
	IncidentCancelled IncidentStatus = "cancelled"
	// IncidentMerged is an incident found to be another's duplicate: its alarms and units moved
	// to the other, and it ends there, without a review of its own.
	IncidentMerged   IncidentStatus = "merged"
	IncidentReviewed IncidentStatus = "reviewed"
)

// IncidentStatuses lists every incident status in order of a normal life.
var IncidentStatuses = []IncidentStatus{
	IncidentReceived, IncidentAssessing, IncidentDispatching, IncidentActive, IncidentControlled,
	IncidentClosed, IncidentCancelled, IncidentMerged, IncidentReviewed,
}

// Valid reports whether s is a known incident status.
func (s IncidentStatus) Valid() bool { return slices.Contains(IncidentStatuses, s) }

// Open reports whether an incident in status s still needs the command centre.
func (s IncidentStatus) Open() bool {
	switch s {
	case IncidentReceived, IncidentAssessing, IncidentDispatching, IncidentActive, IncidentControlled:
		return true
	}
	return false
}

// MinLevel and MaxLevel bound the alarm level (一级 to 五级 in Chinese fire-service usage).
const (
	MinLevel = 1
	MaxLevel = 5
)

// Incident is one emergency from its first alarm to its after-action review.
type Incident struct {
	ID      int64          `json:"id"`
	Type    IncidentType   `json:"type"`
	Level   int            `json:"level"`
	Status  IncidentStatus `json:"status"`
	Point   Point          `json:"location"`
	Address string         `json:"address"`
	// Cell is the resolution-9 H3 cell of Point, as a hex string.
	Cell string `json:"cell"`
	// CreatedAt is when the first alarm was received by Fireline.
	CreatedAt time.Time  `json:"created_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// Priority is the assessed urgency, 0 until assessed.
	Priority Priority `json:"priority,omitempty"`
	// Outcome is how the incident ended (closed, cancelled or merged), empty while open; it
	// stays when the status moves on to reviewed.
	Outcome IncidentStatus `json:"outcome,omitempty"`
	// MergedInto is the incident this one was merged into, 0 when none.
	MergedInto int64 `json:"merged_into,omitempty"`
	// AlarmCount is how many alarms were merged into the incident, the first included.
	AlarmCount int `json:"alarm_count"`
	// Recommendation is the units recommended for the incident, best first; Alternates are the
	// next best units of the same types, and Short the plan slots no available unit could fill.
	Recommendation []Recommendation `json:"recommendation"`
	Alternates     []Recommendation `json:"alternates"`
	Short          []PlanSlot       `json:"short"`
	// Replacements are units recommended in place of units that did not acknowledge in time
	// (Replaces names the silent unit), until one is dispatched or the silent unit answers.
	Replacements []Recommendation `json:"replacements"`
	Assignments  []Assignment     `json:"assigned_units"`
	// AssessedAt is when the incident was first assessed, nil before; AssessedBy is who that
	// assessment counts as: an operator, "pre-plan" (a key premises' own panel), or "dispatch"
	// (a dispatch before any assessment accepted the alarm's type).
	AssessedAt *time.Time `json:"assessed_at,omitempty"`
	AssessedBy string     `json:"assessed_by,omitempty"`
	// PARDueAt is when the pending personnel accountability report fell due, nil when none is.
	PARDueAt    *time.Time   `json:"par_due_at,omitempty"`
	AgencyTasks []AgencyTask `json:"agency_tasks"`
	// Escalations are the incident's lapsed supervision timers, taken or not, newest first.
	Escalations []Escalation `json:"escalations"`
	Review      *Review      `json:"review,omitempty"`
	// UpdatedAt is when the incident's record was last written: what it shows is as of then.
	// While the workflow engine is down, orders wait and it stops moving.
	UpdatedAt time.Time `json:"updated_at"`
}

// WorkflowID is the Temporal workflow ID of the incident with the given id.
func WorkflowID(incidentID int64) string { return "incident:" + strconv.FormatInt(incidentID, 10) }

// Recommendation is one suggested unit for an incident, best first in its list.
type Recommendation struct {
	UnitID string   `json:"unit_id"`
	Type   UnitType `json:"type"`
	// ETASeconds is the estimated travel time from the unit's position to the incident.
	ETASeconds float64 `json:"eta_s"`
	// DistanceMeters is the great-circle distance to the incident.
	DistanceMeters float64 `json:"distance_m"`
	StationID      string  `json:"station_id"`
	// Model names the travel-time model that produced ETASeconds: "distance-v1", or
	// "learned-v1:" and the level of history that answered.
	Model string `json:"model"`
	// ModelSamples is how many observed trips stood behind a learned ETA; 0 for the distance
	// model.
	ModelSamples int `json:"model_samples,omitempty"`
	// PositionSource says where the ETA starts: the unit's AVL fix, or its home station.
	PositionSource PositionSource `json:"position_source"`
	// PositionStale is true when the unit's AVL fix was too old to trust, so the ETA starts
	// from its home station (or, without one, from the old fix).
	PositionStale bool `json:"position_stale"`
	// Reason says in a short sentence why this unit, for the operator.
	Reason string `json:"reason"`
	// Understaffed is true when the unit was below its minimum staffing when recommended
	// (Staffing.BelowMinimum); the Reason then says why.
	Understaffed bool `json:"understaffed,omitempty"`
	// Replaces is, for a replacement, the unit that did not acknowledge in time.
	Replaces string `json:"replaces,omitempty"`
}

// RecommendedUnits lists the units of recs, in their order.
func RecommendedUnits(recs []Recommendation) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.UnitID
	}
	return ids
}

// Assignment is a unit sent to an incident and the times of its steps (nil until reached).
type Assignment struct {
	UnitID       string     `json:"unit_id"`
	Type         UnitType   `json:"type"`
	Status       UnitStatus `json:"status"`
	DispatchedAt time.Time  `json:"dispatched_at"`
	AckAt        *time.Time `json:"acknowledged_at,omitempty"`
	EnRouteAt    *time.Time `json:"en_route_at,omitempty"`
	OnSceneAt    *time.Time `json:"on_scene_at,omitempty"`
	ClearedAt    *time.Time `json:"cleared_at,omitempty"`
}

// Review holds the response-time intervals of a closed incident (NFPA 1710/1225 usage).
type Review struct {
	// CallProcessingSeconds is first alarm received → first unit dispatched.
	CallProcessingSeconds *float64     `json:"call_processing_s"`
	Units                 []UnitReview `json:"units"`
	// Escalations counts supervision timers that lapsed during the incident.
	Escalations int       `json:"escalations"`
	ReviewedAt  time.Time `json:"reviewed_at"`
	// Outcome is how the incident ended (closed or cancelled) and Reason the operator's words.
	Outcome IncidentStatus `json:"outcome,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	// AssessmentSeconds is first alarm received → assessed; nil when never assessed.
	AssessmentSeconds *float64 `json:"assessment_s,omitempty"`
	// FirstArrivalSeconds is first alarm received → first unit on scene (the response time the
	// public sees); nil when no unit arrived.
	FirstArrivalSeconds *float64 `json:"first_arrival_s,omitempty"`
}

// UnitReview is one unit's intervals; nil where the unit never reached that step.
type UnitReview struct {
	UnitID string `json:"unit_id"`
	// TurnoutSeconds is dispatched → en route.
	TurnoutSeconds *float64 `json:"turnout_s"`
	// TravelSeconds is en route → on scene.
	TravelSeconds *float64 `json:"travel_s"`
}

// Event kinds written to an incident's timeline.
const (
	EventAlarmReceived  = "alarm_received"
	EventAlarmMerged    = "alarm_merged"
	EventRecommended    = "recommended"
	EventDispatched     = "dispatched"
	EventUnitStatus     = "unit_status"
	EventEscalation     = "escalation"
	EventClosed         = "closed"
	EventReviewed       = "reviewed"
	EventStatusChanged  = "status_changed"
	EventDispatchFailed = "dispatch_failed"
	// EventAssessed records the type, level and priority an operator (or a pre-plan) set.
	EventAssessed = "assessed"
	// EventReinforced records units sent because the level went up.
	EventReinforced = "reinforced"
	// EventReplacement records a unit recommended in place of one that did not acknowledge.
	EventReplacement = "replacement_recommended"
	// EventAgencyTask records a joint-agency task requested, updated, done or overdue.
	EventAgencyTask = "agency_task"
	// EventPAR records a personnel accountability report due or confirmed.
	EventPAR       = "par"
	EventCancelled = "cancelled"
	// EventIncidentMerged records, on both incidents, one merged into the other.
	EventIncidentMerged = "incident_merged"
	// EventAlarmSplit records, on both incidents, an alarm split out into its own incident.
	EventAlarmSplit = "alarm_split"
	// EventPanelEvent records a panel's reset, fault or supervisory event about the incident.
	EventPanelEvent = "panel_event"
	// EventAlarmConfirmed is an operator confirming an unverified public report.
	EventAlarmConfirmed = "alarm_confirmed"
)

// TimelineEvent is one append-only entry of an incident's timeline.
type TimelineEvent struct {
	ID         int64 `json:"id"`
	IncidentID int64 `json:"incident_id"`
	// Key makes appends idempotent: a retried activity writes the same key and nothing new.
	Key    string    `json:"key"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	UnitID string    `json:"unit_id,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	// Detail is a short human sentence for the timeline view.
	Detail string `json:"detail"`
	// Data carries the event's structured facts (JSON object), if any.
	Data map[string]any `json:"data,omitempty"`
}
