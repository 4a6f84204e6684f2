package fireline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The invariant checker: what must hold of a deployment's record however hard it was pushed, and
// which record breaks it. The ledger's checks are set-based SQL over the whole history
// (VerifyStore); the workflow checks compare each incident's projection with what the workflow
// engine says of its workflow (WorkflowInspector). Verify runs both.

// Invariants a Violation names.
const (
	// InvariantAlarm: an acknowledged alarm is stored and attached to its incident (or is
	// recorded only, by its kind).
	InvariantAlarm = "alarm"
	// InvariantWorkflow: an incident's workflow exists, runs while the incident is open and
	// has completed once it ended.
	InvariantWorkflow = "workflow"
	// InvariantUnitOverlap: no unit ever held two assignments at once.
	InvariantUnitOverlap = "unit_overlap"
	// InvariantTimeline: an incident's timeline has no duplicate key and holds the events its
	// ledger says must exist.
	InvariantTimeline = "timeline"
	// InvariantProjection: the projection agrees with the workflow (status, open assignments)
	// and a unit's own row with its open assignment.
	InvariantProjection = "projection"
)

// Violation is one broken invariant, with the ids that break it and a one-line why.
type Violation struct {
	Invariant  string `json:"invariant"`
	IncidentID int64  `json:"incident_id,omitempty"`
	// OtherIncidentID is the second incident of a pair (the other holder of a unit).
	OtherIncidentID int64  `json:"other_incident_id,omitempty"`
	AlarmID         int64  `json:"alarm_id,omitempty"`
	UnitID          string `json:"unit_id,omitempty"`
	// Key is a timeline key, or an alarm's source and source id ("call/abc").
	Key string `json:"key,omitempty"`
	Why string `json:"why"`
}

// String is the violation on one line: invariant, ids, why.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Invariant)
	if v.IncidentID != 0 {
		fmt.Fprintf(&b, " incident=%d", v.IncidentID)
	}
	if v.OtherIncidentID != 0 {
		fmt.Fprintf(&b, " other_incident=%d", v.OtherIncidentID)
	}
	if v.AlarmID != 0 {
		fmt.Fprintf(&b, " alarm=%d", v.AlarmID)
	}
	if v.UnitID != "" {
		fmt.Fprintf(&b, " unit=%s", v.UnitID)
	}
	if v.Key != "" {
		fmt.Fprintf(&b, " key=%s", v.Key)
	}
	b.WriteString(": ")
	b.WriteString(v.Why)
	return b.String()
}

// AckedAlarm is an alarm a source was answered for, as a load generator or a source's own log
// wrote it down (one JSON object a line). IncidentID is 0 for an alarm recorded only.
type AckedAlarm struct {
	Source     AlarmSource `json:"source"`
	SourceID   string      `json:"source_id"`
	AlarmID    int64       `json:"alarm_id"`
	IncidentID int64       `json:"incident_id"`
}

// ProjectedIncident is an incident as its projection has it: its status and the units of its
// open assignments, sorted.
type ProjectedIncident struct {
	ID     int64
	Status IncidentStatus
	Units  []string
}

// WorkflowRun is what the workflow engine says of an incident's workflow: whether it exists,
// and its last run's state. Completed is a legal end; a failed, terminated or timed-out
// workflow is not.
type WorkflowRun struct {
	IncidentID int64
	Running    bool
	// Ended is the closed run's status when not running: "completed", "failed",
	// "terminated", "canceled", "timed_out".
	Ended string
}

// VerifyStore is the ledger side of the checker.
type VerifyStore interface {
	// VerifyLedger checks the invariants PostgreSQL alone can judge, over the whole history:
	// alarms without their incident, the acked alarms missing or elsewhere, units on two
	// assignments at once, units whose row disagrees with their open assignment, duplicate
	// timeline keys, and events the ledger says must exist. At most limit violations of each
	// kind.
	VerifyLedger(ctx context.Context, acked []AckedAlarm, limit int) ([]Violation, error)
	// ProjectedIncidents lists the live incidents' projections, all of them when ids is nil.
	ProjectedIncidents(ctx context.Context, ids []int64) ([]ProjectedIncident, error)
}

// WorkflowInspector is the workflow engine side of the checker.
type WorkflowInspector interface {
	// IncidentRuns lists every incident workflow the engine knows, by incident id. It may lag
	// a moment behind (the engine's visibility store): Verify checks again what looks wrong.
	IncidentRuns(ctx context.Context) (map[int64]WorkflowRun, error)
	// IncidentRun asks the engine directly about one incident's workflow; Found is false when
	// there is none.
	IncidentRun(ctx context.Context, incidentID int64) (run WorkflowRun, found bool, err error)
	// IncidentState asks a running workflow for its status and open assignments.
	IncidentState(ctx context.Context, incidentID int64) (ProjectedIncident, error)
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Acked are the acknowledged alarms to find, from a load generator's receipts.
	Acked []AckedAlarm
	// Limit caps the violations reported of each ledger kind; 0 means 1000.
	Limit int
	// Settle is how long to wait before checking again an incident whose workflow and
	// projection disagree, since an activity may be writing the projection at that moment;
	// 0 means 2 s. Only disagreements that last are reported.
	Settle time.Duration
	// Parallel is how many workflows are queried at once; 0 means 8.
	Parallel int
}

