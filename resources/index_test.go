package resources_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// The sample city's box: Liaocheng and its counties.
const (
	minLat, maxLat = 36.2, 37.0
	minLng, maxLng = 115.4, 116.6
)

var centre = fireline.Point{Lat: 36.4560, Lng: 115.9850}

func randomPoint(rng *rand.Rand) fireline.Point {
	return fireline.Point{Lat: minLat + (maxLat-minLat)*rng.Float64(), Lng: minLng + (maxLng-minLng)*rng.Float64()}
}

func unit(id string, t fireline.UnitType, p fireline.Point) fireline.Unit {
	return fireline.Unit{ID: id, Name: id, Type: t, Status: fireline.UnitAvailable, StationID: "s-" + id, Point: p}
}

// randomUnits returns n available units of random types in the city box; a fifth of them sit
// exactly on a cell centre or a cell vertex, where rounding would show.
func randomUnits(t testing.TB, rng *rand.Rand, n int) []fireline.Unit {
	t.Helper()
	units := make([]fireline.Unit, n)
	for i := range units {
		p := randomPoint(rng)
		switch rng.IntN(10) {
		case 0:
			p = cellCentre(t, p)
		case 1:
			p = cellVertex(t, p, rng.IntN(6))
		}
		units[i] = unit(fmt.Sprintf("u%06d", i), fireline.UnitTypes[rng.IntN(len(fireline.UnitTypes))], p)
	}
	return units
}

func cellCentre(t testing.TB, p fireline.Point) fireline.Point {
	t.Helper()
	c, err := geo.CellOf(p, geo.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := c.Center()
	if err != nil {
		t.Fatal(err)
	}
	return ctr
}

func cellVertex(t testing.TB, p fireline.Point, i int) fireline.Point {
	t.Helper()
	c, err := geo.CellOf(p, geo.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Boundary()
	if err != nil {
		t.Fatal(err)
	}
	return b[i%len(b)]
}

// bruteForce is the reference answer: every accepted available unit, sorted by distance then id.
func bruteForce(units []fireline.Unit, p fireline.Point, k int, accept func(fireline.Unit) bool) []resources.Candidate {
	var all []resources.Candidate
	for _, u := range units {
		if u.Status == fireline.UnitAvailable && u.IncidentID == 0 && (accept == nil || accept(u)) {
			all = append(all, resources.Candidate{Unit: u, DistanceMeters: geo.DistanceMeters(p, u.Point)})
		}
	}
	slices.SortFunc(all, func(a, b resources.Candidate) int {
		if c := cmp.Compare(a.DistanceMeters, b.DistanceMeters); c != 0 {
			return c
		}
		return cmp.Compare(a.Unit.ID, b.Unit.ID)
	})
	return all[:min(k, len(all))]
}

func sameCandidates(t *testing.T, label string, got, want []resources.Candidate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d candidates, want %d\ngot  %v\nwant %v", label, len(got), len(want), ids(got), ids(want))
	}
	for i := range got {
		if got[i].Unit.ID != want[i].Unit.ID || got[i].DistanceMeters != want[i].DistanceMeters {
			t.Fatalf("%s: #%d is %s at %.3f m, want %s at %.3f m", label, i, got[i].Unit.ID, got[i].DistanceMeters, want[i].Unit.ID, want[i].DistanceMeters)
		}
	}
}

func ids(cs []resources.Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Unit.ID
	}
	return out
}

