package resources

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// RiskResolution is the H3 resolution of the fire-risk grid: the coverage grid's, the
// resolution warnings are mapped on, so a warning's cells are the grid's cells.
const RiskResolution = CoverageResolution

// RiskGrid computes and serves the fire-risk grid. A scheduled run (Recompute) counts each
// cell's incident history and key premises and stores them; a read (Layer) adds the warnings in
// force at that moment. The warnings are joined at read time rather than on a run because a
// CAP warning must change the layer when it arrives and when it expires: arrival is announced on
// the change feed (kind "warning"), but expiry is announced by nothing, only by the clock, so a
// stored warnings factor would be stale until the next run. Reading warning_cells with
// expires > now at every read makes both edges exact, and the answer says when the next
// warning runs out (NextChangeAt) so a page knows when to read again.
type RiskGrid struct {
	store fireline.RiskStore
	model fireline.RiskModel
	log   *slog.Logger
}

// NewRiskGrid returns the grid over store, scored by model.
func NewRiskGrid(store fireline.RiskStore, model fireline.RiskModel, log *slog.Logger) *RiskGrid {
	return &RiskGrid{store: store, model: model, log: log.With("component", "risk")}
}

// Recompute counts, as of at, every cell's incidents over the model's look-back and its key
// premises, scores them and stores the grid. It is idempotent: a retry stores the same grid.
func (g *RiskGrid) Recompute(ctx context.Context, at time.Time) (fireline.RiskRunResult, error) {
	counts, err := g.store.RiskIncidents(ctx, at.Add(-g.model.LookBack), at)
	if err != nil {
		return fireline.RiskRunResult{}, err
	}
	premises, err := g.store.Premises(ctx, fireline.RefFilter{})
	if err != nil {
		return fireline.RiskRunResult{}, err
	}
	cells, err := g.score(counts, premises)
	if err != nil {
		return fireline.RiskRunResult{}, err
	}
	if err := g.store.SaveRiskRun(ctx, fireline.RiskRun{ComputedAt: at, LookBack: g.model.LookBack, Cells: cells}); err != nil {
		return fireline.RiskRunResult{}, err
	}
	g.log.Info("risk grid computed", "cells", len(cells), "incident_counts", len(counts), "premises", len(premises), "at", at)
	return fireline.RiskRunResult{Cells: len(cells)}, nil
}

