package resources_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// coverSource is an in-memory CoverSource.
type coverSource struct {
	mu        sync.Mutex
	stations  []fireline.Station
	areas     []fireline.PopulationArea
	decisions []fireline.MoveUp
	ready     []fireline.WarningCell
}

func (s *coverSource) Readiness(_ context.Context, at time.Time) ([]fireline.WarningCell, error) {
	var out []fireline.WarningCell
	for _, c := range s.ready {
		if c.Expires.After(at) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *coverSource) Stations(context.Context, fireline.RefFilter) ([]fireline.Station, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stations), nil
}

func (s *coverSource) PopulationAreas(context.Context) ([]fireline.PopulationArea, error) {
	return s.areas, nil
}

func (s *coverSource) Premises(context.Context, fireline.RefFilter) ([]fireline.Premise, error) {
	return nil, nil
}

func (s *coverSource) MoveUps(_ context.Context, since time.Time, limit int) ([]fireline.MoveUp, error) {
	var out []fireline.MoveUp
	for _, m := range s.decisions {
		if !m.At.Before(since) && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func TestCover(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	src := &coverSource{
		stations: []fireline.Station{stationA, stationB, stationC},
		areas:    []fireline.PopulationArea{{Name: "C town", Point: stationC.Point, People: 40_000, RadiusMeters: 1500}},
	}
	x := newIndex(t, []fireline.Unit{engineAt("EA1", stationA), engineAt("EA2", stationA), engineAt("EB1", stationB)})
	c := resources.NewCover(x, src, resources.CoverConfig{Grid: resources.GridConfig{RadiusMeters: 8000}, Now: func() time.Time { return now }})

	cov, err := c.Coverage(ctx)
	must(t, err)
	if cov.Weight < 39_000 || cov.GapWeight < 0.9*cov.Weight {
		t.Errorf("coverage weight %.0f, gaps %.0f: C's town is weighed by its people and uncovered", cov.Weight, cov.GapWeight)
	}
	shapes, err := c.Shapes(ctx)
	must(t, err)
	if len(shapes) != len(cov.Cells) || shapes[0].Cell != cov.Cells[0].Cell || len(shapes[0].Boundary) != 6 {
		t.Errorf("%d shapes for %d cells, first %+v", len(shapes), len(cov.Cells), shapes[0])
	}

	ups, err := c.MoveUps(ctx)
	must(t, err)
	if len(ups) != 1 || ups[0].UnitID != "EA1" || ups[0].ToStationID != "C" || ups[0].GapWeightAfter >= ups[0].GapWeightBefore {
		t.Fatalf("move-ups %+v, want EA1 to C, closing most of the town's gap", ups)
	}

	// Ignored ten minutes ago: EA2 is suggested instead; after half an hour EA1 is back.
	at := now.Add(-10 * time.Minute)
	src.decisions = append(src.decisions, fireline.MoveUp{UnitID: "EA1", ToStationID: "C", Decision: fireline.MoveUpIgnored, At: &at})
	ups, err = c.MoveUps(ctx)
	must(t, err)
	if len(ups) != 1 || ups[0].UnitID != "EA2" {
		t.Errorf("with EA1 → C ignored: %+v, want EA2 instead", ups)
	}
	now = now.Add(25 * time.Minute)
	ups, err = c.MoveUps(ctx)
	must(t, err)
	if len(ups) != 1 || ups[0].UnitID != "EA1" {
		t.Errorf("35 minutes after ignoring: %+v, want EA1 suggested again", ups)
	}

	// A station added to the source counts once the grid is redrawn, within a minute.
	src.mu.Lock()
	src.stations = append(src.stations, fireline.Station{ID: "D", Point: offsetKm(stationA.Point, -9, 0)})
	src.mu.Unlock()
	g, err := c.Grid(ctx)
	must(t, err)
	before := g.Len()
	now = now.Add(2 * time.Minute)
	g, err = c.Grid(ctx)
	must(t, err)
	if g.Len() <= before {
		t.Errorf("grid of %d cells after a new station, was %d: not redrawn", g.Len(), before)
	}
	if m, err := c.EvaluateMoveUp(ctx, "EB1", "D"); err != nil || m.ToStationID != "D" || m.FromStationID != "B" {
		t.Errorf("EB1 to the new station: %+v, %v", m, err)
	}

	// A severe warning over C's cells: they weigh twice as much until it expires.
	calm, err := c.Coverage(ctx)
	must(t, err)
	cell := calm.Cells[len(calm.Cells)/2]
	src.ready = []fireline.WarningCell{{Cell: cell.Cell, Readiness: fireline.ReadinessHigh, Expires: now.Add(time.Hour)}}
	now = now.Add(2 * time.Minute)
	warned, err := c.Coverage(ctx)
	must(t, err)
	i := slices.IndexFunc(warned.Cells, func(x resources.CoverageCell) bool { return x.Cell == cell.Cell })
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }
	if i < 0 || !near(warned.Cells[i].Weight, 2*cell.Weight) || !near(warned.Weight-calm.Weight, cell.Weight) {
		t.Errorf("warned cell weighs %v (total %v), calm %v (total %v): want double", warned.Cells[i].Weight, warned.Weight, cell.Weight, calm.Weight)
	}
	now = now.Add(2 * time.Hour)
	after, err := c.Coverage(ctx)
	must(t, err)
	if !near(after.Weight, calm.Weight) {
		t.Errorf("after the warning expired the total weight is %v, want %v again", after.Weight, calm.Weight)
	}
}
