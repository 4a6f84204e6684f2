package resources

import (
	"sync"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// Learner feeds trips from the units' histories to a learned travel-time model, each trip once:
// on start the whole history is replayed, then each trip as its unit clears, and a change feed
// that reconnects delivers some trips again.
type Learner struct {
	model *geo.LearnedModel

	mu   sync.Mutex
	seen map[int64]bool // trip ids: a few thousand a year
}

// NewLearner returns a Learner that trains m.
func NewLearner(m *geo.LearnedModel) *Learner {
	return &Learner{model: m, seen: map[int64]bool{}}
}

// Learn observes the trips not seen before, in order, and returns how many were new and how many
// of those the model rejected (a GPS or clock fault, a status pressed late), with the first
// rejection. A rejected trip is skipped: one bad record must not stop the rest.
func (l *Learner) Learn(trips ...fireline.Trip) (fresh, rejected int, first error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range trips {
		if l.seen[t.ID] {
			continue
		}
		l.seen[t.ID] = true
		fresh++
		err := l.model.Observe(geo.Trip{From: t.From, To: t.To, Type: t.UnitType, Seconds: t.Seconds()})
		if err != nil {
			if rejected == 0 {
				first = err
			}
			rejected++
		}
	}
	return fresh, rejected, first
}

// LearnerStats is what the learned model has seen, for the API and the start-up log.
type LearnerStats struct {
	// Model names the model: geo.ModelLearnedV1.
	Model string `json:"model"`
	// Trips counts the trips given to the model; Learned, TooShort and Rejected split them
	// (geo.LearnedStats).
	Trips    int `json:"trips"`
	Learned  int `json:"learned"`
	TooShort int `json:"too_short"`
	Rejected int `json:"rejected"`
	// FinePairs and CoarsePairs count the directed cell pairs (per unit type) with any trip.
	FinePairs   int `json:"fine_pairs"`
	CoarsePairs int `json:"coarse_pairs"`
}

// Stats returns what the model has seen.
func (l *Learner) Stats() LearnerStats {
	l.mu.Lock()
	trips := len(l.seen)
	l.mu.Unlock()
	s := l.model.Stats()
	return LearnerStats{Model: l.model.Name(), Trips: trips, Learned: s.Learned, TooShort: s.Skipped, Rejected: s.Rejected,
		FinePairs: s.FinePairs, CoarsePairs: s.CoarsePairs}
}
