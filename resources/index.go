// Package resources decides what to send: a live index of available units searched ring by
// ring on the H3 grid, and a recommender that fills a response plan with the fastest of them.
package resources

import (
	"cmp"
	"fmt"
	"math"
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
	// atFix and atHome are the entry's slots; atHome is set only when it can fall back.
	atFix, atHome slot
	// where[i][0] and where[i][1] are the positions of atFix and atHome in their buckets at
	// level i, so that removing a unit costs the same in a crowded bucket as in an empty one.
	where [3][2]int
}

// slot is one place an entry sits in a cell list: at its fix (home false) or at its home
// station (home true). A unit that can fall back sits in both lists, and a search counts it only
// at the one its fix's age picks at the query's time: a fix goes stale while nobody reports, so
// staleness is decided when a search runs, never when a unit is stored.
//
// A slot copies what a search needs to rule its unit out, so that searches read cell lists
// front to back and follow the pointer to the entry (a cache miss, and a copy of the whole unit
// for accept) only for units that may be among the k nearest.
type slot struct {
	e *entry
	// v is the point the unit is searched at here, its position or its home station's.
	v geo.Vector
	// fixAt is the time of the unit's AVL fix when it can fall back (fallback), else zero.
	fixAt          time.Time
	home, fallback bool
}

// bucket holds the slots of one cell, and what lets a search skip the cell without reading
// them: every slot's point lies within reach of ref, so by the triangle inequality no slot is
// nearer a query than the chord to ref less reach.
type bucket struct {
	slots []slot
	// ref is the point of the bucket's first slot. reach is the chord from ref to the farthest
	// slot the bucket has held, widened by reachMargin for rounding; it never shrinks while the
	// bucket lives (a bound for the slots that left is a bound for those that stay), and all
	// its slots lie in one cell, so it stays below the cell's width.
	ref   geo.Vector
	reach float64
}

// reachMargin widens a bucket's reach for rounding: about 6 µm on the Earth, many orders of
// magnitude above the error of a chord.
const reachMargin = 1e-12

func (b *bucket) add(s slot) {
	b.reach = max(b.reach, b.ref.Chord(s.v)+reachMargin)
	b.slots = append(b.slots, s)
}

// counted reports whether a search at now counts the unit at this slot: the same decision as
// Index.atHome, without reading the entry.
func (s *slot) counted(now time.Time, staleAfter time.Duration) bool {
	return s.home == (s.fallback && now.Sub(s.fixAt) > staleAfter)
}

