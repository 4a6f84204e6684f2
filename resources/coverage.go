package resources

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// CoverageResolution is the H3 resolution of the coverage map: cells of about 5 km², each a
// few minutes' drive across, so a cell's centre stands for all of it within the target.
const CoverageResolution = 7

// Defaults of GridConfig.
const (
	// DefaultTargetSeconds is the NFPA 1710 travel-time target for the first engine.
	DefaultTargetSeconds = 240
	// DefaultServiceRadiusMeters reaches from a county seat's station to the county's edge, so
	// rural gaps show as gaps instead of falling off the map.
	DefaultServiceRadiusMeters = 25_000
	// DefaultStationRadiusMeters is the yard and GPS error, not the next street.
	DefaultStationRadiusMeters = 500
)

const (
	// maxServiceRadius keeps a typo from asking for a continent: 100 km around one station is
	// already some 6,000 cells.
	maxServiceRadius      = 100_000
	defaultGridCandidates = 3
)

// GridConfig configures a Grid. The zero value of each field means its default.
type GridConfig struct {
	// RadiusMeters draws the service area: every resolution-7 cell whose centre lies within
	// this great-circle distance of a station (default 25 km, at most 100 km). Stations, not a
	// city polygon, because they are the one geography every deployment has, and an area
	// nobody can reach in time is exactly the gap a supervisor needs to see.
	RadiusMeters float64
	// TargetSeconds is the travel time beyond which a cell is a gap (default 240 s).
	TargetSeconds float64
	// UnitType is the type whose coverage is measured (default engine: the first-due unit).
	UnitType fireline.UnitType
	// Estimator times the drives (default geo.DefaultTravelModel()). It must be safe for
	// concurrent use, as TravelModel and *geo.LearnedModel are.
	Estimator geo.Estimator
	// Weight returns the weight of a cell: population, risk or both (default 1 for every
	// cell). It is called once per cell by NewGrid and must return a finite number ≥ 0; new
	// weights mean a new Grid.
	Weight func(cell geo.Cell, center fireline.Point) float64
	// StationRadiusMeters is how close to a station an available unit must be to stand by
	// there, for move-ups (default 500 m).
	StationRadiusMeters float64
	// Candidates is how many units nearest by distance are timed for each cell (default 3):
	// a learned model is not monotonic in distance, so the nearest may not be the fastest.
	Candidates int
}

// Grid is the service area of a set of stations on the resolution-7 H3 grid, and the rules it
// is measured by. It answers the coverage map and move-up suggestions. It is immutable after
// NewGrid and safe for concurrent use.
type Grid struct {
	cfg      GridConfig
	stations []fireline.Station // sorted by id
	cells    []gridCell         // sorted by cell
	weight   float64            // total

	areaOnce sync.Once
	area     *geo.Area
	areaErr  error
}

// gridCell is one cell of the service area.
type gridCell struct {
	cell   geo.Cell
	hex    string
	center fireline.Point
	weight float64
}

