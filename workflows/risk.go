package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Names of the fire-risk grid's run. The schedule id is what the worker creates or updates at
// start, so every worker of a deployment converges on one schedule.
const (
	// RiskWorkflow is the registered name of RiskGrid.
	RiskWorkflow = "RiskGrid"
	// RiskScheduleID is the Temporal schedule that starts the grid's run.
	RiskScheduleID = "fireline-risk-grid"
	// DefaultRiskInterval is how often the schedule runs it by default. The history and the
	// premises change slowly; warnings are read live and need no run.
	DefaultRiskInterval = 15 * time.Minute
)

// risk is the nil receiver whose method value names the risk grid's activity.
var risk *activities.Risk

// RiskOptions registers RiskGrid under its durable name.
func RiskOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: RiskWorkflow}
}

// RiskGrid recomputes the fire-risk grid as of the workflow's start: each cell's incident
// history and key premises, stored for the layer to read with the warnings in force.
func RiskGrid(ctx workflow.Context) (fireline.RiskRunResult, error) {
	// Counting years of incidents is a few queries: a minute is plenty, and an outage retries
	// for a few minutes, well inside the next start.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5,
		},
	})
	var res fireline.RiskRunResult
	err := workflow.ExecuteActivity(ctx, risk.RecomputeRiskGrid, activities.RiskInput{At: workflow.Now(ctx)}).Get(ctx, &res)
	return res, err
}
