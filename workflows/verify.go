package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

var _ fireline.WorkflowInspector = (*Inspector)(nil)

// Inspector reads incident workflows' existence and state for the invariant checker.
type Inspector struct {
	c         client.Client
	namespace string
}

// NewInspector wraps a connected Temporal client of namespace.
func NewInspector(c client.Client, namespace string) *Inspector {
	return &Inspector{c: c, namespace: namespace}
}

// IncidentRuns lists every incident workflow from the namespace's visibility store, a page of
// a thousand at a time. An incident that continued as new has several runs: it is running when
// one of them is, and otherwise its newest closed run says how it ended.
func (in *Inspector) IncidentRuns(ctx context.Context) (map[int64]fireline.WorkflowRun, error) {
	type seen struct {
		run   fireline.WorkflowRun
		close int64 // the closed run's close time, unix nanoseconds
	}
	// A running run says most; then a run that ended for good; a run that continued as new
	// says least (its successor may not be listed yet). Among equals the newest wins.
	rank := func(s seen) int {
		switch {
		case s.run.Running:
			return 2
		case s.run.Ended != "continued_as_new":
			return 1
		}
		return 0
	}
	runs := map[int64]seen{}
	var token []byte
	for {
		resp, err := in.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: in.namespace, PageSize: 1000, NextPageToken: token,
			Query: "WorkflowType = '" + IncidentWorkflow + "'",
		})
		if err != nil {
			return nil, translate("list incident workflows", err)
		}
		for _, e := range resp.GetExecutions() {
			id, ok := incidentID(e.GetExecution().GetWorkflowId())
			if !ok {
				continue
			}
			r := fireline.WorkflowRun{IncidentID: id, Running: e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
				Ended: ended(e.GetStatus())}
			s := seen{r, e.GetCloseTime().AsTime().UnixNano()}
			if prev, have := runs[id]; !have || rank(s) > rank(prev) || (rank(s) == rank(prev) && s.close > prev.close) {
				runs[id] = s
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	out := make(map[int64]fireline.WorkflowRun, len(runs))
	for id, s := range runs {
		out[id] = s.run
	}
	return out, nil
}

// IncidentRun asks the engine for the incident's workflow, its newest run, directly.
func (in *Inspector) IncidentRun(ctx context.Context, incidentID int64) (fireline.WorkflowRun, bool, error) {
	d, err := in.c.DescribeWorkflowExecution(ctx, fireline.WorkflowID(incidentID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fireline.WorkflowRun{IncidentID: incidentID}, false, nil
	}
	if err != nil {
		return fireline.WorkflowRun{}, false, translate("describe incident workflow", err)
	}
	s := d.GetWorkflowExecutionInfo().GetStatus()
	return fireline.WorkflowRun{IncidentID: incidentID, Running: s == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, Ended: ended(s)}, true, nil
}

// IncidentState queries a running workflow for its status and the units of its open
// assignments, sorted.
func (in *Inspector) IncidentState(ctx context.Context, incidentID int64) (fireline.ProjectedIncident, error) {
	var st IncidentState
	v, err := in.c.QueryWorkflow(ctx, fireline.WorkflowID(incidentID), "", QueryState)
	if err != nil {
		return fireline.ProjectedIncident{}, translate("query incident", err)
	}
	if err := v.Get(&st); err != nil {
		return fireline.ProjectedIncident{}, fmt.Errorf("decode incident %d state: %w", incidentID, err)
	}
	p := fireline.ProjectedIncident{ID: incidentID, Status: st.Status, Units: []string{}}
	for _, a := range st.Assignments {
		if a.ClearedAt == nil {
			p.Units = append(p.Units, a.UnitID)
		}
	}
	slices.Sort(p.Units)
	return p, nil
}

// incidentID reads fireline.WorkflowID back.
func incidentID(workflowID string) (int64, bool) {
	s, ok := strings.CutPrefix(workflowID, "incident:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// ended names a closed run's status; "" while it runs.
func ended(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return ""
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued_as_new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed_out"
	}
	return strings.ToLower(s.String())
}
