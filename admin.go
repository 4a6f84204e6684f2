package fireline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of reference data (stations, units, water sources, key premises, run cards). Text
// limits are in bytes of UTF-8.
const (
	// MaxIDLen bounds the id of a station, unit, water source or premises: ids are call signs and
	// appear in URLs, logs and radio traffic.
	MaxIDLen = 64
	// MaxNameLen bounds names, districts and kinds.
	MaxNameLen = 256
	// MaxHazards bounds the hazards listed for one key premises, MaxHazardLen each one.
	MaxHazards   = 32
	MaxHazardLen = 256
	// MaxPrePlanLen bounds a key premises' pre-plan.
	MaxPrePlanLen = 16 << 10
	// MaxFlowLPM bounds a hydrant's rated flow in litres per minute: the largest city mains give a
	// few thousand, so more is a typing error.
	MaxFlowLPM = 20000
	// MaxSlotCount bounds the units of one type on one run card; the recommender searches at
	// most a thousand at a time, and no city sends a hundred engines on one alarm.
	MaxSlotCount = 100
)

// Water source kinds and statuses.
const (
	WaterHydrant     = "hydrant"
	WaterPond        = "pond"
	WaterRiverIntake = "river_intake"
	WaterCistern     = "cistern"

	WaterWorking      = "working"
	WaterOutOfService = "out_of_service"
)

// WaterSourceKinds lists the water source kinds in a stable order. Only hydrants have a rated
// flow; an engine drafts from the static sources.
var WaterSourceKinds = []string{WaterHydrant, WaterPond, WaterRiverIntake, WaterCistern}

// ValidateID checks the id of a station, unit, water source or premises and names field in its
// complaint: 1 to MaxIDLen ASCII letters, digits, '-', '_' and '.', starting with a letter or
// digit ("E-DCF-1", "H-DCF-1-01"). The id is the record's name for good: it is never reused.
func ValidateID(field, id string) error {
	switch {
	case id == "":
		return Errorf(EINVALID, "%s: required", field)
	case len(id) > MaxIDLen:
		return Errorf(EINVALID, "%s: longer than %d bytes", field, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || (c != '-' && c != '_' && c != '.')) {
			return Errorf(EINVALID, "%s: %q may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit", field, id)
		}
	}
	return nil
}

// validateText checks a free-text field: at most max bytes of UTF-8 without NUL (which
// PostgreSQL cannot store), and not blank when required.
func validateText(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return Errorf(EINVALID, "%s: required", field)
	case len(s) > max:
		return Errorf(EINVALID, "%s: longer than %d bytes", field, max)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return Errorf(EINVALID, "%s: not valid UTF-8 text", field)
	}
	return nil
}