// Index holds the units available for dispatch, keyed by H3 cell, and answers nearest-unit
// queries exactly (the same answer as scanning every unit at its placed position). It is safe
// for concurrent use: status and position changes arrive from the change feed while
// recommendations search.
type Index struct {
	// scanBelow is the unit count up to which a scan of every unit beats walking rings: about
	// 10 ns a unit, so at most ~5 µs. At 1,000 units the rings are already faster
	// (BENCHMARKS.md). Tests lower it to exercise the rings on small sets.
	scanBelow int
	// now is the clock that ages AVL fixes; staleAfter is how old a fix may grow before the
	// unit is taken to be at its home station.
	now        func() time.Time
	staleAfter time.Duration

	mu    sync.RWMutex
	units map[string]*entry
	// cells[i] maps a cell of searchLevels()[i].res to the units inside it.
	cells [3]map[geo.Cell]*bucket
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
	x := &Index{scanBelow: 512, now: time.Now, staleAfter: fireline.DefaultStaleAfter, units: map[string]*entry{}}
	for i := range x.cells {
		x.cells[i] = map[geo.Cell]*bucket{}
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
	e.atFix = slot{e: e, v: geo.VectorOf(u.Point)}
	if e.fallback {
		e.atFix.fixAt, e.atFix.fallback = *u.PositionAt, true
		e.atHome = slot{e: e, v: geo.VectorOf(*u.Home), fixAt: *u.PositionAt, home: true, fallback: true}
	}
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
	x.units, x.cells = fresh.units, fresh.cells
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
	all := make([]found, 0, len(x.units))
	for _, e := range x.units {
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
	for i, c := range e.cells {
		x.place(i, c, e.atFix)
		if e.fallback {
			x.place(i, e.homeCells[i], e.atHome)
		}
	}
}

// place adds s to the bucket of cell c at level i, making the bucket if the cell had none; the
// caller holds the write lock.
func (x *Index) place(i int, c geo.Cell, s slot) {
	b := x.cells[i][c]
	if b == nil {
		b = &bucket{ref: s.v}
		x.cells[i][c] = b
	}
	b.add(s)
	s.e.where[i][slotSide(s.home)] = len(b.slots) - 1
}

func slotSide(home bool) int {
	if home {
		return 1
	}
	return 0
}

// remove drops the unit with the given id; the caller holds the write lock. Empty cells are
// deleted so the maps do not grow with every cell a unit ever parked in.
func (x *Index) remove(id string) {
	e, ok := x.units[id]
	if !ok {
		return
	}
	delete(x.units, id)
	for i, c := range e.cells {
		x.unslot(i, c, e, false)
		if e.fallback {
			x.unslot(i, e.homeCells[i], e, true)
		}
	}
}

// unslot removes e's slot, at home or not, from the list of cell c at level i; the caller
// holds the write lock.
func (x *Index) unslot(i int, c geo.Cell, e *entry, home bool) {
	b := x.cells[i][c]
	if b == nil {
		return
	}
	list := b.slots
	j := e.where[i][slotSide(home)]
	last := list[len(list)-1]
	list[j] = last
	last.e.where[i][slotSide(last.home)] = j
	list[len(list)-1] = slot{}
	b.slots = list[:len(list)-1]
	if len(b.slots) == 0 {
		delete(x.cells[i], c)
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
	q := &search{p: p, v: geo.VectorOf(p), k: k, accept: accept, best: make([]found, 0, k)}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.units) == 0 {
		return []Candidate{}, nil
	}
	if len(x.units) <= x.scanBelow {
		x.scan(q, now)
		return x.candidates(q.best, now), nil
	}
	start, err := x.startLevel(p, k)
	if err != nil {
		return nil, err
	}
	for i, l := range searchLevels() {
		if i < start {
			continue
		}
		done, err := x.searchRings(q, now, i, l)
		if err != nil {
			return nil, err
		}
		if done {
			return x.candidates(q.best, now), nil
		}
	}
	x.scan(q, now)
	return x.candidates(q.best, now), nil
}

// denseUnitsPerK and sparseUnitsPerK are how many units per unit asked for, within one ring
// of cells around the scene, make a level worth starting at. A ring search pays for every cell
// it walks (a ring from h3, a map look-up: about 100 ns) and a few nanoseconds for every unit
// it reads (a chord against the k-th found). So resolution 9 pays off only where its first
// rings hold plenty of units (denseUnitsPerK around the scene at resolution 7, about 36 km²);
// where even resolution 7 holds fewer than sparseUnitsPerK, a resolution-7 search walks a
// dozen rings of mostly empty country, and resolution 5 answers from a few cells, provided
// they hold no more than denseUnitsPerK units to read. The figures are the best of those
// tried on the benchmark layouts (BENCHMARKS.md).
const (
	denseUnitsPerK  = 300
	sparseUnitsPerK = 3
)

// startLevel picks the finest search level worth trying at p: resolution 9 where units are
// dense around it, resolution 5 where they are sparse both around it and in the 1,750 km²
// beyond (no town whose units a coarse search would have to read), else resolution 7. It only
// affects speed: every level answers exactly.
func (x *Index) startLevel(p fireline.Point, k int) (int, error) {
	n7, err := x.unitsAround(p, 1)
	if err != nil {
		return 0, err
	}
	if n7 >= denseUnitsPerK*k {
		return 0, nil
	}
	if n7 >= sparseUnitsPerK*k {
		return 1, nil
	}
	n5, err := x.unitsAround(p, 2)
	if err != nil {
		return 0, err
	}
	if n5 < denseUnitsPerK*k {
		return 2, nil
	}
	return 1, nil
}

// unitsAround counts the slots in the cell of p and its neighbours at level i.
func (x *Index) unitsAround(p fireline.Point, i int) (int, error) {
	c, err := geo.CellOf(p, searchLevels()[i].res)
	if err != nil {
		return 0, err
	}
	disk, err := geo.Disk(c, 1)
	if err != nil {
		return 0, fmt.Errorf("resources: density probe: %w", err)
	}
	n := 0
	for _, d := range disk {
		if b := x.cells[i][d]; b != nil {
			n += len(b.slots)
		}
	}
	return n, nil
}

// search is one Nearest query and the best units it has found so far.
type search struct {
	p      fireline.Point
	v      geo.Vector // p's
	k      int
	accept func(fireline.Unit) bool
	best   []found
	// bound is geo.ChordBound of the k-th best distance once k units are found: a unit whose
	// squared chord to p exceeds it cannot be among the k nearest. chord is its square root.
	bound, chord float64
}

// reset forgets what the search found, to start again at another level.
func (q *search) reset() {
	q.best, q.bound, q.chord = q.best[:0], 0, 0
}

// consider keeps the unit at s if accept takes it and it is among the k nearest so far. The
// chord test first rules out, for a few multiplications, every unit farther than the k-th.
func (q *search) consider(s *slot) {
	if len(q.best) == q.k && q.v.ChordSquared(s.v) > q.bound {
		return
	}
	if !q.accept(s.e.unit) {
		return
	}
	q.best = keep(q.best, found{s.e, s.home, geo.DistanceMeters(q.p, s.e.point(s.home))}, q.k)
	if len(q.best) == q.k {
		q.bound = geo.ChordBound(q.best[q.k-1].d)
		q.chord = math.Sqrt(q.bound)
	}
}

// beyond reports whether every unit of b is provably farther than the k-th found, so the
// search may skip b's slots, the same units consider would rule out one by one.
func (q *search) beyond(b *bucket) bool {
	if len(q.best) < q.k {
		return false
	}
	limit := q.chord + b.reach
	return q.v.ChordSquared(b.ref) > limit*limit
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

// searchRings walks rings of level l's cells outward from the query's point, finding into q.
// It is done, with the exact answer in q.best, once it holds k units and every unexamined cell
// is provably farther than the k-th (geo.LowerBoundMeters), or once it has examined every unit.
// Otherwise it gives up after l.maxRings rings and the caller retries at a coarser level.
func (x *Index) searchRings(q *search, now time.Time, li int, l level) (bool, error) {
	q.reset()
	origin, err := geo.CellOf(q.p, l.res)
	if err != nil {
		return false, err
	}
	cells := x.cells[li]
	// examined counts the units read; once it reaches every unit the search is done, unless it
	// skipped buckets, whose units it did not count.
	examined, skipped := 0, false
	for ring := 0; ; ring++ {
		if examined == len(x.units) && !skipped {
			return true, nil
		}
		if len(q.best) == q.k && geo.LowerBoundMeters(l.res, ring) > q.best[q.k-1].d {
			return true, nil
		}
		if ring > l.maxRings {
			return false, nil
		}
		ringCells, err := geo.Ring(origin, ring)
		if err != nil {
			return false, fmt.Errorf("resources: search ring %d: %w", ring, err)
		}
		for _, c := range ringCells {
			b := cells[c]
			if b == nil {
				continue
			}
			if q.beyond(b) {
				skipped = true
				continue
			}
			for j := range b.slots {
				if !b.slots[j].counted(now, x.staleAfter) {
					continue // the unit is counted at its other place
				}
				examined++
				q.consider(&b.slots[j])
			}
		}
	}
}

// scan is the brute-force answer, for small indexes and searches no ring level could settle.
// It reads the coarsest level's cell lists, which hold every unit in few, contiguous lists.
func (x *Index) scan(q *search, now time.Time) {
	q.reset()
	for _, b := range x.cells[len(x.cells)-1] {
		if q.beyond(b) {
			continue
		}
		for j := range b.slots {
			if b.slots[j].counted(now, x.staleAfter) {
				q.consider(&b.slots[j])
			}
		}
	}
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
