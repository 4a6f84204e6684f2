package resources_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// The coverage tests' small county: three stations 9 km apart, each reaching about 2 km of
// engine travel within 240 s, so the area between them is a gap however the units stand.
var (
	stationA = fireline.Station{ID: "A", Name: "A", Point: fireline.Point{Lat: 36.4500, Lng: 115.9800}}
	stationB = fireline.Station{ID: "B", Name: "B", Point: offsetKm(stationA.Point, 0, 9)}
	stationC = fireline.Station{ID: "C", Name: "C", Point: offsetKm(stationA.Point, 9, 0)}
)

// offsetKm returns the point north and east kilometres from p.
func offsetKm(p fireline.Point, north, east float64) fireline.Point {
	const kmPerDegree = geo.EarthRadiusMeters * math.Pi / 180 / 1000
	return fireline.Point{Lat: p.Lat + north/kmPerDegree, Lng: p.Lng + east/(kmPerDegree*math.Cos(p.Lat*math.Pi/180))}
}

func engineAt(id string, s fireline.Station) fireline.Unit {
	u := unit(id, fireline.UnitEngine, s.Point)
	u.StationID = s.ID
	return u
}

func newGrid(t *testing.T, cfg resources.GridConfig) *resources.Grid {
	t.Helper()
	if cfg.RadiusMeters == 0 {
		cfg.RadiusMeters = 8000
	}
	g, err := resources.NewGrid([]fireline.Station{stationC, stationA, stationB}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// bruteCoverage is the coverage of each cell by definition: the fastest of every available unit
// of the type, timed to the cell's centre.
func bruteCoverage(units []fireline.Unit, cells []resources.CoverageCell, target float64) (gaps int, seconds []float64) {
	m := geo.DefaultTravelModel()
	for _, c := range cells {
		best := math.Inf(1)
		for _, u := range units {
			if u.Type == fireline.UnitEngine && u.Status == fireline.UnitAvailable {
				best = min(best, m.Estimate(u.Point, c.Center, u.Type).Seconds)
			}
		}
		if best > target {
			gaps++
		}
		seconds = append(seconds, best)
	}
	return gaps, seconds
}

func TestCoverage(t *testing.T) {
	units := []fireline.Unit{
		engineAt("EA1", stationA), engineAt("EA2", stationA), engineAt("EB1", stationB), engineAt("EC1", stationC),
		unit("L1", fireline.UnitLadder, stationC.Point), // another type: no engine coverage
	}
	x := newIndex(t, units)
	g := newGrid(t, resources.GridConfig{})
	cov, err := g.Coverage(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(cov.Cells) != g.Len() || g.Len() < 50 {
		t.Fatalf("%d cells of %d; want a service area of dozens of resolution-7 cells", len(cov.Cells), g.Len())
	}
	if !slices.IsSortedFunc(cov.Cells, func(a, b resources.CoverageCell) int { return strings.Compare(a.Cell, b.Cell) }) {
		t.Error("cells are not sorted")
	}
	gaps, seconds := bruteCoverage(units, cov.Cells, 240)
	for i, c := range cov.Cells {
		if math.Abs(c.Seconds-seconds[i]) > 1e-9 || c.Gap != (seconds[i] > 240) {
			t.Errorf("cell %s: %v s (gap %v), want %v s", c.Cell, c.Seconds, c.Gap, seconds[i])
		}
		if c.Model != geo.ModelDistanceV1 || c.Weight != 1 {
			t.Errorf("cell %s: model %q weight %v", c.Cell, c.Model, c.Weight)
		}
	}
	if cov.GapCells != gaps || cov.GapCells == 0 || cov.GapCells == len(cov.Cells) {
		t.Errorf("%d gap cells, want %d: some but not all", cov.GapCells, gaps)
	}
	if want := 1 - float64(gaps)/float64(len(cov.Cells)); math.Abs(cov.CoveredShare-want) > 1e-12 || cov.Weight != float64(len(cov.Cells)) {
		t.Errorf("covered share %v of weight %v, want %v of %d", cov.CoveredShare, cov.Weight, want, len(cov.Cells))
	}

	// Station C's only engine goes out on a call: its cells become gaps.
	busy := units[3]
	busy.Status, busy.IncidentID = fireline.UnitDispatched, 7
	if err := x.Upsert(busy); err != nil {
		t.Fatal(err)
	}
	after, err := g.Coverage(x)
	if err != nil {
		t.Fatal(err)
	}
	units[3] = busy
	if gaps, _ := bruteCoverage(units, after.Cells, 240); after.GapCells != gaps || after.GapCells <= cov.GapCells {
		t.Errorf("with C's engine busy: %d gap cells, want %d, more than %d", after.GapCells, gaps, cov.GapCells)
	}
	if after.CoveredShare >= cov.CoveredShare {
		t.Errorf("covered share %v did not drop from %v", after.CoveredShare, cov.CoveredShare)
	}
}

func TestCoverageWeights(t *testing.T) {
	// Weigh only the cells north of the middle of A and C, as if everyone lived near C.
	mid := (stationA.Point.Lat + stationC.Point.Lat) / 2
	g := newGrid(t, resources.GridConfig{Weight: func(_ geo.Cell, p fireline.Point) float64 {
		if p.Lat > mid {
			return 100
		}
		return 0
	}})
	x := newIndex(t, []fireline.Unit{engineAt("EA1", stationA), engineAt("EB1", stationB)})
	cov, err := g.Coverage(x)
	if err != nil {
		t.Fatal(err)
	}
	var w, gw float64
	for _, c := range cov.Cells {
		w += c.Weight
		if c.Gap {
			gw += c.Weight
		}
	}
	if cov.Weight != w || cov.GapWeight != gw || w == 0 {
		t.Errorf("weight %v gap weight %v, want %v and %v", cov.Weight, cov.GapWeight, w, gw)
	}
	if cov.CoveredShare > 0.2 {
		t.Errorf("covered share %v: with no engine near C, the weighted area is mostly a gap", cov.CoveredShare)
	}
}

func TestNewGridValidates(t *testing.T) {
	ok := []fireline.Station{stationA}
	tests := []struct {
		name     string
		stations []fireline.Station
		cfg      resources.GridConfig
	}{
		{"no stations", nil, resources.GridConfig{}},
		{"radius too large", ok, resources.GridConfig{RadiusMeters: 1e6}},
		{"negative radius", ok, resources.GridConfig{RadiusMeters: -1}},
		{"NaN target", ok, resources.GridConfig{TargetSeconds: math.NaN()}},
		{"unknown unit type", ok, resources.GridConfig{UnitType: "fireboat"}},
		{"too many candidates", ok, resources.GridConfig{Candidates: resources.MaxNearest + 1}},
		{"station twice", []fireline.Station{stationA, stationA}, resources.GridConfig{}},
		{"station without position", []fireline.Station{{ID: "X"}}, resources.GridConfig{}},
		{"negative weight", ok, resources.GridConfig{Weight: func(geo.Cell, fireline.Point) float64 { return -1 }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resources.NewGrid(tt.stations, tt.cfg)
			if code := fireline.ErrorCode(err); code != fireline.EINVALID {
				t.Errorf("error %v (code %q), want EINVALID", err, code)
			}
		})
	}
}

// TestMoveUps: station C's only engine goes out. The move-up sends A's second engine to C (A
// keeps one; taking B's only engine would open as much as it closes), and its promise holds:
// once the engine stands at C, coverage is what the suggestion said it would be.
func TestMoveUps(t *testing.T) {
	units := []fireline.Unit{engineAt("EA1", stationA), engineAt("EA2", stationA), engineAt("EB1", stationB), engineAt("EC1", stationC)}
	x := newIndex(t, units)
	g := newGrid(t, resources.GridConfig{})

	none, err := g.MoveUps(x, resources.MoveUpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(none) != 0 {
		t.Fatalf("every station staffed, yet move-ups %+v", none)
	}

	busy := units[3]
	busy.Status, busy.IncidentID = fireline.UnitDispatched, 7
	must(t, x.Upsert(busy))
	before, err := g.Coverage(x)
	must(t, err)
	got, err := g.MoveUps(x, resources.MoveUpOptions{})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("move-ups %+v, want exactly one: only C is empty", got)
	}
	m := got[0]
	if m.UnitID != "EA1" || m.FromStationID != "A" || m.ToStationID != "C" || m.Type != fireline.UnitEngine {
		t.Errorf("move-up %+v, want EA1 (A's engine, first by id of two equal ones) from A to C", m)
	}
	if want := geo.DefaultTravelModel().Estimate(stationA.Point, stationC.Point, fireline.UnitEngine).Seconds; math.Abs(m.TravelSeconds-want) > 1e-9 {
		t.Errorf("travel %v s, want %v", m.TravelSeconds, want)
	}
	if m.GapCellsBefore != before.GapCells || m.GapWeightBefore != before.GapWeight || m.GapCellsAfter >= m.GapCellsBefore {
		t.Errorf("gaps %d → %d (weight %v → %v), want from the current %d, fewer after", m.GapCellsBefore, m.GapCellsAfter,
			m.GapWeightBefore, m.GapWeightAfter, before.GapCells)
	}
	if !strings.HasPrefix(m.Reason, "station C has no engine: EA1 from A (") {
		t.Errorf("reason %q", m.Reason)
	}

	t.Logf("move-up %+v (of %d cells)", m, g.Len())

	// The same move chosen by an operator has the same figures.
	chosen, err := g.EvaluateMoveUp(x, "EA1", "C")
	must(t, err)
	want := m
	want.Reason = strings.TrimPrefix(m.Reason, "station C has no engine: ")
	if chosen != want {
		t.Errorf("evaluated %+v, want the suggestion's %+v", chosen, want)
	}
	// Moving B's only engine to C closes C's gaps but opens B's.
	robbed, err := g.EvaluateMoveUp(x, "EB1", "C")
	must(t, err)
	if robbed.GapCellsAfter != robbed.GapCellsBefore || !strings.Contains(robbed.Reason, "changes no gap cell") {
		t.Errorf("EB1 to C: %+v, want as many gaps opened as closed", robbed)
	}
	ladder := unit("L1", fireline.UnitLadder, stationA.Point)
	must(t, x.Upsert(ladder))
	if lm, err := g.EvaluateMoveUp(x, "L1", "C"); err != nil || lm.GapCellsAfter != lm.GapCellsBefore || lm.GapWeightAfter != lm.GapWeightBefore {
		t.Errorf("a ladder moves no engine coverage: %+v, %v", lm, err)
	}
	_, err = g.EvaluateMoveUp(x, "EA1", "Z")
	wantErrCode(t, err, fireline.ENOTFOUND)
	_, err = g.EvaluateMoveUp(x, "EC1", "C") // out on a call
	wantErrCode(t, err, fireline.ECONFLICT)

	// Carry it out: EA1 stands by at C.
	moved := units[0]
	moved.Point, moved.PostStationID = stationC.Point, "C"
	must(t, x.Upsert(moved))
	after, err := g.Coverage(x)
	must(t, err)
	if after.GapCells != m.GapCellsAfter || math.Abs(after.GapWeight-m.GapWeightAfter) > 1e-9 {
		t.Errorf("after the move: %d gap cells (weight %v), the suggestion promised %d (%v)", after.GapCells, after.GapWeight,
			m.GapCellsAfter, m.GapWeightAfter)
	}
	if again, err := g.MoveUps(x, resources.MoveUpOptions{}); err != nil || len(again) != 0 {
		t.Errorf("with C covered again: move-ups %+v, %v; want none", again, err)
	}
}

func TestMoveUpsSkipAndChain(t *testing.T) {
	// B and C are both empty; A has three engines.
	units := []fireline.Unit{engineAt("EA1", stationA), engineAt("EA2", stationA), engineAt("EA3", stationA)}
	x := newIndex(t, units)
	g := newGrid(t, resources.GridConfig{})
	got, err := g.MoveUps(x, resources.MoveUpOptions{})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("move-ups %+v, want one to each empty station", got)
	}
	stations := []string{got[0].ToStationID, got[1].ToStationID}
	slices.Sort(stations)
	if !slices.Equal(stations, []string{"B", "C"}) || got[0].UnitID == got[1].UnitID {
		t.Errorf("move-ups %+v, want two different units to B and C", got)
	}
	// Each suggestion starts where the one before it left off.
	if got[1].GapCellsBefore != got[0].GapCellsAfter || got[1].GapWeightBefore != got[0].GapWeightAfter {
		t.Errorf("second suggestion starts at %d gap cells, the first ended at %d", got[1].GapCellsBefore, got[0].GapCellsAfter)
	}
	if one, err := g.MoveUps(x, resources.MoveUpOptions{Max: 1}); err != nil || len(one) != 1 || one[0] != got[0] {
		t.Errorf("Max 1: %+v, %v; want the first suggestion alone", one, err)
	}

	// The operator ignored EA1 → anywhere: another engine goes instead.
	skipped, err := g.MoveUps(x, resources.MoveUpOptions{Skip: func(unit, _ string) bool { return unit == "EA1" }})
	must(t, err)
	for _, m := range skipped {
		if m.UnitID == "EA1" {
			t.Errorf("ignored unit suggested again: %+v", m)
		}
	}
	if len(skipped) != 2 {
		t.Errorf("with EA1 ignored: %+v, want two moves of the other engines", skipped)
	}

	// A lone engine at A is never moved: it would open as much as it closes.
	y := newIndex(t, []fireline.Unit{engineAt("EA1", stationA)})
	if lone, err := g.MoveUps(y, resources.MoveUpOptions{}); err != nil || len(lone) != 0 {
		t.Errorf("lone engine: move-ups %+v, %v; want none", lone, err)
	}
	if _, err := g.MoveUps(x, resources.MoveUpOptions{Max: -1}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("Max -1: error %v, want EINVALID", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCellWeight: over a service area that holds it, a population area's people add up to about
// its total, and a key premises adds its weight to its own cell alone.
func TestCellWeight(t *testing.T) {
	town := fireline.PopulationArea{Name: "town", Point: stationA.Point, People: 50_000, RadiusMeters: 2000}
	premise := fireline.Premise{ID: "P1", Point: offsetKm(stationA.Point, 1, 1)}
	weight, err := resources.CellWeight([]fireline.PopulationArea{town}, []fireline.Premise{premise}, resources.DefaultPremiseWeight)
	must(t, err)
	g := newGrid(t, resources.GridConfig{Weight: weight})
	cov, err := g.Coverage(newIndex(t, nil))
	must(t, err)
	if math.Abs(cov.Weight-(50_000+resources.DefaultPremiseWeight))/50_000 > 0.02 {
		t.Errorf("total weight %.0f, want about the town's 50000 people and one premises", cov.Weight)
	}
	pc, err := geo.CellOf(premise.Point, resources.CoverageResolution)
	must(t, err)
	without, err := resources.CellWeight([]fireline.PopulationArea{town}, nil, 0)
	must(t, err)
	for _, c := range cov.Cells {
		cell, err := geo.ParseCell(c.Cell)
		must(t, err)
		extra := c.Weight - without(cell, c.Center)
		if want := map[bool]float64{true: resources.DefaultPremiseWeight}[cell == pc]; math.Abs(extra-want) > 1e-6 {
			t.Errorf("cell %s: premises add %v, want %v", c.Cell, extra, want)
		}
	}
	if cov.GapCells != len(cov.Cells) || cov.CoveredShare != 0 {
		t.Errorf("no units: %d of %d cells gaps, covered share %v", cov.GapCells, len(cov.Cells), cov.CoveredShare)
	}

	flat, err := resources.CellWeight(nil, nil, 0)
	must(t, err)
	if w := flat(pc, premise.Point); w != 1 {
		t.Errorf("without population areas a cell weighs %v, want 1", w)
	}
	for _, bad := range []fireline.PopulationArea{{Name: "x", Point: town.Point, People: -1, RadiusMeters: 1}, {Name: "y", Point: town.Point, People: 1}, {Name: "z", People: 1, RadiusMeters: 1}} {
		if _, err := resources.CellWeight([]fireline.PopulationArea{bad}, nil, 0); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("area %+v: error %v, want EINVALID", bad, err)
		}
	}
	if _, err := resources.CellWeight(nil, nil, math.NaN()); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("NaN premise weight: error %v, want EINVALID", err)
	}
}

func wantErrCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := fireline.ErrorCode(err); got != code {
		t.Errorf("error %v (code %q), want code %q", err, got, code)
	}
}

// TestGridArea: the warnings' area is exactly the coverage grid's cells.
func TestGridArea(t *testing.T) {
	g := newGrid(t, resources.GridConfig{})
	a, err := g.Area()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := g.Area()
	if a != again || a.Len() != g.Len() || a.Resolution() != resources.CoverageResolution {
		t.Fatalf("area of %d cells at resolution %d, grid of %d", a.Len(), a.Resolution(), g.Len())
	}
	cov, err := g.Coverage(resources.NewIndex())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cov.Cells {
		cell, err := geo.ParseCell(c.Cell)
		if err != nil || !a.Contains(cell) {
			t.Fatalf("coverage cell %s not in the area (%v)", c.Cell, err)
		}
	}
}