// newIndex returns an index of units that always searches rings, never the scan shortcut.
func newIndex(t testing.TB, units []fireline.Unit) *resources.Index {
	t.Helper()
	x := resources.NewIndexRingsOnly()
	if err := x.Replace(units); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestNearestMatchesBruteForce is the property the index lives by: for any units, point, k and
// filter, Nearest answers exactly what a scan of every unit answers.
func TestNearestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type set struct {
		name  string
		units []fireline.Unit
		index *resources.Index
	}
	var sets []set
	for _, n := range []int{1, 2, 10, 100, 1000, 5000} {
		units := randomUnits(t, rng, n)
		sets = append(sets, set{fmt.Sprintf("city %d", n), units, newIndex(t, units)})
	}
	// Downtown: 4,000 units in 10 km × 10 km, dense enough to search resolution-9 rings.
	downtown := randomUnits(t, rng, 4000)
	for i := range downtown {
		downtown[i].Point.Lat = centre.Lat + (downtown[i].Point.Lat-minLat)/(maxLat-minLat)*0.09 - 0.045
		downtown[i].Point.Lng = centre.Lng + (downtown[i].Point.Lng-minLng)/(maxLng-minLng)*0.11 - 0.055
	}
	sets = append(sets, set{"downtown", downtown, newIndex(t, downtown)})
	// The production index takes its scan shortcut below 512 units.
	small := randomUnits(t, rng, 300)
	prod := resources.NewIndex()
	if err := prod.Replace(small); err != nil {
		t.Fatal(err)
	}
	sets = append(sets, set{"scan shortcut", small, prod})
	for _, s := range sets {
		units, x, n := s.units, s.index, len(s.units)
		if x.Len() != n {
			t.Fatalf("Len() = %d, want %d", x.Len(), n)
		}
		for q := range 150 {
			p := randomPoint(rng)
			if s.name == "downtown" {
				p = downtown[rng.IntN(n)].Point
				p.Lat += 0.01 * (rng.Float64() - 0.5)
			}
			switch q % 5 {
			case 0:
				p = units[rng.IntN(n)].Point // a unit exactly at the scene
			case 1:
				p = cellVertex(t, p, q) // the scene on a cell vertex
			}
			k := []int{1, 2, 3, 5, 8, 20, 200}[rng.IntN(7)]
			var accept func(fireline.Unit) bool
			if q%2 == 0 {
				want := fireline.UnitTypes[rng.IntN(len(fireline.UnitTypes))]
				accept = func(u fireline.Unit) bool { return u.Type == want }
			}
			got, err := x.Nearest(p, k, accept)
			if err != nil {
				t.Fatal(err)
			}
			sameCandidates(t, fmt.Sprintf("%s q=%d p=%v k=%d", s.name, q, p, k), got, bruteForce(units, p, k, accept))
		}
	}
}

func TestNearestCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	city := randomUnits(t, rng, 400)
	// A few units per cell vertex and centre: equal distances, so the id decides.
	var stacked []fireline.Unit
	for i := range 6 {
		v := cellVertex(t, centre, i)
		stacked = append(stacked, unit(fmt.Sprintf("v%d-b", i), fireline.UnitEngine, v), unit(fmt.Sprintf("v%d-a", i), fireline.UnitEngine, v))
	}
	stacked = append(stacked, unit("c-2", fireline.UnitLadder, cellCentre(t, centre)), unit("c-1", fireline.UnitLadder, cellCentre(t, centre)))
	// A circle of units 5 km out and nothing inside it: the search crosses empty rings.
	var ring []fireline.Unit
	for i := range 12 {
		a := float64(i) * math.Pi / 6
		ring = append(ring, unit(fmt.Sprintf("r%02d", i), fireline.UnitEngine, fireline.Point{
			Lat: centre.Lat + 0.045*math.Sin(a), Lng: centre.Lng + 0.056*math.Cos(a),
		}))
	}
	beijing := fireline.Point{Lat: 39.9042, Lng: 116.4074}
	tests := []struct {
		name   string
		units  []fireline.Unit
		p      fireline.Point
		k      int
		accept func(fireline.Unit) bool
	}{
		{"empty index", nil, centre, 3, nil},
		{"fewer units than k", city[:3], centre, 10, nil},
		{"ties broken by id", stacked, centre, 14, nil},
		{"ties at a vertex", stacked, cellVertex(t, centre, 2), 5, nil},
		{"k cuts a tie", stacked, cellCentre(t, centre), 3, nil},
		{"empty inner rings", ring, centre, 4, nil},
		{"sparse: the only unit 60+ km away", []fireline.Unit{unit("far", fireline.UnitTanker, fireline.Point{Lat: 36.95, Lng: 116.58})}, fireline.Point{Lat: 36.21, Lng: 115.41}, 1, nil},
		{"sparse: 2 of 3 wanted, 80 km apart", []fireline.Unit{
			unit("a", fireline.UnitHazmat, fireline.Point{Lat: 36.95, Lng: 116.58}),
			unit("b", fireline.UnitHazmat, fireline.Point{Lat: 36.25, Lng: 115.45}),
		}, centre, 3, nil},
		{"only match 400 km away among city units", append(slices.Clone(city), unit("bj", fireline.UnitCommand, beijing)), centre, 1,
			func(u fireline.Unit) bool { return u.ID == "bj" }},
		{"filter rejects everything", city, centre, 2, func(fireline.Unit) bool { return false }},
		{"rare type", city, fireline.Point{Lat: 36.99, Lng: 116.59}, 7, func(u fireline.Unit) bool { return u.Type == fireline.UnitHazmat }},
		{"scene in the corner", city, fireline.Point{Lat: 36.2, Lng: 115.4}, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newIndex(t, tt.units)
			got, err := x.Nearest(tt.p, tt.k, tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			sameCandidates(t, tt.name, got, bruteForce(tt.units, tt.p, tt.k, tt.accept))
		})
	}
}

func TestNearestInvalid(t *testing.T) {
	x := newIndex(t, []fireline.Unit{unit("e1", fireline.UnitEngine, centre)})
	tests := []struct {
		name string
		p    fireline.Point
		k    int
	}{
		{"no fix", fireline.Point{}, 1},
		{"bad lat", fireline.Point{Lat: 95, Lng: 116}, 1},
		{"k zero", centre, 0},
		{"k negative", centre, -3},
		{"k huge", centre, resources.MaxNearest + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := x.Nearest(tt.p, tt.k, nil); fireline.ErrorCode(err) != fireline.EINVALID {
				t.Errorf("error %v, want an invalid error", err)
			}
		})
	}
}

