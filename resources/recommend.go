package resources

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// alternatesPerSlot is how many next-best units of each slot's type the operator is offered to
// swap in.
const alternatesPerSlot = 2

// Plans looks up run cards. PostgreSQL implements it; a missing plan is an ENOTFOUND error.
type Plans interface {
	ResponsePlan(ctx context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error)
}

// Request asks for the units to send to an incident.
type Request struct {
	// Point is the incident's position (WGS-84).
	Point fireline.Point
	Type  fireline.IncidentType
	// Level is the alarm level, fireline.MinLevel..fireline.MaxLevel.
	Level int
	// Exclude lists unit ids never to recommend (already assigned, refused by the operator).
	Exclude []string
	// Have lists the units of each type already on the incident: the plan is filled less them,
	// so an upgraded incident is recommended only the difference (reinforcement).
	Have []fireline.PlanSlot
	// Slots, when set, are filled instead of the run card: one unit of a type to replace a
	// unit that did not answer, say.
	Slots []fireline.PlanSlot
}

// Result is a recommendation.
type Result struct {
	// Units fill the plan, fastest first.
	Units []fireline.Recommendation
	// Alternates are, slot by slot in plan order, up to two next-fastest units of the slot's
	// type, fastest first within a slot.
	Alternates []fireline.Recommendation
	// Short lists, in plan order, slots that could not be filled and how many units are missing.
	Short []fireline.PlanSlot
}

// Recommender fills response plans with the fastest available units.
type Recommender struct {
	index *Index
	plans Plans
	model geo.Estimator
	// understaffed is what becomes of a unit below its minimum staffing at the index's time.
	understaffed fireline.Understaffed
}

// Units says how many units the recommender searches: none while the index is still loading.
func (r *Recommender) Units() int { return r.index.Len() }

// Option configures a Recommender.
type Option func(*Recommender)

// WithTravelModel replaces geo.DefaultTravelModel with another distance model.
func WithTravelModel(m geo.TravelModel) Option {
	return func(r *Recommender) { r.model = m }
}

// WithEstimator replaces geo.DefaultTravelModel with any travel-time estimator, such as the
// learned model (*geo.LearnedModel). It must be safe for concurrent use.
func WithEstimator(e geo.Estimator) Option {
	return func(r *Recommender) { r.model = e }
}

// WithUnderstaffed says what becomes of a unit below its minimum staffing (fireline.Unit.
// StaffingAt at the index's time): flagged in its recommendation (the default) or skipped for
// the next suitable unit.
func WithUnderstaffed(p fireline.Understaffed) Option {
	return func(r *Recommender) { r.understaffed = p }
}

