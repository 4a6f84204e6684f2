package geo

import (
	"fmt"
	"math"

	"github.com/fireline/fireline"
	"github.com/uber/h3-go/v4"
)

// Bounds of DiskAround's radius: a public alert's area is at least a block (100 m) and at most
// a district (20 km); a wider warning is a regional authority's, not a command centre's.
const (
	MinDiskRadius = 100
	MaxDiskRadius = 20_000
)

// maxDiskRings keeps a disk's outline short: 8 rings trace about 50 hexagon sides a side of the
// disk, some 300 points, which every CAP reader takes.
const maxDiskRings = 8

// DiskAround returns the cells of an H3 disk around p that covers every point within radiusM
// metres of it: k rings around p's cell at the finest resolution (9 at most, the incidents'
// own) that reaches radiusM in at most eight rings. Its outline (Outline) is a public alert's
// area; a disk has no holes and is one piece, so its outline is one ring.
func DiskAround(p fireline.Point, radiusM float64) ([]Cell, error) {
	if math.IsNaN(radiusM) || radiusM < MinDiskRadius || radiusM > MaxDiskRadius {
		return nil, fireline.Errorf(fireline.EINVALID, "radius %v m is outside %d..%d m", radiusM, MinDiskRadius, MaxDiskRadius)
	}
	for res := Resolution; res >= 0; res-- {
		c, err := CellOf(p, res)
		if err != nil {
			return nil, err
		}
		// The edge of a regular hexagon of the cell's own area: cells differ by a factor of
		// two across the globe, so a global average would misjudge the rings needed here.
		a, err := c.AreaM2()
		if err != nil {
			return nil, err
		}
		edge := math.Sqrt(2 * a / (3 * math.Sqrt(3)))
		// A disk of k rings reaches at least about 1.5·k edges from its centre cell's centre
		// (the inner corners of its outline), less where the projection shrinks the cells:
		// take 1.4; p lies within one edge of that centre.
		k := int(math.Ceil((radiusM + edge) / (1.4 * edge)))
		if res < Resolution {
			// At a coarser resolution than the incident's, the centre cell alone may not hold
			// the incident's cell centre.
			k = max(k, 1)
		}
		if k > maxDiskRings {
			continue
		}
		return Disk(c, k)
	}
	return nil, fireline.Errorf(fireline.EINVALID, "radius %v m: no resolution reaches it", radiusM)
}

// Outline returns the outer boundary of a set of cells of one resolution as one closed ring of
// WGS-84 points (the first point repeated last, at least four points), counter-clockwise, as
// CAP's polygon and GeoJSON want it. Holes are left out: the outline encloses them. Cells that
// are not one connected piece are refused, since they have no single outline.
func Outline(cells []Cell) ([]fireline.Point, error) {
	if len(cells) == 0 {
		return nil, fireline.Errorf(fireline.EINVALID, "outline: no cells")
	}
	hs := make([]h3.Cell, len(cells))
	for i, c := range cells {
		if !c.Valid() {
			return nil, fireline.Errorf(fireline.EINVALID, "outline: cell %s is not an H3 cell", c)
		}
		if c.Resolution() != cells[0].Resolution() {
			return nil, fireline.Errorf(fireline.EINVALID, "outline: cell %s has resolution %d, not %d", c, c.Resolution(), cells[0].Resolution())
		}
		hs[i] = h3.Cell(c)
	}
	polys, err := h3.CellsToMultiPolygon(hs)
	if err != nil {
		return nil, fmt.Errorf("geo: outline of %d cells: %w", len(cells), err)
	}
	if len(polys) != 1 {
		return nil, fireline.Errorf(fireline.EINVALID, "outline: the cells make %d separate pieces, not one", len(polys))
	}
	loop := polys[0].GeoLoop
	ring := make([]fireline.Point, 0, len(loop)+1)
	for _, ll := range loop {
		ring = append(ring, fireline.Point{Lat: ll.Lat, Lng: ll.Lng})
	}
	if len(ring) < 3 {
		return nil, fmt.Errorf("geo: outline of %d cells has %d vertices", len(cells), len(ring))
	}
	if ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	return ring, nil
}
