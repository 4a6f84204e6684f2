package fireline

import (
	"slices"
	"time"
)

// Priority is how urgently an incident needs units: 1 (life at risk, now) to 4 (routine).
type Priority int

// The priority bounds.
const (
	PriorityImmediate Priority = 1
	PriorityRoutine   Priority = 4
)

// Valid reports whether p is a priority.
func (p Priority) Valid() bool { return p >= PriorityImmediate && p <= PriorityRoutine }

// The supervision timers of an incident. Each lapse raises an escalation to the supervisors.
const (
	TimerAssessment     = "assessment"      // alarm received → incident assessed
	TimerCallProcessing = "call_processing" // alarm received → first unit dispatched (NFPA 1225)
	TimerAcknowledge    = "acknowledge"     // unit dispatched → its crew acknowledges
	TimerTurnout        = "turnout"         // unit dispatched → en route (NFPA 1710)
	TimerFirstArrival   = "first_arrival"   // first unit en route → first unit on scene
	TimerFullAlarm      = "full_alarm"      // first unit en route → every first-alarm unit on scene
	TimerPAR            = "par"             // PAR due on scene → confirmed
	TimerAgencyTask     = "agency_task"     // joint-agency task requested → done
)

// Escalation is a lapsed supervision timer, raised to the supervisors' queue until one of them
// acknowledges it.
type Escalation struct {
	ID         int64 `json:"id"`
	IncidentID int64 `json:"incident_id"`
	// Key is unique per incident: the same lapse raised twice (a retried activity) is one.
	Key    string `json:"key"`
	Timer  string `json:"timer"`
	UnitID string `json:"unit_id,omitempty"`
	// Detail is a sentence for the supervisor: what is overdue, by how much.
	Detail   string    `json:"detail"`
	RaisedAt time.Time `json:"raised_at"`
	// AckedBy and AckedAt say which supervisor took it, and when; empty while open.
	AckedBy string     `json:"acknowledged_by,omitempty"`
	AckedAt *time.Time `json:"acknowledged_at,omitempty"`
}

// Agency is another service the command centre coordinates with.
type Agency string

// The agencies of joint response (联动单位).
const (
	AgencyPolice      Agency = "police"
	AgencyEMS         Agency = "ems"
	AgencyGas         Agency = "gas"
	AgencyPower       Agency = "power"
	AgencyWater       Agency = "water"
	AgencyEmergency   Agency = "emergency_management"
	AgencyEnvironment Agency = "environment"
)

// Agencies lists every agency in a stable order.
var Agencies = []Agency{AgencyPolice, AgencyEMS, AgencyGas, AgencyPower, AgencyWater, AgencyEmergency, AgencyEnvironment}

// Valid reports whether a is a known agency.
func (a Agency) Valid() bool { return slices.Contains(Agencies, a) }

// AgencyTaskStatus is where a joint-agency task stands.
type AgencyTaskStatus string

// The joint-agency task statuses: requested, then acknowledged by the agency, then done; or
// cancelled when the incident no longer needs it.
const (
	TaskRequested    AgencyTaskStatus = "requested"
	TaskAcknowledged AgencyTaskStatus = "acknowledged"
	TaskDone         AgencyTaskStatus = "done"
	TaskCancelled    AgencyTaskStatus = "cancelled"
)

// AgencyTaskStatuses lists every task status in the order of a task's life.
var AgencyTaskStatuses = []AgencyTaskStatus{TaskRequested, TaskAcknowledged, TaskDone, TaskCancelled}

// Valid reports whether s is a task status.
func (s AgencyTaskStatus) Valid() bool { return slices.Contains(AgencyTaskStatuses, s) }

// Finished reports whether a task in status s needs nothing more.
func (s AgencyTaskStatus) Finished() bool { return s == TaskDone || s == TaskCancelled }

