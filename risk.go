package fireline

import (
	"context"
	"math"
	"slices"
	"time"
)

// The fire-risk grid scores every resolution-7 H3 cell (about 5 km², a few streets of a town)
// from three factors, each explained by the values behind it:
//
//   - history: the incidents received in the cell over the look-back (live and imported), each
//     counted by its category's weight (a fire 1, a hazmat release 0.5, anything else 0.2) and
//     halved for each full year of its age (this year 1, last year 0.5, the year before 0.25);
//   - premises: the key premises in force in the cell, each counted by its kind's weight (a
//     chemical plant or fuel station 3, a hospital, school, market, ancient building or
//     high-rise 2, anything else 1) plus a half for every hazard its record lists, plus 2 for
//     each whose fire protection is impaired at the time of the read (in fire alarm, in fault,
//     shielded, in test, or a transmission device silent for DefaultDeviceOfflineAfter, as the
//     building fire-safety board counts) — a hospital with a shielded loop is a greater risk
//     until the loop is back;
//   - warnings: the highest readiness (0–3) that the CAP warnings in force raise in the cell.
//
// Each factor gives Weight points per unit of its value, at most Cap points; the score is their
// sum, 0–100 with the default model (40 + 24 + 36). DefaultRiskModel is the one table of
// weights; a change to it applies from the next scheduled run (history and premises) or the
// next read (warnings, impaired premises).

// The risk factors' kinds, as the API and the pages name them.
const (
	RiskHistory  = "history"
	RiskPremises = "premises"
	RiskWarnings = "warnings"
)

// RiskModel is the weights and bounds of the risk score.
type RiskModel struct {
	// LookBack is how far back incidents count.
	LookBack time.Duration
	// CategoryWeight is what one incident of a category counts, before its age; a category
	// not listed counts OtherCategoryWeight.
	CategoryWeight      map[IncidentCategory]float64
	OtherCategoryWeight float64
	// YearDecay multiplies an incident's count once for each full year of its age.
	YearDecay float64
	// PremiseKindWeight is what a key premises of a kind counts; a kind not listed counts
	// OtherPremiseWeight. HazardWeight is added for each hazard the premises lists.
	PremiseKindWeight  map[string]float64
	OtherPremiseWeight float64
	HazardWeight       float64
	// ImpairedWeight is added for each key premises whose fire protection is impaired when the
	// grid is read (joined at read time, as the warnings are: a fault's repair is announced by
	// the device, a silent device by nothing but the clock).
	ImpairedWeight float64
	// Points per unit of each factor's value, and the most points each may give.
	HistoryWeight, HistoryCap   float64
	PremisesWeight, PremisesCap float64
	WarningsWeight, WarningsCap float64
}

// DefaultRiskModel is the risk score's table of weights (see the package comment above
// RiskHistory for what each means).
func DefaultRiskModel() RiskModel {
	return RiskModel{
		LookBack: 3 * 365 * 24 * time.Hour,
		CategoryWeight: map[IncidentCategory]float64{
			CategoryFire: 1, CategoryHazmat: 0.5, CategoryRescue: 0.2, CategoryEMS: 0.2, CategoryOther: 0.2,
		},
		OtherCategoryWeight: 0.2,
		YearDecay:           0.5,
		PremiseKindWeight: map[string]float64{
			"chemical_plant": 3, "petrol_station": 3,
			"hospital": 2, "school": 2, "market": 2, "shopping_mall": 2, "ancient_building": 2, "high_rise_residential": 2,
		},
		OtherPremiseWeight: 1,
		HazardWeight:       0.5,
		ImpairedWeight:     2,
		// Five fire-equivalents reach the history's cap; so do two chemical plants with their
		// hazards for the premises'; an extreme warning gives its whole share.
		HistoryWeight: 8, HistoryCap: 40,
		PremisesWeight: 3, PremisesCap: 24,
		WarningsWeight: 12, WarningsCap: 36,
	}
}

