package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
)

var _ fireline.IncidentService = (*Client)(nil)

// Client drives incident workflows from outside: intake starts and signals them, the API sends
// operators' orders and crews' reports. It translates Temporal's errors into *fireline.Error.
type Client struct {
	c      client.Client
	policy TimerPolicy
	// search is set once the namespace is known to have the incident search attributes.
	search bool
}

// NewClient wraps a connected Temporal client. policy gives the supervision timers of the
// incidents it starts.
func NewClient(c client.Client, policy TimerPolicy) *Client {
	return &Client{c: c, policy: policy}
}

// EnsureSearchAttributes registers the incident search attributes (SearchType, SearchLevel,
// SearchStatus, SearchCell) in the namespace, or finds them there; from then on the incidents
// this client starts keep them current. A namespace the client may not change (a managed
// cluster) answers an error: incidents then run without them.
func (c *Client) EnsureSearchAttributes(ctx context.Context, namespace string) error {
	want := map[string]enumspb.IndexedValueType{
		SearchType: enumspb.INDEXED_VALUE_TYPE_KEYWORD, SearchLevel: enumspb.INDEXED_VALUE_TYPE_INT,
		SearchStatus: enumspb.INDEXED_VALUE_TYPE_KEYWORD, SearchCell: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
	ops := c.c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return translate("list search attributes", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, t := range want {
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = t
		case got != t:
			return fmt.Errorf("search attribute %s is %s in namespace %s, want %s", name, got, namespace, t)
		}
	}
	if len(missing) > 0 {
		_, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return translate("add search attributes", err)
		}
	}
	c.search = true
	return nil
}

// AlarmReceived starts the incident's workflow with the alarm, or signals the alarm to the
// running one (SignalWithStart, so two alarms racing for a new incident make one workflow).
// first is the incident's first alarm, which starts call processing. An incident whose workflow
// has already completed is left alone: a repeated alarm must not reopen it.
func (c *Client) AlarmReceived(ctx context.Context, incidentID int64, first, alarm fireline.Alarm) error {
	_, err := c.c.SignalWithStartWorkflow(ctx, fireline.WorkflowID(incidentID), SignalAlarm, AlarmSignal{Alarm: alarm},
		client.StartWorkflowOptions{
			ID:                    fireline.WorkflowID(incidentID),
			TaskQueue:             TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		},
		IncidentWorkflow, IncidentInput{IncidentID: incidentID, Alarm: first, Timers: c.policy.Default, Policy: &c.policy,
			SearchAttributes: c.search})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return translate("start incident", err)
}

// AlarmRecorded tells an incident's running workflow of an alarm that did not join it, such as
// a panel's reset after the alarm that opened it: before any dispatch the workflow cancels the
// incident, after one it only records the reset. It never starts a workflow; an incident whose
// workflow has finished is an ECONFLICT.
func (c *Client) AlarmRecorded(ctx context.Context, incidentID int64, alarm fireline.Alarm) error {
	return translate("signal alarm", c.c.SignalWorkflow(ctx, fireline.WorkflowID(incidentID), "", SignalAlarm, AlarmSignal{Alarm: alarm}))
}

// Dispatch sends the operator's dispatch order and waits for the reservation's outcome.
func (c *Client) Dispatch(ctx context.Context, incidentID int64, o fireline.DispatchOrder) error {
	return c.update(ctx, incidentID, UpdateDispatch, o, nil)
}

// Close sends the operator's close order and waits until the incident is closed.
func (c *Client) Close(ctx context.Context, incidentID int64, o fireline.CloseOrder) error {
	return c.update(ctx, incidentID, UpdateClose, o, nil)
}

// Assess sends an operator's assessment and waits for it, and for any reinforcement it sends.
func (c *Client) Assess(ctx context.Context, incidentID int64, o fireline.AssessOrder) error {
	return c.update(ctx, incidentID, UpdateAssess, o, nil)
}

// Controlled reports the incident under control.
func (c *Client) Controlled(ctx context.Context, incidentID int64, o fireline.StageOrder) error {
	return c.update(ctx, incidentID, UpdateControlled, o, nil)
}

