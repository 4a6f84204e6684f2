package resources_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// fleetSource is the units' state and histories, in memory; reads counts the units read.
type fleetSource struct {
	units  map[string]fireline.Unit
	trips  []fireline.Trip
	latest map[string]fireline.Trip
	down   bool
	reads  int
}

func (s *fleetSource) Units(context.Context, fireline.UnitFilter) ([]fireline.Unit, error) {
	var out []fireline.Unit
	for _, u := range s.units {
		out = append(out, u)
	}
	return out, nil
}

func (s *fleetSource) Unit(_ context.Context, id string) (fireline.Unit, error) {
	s.reads++
	if s.down {
		return fireline.Unit{}, fireline.Errorf(fireline.EUNAVAILABLE, "database down")
	}
	u, ok := s.units[id]
	if !ok {
		return fireline.Unit{}, fireline.Errorf(fireline.ENOTFOUND, "unit %s does not exist", id)
	}
	return u, nil
}

func (s *fleetSource) Trips(context.Context) ([]fireline.Trip, error) { return s.trips, nil }

func (s *fleetSource) LatestTrip(_ context.Context, id string) (fireline.Trip, bool, error) {
	t, ok := s.latest[id]
	return t, ok, nil
}

// TestFleetFollowsTheChangeFeed: the index and the travel-time model start from the database
// and then follow each unit's notices: a dispatched unit leaves the index, a cleared one comes
// back and teaches the model its drive, a unit gone from the database leaves for good, and a
// database that cannot answer changes nothing.
func TestFleetFollowsTheChangeFeed(t *testing.T) {
	ctx := context.Background()
	scene := offsetKm(centre, 2, 1)
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	trip := func(id int64) fireline.Trip {
		start := t0.Add(time.Duration(id) * time.Hour)
		return fireline.Trip{ID: id, UnitID: "E1", UnitType: fireline.UnitEngine, IncidentID: 7,
			From: centre, To: scene, EnRouteAt: start, OnSceneAt: start.Add(5 * time.Minute)}
	}
	src := &fleetSource{
		units: map[string]fireline.Unit{
			"E1": unit("E1", fireline.UnitEngine, centre),
			"E2": unit("E2", fireline.UnitEngine, offsetKm(centre, -1, 0)),
		},
		trips:  []fireline.Trip{trip(1)},
		latest: map[string]fireline.Trip{},
	}
	m, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	must(t, err)
	index, learner := resources.NewIndex(), resources.NewLearner(m)
	fleet := resources.NewFleet(index, learner, src, slog.New(slog.DiscardHandler))
	must(t, fleet.Load(ctx))
	if index.Len() != 2 || learner.Stats().Trips != 1 {
		t.Fatalf("loaded %d units and %d trips, want 2 and 1", index.Len(), learner.Stats().Trips)
	}

	e1 := src.units["E1"]
	e1.Status, e1.IncidentID = fireline.UnitDispatched, 7
	src.units["E1"] = e1
	fleet.Follow(ctx, fireline.Change{Kind: "unit", ID: "E1", IncidentID: 7})
	if index.Len() != 1 || learner.Stats().Trips != 1 {
		t.Fatalf("E1 dispatched: %d units searchable, %d trips; want 1 and 1", index.Len(), learner.Stats().Trips)
	}

	e1.Status, e1.IncidentID = fireline.UnitAvailable, 0
	src.units["E1"], src.latest["E1"] = e1, trip(2)
	fleet.Follow(ctx, fireline.Change{Kind: "unit", ID: "E1", IncidentID: 7})
	if index.Len() != 2 || learner.Stats().Trips != 2 {
		t.Fatalf("E1 cleared: %d units searchable, %d trips; want 2 and 2", index.Len(), learner.Stats().Trips)
	}

	delete(src.units, "E2")
	fleet.Follow(ctx, fireline.Change{Kind: "unit", ID: "E2"})
	if index.Len() != 1 {
		t.Fatalf("E2 gone: %d units searchable, want 1", index.Len())
	}

	src.down = true
	fleet.Follow(ctx, fireline.Change{Kind: "unit", ID: "E1"})
	if index.Len() != 1 {
		t.Fatalf("database down: %d units searchable, want E1 still", index.Len())
	}

	reads := src.reads
	fleet.Follow(ctx, fireline.Change{Kind: "incident", ID: "7", IncidentID: 7})
	if src.reads != reads {
		t.Errorf("an incident's notice read a unit")
	}
}