// RiskFactor is one factor of a cell's score and why it counts what it counts.
type RiskFactor struct {
	// Kind is RiskHistory, RiskPremises or RiskWarnings.
	Kind string `json:"kind"`
	// Value is the factor's measure: fire-equivalent incidents, premises points, or the highest
	// readiness.
	Value float64 `json:"value"`
	// Weight is the points per unit of Value, and Cap the most points the factor gives.
	Weight float64 `json:"weight"`
	Cap    float64 `json:"cap"`
	// Points is Value × Weight, at most Cap: what the factor adds to the score.
	Points float64 `json:"points"`
	// What the value is made of, by factor.
	Incidents []RiskIncidents `json:"incidents,omitempty"`
	Premises  []RiskPremise   `json:"premises,omitempty"`
	Warnings  []RiskWarning   `json:"warnings,omitempty"`
}

// RiskIncidents is a count of incidents in a cell of one category and age, from one source.
type RiskIncidents struct {
	// Cell is the resolution-9 cell (hex) as the store counts; the grid's explanation gives
	// the resolution-7 cell's totals and leaves it empty.
	Cell     string           `json:"cell,omitempty"`
	Category IncidentCategory `json:"category"`
	// YearsAgo is the incident's age in full years at the run: 0 within the last year.
	YearsAgo int `json:"years_ago"`
	// Imported is true for records imported from an earlier system, false for live incidents.
	Imported bool `json:"imported"`
	Count    int  `json:"count"`
	// Each is what one of these incidents counts: category weight × decay per year of age.
	Each float64 `json:"each"`
}

// RiskPremise is a key premises counted in a cell.
type RiskPremise struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Hazards int    `json:"hazards"`
	// Impaired says the premises' fire protection was impaired at the read, which adds the
	// model's ImpairedWeight to Value.
	Impaired bool    `json:"impaired,omitempty"`
	Value    float64 `json:"value"`
}

// RiskWarning is a CAP warning in force over a cell.
type RiskWarning struct {
	ID        int64     `json:"id"`
	Event     string    `json:"event"`
	Readiness Readiness `json:"readiness"`
	// Expires is when the warning stops raising the cell.
	Expires time.Time `json:"expires"`
}

// RiskLevel puts a score into words: 1 low (below 20), 2 moderate, 3 high (from 40), 4 very
// high (from 60), 5 extreme (from 80).
type RiskLevel int

// LevelOf is the level of a score.
func LevelOf(score float64) RiskLevel {
	return RiskLevel(min(5, max(1, 1+int(math.Floor(score/20)))))
}

// Name is the level's word, as the catalogues key it.
func (l RiskLevel) Name() string {
	return [...]string{"low", "low", "moderate", "high", "very_high", "extreme"}[min(5, max(0, int(l)))]
}

// factor is a factor of value under the model's weight and cap.
func factor(kind string, value, weight, limit float64) RiskFactor {
	return RiskFactor{Kind: kind, Value: round2(value), Weight: weight, Cap: limit, Points: round2(min(value*weight, limit))}
}

// IncidentWeight is what one incident of category c counts yearsAgo full years after it.
func (m RiskModel) IncidentWeight(c IncidentCategory, yearsAgo int) float64 {
	w, ok := m.CategoryWeight[c]
	if !ok {
		w = m.OtherCategoryWeight
	}
	return w * math.Pow(m.YearDecay, float64(max(0, yearsAgo)))
}

// HistoryFactor is the history factor of a cell's incident counts; each count's Each is set.
func (m RiskModel) HistoryFactor(counts []RiskIncidents) RiskFactor {
	var v float64
	out := make([]RiskIncidents, len(counts))
	for i, c := range counts {
		c.Each = round2(m.IncidentWeight(c.Category, c.YearsAgo))
		v += float64(c.Count) * m.IncidentWeight(c.Category, c.YearsAgo)
		out[i] = c
	}
	f := factor(RiskHistory, v, m.HistoryWeight, m.HistoryCap)
	f.Incidents = out
	return f
}

// PremiseValue is what a key premises of kind with n hazards counts.
func (m RiskModel) PremiseValue(kind string, hazards int) float64 {
	w, ok := m.PremiseKindWeight[kind]
	if !ok {
		w = m.OtherPremiseWeight
	}
	return w + m.HazardWeight*float64(hazards)
}

