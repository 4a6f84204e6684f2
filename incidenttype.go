package fireline

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Incident types are data: administrators add, rename and retire them with their run cards,
// timers and joint-agency tasks (TypeDefinition, kept by an IncidentTypeStore). The code knows
// only categories (IncidentCategory), which carry the behaviour that used to hang on a fixed
// list: which alarms may be one incident, and the shorter turnout of a rescue. An incident keeps
// the definition its type had when it started (TypeSnapshot), whatever is changed later.

// IncidentCategory is the kind of emergency an incident type is: what the code's rules depend
// on, where the type itself is an administrator's choice.
type IncidentCategory string

// The incident categories.
const (
	// CategoryFire is a fire of any kind: fires share duplicates with each other, because
	// callers often mistake what is burning.
	CategoryFire IncidentCategory = "fire"
	// CategoryEMS is a medical emergency: turned out to within NFPA 1710's 60 s.
	CategoryEMS IncidentCategory = "ems"
	// CategoryRescue is a rescue (a crash, water, a collapse): turned out to like EMS.
	CategoryRescue IncidentCategory = "rescue"
	// CategoryHazmat is a hazardous-materials release.
	CategoryHazmat IncidentCategory = "hazmat"
	// CategoryOther is an unclassified call for help: it may turn out to be anything, so it
	// joins any incident nearby, and is turned out to like a rescue.
	CategoryOther IncidentCategory = "other"
)

// IncidentCategories lists every category in a stable order.
var IncidentCategories = []IncidentCategory{CategoryFire, CategoryEMS, CategoryRescue, CategoryHazmat, CategoryOther}

// Valid reports whether c is a known category.
func (c IncidentCategory) Valid() bool { return slices.Contains(IncidentCategories, c) }

// QuickTurnout reports whether crews of incidents in category c turn out within NFPA 1710's
// 60 s for EMS, rather than the 80 s of a fire (QuickTurnoutSeconds).
func (c IncidentCategory) QuickTurnout() bool {
	return c == CategoryEMS || c == CategoryRescue || c == CategoryOther
}

// QuickTurnoutSeconds is the turnout of the categories that turn out quickly (NFPA 1710, EMS).
const QuickTurnoutSeconds = 60

// Compatible reports whether alarms of type t (category tc) and type u (category uc) may
// describe the same incident: the same type, two fires, or an unclassified call for help.
func Compatible(t IncidentType, tc IncidentCategory, u IncidentType, uc IncidentCategory) bool {
	return t == u || (tc == CategoryFire && uc == CategoryFire) || tc == CategoryOther || uc == CategoryOther
}

// MaxTypeCodeLen bounds an incident type's code; MaxTypeNameLen its names.
const (
	MaxTypeCodeLen = 40
	MaxTypeNameLen = 80
	// MaxTypeTasks bounds the joint-agency tasks of one type.
	MaxTypeTasks = 32
	// MaxTimerSeconds bounds a timer override: a day.
	MaxTimerSeconds = 24 * 60 * 60
)

// TypeTimers are an incident type's own supervision intervals in seconds, each 0 where the
// type keeps the centre's default (or its category's, for the turnout).
type TypeTimers struct {
	AssessmentS     int `json:"assessment_s,omitempty"`
	CallProcessingS int `json:"call_processing_s,omitempty"`
	AcknowledgeS    int `json:"acknowledge_s,omitempty"`
	TurnoutS        int `json:"turnout_s,omitempty"`
	FirstArrivalS   int `json:"first_arrival_s,omitempty"`
	FullAlarmS      int `json:"full_alarm_s,omitempty"`
	PARIntervalS    int `json:"par_interval_s,omitempty"`
	PARGraceS       int `json:"par_grace_s,omitempty"`
}

func (t TypeTimers) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"assessment_s", t.AssessmentS}, {"call_processing_s", t.CallProcessingS}, {"acknowledge_s", t.AcknowledgeS},
		{"turnout_s", t.TurnoutS}, {"first_arrival_s", t.FirstArrivalS}, {"full_alarm_s", t.FullAlarmS},
		{"par_interval_s", t.PARIntervalS}, {"par_grace_s", t.PARGraceS},
	} {
		if f.v < 0 || f.v > MaxTimerSeconds {
			return Errorf(EINVALID, "timers.%s: %d is outside 0..%d (0 keeps the default)", f.name, f.v, MaxTimerSeconds)
		}
	}
	return nil
}

