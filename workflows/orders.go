package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Operator orders arrive as Updates. Each has a validator, which refuses a bad order before it
// enters history, and a handler, which carries the order out. A handler that waits for the
// order in flight checks the incident again afterwards: it may have moved meanwhile.

// refuseIfEnding is the common check of every order: the incident must be open and not ending.
func (inc *incident) refuseIfEnding() error {
	if inc.ending || !inc.st.Status.Open() {
		return reject(fireline.ECONFLICT, "incident %d is %s", inc.st.IncidentID, inc.doneWord())
	}
	return nil
}

func (inc *incident) doneWord() fireline.IncidentStatus {
	if inc.ending && inc.st.Status.Open() {
		return "ending"
	}
	return inc.st.Status
}

// validateAssess refuses an assessment that is malformed or comes too late.
func (inc *incident) validateAssess(_ workflow.Context, req fireline.AssessOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	return inc.refuseIfEnding()
}

func (inc *incident) assess(ctx workflow.Context, req fireline.AssessOrder) (IncidentState, error) {
	if err := inc.orders.Lock(ctx); err != nil {
		return inc.st, err
	}
	defer inc.release()
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	how := "assessed"
	if inc.st.AssessedAt != nil {
		how = "reassessed"
	}
	err := inc.applyAssessment(ctx, req, how)
	return inc.st, err
}

// validateDispatch refuses a dispatch the incident cannot take: before any recommendation, or
// of a unit it already has or was never offered. Whether a unit is free is decided by
// PostgreSQL in ReserveUnits.
func (inc *incident) validateDispatch(_ workflow.Context, req fireline.DispatchOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	if inc.led.Recommendations == 0 {
		return reject(fireline.ECONFLICT, "incident %d has no recommendation yet; retry in a moment", inc.st.IncidentID)
	}
	known := func(id string) bool {
		in := func(r fireline.Recommendation) bool { return r.UnitID == id }
		return slices.ContainsFunc(inc.st.Recommendation, in) || slices.ContainsFunc(inc.st.Alternates, in) ||
			slices.ContainsFunc(inc.st.Replacements, in)
	}
	for _, id := range req.UnitIDs {
		switch {
		case inc.assignment(id) != nil:
			return reject(fireline.ECONFLICT, "unit %s is already on incident %d", id, inc.st.IncidentID)
		case !known(id):
			return reject(fireline.EINVALID, "unit_ids: %s is not among the units recommended for incident %d", id, inc.st.IncidentID)
		}
	}
	return nil
}

// dispatch reserves the units in PostgreSQL (all or nothing) and supervises them. A dispatch
// before any assessment accepts the alarm's type at its level: the call-processing clock, not
// a form, sets the pace.
func (inc *incident) dispatch(ctx workflow.Context, req fireline.DispatchOrder) (DispatchResult, error) {
	if err := inc.orders.Lock(ctx); err != nil {
		return DispatchResult{}, err
	}
	defer inc.release()
	if err := inc.refuseIfEnding(); err != nil {
		return DispatchResult{}, err
	}
	if inc.st.AssessedAt == nil {
		now := workflow.Now(ctx)
		inc.led.Assessments++
		err := workflow.ExecuteActivity(withFewRetries(ctx), acts.AssessIncident, activities.AssessInput{
			IncidentID: inc.st.IncidentID, Type: inc.st.Type, Level: inc.st.Level, Priority: 2, AssessedBy: "dispatch",
			Event: inc.stamp(ctx, fireline.TimelineEvent{
				Key: fmt.Sprintf("assessed:%d", inc.led.Assessments), Kind: fireline.EventAssessed, Actor: req.Actor,
				Detail: fmt.Sprintf("assessed at dispatch: %s, level %d", inc.st.Type, inc.st.Level),
				Data:   map[string]any{"type": inc.st.Type, "level": inc.st.Level, "priority": 2},
			}),
		}).Get(ctx, nil)
		if err != nil {
			return DispatchResult{}, err
		}
		inc.st.AssessedAt, inc.st.AssessedBy, inc.st.Priority = &now, "dispatch", 2
		if err := inc.requestAgencyTasks(ctx, req.Actor); err != nil {
			return DispatchResult{}, err
		}
	}
	res, err := inc.reserve(ctx, req.UnitIDs, req.Actor, fireline.EventDispatched, "dispatched")
	if err != nil && inc.st.FirstDispatchAt == nil && inc.recommendedAny(req.UnitIDs) {
		return res, inc.refreshStale(ctx, err)
	}
	return res, err
}

