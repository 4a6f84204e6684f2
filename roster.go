package fireline

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Qualification is something a crew member is qualified to do on a unit (持证岗位).
type Qualification string

// The qualifications a roster knows.
const (
	QualDriver      Qualification = "driver"      // drives the apparatus (驾驶员)
	QualFirefighter Qualification = "firefighter" // interior firefighting (战斗员)
	QualEMT         Qualification = "emt"         // emergency medical care (急救员)
	QualHazmat      Qualification = "hazmat"      // hazardous materials (防化员)
	QualCommander   Qualification = "commander"   // commands the unit (指挥员)
	QualAerial      Qualification = "aerial"      // operates an aerial ladder or platform (登高操作员)
)

// Qualifications lists every qualification in a stable order.
var Qualifications = []Qualification{QualDriver, QualFirefighter, QualEMT, QualHazmat, QualCommander, QualAerial}

// Valid reports whether q is a known qualification.
func (q Qualification) Valid() bool { return slices.Contains(Qualifications, q) }

// ValidateQualifications checks a list of qualifications: each known, none twice.
func ValidateQualifications(field string, qs []Qualification) error {
	for i, q := range qs {
		if !q.Valid() {
			return Errorf(EINVALID, "%s[%d]: %q is not a qualification (%s)", field, i, q, joinNames(Qualifications))
		}
		if slices.Contains(qs[:i], q) {
			return Errorf(EINVALID, "%s[%d]: %q is listed twice", field, i, q)
		}
	}
	return nil
}

// MaxMinStaff bounds a unit's minimum staffing: no apparatus seats more.
const MaxMinStaff = 12

// MaxShift bounds one roster entry: the longest duty turn a centre rosters is a day and a
// night; anything longer is a typing mistake in a date.
const MaxShift = 48 * time.Hour

// DefaultMinStaff is the minimum staffing of a unit of type t when an administrator sets none:
// the seats that must be filled for the apparatus to respond (an engine's driver, officer and
// two on the hose; a tanker's driver and a mate).
func DefaultMinStaff(t UnitType) int {
	switch t {
	case UnitEngine, UnitRescue, UnitHazmat:
		return 4
	case UnitLadder:
		return 3
	case UnitTanker, UnitCommand:
		return 2
	}
	return 1
}

// RosterEntry is one person on duty on one unit for one shift (值班): the duty roster is the
// set of them. A shift covers From (included) to To (excluded); ending it early moves To.
type RosterEntry struct {
	ID     int64  `json:"id"`
	UnitID string `json:"unit_id"`
	// Name is the person as the crew list shows them; Username is their sign-in, when they
	// have one (a crew member with the field page).
	Name           string          `json:"name"`
	Username       string          `json:"username,omitempty"`
	Qualifications []Qualification `json:"qualifications"`
	From           time.Time       `json:"from"`
	To             time.Time       `json:"to"`
	// CreatedBy is the user who rostered the person.
	CreatedBy string `json:"created_by,omitempty"`
	// UnitStatus and IncidentID are the unit's state when the roster was read: the crew
	// follows its unit, so the duty officer sees who is committed where.
	UnitStatus UnitStatus `json:"unit_status,omitempty"`
	IncidentID int64      `json:"incident_id,omitempty"`
}

// Validate checks a roster entry as a supervisor enters it, naming the first bad field.
func (e RosterEntry) Validate() error {
	if err := firstError(
		ValidateID("unit_id", e.UnitID),
		validateText("name", e.Name, MaxNameLen, true),
		validateText("username", e.Username, MaxNameLen, false),
		ValidateQualifications("qualifications", e.Qualifications),
	); err != nil {
		return err
	}
	switch {
	case e.From.IsZero():
		return Errorf(EINVALID, "from: the shift's start is required")
	case e.To.IsZero():
		return Errorf(EINVALID, "to: the shift's end is required")
	case !e.From.Before(e.To):
		return Errorf(EINVALID, "to: %s is not after from: %s", e.To.Format(time.RFC3339), e.From.Format(time.RFC3339))
	case e.To.Sub(e.From) > MaxShift:
		return Errorf(EINVALID, "to: a shift lasts at most %s, not %s", MaxShift, e.To.Sub(e.From))
	}
	return nil
}

// OnDuty reports whether the entry's shift covers t.
func (e RosterEntry) OnDuty(t time.Time) bool { return !t.Before(e.From) && t.Before(e.To) }

