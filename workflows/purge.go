package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Names of the personal-data purge. The schedule id is what the worker creates or updates at
// start, so every worker of a deployment converges on one schedule.
const (
	// PurgeWorkflow is the registered name of PurgePersonalData.
	PurgeWorkflow = "PurgePersonalData"
	// PurgeScheduleID is the Temporal schedule that starts the purge.
	PurgeScheduleID = "fireline-personal-data-purge"
	// PurgeInterval is how often the schedule starts it: hourly, so nothing outlives its
	// retention by more than an hour.
	PurgeInterval = time.Hour
)

// purger is the nil receiver whose method value names the purge activity.
var purger *activities.Purger

// PurgeOptions registers PurgePersonalData under its durable name.
func PurgeOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: PurgeWorkflow}
}

// PurgeInput is the schedule's argument: how long callers' personal data is kept after their
// incident closed. The schedule carries it, so changing --personal-data-retention updates the
// schedule rather than the workflow.
type PurgeInput struct {
	Retention time.Duration
}

// PurgePersonalData forgets the callers of alarms whose incident closed more than the retention
// ago. A zero retention keeps everything: the workflow does nothing (the worker does not create
// the schedule then, but a schedule left from an earlier configuration may still fire).
func PurgePersonalData(ctx workflow.Context, in PurgeInput) (fireline.PurgeResult, error) {
	if in.Retention <= 0 {
		return fireline.PurgeResult{}, nil
	}
	// A purge may work through a large archive in batches: minutes, not seconds, and an outage
	// retries until the next start would.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10,
		},
	})
	var res fireline.PurgeResult
	cutoff := workflow.Now(ctx).Add(-in.Retention)
	err := workflow.ExecuteActivity(ctx, purger.PurgePersonalData, activities.PurgeInput{Cutoff: cutoff}).Get(ctx, &res)
	return res, err
}