func TestUpsertRemoveReplace(t *testing.T) {
	near := fireline.Point{Lat: 36.4570, Lng: 115.9860}
	far := fireline.Point{Lat: 36.9, Lng: 116.5}
	x := newIndex(t, []fireline.Unit{
		unit("e1", fireline.UnitEngine, near),
		unit("e2", fireline.UnitEngine, fireline.Point{Lat: 36.47, Lng: 116.0}),
		{ID: "e3", Type: fireline.UnitEngine, Status: fireline.UnitOnScene, IncidentID: 7, Point: near},
	})
	nearestIDs := func() []string {
		t.Helper()
		got, err := x.Nearest(centre, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ids(got)
	}
	step := func(name string, change func() error, wantLen int, want ...string) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := nearestIDs(); !slices.Equal(got, want) || x.Len() != wantLen {
			t.Fatalf("%s: nearest %v (len %d), want %v (len %d)", name, got, x.Len(), want, wantLen)
		}
	}
	step("replace keeps only available units", func() error { return nil }, 2, "e1", "e2")

	e1 := unit("e1", fireline.UnitEngine, far)
	step("move e1 far away", func() error { return x.Upsert(e1) }, 2, "e2", "e1")

	e1.Status = fireline.UnitDispatched
	step("dispatch e1", func() error { return x.Upsert(e1) }, 1, "e2")

	e1.Status, e1.Point = fireline.UnitAvailable, near
	e1.IncidentID = 9
	step("available but still tied to an incident", func() error { return x.Upsert(e1) }, 1, "e2")

	e1.IncidentID = 0
	step("cleared back to available near", func() error { return x.Upsert(e1) }, 2, "e1", "e2")

	step("the same update twice", func() error { return x.Upsert(e1) }, 2, "e1", "e2")

	// A retired unit is never recommended, even if a row somewhere still says available.
	retired := unit("e5", fireline.UnitEngine, centre)
	retired.RetiredAt = &time.Time{}
	step("retired", func() error { return x.Upsert(retired) }, 2, "e1", "e2")

	step("new unit", func() error { return x.Upsert(unit("e4", fireline.UnitEngine, centre)) }, 3, "e4", "e1", "e2")

	step("remove", func() error { x.Remove("e2"); x.Remove("nobody"); return nil }, 2, "e4", "e1")

	bad := unit("e4", fireline.UnitEngine, fireline.Point{})
	if err := x.Upsert(bad); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Fatalf("upsert without a position: %v, want an invalid error", err)
	}
	step("a unit that lost its position is not recommended", func() error { return nil }, 1, "e1")

	if err := x.Upsert(fireline.Unit{Status: fireline.UnitAvailable, Point: centre}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Fatalf("upsert without an id: %v, want an invalid error", err)
	}

	for name, list := range map[string][]fireline.Unit{
		"duplicate id": {unit("a", fireline.UnitEngine, centre), unit("a", fireline.UnitLadder, near)},
		"bad position": {unit("a", fireline.UnitEngine, centre), unit("b", fireline.UnitLadder, fireline.Point{Lat: 200})},
		"no id":        {unit("", fireline.UnitEngine, centre)},
	} {
		if err := x.Replace(list); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("replace with %s: %v, want an invalid error", name, err)
		}
		step("a failed replace changes nothing: "+name, func() error { return nil }, 1, "e1")
	}

	step("replace", func() error { return x.Replace([]fireline.Unit{unit("l1", fireline.UnitLadder, far)}) }, 1, "l1")
	step("replace with nothing", func() error { return x.Replace(nil) }, 0)
}

// TestUpsertKeepsIndexExact moves, dispatches and frees units at random and checks the index
// against a scan of the units' current state after every batch.
func TestUpsertKeepsIndexExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	units := randomUnits(t, rng, 800)
	// Half the units have a fresh AVL fix and a home station, so they sit in two cells of each
	// level: crowded ones (five stations), sometimes the same one as their fix.
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	stations := make([]fireline.Point, 5)
	for i := range stations {
		stations[i] = randomPoint(rng)
	}
	for i := range units {
		if i%2 == 0 {
			home := stations[rng.IntN(len(stations))]
			if i%10 == 0 {
				home = units[i].Point
			}
			units[i].Home, units[i].PositionAt = &home, &at
		}
	}
	clock := resources.WithClock(func() time.Time { return at })
	// Small indexes answer by a scan: check its bookkeeping too.
	rings, scanning := resources.NewIndexRingsOnly(clock), resources.NewIndexScanOnly(clock)
	indexes := []*resources.Index{rings, scanning}
	for _, x := range indexes {
		if err := x.Replace(units); err != nil {
			t.Fatal(err)
		}
	}
	statuses := []fireline.UnitStatus{fireline.UnitAvailable, fireline.UnitAvailable, fireline.UnitDispatched, fireline.UnitOutOfService}
	for round := range 40 {
		for range 50 {
			i := rng.IntN(len(units))
			u := &units[i]
			switch rng.IntN(3) {
			case 0:
				u.Point = randomPoint(rng)
			case 1:
				u.Status = statuses[rng.IntN(len(statuses))]
			case 2: // a small move, usually within the same cell
				u.Point.Lat += 0.0005 * (rng.Float64() - 0.5)
			}
			for _, x := range indexes {
				if err := x.Upsert(*u); err != nil {
					t.Fatal(err)
				}
			}
			if rng.IntN(10) == 0 {
				u.Status = fireline.UnitOutOfService // as the index sees it after Remove
				for _, x := range indexes {
					x.Remove(u.ID)
				}
			}
		}
		for q := range 20 {
			p, k := randomPoint(rng), 1+rng.IntN(6)
			want := bruteForce(units, p, k, nil)
			for i, x := range indexes {
				got, err := x.Nearest(p, k, nil)
				if err != nil {
					t.Fatal(err)
				}
				sameCandidates(t, fmt.Sprintf("index %d round %d query %d", i, round, q), got, want)
			}
		}
	}
}

