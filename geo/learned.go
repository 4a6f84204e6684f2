package geo

import (
	"fmt"
	"math"
	"sync"

	"github.com/fireline/fireline"
)

// ModelLearnedV1 names the learned travel model: the distance model's ETA multiplied by a ratio
// learned from observed trips. An Estimate's Model adds the level that answered after a colon,
// e.g. "learned-v1:pair-r7", so a review can tell how much history stood behind an ETA.
const ModelLearnedV1 = "learned-v1"

// Bounds on what an observed trip may imply. Speeds use the great-circle distance, a lower bound
// of the road distance, so a trip faster than MaxTripSpeedMPS in a straight line was faster
// still on the road: a GPS jump or a clock fault, never a fire engine. A trip slower than
// MinTripSpeedMPS over more than MinTripMeters is a crew that pressed "on scene" late (or never
// pressed "en route" on time), not traffic. Below MinTripMeters both ends sit within GPS error
// and the fixed cost of starting and parking of each other, so such a trip says nothing about
// the roads: it is accepted but not learned from.
const (
	MinTripMeters   = 200
	MinTripSpeedMPS = 1
	MaxTripSpeedMPS = 60
)

// Estimate is a travel-time estimate and the evidence behind it.
type Estimate struct {
	// Seconds is the estimated driving time.
	Seconds float64 `json:"seconds"`
	// Meters is the great-circle distance the estimate starts from.
	Meters float64 `json:"meters"`
	// Model is "distance-v1", or "learned-v1:" and the level that answered: "pair-r7" (this
	// pair of resolution-7 cells), "pair-r5" (the coarser pair around it) or "type" (every trip
	// of the unit type). The resolutions follow the model's configuration.
	Model string `json:"model"`
	// Samples is the number of observed trips at the level that answered; 0 for distance-v1.
	Samples int `json:"samples"`
	// Level is the level of history that answered: LevelPair, LevelArea or LevelType; empty
	// for the distance model.
	Level string `json:"level,omitempty"`
}

// The levels of a learned estimate, finest first.
const (
	// LevelPair: trips between this pair of pair-resolution cells (neighbourhoods).
	LevelPair = "pair"
	// LevelArea: trips between the coarser fallback cells around them (districts).
	LevelArea = "area"
	// LevelType: every trip of the unit type.
	LevelType = "type"
)

// Basis says in a few words what history stands behind the estimate, for an operator reading
// why a unit was recommended: "learned from 12 trips between these neighbourhoods", or
// "distance model" when no history does.
func (e Estimate) Basis() string {
	trips := "trips"
	if e.Samples == 1 {
		trips = "trip"
	}
	switch e.Level {
	case LevelPair:
		return fmt.Sprintf("learned from %d %s between these neighbourhoods", e.Samples, trips)
	case LevelArea:
		return fmt.Sprintf("learned from %d %s between these districts", e.Samples, trips)
	case LevelType:
		return fmt.Sprintf("learned from %d %s of this unit type", e.Samples, trips)
	}
	return "distance model"
}

// Estimator estimates how long a unit of type t takes to drive from from to to. TravelModel and
// *LearnedModel implement it, so callers rank units without knowing which model is live.
type Estimator interface {
	Estimate(from, to fireline.Point, t fireline.UnitType) Estimate
}

// Estimate implements Estimator with the distance model alone.
func (m TravelModel) Estimate(from, to fireline.Point, t fireline.UnitType) Estimate {
	s, d := m.ETA(from, to, t)
	return Estimate{Seconds: s, Meters: d, Model: ModelDistanceV1}
}

// Trip is one observed drive: a unit's en-route report to its on-scene report.
type Trip struct {
	// From is where the unit was when it reported en route, To the scene (WGS-84).
	From, To fireline.Point
	Type     fireline.UnitType
	// Seconds is on-scene time minus en-route time.
	Seconds float64
}

