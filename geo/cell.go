// Package geo places Fireline on the H3 grid and measures distance and travel time.
//
// It is the only importer of github.com/uber/h3-go: everything it exports speaks Cell (its own
// type) and fireline.Point, so no h3 type leaks into the domain, the API or the index.
package geo

import (
	"fmt"
	"strconv"

	"github.com/fireline/fireline"
	"github.com/uber/h3-go/v4"
)

// Resolution is the H3 resolution of incident, alarm and unit cells. Resolution-9 hexagons have
// edges of about 175 m (0.1 km² each): small enough that "same or neighbouring cell" means the
// same block, large enough that a city of units fits a small map.
const Resolution = 9

// MaxNeighbourK bounds the grid distance NeighbourCells accepts. Ten rings at resolution 9 reach
// about 3 km and 331 cells; anything wider is a different question than "what is next to this".
const MaxNeighbourK = 10

// Cell is an H3 cell index. It is printed and parsed as lowercase hex, as h3 prints it, which is
// also how cells travel in JSON and sit in PostgreSQL.
type Cell uint64

// CellOf returns the cell of resolution res (0..15) that contains p.
func CellOf(p fireline.Point, res int) (Cell, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if err := validResolution(res); err != nil {
		return 0, err
	}
	c, err := h3.LatLngToCell(h3.NewLatLng(p.Lat, p.Lng), res)
	if err != nil {
		return 0, fmt.Errorf("geo: cell of %s: %w", p, err)
	}
	return Cell(c), nil
}

// ParseCell parses the hex form of a cell (as String prints it; a 0x prefix and upper case are
// accepted) and rejects anything that is not a valid H3 cell.
func ParseCell(s string) (Cell, error) {
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	// Parse ourselves: h3.IndexFromString turns a syntax error into 0 silently.
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || !h3.Cell(v).IsValid() {
		return 0, fireline.Errorf(fireline.EINVALID, "cell %q is not an H3 cell", s)
	}
	return Cell(v), nil
}

