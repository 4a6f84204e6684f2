package fireline

import (
	"slices"
	"strings"
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

// The unit statuses. From dispatched to returning a unit is committed to an incident; a crew
// reports available when it is back in service, which clears it from the incident.
const (
	UnitAvailable    UnitStatus = "available"
	UnitDispatched   UnitStatus = "dispatched"
	UnitAcknowledged UnitStatus = "acknowledged"
	UnitEnRoute      UnitStatus = "en_route"
	UnitOnScene      UnitStatus = "on_scene"
	// UnitTransporting is a unit carrying a patient or casualty from the scene.
	UnitTransporting UnitStatus = "transporting"
	// UnitReturning is a unit on its way back from the incident, not yet in service.
	UnitReturning    UnitStatus = "returning"
	UnitOutOfService UnitStatus = "out_of_service"
)

// UnitStatuses lists every unit status in a stable order.
var UnitStatuses = []UnitStatus{
	UnitAvailable, UnitDispatched, UnitAcknowledged, UnitEnRoute, UnitOnScene, UnitTransporting, UnitReturning, UnitOutOfService,
}

// Valid reports whether s is a known unit status.
func (s UnitStatus) Valid() bool { return slices.Contains(UnitStatuses, s) }

// Committed reports whether a unit in status s is working an incident.
func (s UnitStatus) Committed() bool { return s.step() >= 0 }

// FieldStatuses are the statuses a crew reports for itself while on an incident, in order.
var FieldStatuses = []UnitStatus{UnitAcknowledged, UnitEnRoute, UnitOnScene, UnitTransporting, UnitReturning, UnitAvailable}

// step is a committed status's place in the normal order of an incident, -1 for the others.
func (s UnitStatus) step() int {
	switch s {
	case UnitDispatched:
		return 0
	case UnitAcknowledged:
		return 1
	case UnitEnRoute:
		return 2
	case UnitOnScene:
		return 3
	case UnitTransporting:
		return 4
	case UnitReturning:
		return 5
	}
	return -1
}

// Before reports whether committed status s comes before committed status t in the normal order
// of an incident (dispatched, acknowledged, en route, on scene, transporting, returning). It is
// false when either is not a committed status.
func (s UnitStatus) Before(t UnitStatus) bool {
	return s.Committed() && t.Committed() && s.step() < t.step()
}

// Moves lists, in UnitStatuses order, the statuses a unit in status s may be moved to by its
// own crew (byDispatcher false) or by a dispatcher (operator, supervisor, admin). The rules:
//
//   - a crew moves its unit forward along dispatched → acknowledged → en route → on scene →
//     transporting → returning, skipping steps it forgot to report, except that transporting
//     starts only on scene and returning only once the unit has left (en route or later);
//   - available from any committed status clears the unit from its incident, for anyone;
//   - off an incident, crew and dispatcher alike move between available and out of service;
//   - a dispatcher also corrects: any committed status to any other but dispatched;
//   - nobody sets dispatched (only a dispatch order does), moves an uncommitted unit to a
//     committed status, or takes a committed unit out of service without clearing it first.
//
// Staying in the same status is not a move: see CanMoveTo.
func (s UnitStatus) Moves(byDispatcher bool) []UnitStatus {
	var out []UnitStatus
	for _, t := range UnitStatuses {
		if t != s && s.move(t, byDispatcher) {
			out = append(out, t)
		}
	}
	return out
}

// move reports whether s → t (s ≠ t) is allowed; Moves documents the rules.
func (s UnitStatus) move(t UnitStatus, byDispatcher bool) bool {
	switch {
	case !s.Valid() || !t.Valid() || t == UnitDispatched:
		return false
	case !s.Committed():
		// available ↔ out of service; committing a unit is a dispatch order's job.
		return !t.Committed()
	case t == UnitAvailable:
		return true
	case !t.Committed():
		return false // out of service: clear the unit from its incident first
	case byDispatcher:
		return true
	case t == UnitTransporting:
		return s == UnitOnScene
	case t == UnitReturning:
		return !s.Before(UnitEnRoute)
	}
	return s.Before(t)
}

// CanMoveTo reports whether a unit in status s may be moved to status t by its own crew
// (byDispatcher false) or by a dispatcher. The same status is always allowed: a repeated report
// changes nothing, so a crew's retry after a lost answer is harmless. A refusal is ECONFLICT and
// names the statuses the unit may move to instead; an unknown status is EINVALID.
func (s UnitStatus) CanMoveTo(t UnitStatus, byDispatcher bool) error {
	switch {
	case !t.Valid():
		return Errorf(EINVALID, "status: %q is not a unit status", t)
	case !s.Valid():
		return Errorf(EINTERNAL, "unit has unknown status %q", s)
	case s == t || s.move(t, byDispatcher):
		return nil
	}
	who := "its crew"
	if byDispatcher {
		who = "a dispatcher"
	}
	why := ""
	switch {
	case t == UnitDispatched:
		why = " (only a dispatch order dispatches a unit)"
	case !s.Committed() && t.Committed():
		why = " (the unit is not on an incident)"
	case s.Committed() && t == UnitOutOfService:
		why = " (clear the unit from its incident first: set available)"
	}
	allowed := "nothing"
	if m := s.Moves(byDispatcher); len(m) > 0 {
		allowed = joinStatuses(m)
	}
	return Errorf(ECONFLICT, "status may not go from %s to %s%s; from %s %s may set %s", s, t, why, s, who, allowed)
}

func joinStatuses(ss []UnitStatus) string {
	var b strings.Builder
	for i, s := range ss {
		switch {
		case i == 0:
		case i == len(ss)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// PositionSource says where a unit's position comes from.
type PositionSource string

// The position sources.
const (
	// PositionAVL is a fix from the unit's tracker or its crew's field page.
	PositionAVL PositionSource = "avl"
	// PositionStation is the unit's home station: it has no fix, or its fix is stale.
	PositionStation PositionSource = "station"
)

// DefaultStaleAfter is how old an AVL fix may grow before planning stops trusting it and takes
// the unit to be at its home station. A unit that stops reporting for half an hour has most
// likely gone home with its tracker off, not stayed where it was last seen.
const DefaultStaleAfter = 30 * time.Minute

// Unit is one apparatus and its crew.
type Unit struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Type      UnitType   `json:"type"`
	Status    UnitStatus `json:"status"`
	StationID string     `json:"station_id"`
	// Point is the unit's position (WGS-84): its latest AVL fix, or, when it has none, where it
	// was placed at import (its home station). Placed says where planning takes it to be.
	Point Point `json:"location"`
	// Cell is the resolution-9 H3 cell of Point, as a hex string.
	Cell string `json:"cell"`
	// PositionSource says what Point is.
	PositionSource PositionSource `json:"position_source"`
	// PositionAt is the time of the latest AVL fix (the tracker's clock), nil when the unit never
	// reported one. It stays set when Placed falls back to the station, so the fix's age shows.
	PositionAt *time.Time `json:"position_at,omitempty"`
	// Home is the home station's position, where a unit with a stale fix is taken to be; nil for
	// a unit without a station.
	Home *Point `json:"home_location,omitempty"`
	// Heading is the direction of travel of the latest fix, degrees clockwise from true north.
	Heading *float64 `json:"heading,omitempty"`
	// SpeedMPS is the speed of the latest fix in metres per second.
	SpeedMPS *float64 `json:"speed_mps,omitempty"`
	// AccuracyMeters is the latest fix's horizontal accuracy (radius, metres).
	AccuracyMeters *float64 `json:"accuracy_m,omitempty"`
	// IncidentID is the incident the unit is committed to, 0 when none.
	IncidentID int64 `json:"incident_id,omitempty"`
	// PostStationID is the station the unit stands by at after a move-up, empty while it is
	// based at its home station. Home is then the post's position: where the unit is taken to
	// be when it has no fresh fix.
	PostStationID string    `json:"post_station_id,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
	// StatusSince is when the unit entered its current status (the console's time in status).
	StatusSince time.Time `json:"status_since"`
	// RetiredAt is when an administrator retired the unit, nil while it is in service. A retired
	// unit stays out of service for good and is kept as evidence for past incidents' reviews.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	// MinStaff is the seats that must be filled for the unit to respond, and
	// RequiredQualifications what somebody on duty must hold (a hazmat unit needs hazmat); an
	// administrator sets both. A MinStaff of 0 asks for nobody.
	MinStaff               int             `json:"min_staff"`
	RequiredQualifications []Qualification `json:"required_qualifications"`
	// Staffing is the unit's crew when it was read (StaffingAt), nil when the reader did not
	// look at the roster.
	Staffing *Staffing `json:"staffing,omitempty"`
	// Shifts are the unit's roster entries that had not ended when it was read (on duty and
	// coming up), so that planning judges the staffing at its own time: a shift change needs
	// no notice.
	Shifts []RosterEntry `json:"-"`
}

// FixStale reports whether the unit's AVL fix is older than staleAfter at now. A unit without a
// fix has nothing to go stale.
func (u Unit) FixStale(now time.Time, staleAfter time.Duration) bool {
	return u.PositionAt != nil && now.Sub(*u.PositionAt) > staleAfter
}

// Placed returns u as planning sees it at now: a fix older than staleAfter is replaced by the
// home station's position (PositionSource "station", Cell empty for the caller that owns the
// grid to fill in). Without a home station a stale fix is kept: it is still the best guess.
// stale reports whether the fix was stale, whichever position was kept.
func (u Unit) Placed(now time.Time, staleAfter time.Duration) (placed Unit, stale bool) {
	if u.PositionAt == nil {
		u.PositionSource = PositionStation
		return u, false
	}
	u.PositionSource = PositionAVL
	if !u.FixStale(now, staleAfter) {
		return u, false
	}
	if u.Home != nil {
		u.Point, u.Cell, u.PositionSource = *u.Home, "", PositionStation
	}
	return u, true
}

// Fix is one AVL position report of a unit.
type Fix struct {
	Point Point
	// Cell is the resolution-9 H3 cell of Point, as a hex string.
	Cell string
	// At is when the fix was taken, by the tracker's clock.
	At time.Time
	// Heading (degrees clockwise from true north, 0–360), SpeedMPS (m/s) and AccuracyMeters
	// (horizontal radius) are nil when the tracker did not say.
	Heading        *float64
	SpeedMPS       *float64
	AccuracyMeters *float64
}

// UnitEvent is one entry of a unit's own history: a change of status, with the incident it
// concerned and where the unit was.
type UnitEvent struct {
	ID     int64      `json:"id"`
	UnitID string     `json:"unit_id"`
	At     time.Time  `json:"at"`
	Status UnitStatus `json:"status"`
	// IncidentID is the incident the change concerned (joined or cleared from), 0 when none.
	IncidentID int64 `json:"incident_id,omitempty"`
	// Actor is the user who made the change, empty when the system made it on its own.
	Actor string `json:"actor,omitempty"`
	// Point is the unit's position at the change and PositionSource what it was (its fix, or
	// its station when it had none); PositionAt is that fix's time, for judging its age.
	Point          Point          `json:"location"`
	PositionSource PositionSource `json:"position_source"`
	PositionAt     *time.Time     `json:"position_at,omitempty"`
	// Note says why the entry was written when the status alone does not, such as a move-up.
	Note string `json:"note,omitempty"`
}

// Trip is one drive observed in a unit's history: from its en-route report to its on-scene
// report at an incident. The learned travel-time model is trained on trips.
type Trip struct {
	// ID is the unit history entry of the on-scene report; it identifies the trip.
	ID         int64    `json:"id"`
	UnitID     string   `json:"unit_id"`
	UnitType   UnitType `json:"unit_type"`
	IncidentID int64    `json:"incident_id"`
	// From is where the unit was when it reported en route, To the incident's position (WGS-84).
	From Point `json:"from"`
	To   Point `json:"to"`
	// EnRouteAt and OnSceneAt are the two reports' times.
	EnRouteAt time.Time `json:"en_route_at"`
	OnSceneAt time.Time `json:"on_scene_at"`
}

// Seconds returns the trip's duration.
func (t Trip) Seconds() float64 { return t.OnSceneAt.Sub(t.EnRouteAt).Seconds() }

// MoveUpDecision is what an operator did with a move-up suggestion.
type MoveUpDecision string

// The move-up decisions.
const (
	MoveUpAccepted MoveUpDecision = "accepted"
	MoveUpIgnored  MoveUpDecision = "ignored"
)

// MoveUp (cover assignment, 移防) sends an available unit to stand by at another station while
// that station's own units are out, so the area around it stays within reach. Coverage
// suggests move-ups; an operator accepts or ignores each, and the decision is kept with the
// figures it was made on.
type MoveUp struct {
	// ID is the stored decision's number, 0 for a suggestion.
	ID     int64    `json:"id,omitempty"`
	UnitID string   `json:"unit_id"`
	Type   UnitType `json:"unit_type"`
	// FromStationID is where the unit stands by now: its post, or its home station.
	FromStationID string `json:"from_station_id"`
	ToStationID   string `json:"to_station_id"`
	// TravelSeconds is the estimated drive from the unit's position to the station.
	TravelSeconds float64 `json:"travel_s"`
	// GapCells and GapWeight are the coverage gaps (cells beyond the travel-time target, and
	// their population or risk weight) before and after the move.
	GapCellsBefore  int     `json:"gap_cells_before"`
	GapCellsAfter   int     `json:"gap_cells_after"`
	GapWeightBefore float64 `json:"gap_weight_before"`
	GapWeightAfter  float64 `json:"gap_weight_after"`
	// Reason says in a sentence why, for the operator.
	Reason   string         `json:"reason,omitempty"`
	Decision MoveUpDecision `json:"decision,omitempty"`
	Actor    string         `json:"actor,omitempty"`
	At       *time.Time     `json:"decided_at,omitempty"`
}

// Station is a fire station (消防站), home of units.
type Station struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	District string `json:"district"`
	Address  string `json:"address"`
	Point    Point  `json:"location"`
	// RetiredAt is when an administrator retired the station, nil while it is in service.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// WaterSource is a hydrant or static water point.
type WaterSource struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // hydrant, pond, river_intake, cistern
	// FlowLPM is the rated flow in litres per minute (0 for static sources).
	FlowLPM int    `json:"flow_lpm"`
	Status  string `json:"status"` // working, out_of_service
	Point   Point  `json:"location"`
	// RetiredAt is when an administrator retired the source (removed, filled in), nil while it
	// exists. Status out_of_service is for a source that will work again.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
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
	// PlanType and PlanLevel are the pre-plan's assessment of a fire alarm from the premises'
	// own panel: with both set, such an incident is assessed at once without waiting for an
	// operator. Empty and 0 when the pre-plan says nothing of it.
	PlanType  IncidentType `json:"plan_type,omitempty"`
	PlanLevel int          `json:"plan_level,omitempty"`
	// RetiredAt is when an administrator retired the premises, nil while it is a key premises.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// Assesses says whether the premises' pre-plan assesses a fire alarm at once, and as what:
// both its type and level must be set.
func (p Premise) Assesses() (IncidentType, int, bool) {
	return p.PlanType, p.PlanLevel, p.PlanType.Valid() && p.PlanLevel >= MinLevel
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
	// RetiredAt is when an administrator retired the card, nil for the card in force. A level
	// whose card is retired falls back to the card of the highest level below it.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// PopulationArea is a settlement's people, for weighing coverage gaps: they live around its
// centre in a circular Gaussian whose standard deviation is RadiusMeters. A town is a tight
// one; the villages of a county a wide one around the county seat.
type PopulationArea struct {
	Name         string  `json:"name"`
	Point        Point   `json:"location"`
	People       float64 `json:"people"`
	RadiusMeters float64 `json:"radius_m"`
}

// City is the reference data of a service area: what the command centre can send and where.
type City struct {
	Name         string           `json:"name"`
	Center       Point            `json:"center"`
	Stations     []Station        `json:"stations"`
	Units        []Unit           `json:"units"`
	WaterSources []WaterSource    `json:"water_sources"`
	Premises     []Premise        `json:"premises"`
	Plans        []ResponsePlan   `json:"response_plans"`
	Population   []PopulationArea `json:"population,omitempty"`
	// Devices are the fire-alarm panels connected to the command centre, Poles the lamp posts
	// with an emergency button.
	Devices []Device `json:"devices,omitempty"`
	Poles   []Pole   `json:"poles,omitempty"`
}

// WaterSourceNear is a water source and how far it is from a point of interest.
type WaterSourceNear struct {
	WaterSource
	// DistanceMeters is the great-circle distance from the point asked about.
	DistanceMeters float64 `json:"distance_m"`
}

// PremiseNear is a key premises and how far it is from a point of interest.
type PremiseNear struct {
	Premise
	// DistanceMeters is the great-circle distance from the point asked about.
	DistanceMeters float64 `json:"distance_m"`
}

// NearbyLimits bound a search around a point: the radius in metres and how many of each kind
// to return, nearest first.
type NearbyLimits struct {
	WaterRadiusMeters   float64
	WaterCount          int
	PremiseRadiusMeters float64
	PremiseCount        int
}

// DefaultNearbyLimits are what a first-arriving officer looks at: the eight nearest working
// water sources within 1 km (a hose lay plus a relay) and every key premises within 500 m.
func DefaultNearbyLimits() NearbyLimits {
	return NearbyLimits{WaterRadiusMeters: 1000, WaterCount: 8, PremiseRadiusMeters: 500, PremiseCount: 20}
}
