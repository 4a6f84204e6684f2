package workflows_test

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/workflows"
)

// TestStartWaitsForEarlyAssessment sends an assessment while the first status is still being
// written, and keeps it in flight when start wants the order lock: start waits for it instead
// of recommending beside it, so no recommendation is made for the alarm's level once the
// operator has assessed, nor a second one after the assessment's. The harness's activities answer at once, so this test slows them.
func TestStartWaitsForEarlyAssessment(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	env.RegisterActivity(acts)

	var mu sync.Mutex
	var levels []int
	env.OnActivity(acts.SetIncidentStatus, mock.Anything, mock.Anything).Return(nil).After(10 * time.Second)
	env.OnActivity(acts.AssessIncident, mock.Anything, mock.Anything).Return(nil).After(20 * time.Second)
	env.OnActivity(acts.Recommend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecommendInput) (activities.RecommendResult, error) {
			mu.Lock()
			levels = append(levels, in.Level)
			mu.Unlock()
			return recommend(in), nil
		})
	env.OnActivity(acts.RequestAgencyTasks, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.SnapshotIncidentType, mock.Anything, mock.Anything).Return(
		func(_ context.Context, t fireline.IncidentType) (fireline.TypeSnapshot, error) {
			return builtinSnapshots()[t], nil
		})
	env.OnActivity(acts.AppendEvent, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.Escalate, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.CloseIncident, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.CloseInput) ([]string, error) { return nil, nil })
	env.OnActivity(acts.WriteReview, mock.Anything, mock.Anything).Return(nil)

	var assessed, closed outcome
	for _, u := range []struct {
		at   time.Duration
		name string
		arg  any
		out  *outcome
	}{
		{5 * time.Second, workflows.UpdateAssess, fireline.AssessOrder{Type: fireline.TypeStructureFire, Level: 2, Priority: 1, Actor: "operator"}, &assessed},
		{2 * time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator"}, &closed},
	} {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(u.name, "", &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnReject:   func(err error) { u.out.rejected, u.out.done = err, true },
				OnComplete: func(_ any, err error) { u.out.failed, u.out.done = err, true },
			}, u.arg)
		}, u.at)
	}
	env.ExecuteWorkflow(workflows.IncidentWorkflow, input())

	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	for name, o := range map[string]outcome{"assess": assessed, "close": closed} {
		if !o.done || o.rejected != nil || o.failed != nil {
			t.Fatalf("%s: done=%v rejected=%v failed=%v", name, o.done, o.rejected, o.failed)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(levels) == 0 || slices.ContainsFunc(levels, func(l int) bool { return l != 2 }) {
		t.Errorf("recommended for levels %v, want only the assessed level 2: start ran beside the assessment", levels)
	}
	if len(levels) != 1 {
		t.Errorf("recommended %d times (levels %v), want once: start recommended again after the assessment had", len(levels), levels)
	}
}

// TestStartWritesLocally runs a new incident to its recommendation and close: since
// localWritesChange its short store steps (the statuses, the timeline events, the
// recommendation) run as local activities in the workflow task, and only the steps that are
// not short (reserving units, closing, the review) remain activity tasks of their own.
func TestStartWritesLocally(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	local, remote := map[string]int{}, map[string]int{}
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		mu.Lock()
		defer mu.Unlock()
		local[info.ActivityType.Name]++
	})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		remote[info.ActivityType.Name]++
	})
	var dispatched, closed outcome
	h.update(5*time.Second, workflows.UpdateDispatch, fireline.DispatchOrder{UnitIDs: []string{"E-1"}, Actor: "operator"}, &dispatched)
	h.update(10*time.Minute, workflows.UpdateClose, fireline.CloseOrder{Actor: "operator", Reason: "fire out"}, &closed)
	st := h.run(t)
	if !dispatched.done || dispatched.failed != nil || !closed.done || closed.failed != nil {
		t.Fatalf("dispatch %+v close %+v, want both done", dispatched, closed)
	}
	if len(st.Recommendation) == 0 || !slices.Contains(h.eventKeys(), "recommended:1") {
		t.Fatalf("recommendation %v, events %v: want one recorded", st.Recommendation, h.eventKeys())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"SetIncidentStatus", "AppendEvent"} {
		if local[name] == 0 || remote[name] != 0 {
			t.Errorf("%s: %d local, %d activity tasks; want local only", name, local[name], remote[name])
		}
	}
	// A replacement for a silent crew is still looked for by an activity task (supervision).
	if local["Recommend"] != 1 {
		t.Errorf("Recommend: %d local, want the start's one", local["Recommend"])
	}
	for _, name := range []string{"ReserveUnits", "WriteReview"} {
		if remote[name] == 0 || local[name] != 0 {
			t.Errorf("%s: %d local, %d activity tasks; want activity tasks only", name, local[name], remote[name])
		}
	}
}
