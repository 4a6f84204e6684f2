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
		return deleteSchedule(ctx, sc, "purge", PurgeScheduleID)
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: PurgeInterval}}}
	action := &client.ScheduleWorkflowAction{
		// Each start gets the schedule's id with its time appended: one purge at a time.
		ID: PurgeScheduleID, Workflow: PurgeWorkflow, TaskQueue: TaskQueue,
		Args: []any{PurgeInput{Retention: retention}}, WorkflowRunTimeout: PurgeInterval,
	}
	// A purge still running when the next is due makes the next pointless; after an outage one
	// purge catches up, the missed hours add nothing to it.
	return upsertSchedule(ctx, sc, "purge", PurgeScheduleID, spec, action, PurgeInterval)
}

// deleteSchedule deletes the schedule id; one that does not exist is deleted already. name
// prefixes the error.
func deleteSchedule(ctx context.Context, sc client.ScheduleClient, name, id string) error {
	err := sc.GetHandle(ctx, id).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("%s schedule: delete: %w", name, err)
	}
	return nil
}

// upsertSchedule creates the schedule id with spec and action, or updates an existing one to
// them, so that every worker start converges on one schedule whatever ran before. A run still
// going when the next is due skips the next, and after an outage one run within catchup
// catches up. name prefixes the errors.
func upsertSchedule(ctx context.Context, sc client.ScheduleClient, name, id string, spec client.ScheduleSpec,
	action *client.ScheduleWorkflowAction, catchup time.Duration) error {
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action,
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup,
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("%s schedule: create: %w", name, err)
		}
		return nil
	}
	err = sc.GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.Overlap, s.Policy.CatchupWindow = enums.SCHEDULE_OVERLAP_POLICY_SKIP, catchup
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("%s schedule: update: %w", name, err)
	}
	return nil
}
