// Package resources decides what to send: a live index of available units searched ring by
// ring on the H3 grid, and a recommender that fills a response plan with the fastest of them.
package resources

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

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
	// Unit is the unit as placed at the query's time (fireline.Unit.Placed): when its AVL fix
	// was stale, Point is its home station's and PositionSource says so.
	Unit           fireline.Unit
	DistanceMeters float64
	// PositionStale is true when the unit's AVL fix was older than the index's stale limit.
	PositionStale bool
	// PositionAge is the age of the unit's AVL fix at the query's time, 0 without a fix.
	PositionAge time.Duration
}

// entry is one searchable unit and its cells, one per search level.
type entry struct {
	unit  fireline.Unit
	cells [3]geo.Cell
	// fallback is set for a unit with an AVL fix and a home station: once the fix is stale the
	// unit is searched at homeCells, the cells of *unit.Home, instead of cells.
	fallback  bool
	homeCells [3]geo.Cell
	pos       int // in Index.all
}

// slot is one place an entry sits in a cell list: at its fix (home false) or at its home
// station (home true). A unit that can fall back sits in both lists, and a search counts it only
// at the one its fix's age picks at the query's time: a fix goes stale while nobody reports, so
// staleness is decided when a search runs, never when a unit is stored.
type slot struct {
	*entry
	home bool
}

// Index holds the units available for dispatch, keyed by H3 cell, and answers nearest-unit
// queries exactly (the same answer as scanning every unit at its placed position). It is safe
// for concurrent use: status and position changes arrive from the change feed while
// recommendations search.
type Index struct {
	// scanBelow is the unit count up to which a scan of every unit beats walking rings: about
	// 15 ns a unit, so at most ~15 µs. Tests lower it to exercise the rings on small sets.
	scanBelow int
	// now is the clock that ages AVL fixes; staleAfter is how old a fix may grow before the
	// unit is taken to be at its home station.
	now        func() time.Time
	staleAfter time.Duration

	mu    sync.RWMutex
	units map[string]*entry
	// all holds the entries of units again, as a slice because scans over a map are slow.
	all []*entry
	// cells[i] maps a cell of searchLevels()[i].res to the units inside it.
	cells [3]map[geo.Cell][]slot
}

// IndexOption configures an Index.
type IndexOption func(*Index)

// WithClock replaces time.Now as the clock that ages AVL fixes; tests pass their own.
func WithClock(now func() time.Time) IndexOption {
	return func(x *Index) { x.now = now }
}

// WithStaleAfter replaces fireline.DefaultStaleAfter as the age past which a unit's AVL fix is
// stale and the unit is searched at its home station.
func WithStaleAfter(d time.Duration) IndexOption {
	return func(x *Index) { x.staleAfter = d }
}

// NewIndex returns an empty index.
func NewIndex(opts ...IndexOption) *Index {
	x := &Index{scanBelow: 1024, now: time.Now, staleAfter: fireline.DefaultStaleAfter, units: map[string]*entry{}}
	for i := range x.cells {
		x.cells[i] = map[geo.Cell][]slot{}
	}
	for _, o := range opts {
		o(x)
	}
	return x
}

// atHome reports whether the entry is searched at its home station at now.
func (x *Index) atHome(e *entry, now time.Time) bool {
	return e.fallback && e.unit.FixStale(now, x.staleAfter)
}

// point is where the entry is searched when at home or not.
func (e *entry) point(home bool) fireline.Point {
	if home {
		return *e.unit.Home
	}
	return e.unit.Point
}

// searchable reports whether u may be recommended: available, not tied to an incident and not
// retired. All are checked because the status and the incident link may change in separate
// updates, and a retired unit must never be sent whatever its row says.
func searchable(u fireline.Unit) bool {
	return u.Status == fireline.UnitAvailable && u.IncidentID == 0 && u.RetiredAt == nil
}

// newEntry places u on the grid: at its position and, when it has an AVL fix that can go stale
// and a home station to fall back to, at its home station too. Units that are not searchable
// need no position.
func newEntry(u fireline.Unit) (*entry, error) {
	if u.ID == "" {
		return nil, fireline.Errorf(fireline.EINVALID, "unit without an id")
	}
	if !searchable(u) {
		return nil, nil
	}
	e := &entry{unit: u, fallback: u.PositionAt != nil && u.Home != nil}
	for i, l := range searchLevels() {
		c, err := geo.CellOf(u.Point, l.res)
		if err != nil {
			return nil, fmt.Errorf("resources: unit %s: %w", u.ID, err)
		}
		e.cells[i] = c
		if e.fallback {
			if e.homeCells[i], err = geo.CellOf(*u.Home, l.res); err != nil {
				return nil, fmt.Errorf("resources: unit %s: home station: %w", u.ID, err)
			}
		}
	}
	// Cell is documented as the resolution-9 cell of Point; keep the two consistent.
	e.unit.Cell = e.cells[0].String()
	return e, nil
}

