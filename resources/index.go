// Package resources decides what to send: a live index of available units searched ring by
// ring on the H3 grid, and a recommender that fills a response plan with the fastest of them.
package resources

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// MaxNearest bounds the k of Nearest; the largest run card needs a few dozen units.
const MaxNearest = 1000

// level is one resolution the index keeps units at, and how many rings a search walks there
// before it gives up on that resolution and retries one coarser.
type level struct {
	res      int
	maxRings int
}

// searchLevels returns the resolutions searched, finest first. Twelve rings (469 cells) reach
// a distance bound of about 2 km at resolution 9, 15 km at resolution 7 and 110 km at
// resolution 5. A dense city centre answers at resolution 9; a rare unit type or a rural scene
// moves on to coarser cells, which skip empty country 49 and 2,401 fine cells at a time. Past
// all three, a scan of every unit answers. (A function, not a table: no package-level
// variables.)
func searchLevels() [3]level {
	return [3]level{{res: geo.Resolution, maxRings: 12}, {res: 7, maxRings: 12}, {res: 5, maxRings: 12}}
}

// Candidate is a unit found by Nearest and its great-circle distance to the query point.
type Candidate struct {
	Unit           fireline.Unit
	DistanceMeters float64
}

// entry is one searchable unit and its cells, one per search level.
type entry struct {
	unit  fireline.Unit
	cells [3]geo.Cell
	pos   int // in Index.all
}

// Index holds the units available for dispatch, keyed by H3 cell, and answers nearest-unit
// queries exactly (the same answer as scanning every unit). It is safe for concurrent use:
// status and position changes arrive from the change feed while recommendations search.
type Index struct {
	// scanBelow is the unit count up to which a scan of every unit beats walking rings: about
	// 15 ns a unit, so at most ~15 µs. Tests lower it to exercise the rings on small sets.
	scanBelow int

	mu    sync.RWMutex
	units map[string]*entry
	// all holds the entries of units again, as a slice because scans over a map are slow.
	all []*entry
	// cells[i] maps a cell of searchLevels()[i].res to the units inside it.
	cells [3]map[geo.Cell][]*entry
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	x := &Index{scanBelow: 1024, units: map[string]*entry{}}
	for i := range x.cells {
		x.cells[i] = map[geo.Cell][]*entry{}
	}
	return x
}

// searchable reports whether u may be recommended: available and not tied to an incident. Both
// are checked because the status and the incident link may change in separate updates.
func searchable(u fireline.Unit) bool {
	return u.Status == fireline.UnitAvailable && u.IncidentID == 0
}

// newEntry places u on the grid. Units that are not searchable need no position.
func newEntry(u fireline.Unit) (*entry, error) {
	if u.ID == "" {
		return nil, fireline.Errorf(fireline.EINVALID, "unit without an id")
	}
	if !searchable(u) {
		return nil, nil
	}
	e := &entry{unit: u}
	for i, l := range searchLevels() {
		c, err := geo.CellOf(u.Point, l.res)
		if err != nil {
			return nil, fmt.Errorf("resources: unit %s: %w", u.ID, err)
		}
		e.cells[i] = c
	}
	// Cell is documented as the resolution-9 cell of Point; keep the two consistent.
	e.unit.Cell = e.cells[0].String()
	return e, nil
}