// PremisesFactor is the premises factor of a cell's key premises; each one's Value is set.
func (m RiskModel) PremisesFactor(ps []RiskPremise) RiskFactor {
	var v float64
	out := make([]RiskPremise, len(ps))
	for i, p := range ps {
		p.Value = m.PremiseValue(p.Kind, p.Hazards)
		if p.Impaired {
			p.Value += m.ImpairedWeight
		}
		v += p.Value
		out[i] = p
	}
	f := factor(RiskPremises, v, m.PremisesWeight, m.PremisesCap)
	f.Premises = out
	return f
}

// ImpairPremises is a stored premises factor with the premises impaired now (by id) marked
// and counted, within the factor's cap; any other factor, or one none of whose premises is
// impaired, is returned as it is.
func (m RiskModel) ImpairPremises(f RiskFactor, impaired map[string]bool) RiskFactor {
	if f.Kind != RiskPremises || len(impaired) == 0 {
		return f
	}
	ps := slices.Clone(f.Premises)
	found := false
	for i := range ps {
		if impaired[ps[i].ID] {
			ps[i].Impaired, found = true, true
		}
	}
	if !found {
		return f
	}
	return m.PremisesFactor(ps)
}

// WarningsFactor is the warnings factor of the warnings in force over a cell: the highest
// readiness among them.
func (m RiskModel) WarningsFactor(ws []RiskWarning) RiskFactor {
	var v Readiness
	for _, w := range ws {
		v = max(v, w.Readiness)
	}
	f := factor(RiskWarnings, float64(v), m.WarningsWeight, m.WarningsCap)
	f.Warnings = ws
	return f
}

// RiskScore is the sum of the factors' points.
func RiskScore(fs []RiskFactor) float64 {
	var s float64
	for _, f := range fs {
		s += f.Points
	}
	return round2(s)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// RiskCell is a resolution-7 cell of the risk grid as the API serves it.
type RiskCell struct {
	// Cell is the H3 cell as hex.
	Cell  string    `json:"cell"`
	Score float64   `json:"score"`
	Level RiskLevel `json:"level"`
	// LevelName is Level's word: low, moderate, high, very_high, extreme.
	LevelName string       `json:"level_name"`
	Factors   []RiskFactor `json:"factors"`
	// Center is the cell's centre (WGS-84) and Boundary its outline.
	Center   Point   `json:"center"`
	Boundary []Point `json:"boundary,omitempty"`
}

// StoredRiskCell is a cell of the last scheduled run: its history and premises factors.
type StoredRiskCell struct {
	Cell    string       `json:"cell"`
	Score   float64      `json:"score"`
	Factors []RiskFactor `json:"factors"`
}

// RiskRun is one scheduled computation of the grid's history and premises factors.
type RiskRun struct {
	ComputedAt time.Time
	LookBack   time.Duration
	Cells      []StoredRiskCell
}

// RiskSnapshot is what the grid is read from: the last run's cells and, per cell, the
// warnings in force at the time of the read.
type RiskSnapshot struct {
	// ComputedAt is the last run's time; zero when none has run.
	ComputedAt time.Time
	Cells      []StoredRiskCell
	// Warnings are the warnings in force at the read, by resolution-7 cell.
	Warnings map[string][]RiskWarning
	// Impaired are the key premises (by id) whose fire protection is impaired at the read.
	Impaired map[string]bool
}

// RiskStore keeps the risk grid and reads what it is computed from. postgres.DB implements it.
type RiskStore interface {
	// RiskIncidents counts the incidents received in [since, at) — live ones that were not
	// cancelled or merged into another, and imported ones with a position — by
	// resolution-9 cell, category, full years before at, and source.
	RiskIncidents(ctx context.Context, since, at time.Time) ([]RiskIncidents, error)
	// Premises lists the key premises (in force unless the filter says otherwise).
	Premises(ctx context.Context, f RefFilter) ([]Premise, error)
	// SaveRiskRun replaces the stored grid with run's cells in one transaction and announces
	// the change (kind "risk").
	SaveRiskRun(ctx context.Context, run RiskRun) error
	// RiskSnapshot reads the stored grid, the warnings in force at at and the key premises
	// impaired at at.
	RiskSnapshot(ctx context.Context, at time.Time) (RiskSnapshot, error)
}

// RiskQuery narrows a read of the grid. Zero values keep everything.
type RiskQuery struct {
	// Limit keeps the highest-scoring cells only; 0 means DefaultRiskLimit.
	Limit int
	// MinScore keeps cells scoring at least this.
	MinScore float64
	// BBox, if set, keeps cells whose centre lies within it: west, south, east, north.
	BBox *[4]float64
	// Shapes adds each cell's outline.
	Shapes bool
}

// Limits of a read of the grid.
const (
	DefaultRiskLimit = 500
	MaxRiskLimit     = 5000
)

// Validate checks a query's bounds.
func (q RiskQuery) Validate() error {
	if q.Limit < 0 || q.Limit > MaxRiskLimit {
		return Errorf(EINVALID, "limit %d: want 1 to %d", q.Limit, MaxRiskLimit)
	}
	if q.MinScore < 0 || q.MinScore > 100 || math.IsNaN(q.MinScore) {
		return Errorf(EINVALID, "min_score %v: want 0 to 100", q.MinScore)
	}
	if b := q.BBox; b != nil {
		if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] >= b[2] || b[1] >= b[3] {
			return Errorf(EINVALID, "bbox %v: want west,south,east,north in degrees, west < east and south < north", *b)
		}
	}
	return nil
}

