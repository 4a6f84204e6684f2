package fireline_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestCheckWorkflow(t *testing.T) {
	running := fireline.WorkflowRun{IncidentID: 7, Running: true}
	done := fireline.WorkflowRun{IncidentID: 7, Ended: "completed"}
	open := fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentActive, Units: []string{"E1"}}
	tests := []struct {
		name  string
		p     fireline.ProjectedIncident
		r     fireline.WorkflowRun
		found bool
		st    *fireline.ProjectedIncident
		want  string // the invariant broken, "" for none
		why   string
	}{
		{"open and running, agreeing", open, running, true, &open, "", ""},
		{"open and running, not asked", open, running, true, nil, "", ""},
		{"reviewed and completed", fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentReviewed}, done, true, nil, "", ""},
		{"merged and completed", fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentMerged}, done, true, nil, "", ""},
		{"no workflow", open, fireline.WorkflowRun{}, false, nil, fireline.InvariantWorkflow, "no workflow"},
		{"open but completed", open, done, true, nil, fireline.InvariantWorkflow, "has completed"},
		{"reviewed but running", fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentReviewed}, running, true, nil, fireline.InvariantWorkflow, "still running"},
		{"closed but completed: no review", fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentClosed}, done, true, nil, fireline.InvariantWorkflow, "not reviewed"},
		{"terminated", fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentReviewed}, fireline.WorkflowRun{Ended: "terminated"}, true, nil, fireline.InvariantWorkflow, "terminated"},
		{"status disagrees", open, running, true, &fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentControlled, Units: []string{"E1"}}, fireline.InvariantProjection, "the workflow controlled"},
		{"assignments disagree", open, running, true, &fireline.ProjectedIncident{ID: 7, Status: fireline.IncidentActive, Units: []string{"E1", "E2"}}, fireline.InvariantProjection, "[E1 E2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := fireline.CheckWorkflow(tt.p, tt.r, tt.found, tt.st)
			if tt.want == "" {
				if len(vs) != 0 {
					t.Fatalf("violations %v, want none", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].Invariant != tt.want || vs[0].IncidentID != 7 || !strings.Contains(vs[0].Why, tt.why) {
				t.Fatalf("violations %v, want one %s of incident 7 saying %q", vs, tt.want, tt.why)
			}
		})
	}
}

// verifyFakes are a store and an engine in memory; the engine's answers may change after the
// first look, as a workflow's do while its activity writes the projection.
type verifyFakes struct {
	mu          sync.Mutex
	ledger      []fireline.Violation
	projections []fireline.ProjectedIncident
	listed      map[int64]fireline.WorkflowRun
	states      map[int64]fireline.ProjectedIncident
	// later replaces states once the first pass has queried them.
	later   map[int64]fireline.ProjectedIncident
	queried int
}

func (f *verifyFakes) VerifyLedger(context.Context, []fireline.AckedAlarm, int) ([]fireline.Violation, error) {
	return f.ledger, nil
}

func (f *verifyFakes) ProjectedIncidents(_ context.Context, ids []int64) ([]fireline.ProjectedIncident, error) {
	var out []fireline.ProjectedIncident
	for _, p := range f.projections {
		if ids == nil || slices.Contains(ids, p.ID) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *verifyFakes) IncidentRuns(context.Context) (map[int64]fireline.WorkflowRun, error) {
	return f.listed, nil
}

func (f *verifyFakes) IncidentRun(_ context.Context, id int64) (fireline.WorkflowRun, bool, error) {
	r, ok := f.listed[id]
	return r, ok, nil
}

func (f *verifyFakes) IncidentState(_ context.Context, id int64) (fireline.ProjectedIncident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queried++
	if st, ok := f.later[id]; ok && f.queried > len(f.states) {
		return st, nil
	}
	return f.states[id], nil
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	run := fireline.WorkflowRun{Running: true}
	f := &verifyFakes{
		ledger: []fireline.Violation{{Invariant: fireline.InvariantTimeline, IncidentID: 1, Key: "closed", Why: "twice"}},
		projections: []fireline.ProjectedIncident{
			{ID: 1, Status: fireline.IncidentReviewed},
			{ID: 2, Status: fireline.IncidentActive, Units: []string{"E1"}},
			{ID: 3, Status: fireline.IncidentActive, Units: []string{"E2"}},
			{ID: 4, Status: fireline.IncidentActive},
		},
		listed: map[int64]fireline.WorkflowRun{1: {Ended: "completed"}, 2: run, 3: run},
		// 2 is caught mid-write and agrees on the second look; 3 disagrees for good; 4 has no
		// workflow.
		states: map[int64]fireline.ProjectedIncident{
			2: {ID: 2, Status: fireline.IncidentDispatching, Units: []string{"E1"}},
			3: {ID: 3, Status: fireline.IncidentActive, Units: []string{"E3"}},
		},
		later: map[int64]fireline.ProjectedIncident{2: {ID: 2, Status: fireline.IncidentActive, Units: []string{"E1"}}},
	}
	rep, err := fireline.Verify(ctx, f, f, fireline.VerifyOptions{Settle: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rep.Violations {
		got = append(got, v.String())
	}
	want := []string{
		"timeline incident=1 key=closed: twice",
		"projection incident=3: the projection's open assignments are [E2], the workflow's [E3]",
		"workflow incident=4: the incident (active) has no workflow",
	}
	if !slices.Equal(got, want) || rep.OK() || rep.Incidents != 4 || rep.Workflows != 3 {
		t.Errorf("report %+v\n got %q\nwant %q", rep, got, want)
	}

	ledgerOnly, err := fireline.Verify(ctx, f, nil, fireline.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ledgerOnly.Violations) != 1 || ledgerOnly.Workflows != 0 {
		t.Errorf("without an engine: %+v, want the ledger's one violation", ledgerOnly)
	}
}
