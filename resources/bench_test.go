package resources_test

// Issue 4's benchmarks of the live index. scripts/bench.sh (`make bench`) runs them in one run
// with the PostGIS ones of postgres/knn_bench_test.go, over the same units and scenes
// (samplecity.Fleet and samplecity.Scenes), and writes BENCHMARKS.md.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/internal/latency"
	"github.com/fireline/fireline/resources"
	"github.com/fireline/fireline/samplecity"
)

// benchScenes is how many incident positions each benchmark cycles through.
const benchScenes = 1024

func benchLayouts() []samplecity.Layout {
	return []samplecity.Layout{samplecity.Uniform, samplecity.Centred}
}

func isEngine(u fireline.Unit) bool { return u.Type == fireline.UnitEngine }

// BenchmarkNearest compares, for the typical query (the k nearest engines, a sixth of the
// units, to an incident), the production index ("index") with a plain scan of every unit
// ("scan"), and at 1,000 units with the index's own scan ("indexscan"), the path it takes
// below 512 units, to show where that stops paying.
func BenchmarkNearest(b *testing.B) {
	for _, layout := range benchLayouts() {
		scenes := samplecity.Scenes(layout, benchScenes)
		for _, n := range []int{1_000, 10_000, 100_000} {
			units := samplecity.Fleet(layout, n)
			type variant struct {
				name string
				x    *resources.Index
			}
			indexes := []variant{{"index", resources.NewIndex()}}
			if n == 1_000 {
				indexes = append(indexes, variant{"indexscan", resources.NewIndexScanOnly()})
			}
			for _, ix := range indexes {
				if err := ix.x.Replace(units); err != nil {
					b.Fatal(err)
				}
			}
			for _, k := range []int{3, 10} {
				name := fmt.Sprintf("%s/n=%d/k=%d", layout, n, k)
				for _, ix := range indexes {
					checked := false // once, not on every -count
					b.Run(name+"/"+ix.name, func(b *testing.B) {
						if !checked {
							checkNearest(b, ix.x, units, scenes, k)
							checked = true
						}
						lat := latency.NewRecorder()
						i := 0
						for b.Loop() {
							t0 := time.Now()
							_, err := ix.x.Nearest(scenes[i%len(scenes)], k, isEngine)
							lat.Add(time.Since(t0))
							if err != nil {
								b.Fatal(err)
							}
							i++
						}
						lat.Report(b)
					})
				}
				b.Run(name+"/scan", func(b *testing.B) {
					lat := latency.NewRecorder()
					i := 0
					for b.Loop() {
						t0 := time.Now()
						scanNearest(units, scenes[i%len(scenes)], k, isEngine)
						lat.Add(time.Since(t0))
						i++
					}
					lat.Report(b)
				})
			}
		}
	}
}

// checkNearest makes sure, before timing, that the index answers every scene exactly as the
// scan does: the same units in the same order at the same distances.
func checkNearest(b *testing.B, x *resources.Index, units []fireline.Unit, scenes []fireline.Point, k int) {
	b.Helper()
	for _, p := range scenes {
		got, err := x.Nearest(p, k, isEngine)
		if err != nil {
			b.Fatal(err)
		}
		want := scanNearest(units, p, k, isEngine)
		if len(got) != len(want) {
			b.Fatalf("at %v: %d units, want %d", p, len(got), len(want))
		}
		for i, j := range want {
			if got[i].Unit.ID != units[j].ID || got[i].DistanceMeters != geo.DistanceMeters(p, units[j].Point) {
				b.Fatalf("at %v: #%d is %s, want %s", p, i, got[i].Unit.ID, units[j].ID)
			}
		}
	}
}

// scanNearest is the brute force: one pass over every unit, keeping the k nearest accepted by
// (distance, position in units); Fleet's ids grow with the position, so ties break as the
// index breaks them.
func scanNearest(units []fireline.Unit, p fireline.Point, k int, accept func(fireline.Unit) bool) []int {
	best := make([]int, 0, k)
	dist := make([]float64, 0, k)
	for i := range units {
		if !accept(units[i]) {
			continue
		}
		d := geo.DistanceMeters(p, units[i].Point)
		if len(best) == k && d >= dist[k-1] {
			continue
		}
		j := len(best)
		if j < k {
			best, dist = append(best, 0), append(dist, 0)
		} else {
			j = k - 1
		}
		for ; j > 0 && dist[j-1] > d; j-- {
			best[j], dist[j] = best[j-1], dist[j-1]
		}
		best[j], dist[j] = i, d
	}
	return best
}

// cityPlans serves the sample city's run cards.
type cityPlans []fireline.ResponsePlan

func (c cityPlans) ResponsePlan(_ context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error) {
	for _, p := range c {
		if p.IncidentType == t && p.Level == level {
			return p, nil
		}
	}
	return fireline.ResponsePlan{}, fireline.Errorf(fireline.ENOTFOUND, "no response plan for %s level %d", t, level)
}