// AgencyTask is one request to another agency for an incident, tracked until done.
type AgencyTask struct {
	IncidentID int64  `json:"incident_id"`
	Agency     Agency `json:"agency"`
	// Task says what is asked, e.g. "traffic control at the scene".
	Task        string           `json:"task"`
	Status      AgencyTaskStatus `json:"status"`
	RequestedAt time.Time        `json:"requested_at"`
	// DueAt is when the task escalates to the supervisors if it is not done.
	DueAt     time.Time `json:"due_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Actor     string    `json:"actor,omitempty"`
	Note      string    `json:"note,omitempty"`
	// EscalatedAt is when the task went overdue, nil while in time.
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
}

// AgencyRule asks an agency for a task on incidents of a type from a level up.
type AgencyRule struct {
	Type     IncidentType
	MinLevel int
	Agency   Agency
	Task     string
	// Within is how long the agency has before the task escalates.
	Within time.Duration
}

// AgencyRules are the joint-response rules of the sample command centre: who is called for
// what. Each incident type and level gets the tasks of every rule it meets; one agency is asked
// once per incident.
//
// They are the built-in types' tasks (BuiltinTypes), which incidents started before the types
// were data still follow.
func AgencyRules() []AgencyRule {
	return agencyRules(func(t IncidentType) bool {
		switch t {
		case TypeStructureFire, TypeHighRiseFire, TypeIndustrialFire, TypeVehicleFire, TypeWildlandFire:
			return true
		}
		return false
	})
}

func agencyRules(fire func(IncidentType) bool) []AgencyRule {
	const m = time.Minute
	var rules []AgencyRule
	for _, t := range IncidentTypes {
		if fire(t) {
			rules = append(rules,
				AgencyRule{t, 1, AgencyPolice, "traffic control and cordon at the scene", 10 * m},
				AgencyRule{t, 2, AgencyEMS, "ambulance standing by at the scene", 10 * m},
				AgencyRule{t, 2, AgencyPower, "isolate the electricity supply to the building", 20 * m},
				AgencyRule{t, 2, AgencyGas, "isolate the gas supply to the building", 20 * m},
				AgencyRule{t, 3, AgencyWater, "raise water-main pressure in the area", 30 * m},
				AgencyRule{t, 3, AgencyEmergency, "activate the emergency management duty officer", 15 * m},
			)
		}
	}
	rules = append(rules,
		AgencyRule{TypeIndustrialFire, 1, AgencyEnvironment, "monitor air and run-off near the site", 30 * m},
		AgencyRule{TypeWildlandFire, 2, AgencyEmergency, "alert the forestry and emergency management bureau", 15 * m},
		AgencyRule{TypeHazmat, 1, AgencyPolice, "cordon and evacuation of the hazard zone", 10 * m},
		AgencyRule{TypeHazmat, 1, AgencyEMS, "ambulance standing by upwind of the scene", 10 * m},
		AgencyRule{TypeHazmat, 1, AgencyEnvironment, "monitor air, soil and water", 30 * m},
		AgencyRule{TypeHazmat, 2, AgencyEmergency, "activate the emergency management duty officer", 15 * m},
		AgencyRule{TypeTrafficAccident, 1, AgencyPolice, "traffic control and accident scene", 10 * m},
		AgencyRule{TypeTrafficAccident, 1, AgencyEMS, "ambulance to the scene", 8 * m},
		AgencyRule{TypeWaterRescue, 1, AgencyEMS, "ambulance to the bank", 10 * m},
		AgencyRule{TypeWaterRescue, 2, AgencyPolice, "keep onlookers back along the bank", 15 * m},
		AgencyRule{TypeBuildingCollapse, 1, AgencyEMS, "ambulances to the scene", 8 * m},
		AgencyRule{TypeBuildingCollapse, 1, AgencyPolice, "cordon and traffic control", 10 * m},
		AgencyRule{TypeBuildingCollapse, 1, AgencyGas, "isolate gas in the block", 20 * m},
		AgencyRule{TypeBuildingCollapse, 1, AgencyPower, "isolate electricity in the block", 20 * m},
		AgencyRule{TypeBuildingCollapse, 2, AgencyEmergency, "activate the emergency management duty officer", 15 * m},
		AgencyRule{TypeHelpRequested, 1, AgencyPolice, "patrol to the caller's position", 10 * m},
	)
	return rules
}

// TasksFor returns the joint-agency tasks an incident of type t at level needs, by rules: one per
// agency (the first matching rule), in the rules' order.
func TasksFor(rules []AgencyRule, t IncidentType, level int) []AgencyRule {
	var out []AgencyRule
	for _, r := range rules {
		if r.Type == t && level >= r.MinLevel && !slices.ContainsFunc(out, func(o AgencyRule) bool { return o.Agency == r.Agency }) {
			out = append(out, r)
		}
	}
	return out
}
