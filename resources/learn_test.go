package resources_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// TestLearnerReplaysSimulatedTrips is the learned model's promise seen from the unit histories'
// side: replaying recorded en-route → on-scene trips moves the estimate toward what was
// observed, each trip counts once however often the change feed delivers it, and faulty
// records are skipped, not fatal.
func TestLearnerReplaysSimulatedTrips(t *testing.T) {
	m, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	must(t, err)
	l := resources.NewLearner(m)
	from, scene := stationA.Point, offsetKm(stationA.Point, 2, 3)
	base := geo.DefaultTravelModel().Estimate(from, scene, fireline.UnitEngine).Seconds
	// The roads here are slow: every drive takes 1.8 times the distance model's guess, give or
	// take 10%.
	truth := 1.8 * base
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	var trips []fireline.Trip
	for i := range 30 {
		start := t0.Add(time.Duration(i) * time.Hour)
		secs := truth * (0.9 + 0.2*rng.Float64())
		trips = append(trips, fireline.Trip{
			ID: int64(i + 1), UnitID: "EA1", UnitType: fireline.UnitEngine, IncidentID: int64(100 + i),
			From: from, To: scene, EnRouteAt: start, OnSceneAt: start.Add(time.Duration(secs * float64(time.Second))),
		})
	}
	faulty := fireline.Trip{ID: 99, UnitType: fireline.UnitEngine, From: from, To: scene, EnRouteAt: t0, OnSceneAt: t0.Add(time.Second)}

	errAt := func() float64 { return math.Abs(m.Estimate(from, scene, fireline.UnitEngine).Seconds-truth) / truth }
	initial := errAt()
	fresh, rejected, first := l.Learn(trips[:5]...)
	if fresh != 5 || rejected != 0 || first != nil {
		t.Fatalf("first five: %d fresh, %d rejected (%v)", fresh, rejected, first)
	}
	afterFive := errAt()
	fresh, rejected, first = l.Learn(append(trips, faulty)...) // the first five again: a feed replay
	if fresh != 26 || rejected != 1 || fireline.ErrorCode(first) != fireline.EINVALID {
		t.Fatalf("all: %d fresh, %d rejected (%v); want 26 and the faulty one", fresh, rejected, first)
	}
	final := errAt()
	t.Logf("error against the observed drive time: %.0f%% before, %.0f%% after 5 trips, %.0f%% after 30", 100*initial, 100*afterFive, 100*final)
	if !(initial > 0.4 && afterFive < initial && final < afterFive && final < 0.05) {
		t.Errorf("error %.3f → %.3f → %.3f: the estimate did not move toward the observations", initial, afterFive, final)
	}
	if s := l.Stats(); s.Trips != 31 || s.Learned != 30 || s.Rejected != 1 || s.TooShort != 0 || s.FinePairs != 1 || s.Model != "learned-v1" {
		t.Errorf("model saw %+v, want 31 trips: 30 learned (each once) and 1 rejected", s)
	}
	if e := m.Estimate(from, scene, fireline.UnitEngine); e.Level != geo.LevelPair || e.Samples != 30 {
		t.Errorf("estimate %+v, want the pair level from 30 trips", e)
	}
}