// recommendedAny says whether any of ids is in the incident's recommendation.
func (inc *incident) recommendedAny(ids []string) bool {
	return slices.ContainsFunc(inc.st.Recommendation, func(r fireline.Recommendation) bool { return slices.Contains(ids, r.UnitID) })
}

// refreshStale answers a dispatch of the recommendation that the store refused because
// another incident took a unit of it first (staleChange): the incident is recommended afresh
// before the refusal goes back, so the operator's next read, and the console at once, has a
// recommendation that can be dispatched. Any other refusal goes back as it came.
func (inc *incident) refreshStale(ctx workflow.Context, refused error) error {
	var app *temporal.ApplicationError
	if !errors.As(refused, &app) || app.Type() != fireline.ECONFLICT {
		return refused
	}
	if workflow.GetVersion(ctx, staleChange, workflow.DefaultVersion, staleVersion) < staleVersion {
		return refused
	}
	if err := inc.recommend(ctx, false); err != nil {
		inc.log.Warn("recommending afresh after a refused dispatch failed", "error", err)
		return refused
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s; the incident has been recommended afresh: %v", app.Message(), fireline.RecommendedUnits(inc.st.Recommendation)),
		fireline.ECONFLICT, nil)
}

// validateControlled refuses control of an incident that is not active.
func (inc *incident) validateControlled(_ workflow.Context, req fireline.StageOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	if inc.st.Status != fireline.IncidentActive {
		return reject(fireline.ECONFLICT, "incident %d is %s: only an active incident comes under control", inc.st.IncidentID, inc.st.Status)
	}
	return nil
}

func (inc *incident) controlled(ctx workflow.Context, req fireline.StageOrder) (IncidentState, error) {
	now := workflow.Now(ctx)
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.SetIncidentStatus, activities.StatusInput{
		IncidentID: inc.st.IncidentID, Status: fireline.IncidentControlled,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: "status:controlled", Kind: fireline.EventStatusChanged, Actor: req.Actor,
			Detail: "controlled: the incident is under control",
			Data:   map[string]any{"status": fireline.IncidentControlled},
		}),
	}).Get(ctx, nil)
	if err != nil {
		return inc.st, err
	}
	inc.st.Status, inc.st.ControlledAt = fireline.IncidentControlled, &now
	inc.upsertSearch(ctx)
	return inc.st, nil
}

// validateClose refuses a malformed close, or one of an incident already ending.
func (inc *incident) validateClose(_ workflow.Context, req fireline.CloseOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	return inc.refuseIfEnding()
}

func (inc *incident) close(ctx workflow.Context, req fireline.CloseOrder) (IncidentState, error) {
	return inc.end(ctx, fireline.IncidentClosed, req.Actor, req.Reason)
}

// validateCancel refuses a cancel that does not say why, or one of an incident already ending.
func (inc *incident) validateCancel(_ workflow.Context, req fireline.CancelOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	return inc.refuseIfEnding()
}

func (inc *incident) cancel(ctx workflow.Context, req fireline.CancelOrder) (IncidentState, error) {
	return inc.end(ctx, fireline.IncidentCancelled, req.Actor, strings.TrimSpace(req.Reason))
}

// waitForOrders waits until the order in flight, if any, has finished, without taking the lock.
// The ending order has set ending first, so every order that takes the lock after it is refused
// at once, instead of queuing behind the close and running after all should the close fail.
func (inc *incident) waitForOrders(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return !inc.orders.IsLocked() })
}