// Validate rejects a trip that cannot be a real drive: bad positions, an unknown unit type, a
// non-positive or non-finite duration, or, over more than MinTripMeters, an implied straight-line
// speed outside MinTripSpeedMPS..MaxTripSpeedMPS.
func (t Trip) Validate() error {
	if err := t.From.Validate(); err != nil {
		return fireline.Errorf(fireline.EINVALID, "trip origin: %s", fireline.ErrorMessage(err))
	}
	if err := t.To.Validate(); err != nil {
		return fireline.Errorf(fireline.EINVALID, "trip destination: %s", fireline.ErrorMessage(err))
	}
	if !t.Type.Valid() {
		return fireline.Errorf(fireline.EINVALID, "trip unit type %q is not a known unit type", t.Type)
	}
	if !positive(t.Seconds) {
		return fireline.Errorf(fireline.EINVALID, "trip duration %v s must be a positive number", t.Seconds)
	}
	d := DistanceMeters(t.From, t.To)
	if d <= MinTripMeters {
		return nil
	}
	switch v := d / t.Seconds; {
	case v < MinTripSpeedMPS:
		return fireline.Errorf(fireline.EINVALID,
			"trip of %.0f m in %.0f s implies %.2f m/s, slower than %d m/s: a late status report, not a drive",
			d, t.Seconds, v, MinTripSpeedMPS)
	case v > MaxTripSpeedMPS:
		return fireline.Errorf(fireline.EINVALID,
			"trip of %.0f m in %.0f s implies %.1f m/s, faster than %d m/s: a GPS or clock fault",
			d, t.Seconds, v, MaxTripSpeedMPS)
	}
	return nil
}

// LearnedOption configures a LearnedModel.
type LearnedOption func(*learnedConfig)

type learnedConfig struct {
	pairRes, fallbackRes, minSamples int
	priorWeight, maxWeight           float64
}

// WithPairResolution sets the resolution of the cell pairs learned first (default 7, cells of
// about 5 km²: a neighbourhood, whose roads a handful of trips already describe).
func WithPairResolution(res int) LearnedOption {
	return func(c *learnedConfig) { c.pairRes = res }
}

// WithFallbackResolution sets the resolution of the coarser pairs used while a fine pair has too
// few trips (default 5, about 250 km²: a district). It must be coarser than the pair resolution.
func WithFallbackResolution(res int) LearnedOption {
	return func(c *learnedConfig) { c.fallbackRes = res }
}

// WithMinSamples sets how many trips a level needs before it answers (default 3): one or two
// trips are as likely a wrong turn as the road network.
func WithMinSamples(n int) LearnedOption {
	return func(c *learnedConfig) { c.minSamples = n }
}

// WithPriorWeight sets how many trips' worth of belief each level gives the level above it
// (default 3): a pair with n trips sits n/(n+w) of the way from its fallback to its own mean,
// so a few unlucky trips move an estimate only part of the way.
func WithPriorWeight(w float64) LearnedOption {
	return func(c *learnedConfig) { c.priorWeight = w }
}

// WithMemory sets how many recent trips a level's running mean weighs at most (default 200).
// Past that the mean becomes exponentially weighted, so a new bypass or a closed bridge shows
// within a few hundred trips instead of never.
func WithMemory(trips float64) LearnedOption {
	return func(c *learnedConfig) { c.maxWeight = trips }
}

// runningLog is the learned state of one level: a running mean of ln(observed / base).
// Learning the logarithm makes a trip twice as slow and one half as slow cancel, and keeps one
// slow trip (ten times the base) from dragging a mean of ratios as far as it would in linear
// space.
type runningLog struct {
	n    int     // trips observed, never capped: reported as Samples
	w    float64 // weight of mean, capped at the model's memory
	mean float64
}

func (s *runningLog) add(x, maxWeight float64) {
	s.n++
	s.w = min(s.w+1, maxWeight)
	s.mean += (x - s.mean) / s.w
}

// shrunk returns the mean pulled toward prior with the prior weight p: Bayesian shrinkage of a
// normal mean with a conjugate prior worth p trips.
func (s runningLog) shrunk(prior, p float64) float64 {
	return (s.w*s.mean + p*prior) / (s.w + p)
}

// pairKey is a directed pair of cells for one unit type. Directed, because one-way streets and
// hills make A→B and B→A different drives; per type, because the base speed of each type is a
// guess the ratio corrects, and the guesses are wrong by different amounts.
type pairKey struct {
	t        fireline.UnitType
	from, to Cell
}

