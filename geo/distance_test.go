package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

func TestDistanceMeters(t *testing.T) {
	tests := []struct {
		name string
		a, b fireline.Point
		want float64 // metres
		tol  float64 // metres
	}{
		{"same point", liaocheng, liaocheng, 0, 0},
		{"liaocheng to linqing", liaocheng, fireline.Point{Lat: 36.8380, Lng: 115.7050}, 49277, 5},
		{"one degree of longitude on the equator", fireline.Point{Lat: 0, Lng: 10}, fireline.Point{Lat: 0, Lng: 11}, 111195.08, 0.01},
		{"one degree of latitude", fireline.Point{Lat: 36, Lng: 116}, fireline.Point{Lat: 37, Lng: 116}, 111195.08, 0.01},
		{"across the antimeridian", fireline.Point{Lat: 0, Lng: 179.5}, fireline.Point{Lat: 0, Lng: -179.5}, 111195.08, 0.01},
		{"antipodes", fireline.Point{Lat: 10, Lng: 20}, fireline.Point{Lat: -10, Lng: -160}, math.Pi * geo.EarthRadiusMeters, 0.01},
		{"one metre apart", liaocheng, fireline.Point{Lat: liaocheng.Lat + 1/111195.08, Lng: liaocheng.Lng}, 1, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := geo.DistanceMeters(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("DistanceMeters = %.3f, want %.3f ± %g", got, tt.want, tt.tol)
			}
			if back := geo.DistanceMeters(tt.b, tt.a); back != got {
				t.Errorf("not symmetric: %v and %v", got, back)
			}
		})
	}
}

// TestLowerBoundMeters checks that LowerBoundMeters is a lower bound where it is hardest to be
// one: pairs of cell vertices (the closest points of two cells) around Liaocheng, around the
// world and beside a pentagon, at the resolutions the unit index searches.
func TestLowerBoundMeters(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	pent, err := geo.ParseCell(pentagon9)
	if err != nil {
		t.Fatal(err)
	}
	pentCentre, err := pent.Center()
	if err != nil {
		t.Fatal(err)
	}
	origins := []fireline.Point{liaocheng, pentCentre}
	for range 40 {
		origins = append(origins, fireline.Point{
			Lat: math.Asin(2*rng.Float64()-1) * 180 / math.Pi,
			Lng: rng.Float64()*360 - 180,
		})
	}
	for range 20 {
		origins = append(origins, fireline.Point{Lat: 36.2 + 0.8*rng.Float64(), Lng: 115.4 + 1.2*rng.Float64()})
	}
	checked := 0
	for _, res := range []int{5, 7, 8, 9} {
		for _, o := range origins {
			origin, err := geo.CellOf(o, res)
			if err != nil {
				t.Fatal(err)
			}
			from, err := origin.Boundary()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []int{2, 3, 4, 5, 8, 13, 20} {
				ring, err := geo.Ring(origin, k)
				if err != nil {
					t.Fatal(err)
				}
				for range 4 {
					c := ring[rng.IntN(len(ring))]
					to, err := c.Boundary()
					if err != nil {
						t.Fatal(err)
					}
					for _, a := range from {
						for _, b := range to {
							checked += checkBound(t, res, a, b)
						}
					}
				}
			}
		}
	}
	// Random pairs, not only vertices: the bound must hold for every point of a cell.
	for range 20000 {
		res := []int{5, 7, 9}[rng.IntN(3)]
		o := origins[rng.IntN(len(origins))]
		spread := 30 * geo.LowerBoundMeters(res, 3) / 111195
		b := fireline.Point{Lat: o.Lat + spread*(2*rng.Float64()-1), Lng: o.Lng + spread*(2*rng.Float64()-1)}
		if b.Validate() != nil || math.Abs(b.Lat) > 80 {
			continue
		}
		checked += checkBound(t, res, o, b)
	}
	if checked < 10000 {
		t.Errorf("only %d pairs checked", checked)
	}
}

// checkBound checks one pair and returns 1 if the pair could be measured.
func checkBound(t *testing.T, res int, a, b fireline.Point) int {
	t.Helper()
	ca, err1 := geo.CellOf(a, res)
	cb, err2 := geo.CellOf(b, res)
	if err1 != nil || err2 != nil {
		t.Fatalf("cells of %v, %v: %v, %v", a, b, err1, err2)
	}
	k, err := geo.GridDistance(ca, cb)
	if err != nil {
		return 0 // h3 cannot measure some paths across icosahedron faces; nothing to check
	}
	if d, lb := geo.DistanceMeters(a, b), geo.LowerBoundMeters(res, k); d < lb {
		t.Errorf("res %d: %v and %v are %d cells and %.1f m apart, below the bound %.1f m", res, a, b, k, d, lb)
	}
	return 1
}

func TestLowerBoundMetersShape(t *testing.T) {
	tests := []struct {
		res, k int
		want   float64
	}{
		{9, 0, 0}, {9, 1, 0}, {9, 2, 0.9 * 141.1}, {9, 10, 0.9 * 13 * 141.1}, {3, 10, 0}, {16, 10, 0},
	}
	for _, tt := range tests {
		if got := geo.LowerBoundMeters(tt.res, tt.k); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("LowerBoundMeters(%d, %d) = %v, want %v", tt.res, tt.k, got, tt.want)
		}
	}
	for k := 2; k < 200; k++ {
		if geo.LowerBoundMeters(7, k+1) <= geo.LowerBoundMeters(7, k) {
			t.Fatalf("bound not increasing at k = %d", k)
		}
	}
}

// TestChordBound checks that ChordBound rules out no point at or within the distance it was
// given, from centimetres to the antipodes, and that the chord ranks points as DistanceMeters
// does.
func TestChordBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	random := func() fireline.Point {
		return fireline.Point{Lat: math.Asin(2*rng.Float64()-1) * 180 / math.Pi, Lng: rng.Float64()*360 - 180}
	}
	for range 20_000 {
		a := random()
		// Near pairs matter most: a search prunes at the k-th distance found, often metres.
		scale := math.Pow(10, -7+7*rng.Float64()) // degrees, 1 cm to 10°
		b := fireline.Point{Lat: min(max(a.Lat+scale*(2*rng.Float64()-1), -90), 90), Lng: a.Lng + scale*(2*rng.Float64()-1)}
		if rng.IntN(10) == 0 {
			b = random()
		}
		d := geo.DistanceMeters(a, b)
		c := geo.VectorOf(a).ChordSquared(geo.VectorOf(b))
		if c > geo.ChordBound(d) {
			t.Fatalf("%v to %v: chord² %g exceeds ChordBound(%g m) = %g", a, b, c, d, geo.ChordBound(d))
		}
		// A point clearly farther is ruled out: the bound is not loose.
		if d > 1 && c <= geo.ChordBound(d*0.999) {
			t.Fatalf("%v to %v at %g m: chord² %g within ChordBound of 0.999 of it", a, b, d, c)
		}
	}
	if got, want := geo.ChordBound(math.Pi*geo.EarthRadiusMeters), 4.0; got < want {
		t.Errorf("ChordBound(half the globe) = %g, want at least %g", got, want)
	}
}