// validateLocation checks a record's position and names the field.
func validateLocation(p Point) error {
	if err := p.Validate(); err != nil {
		return Errorf(EINVALID, "location: %s", ErrorMessage(err))
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a station as an administrator enters it, naming the first bad field.
func (s Station) Validate() error {
	return firstError(
		ValidateID("id", s.ID),
		validateText("name", s.Name, MaxNameLen, true),
		validateText("district", s.District, MaxNameLen, false),
		validateText("address", s.Address, MaxAddressLen, false),
		validateLocation(s.Point),
	)
}

// ValidateRecord checks what an administrator enters of a unit (id, name, type, home station,
// minimum staffing and required qualifications), naming the first bad field. Every unit has a home station: it is where planning
// takes the unit to be when it has no trustworthy AVL fix. Status and position are the unit's
// live state, changed by crews, dispatch and trackers, and are not checked here.
func (u Unit) ValidateRecord() error {
	if err := firstError(ValidateID("id", u.ID), validateText("name", u.Name, MaxNameLen, true)); err != nil {
		return err
	}
	if !u.Type.Valid() {
		return Errorf(EINVALID, "type: %q is not a unit type (%s)", u.Type, joinNames(UnitTypes))
	}
	if u.MinStaff < 0 || u.MinStaff > MaxMinStaff {
		return Errorf(EINVALID, "min_staff: %d is outside 0..%d", u.MinStaff, MaxMinStaff)
	}
	if err := ValidateQualifications("required_qualifications", u.RequiredQualifications); err != nil {
		return err
	}
	return ValidateID("station_id", u.StationID)
}

// Validate checks a water source as an administrator enters it, naming the first bad field. A
// hydrant needs its rated flow; a static source (pond, river intake, cistern) has none.
func (w WaterSource) Validate() error {
	if err := ValidateID("id", w.ID); err != nil {
		return err
	}
	switch {
	case !slices.Contains(WaterSourceKinds, w.Kind):
		return Errorf(EINVALID, "kind: %q is not a water source kind (%s)", w.Kind, joinNames(WaterSourceKinds))
	case w.Status != WaterWorking && w.Status != WaterOutOfService:
		return Errorf(EINVALID, "status: %q is not %s or %s", w.Status, WaterWorking, WaterOutOfService)
	case w.Kind == WaterHydrant && (w.FlowLPM < 1 || w.FlowLPM > MaxFlowLPM):
		return Errorf(EINVALID, "flow_lpm: %d is outside 1..%d; a hydrant needs its rated flow in litres per minute", w.FlowLPM, MaxFlowLPM)
	case w.Kind != WaterHydrant && w.FlowLPM != 0:
		return Errorf(EINVALID, "flow_lpm: a %s has no rated flow (an engine drafts from it); give 0, not %d", w.Kind, w.FlowLPM)
	}
	return validateLocation(w.Point)
}

// Validate checks a key premises as an administrator enters it, naming the first bad field.
func (p Premise) Validate() error {
	err := firstError(
		ValidateID("id", p.ID),
		validateText("name", p.Name, MaxNameLen, true),
		validateText("kind", p.Kind, MaxNameLen, true),
		validateText("address", p.Address, MaxAddressLen, false),
		validateText("pre_plan", p.PrePlan, MaxPrePlanLen, false),
	)
	if err != nil {
		return err
	}
	if len(p.Hazards) > MaxHazards {
		return Errorf(EINVALID, "hazards: %d listed, at most %d", len(p.Hazards), MaxHazards)
	}
	for i, h := range p.Hazards {
		if err := validateText(fmt.Sprintf("hazards[%d]", i), h, MaxHazardLen, true); err != nil {
			return err
		}
	}
	switch {
	case p.PlanType == "" && p.PlanLevel == 0:
	case !p.PlanType.Valid():
		return Errorf(EINVALID, "plan_type: %q is not an incident type code", p.PlanType)
	case p.PlanLevel < MinLevel || p.PlanLevel > MaxLevel:
		return Errorf(EINVALID, "plan_level: %d is outside %d..%d (a pre-plan assessment needs both type and level)", p.PlanLevel, MinLevel, MaxLevel)
	}
	return validateLocation(p.Point)
}

// Validate checks a run card, naming the first bad field: a known incident type, a level in
// MinLevel..MaxLevel, and at least one slot, each of a known unit type (once per card) and a
// count of 1..MaxSlotCount. A card without slots would recommend nothing for a real alarm.
func (p ResponsePlan) Validate() error {
	switch {
	case !p.IncidentType.Valid():
		return Errorf(EINVALID, "incident_type: %q is not an incident type code", p.IncidentType)
	case p.Level < MinLevel || p.Level > MaxLevel:
		return Errorf(EINVALID, "level: %d is outside %d..%d", p.Level, MinLevel, MaxLevel)
	case len(p.Slots) == 0:
		return Errorf(EINVALID, "slots: a run card needs at least one slot")
	}
	for i, s := range p.Slots {
		switch {
		case !s.Type.Valid():
			return Errorf(EINVALID, "slots[%d].type: %q is not a unit type (%s)", i, s.Type, joinNames(UnitTypes))
		case s.Count < 1 || s.Count > MaxSlotCount:
			return Errorf(EINVALID, "slots[%d].count: %d is outside 1..%d", i, s.Count, MaxSlotCount)
		}
		if j := slices.IndexFunc(p.Slots[:i], func(o PlanSlot) bool { return o.Type == s.Type }); j >= 0 {
			return Errorf(EINVALID, "slots[%d].type: %s is already in slots[%d]; give one slot per type with its count", i, s.Type, j)
		}
	}
	return nil
}

// Key is the run card's key as it appears in URLs and the audit trail: "structure_fire/3".
func (p ResponsePlan) Key() string { return fmt.Sprintf("%s/%d", p.IncidentType, p.Level) }

func joinNames[T ~string](vs []T) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(v))
	}
	return b.String()
}

// Audit actions.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditRetire = "retire"
)

// Audited entities: the kinds of reference data administrators change.
const (
	EntityStation      = "station"
	EntityUnit         = "unit"
	EntityWaterSource  = "water_source"
	EntityPremise      = "premise"
	EntityResponsePlan = "response_plan"
	EntityIncidentType = "incident_type"
	EntityDevice       = "device"
)

// AuditEntities lists the audited entities in a stable order.
var AuditEntities = []string{EntityStation, EntityUnit, EntityWaterSource, EntityPremise, EntityResponsePlan, EntityIncidentType, EntityDevice}

// AuditEntry is one administrator's change to reference data, kept for good: who changed what,
// when, and the record before and after.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Actor is the username of the administrator.
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Entity string `json:"entity"`
	// EntityID is the record's id; a run card's is its Key.
	EntityID string `json:"entity_id"`
	// Before is the record as it was (absent for a create), After as it became, both as the API
	// shows them.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after"`
}

// MaxAuditEntries bounds one read of the audit trail.
const MaxAuditEntries = 500

// AuditFilter narrows a read of the audit trail, newest first.
type AuditFilter struct {
	// Entity and EntityID keep the entries of one kind of record, or of one record; empty keeps all.
	Entity   string
	EntityID string
	// BeforeID keeps entries older than the entry with this id, for paging; 0 starts at the newest.
	BeforeID int64
	// Limit is how many entries to return, 1..MaxAuditEntries.
	Limit int
}

// Validate checks the filter, naming the first bad field.
func (f AuditFilter) Validate() error {
	switch {
	case f.Entity != "" && !slices.Contains(AuditEntities, f.Entity):
		return Errorf(EINVALID, "entity: %q is not one of %s", f.Entity, joinNames(AuditEntities))
	case f.EntityID != "" && f.Entity == "":
		return Errorf(EINVALID, "entity_id: needs entity too")
	case f.BeforeID < 0:
		return Errorf(EINVALID, "before: %d is negative", f.BeforeID)
	case f.Limit < 1 || f.Limit > MaxAuditEntries:
		return Errorf(EINVALID, "limit: %d is outside 1..%d", f.Limit, MaxAuditEntries)
	}
	return nil
}