// score rolls the resolution-9 counts and the premises up to the grid's cells and scores each.
func (g *RiskGrid) score(counts []fireline.RiskIncidents, premises []fireline.Premise) ([]fireline.StoredRiskCell, error) {
	type inputs struct {
		counts   map[fireline.RiskIncidents]int // key without Cell and Count
		premises []fireline.RiskPremise
	}
	byCell := map[geo.Cell]*inputs{}
	at := func(c geo.Cell) *inputs {
		in := byCell[c]
		if in == nil {
			in = &inputs{counts: map[fireline.RiskIncidents]int{}}
			byCell[c] = in
		}
		return in
	}
	for _, n := range counts {
		c, err := geo.ParseCell(n.Cell)
		if err != nil {
			// A bad cell in one record must not stop the grid; it is the record's fault.
			g.log.Warn("risk grid: incident cell skipped", "cell", n.Cell, "error", err)
			continue
		}
		if c.Resolution() < RiskResolution {
			g.log.Warn("risk grid: incident cell coarser than the grid skipped", "cell", n.Cell)
			continue
		}
		parent, err := c.Parent(RiskResolution)
		if err != nil {
			return nil, fmt.Errorf("risk grid: %w", err)
		}
		key := n
		key.Cell, key.Count = "", 0
		at(parent).counts[key] += n.Count
	}
	for _, p := range premises {
		if p.RetiredAt != nil {
			continue
		}
		c, err := geo.CellOf(p.Point, RiskResolution)
		if err != nil {
			g.log.Warn("risk grid: premises skipped", "premises", p.ID, "error", err)
			continue
		}
		at(c).premises = append(at(c).premises, fireline.RiskPremise{ID: p.ID, Name: p.Name, Kind: p.Kind, Hazards: len(p.Hazards)})
	}
	out := make([]fireline.StoredRiskCell, 0, len(byCell))
	for c, in := range byCell {
		var factors []fireline.RiskFactor
		if len(in.counts) > 0 {
			list := make([]fireline.RiskIncidents, 0, len(in.counts))
			for k, n := range in.counts {
				k.Count = n
				list = append(list, k)
			}
			slices.SortFunc(list, func(a, b fireline.RiskIncidents) int {
				return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.YearsAgo, b.YearsAgo), boolCompare(a.Imported, b.Imported))
			})
			factors = append(factors, g.model.HistoryFactor(list))
		}
		if len(in.premises) > 0 {
			slices.SortFunc(in.premises, func(a, b fireline.RiskPremise) int { return cmp.Compare(a.ID, b.ID) })
			factors = append(factors, g.model.PremisesFactor(in.premises))
		}
		out = append(out, fireline.StoredRiskCell{Cell: c.String(), Score: fireline.RiskScore(factors), Factors: factors})
	}
	slices.SortFunc(out, func(a, b fireline.StoredRiskCell) int { return cmp.Compare(a.Cell, b.Cell) })
	return out, nil
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// Layer reads the grid as it stands at at: the last run's factors with the warnings in force
// and the key premises impaired now, scored, filtered by q and ranked highest first (ties by cell).
func (g *RiskGrid) Layer(ctx context.Context, q fireline.RiskQuery, at time.Time) (fireline.RiskLayer, error) {
	if err := q.Validate(); err != nil {
		return fireline.RiskLayer{}, err
	}
	snap, err := g.store.RiskSnapshot(ctx, at)
	if err != nil {
		return fireline.RiskLayer{}, err
	}
	layer := fireline.RiskLayer{Model: g.model.Weights(), Cells: []fireline.RiskCell{}}
	if !snap.ComputedAt.IsZero() {
		t := snap.ComputedAt
		layer.ComputedAt = &t
	}
	stored := make(map[string][]fireline.RiskFactor, len(snap.Cells))
	for _, c := range snap.Cells {
		stored[c.Cell] = c.Factors
	}
	// Every cell of the run and every cell a warning raises.
	names := make([]string, 0, len(stored)+len(snap.Warnings))
	for c := range stored {
		names = append(names, c)
	}
	for c, ws := range snap.Warnings {
		if _, ok := stored[c]; !ok {
			names = append(names, c)
		}
		for _, w := range ws {
			if layer.NextChangeAt == nil || w.Expires.Before(*layer.NextChangeAt) {
				e := w.Expires
				layer.NextChangeAt = &e
			}
		}
	}
	for _, name := range names {
		factors := slices.Clone(stored[name])
		for i := range factors {
			// Premises impaired now count more until their fire protection is back.
			factors[i] = g.model.ImpairPremises(factors[i], snap.Impaired)
		}
		if ws := snap.Warnings[name]; len(ws) > 0 {
			factors = append(factors, g.model.WarningsFactor(ws))
		}
		score := fireline.RiskScore(factors)
		if score <= 0 || score < q.MinScore {
			continue
		}
		c, err := geo.ParseCell(name)
		if err != nil {
			g.log.Warn("risk grid: stored cell skipped", "cell", name, "error", err)
			continue
		}
		center, err := c.Center()
		if err != nil {
			return fireline.RiskLayer{}, err
		}
		if b := q.BBox; b != nil && (center.Lng < b[0] || center.Lng > b[2] || center.Lat < b[1] || center.Lat > b[3]) {
			continue
		}
		cell := fireline.RiskCell{Cell: name, Score: score, Level: fireline.LevelOf(score), Factors: factors, Center: center}
		cell.LevelName = cell.Level.Name()
		layer.Cells = append(layer.Cells, cell)
	}
	slices.SortFunc(layer.Cells, func(a, b fireline.RiskCell) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Cell, b.Cell))
	})
	limit := cmp.Or(q.Limit, fireline.DefaultRiskLimit)
	if len(layer.Cells) > limit {
		layer.Cells = layer.Cells[:limit]
	}
	if q.Shapes {
		for i := range layer.Cells {
			c, _ := geo.ParseCell(layer.Cells[i].Cell) // parsed above
			if layer.Cells[i].Boundary, err = c.Boundary(); err != nil {
				return fireline.RiskLayer{}, err
			}
		}
	}
	return layer, nil
}