// NewRecommender returns a Recommender over the live index and the run cards.
func NewRecommender(index *Index, plans Plans, opts ...Option) *Recommender {
	r := &Recommender{index: index, plans: plans, model: geo.DefaultTravelModel(), understaffed: fireline.UnderstaffedFlag}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Validate checks a request for the caller's mistakes.
func (req Request) Validate() error {
	if err := req.Point.Validate(); err != nil {
		return err
	}
	if !req.Type.Valid() {
		return fireline.Errorf(fireline.EINVALID, "type: %q is not an incident type code", req.Type)
	}
	if req.Level < fireline.MinLevel || req.Level > fireline.MaxLevel {
		return fireline.Errorf(fireline.EINVALID, "level: %d is outside %d..%d", req.Level, fireline.MinLevel, fireline.MaxLevel)
	}
	return nil
}

// Recommend fills the response plan for the request's type and level, less the units the
// incident already has (Request.Have). Each slot gets the units of its type with the best ETA,
// excluded units skipped; no unit appears twice. Slots of the
// same type are merged first, so the second slot never gets worse units than the first's
// alternates. Within one type the distance model ranks exactly as distance does; across types
// Units is ordered by ETA, ties by unit id.
func (r *Recommender) Recommend(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if v, ok := r.model.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			// Our configuration, not the caller's mistake: %v keeps its EINVALID code from
			// reaching the operator as if the request were wrong.
			return Result{}, fmt.Errorf("resources: travel model: %v", err)
		}
	}
	plan := fireline.ResponsePlan{IncidentType: req.Type, Level: req.Level, Slots: req.Slots}
	if len(req.Slots) == 0 {
		var err error
		if plan, err = r.plans.ResponsePlan(ctx, req.Type, req.Level); err != nil {
			return Result{}, fmt.Errorf("resources: response plan %s level %d: %w", req.Type, req.Level, err)
		}
	}
	slots, err := mergeSlots(plan)
	if err != nil {
		return Result{}, err
	}
	exclude := make(map[string]bool, len(req.Exclude))
	for _, id := range req.Exclude {
		exclude[id] = true
	}
	for _, h := range req.Have {
		if i := slices.IndexFunc(slots, func(s fireline.PlanSlot) bool { return s.Type == h.Type }); i >= 0 {
			slots[i].Count -= h.Count
		}
	}
	slots = slices.DeleteFunc(slots, func(s fireline.PlanSlot) bool { return s.Count <= 0 })
	res := Result{Units: []fireline.Recommendation{}, Alternates: []fireline.Recommendation{}, Short: []fireline.PlanSlot{}}
	// Staffing is judged at the index's time, as stale fixes are: a shift change needs no
	// notice to take effect.
	now := r.index.now()
	skip := r.understaffed == fireline.UnderstaffedSkip
	for _, s := range slots {
		// Nearest ranks by distance. A learned model is not monotonic in distance: a unit a
		// little farther may be faster over known roads, so rank twice the units needed by ETA.
		want := min(2*(s.Count+alternatesPerSlot), MaxNearest)
		cands, err := r.index.Nearest(req.Point, want, func(u fireline.Unit) bool {
			return u.Type == s.Type && !exclude[u.ID] && !(skip && u.BelowMinimumAt(now))
		})
		if err != nil {
			return Result{}, fmt.Errorf("resources: nearest %s: %w", s.Type, err)
		}
		recs := make([]fireline.Recommendation, len(cands))
		bases := make([]string, len(cands))
		for i, c := range cands {
			recs[i], bases[i] = r.recommendation(req.Point, c)
		}
		// Nearest ranks by distance; rank by ETA so a model that is not monotonic in distance
		// (roads, traffic) needs no change here. The reason names the rank, so it comes after.
		sortByETA(recs, cands, bases)
		shown := min(len(recs), s.Count+alternatesPerSlot)
		recs, cands, bases = recs[:shown], cands[:shown], bases[:shown]
		for i := range recs {
			recs[i].Reason = reason(i+1, recs[i], cands[i], bases[i])
			if st := cands[i].Unit.StaffingAt(now); st.BelowMinimum {
				recs[i].Understaffed = true
				recs[i].Reason += "; understaffed: " + st.Shortfall()
			}
		}
		n := min(s.Count, len(recs))
		res.Units = append(res.Units, recs[:n]...)
		res.Alternates = append(res.Alternates, recs[n:]...)
		if n < s.Count {
			res.Short = append(res.Short, fireline.PlanSlot{Type: s.Type, Count: s.Count - n})
		}
	}
	slices.SortStableFunc(res.Units, compareETA)
	return res, nil
}

// recommendation estimates the unit's travel from where the index placed it: its AVL fix, or
// its home station when the fix is stale. basis says what history the ETA rests on.
func (r *Recommender) recommendation(scene fireline.Point, c Candidate) (rec fireline.Recommendation, basis string) {
	u := c.Unit
	e := r.model.Estimate(u.Point, scene, u.Type)
	return fireline.Recommendation{
		UnitID: u.ID, Type: u.Type, ETASeconds: e.Seconds, DistanceMeters: e.Meters, StationID: u.StationID,
		Model: e.Model, ModelSamples: e.Samples, PositionSource: u.PositionSource, PositionStale: c.PositionStale,
	}, e.Basis()
}

