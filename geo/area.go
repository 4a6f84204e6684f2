package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/fireline/fireline"
	"github.com/uber/h3-go/v4"
)

// Area is a fixed set of cells of one resolution, such as a service area, that answers which of
// its cells a polygon or circle covers. It is immutable and safe for concurrent use.
//
// A shape covers a cell when the cell's centre lies inside it (h3's polygon fill); a shape that
// holds no cell centre at all, being smaller than a cell or a sliver between centres, covers the
// cells its vertices (a circle: its centre) lie in instead, so it still marks where it is. A shape is first clipped to the area's bounding box, so
// a continent-wide warning costs no more than one the size of the area, and h3 is never asked to
// fill a polygon larger than the area.
type Area struct {
	res   int
	cells map[Cell]struct{}
	// box is the bounding box of the cells' outlines, in degrees.
	minLat, maxLat, minLng, maxLng float64
}

// MaxAreaCells bounds an Area: a 100 km service radius around a few dozen stations is some tens
// of thousands of resolution-7 cells.
const MaxAreaCells = 500_000

// NewArea returns the area made of cells, which must be valid and of one resolution. Cells
// whose bounding box would cross the antimeridian are refused: no service area does.
func NewArea(cells []Cell) (*Area, error) {
	if len(cells) > MaxAreaCells {
		return nil, fireline.Errorf(fireline.EINVALID, "area: %d cells, at most %d", len(cells), MaxAreaCells)
	}
	a := &Area{res: -1, cells: make(map[Cell]struct{}, len(cells)),
		minLat: math.Inf(1), maxLat: math.Inf(-1), minLng: math.Inf(1), maxLng: math.Inf(-1)}
	for _, c := range cells {
		if !c.Valid() {
			return nil, fireline.Errorf(fireline.EINVALID, "area: cell %s is not an H3 cell", c)
		}
		if a.res == -1 {
			a.res = c.Resolution()
		} else if c.Resolution() != a.res {
			return nil, fireline.Errorf(fireline.EINVALID, "area: cell %s has resolution %d, not %d", c, c.Resolution(), a.res)
		}
		a.cells[c] = struct{}{}
		b, err := c.Boundary()
		if err != nil {
			return nil, err
		}
		for _, p := range b {
			a.minLat, a.maxLat = min(a.minLat, p.Lat), max(a.maxLat, p.Lat)
			a.minLng, a.maxLng = min(a.minLng, p.Lng), max(a.maxLng, p.Lng)
		}
	}
	if len(cells) > 0 && a.maxLng-a.minLng > 180 {
		return nil, fireline.Errorf(fireline.EINVALID, "area: crosses the antimeridian")
	}
	return a, nil
}

// Len returns the number of cells in the area.
func (a *Area) Len() int { return len(a.cells) }

// Resolution returns the resolution of the area's cells, -1 for an empty area.
func (a *Area) Resolution() int { return a.res }

// Contains reports whether c is a cell of the area.
func (a *Area) Contains(c Cell) bool {
	_, ok := a.cells[c]
	return ok
}

