package resources_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// BenchmarkNearest compares the index with a scan of every unit, for the typical query: the
// three nearest engines to a random point of the city. Up to about a thousand units the index
// itself scans.
func BenchmarkNearest(b *testing.B) {
	engines := func(u fireline.Unit) bool { return u.Type == fireline.UnitEngine }
	for _, n := range []int{1_000, 10_000, 100_000} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		units := randomUnits(b, rng, n)
		x := resources.NewIndex() // the production index, scan shortcut included
		if err := x.Replace(units); err != nil {
			b.Fatal(err)
		}
		points := make([]fireline.Point, 1024)
		for i := range points {
			points[i] = randomPoint(rng)
		}
		b.Run(fmt.Sprintf("index/%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := x.Nearest(points[i%len(points)], 3, engines); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("scan/%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				scanNearest(units, points[i%len(points)], 3, engines)
				i++
			}
		})
	}
}

// scanNearest is the best a scan can do: one pass keeping the k nearest.
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