// BenchmarkRecommend measures a whole recommendation over 10,000 units with the sample city's
// run cards, from the request to the ranked units: a structure fire at level 1 (2 engines,
// 1 ladder) and level 3 (5 engines, 2 ladders, 1 rescue, 1 tanker, 1 command unit), each slot
// with its two alternates, so five and eleven searches of the index.
func BenchmarkRecommend(b *testing.B) {
	ctx := context.Background()
	plans := cityPlans(samplecity.Liaocheng().Plans)
	for _, layout := range benchLayouts() {
		scenes := samplecity.Scenes(layout, benchScenes)
		x := resources.NewIndex()
		if err := x.Replace(samplecity.Fleet(layout, 10_000)); err != nil {
			b.Fatal(err)
		}
		models := []struct {
			name string
			r    *resources.Recommender
		}{
			{"distance", resources.NewRecommender(x, plans)},
			{"learned", resources.NewRecommender(x, plans, resources.WithEstimator(trainedModel(b, layout)))},
		}
		for _, level := range []int{1, 3} {
			for _, m := range models {
				r := m.r
				b.Run(fmt.Sprintf("%s/n=10000/structure_fire/level=%d/model=%s", layout, level, m.name), func(b *testing.B) {
					req := resources.Request{Type: fireline.TypeStructureFire, Level: level}
					for _, p := range scenes {
						req.Point = p
						if res, err := r.Recommend(ctx, req); err != nil || len(res.Short) > 0 {
							b.Fatalf("at %v: %v, short %v", p, err, res.Short)
						}
					}
					lat := latency.NewRecorder()
					i := 0
					for b.Loop() {
						req.Point = scenes[i%len(scenes)]
						t0 := time.Now()
						_, err := r.Recommend(ctx, req)
						lat.Add(time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						i++
					}
					lat.Report(b)
				})
			}
		}
	}
}

// trainedModel is the learned travel-time model after a few years of a busy city: 20,000 drives
// from the fleet's positions to the layout's scenes, each 0.7 to 2 times the distance model's
// guess, so most estimates answer from a pair of cells and all of them place both points.
func trainedModel(b *testing.B, layout samplecity.Layout) *geo.LearnedModel {
	b.Helper()
	m, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	if err != nil {
		b.Fatal(err)
	}
	fleet, scenes := samplecity.Fleet(layout, 10_000), samplecity.Scenes(layout, 2_000)
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 20_000 {
		u, to := fleet[rng.IntN(len(fleet))], scenes[i%len(scenes)]
		base, _ := geo.DefaultTravelModel().ETA(u.Point, to, u.Type)
		// Errors are trips the model refuses (too short, implausible): fine to drop here.
		_ = m.Observe(geo.Trip{From: u.Point, To: to, Type: u.Type, Seconds: base * (0.7 + 1.3*rng.Float64())})
	}
	return m
}

// BenchmarkUpsert measures the index update of one AVL ping on a 10,000-unit index: a unit
// with a home station reports a fix 200 to 400 m from its last one, so the index recomputes
// its cells and moves it. Units take turns, each moving out and, on its next turn, back.
func BenchmarkUpsert(b *testing.B) {
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for _, layout := range benchLayouts() {
		units := samplecity.Fleet(layout, 10_000)
		rng := rand.New(rand.NewPCG(7, 7))
		moved := make([]fireline.Unit, len(units))
		for i := range units {
			home := units[i].Point
			units[i].Home, units[i].PositionAt, units[i].PositionSource = &home, &at, fireline.PositionAVL
			moved[i] = units[i]
			moved[i].Point = offset(home, 200+200*rng.Float64(), 2*math.Pi*rng.Float64())
		}
		b.Run(fmt.Sprintf("%s/n=10000", layout), func(b *testing.B) {
			x := resources.NewIndex(resources.WithClock(func() time.Time { return at }))
			if err := x.Replace(units); err != nil {
				b.Fatal(err)
			}
			lat := latency.NewRecorder()
			i := 0
			for b.Loop() {
				j := i % len(units)
				u := moved[j]
				if (i/len(units))%2 == 1 {
					u = units[j]
				}
				t0 := time.Now()
				err := x.Upsert(u)
				lat.Add(time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			lat.Report(b)
			if x.Len() != len(units) {
				b.Fatalf("%d units after the pings, want %d", x.Len(), len(units))
			}
		})
	}
}

// offset returns the point m metres from p on the given bearing (radians from north), on a
// locally flat Earth: plenty for a few hundred metres.
func offset(p fireline.Point, m, bearing float64) fireline.Point {
	const metresPerDegree = geo.EarthRadiusMeters * math.Pi / 180
	return fireline.Point{
		Lat: p.Lat + m*math.Cos(bearing)/metresPerDegree,
		Lng: p.Lng + m*math.Sin(bearing)/(metresPerDegree*math.Cos(p.Lat*math.Pi/180)),
	}
}
