package geo_test

import (
	"math"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// wiggly is a closed ring of n points round (lat, lng), radius r degrees, with a wiggle of
// amplitude a degrees on every point, like a coast traced point by point.
func wiggly(n int, lat, lng, r, a float64) []fireline.Point {
	ring := make([]fireline.Point, 0, n+1)
	for i := range n {
		t := 2 * math.Pi * float64(i) / float64(n)
		w := r + a*math.Sin(float64(i)*1.7)
		x := lng + w*math.Cos(t)/math.Cos(lat*math.Pi/180)
		ring = append(ring, fireline.Point{Lat: lat + w*math.Sin(t), Lng: math.Mod(x+540, 360) - 180})
	}
	return append(ring, ring[0])
}

// farthest is the largest distance in metres from a point of ring to the nearest edge of simple.
func farthest(ring, simple []fireline.Point) float64 {
	worst := 0.0
	for _, p := range ring {
		kx := geo.EarthRadiusMeters * math.Pi / 180 * math.Cos(p.Lat*math.Pi/180)
		ky := geo.EarthRadiusMeters * math.Pi / 180
		best := math.Inf(1)
		for i := 1; i < len(simple); i++ {
			a, b := simple[i-1], simple[i]
			dlng := func(x float64) float64 { return math.Mod(x-p.Lng+540, 360) - 180 }
			ax, ay, bx, by := dlng(a.Lng)*kx, (a.Lat-p.Lat)*ky, dlng(b.Lng)*kx, (b.Lat-p.Lat)*ky
			dx, dy := bx-ax, by-ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = max(0, min(1, -(ax*dx+ay*dy)/l2))
			}
			best = min(best, math.Hypot(ax+t*dx, ay+t*dy))
		}
		worst = max(worst, best)
	}
	return worst
}

func TestSimplify(t *testing.T) {
	for _, c := range []struct {
		name     string
		ring     []fireline.Point
		fewerBy  int // the simplified ring has at most len/fewerBy points
		lngRange [2]float64
	}{
		{"a traced coast", wiggly(20_000, 36.45, 115.98, 0.3, 0.0003), 10, [2]float64{-180, 180}},
		{"high latitude", wiggly(10_000, 70, 25, 1, 0.0005), 5, [2]float64{-180, 180}},
		{"across the antimeridian", wiggly(10_000, -17, 179.9, 0.5, 0.0003), 10, [2]float64{-180, 180}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := geo.Simplify(c.ring, geo.SimplifyMeters)
			if len(s) > len(c.ring)/c.fewerBy || len(s) < 4 || s[0] != s[len(s)-1] || s[0] != c.ring[0] {
				t.Fatalf("%d points simplified to %d, first %v last %v", len(c.ring), len(s), s[0], s[len(s)-1])
			}
			for _, p := range s {
				if p.Lng < c.lngRange[0] || p.Lng > c.lngRange[1] {
					t.Fatalf("longitude %v outside -180..180", p.Lng)
				}
			}
			if d := farthest(c.ring, s); d > geo.SimplifyMeters*1.01 {
				t.Fatalf("a point of the original lies %.1f m from the simplified ring, tolerance %d m", d, geo.SimplifyMeters)
			}
		})
	}
	small := []fireline.Point{{Lat: 1, Lng: 1}, {Lat: 1, Lng: 2}, {Lat: 2, Lng: 2}, {Lat: 1, Lng: 1}}
	if s := geo.Simplify(small, geo.SimplifyMeters); len(s) != len(small) {
		t.Errorf("a 4-point ring became %v", s)
	}
	// A sliver thinner than the tolerance is kept as it was rather than collapsed to a line.
	sliver := []fireline.Point{{Lat: 1, Lng: 1}, {Lat: 1, Lng: 1.5}, {Lat: 1, Lng: 2}, {Lat: 1.0001, Lng: 1.5}, {Lat: 1, Lng: 1}}
	if s := geo.Simplify(sliver, geo.SimplifyMeters); len(s) != len(sliver) {
		t.Errorf("a sliver became %v", s)
	}
}

// TestSimplifyBoundedTime gives Simplify a zigzag whose every point lies beyond the tolerance,
// Douglas–Peucker's worst case (each split peels off one point): chunking keeps it fast.
func TestSimplifyBoundedTime(t *testing.T) {
	n := 200_000
	ring := make([]fireline.Point, 0, n+1)
	for i := range n {
		ring = append(ring, fireline.Point{Lat: 30 + float64(i)*1e-5 + float64(i%2)*0.01, Lng: 110 + float64(i)*1e-5})
	}
	ring = append(ring, fireline.Point{Lat: 35, Lng: 100}, ring[0])
	start := time.Now()
	s := geo.Simplify(ring, geo.SimplifyMeters)
	// Loose: -race on a busy two-core machine takes about 1.6 s; unchunked, the zigzag is
	// quadratic, some 2·10¹⁰ distances.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("%d points took %s", len(ring), took)
	}
	if len(s) < n/2 {
		t.Errorf("a zigzag of %d points beyond the tolerance kept only %d", n, len(s))
	}
}