// TestConcurrentReadersWriters runs searches while the change feed moves units; run with -race.
func TestConcurrentReadersWriters(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	units := randomUnits(t, rng, 2000)
	x := newIndex(t, units)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 400 {
				u := units[r.IntN(len(units))]
				u.Point = randomPoint(r)
				if i%3 == 0 {
					u.Status = fireline.UnitDispatched
				}
				if err := x.Upsert(u); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 99 {
					if err := x.Replace(units); err != nil {
						t.Error(err)
						return
					}
				}
				if i%50 == 0 {
					x.Remove(u.ID)
				}
			}
		})
	}
	for rd := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rd), 7))
			for range 300 {
				p := randomPoint(r)
				got, err := x.Nearest(p, 5, func(u fireline.Unit) bool { return u.Type != fireline.UnitTanker })
				if err != nil {
					t.Error(err)
					return
				}
				for i, c := range got {
					if c.Unit.Type == fireline.UnitTanker || c.Unit.Status != fireline.UnitAvailable {
						t.Errorf("unacceptable candidate %+v", c.Unit)
					}
					if i > 0 && c.DistanceMeters < got[i-1].DistanceMeters {
						t.Errorf("candidates out of order: %v", ids(got))
					}
				}
				_ = x.Len()
			}
		})
	}
	wg.Wait()
}

// placedBruteForce is the reference answer for units that report AVL: every accepted available
// unit where fireline.Unit.Placed puts it at now, sorted by distance then id.
func placedBruteForce(units []fireline.Unit, p fireline.Point, k int, now time.Time, staleAfter time.Duration) []resources.Candidate {
	placed := make([]fireline.Unit, len(units))
	for i, u := range units {
		placed[i], _ = u.Placed(now, staleAfter)
	}
	return bruteForce(placed, p, k, nil)
}