// Polygon returns, sorted, the cells of the area that the polygon covers (see Area). outer and
// each hole are rings of WGS-84 points, closed or not, of at least three distinct points; their
// edges are taken as straight in latitude and longitude, which for shapes the size of a region
// differs from the great circles by far less than a cell. A ring whose longitudes span more than
// 180° is taken to cross the antimeridian, as CAP and GeoJSON mean it.
func (a *Area) Polygon(outer []fireline.Point, holes [][]fireline.Point) ([]Cell, error) {
	if err := validRing(outer); err != nil {
		return nil, err
	}
	for _, h := range holes {
		if err := validRing(h); err != nil {
			return nil, err
		}
	}
	if len(a.cells) == 0 {
		return nil, nil
	}
	found := map[Cell]struct{}{}
	for _, shift := range []float64{0, 360, -360} {
		o := a.clip(unwrap(outer), shift)
		if len(o) < 3 {
			continue
		}
		poly := h3.GeoPolygon{GeoLoop: toLoop(o, shift)}
		for _, h := range holes {
			if hc := a.clip(unwrap(h), shift); len(hc) >= 3 {
				poly.Holes = append(poly.Holes, toLoop(hc, shift))
			}
		}
		cells, err := h3.PolygonToCells(poly, a.res)
		if err != nil {
			return nil, fmt.Errorf("geo: polygon to cells: %w", err)
		}
		for _, c := range cells {
			if c != 0 && a.Contains(Cell(c)) {
				found[Cell(c)] = struct{}{}
			}
		}
	}
	if len(found) == 0 {
		for _, p := range outer {
			if c, err := CellOf(p, a.res); err == nil && a.Contains(c) {
				found[c] = struct{}{}
			}
		}
	}
	out := make([]Cell, 0, len(found))
	for c := range found {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

// CircleVertices is how many vertices Circle gives the polygon that stands for a circle: the
// polygon lies inside the circle and reaches 99.5% of its radius between vertices, far closer
// than a cell.
const CircleVertices = 32

// MaxCircleMeters bounds a circle's radius: 2,000 km is already a country; beyond it the
// polygon of a circle on the sphere stops looking like one.
const MaxCircleMeters = 2_000_000

// Circle returns, sorted, the cells of the area that a circle of radius metres around center
// covers: those whose centre lies in a polygon of CircleVertices points on the circle or, for a
// circle that holds no cell centre (a radius of 0 is a point), the centre's cell.
func (a *Area) Circle(center fireline.Point, radiusMeters float64) ([]Cell, error) {
	if err := validVertex(center); err != nil {
		return nil, err
	}
	if !(radiusMeters >= 0 && radiusMeters <= MaxCircleMeters) {
		return nil, fireline.Errorf(fireline.EINVALID, "circle radius %v m is outside 0..%d", radiusMeters, MaxCircleMeters)
	}
	var out []Cell
	if radiusMeters > 0 {
		ring := make([]fireline.Point, CircleVertices)
		for i := range ring {
			ring[i] = Destination(center, 360*float64(i)/CircleVertices, radiusMeters)
		}
		var err error
		if out, err = a.Polygon(ring, nil); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if c, err := CellOf(center, a.res); err == nil && a.Contains(c) {
		return []Cell{c}, nil
	}
	return nil, nil
}

// Destination returns the point reached from p going distance metres on the sphere along the
// initial bearing (degrees clockwise from north), with its longitude in -180..180.
func Destination(p fireline.Point, bearingDeg, meters float64) fireline.Point {
	const rad = math.Pi / 180
	d := meters / EarthRadiusMeters
	lat1, lng1, b := p.Lat*rad, p.Lng*rad, bearingDeg*rad
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(b))
	lng2 := lng1 + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	lng := math.Mod(lng2/rad+540, 360) - 180
	return fireline.Point{Lat: lat2 / rad, Lng: lng}
}

// validVertex checks a shape's point: any real position, (0, 0) included (it is in the Gulf of
// Guinea, and a shape's vertex, unlike a tracker's fix, has no "no fix" value).
func validVertex(p fireline.Point) error {
	switch {
	case math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lng, 0):
		return fireline.Errorf(fireline.EINVALID, "position is not a number")
	case p.Lat < -90 || p.Lat > 90:
		return fireline.Errorf(fireline.EINVALID, "lat %v is outside -90..90", p.Lat)
	case p.Lng < -180 || p.Lng > 180:
		return fireline.Errorf(fireline.EINVALID, "lng %v is outside -180..180", p.Lng)
	}
	return nil
}

func validRing(ring []fireline.Point) error {
	for _, p := range ring {
		if err := validVertex(p); err != nil {
			return err
		}
	}
	if n := DistinctPoints(ring, 3); n < 3 {
		return fireline.Errorf(fireline.EINVALID, "a polygon needs at least 3 distinct points, not %d", n)
	}
	return nil
}

// DistinctPoints counts the distinct points of ring, stopping at enough: a ring of thousands of
// points costs one pass.
func DistinctPoints(ring []fireline.Point, enough int) int {
	var seen []fireline.Point
	for _, p := range ring {
		if !slices.Contains(seen, p) {
			if seen = append(seen, p); len(seen) >= enough {
				break
			}
		}
	}
	return len(seen)
}

// unwrap returns ring with longitudes made continuous: a ring spanning more than 180° of
// longitude crosses the antimeridian, so its western longitudes move up by 360 and it lies in
// 0..360 instead.
func unwrap(ring []fireline.Point) []fireline.Point {
	lo, hi := 180.0, -180.0
	for _, p := range ring {
		lo, hi = min(lo, p.Lng), max(hi, p.Lng)
	}
	if hi-lo <= 180 {
		return ring
	}
	out := make([]fireline.Point, len(ring))
	for i, p := range ring {
		if p.Lng < 0 {
			p.Lng += 360
		}
		out[i] = p
	}
	return out
}

// clip returns ring clipped to the area's bounding box moved by shift degrees of longitude
// (Sutherland–Hodgman: a convex clip window takes any simple ring), without the closing point.
// A concave ring may come back with zero-width slivers along the box's edges, which contain no
// cell centre.
func (a *Area) clip(ring []fireline.Point, shift float64) []fireline.Point {
	pts := ring
	if n := len(pts); n > 1 && pts[0] == pts[n-1] {
		pts = pts[:n-1]
	}
	minLng, maxLng := a.minLng+shift, a.maxLng+shift
	edges := []struct {
		inside func(fireline.Point) bool
		cut    func(p, q fireline.Point) fireline.Point
	}{
		{func(p fireline.Point) bool { return p.Lng >= minLng }, func(p, q fireline.Point) fireline.Point { return atLng(p, q, minLng) }},
		{func(p fireline.Point) bool { return p.Lng <= maxLng }, func(p, q fireline.Point) fireline.Point { return atLng(p, q, maxLng) }},
		{func(p fireline.Point) bool { return p.Lat >= a.minLat }, func(p, q fireline.Point) fireline.Point { return atLat(p, q, a.minLat) }},
		{func(p fireline.Point) bool { return p.Lat <= a.maxLat }, func(p, q fireline.Point) fireline.Point { return atLat(p, q, a.maxLat) }},
	}
	for _, e := range edges {
		if len(pts) == 0 {
			return nil
		}
		var out []fireline.Point
		prev := pts[len(pts)-1]
		for _, cur := range pts {
			switch in, prevIn := e.inside(cur), e.inside(prev); {
			case in && prevIn:
				out = append(out, cur)
			case in:
				out = append(out, e.cut(prev, cur), cur)
			case prevIn:
				out = append(out, e.cut(prev, cur))
			}
			prev = cur
		}
		pts = out
	}
	return pts
}

func atLng(p, q fireline.Point, lng float64) fireline.Point {
	t := (lng - p.Lng) / (q.Lng - p.Lng)
	return fireline.Point{Lat: p.Lat + t*(q.Lat-p.Lat), Lng: lng}
}

func atLat(p, q fireline.Point, lat float64) fireline.Point {
	t := (lat - p.Lat) / (q.Lat - p.Lat)
	return fireline.Point{Lat: lat, Lng: p.Lng + t*(q.Lng-p.Lng)}
}

// toLoop converts a clipped ring back from the shifted frame to h3's.
func toLoop(ring []fireline.Point, shift float64) h3.GeoLoop {
	loop := make(h3.GeoLoop, len(ring))
	for i, p := range ring {
		loop[i] = h3.NewLatLng(p.Lat, p.Lng-shift)
	}
	return loop
}
