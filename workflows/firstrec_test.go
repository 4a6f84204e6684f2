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

// firstRecommendation runs an incident whose first recommendation rec answers, closes it two
// minutes in, and returns its recommended events and what the workflow asked rec for.
func firstRecommendation(t *testing.T, rec func(activities.RecommendInput) (activities.RecommendResult, error)) ([]fireline.TimelineEvent, []activities.RecommendInput) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	env.RegisterActivity(acts)

	var mu sync.Mutex
	var events []fireline.TimelineEvent
	var asked []activities.RecommendInput
	env.OnActivity(acts.SetIncidentStatus, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.Recommend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecommendInput) (activities.RecommendResult, error) {
			mu.Lock()
			asked = append(asked, in)
			mu.Unlock()
			return rec(in)
		})
	env.OnActivity(acts.SnapshotIncidentType, mock.Anything, mock.Anything).Return(
		func(_ context.Context, t fireline.IncidentType) (fireline.TypeSnapshot, error) {
			return builtinSnapshots()[t], nil
		})
	env.OnActivity(acts.AppendEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, e fireline.TimelineEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == fireline.EventRecommended {
				events = append(events, e)
			}
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
	return events, asked
}

// TestStartWithoutRunCard starts an incident whose type and level have no run card: the
// workflow does not fail (it used to, leaving the incident assessing and unsupervised); the
// timeline says nothing could be recommended and why, and the operator's close still works.
func TestStartWithoutRunCard(t *testing.T) {
	events, _ := firstRecommendation(t, func(activities.RecommendInput) (activities.RecommendResult, error) {
		return activities.RecommendResult{}, temporal.NewNonRetryableApplicationError("no response plan for structure_fire at level 1", fireline.ENOTFOUND, nil)
	})
	if len(events) != 1 || events[0].Data["no_run_card"] != true {
		t.Errorf("recommended events %+v: want one, saying no run card covers the incident", events)
	}
}

// TestStartTakesOverIntakesRecommendation: the first recommendation asks for the one intake
// held; when it is taken over, its timeline event is dated when intake stored it (the operators
// had it from then), not when the workflow got to it, and says it was made at intake.
func TestStartTakesOverIntakesRecommendation(t *testing.T) {
	heldAt := t0.Add(40 * time.Millisecond)
	events, asked := firstRecommendation(t, func(in activities.RecommendInput) (activities.RecommendResult, error) {
		res := recommend(in)
		if in.Held {
			res.HeldAt = &heldAt
		}
		return res, nil
	})
	if len(asked) != 1 || !asked[0].Held {
		t.Fatalf("asked for %+v, want one first recommendation asking for intake's", asked)
	}
	if len(events) != 1 || !events[0].At.Equal(heldAt) || events[0].Data["at_intake"] != true {
		t.Errorf("recommended events %+v, want one dated %s, made at intake", events, heldAt)
	}
}