// VerifyReport is the checker's answer.
type VerifyReport struct {
	Incidents  int         `json:"incidents"`
	Workflows  int         `json:"workflows"`
	Acked      int         `json:"acked_alarms"`
	Violations []Violation `json:"violations"`
}

// OK reports whether every invariant holds.
func (r VerifyReport) OK() bool { return len(r.Violations) == 0 }

// Verify checks every invariant: the ledger's in store, then each incident's workflow in
// engine against its projection. engine may be nil (the workflow checks are then skipped).
// An error is a failure to check, not a violation.
func Verify(ctx context.Context, store VerifyStore, engine WorkflowInspector, o VerifyOptions) (VerifyReport, error) {
	if o.Limit <= 0 {
		o.Limit = 1000
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	rep := VerifyReport{Acked: len(o.Acked), Violations: []Violation{}}
	ledger, err := store.VerifyLedger(ctx, o.Acked, o.Limit)
	if err != nil {
		return rep, fmt.Errorf("verify ledger: %w", err)
	}
	rep.Violations = append(rep.Violations, ledger...)
	projections, err := store.ProjectedIncidents(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("verify: projections: %w", err)
	}
	rep.Incidents = len(projections)
	if engine == nil {
		return rep, nil
	}
	runs, err := engine.IncidentRuns(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify: workflows: %w", err)
	}
	rep.Workflows = len(runs)
	lookup := func(_ context.Context, id int64) (WorkflowRun, bool, error) {
		r, ok := runs[id]
		return r, ok, nil
	}
	suspects, err := checkWorkflows(ctx, engine, projections, lookup, o.Parallel)
	if err != nil {
		return rep, err
	}
	if len(suspects) == 0 {
		return rep, nil
	}
	// A second look, after a pause and from the engine itself rather than its visibility
	// store: what still disagrees is a violation.
	ids := make([]int64, 0, len(suspects))
	for id := range suspects {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	select {
	case <-ctx.Done():
		return rep, ctx.Err()
	case <-time.After(o.Settle):
	}
	again, err := store.ProjectedIncidents(ctx, ids)
	if err != nil {
		return rep, fmt.Errorf("verify: projections: %w", err)
	}
	lasting, err := checkWorkflows(ctx, engine, again, engine.IncidentRun, o.Parallel)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		rep.Violations = append(rep.Violations, lasting[id]...)
	}
	return rep, nil
}

// checkWorkflows compares each projection with its workflow, and answers the violations by
// incident.
func checkWorkflows(ctx context.Context, engine WorkflowInspector, ps []ProjectedIncident,
	run func(context.Context, int64) (WorkflowRun, bool, error), parallel int) (map[int64][]Violation, error) {
	var (
		mu    sync.Mutex
		out   = map[int64][]Violation{}
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, parallel)
	)
	for _, p := range ps {
		r, found, err := run(ctx, p.ID)
		if err != nil {
			return nil, fmt.Errorf("verify: workflow of incident %d: %w", p.ID, err)
		}
		if vs := CheckWorkflow(p, r, found, nil); len(vs) > 0 || !found || !r.Running || !p.Status.Open() {
			if len(vs) > 0 {
				// The queries already under way write out too.
				mu.Lock()
				out[p.ID] = vs
				mu.Unlock()
			}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(p ProjectedIncident, r WorkflowRun) {
			defer func() { <-sem; wg.Done() }()
			st, err := engine.IncidentState(ctx, p.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = fmt.Errorf("verify: query incident %d: %w", p.ID, err)
				}
				return
			}
			if vs := CheckWorkflow(p, r, true, &st); len(vs) > 0 {
				out[p.ID] = vs
			}
		}(p, r)
	}
	wg.Wait()
	return out, first
}

// CheckWorkflow judges one incident: its projection p against its workflow run r (found is
// false when the engine has none) and, for a running workflow, the state it answers (nil when
// not asked). A workflow runs exactly while its incident is open; a closed or cancelled
// incident is reviewed before its workflow completes, so a completed workflow leaves its
// incident reviewed or merged.
func CheckWorkflow(p ProjectedIncident, r WorkflowRun, found bool, st *ProjectedIncident) []Violation {
	v := func(inv, why string, args ...any) []Violation {
		return []Violation{{Invariant: inv, IncidentID: p.ID, Why: fmt.Sprintf(why, args...)}}
	}
	switch {
	case !found:
		return v(InvariantWorkflow, "the incident (%s) has no workflow", p.Status)
	case !r.Running && r.Ended != "completed":
		return v(InvariantWorkflow, "the incident's workflow ended %s, not completed (incident %s)", r.Ended, p.Status)
	case p.Status.Open() && !r.Running:
		return v(InvariantWorkflow, "the incident is %s but its workflow has completed", p.Status)
	case !p.Status.Open() && r.Running:
		return v(InvariantWorkflow, "the incident is %s but its workflow is still running", p.Status)
	case !r.Running && p.Status != IncidentReviewed && p.Status != IncidentMerged:
		return v(InvariantWorkflow, "the incident's workflow has completed but the incident is %s, not reviewed or merged", p.Status)
	}
	if st == nil {
		return nil
	}
	var out []Violation
	if st.Status != p.Status {
		out = append(out, v(InvariantProjection, "the projection says %s, the workflow %s", p.Status, st.Status)...)
	}
	if !slices.Equal(p.Units, st.Units) {
		out = append(out, v(InvariantProjection, "the projection's open assignments are %v, the workflow's %v", p.Units, st.Units)...)
	}
	return out
}
