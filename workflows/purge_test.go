package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

func TestPurgePersonalData(t *testing.T) {
	var purger *activities.Purger
	tests := []struct {
		name      string
		retention time.Duration
		wantCalls int
	}{
		{"ninety days", 90 * 24 * time.Hour, 1},
		{"zero keeps everything", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(t0)
			env.RegisterWorkflowWithOptions(workflows.PurgePersonalData, workflows.PurgeOptions())
			env.RegisterActivity(purger)
			var cutoffs []time.Time
			env.OnActivity(purger.PurgePersonalData, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.PurgeInput) (fireline.PurgeResult, error) {
					cutoffs = append(cutoffs, in.Cutoff)
					return fireline.PurgeResult{Alarms: 7}, nil
				}).Maybe()

			env.ExecuteWorkflow(workflows.PurgeWorkflow, workflows.PurgeInput{Retention: tt.retention})
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			if len(cutoffs) != tt.wantCalls {
				t.Fatalf("purge activity ran %d times, want %d", len(cutoffs), tt.wantCalls)
			}
			var res fireline.PurgeResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if tt.wantCalls == 0 {
				if res.Alarms != 0 {
					t.Errorf("result %+v, want nothing purged", res)
				}
				return
			}
			if want := t0.Add(-tt.retention); !cutoffs[0].Equal(want) {
				t.Errorf("cutoff %s, want the start less the retention, %s", cutoffs[0], want)
			}
			if res.Alarms != 7 {
				t.Errorf("result %+v, want the activity's count", res)
			}
		})
	}
}