// NewGrid returns the service area around stations under cfg.
func NewGrid(stations []fireline.Station, cfg GridConfig) (*Grid, error) {
	if cfg.RadiusMeters == 0 {
		cfg.RadiusMeters = DefaultServiceRadiusMeters
	}
	if cfg.TargetSeconds == 0 {
		cfg.TargetSeconds = DefaultTargetSeconds
	}
	if cfg.UnitType == "" {
		cfg.UnitType = fireline.UnitEngine
	}
	if cfg.Estimator == nil {
		cfg.Estimator = geo.DefaultTravelModel()
	}
	if cfg.StationRadiusMeters == 0 {
		cfg.StationRadiusMeters = DefaultStationRadiusMeters
	}
	if cfg.Candidates == 0 {
		cfg.Candidates = defaultGridCandidates
	}
	switch {
	case !(cfg.RadiusMeters > 0 && cfg.RadiusMeters <= maxServiceRadius):
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: service radius %v m is outside 0..%d", cfg.RadiusMeters, maxServiceRadius)
	case !(cfg.TargetSeconds > 0) || math.IsInf(cfg.TargetSeconds, 0):
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: target %v s must be a positive number", cfg.TargetSeconds)
	case !cfg.UnitType.Valid():
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: unit type %q is not a known unit type", cfg.UnitType)
	case !(cfg.StationRadiusMeters > 0) || math.IsInf(cfg.StationRadiusMeters, 0):
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: station radius %v m must be a positive number", cfg.StationRadiusMeters)
	case cfg.Candidates < 1 || cfg.Candidates > MaxNearest:
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: candidates %d is outside 1..%d", cfg.Candidates, MaxNearest)
	case len(stations) == 0:
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: no stations to draw a service area around")
	}
	g := &Grid{cfg: cfg, stations: slices.Clone(stations)}
	slices.SortFunc(g.stations, func(a, b fireline.Station) int { return cmp.Compare(a.ID, b.ID) })
	for i, s := range g.stations {
		if s.ID == "" {
			return nil, fireline.Errorf(fireline.EINVALID, "coverage: a station has no id")
		}
		if i > 0 && g.stations[i-1].ID == s.ID {
			return nil, fireline.Errorf(fireline.EINVALID, "coverage: station %s listed twice", s.ID)
		}
		if err := s.Point.Validate(); err != nil {
			return nil, fireline.Errorf(fireline.EINVALID, "coverage: station %s: %s", s.ID, fireline.ErrorMessage(err))
		}
	}
	cells, err := serviceArea(g.stations, cfg.RadiusMeters)
	if err != nil {
		return nil, err
	}
	g.cells = make([]gridCell, 0, len(cells))
	for _, c := range cells {
		center, err := c.Center()
		if err != nil {
			return nil, fmt.Errorf("resources: coverage cell %s: %w", c, err)
		}
		w := 1.0
		if cfg.Weight != nil {
			w = cfg.Weight(c, center)
		}
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fireline.Errorf(fireline.EINVALID, "coverage: weight %v of cell %s must be a finite number ≥ 0", w, c)
		}
		g.cells = append(g.cells, gridCell{cell: c, hex: c.String(), center: center, weight: w})
		g.weight += w
	}
	return g, nil
}

