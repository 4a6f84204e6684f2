package resources

import (
	"context"
	"log/slog"
	"time"

	"github.com/fireline/fireline"
)

// FleetSource is what a Fleet reads of the units: their state and the trips of their
// histories. PostgreSQL implements it.
type FleetSource interface {
	Units(ctx context.Context, f fireline.UnitFilter) ([]fireline.Unit, error)
	// Unit returns one unit; ENOTFOUND once it is gone.
	Unit(ctx context.Context, id string) (fireline.Unit, error)
	// Trips returns every drive in the units' histories; LatestTrip the unit's latest, false
	// when it has made none.
	Trips(ctx context.Context) ([]fireline.Trip, error)
	LatestTrip(ctx context.Context, unitID string) (fireline.Trip, bool, error)
}

// Fleet keeps this process's picture of the units current: the index the recommender and the
// coverage map search, and the learned travel-time model their ETAs come from. It loads both
// on start, then follows the change feed, so every process sees every other's status changes;
// reservation itself stays a PostgreSQL transaction.
type Fleet struct {
	index   *Index
	learner *Learner
	src     FleetSource
	log     *slog.Logger
}

// NewFleet returns a fleet that keeps index and the learner's model current from src.
func NewFleet(index *Index, learner *Learner, src FleetSource, log *slog.Logger) *Fleet {
	return &Fleet{index: index, learner: learner, src: src, log: log.With("component", "fleet")}
}

// Load fills the index with every unit and trains the travel-time model on every trip in the
// units' histories, the model starting from whatever it was built on.
func (f *Fleet) Load(ctx context.Context) error {
	units, err := f.src.Units(ctx, fireline.UnitFilter{})
	if err != nil {
		return err
	}
	if err := f.index.Replace(units); err != nil {
		return err
	}
	start := time.Now()
	trips, err := f.src.Trips(ctx)
	if err != nil {
		return err
	}
	_, rejected, firstRejection := f.learner.Learn(trips...)
	st := f.learner.Stats()
	f.log.Info("travel-time model trained from unit histories", "trips", len(trips), "learned", st.Learned,
		"too_short", st.TooShort, "rejected", rejected, "pairs", st.FinePairs, "duration_ms", time.Since(start).Milliseconds())
	if firstRejection != nil {
		f.log.Warn("trips rejected by the travel-time model", "count", rejected, "first", firstRejection)
	}
	return nil
}

// Follow takes a notice from the change feed. A unit that changed is read again: a new one
// enters the index, a retired one (out of service for good) leaves it, and one that just
// cleared its incident teaches the travel-time model the drive it made there.
func (f *Fleet) Follow(ctx context.Context, c fireline.Change) {
	if c.Kind != "unit" {
		return
	}
	switch u, err := f.src.Unit(ctx, c.ID); {
	case err == nil:
		if err := f.index.Upsert(u); err != nil {
			f.log.Warn("unit index update", "unit", c.ID, "error", err)
		}
		if c.IncidentID != 0 && u.IncidentID == 0 {
			f.learnTrip(ctx, u.ID)
		}
	case fireline.ErrorCode(err) == fireline.ENOTFOUND:
		f.index.Remove(c.ID)
	case ctx.Err() == nil:
		f.log.Warn("unit index update", "unit", c.ID, "error", err)
	}
}

// learnTrip teaches the travel-time model the drive of the unit's assignment that just cleared,
// if it made one (en route, then on scene).
func (f *Fleet) learnTrip(ctx context.Context, unitID string) {
	trip, ok, err := f.src.LatestTrip(ctx, unitID)
	if err != nil {
		f.log.Warn("travel-time model: read trip", "unit", unitID, "error", err)
		return
	}
	if !ok {
		return
	}
	if fresh, _, err := f.learner.Learn(trip); err != nil {
		f.log.Info("travel-time model rejected a trip", "unit", unitID, "incident", trip.IncidentID, "reason", err)
	} else if fresh > 0 {
		f.log.Debug("travel-time model learned a trip", "unit", unitID, "incident", trip.IncidentID, "seconds", trip.Seconds())
	}
}