// Cancel calls the incident off and waits until its units are released.
func (c *Client) Cancel(ctx context.Context, incidentID int64, o fireline.CancelOrder) error {
	return c.update(ctx, incidentID, UpdateCancel, o, nil)
}

// MergeInto merges the incident into o.Into and waits until its alarms and units moved.
func (c *Client) MergeInto(ctx context.Context, incidentID int64, o fireline.MergeOrder) error {
	return c.update(ctx, incidentID, UpdateMergeInto, o, nil)
}

// SplitAlarm moves an alarm out into an incident of its own and names it.
func (c *Client) SplitAlarm(ctx context.Context, incidentID int64, o fireline.SplitOrder) (int64, error) {
	var res SplitResult
	err := c.update(ctx, incidentID, UpdateSplitAlarm, o, &res)
	return res.IncidentID, err
}

// AgencyTask reports a joint-agency task's progress.
func (c *Client) AgencyTask(ctx context.Context, incidentID int64, o fireline.AgencyTaskOrder) (fireline.AgencyTask, error) {
	var t fireline.AgencyTask
	err := c.update(ctx, incidentID, UpdateAgencyTask, o, &t)
	return t, err
}

// ConfirmPAR reports every crew on scene accounted for.
func (c *Client) ConfirmPAR(ctx context.Context, incidentID int64, o fireline.StageOrder) error {
	return c.update(ctx, incidentID, UpdateConfirmPAR, o, nil)
}

// UnitStatus forwards a crew's status report to the incident the unit is on.
func (c *Client) UnitStatus(ctx context.Context, incidentID int64, r fireline.UnitStatusReport) error {
	return translate("signal unit status", c.c.SignalWorkflow(ctx, fireline.WorkflowID(incidentID), "", SignalUnitStatus, r))
}

// State asks the incident's workflow what it knows now. It is for debugging and tests: pages
// read the incident from the IncidentStore's projection, which works with Temporal down.
func (c *Client) State(ctx context.Context, incidentID int64) (IncidentState, error) {
	var st IncidentState
	v, err := c.c.QueryWorkflow(ctx, fireline.WorkflowID(incidentID), "", QueryState)
	if err != nil {
		return st, translate("query incident", err)
	}
	return st, translate("decode state", v.Get(&st))
}

// Ready reports whether the Temporal frontend answers.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return translate("temporal health", err)
}

func (c *Client) update(ctx context.Context, incidentID int64, name string, arg, result any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID:   fireline.WorkflowID(incidentID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	if key := fireline.OrderKey(ctx); key != "" {
		// The engine keeps an Update's outcome by its id: the same order sent again with the
		// same key attaches to the first, in flight or done, instead of being judged anew
		// against the state the first one made.
		opts.UpdateID = name + ":" + key
	}
	h, err := c.c.UpdateWorkflow(ctx, opts)
	if err != nil {
		return translate(name, err)
	}
	return translate(name, h.Get(ctx, result))
}

// translate maps Temporal's errors to the domain's: application errors carry our error code as
// their type; a missing or finished workflow is a conflict the caller can understand.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() != "" && isCode(app.Type()) {
		return &fireline.Error{Code: app.Type(), Message: app.Message()}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fireline.Errorf(fireline.ECONFLICT, "the incident's workflow has finished or does not exist")
	}
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		waiting     *client.WorkflowUpdateServiceTimeoutOrCanceledError
	)
	// An Update that times out waiting for the engine comes back as its own error type, over
	// a gRPC deadline rather than the context's: the engine is slow or gone either way.
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &waiting) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, &fireline.Error{Code: fireline.EUNAVAILABLE, Message: "the workflow engine is not answering; try again"})
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isCode(s string) bool {
	switch s {
	case fireline.EINVALID, fireline.ENOTFOUND, fireline.ECONFLICT, fireline.EUNAUTHORIZED, fireline.EFORBIDDEN, fireline.ETOOLARGE:
		return true
	}
	return false
}