// Staffing is a unit's crew at one moment against its minimum.
type Staffing struct {
	// Filled is the number of people on duty on the unit, Minimum the seats that must be
	// filled for it to respond.
	Filled  int `json:"filled"`
	Minimum int `json:"minimum"`
	// BelowMinimum is true when fewer than Minimum are on duty or a required qualification is
	// missing (Missing): the unit is understaffed.
	BelowMinimum bool `json:"below_minimum"`
	// Qualifications are those the crew on duty holds between them, in Qualifications order;
	// Missing the unit's required ones nobody on duty holds.
	Qualifications []Qualification `json:"qualifications"`
	Missing        []Qualification `json:"missing,omitempty"`
	// Crew are the names of the people on duty, in roster order.
	Crew []string `json:"crew"`
}

// StaffingAt returns the unit's staffing at t from its shifts (Unit.Shifts).
func (u Unit) StaffingAt(t time.Time) Staffing {
	s := Staffing{Minimum: u.MinStaff, Qualifications: []Qualification{}, Crew: []string{}}
	held := map[Qualification]bool{}
	for _, e := range u.Shifts {
		if !e.OnDuty(t) {
			continue
		}
		s.Filled++
		s.Crew = append(s.Crew, e.Name)
		for _, q := range e.Qualifications {
			held[q] = true
		}
	}
	for _, q := range Qualifications {
		if held[q] {
			s.Qualifications = append(s.Qualifications, q)
		}
	}
	for _, q := range u.RequiredQualifications {
		if !held[q] {
			s.Missing = append(s.Missing, q)
		}
	}
	s.BelowMinimum = s.Filled < s.Minimum || len(s.Missing) > 0
	return s
}

// BelowMinimumAt reports StaffingAt(t).BelowMinimum without building the staffing: planning
// asks it of every candidate unit under the index's lock.
func (u Unit) BelowMinimumAt(t time.Time) bool {
	if u.MinStaff == 0 && len(u.RequiredQualifications) == 0 {
		return false
	}
	filled := 0
	for _, e := range u.Shifts {
		if e.OnDuty(t) {
			filled++
		}
	}
	if filled < u.MinStaff {
		return true
	}
	for _, q := range u.RequiredQualifications {
		held := false
		for _, e := range u.Shifts {
			if e.OnDuty(t) && slices.Contains(e.Qualifications, q) {
				held = true
				break
			}
		}
		if !held {
			return true
		}
	}
	return false
}

// Shortfall says in a few words why s is below its minimum, for an operator: "2 of 4 seats
// filled", "no hazmat", or both; empty when it is not.
func (s Staffing) Shortfall() string {
	var parts []string
	if s.Filled < s.Minimum {
		parts = append(parts, strconv.Itoa(s.Filled)+" of "+strconv.Itoa(s.Minimum)+" seats filled")
	}
	if len(s.Missing) > 0 {
		parts = append(parts, "no "+joinNames(s.Missing))
	}
	return strings.Join(parts, ", ")
}

// Understaffed says what the recommendation does with a unit below its minimum staffing.
type Understaffed string

// The understaffed policies.
const (
	// UnderstaffedFlag recommends the unit as any other, and its recommendation says it is
	// below minimum staffing and why, for the operator to judge.
	UnderstaffedFlag Understaffed = "flag"
	// UnderstaffedSkip leaves the unit out: the next suitable unit is recommended instead.
	UnderstaffedSkip Understaffed = "skip"
)

// Valid reports whether p is a known policy.
func (p Understaffed) Valid() bool { return p == UnderstaffedFlag || p == UnderstaffedSkip }

// RosterFilter narrows a read of the roster.
type RosterFilter struct {
	// UnitID keeps one unit's entries; empty keeps every unit's.
	UnitID string
	// At keeps the entries whose shift covers it; zero means now.
	At time.Time
}

// RosterStore keeps the duty roster. postgres.DB implements it. Every change touches the unit,
// so the change feed announces it and every process's unit index and console learn the new
// staffing.
type RosterStore interface {
	// Roster returns the entries that pass f, by unit and start, each with its unit's status
	// and incident.
	Roster(ctx context.Context, f RosterFilter) ([]RosterEntry, error)
	// AddRosterEntry puts a person on a unit for a shift; EINVALID for an unknown or retired
	// unit, ECONFLICT when the same person is already on duty on a unit for an overlapping
	// shift.
	AddRosterEntry(ctx context.Context, e RosterEntry, actor string) (RosterEntry, error)
	// EndRosterEntry ends a shift at at (zero: now), as at a shift change: a shift that has
	// not started yet is removed, one already over is left as it is. ENOTFOUND for an unknown
	// entry.
	EndRosterEntry(ctx context.Context, id int64, at time.Time, actor string) (RosterEntry, error)
}