// TestNearestStaleFallbackMatchesBruteForce: units with AVL fixes of every age and home
// stations; as the clock runs, fixes go stale without any update reaching the index, and the
// index must answer exactly as a scan of every unit placed at that moment.
func TestNearestStaleFallbackMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := start
	now := func() time.Time { return clock }
	const staleAfter = 30 * time.Minute
	stations := make([]fireline.Point, 40)
	for i := range stations {
		stations[i] = randomPoint(rng)
	}
	units := randomUnits(t, rng, 3000)
	for i := range units {
		home := stations[rng.IntN(len(stations))]
		units[i].Home = &home
		if rng.IntN(10) < 7 {
			at := start.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
			units[i].PositionAt = &at
		} else {
			units[i].Point = home // never reported: placed at its station
		}
	}
	rings := resources.NewIndexRingsOnly(resources.WithClock(now), resources.WithStaleAfter(staleAfter))
	scanning := resources.NewIndexScanOnly(resources.WithClock(now), resources.WithStaleAfter(staleAfter))
	for _, x := range []*resources.Index{rings, scanning} {
		if err := x.Replace(units); err != nil {
			t.Fatal(err)
		}
	}
	for step, advance := range []time.Duration{0, 10 * time.Minute, 20 * time.Minute, time.Hour} {
		clock = clock.Add(advance)
		if step == 2 { // some units report again, from somewhere new
			for range 300 {
				u := &units[rng.IntN(len(units))]
				u.Point, u.PositionAt = randomPoint(rng), new(clock.Add(-time.Duration(rng.IntN(60))*time.Second))
				for _, x := range []*resources.Index{rings, scanning} {
					if err := x.Upsert(*u); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		byID := make(map[string]fireline.Unit, len(units))
		for _, u := range units {
			byID[u.ID] = u
		}
		for q := range 100 {
			p := randomPoint(rng)
			if q%4 == 0 {
				p = stations[rng.IntN(len(stations))] // a scene at a station: stale units gather there
			}
			k := 1 + rng.IntN(12)
			want := placedBruteForce(units, p, k, clock, staleAfter)
			for i, x := range []*resources.Index{rings, scanning} {
				got, err := x.Nearest(p, k, nil)
				if err != nil {
					t.Fatal(err)
				}
				label := fmt.Sprintf("index %d step %d query %d", i, step, q)
				sameCandidates(t, label, got, want)
				for j, c := range got {
					placed, stale := byID[c.Unit.ID].Placed(clock, staleAfter)
					if c.Unit.Point != placed.Point || c.Unit.PositionSource != placed.PositionSource || c.PositionStale != stale {
						t.Fatalf("%s: #%d %+v stale=%v, want at %v (%s) stale=%v", label, j, c.Unit, c.PositionStale, placed.Point, placed.PositionSource, stale)
					}
				}
			}
		}
	}
}

func TestNearestStaleCases(t *testing.T) {
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := start
	x := resources.NewIndexRingsOnly(resources.WithClock(func() time.Time { return clock }))
	far := fireline.Point{Lat: 36.95, Lng: 116.58}
	at := start.Add(-time.Minute)
	// The fix is 80 km away, the station at the scene.
	u := fireline.Unit{ID: "e1", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, StationID: "S1",
		Point: far, PositionAt: &at, Home: &centre}
	if err := x.Upsert(u); err != nil {
		t.Fatal(err)
	}
	check := func(name string, wantPoint fireline.Point, wantSource fireline.PositionSource, wantStale bool, wantAge time.Duration) {
		t.Helper()
		got, err := x.Nearest(centre, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d candidates, want 1", name, len(got))
		}
		c := got[0]
		cell := cellCentre(t, wantPoint) // any point of the cell names it
		wantCell, err := geo.CellOf(cell, geo.Resolution)
		if err != nil {
			t.Fatal(err)
		}
		if c.Unit.Point != wantPoint || c.Unit.PositionSource != wantSource || c.PositionStale != wantStale ||
			c.PositionAge != wantAge || c.Unit.Cell != wantCell.String() || c.DistanceMeters != geo.DistanceMeters(centre, wantPoint) {
			t.Fatalf("%s: %+v, want at %v (%s, cell %s) stale=%v age %s", name, c, wantPoint, wantSource, wantCell, wantStale, wantAge)
		}
		if x.Len() != 1 {
			t.Fatalf("%s: Len %d, want 1: a unit counts once, wherever it is placed", name, x.Len())
		}
	}
	check("fresh", far, fireline.PositionAVL, false, time.Minute)
	clock = start.Add(29 * time.Minute)
	check("at the limit", far, fireline.PositionAVL, false, 30*time.Minute)
	clock = start.Add(29*time.Minute + time.Second)
	check("just stale", centre, fireline.PositionStation, true, 30*time.Minute+time.Second)

	near := east(300)
	u.Point, u.PositionAt = near, new(clock)
	if err := x.Upsert(u); err != nil {
		t.Fatal(err)
	}
	check("reported again", near, fireline.PositionAVL, false, 0)

	u.Home = &fireline.Point{Lat: 200}
	if err := x.Upsert(u); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Fatalf("upsert with a bad home position: %v, want an invalid error", err)
	}
	if x.Len() != 0 {
		t.Fatalf("a unit with a bad home position stays searchable")
	}
	x.Remove("e1")
}
