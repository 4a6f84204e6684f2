package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// EnsureRiskSchedule creates the schedule that starts RiskGrid every interval, or updates it to
// this interval if it exists, and then starts one run at once, so a worker's start brings the
// grid up to date without waiting a whole interval. A zero interval turns the scheduled runs
// off: the schedule is deleted and the grid keeps its last run (the warnings are still read
// live). Workers of one deployment must agree on the interval: the last one started wins.
func EnsureRiskSchedule(ctx context.Context, c client.Client, interval time.Duration) error {
	sc := c.ScheduleClient()
	h := sc.GetHandle(ctx, RiskScheduleID)
	if interval <= 0 {
		err := h.Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("risk schedule: delete: %w", err)
		}
		return nil
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}}
	action := &client.ScheduleWorkflowAction{
		// Each start gets the schedule's id with its time appended: one run at a time.
		ID: RiskScheduleID, Workflow: RiskWorkflow, TaskQueue: TaskQueue, WorkflowRunTimeout: interval,
	}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID: RiskScheduleID, Spec: spec, Action: action,
		// A run still going when the next is due makes the next pointless; after an outage one
		// run catches up, the missed ones would compute the same grid.
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: interval,
	})
	switch {
	case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		err = h.Update(ctx, client.ScheduleUpdateOptions{
			DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				s := in.Description.Schedule
				s.Spec, s.Action = &spec, action
				if s.Policy != nil {
					s.Policy.Overlap, s.Policy.CatchupWindow = enums.SCHEDULE_OVERLAP_POLICY_SKIP, interval
				}
				return &client.ScheduleUpdate{Schedule: &s}, nil
			},
		})
		if err != nil {
			return fmt.Errorf("risk schedule: update: %w", err)
		}
	case err != nil:
		return fmt.Errorf("risk schedule: create: %w", err)
	}
	// One run now: the grid is current from the worker's start.
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP}); err != nil {
		return fmt.Errorf("risk schedule: run now: %w", err)
	}
	return nil
}
