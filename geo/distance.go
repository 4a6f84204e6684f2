package geo

import (
	"math"

	"github.com/fireline/fireline"
)

// EarthRadiusMeters is the mean Earth radius (IUGG R1), the radius h3 uses too.
const EarthRadiusMeters = 6371008.8

// DistanceMeters returns the great-circle distance between a and b by the haversine formula,
// which stays accurate at the few-metre distances of units parked beside an incident.
func DistanceMeters(a, b fireline.Point) float64 {
	const rad = math.Pi / 180
	lat1, lat2 := a.Lat*rad, b.Lat*rad
	dLat, dLng := lat2-lat1, (b.Lng-a.Lng)*rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLng/2)
	h := s1*s1 + math.Cos(lat1)*math.Cos(lat2)*s2*s2
	return 2 * EarthRadiusMeters * math.Asin(math.Sqrt(min(h, 1)))
}

// minEdgeMeters returns a little under the shortest cell edge of resolution res anywhere on
// the globe, 0 where we have no measurement. Measured with h3's exact edge lengths over every
// pentagon's grid disk of radius 4 (the smallest cells sit around the pentagons) and 20,000
// random cells per resolution. For scale: the average resolution-9 edge is 200.8 m, 160.7 m
// at Liaocheng, 141.1 m at the smallest. (A switch, not a table: no package-level variables.)
func minEdgeMeters(res int) float64 {
	switch res {
	case 4:
		return 19491
	case 5:
		return 6931
	case 6:
		return 2771
	case 7:
		return 988.1
	case 8:
		return 395.6
	case 9:
		return 141.1
	case 10:
		return 56.50
	case 11:
		return 20.15
	case 12:
		return 8.070
	case 13:
		return 2.879
	case 14:
		return 1.153
	case 15:
		return 0.4110
	}
	return 0
}

// lowerBoundSafety shrinks the bound for the grid's irregularity: sampled worst cases reach
// 0.997 of the regular-hexagon formula, so 0.9 leaves a clear margin.
const lowerBoundSafety = 0.9

// LowerBoundMeters returns a distance that no two points are closer than when their cells, of
// resolution res, are k or more grid steps apart. A search that walks rings outward may stop
// once this bound for the next ring exceeds the worst distance it still needs.
//
// Why (1.5k − 2)·e: in a regular hexagon grid of edge e, neighbouring centres are √3·e apart,
// the ring at grid distance k is a hexagon of side k·√3·e, and its nearest centres (mid-side)
// lie 1.5·k·e from the origin's centre; rings further out lie further. Every point of a cell is
// within e (the circumradius) of its centre, so two points in cells k apart are at least
// 1.5·k·e − 2e apart. The bound is tight for even k (vertex facing vertex), which is why the
// intuitive (k−1)·2·inradius is not a lower bound. H3 cells are neither regular nor equal, so
// e is the smallest edge of the resolution anywhere and the result is multiplied by 0.9; tests
// check it against point pairs sampled at cell vertices worldwide and around pentagons.
//
// It returns 0, a trivially true bound, for k < 2 and for resolutions below 4 whose cells
// are too large for a flat-grid argument.
func LowerBoundMeters(res, k int) float64 {
	if k < 2 {
		return 0
	}
	return lowerBoundSafety * (1.5*float64(k) - 2) * minEdgeMeters(res)
}

// Vector is a point of the sphere as a unit vector from the Earth's centre (x towards 0° N
// 0° E, z towards the North Pole). Searches that compare one point's distance to many others
// keep these beside the points: comparing chords costs a few multiplications, where
// DistanceMeters costs several trigonometric functions.
type Vector struct{ X, Y, Z float64 }

// VectorOf returns p as a unit vector.
func VectorOf(p fireline.Point) Vector {
	const rad = math.Pi / 180
	lat, lng := p.Lat*rad, p.Lng*rad
	c := math.Cos(lat)
	return Vector{X: c * math.Cos(lng), Y: c * math.Sin(lng), Z: math.Sin(lat)}
}

// ChordSquared returns the squared straight-line distance between a and b on the unit sphere.
// It grows with the great-circle distance: chord = 2·sin(d / 2R).
func (a Vector) ChordSquared(b Vector) float64 {
	dx, dy, dz := a.X-b.X, a.Y-b.Y, a.Z-b.Z
	return dx*dx + dy*dy + dz*dz
}

// Chord returns the straight-line distance between a and b on the unit sphere. Being a
// distance in space, it obeys the triangle inequality, which lets a search bound the chord to
// every point of a group by the chord to one of them.
func (a Vector) Chord(b Vector) float64 { return math.Sqrt(a.ChordSquared(b)) }

// ChordBound returns a squared chord that every pair of points no more than meters apart by
// DistanceMeters stays within: a point whose ChordSquared exceeds it is provably farther. The
// bound is widened by far more than the rounding of either formula (a relative 1e-9 plus 10 µm),
// so ruling points out with it never changes an exact answer.
func ChordBound(meters float64) float64 {
	c := 2 * math.Sin(min(max(meters, 0)/(2*EarthRadiusMeters), math.Pi/2))
	c = c*(1+1e-9) + 10e-6/EarthRadiusMeters
	return c * c
}