// LearnedModel estimates travel times as the distance model's ETA times a ratio learned from
// observed trips, per unit type and directed pair of coarse cells. Each level shrinks toward the
// one above it (fine pair → coarse pair → unit type → the distance model's ratio of 1), so an
// estimate moves from the distance model toward observations as trips accumulate, never jumps on
// one trip, and says which level answered.
//
// It is safe for concurrent use and deterministic: the same trips observed in the same order
// give the same estimates. It keeps no history; on start the caller replays the stored trips in
// the order they were observed (Replay).
type LearnedModel struct {
	base TravelModel
	cfg  learnedConfig
	// fineName, coarseName and typeName are the Estimate.Model of each level.
	fineName, coarseName, typeName string

	mu           sync.RWMutex
	fine, coarse map[pairKey]*runningLog
	types        map[fireline.UnitType]*runningLog
	// learned, skipped and rejects feed Stats.
	learned, skipped, rejects int
}

// NewLearnedModel returns a model that knows no trips yet and so answers as base does.
func NewLearnedModel(base TravelModel, opts ...LearnedOption) (*LearnedModel, error) {
	if err := base.Validate(); err != nil {
		return nil, err
	}
	cfg := learnedConfig{pairRes: 7, fallbackRes: 5, minSamples: 3, priorWeight: 3, maxWeight: 200}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case validResolution(cfg.pairRes) != nil || validResolution(cfg.fallbackRes) != nil:
		return nil, fireline.Errorf(fireline.EINVALID, "learned model: resolutions %d and %d must be in 0..15", cfg.pairRes, cfg.fallbackRes)
	case cfg.fallbackRes >= cfg.pairRes:
		return nil, fireline.Errorf(fireline.EINVALID, "learned model: fallback resolution %d must be coarser than pair resolution %d", cfg.fallbackRes, cfg.pairRes)
	case cfg.minSamples < 1:
		return nil, fireline.Errorf(fireline.EINVALID, "learned model: minimum samples %d must be at least 1", cfg.minSamples)
	case !(cfg.priorWeight >= 0) || math.IsInf(cfg.priorWeight, 0):
		return nil, fireline.Errorf(fireline.EINVALID, "learned model: prior weight %v must be a number ≥ 0", cfg.priorWeight)
	case !(cfg.maxWeight >= 1) || math.IsInf(cfg.maxWeight, 0):
		return nil, fireline.Errorf(fireline.EINVALID, "learned model: memory %v trips must be a number ≥ 1", cfg.maxWeight)
	}
	return &LearnedModel{
		base:       base,
		cfg:        cfg,
		fineName:   fmt.Sprintf("%s:pair-r%d", ModelLearnedV1, cfg.pairRes),
		coarseName: fmt.Sprintf("%s:pair-r%d", ModelLearnedV1, cfg.fallbackRes),
		typeName:   ModelLearnedV1 + ":type",
		fine:       map[pairKey]*runningLog{},
		coarse:     map[pairKey]*runningLog{},
		types:      map[fireline.UnitType]*runningLog{},
	}, nil
}

// Name returns ModelLearnedV1; each Estimate names its level too.
func (m *LearnedModel) Name() string { return ModelLearnedV1 }

// Observe learns from one trip. A trip that fails Trip.Validate is rejected with its error (an
// EINVALID fireline.Error) and changes nothing. A valid trip of MinTripMeters or less is
// accepted but not learned from (see MinTripMeters).
func (m *LearnedModel) Observe(t Trip) error {
	if err := t.Validate(); err != nil {
		m.mu.Lock()
		m.rejects++
		m.mu.Unlock()
		return err
	}
	fine, coarse, err := m.cells(t.From, t.To)
	if err != nil {
		return err // unreachable after Validate, but never learn from a trip we cannot place
	}
	base, meters := m.base.ETA(t.From, t.To, t.Type)
	m.mu.Lock()
	defer m.mu.Unlock()
	if meters <= MinTripMeters {
		m.skipped++
		return nil
	}
	x := math.Log(t.Seconds / base)
	m.learned++
	statFor(m.types, t.Type).add(x, m.cfg.maxWeight)
	statFor(m.coarse, pairKey{t.Type, coarse[0], coarse[1]}).add(x, m.cfg.maxWeight)
	statFor(m.fine, pairKey{t.Type, fine[0], fine[1]}).add(x, m.cfg.maxWeight)
	return nil
}

