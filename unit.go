package fireline

import (
	"slices"
	"time"
)

// UnitType is the kind of apparatus a unit is.
type UnitType string

// The unit types of the sample city.
const (
	UnitEngine  UnitType = "engine"  // pumper (水罐消防车 / 泵浦车)
	UnitLadder  UnitType = "ladder"  // aerial ladder or platform (登高平台车)
	UnitRescue  UnitType = "rescue"  // heavy rescue (抢险救援车)
	UnitHazmat  UnitType = "hazmat"  // hazardous materials (防化洗消车)
	UnitTanker  UnitType = "tanker"  // water tanker (供水车)
	UnitCommand UnitType = "command" // mobile command unit with video (通信指挥车)
)

// UnitTypes lists every unit type in a stable order.
var UnitTypes = []UnitType{UnitEngine, UnitLadder, UnitRescue, UnitHazmat, UnitTanker, UnitCommand}

// Valid reports whether t is a known unit type.
func (t UnitType) Valid() bool { return slices.Contains(UnitTypes, t) }

// UnitStatus is what a unit is doing.
type UnitStatus string

// The unit statuses.
const (
	UnitAvailable    UnitStatus = "available"
	UnitDispatched   UnitStatus = "dispatched"
	UnitAcknowledged UnitStatus = "acknowledged"
	UnitEnRoute      UnitStatus = "en_route"
	UnitOnScene      UnitStatus = "on_scene"
	UnitOutOfService UnitStatus = "out_of_service"
)

// UnitStatuses lists every unit status in a stable order.
var UnitStatuses = []UnitStatus{UnitAvailable, UnitDispatched, UnitAcknowledged, UnitEnRoute, UnitOnScene, UnitOutOfService}

// Valid reports whether s is a known unit status.
func (s UnitStatus) Valid() bool { return slices.Contains(UnitStatuses, s) }

// Committed reports whether a unit in status s is working an incident.
func (s UnitStatus) Committed() bool {
	return s == UnitDispatched || s == UnitAcknowledged || s == UnitEnRoute || s == UnitOnScene
}

// FieldStatuses are the statuses a crew reports for itself while on an incident, in order.
var FieldStatuses = []UnitStatus{UnitAcknowledged, UnitEnRoute, UnitOnScene, UnitAvailable}

// Unit is one apparatus and its crew.
type Unit struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Type      UnitType   `json:"type"`
	Status    UnitStatus `json:"status"`
	StationID string     `json:"station_id"`
	Point     Point      `json:"location"`
	// Cell is the resolution-9 H3 cell of Point, as a hex string.
	Cell string `json:"cell"`
	// IncidentID is the incident the unit is committed to, 0 when none.
	IncidentID int64     `json:"incident_id,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Station is a fire station (消防站), home of units.
type Station struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	District string `json:"district"`
	Address  string `json:"address"`
	Point    Point  `json:"location"`
}

// WaterSource is a hydrant or static water point.
type WaterSource struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // hydrant, pond, river_intake, cistern
	// FlowLPM is the rated flow in litres per minute (0 for static sources).
	FlowLPM int    `json:"flow_lpm"`
	Status  string `json:"status"` // working, out_of_service
	Point   Point  `json:"location"`
}

// Premise is a key premises (重点单位) with hazards and a pre-plan.
type Premise struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Address string   `json:"address"`
	Point   Point    `json:"location"`
	Hazards []string `json:"hazards"`
	PrePlan string   `json:"pre_plan"`
}

// PlanSlot is one line of a run card: this many units of this type.
type PlanSlot struct {
	Type  UnitType `json:"type"`
	Count int      `json:"count"`
}

// ResponsePlan (run card) says which units an incident type needs at an alarm level.
type ResponsePlan struct {
	IncidentType IncidentType `json:"incident_type"`
	Level        int          `json:"level"`
	Slots        []PlanSlot   `json:"slots"`
}

// City is the reference data of a service area: what the command centre can send and where.
type City struct {
	Name         string         `json:"name"`
	Center       Point          `json:"center"`
	Stations     []Station      `json:"stations"`
	Units        []Unit         `json:"units"`
	WaterSources []WaterSource  `json:"water_sources"`
	Premises     []Premise      `json:"premises"`
	Plans        []ResponsePlan `json:"response_plans"`
}