// TypeTask asks an agency for a task on incidents of a type from a level up.
type TypeTask struct {
	MinLevel int    `json:"min_level"`
	Agency   Agency `json:"agency"`
	// Task says what is asked, e.g. "traffic control at the scene".
	Task string `json:"task"`
	// WithinS is how long, in seconds, the agency has before the task escalates.
	WithinS int `json:"within_s"`
}

// Within is how long the agency has before the task escalates.
func (t TypeTask) Within() time.Duration { return time.Duration(t.WithinS) * time.Second }

// TypeDefinition is an incident type as the administrators keep it.
type TypeDefinition struct {
	// Code is the type's id, as alarms, incidents and run cards name it: "gas_leak".
	Code IncidentType `json:"code"`
	// NameZH and NameEN are what the pages call it where their catalogues do not.
	NameZH   string           `json:"name_zh"`
	NameEN   string           `json:"name_en"`
	Category IncidentCategory `json:"category"`
	Timers   TypeTimers       `json:"timers"`
	// AgencyTasks are the joint-agency tasks of its incidents, in the order they are asked.
	AgencyTasks []TypeTask `json:"agency_tasks"`
	// RetiredAt is when it was retired, nil while in force: a retired type takes no new alarm,
	// assessment or run card, and its incidents keep what they started with.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// Validate checks a definition as an administrator enters it, naming the first bad field.
func (d TypeDefinition) Validate() error {
	err := firstError(
		d.Code.Check(),
		validateText("name_zh", d.NameZH, MaxTypeNameLen, true),
		validateText("name_en", d.NameEN, MaxTypeNameLen, true),
	)
	if err != nil {
		return err
	}
	if !d.Category.Valid() {
		return Errorf(EINVALID, "category: %q is not one of %s", d.Category, joinNames(IncidentCategories))
	}
	if err := d.Timers.validate(); err != nil {
		return err
	}
	if len(d.AgencyTasks) > MaxTypeTasks {
		return Errorf(EINVALID, "agency_tasks: %d listed, at most %d", len(d.AgencyTasks), MaxTypeTasks)
	}
	for i, t := range d.AgencyTasks {
		switch {
		case t.MinLevel < MinLevel || t.MinLevel > MaxLevel:
			return Errorf(EINVALID, "agency_tasks[%d].min_level: %d is outside %d..%d", i, t.MinLevel, MinLevel, MaxLevel)
		case !t.Agency.Valid():
			return Errorf(EINVALID, "agency_tasks[%d].agency: %q is not one of %s", i, t.Agency, joinNames(Agencies))
		case t.WithinS < 1 || t.WithinS > MaxTimerSeconds:
			return Errorf(EINVALID, "agency_tasks[%d].within_s: %d is outside 1..%d", i, t.WithinS, MaxTimerSeconds)
		}
		if err := validateText(fmt.Sprintf("agency_tasks[%d].task", i), t.Task, MaxNameLen, true); err != nil {
			return err
		}
	}
	return nil
}

// TasksAt are the tasks of an incident of this type at level: every task it meets, one per
// agency (the first listed wins), in the order listed.
func (d TypeDefinition) TasksAt(level int) []TypeTask {
	var out []TypeTask
	for _, t := range d.AgencyTasks {
		if level >= t.MinLevel && !slices.ContainsFunc(out, func(o TypeTask) bool { return o.Agency == t.Agency }) {
			out = append(out, t)
		}
	}
	return out
}

// TypeSnapshot is an incident type as an incident started with it: its definition and the run
// cards its levels use, read once and kept in the incident's history, so that renaming or
// retiring the type, or changing a run card, changes no running incident.
type TypeSnapshot struct {
	Definition TypeDefinition `json:"definition"`
	// Plans are the run cards for levels MinLevel..MaxLevel, each as dispatch looks it up (the
	// card of the level, or of the highest level below it); a level no card covers is absent.
	Plans []ResponsePlan `json:"plans"`
}

// Slots are the slots of the run card for level, nil when no card covers it.
func (s TypeSnapshot) Slots(level int) []PlanSlot {
	i := slices.IndexFunc(s.Plans, func(p ResponsePlan) bool { return p.Level == level })
	if i < 0 {
		return nil
	}
	return s.Plans[i].Slots
}

// IncidentTypeStore keeps the incident types. PostgreSQL implements it. Every change is
// written to the admin audit trail with the administrator's name (actor).
type IncidentTypeStore interface {
	// IncidentTypeDefs lists the types by code; retired ones only with IncludeRetired.
	IncidentTypeDefs(ctx context.Context, f RefFilter) ([]TypeDefinition, error)
	// IncidentTypeDef returns one type, retired or not; ENOTFOUND when there is none.
	IncidentTypeDef(ctx context.Context, code IncidentType) (TypeDefinition, error)
	// CreateIncidentType adds a type; ECONFLICT when the code is taken, even by a retired one.
	CreateIncidentType(ctx context.Context, d TypeDefinition, actor string) (TypeDefinition, error)
	// UpdateIncidentType replaces a type's names, category, timers and tasks; ECONFLICT for a
	// retired one.
	UpdateIncidentType(ctx context.Context, d TypeDefinition, actor string) (TypeDefinition, error)
	// RetireIncidentType retires a type; a repeat changes nothing.
	RetireIncidentType(ctx context.Context, code IncidentType, actor string) (TypeDefinition, error)
	// IncidentTypeSnapshot is the type in force with its run cards, for an incident starting
	// with it; EINVALID when the type does not exist or is retired.
	IncidentTypeSnapshot(ctx context.Context, code IncidentType) (TypeSnapshot, error)
}

// BuiltinTypes are the incident types every deployment starts with (the migration that made
// types data seeds them): the sample city's run cards name them.
func BuiltinTypes() []TypeDefinition {
	names := map[IncidentType][2]string{
		TypeStructureFire:    {"建筑火灾", "Structure fire"},
		TypeHighRiseFire:     {"高层建筑火灾", "High-rise fire"},
		TypeIndustrialFire:   {"工业火灾", "Industrial fire"},
		TypeVehicleFire:      {"车辆火灾", "Vehicle fire"},
		TypeWildlandFire:     {"森林草原火灾", "Wildland fire"},
		TypeHazmat:           {"危险化学品", "Hazardous materials"},
		TypeTrafficAccident:  {"交通事故", "Traffic accident"},
		TypeWaterRescue:      {"水域救援", "Water rescue"},
		TypeBuildingCollapse: {"建筑倒塌", "Building collapse"},
		TypeHelpRequested:    {"社会救助", "Help requested"},
	}
	category := map[IncidentType]IncidentCategory{
		TypeStructureFire: CategoryFire, TypeHighRiseFire: CategoryFire, TypeIndustrialFire: CategoryFire,
		TypeVehicleFire: CategoryFire, TypeWildlandFire: CategoryFire, TypeHazmat: CategoryHazmat,
		TypeTrafficAccident: CategoryRescue, TypeWaterRescue: CategoryRescue, TypeBuildingCollapse: CategoryRescue,
		TypeHelpRequested: CategoryOther,
	}
	rules := agencyRules(func(t IncidentType) bool { return category[t] == CategoryFire })
	out := make([]TypeDefinition, 0, len(IncidentTypes))
	for _, t := range IncidentTypes {
		d := TypeDefinition{Code: t, NameZH: names[t][0], NameEN: names[t][1], Category: category[t], AgencyTasks: []TypeTask{}}
		for _, r := range rules {
			if r.Type == t {
				d.AgencyTasks = append(d.AgencyTasks, TypeTask{MinLevel: r.MinLevel, Agency: r.Agency, Task: r.Task, WithinS: int(r.Within / time.Second)})
			}
		}
		out = append(out, d)
	}
	return out
}