// end closes or cancels the incident: every unit still committed is released and open agency
// tasks are called off; the main line then writes the review.
func (inc *incident) end(ctx workflow.Context, outcome fireline.IncidentStatus, actor, reason string) (IncidentState, error) {
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	inc.ending = true
	if err := inc.waitForOrders(ctx); err != nil {
		return inc.st, err
	}
	now := workflow.Now(ctx)
	kind, detail := fireline.EventClosed, "incident closed"
	if outcome == fireline.IncidentCancelled {
		kind, detail = fireline.EventCancelled, "incident cancelled"
	}
	if reason != "" {
		detail += ": " + reason
	}
	err := workflow.ExecuteActivity(withRetries(ctx), acts.CloseIncident, activities.CloseInput{
		IncidentID: inc.st.IncidentID, At: now, Status: outcome,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: string(outcome), Kind: kind, Actor: actor, Detail: detail, Data: map[string]any{"reason": reason},
		}),
	}).Get(ctx, nil)
	if err != nil {
		inc.ending = false
		return inc.st, err
	}
	for i := range inc.st.Assignments {
		if a := &inc.st.Assignments[i]; a.ClearedAt == nil {
			a.ClearedAt, a.Status = &now, fireline.UnitAvailable
		}
	}
	for i := range inc.st.AgencyTasks {
		if t := &inc.st.AgencyTasks[i]; !t.Status.Finished() {
			t.Status, t.UpdatedAt, t.Note = fireline.TaskCancelled, now, "incident "+string(outcome)
		}
	}
	inc.st.Status, inc.st.Outcome, inc.st.Reason = outcome, outcome, reason
	inc.st.PARDueAt = nil
	inc.upsertSearch(ctx)
	return inc.st, nil
}

// validateMergeInto refuses a merge that names no other incident, or of an incident already
// ending. Whether the other incident is open is decided by PostgreSQL in MergeIncidents.
func (inc *incident) validateMergeInto(_ workflow.Context, req fireline.MergeOrder) error {
	if err := req.Validate(inc.st.IncidentID); err != nil {
		return refusal(err)
	}
	return inc.refuseIfEnding()
}

// mergeInto merges this incident into another: PostgreSQL moves the alarms and open
// assignments, this incident ends as merged, and the other incident's workflow is told what it
// now has.
func (inc *incident) mergeInto(ctx workflow.Context, req fireline.MergeOrder) (IncidentState, error) {
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	inc.ending = true
	if err := inc.waitForOrders(ctx); err != nil {
		return inc.st, err
	}
	var res activities.MergeResult
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.MergeIncidents, activities.MergeInput{
		From: inc.st.IncidentID, Into: req.Into, At: workflow.Now(ctx), Actor: req.Actor,
	}).Get(ctx, &res)
	if err != nil {
		inc.ending = false
		return inc.st, err
	}
	var moved []fireline.Assignment
	for _, a := range inc.st.Assignments {
		if a.ClearedAt == nil && slices.Contains(res.Units, a.UnitID) {
			moved = append(moved, a)
		}
	}
	sig := MergedSignal{From: inc.st.IncidentID, AlarmIDs: res.AlarmIDs, Assignments: moved, Actor: req.Actor}
	if err := workflow.SignalExternalWorkflow(ctx, fireline.WorkflowID(req.Into), "", SignalMerged, sig).Get(ctx, nil); err != nil {
		// PostgreSQL holds the merge; the other incident's console still shows its units.
		inc.log.Error("merged incident not told", "into", req.Into, "error", err)
	}
	inc.st.Assignments = slices.DeleteFunc(inc.st.Assignments, func(a fireline.Assignment) bool {
		return a.ClearedAt == nil && slices.Contains(res.Units, a.UnitID)
	})
	inc.st.Status, inc.st.Outcome, inc.st.MergedInto = fireline.IncidentMerged, fireline.IncidentMerged, req.Into
	inc.st.PARDueAt = nil
	inc.upsertSearch(ctx)
	return inc.st, nil
}

// validateSplitAlarm refuses to split out an alarm the incident does not have, or its only one.
func (inc *incident) validateSplitAlarm(_ workflow.Context, req fireline.SplitOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	switch {
	case !slices.Contains(inc.st.AlarmIDs, req.AlarmID):
		return reject(fireline.EINVALID, "alarm_id: %d is not an alarm of incident %d", req.AlarmID, inc.st.IncidentID)
	case len(inc.st.AlarmIDs) < 2:
		return reject(fireline.ECONFLICT, "alarm %d is the only alarm of incident %d: there is nothing to split it from", req.AlarmID, inc.st.IncidentID)
	}
	return nil
}

