package activities

import (
	"context"
	"time"

	"github.com/fireline/fireline"
)

// Risk is the activity of the fire-risk grid's scheduled run. It stands apart from Activities
// because it needs only the grid, and the incident workflow never calls it.
type Risk struct {
	grid fireline.RiskService
}

// NewRisk returns the risk grid's activity over grid (resources.RiskGrid).
func NewRisk(grid fireline.RiskService) *Risk {
	return &Risk{grid: grid}
}

// RiskInput is the time the grid is computed as of: the workflow's own clock, so a retry
// computes the same look-back.
type RiskInput struct {
	At time.Time
}

// RecomputeRiskGrid computes the history and premises factors of every cell and stores them;
// the stored run announces itself on the change feed (kind "risk"). A retry stores the same
// grid again.
func (r *Risk) RecomputeRiskGrid(ctx context.Context, in RiskInput) (fireline.RiskRunResult, error) {
	res, err := r.grid.Recompute(ctx, in.At)
	return res, classify("recompute risk grid", err)
}