// sortByETA sorts recs fastest first, ties by unit id, and keeps cands and bases in step.
func sortByETA(recs []fireline.Recommendation, cands []Candidate, bases []string) {
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareETA(recs[a], recs[b]) })
	sortedRecs, sortedCands, sortedBases := make([]fireline.Recommendation, len(recs)), make([]Candidate, len(cands)), make([]string, len(bases))
	for i, j := range order {
		sortedRecs[i], sortedCands[i], sortedBases[i] = recs[j], cands[j], bases[j]
	}
	copy(recs, sortedRecs)
	copy(cands, sortedCands)
	copy(bases, sortedBases)
}

// reason explains a recommendation to the operator in one line: its rank among the units of its
// type, distance, ETA, and where the estimate starts, saying so when the AVL fix was too old to
// trust, and, for a learned ETA, the history behind it. For example "nearest engine by ETA,
// 2.7 km, 5:28, of station DCF-3 (AVL 12 s old)" or "2nd-nearest engine by ETA, 4.1 km, 8:02
// from home station DCF-3 (AVL stale 45 min); ETA learned from 12 trips between these
// neighbourhoods".
func reason(rank int, rec fireline.Recommendation, c Candidate, basis string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s by ETA, %s, %s", nearest(rank), rec.Type, distance(rec.DistanceMeters), clock(rec.ETASeconds))
	station := rec.StationID
	switch {
	case c.PositionStale && rec.PositionSource == fireline.PositionStation:
		fmt.Fprintf(&b, " from home station %s (AVL stale %s)", station, age(c.PositionAge))
	case c.PositionStale:
		fmt.Fprintf(&b, " from its last AVL fix (stale %s; no home station)", age(c.PositionAge))
	case rec.PositionSource == fireline.PositionAVL && station != "":
		fmt.Fprintf(&b, ", of station %s (AVL %s old)", station, age(c.PositionAge))
	case rec.PositionSource == fireline.PositionAVL:
		fmt.Fprintf(&b, " (AVL %s old)", age(c.PositionAge))
	case station != "":
		fmt.Fprintf(&b, " from home station %s (no AVL fix)", station)
	default:
		b.WriteString(" (no AVL fix)")
	}
	if rec.ModelSamples > 0 {
		fmt.Fprintf(&b, "; ETA %s", basis)
	}
	return b.String()
}

// nearest names a rank: nearest, 2nd-nearest, 3rd-nearest...
func nearest(rank int) string {
	if rank == 1 {
		return "nearest"
	}
	suffix := "th"
	switch {
	case rank%100 >= 11 && rank%100 <= 13:
	case rank%10 == 1:
		suffix = "st"
	case rank%10 == 2:
		suffix = "nd"
	case rank%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s-nearest", rank, suffix)
}

// distance formats metres as "850 m" or "2.7 km".
func distance(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f m", m)
	}
	return fmt.Sprintf("%.1f km", m/1000)
}

// clock formats seconds as m:ss, or h:mm:ss from an hour.
func clock(seconds float64) string {
	s := int(math.Round(seconds))
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// age formats a fix's age coarsely: "12 s", "45 min", "3 h", "2 d".
func age(d time.Duration) string {
	switch {
	case d < 90*time.Second:
		return fmt.Sprintf("%d s", max(0, int(d.Round(time.Second)/time.Second)))
	case d < 90*time.Minute:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

func compareETA(a, b fireline.Recommendation) int {
	if c := cmp.Compare(a.ETASeconds, b.ETASeconds); c != 0 {
		return c
	}
	return cmp.Compare(a.UnitID, b.UnitID)
}

// mergeSlots sums the plan's slots by unit type, in order of first appearance, and drops empty
// ones. A slot of an unknown type or a negative count is a broken run card: our data, not the
// caller's mistake.
func mergeSlots(plan fireline.ResponsePlan) ([]fireline.PlanSlot, error) {
	var out []fireline.PlanSlot
	for _, s := range plan.Slots {
		if !s.Type.Valid() || s.Count < 0 {
			return nil, fmt.Errorf("resources: response plan %s level %d: bad slot %+v", plan.IncidentType, plan.Level, s)
		}
		if s.Count == 0 {
			continue
		}
		if i := slices.IndexFunc(out, func(o fireline.PlanSlot) bool { return o.Type == s.Type }); i >= 0 {
			out[i].Count += s.Count
		} else {
			out = append(out, s)
		}
	}
	return out, nil
}
