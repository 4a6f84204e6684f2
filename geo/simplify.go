package geo

import (
	"math"

	"github.com/fireline/fireline"
)

// SimplifyMeters is the tolerance Fireline simplifies large warning polygons to: a tenth of a
// resolution-7 cell's edge (about 1.2 km). A cell whose centre lies farther than this from a
// ring's edge is inside the simplified ring exactly when it is inside the original, so a cover
// computed from the simplified ring differs from the original's only by boundary cells.
const SimplifyMeters = 100

// simplifyChunk is how many points Simplify works on at a time. Douglas–Peucker's worst case is
// quadratic in the points it is given; cutting a ring into chunks bounds its time by
// n × simplifyChunk whatever the shape, at the cost of keeping the chunks' end points.
const simplifyChunk = 1024

// Simplify returns ring with points dropped so that it stays within tolerance metres of the
// original everywhere (Douglas–Peucker, run on chunks of the ring so that its time is bounded
// for any input). Distances are measured in a plane scaled for the ring's latitude nearest the
// equator, in which straight lines are the same straight lines in latitude and longitude that
// Area takes a polygon's edges to be. A ring that crosses the antimeridian is simplified unwrapped and its
// longitudes brought back into -180..180. A closed ring stays closed; the first point is kept.
// Rings of four points or fewer, and non-positive tolerances, come back as they are.
func Simplify(ring []fireline.Point, tolerance float64) []fireline.Point {
	if len(ring) <= 4 || !(tolerance > 0) {
		return ring
	}
	pts := unwrap(ring)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = min(lo, p.Lat), max(hi, p.Lat)
	}
	const mPerDeg = EarthRadiusMeters * math.Pi / 180
	// x is scaled for the ring's latitude nearest the equator, where a degree of longitude is
	// longest: distances elsewhere in the ring are overestimated, never under, so the ring stays
	// within the tolerance everywhere (a ring spanning 69°–71° N keeps ~5% more points).
	ref := 0.0
	if lo > 0 {
		ref = lo
	} else if hi < 0 {
		ref = hi
	}
	kx := mPerDeg * math.Cos(ref*math.Pi/180)
	// Keep x's scale off zero near a pole: a ring there is simplified less, never more.
	kx = max(kx, mPerDeg*1e-3)
	xy := func(p fireline.Point) (float64, float64) { return p.Lng * kx, p.Lat * mPerDeg }

	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	tol2 := tolerance * tolerance
	type span struct{ a, b int }
	var stack []span
	for start := 0; start < len(pts)-1; start += simplifyChunk {
		end := min(start+simplifyChunk, len(pts)-1)
		keep[start], keep[end] = true, true
		stack = append(stack[:0], span{start, end})
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if s.b-s.a < 2 {
				continue
			}
			ax, ay := xy(pts[s.a])
			bx, by := xy(pts[s.b])
			far, farD := -1, tol2
			for i := s.a + 1; i < s.b; i++ {
				px, py := xy(pts[i])
				if d := segmentDist2(px, py, ax, ay, bx, by); d > farD {
					far, farD = i, d
				}
			}
			if far >= 0 {
				keep[far] = true
				stack = append(stack, span{s.a, far}, span{far, s.b})
			}
		}
	}
	out := make([]fireline.Point, 0, 64)
	for i, p := range pts {
		if keep[i] {
			if p.Lng > 180 {
				p.Lng -= 360
			}
			out = append(out, p)
		}
	}
	// A closed ring needs three distinct points besides the closing one; a ring simplified
	// below that (a sliver thinner than the tolerance) is kept as it was.
	if DistinctPoints(out, 3) < 3 {
		return ring
	}
	return out
}

// segmentDist2 is the squared distance from p to the segment a–b, in the plane.
func segmentDist2(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	ex, ey := ax+t*dx-px, ay+t*dy-py
	return ex*ex + ey*ey
}
