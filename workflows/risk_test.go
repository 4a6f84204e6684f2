package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

// TestRiskGrid runs the scheduled workflow under its registered name, as the schedule starts
// it: the activity computes the grid as of the workflow's start, and an outage is retried.
func TestRiskGrid(t *testing.T) {
	var risk *activities.Risk
	tests := []struct {
		name      string
		failures  int // attempts that fail with an infrastructure error before one succeeds
		wantCalls int
	}{
		{"first attempt", 0, 1},
		{"database down twice", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(t0)
			env.RegisterWorkflowWithOptions(workflows.RiskGrid, workflows.RiskOptions())
			env.RegisterActivity(risk)
			var ats []time.Time
			env.OnActivity(risk.RecomputeRiskGrid, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.RiskInput) (fireline.RiskRunResult, error) {
					ats = append(ats, in.At)
					if len(ats) <= tt.failures {
						return fireline.RiskRunResult{}, errors.New("connection refused")
					}
					return fireline.RiskRunResult{Cells: 42}, nil
				})

			env.ExecuteWorkflow(workflows.RiskWorkflow)
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			if len(ats) != tt.wantCalls {
				t.Fatalf("activity ran %d times, want %d", len(ats), tt.wantCalls)
			}
			for _, at := range ats {
				if !at.Equal(t0) {
					t.Errorf("computed as of %s, want the workflow's start %s on every attempt", at, t0)
				}
			}
			var res fireline.RiskRunResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if res.Cells != 42 {
				t.Errorf("result %+v, want the activity's", res)
			}
		})
	}
}

// TestRiskGridRejection: a business rejection is not retried; the run fails and the next
// scheduled one tries again.
func TestRiskGridRejection(t *testing.T) {
	var risk *activities.Risk
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.RiskGrid, workflows.RiskOptions())
	env.RegisterActivity(risk)
	calls := 0
	env.OnActivity(risk.RecomputeRiskGrid, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.RiskInput) (fireline.RiskRunResult, error) {
			calls++
			return fireline.RiskRunResult{}, temporal.NewNonRetryableApplicationError("bad cell", fireline.EINVALID, nil)
		})
	env.ExecuteWorkflow(workflows.RiskWorkflow)
	if err := env.GetWorkflowError(); err == nil || calls != 1 {
		t.Fatalf("workflow error %v after %d calls, want a failure after one", err, calls)
	}
}
