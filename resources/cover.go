package resources

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// CoverSource is the reference data a Cover draws its grid from, and the move-up decisions
// operators made. PostgreSQL implements it. The grid is drawn from the records in service: a
// retired station covers nothing.
type CoverSource interface {
	Stations(ctx context.Context, f fireline.RefFilter) ([]fireline.Station, error)
	PopulationAreas(ctx context.Context) ([]fireline.PopulationArea, error)
	Premises(ctx context.Context, f fireline.RefFilter) ([]fireline.Premise, error)
	MoveUps(ctx context.Context, since time.Time, limit int) ([]fireline.MoveUp, error)
	// Readiness returns the cells whose readiness a warning in force at raises (CAP).
	Readiness(ctx context.Context, at time.Time) ([]fireline.WarningCell, error)
}

// ReadinessWeight is how much each step of raised readiness adds to a cell's weight, as a share
// of it: a cell under a severe warning (readiness 2) weighs twice what it does on a calm day,
// so gaps there draw move-ups first while the warning lasts.
const ReadinessWeight = 0.5

// CoverConfig configures a Cover. The zero value of each field means its default.
type CoverConfig struct {
	// Grid configures the grid; its Weight defaults to CellWeight over the source's population
	// areas and key premises.
	Grid GridConfig
	// IgnoreFor is how long a move-up an operator ignored is not suggested again (default 30
	// min): long enough not to nag, short enough to come back if the gap stays.
	IgnoreFor time.Duration
	// Refresh is how often the grid is redrawn from the source, so stations an administrator
	// adds or moves, and warnings that start or expire, count (default 1 min).
	Refresh time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cover answers the coverage map and move-up suggestions of the live index, over a grid drawn
// from the stations, population areas and key premises. It is safe for concurrent use.
type Cover struct {
	index *Index
	src   CoverSource
	cfg   CoverConfig

	mu    sync.Mutex
	grid  *Grid
	drawn time.Time
}

// NewCover returns a Cover over the live index.
func NewCover(index *Index, src CoverSource, cfg CoverConfig) *Cover {
	if cfg.IgnoreFor == 0 {
		cfg.IgnoreFor = 30 * time.Minute
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cover{index: index, src: src, cfg: cfg}
}

// Grid returns the current grid, redrawing it when it is older than the refresh interval.
func (c *Cover) Grid(ctx context.Context) (*Grid, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.grid != nil && now.Sub(c.drawn) < c.cfg.Refresh {
		return c.grid, nil
	}
	stations, err := c.src.Stations(ctx, fireline.RefFilter{})
	if err != nil {
		return nil, fmt.Errorf("resources: coverage grid: %w", err)
	}
	cfg := c.cfg.Grid
	if cfg.Weight == nil {
		areas, err := c.src.PopulationAreas(ctx)
		if err != nil {
			return nil, fmt.Errorf("resources: coverage grid: %w", err)
		}
		premises, err := c.src.Premises(ctx, fireline.RefFilter{})
		if err != nil {
			return nil, fmt.Errorf("resources: coverage grid: %w", err)
		}
		if cfg.Weight, err = CellWeight(areas, premises, DefaultPremiseWeight); err != nil {
			return nil, err
		}
	}
	ready, err := c.src.Readiness(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("resources: coverage grid: %w", err)
	}
	if len(ready) > 0 {
		raised := make(map[string]fireline.Readiness, len(ready))
		for _, r := range ready {
			raised[r.Cell] = r.Readiness
		}
		base := cfg.Weight
		cfg.Weight = func(cell geo.Cell, p fireline.Point) float64 {
			return base(cell, p) * (1 + ReadinessWeight*float64(raised[cell.String()]))
		}
	}
	g, err := NewGrid(stations, cfg)
	if err != nil {
		return nil, err
	}
	c.grid, c.drawn = g, now
	return g, nil
}

// ServiceArea returns the current grid's service area, for mapping warnings onto its cells.
func (c *Cover) ServiceArea(ctx context.Context) (*geo.Area, error) {
	g, err := c.Grid(ctx)
	if err != nil {
		return nil, err
	}
	return g.Area()
}

// Coverage returns the coverage map of the live index.
func (c *Cover) Coverage(ctx context.Context) (Coverage, error) {
	g, err := c.Grid(ctx)
	if err != nil {
		return Coverage{}, err
	}
	return g.Coverage(c.index)
}

// MoveUps suggests move-ups for the live index, leaving out those ignored within IgnoreFor.
func (c *Cover) MoveUps(ctx context.Context) ([]fireline.MoveUp, error) {
	g, err := c.Grid(ctx)
	if err != nil {
		return nil, err
	}
	recent, err := c.src.MoveUps(ctx, c.cfg.Now().Add(-c.cfg.IgnoreFor), maxRecentDecisions)
	if err != nil {
		return nil, fmt.Errorf("resources: move-up decisions: %w", err)
	}
	ignored := map[[2]string]bool{}
	for _, m := range recent {
		if m.Decision == fireline.MoveUpIgnored {
			ignored[[2]string{m.UnitID, m.ToStationID}] = true
		}
	}
	return g.MoveUps(c.index, MoveUpOptions{Skip: func(unit, station string) bool { return ignored[[2]string{unit, station}] }})
}

// maxRecentDecisions bounds the decisions read to find the ignored move-ups: far more than a
// command centre makes in half an hour.
const maxRecentDecisions = 500

// EvaluateMoveUp returns the effect of one move-up an operator chose (Grid.EvaluateMoveUp).
func (c *Cover) EvaluateMoveUp(ctx context.Context, unitID, stationID string) (fireline.MoveUp, error) {
	g, err := c.Grid(ctx)
	if err != nil {
		return fireline.MoveUp{}, err
	}
	return g.EvaluateMoveUp(c.index, unitID, stationID)
}

// CellShape is a coverage cell's outline, for drawing the map.
type CellShape struct {
	Cell string `json:"cell"`
	// Boundary is the cell's vertices (WGS-84), counter-clockwise.
	Boundary []fireline.Point `json:"boundary"`
}

// Shapes returns the outline of every cell of the grid, sorted by cell like Coverage's cells.
func (g *Grid) Shapes() ([]CellShape, error) {
	out := make([]CellShape, len(g.cells))
	for i, c := range g.cells {
		b, err := c.cell.Boundary()
		if err != nil {
			return nil, fmt.Errorf("resources: coverage cell %s: %w", c.hex, err)
		}
		out[i] = CellShape{Cell: c.hex, Boundary: b}
	}
	return out, nil
}

// Shapes returns the outline of every cell of the current grid.
func (c *Cover) Shapes(ctx context.Context) ([]CellShape, error) {
	g, err := c.Grid(ctx)
	if err != nil {
		return nil, err
	}
	return g.Shapes()
}
