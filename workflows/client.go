package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
)

// Client drives incident workflows from outside: intake starts and signals them, the API sends
// operators' orders and crews' reports. It translates Temporal's errors into *fireline.Error.
type Client struct {
	c      client.Client
	timers Timers
}

// NewClient wraps a connected Temporal client. timers apply to incidents it starts.
func NewClient(c client.Client, timers Timers) *Client {
	return &Client{c: c, timers: timers}
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
		IncidentWorkflow, IncidentInput{IncidentID: incidentID, Alarm: first, Timers: c.timers})
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
func (c *Client) Dispatch(ctx context.Context, incidentID int64, req DispatchRequest) (DispatchResult, error) {
	var res DispatchResult
	err := c.update(ctx, incidentID, UpdateDispatch, req, &res)
	return res, err
}

// Close sends the operator's close order and waits until the incident is closed.
func (c *Client) Close(ctx context.Context, incidentID int64, req CloseRequest) (IncidentState, error) {
	var st IncidentState
	err := c.update(ctx, incidentID, UpdateClose, req, &st)
	return st, err
}

// UnitStatus forwards a crew's status report to the incident the unit is on.
func (c *Client) UnitStatus(ctx context.Context, incidentID int64, sig UnitStatusSignal) error {
	return translate("signal unit status", c.c.SignalWorkflow(ctx, fireline.WorkflowID(incidentID), "", SignalUnitStatus, sig))
}

// State asks the incident's workflow what it knows now.
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
	h, err := c.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   fireline.WorkflowID(incidentID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
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
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) || errors.Is(err, context.DeadlineExceeded) {
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