// RiskLayer is the grid as served: the ranked cells, when their history and premises were
// computed, and when the next warning in force runs out (when the layer changes by itself).
type RiskLayer struct {
	ComputedAt *time.Time `json:"computed_at"`
	// NextChangeAt is the earliest expiry among the warnings in force over any cell; nil when
	// none is.
	NextChangeAt *time.Time  `json:"next_change_at"`
	Model        RiskWeights `json:"weights"`
	Cells        []RiskCell  `json:"cells"`
}

// RiskWeights is the model as the API shows it, so a page can say how a score is made.
type RiskWeights struct {
	LookBackDays   int                          `json:"look_back_days"`
	Categories     map[IncidentCategory]float64 `json:"categories"`
	YearDecay      float64                      `json:"year_decay"`
	PremiseKinds   map[string]float64           `json:"premise_kinds"`
	OtherPremise   float64                      `json:"other_premise"`
	Hazard         float64                      `json:"hazard"`
	Impaired       float64                      `json:"impaired"`
	HistoryWeight  float64                      `json:"history_weight"`
	HistoryCap     float64                      `json:"history_cap"`
	PremisesWeight float64                      `json:"premises_weight"`
	PremisesCap    float64                      `json:"premises_cap"`
	WarningsWeight float64                      `json:"warnings_weight"`
	WarningsCap    float64                      `json:"warnings_cap"`
}

// Weights is the model as the API shows it.
func (m RiskModel) Weights() RiskWeights {
	return RiskWeights{
		LookBackDays: int(m.LookBack / (24 * time.Hour)), Categories: m.CategoryWeight, YearDecay: m.YearDecay,
		PremiseKinds: m.PremiseKindWeight, OtherPremise: m.OtherPremiseWeight, Hazard: m.HazardWeight,
		Impaired:      m.ImpairedWeight,
		HistoryWeight: m.HistoryWeight, HistoryCap: m.HistoryCap, PremisesWeight: m.PremisesWeight,
		PremisesCap: m.PremisesCap, WarningsWeight: m.WarningsWeight, WarningsCap: m.WarningsCap,
	}
}

// RiskService serves the grid and recomputes it. resources.RiskGrid implements it.
type RiskService interface {
	// Layer reads the grid as it stands at at, ranked highest first.
	Layer(ctx context.Context, q RiskQuery, at time.Time) (RiskLayer, error)
	// Recompute computes the history and premises factors as of at and stores them.
	Recompute(ctx context.Context, at time.Time) (RiskRunResult, error)
}

// RiskRunResult says what a run stored.
type RiskRunResult struct {
	Cells int `json:"cells"`
}