// serviceArea returns, sorted, every resolution-7 cell whose centre lies within radius of a
// station. Each station's disk walks rings only until geo.LowerBoundMeters proves every further
// cell's centre is out of reach.
func serviceArea(stations []fireline.Station, radius float64) ([]geo.Cell, error) {
	k := 0
	for geo.LowerBoundMeters(CoverageResolution, k) <= radius {
		k++
	}
	added := map[geo.Cell]bool{}
	var out []geo.Cell
	for _, s := range stations {
		origin, err := geo.CellOf(s.Point, CoverageResolution)
		if err != nil {
			return nil, err
		}
		disk, err := geo.Disk(origin, k)
		if err != nil {
			return nil, fmt.Errorf("resources: service area of station %s: %w", s.ID, err)
		}
		for _, c := range disk {
			if added[c] {
				continue
			}
			center, err := c.Center()
			if err != nil {
				return nil, fmt.Errorf("resources: service area of station %s: %w", s.ID, err)
			}
			if geo.DistanceMeters(s.Point, center) <= radius {
				added[c] = true
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Len returns the number of cells in the service area.
func (g *Grid) Len() int { return len(g.cells) }

// Area returns the service area's cells as a geo.Area, which answers the cells a CAP warning's
// polygons and circles cover. It is built on first use and kept with the grid.
func (g *Grid) Area() (*geo.Area, error) {
	g.areaOnce.Do(func() {
		cells := make([]geo.Cell, len(g.cells))
		for i, c := range g.cells {
			cells[i] = c.cell
		}
		g.area, g.areaErr = geo.NewArea(cells)
	})
	return g.area, g.areaErr
}

// CoverageCell is one resolution-7 cell of the coverage map.
type CoverageCell struct {
	// Cell is the H3 cell as hex.
	Cell   string         `json:"cell"`
	Center fireline.Point `json:"center"`
	// Seconds is the estimated travel time of the fastest available unit to the cell's centre;
	// 0, with an empty UnitID, when no unit of the type is available anywhere.
	Seconds float64 `json:"seconds"`
	UnitID  string  `json:"unit_id,omitempty"`
	// Model names the travel model behind Seconds (see geo.Estimate).
	Model string `json:"model,omitempty"`
	// Gap reports Seconds beyond the target, or no unit at all.
	Gap    bool    `json:"gap"`
	Weight float64 `json:"weight"`
}

// Coverage is the coverage map of a service area: every cell and the totals a supervisor
// watches.
type Coverage struct {
	// Cells are sorted by cell.
	Cells         []CoverageCell    `json:"cells"`
	UnitType      fireline.UnitType `json:"unit_type"`
	TargetSeconds float64           `json:"target_seconds"`
	GapCells      int               `json:"gap_cells"`
	// Weight is the total weight of the cells, GapWeight that of the gaps.
	Weight    float64 `json:"weight"`
	GapWeight float64 `json:"gap_weight"`
	// CoveredShare is the share of the weight within the target, 0..1 (1 when the total
	// weight is 0: nothing needs covering).
	CoveredShare float64 `json:"covered_share"`
}

// Coverage measures every cell of the service area against the available units of the grid's
// type in x. Each cell's time is the best estimate over its Candidates nearest units.
func (g *Grid) Coverage(x *Index) (Coverage, error) {
	opts, err := g.measure(x, g.cfg.Candidates)
	if err != nil {
		return Coverage{}, err
	}
	return g.coverage(opts), nil
}

// coverage sums up the options of every cell (in g.cells order, fastest first).
func (g *Grid) coverage(opts [][]option) Coverage {
	cov := Coverage{
		Cells:         make([]CoverageCell, len(g.cells)),
		UnitType:      g.cfg.UnitType,
		TargetSeconds: g.cfg.TargetSeconds,
		Weight:        g.weight,
	}
	for i, c := range g.cells {
		cc := CoverageCell{Cell: c.hex, Center: c.center, Gap: true, Weight: c.weight}
		if len(opts[i]) > 0 {
			o := opts[i][0]
			cc.Seconds, cc.UnitID, cc.Model = o.seconds, o.unitID, o.model
			cc.Gap = o.seconds > g.cfg.TargetSeconds
		}
		if cc.Gap {
			cov.GapCells++
			cov.GapWeight += c.weight
		}
		cov.Cells[i] = cc
	}
	cov.CoveredShare = 1
	if g.weight > 0 {
		cov.CoveredShare = 1 - cov.GapWeight/g.weight
	}
	return cov
}

// measure returns, for every cell in g.cells order, its k nearest available units of the grid's
// type timed to its centre, fastest first.
func (g *Grid) measure(x *Index, k int) ([][]option, error) {
	accept := g.accept()
	out := make([][]option, len(g.cells))
	for i, c := range g.cells {
		cands, err := x.Nearest(c.center, k, accept)
		if err != nil {
			return nil, fmt.Errorf("resources: coverage of %s: %w", c.hex, err)
		}
		out[i] = g.options(c, cands)
	}
	return out, nil
}

func (g *Grid) accept() func(fireline.Unit) bool {
	t := g.cfg.UnitType
	return func(u fireline.Unit) bool { return u.Type == t }
}

// option is a unit that could answer a cell and how long it would take.
type option struct {
	unitID  string
	seconds float64
	model   string
}

func compareOption(a, b option) int {
	return cmp.Or(cmp.Compare(a.seconds, b.seconds), cmp.Compare(a.unitID, b.unitID))
}

// options times cands to c and sorts them fastest first, ties by unit id.
func (g *Grid) options(c gridCell, cands []Candidate) []option {
	out := make([]option, len(cands))
	for i, cand := range cands {
		e := g.cfg.Estimator.Estimate(cand.Unit.Point, c.center, cand.Unit.Type)
		out[i] = option{unitID: cand.Unit.ID, seconds: e.Seconds, model: e.Model}
	}
	slices.SortFunc(out, compareOption)
	return out
}

// DefaultMaxMoveUps is how many move-ups MoveUps suggests at most: a supervisor weighs a few
// moves at a time, and each one changes what the next should be.
const DefaultMaxMoveUps = 3

// MoveUpOptions tunes MoveUps.
type MoveUpOptions struct {
	// Max is how many suggestions to make at most (default DefaultMaxMoveUps).
	Max int
	// Skip reports a move not to suggest, such as one an operator ignored a few minutes ago.
	// Nil skips nothing.
	Skip func(unitID, stationID string) bool
}

// MoveUps suggests move-ups (cover assignments) that close the most gap weight: which available
// unit of the grid's type to send to stand by at which empty station. A station is empty when
// no available unit of the type is based there (home station, or post after an earlier move-up)
// or stands within StationRadiusMeters of it. Each suggestion is the move that shrinks the gap
// weight most given the ones before it, counting the gaps its unit leaves behind; a move that
// closes no more than it opens is never suggested. Ties go to the shorter drive, then unit and
// station ids, so the answer is deterministic.
func (g *Grid) MoveUps(x *Index, o MoveUpOptions) ([]fireline.MoveUp, error) {
	if o.Max == 0 {
		o.Max = DefaultMaxMoveUps
	}
	if o.Max < 0 {
		return nil, fireline.Errorf(fireline.EINVALID, "move-ups: at most %d suggestions is not a number of suggestions", o.Max)
	}
	st, err := g.moveState(x)
	if err != nil {
		return nil, err
	}
	empty := g.emptyStations(st.units)
	// reaches[s] is what a unit standing at empty station s answers.
	reaches := make([]reach, len(empty))
	for si, s := range empty {
		reaches[si] = g.reach(s.Point)
	}
	out := []fireline.MoveUp{}
	moved, filled := map[string]bool{}, map[string]bool{}
	for len(out) < o.Max {
		var best *moveEval
		for ui := range st.units {
			u := st.units[ui].Unit
			if moved[u.ID] {
				continue
			}
			for si, s := range empty {
				if filled[s.ID] || (o.Skip != nil && o.Skip(u.ID, s.ID)) {
					continue
				}
				ev := g.evaluate(st.opts, st.where[u.ID], reaches[si], u.ID)
				if ev.gain <= 0 {
					continue
				}
				ev.unit, ev.station = ui, si
				ev.drive = g.cfg.Estimator.Estimate(u.Point, s.Point, u.Type).Seconds
				if best == nil || ev.better(*best, st.units, empty) {
					best = &ev
				}
			}
		}
		if best == nil {
			break
		}
		u, s := st.units[best.unit].Unit, empty[best.station]
		m := st.move(g, u, s, reaches[best.station], best.drive)
		m.Reason = fmt.Sprintf("station %s has no %s: %s", s.ID, u.Type, m.Reason)
		out = append(out, m)
		moved[u.ID], filled[s.ID] = true, true
	}
	return out, nil
}

// EvaluateMoveUp returns the effect on coverage of one move-up an operator chose: unitID, which
// must be available in x, to stand by at stationID. Unlike a suggestion it may close nothing,
// or open gaps; a unit of another type than the grid's changes no figure. ENOTFOUND for a
// station outside the grid; ECONFLICT for a unit that is not available.
func (g *Grid) EvaluateMoveUp(x *Index, unitID, stationID string) (fireline.MoveUp, error) {
	i, ok := slices.BinarySearchFunc(g.stations, stationID, func(s fireline.Station, id string) int { return cmp.Compare(s.ID, id) })
	if !ok {
		return fireline.MoveUp{}, fireline.Errorf(fireline.ENOTFOUND, "station %s does not exist", stationID)
	}
	s := g.stations[i]
	found := x.Available(func(u fireline.Unit) bool { return u.ID == unitID })
	if len(found) == 0 {
		return fireline.MoveUp{}, fireline.Errorf(fireline.ECONFLICT, "unit %s is not available: only an available unit moves up", unitID)
	}
	u := found[0].Unit
	st, err := g.moveState(x)
	if err != nil {
		return fireline.MoveUp{}, err
	}
	r := reach{seconds: map[int]float64{}}
	if u.Type == g.cfg.UnitType {
		r = g.reach(s.Point)
	}
	return st.move(g, u, s, r, g.cfg.Estimator.Estimate(u.Point, s.Point, u.Type).Seconds), nil
}

// moveState is the coverage that move-ups are weighed against, changed move by move.
type moveState struct {
	// units are the available units of the grid's type, by id.
	units []Candidate
	// opts are each cell's options, as measure returns them; where[u] lists the cells whose
	// options include unit u.
	opts  [][]option
	where map[string][]int
	// now is the coverage of opts.
	now Coverage
}

// moveState measures the grid against x. Each cell weighs the Candidates+2 nearest units, so a
// cell whose fastest unit moves away falls back on the next ones without a new search.
func (g *Grid) moveState(x *Index) (*moveState, error) {
	opts, err := g.measure(x, g.cfg.Candidates+2)
	if err != nil {
		return nil, err
	}
	st := &moveState{units: x.Available(g.accept()), opts: opts, where: map[string][]int{}, now: g.coverage(opts)}
	for ci, os := range opts {
		for _, op := range os {
			st.where[op.unitID] = append(st.where[op.unitID], ci)
		}
	}
	return st, nil
}

// move carries out the move of u to s, whose reach is r, on st and describes it.
func (st *moveState) move(g *Grid, u fireline.Unit, s fireline.Station, r reach, drive float64) fireline.MoveUp {
	before := st.now
	g.apply(st.opts, st.where, r, u.ID)
	st.now = g.coverage(st.opts)
	return fireline.MoveUp{
		UnitID: u.ID, Type: u.Type, FromStationID: cmp.Or(u.PostStationID, u.StationID), ToStationID: s.ID,
		TravelSeconds:  drive,
		GapCellsBefore: before.GapCells, GapCellsAfter: st.now.GapCells,
		GapWeightBefore: before.GapWeight, GapWeightAfter: st.now.GapWeight,
		Reason: moveUpReason(u, drive, before, st.now),
	}
}

// emptyStations returns the stations, by id, that no available unit of the grid's type is based
// at or stands within StationRadiusMeters of.
func (g *Grid) emptyStations(units []Candidate) []fireline.Station {
	var out []fireline.Station
	for _, s := range g.stations {
		staffed := slices.ContainsFunc(units, func(c Candidate) bool {
			based := cmp.Or(c.Unit.PostStationID, c.Unit.StationID)
			return based == s.ID || geo.DistanceMeters(c.Unit.Point, s.Point) <= g.cfg.StationRadiusMeters
		})
		if !staffed {
			out = append(out, s)
		}
	}
	return out
}

// reach is the cells a unit standing at a station answers within the target: their indexes in
// g.cells, ascending, and each one's time.
type reach struct {
	cells   []int
	seconds map[int]float64
}

// reach returns the cells a unit of the grid's type standing at p reaches within the target.
// No drive beats geo.MaxTripSpeedMPS in a straight line (the learned model never learns from
// one that did), so farther cells are not timed at all.
func (g *Grid) reach(p fireline.Point) reach {
	limit := geo.MaxTripSpeedMPS * g.cfg.TargetSeconds
	r := reach{seconds: map[int]float64{}}
	for ci, c := range g.cells {
		if geo.DistanceMeters(p, c.center) > limit {
			continue
		}
		if e := g.cfg.Estimator.Estimate(p, c.center, g.cfg.UnitType); e.Seconds <= g.cfg.TargetSeconds {
			r.cells = append(r.cells, ci)
			r.seconds[ci] = e.Seconds
		}
	}
	return r
}

// moveEval is the effect of moving units[unit] to empty[station].
type moveEval struct {
	unit, station int
	// gain is the gap weight closed less the gap weight opened; cells the count of gap cells
	// closed less opened.
	gain  float64
	cells int
	drive float64
}

// better orders evaluations: more gain, then more cells, then a shorter drive, then ids.
func (e moveEval) better(o moveEval, units []Candidate, stations []fireline.Station) bool {
	if c := cmp.Or(cmp.Compare(e.gain, o.gain), cmp.Compare(e.cells, o.cells), -cmp.Compare(e.drive, o.drive)); c != 0 {
		return c > 0
	}
	return cmp.Or(cmp.Compare(units[e.unit].Unit.ID, units[o.unit].Unit.ID), cmp.Compare(stations[e.station].ID, stations[o.station].ID)) < 0
}

// evaluate returns the gain of moving unit to the station whose reach is given: cells it leaves
// (where) fall back on their next option, cells the station reaches get it as an option.
func (g *Grid) evaluate(opts [][]option, where []int, r reach, unit string) moveEval {
	var ev moveEval
	covered := func(ci int, skip string, extra float64) bool {
		best := extra
		for _, op := range opts[ci] {
			if op.unitID != skip {
				best = min(best, op.seconds)
				break
			}
		}
		return best <= g.cfg.TargetSeconds
	}
	seen := map[int]bool{}
	count := func(ci int) {
		if seen[ci] {
			return
		}
		seen[ci] = true
		t, ok := r.seconds[ci]
		if !ok {
			t = math.Inf(1)
		}
		was, is := covered(ci, "", math.Inf(1)), covered(ci, unit, t)
		switch {
		case is && !was:
			ev.gain += g.cells[ci].weight
			ev.cells++
		case was && !is:
			ev.gain -= g.cells[ci].weight
			ev.cells--
		}
	}
	for _, ci := range where {
		count(ci)
	}
	for _, ci := range r.cells {
		count(ci)
	}
	return ev
}

// apply moves unit to the station whose reach is given: it leaves its cells' options and joins
// those of the cells the station reaches.
func (g *Grid) apply(opts [][]option, where map[string][]int, r reach, unit string) {
	for _, ci := range where[unit] {
		opts[ci] = slices.DeleteFunc(opts[ci], func(op option) bool { return op.unitID == unit })
	}
	where[unit] = where[unit][:0]
	for _, ci := range r.cells {
		opts[ci] = append(opts[ci], option{unitID: unit, seconds: r.seconds[ci], model: "move-up"})
		slices.SortFunc(opts[ci], compareOption)
		where[unit] = append(where[unit], ci)
	}
}

// moveUpReason explains a move-up to the operator in one line, for example "E-LQ-2 from LQ-2
// (9:40 away) closes 14 gap cells; gap weight 52000 → 21000".
func moveUpReason(u fireline.Unit, drive float64, before, after Coverage) string {
	effect := "changes no gap cell"
	switch d := before.GapCells - after.GapCells; {
	case d > 0:
		effect = fmt.Sprintf("closes %d gap cells", d)
	case d < 0:
		effect = fmt.Sprintf("opens %d gap cells", -d)
	}
	return fmt.Sprintf("%s from %s (%s away) %s; gap weight %.0f → %.0f",
		u.ID, cmp.Or(u.PostStationID, u.StationID, "the road"), clock(drive), effect, before.GapWeight, after.GapWeight)
}
