package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// grid records the time it is computed as of and answers err.
type grid struct {
	at  time.Time
	err error
}

func (g *grid) Recompute(_ context.Context, at time.Time) (fireline.RiskRunResult, error) {
	g.at = at
	return fireline.RiskRunResult{Cells: 3}, g.err
}

func (g *grid) Layer(context.Context, fireline.RiskQuery, time.Time) (fireline.RiskLayer, error) {
	return fireline.RiskLayer{}, nil
}

// TestRisk computes the grid as of the workflow's time; an outage is retried, a rejection not.
func TestRisk(t *testing.T) {
	at := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	g := &grid{}
	r := activities.NewRisk(g)
	res, err := r.RecomputeRiskGrid(context.Background(), activities.RiskInput{At: at})
	if err != nil || res.Cells != 3 || !g.at.Equal(at) {
		t.Fatalf("run: %+v, %v, computed as of %s; want 3 cells as of %s", res, err, g.at, at)
	}
	var app *temporal.ApplicationError
	g.err = fireline.Errorf(fireline.EUNAVAILABLE, "database down")
	if _, err = r.RecomputeRiskGrid(context.Background(), activities.RiskInput{At: at}); err == nil || (errors.As(err, &app) && app.NonRetryable()) {
		t.Errorf("outage: %v; want an error Temporal retries", err)
	}
	g.err = fireline.Errorf(fireline.EINVALID, "a bad cell")
	if _, err = r.RecomputeRiskGrid(context.Background(), activities.RiskInput{At: at}); !errors.As(err, &app) || !app.NonRetryable() {
		t.Errorf("rejection: %v; want a non-retryable error", err)
	}
}
