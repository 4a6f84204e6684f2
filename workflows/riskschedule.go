package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// EnsureRiskSchedule creates the schedule that starts RiskGrid every interval, or updates it to
// this interval if it exists, and then starts one run at once, so a worker's start brings the
// grid up to date without waiting a whole interval. A zero interval turns the scheduled runs
// off: the schedule is deleted and the grid keeps its last run (the warnings are still read
// live). Workers of one deployment must agree on the interval: the last one started wins.
func EnsureRiskSchedule(ctx context.Context, c client.Client, interval time.Duration) error {
	sc := c.ScheduleClient()
	if interval <= 0 {
		return deleteSchedule(ctx, sc, "risk", RiskScheduleID)
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}}
	action := &client.ScheduleWorkflowAction{
		// Each start gets the schedule's id with its time appended: one run at a time.
		ID: RiskScheduleID, Workflow: RiskWorkflow, TaskQueue: TaskQueue, WorkflowRunTimeout: interval,
	}
	// A run still going when the next is due makes the next pointless; after an outage one run
	// catches up, the missed ones would compute the same grid.
	if err := upsertSchedule(ctx, sc, "risk", RiskScheduleID, spec, action, interval); err != nil {
		return err
	}
	// One run now: the grid is current from the worker's start.
	err := sc.GetHandle(ctx, RiskScheduleID).Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP})
	if err != nil {
		return fmt.Errorf("risk schedule: run now: %w", err)
	}
	return nil
}