// Replay observes trips in order, as on start from the stored history, and returns how many
// were rejected and the first rejection. A rejected trip is skipped, not fatal: one bad row
// must not leave the service without its learned model.
func (m *LearnedModel) Replay(trips []Trip) (rejected int, first error) {
	for _, t := range trips {
		if err := m.Observe(t); err != nil {
			if rejected == 0 {
				first = err
			}
			rejected++
		}
	}
	return rejected, first
}

// Estimate implements Estimator: the base ETA times the learned ratio of the finest level that
// has at least the minimum number of trips, or the base ETA alone while the unit type has too
// few. Positions the grid cannot place fall back to the type's ratio.
func (m *LearnedModel) Estimate(from, to fireline.Point, t fireline.UnitType) Estimate {
	base, meters := m.base.ETA(from, to, t)
	est := Estimate{Seconds: base, Meters: meters, Model: ModelDistanceV1}
	p := m.cfg.priorWeight
	m.mu.RLock()
	ts, ok := m.types[t]
	enough := ok && ts.n >= m.cfg.minSamples
	m.mu.RUnlock()
	if !enough {
		return est // no history of the type: no need to place the points on the grid
	}
	// Placing the points is most of an estimate's cost; it runs outside the lock. A type's
	// history only grows, so it still has enough trips once the lock is taken again.
	fine, coarse, cellErr := m.cells(from, to)
	m.mu.RLock()
	defer m.mu.RUnlock()
	ratio := ts.shrunk(0, p)
	est.Model, est.Samples, est.Level = m.typeName, ts.n, LevelType
	if cellErr == nil {
		if cs, ok := m.coarse[pairKey{t, coarse[0], coarse[1]}]; ok && cs.n >= m.cfg.minSamples {
			ratio = cs.shrunk(ratio, p)
			est.Model, est.Samples, est.Level = m.coarseName, cs.n, LevelArea
			if fs, ok := m.fine[pairKey{t, fine[0], fine[1]}]; ok && fs.n >= m.cfg.minSamples {
				ratio = fs.shrunk(ratio, p)
				est.Model, est.Samples, est.Level = m.fineName, fs.n, LevelPair
			}
		}
	}
	est.Seconds = base * math.Exp(ratio)
	return est
}

// LearnedStats counts what a LearnedModel has seen.
type LearnedStats struct {
	// Learned counts trips learned from, Skipped valid trips too short to learn from, Rejected
	// invalid trips.
	Learned, Skipped, Rejected int
	// FinePairs and CoarsePairs count the directed cell pairs (per unit type) with any trip.
	FinePairs, CoarsePairs int
}

// Stats returns the counts, for the start-up log after a replay.
func (m *LearnedModel) Stats() LearnedStats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return LearnedStats{
		Learned: m.learned, Skipped: m.skipped, Rejected: m.rejects,
		FinePairs: len(m.fine), CoarsePairs: len(m.coarse),
	}
}

// cells returns the directed pair at the pair resolution and at the fallback resolution.
func (m *LearnedModel) cells(from, to fireline.Point) (fine, coarse [2]Cell, err error) {
	for i, p := range [2]fireline.Point{from, to} {
		if fine[i], err = CellOf(p, m.cfg.pairRes); err != nil {
			return fine, coarse, err
		}
		// A parent is a bit shift; a second point-to-cell lookup is trigonometry.
		if coarse[i], err = fine[i].Parent(m.cfg.fallbackRes); err != nil {
			return fine, coarse, err
		}
	}
	return fine, coarse, nil
}

// statFor returns the running mean for key k, creating it; the caller holds the write lock.
func statFor[K comparable](s map[K]*runningLog, k K) *runningLog {
	r, ok := s[k]
	if !ok {
		r = &runningLog{}
		s[k] = r
	}
	return r
}
