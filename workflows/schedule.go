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

// EnsurePurgeSchedule creates the schedule that starts PurgePersonalData every PurgeInterval
// with the given retention, or updates it to this retention if it exists, so that every worker
// start converges on one schedule whatever ran before. A zero retention keeps personal data
// forever: the schedule is deleted, or a retention configured earlier would go on purging.
// Workers of one deployment must agree on the retention: the last one started wins.
func EnsurePurgeSchedule(ctx context.Context, c client.Client, retention time.Duration) error {
	sc := c.ScheduleClient()
	if retention <= 0 {
		err := sc.GetHandle(ctx, PurgeScheduleID).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("purge schedule: delete: %w", err)
		}
		return nil
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: PurgeInterval}}}
	action := &client.ScheduleWorkflowAction{
		// Each start gets the schedule's id with its time appended: one purge at a time.
		ID: PurgeScheduleID, Workflow: PurgeWorkflow, TaskQueue: TaskQueue,
		Args: []any{PurgeInput{Retention: retention}}, WorkflowRunTimeout: PurgeInterval,
	}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID: PurgeScheduleID, Spec: spec, Action: action,
		// A purge still running when the next is due makes the next pointless.
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		// After an outage one purge catches up; the missed hours add nothing to it.
		CatchupWindow: PurgeInterval,
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("purge schedule: create: %w", err)
		}
		return nil
	}
	err = sc.GetHandle(ctx, PurgeScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.Overlap, s.Policy.CatchupWindow = enums.SCHEDULE_OVERLAP_POLICY_SKIP, PurgeInterval
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("purge schedule: update: %w", err)
	}
	return nil
}