// String returns c as lowercase hex without a prefix, e.g. "8931aa0a693ffff".
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// MarshalText encodes c as its hex string, so cells go to JSON as strings, never as numbers
// that JavaScript would round.
func (c Cell) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes the hex form of a cell and rejects invalid ones.
func (c *Cell) UnmarshalText(text []byte) error {
	v, err := ParseCell(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Valid reports whether c is a valid H3 cell (hexagon or pentagon).
func (c Cell) Valid() bool { return h3.Cell(c).IsValid() }

// Resolution returns the resolution of c (0..15); meaningless for an invalid cell.
func (c Cell) Resolution() int { return h3.Cell(c).Resolution() }

// Pentagon reports whether c is one of the twelve pentagons of its resolution.
func (c Cell) Pentagon() bool { return h3.Cell(c).IsPentagon() }

// Parent returns the cell of the coarser resolution res that contains c.
func (c Cell) Parent(res int) (Cell, error) {
	if err := validResolution(res); err != nil {
		return 0, err
	}
	if !c.Valid() {
		return 0, fireline.Errorf(fireline.EINVALID, "cell %s is not an H3 cell", c)
	}
	if res > c.Resolution() {
		return 0, fireline.Errorf(fireline.EINVALID, "resolution %d is finer than cell %s (resolution %d)", res, c, c.Resolution())
	}
	p, err := h3.Cell(c).Parent(res)
	if err != nil {
		return 0, fmt.Errorf("geo: parent of %s: %w", c, err)
	}
	return Cell(p), nil
}

// Center returns the centre of c.
func (c Cell) Center() (fireline.Point, error) {
	ll, err := h3.Cell(c).LatLng()
	if err != nil {
		return fireline.Point{}, fmt.Errorf("geo: centre of %s: %w", c, err)
	}
	return fireline.Point{Lat: ll.Lat, Lng: ll.Lng}, nil
}

// AreaM2 returns the area of c in square metres (cells of one resolution differ by up to a factor
// of two across the globe, little within a city).
func (c Cell) AreaM2() (float64, error) {
	a, err := h3.CellAreaM2(h3.Cell(c))
	if err != nil {
		return 0, fmt.Errorf("geo: area of %s: %w", c, err)
	}
	return a, nil
}

// Boundary returns the vertices of c, counter-clockwise; a pentagon or a cell crossing an
// icosahedron edge may have more than six.
func (c Cell) Boundary() ([]fireline.Point, error) {
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil, fmt.Errorf("geo: boundary of %s: %w", c, err)
	}
	out := make([]fireline.Point, len(b))
	for i, ll := range b {
		out[i] = fireline.Point{Lat: ll.Lat, Lng: ll.Lng}
	}
	return out, nil
}

// Disk returns every cell within grid distance k (≥ 0) of c, c included, in no particular order.
// Near a pentagon the disk has fewer cells than the 3k(k+1)+1 of a hexagon grid: h3 falls back
// to its slow, correct algorithm there and we drop the empty slots it leaves.
func Disk(c Cell, k int) ([]Cell, error) {
	if err := validK(k); err != nil {
		return nil, err
	}
	if !c.Valid() {
		return nil, fireline.Errorf(fireline.EINVALID, "cell %s is not an H3 cell", c)
	}
	cells, err := h3.GridDisk(h3.Cell(c), k)
	if err != nil {
		return nil, fmt.Errorf("geo: disk %d around %s: %w", k, c, err)
	}
	return fromH3(cells), nil
}

// Ring returns the hollow ring of cells at exactly grid distance k (≥ 0) from c; k = 0 is c
// itself. A hexagon ring has 6k cells, fewer when a pentagon distorts the grid.
func Ring(c Cell, k int) ([]Cell, error) {
	if err := validK(k); err != nil {
		return nil, err
	}
	if !c.Valid() {
		return nil, fireline.Errorf(fireline.EINVALID, "cell %s is not an H3 cell", c)
	}
	// h3's GridRing tries the fast walk and, when it meets a pentagon, falls back to filtering a
	// safe grid disk; if even that fails (it should not), filter the disk ourselves.
	cells, err := h3.GridRing(h3.Cell(c), k)
	if err == nil {
		return fromH3(cells), nil
	}
	rings, derr := h3.GridDiskDistancesSafe(h3.Cell(c), k)
	if derr != nil {
		return nil, fmt.Errorf("geo: ring %d around %s: %w", k, c, derr)
	}
	return fromH3(rings[k]), nil
}

// GridDistance returns the number of grid steps between a and b, which must have the same
// resolution. h3 cannot measure across some pentagon-distorted paths and then fails.
func GridDistance(a, b Cell) (int, error) {
	d, err := h3.GridDistance(h3.Cell(a), h3.Cell(b))
	if err != nil {
		return 0, fmt.Errorf("geo: grid distance %s to %s: %w", a, b, err)
	}
	return d, nil
}

// NeighbourCells returns the hex strings of every resolution-9 cell within grid distance k
// (0..MaxNeighbourK) of p's own cell, p's cell included. Intake uses it to find duplicate
// alarms in the same or neighbouring cells.
func NeighbourCells(p fireline.Point, k int) ([]string, error) {
	if k < 0 || k > MaxNeighbourK {
		return nil, fireline.Errorf(fireline.EINVALID, "neighbour distance %d is outside 0..%d", k, MaxNeighbourK)
	}
	c, err := CellOf(p, Resolution)
	if err != nil {
		return nil, err
	}
	cells, err := Disk(c, k)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cells))
	for i, n := range cells {
		out[i] = n.String()
	}
	return out, nil
}

// maxK keeps Disk and Ring from asking h3 for absurd allocations (a disk of k cells has
// 3k(k+1)+1 of them); 1000 rings is far wider than any search Fireline runs at any resolution.
const maxK = 1000

func validK(k int) error {
	if k < 0 || k > maxK {
		return fireline.Errorf(fireline.EINVALID, "grid distance %d is outside 0..%d", k, maxK)
	}
	return nil
}

func validResolution(res int) error {
	if res < 0 || res > 15 {
		return fireline.Errorf(fireline.EINVALID, "H3 resolution %d is outside 0..15", res)
	}
	return nil
}

func fromH3(cells []h3.Cell) []Cell {
	out := make([]Cell, 0, len(cells))
	for _, c := range cells {
		// h3 leaves zeros where a pentagon removed a cell; the wrapper prunes them, but an
		// unpruned zero must never reach a caller as a "cell".
		if c != 0 {
			out = append(out, Cell(c))
		}
	}
	return out
}