// splitAlarm moves an alarm into an incident of its own, whose workflow starts as a child this
// incident abandons: the new incident lives on whatever becomes of this one.
func (inc *incident) splitAlarm(ctx workflow.Context, req fireline.SplitOrder) (SplitResult, error) {
	if err := inc.orders.Lock(ctx); err != nil {
		return SplitResult{}, err
	}
	defer inc.release()
	if err := inc.refuseIfEnding(); err != nil {
		return SplitResult{}, err
	}
	var res activities.SplitResult
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.SplitAlarm, activities.SplitInput{
		From: inc.st.IncidentID, AlarmID: req.AlarmID, At: workflow.Now(ctx), Actor: req.Actor,
	}).Get(ctx, &res)
	if err != nil {
		return SplitResult{}, err
	}
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            fireline.WorkflowID(res.IncidentID),
		TaskQueue:             TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}), IncidentWorkflow, IncidentInput{IncidentID: res.IncidentID, Alarm: res.Alarm, Policy: inc.in.Policy, HistoryLimit: inc.in.HistoryLimit})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		inc.log.Error("split incident's workflow not started", "split_incident", res.IncidentID, "error", err)
	}
	inc.st.AlarmIDs = slices.DeleteFunc(inc.st.AlarmIDs, func(id int64) bool { return id == req.AlarmID })
	return SplitResult{IncidentID: res.IncidentID}, nil
}

// validateAgencyTask refuses a report on a task the incident never asked of that agency.
func (inc *incident) validateAgencyTask(_ workflow.Context, req fireline.AgencyTaskOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	if !slices.ContainsFunc(inc.st.AgencyTasks, func(t fireline.AgencyTask) bool { return t.Agency == req.Agency }) {
		return reject(fireline.ENOTFOUND, "incident %d has no task for %q", inc.st.IncidentID, req.Agency)
	}
	return nil
}

func (inc *incident) agencyTask(ctx workflow.Context, req fireline.AgencyTaskOrder) (fireline.AgencyTask, error) {
	now := workflow.Now(ctx)
	detail := fmt.Sprintf("%s: %s", req.Agency, req.Status)
	if req.Note != "" {
		detail += " — " + req.Note
	}
	var t fireline.AgencyTask
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.UpdateAgencyTask, activities.AgencyTaskInput{
		IncidentID: inc.st.IncidentID, Agency: req.Agency, Status: req.Status, Note: req.Note, Actor: req.Actor, At: now,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: fmt.Sprintf("agency:%s:%s", req.Agency, req.Status), Kind: fireline.EventAgencyTask, Actor: req.Actor,
			Detail: detail, Data: map[string]any{"agency": req.Agency, "status": req.Status},
		}),
	}).Get(ctx, &t)
	if err != nil {
		return t, err
	}
	if i := slices.IndexFunc(inc.st.AgencyTasks, func(x fireline.AgencyTask) bool { return x.Agency == req.Agency }); i >= 0 {
		t.EscalatedAt = inc.st.AgencyTasks[i].EscalatedAt
		inc.st.AgencyTasks[i] = t
	}
	return t, nil
}

// validateConfirmPAR refuses a confirmation when no PAR is due.
func (inc *incident) validateConfirmPAR(_ workflow.Context, req fireline.StageOrder) error {
	if err := req.Validate(); err != nil {
		return refusal(err)
	}
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	if inc.st.PARDueAt == nil {
		return reject(fireline.ECONFLICT, "no PAR is due on incident %d", inc.st.IncidentID)
	}
	return nil
}

func (inc *incident) confirmPAR(ctx workflow.Context, req fireline.StageOrder) (IncidentState, error) {
	now := workflow.Now(ctx)
	round := inc.led.PARRound
	err := inc.record(ctx, fireline.TimelineEvent{
		Key: fmt.Sprintf("par:%d:confirmed", round), Kind: fireline.EventPAR, Actor: req.Actor,
		Detail: fmt.Sprintf("PAR %d confirmed: every crew accounted for", round),
		Data:   map[string]any{"round": round, "confirmed": true},
	})
	if err != nil {
		return inc.st, err
	}
	inc.st.PARDueAt, inc.st.PARConfirmedAt = nil, &now
	return inc.st, nil
}
