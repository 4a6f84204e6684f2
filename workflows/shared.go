package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// acts is the nil receiver whose method values name the activities; the worker registers a real
// *activities.Activities under the same method names.
var acts *activities.Activities

// MaxDispatchUnits bounds one dispatch order.
const MaxDispatchUnits = fireline.MaxDispatchUnits

func seconds(from time.Time, to *time.Time) *float64 {
	s := to.Sub(from).Seconds()
	if s < 0 {
		s = 0
	}
	return &s
}

func recommendedDetail(rec activities.RecommendResult) string {
	d := fmt.Sprintf("recommended %v", fireline.RecommendedUnits(rec.Units))
	if len(rec.Short) > 0 {
		d += fmt.Sprintf("; short of %v", rec.Short)
	}
	return d
}

// withRetries is for steps nothing waits on: infrastructure failures retry until they heal.
func withRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		},
	})
}

// short runs one of the incident's short store steps, retried until infrastructure heals as
// withRetries does: a local activity, in the worker's own workflow task, when the run has
// localWritesChange, else an activity task of its own.
func (inc *incident) short(ctx workflow.Context, activity any, args ...any) workflow.Future {
	return runShort(ctx, inc.local, activity, args...)
}

// runShort runs a short store step as a local activity when local, as an activity task with
// withRetries otherwise.
func runShort(ctx workflow.Context, local bool, activity any, args ...any) workflow.Future {
	if !local {
		return workflow.ExecuteActivity(withRetries(ctx), activity, args...)
	}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// A local attempt holds the workflow task: a stuck write gives way after a few
		// seconds, and the SDK retries it after a backoff (as a timer, past its own threshold).
		// The wait for one of the worker's few local slots (WorkerOptions) must not count
		// against an attempt, and the steps are retried until they heal, as withRetries does:
		// the whole is bounded only by a day.
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		},
	}), activity, args...)
}

// withFewRetries is for steps an operator is waiting on: a few quick tries, then an answer.
func withFewRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second, MaximumAttempts: 5,
		},
	})
}

// reject is an operator-facing refusal: an application error whose type is the fireline error
// code, so the API answers the same status it would for its own checks.
func reject(code, format string, args ...any) error {
	return refusal(fireline.Errorf(code, format, args...))
}

// refusal carries a domain refusal, the *fireline.Error of an order's own Validate, out of the
// workflow as reject does: a non-retryable application error whose type is the code, which the
// client turns back into the same *fireline.Error. nil stays nil; any other error is returned
// as it is.
func refusal(err error) error {
	var fe *fireline.Error
	if errors.As(err, &fe) {
		return temporal.NewNonRetryableApplicationError(fe.Message, fe.Code, nil)
	}
	return err
}