// Replace rebuilds the index from a full list of units, keeping the searchable ones. It is
// all or nothing: a unit without an id, a duplicate id or an available unit without a valid
// position leaves the index as it was.
func (x *Index) Replace(units []fireline.Unit) error {
	fresh := NewIndex()
	seen := make(map[string]bool, len(units))
	for _, u := range units {
		if seen[u.ID] {
			return fireline.Errorf(fireline.EINVALID, "unit %s listed twice", u.ID)
		}
		seen[u.ID] = true
		e, err := newEntry(u)
		if err != nil {
			return err
		}
		if e != nil {
			fresh.add(e)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.units, x.all, x.cells = fresh.units, fresh.all, fresh.cells
	return nil
}

// Upsert records a change to one unit: a searchable unit is (re)placed at its position, any
// other (dispatched, out of service, tied to an incident) leaves the searchable set. An
// available unit with an invalid position is removed too, so a stale position never answers,
// and the error says why.
func (x *Index) Upsert(u fireline.Unit) error {
	e, err := newEntry(u)
	if err != nil && u.ID == "" {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(u.ID)
	if e != nil {
		x.add(e)
	}
	return err
}

// Remove drops the unit with the given id, if present.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
}

// Len returns the number of searchable units.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.units)
}

// add places e; the caller holds the write lock and has removed any entry with the same id.
func (x *Index) add(e *entry) {
	x.units[e.unit.ID] = e
	e.pos = len(x.all)
	x.all = append(x.all, e)
	for i, c := range e.cells {
		x.cells[i][c] = append(x.cells[i][c], e)
	}
}

// remove drops the unit with the given id; the caller holds the write lock. Empty cells are
// deleted so the maps do not grow with every cell a unit ever parked in.
func (x *Index) remove(id string) {
	e, ok := x.units[id]
	if !ok {
		return
	}
	delete(x.units, id)
	last := x.all[len(x.all)-1]
	x.all[e.pos], last.pos = last, e.pos
	x.all[len(x.all)-1] = nil
	x.all = x.all[:len(x.all)-1]
	for i, c := range e.cells {
		list := x.cells[i][c]
		if j := slices.Index(list, e); j >= 0 {
			list[j] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(x.cells[i], c)
		} else {
			x.cells[i][c] = list
		}
	}
}

// Nearest returns up to k searchable units for which accept returns true (nil accepts all),
// nearest to p first, ties broken by unit id, so the answer is exactly that of sorting every
// accepted unit by (distance, id). accept runs under the index's read lock and must not call
// the index.
func (x *Index) Nearest(p fireline.Point, k int, accept func(fireline.Unit) bool) ([]Candidate, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if k < 1 || k > MaxNearest {
		return nil, fireline.Errorf(fireline.EINVALID, "k %d is outside 1..%d", k, MaxNearest)
	}
	if accept == nil {
		accept = func(fireline.Unit) bool { return true }
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.units) == 0 {
		return []Candidate{}, nil
	}
	if len(x.units) <= x.scanBelow {
		return candidates(x.scan(p, k, accept)), nil
	}
	start, err := x.startLevel(p)
	if err != nil {
		return nil, err
	}
	for i, l := range searchLevels() {
		if i < start {
			continue
		}
		best, done, err := x.searchRings(p, k, accept, i, l)
		if err != nil {
			return nil, err
		}
		if done {
			return candidates(best), nil
		}
	}
	return candidates(x.scan(p, k, accept)), nil
}

// denseUnits is how many units within one resolution-7 ring of the scene (about 36 km²) make
// it worth starting at resolution 9. Below it a resolution-9 search mostly walks empty cells
// and gives up, while resolution 7 answers from a handful of coarse cells.
const denseUnits = 150

// startLevel picks the finest search level worth trying at p. It only affects speed: every
// level answers exactly.
func (x *Index) startLevel(p fireline.Point) (int, error) {
	c, err := geo.CellOf(p, searchLevels()[1].res)
	if err != nil {
		return 0, err
	}
	disk, err := geo.Disk(c, 1)
	if err != nil {
		return 0, fmt.Errorf("resources: density probe: %w", err)
	}
	n := 0
	for _, d := range disk {
		n += len(x.cells[1][d])
	}
	if n >= denseUnits {
		return 0, nil
	}
	return 1, nil
}

// found is a unit under consideration and its distance.
type found struct {
	e *entry
	d float64
}

func compareFound(a, b found) int {
	if c := cmp.Compare(a.d, b.d); c != 0 {
		return c
	}
	return cmp.Compare(a.e.unit.ID, b.e.unit.ID)
}

// keep inserts f into best, sorted and at most k long.
func keep(best []found, f found, k int) []found {
	if len(best) == k && compareFound(f, best[k-1]) >= 0 {
		return best
	}
	i, _ := slices.BinarySearchFunc(best, f, compareFound)
	if len(best) == k {
		best = best[:k-1]
	}
	return slices.Insert(best, i, f)
}

// searchRings walks rings of level l's cells outward from p's cell. It is done, with the exact
// answer, once it holds k units and every unexamined cell is provably farther than the k-th
// (geo.LowerBoundMeters), or once it has examined every unit. Otherwise it gives up after
// l.maxRings rings and the caller retries at a coarser level.
func (x *Index) searchRings(p fireline.Point, k int, accept func(fireline.Unit) bool, li int, l level) ([]found, bool, error) {
	origin, err := geo.CellOf(p, l.res)
	if err != nil {
		return nil, false, err
	}
	cells := x.cells[li]
	best := make([]found, 0, k)
	examined := 0
	for ring := 0; ; ring++ {
		if examined == len(x.units) {
			return best, true, nil
		}
		if len(best) == k && geo.LowerBoundMeters(l.res, ring) > best[k-1].d {
			return best, true, nil
		}
		if ring > l.maxRings {
			return nil, false, nil
		}
		ringCells, err := geo.Ring(origin, ring)
		if err != nil {
			return nil, false, fmt.Errorf("resources: search ring %d: %w", ring, err)
		}
		for _, c := range ringCells {
			for _, e := range cells[c] {
				examined++
				if accept(e.unit) {
					best = keep(best, found{e, geo.DistanceMeters(p, e.unit.Point)}, k)
				}
			}
		}
	}
}

// scan is the brute-force answer, for small indexes and searches no ring level could settle.
func (x *Index) scan(p fireline.Point, k int, accept func(fireline.Unit) bool) []found {
	best := make([]found, 0, k)
	for _, e := range x.all {
		if accept(e.unit) {
			best = keep(best, found{e, geo.DistanceMeters(p, e.unit.Point)}, k)
		}
	}
	return best
}

func candidates(best []found) []Candidate {
	out := make([]Candidate, len(best))
	for i, f := range best {
		out[i] = Candidate{Unit: f.e.unit, DistanceMeters: f.d}
	}
	return out
}
