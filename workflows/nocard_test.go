package workflows_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

// TestStartWithoutRunCard starts an incident whose type and level have no run card: the
// workflow does not fail (it used to, leaving the incident assessing and unsupervised); the
// timeline says nothing could be recommended and why, and the operator's close still works.
func TestStartWithoutRunCard(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	env.RegisterActivity(acts)

	var mu sync.Mutex
	var events []fireline.TimelineEvent
	env.OnActivity(acts.SetIncidentStatus, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.Recommend, mock.Anything, mock.Anything).Return(activities.RecommendResult{},
		temporal.NewNonRetryableApplicationError("no response plan for structure_fire at level 1", fireline.ENOTFOUND, nil))
	env.OnActivity(acts.SnapshotIncidentType, mock.Anything, mock.Anything).Return(
		func(_ context.Context, t fireline.IncidentType) (fireline.TypeSnapshot, error) {
			return builtinSnapshots()[t], nil
		})
	env.OnActivity(acts.AppendEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, e fireline.TimelineEvent) error {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
			return nil
		})
	env.OnActivity(acts.Escalate, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.CloseIncident, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.CloseInput) ([]string, error) { return nil, nil })
	env.OnActivity(acts.WriteReview, mock.Anything, mock.Anything).Return(nil)

	var closed outcome
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateClose, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { closed.rejected, closed.done = err, true },
			OnComplete: func(_ any, err error) { closed.failed, closed.done = err, true },
		}, fireline.CloseOrder{Actor: "operator"})
	}, 2*time.Minute)
	env.ExecuteWorkflow(workflows.IncidentWorkflow, input())

	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	if !closed.done || closed.rejected != nil || closed.failed != nil {
		t.Fatalf("close: done=%v rejected=%v failed=%v", closed.done, closed.rejected, closed.failed)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range events {
		if e.Kind == fireline.EventRecommended {
			if e.Data["no_run_card"] != true {
				t.Errorf("recommended event %+v: want it marked no_run_card", e)
			}
			return
		}
	}
	t.Errorf("timeline %+v: want a recommended event saying no run card covers the incident", events)
}