// Replace rebuilds the index from a full list of units, keeping the searchable ones. It is
// all or nothing: a unit without an id, a duplicate id or an available unit without a valid
// position (or home station position) leaves the index as it was.
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

// Available returns every searchable unit for which accept returns true (nil accepts all), placed
// as Nearest places it at the index's clock's time, sorted by id; DistanceMeters is 0. accept
// runs under the index's read lock and must not call the index.
func (x *Index) Available(accept func(fireline.Unit) bool) []Candidate {
	now := x.now()
	x.mu.RLock()
	all := make([]found, 0, len(x.all))
	for _, e := range x.all {
		if accept == nil || accept(e.unit) {
			all = append(all, found{e: e, home: x.atHome(e, now)})
		}
	}
	out := x.candidates(all, now)
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b Candidate) int { return cmp.Compare(a.Unit.ID, b.Unit.ID) })
	return out
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
		x.cells[i][c] = append(x.cells[i][c], slot{e, false})
		if e.fallback {
			h := e.homeCells[i]
			x.cells[i][h] = append(x.cells[i][h], slot{e, true})
		}
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
		x.unslot(i, c, slot{e, false})
		if e.fallback {
			x.unslot(i, e.homeCells[i], slot{e, true})
		}
	}
}

// unslot removes s from the list of cell c at level i; the caller holds the write lock.
func (x *Index) unslot(i int, c geo.Cell, s slot) {
	list := x.cells[i][c]
	if j := slices.Index(list, s); j >= 0 {
		list[j] = list[len(list)-1]
		list[len(list)-1] = slot{}
		list = list[:len(list)-1]
	}
	if len(list) == 0 {
		delete(x.cells[i], c)
	} else {
		x.cells[i][c] = list
	}
}

// Nearest returns up to k searchable units for which accept returns true (nil accepts all),
// nearest to p first, ties broken by unit id, so the answer is exactly that of sorting every
// accepted unit, placed as fireline.Unit.Placed places it at the index's clock's time, by
// (distance, id). accept sees the unit as stored; it runs under the index's read lock and must
// not call the index.
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
	now := x.now()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.units) == 0 {
		return []Candidate{}, nil
	}
	if len(x.units) <= x.scanBelow {
		return x.candidates(x.scan(p, k, accept, now), now), nil
	}
	start, err := x.startLevel(p)
	if err != nil {
		return nil, err
	}
	for i, l := range searchLevels() {
		if i < start {
			continue
		}
		best, done, err := x.searchRings(p, k, accept, now, i, l)
		if err != nil {
			return nil, err
		}
		if done {
			return x.candidates(best, now), nil
		}
	}
	return x.candidates(x.scan(p, k, accept, now), now), nil
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

// found is a unit under consideration, whether it was placed at home, and its distance.
type found struct {
	e    *entry
	home bool
	d    float64
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
func (x *Index) searchRings(p fireline.Point, k int, accept func(fireline.Unit) bool, now time.Time, li int, l level) ([]found, bool, error) {
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
			for _, s := range cells[c] {
				if s.home != x.atHome(s.entry, now) {
					continue // the unit is counted at its other place
				}
				examined++
				if accept(s.unit) {
					best = keep(best, found{s.entry, s.home, geo.DistanceMeters(p, s.point(s.home))}, k)
				}
			}
		}
	}
}

// scan is the brute-force answer, for small indexes and searches no ring level could settle.
func (x *Index) scan(p fireline.Point, k int, accept func(fireline.Unit) bool, now time.Time) []found {
	best := make([]found, 0, k)
	for _, e := range x.all {
		if accept(e.unit) {
			home := x.atHome(e, now)
			best = keep(best, found{e, home, geo.DistanceMeters(p, e.point(home))}, k)
		}
	}
	return best
}

// candidates turns the search's finds into answers, each unit placed as it was searched.
func (x *Index) candidates(best []found, now time.Time) []Candidate {
	out := make([]Candidate, len(best))
	for i, f := range best {
		u, stale := f.e.unit.Placed(now, x.staleAfter)
		if f.home {
			u.Cell = f.e.homeCells[0].String()
		}
		c := Candidate{Unit: u, DistanceMeters: f.d, PositionStale: stale}
		if u.PositionAt != nil {
			c.PositionAge = now.Sub(*u.PositionAt)
		}
		out[i] = c
	}
	return out
}
