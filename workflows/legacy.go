package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// legacyIncident is the legacy workflow's own record of one incident. It is only ever touched
// from the workflow's coroutines, which Temporal runs one at a time.
type legacyIncident struct {
	in    IncidentInput
	state IncidentState
	// rounds counts dispatch orders; a unit's assignment remembers the round that sent it, so
	// timeline keys and ack timers stay unique if a unit is sent, released and sent again.
	rounds    int
	unitRound map[string]int
	// reserving is true while a dispatch order's reservation is in flight.
	reserving bool
	closing   bool
	// reports counts the status changes applied per timeline key, so that a status reached a
	// second time (after a dispatcher's correction) gets a timeline entry of its own.
	reports map[string]int
}

// runLegacy is the incident workflow as it ran before the full lifecycle (lifecycleChange):
// recommend, wait for the operator's dispatch, follow the crews' statuses, escalate lapsed
// timers, close on the operator's order, and write the after-action review. Incidents that
// started under it replay and finish under it; it never changes again.
func runLegacy(ctx workflow.Context, in IncidentInput) (IncidentState, error) {
	if in.Timers == (Timers{}) {
		in.Timers = DefaultTimers()
	}
	inc := &legacyIncident{
		in: in,
		state: IncidentState{
			IncidentID: in.IncidentID,
			Status:     fireline.IncidentReceived,
			Type:       in.Alarm.Type,
			Level:      fireline.MinLevel,
			Point:      in.Alarm.Point,
			AlarmIDs:   []int64{in.Alarm.ID},
		},
		unitRound: map[string]int{},
		reports:   map[string]int{},
	}
	log := workflow.GetLogger(ctx)

	if err := workflow.SetQueryHandler(ctx, QueryState, func() (IncidentState, error) {
		return inc.state, nil
	}); err != nil {
		return inc.state, fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDispatch, inc.dispatch,
		workflow.UpdateHandlerOptions{Validator: inc.validateDispatch}); err != nil {
		return inc.state, fmt.Errorf("register dispatch: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateClose, inc.close,
		workflow.UpdateHandlerOptions{Validator: inc.validateClose}); err != nil {
		return inc.state, fmt.Errorf("register close: %w", err)
	}

	// Supervision and field reports run beside the main line until the incident closes.
	supervise, stopSupervision := workflow.WithCancel(ctx)
	workflow.Go(supervise, inc.receiveAlarms)
	workflow.Go(supervise, inc.receiveUnitStatuses)
	workflow.Go(supervise, inc.superviseCallProcessing)

	if err := inc.setStatus(ctx, fireline.IncidentDispatching, "assessing and recommending units"); err != nil {
		return inc.state, err
	}
	var rec activities.RecommendResult
	err := workflow.ExecuteActivity(withRetries(ctx), acts.Recommend, activities.RecommendInput{
		IncidentID: in.IncidentID, Point: in.Alarm.Point, Type: inc.state.Type, Level: inc.state.Level,
	}).Get(ctx, &rec)
	if err != nil {
		return inc.state, fmt.Errorf("recommend: %w", err)
	}
	inc.state.Recommendation, inc.state.Alternates, inc.state.Short = rec.Units, rec.Alternates, rec.Short
	if err := inc.event(ctx, "recommended:1", fireline.EventRecommended, "", recommendedDetail(rec),
		map[string]any{"units": fireline.RecommendedUnits(rec.Units), "short": rec.Short}); err != nil {
		return inc.state, err
	}

	// Everything else happens in the handlers until the operator closes the incident.
	if err := workflow.Await(ctx, func() bool { return inc.state.Status == fireline.IncidentClosed }); err != nil {
		return inc.state, err
	}
	stopSupervision()

	review := inc.review(workflow.Now(ctx))
	err = workflow.ExecuteActivity(withRetries(ctx), acts.WriteReview, activities.ReviewInput{
		IncidentID: in.IncidentID,
		Review:     review,
		Event:      inc.newEvent(ctx, "reviewed", fireline.EventReviewed, "", "after-action review intervals computed", nil),
	}).Get(ctx, nil)
	if err != nil {
		return inc.state, fmt.Errorf("write review: %w", err)
	}
	inc.state.Review = &review
	inc.state.Status = fireline.IncidentReviewed

	// Let in-flight handlers answer their callers before the workflow completes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return inc.state, err
	}
	log.Info("incident reviewed", "incident", in.IncidentID)
	return inc.state, nil
}

// validateDispatch rejects a dispatch order before it enters history. Whether a unit is free
// is decided by PostgreSQL in ReserveUnits; here we reject what the workflow itself knows.
func (inc *legacyIncident) validateDispatch(_ workflow.Context, req fireline.DispatchOrder) error {
	switch {
	case inc.closing || !inc.state.Status.Open():
		return reject(fireline.ECONFLICT, "incident %d is %s", inc.in.IncidentID, inc.state.Status)
	case inc.state.Status == fireline.IncidentReceived:
		return reject(fireline.ECONFLICT, "incident %d has no recommendation yet; retry in a moment", inc.in.IncidentID)
	case len(req.UnitIDs) == 0:
		return reject(fireline.EINVALID, "unit_ids: name at least one unit")
	case len(req.UnitIDs) > MaxDispatchUnits:
		return reject(fireline.EINVALID, "unit_ids: at most %d units in one order", MaxDispatchUnits)
	}
	known := func(id string) bool {
		return slices.ContainsFunc(inc.state.Recommendation, func(r fireline.Recommendation) bool { return r.UnitID == id }) ||
			slices.ContainsFunc(inc.state.Alternates, func(r fireline.Recommendation) bool { return r.UnitID == id })
	}
	for i, id := range req.UnitIDs {
		switch {
		case slices.Contains(req.UnitIDs[:i], id):
			return reject(fireline.EINVALID, "unit_ids: %s is listed twice", id)
		case inc.assignment(id) != nil:
			return reject(fireline.ECONFLICT, "unit %s is already on incident %d", id, inc.in.IncidentID)
		case !known(id):
			return reject(fireline.EINVALID, "unit_ids: %s is not among the units recommended for incident %d", id, inc.in.IncidentID)
		}
	}
	return nil
}

// dispatch reserves the units in PostgreSQL (all or nothing) and starts their ack timers.
func (inc *legacyIncident) dispatch(ctx workflow.Context, req fireline.DispatchOrder) (DispatchResult, error) {
	if err := workflow.Await(ctx, func() bool { return !inc.reserving }); err != nil {
		return DispatchResult{}, err
	}
	if inc.closing {
		return DispatchResult{}, reject(fireline.ECONFLICT, "incident %d is closing", inc.in.IncidentID)
	}
	inc.reserving = true
	defer func() { inc.reserving = false }()

	round := inc.rounds + 1
	now := workflow.Now(ctx)
	var res activities.ReserveResult
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.ReserveUnits, activities.ReserveInput{
		IncidentID: inc.in.IncidentID,
		UnitIDs:    req.UnitIDs,
		At:         now,
		Event: inc.newEvent(ctx, fmt.Sprintf("dispatch:%d", round), fireline.EventDispatched, req.Actor,
			fmt.Sprintf("dispatched %v", req.UnitIDs), map[string]any{"units": req.UnitIDs, "round": round}),
	}).Get(ctx, &res)
	if err != nil {
		return DispatchResult{}, err
	}
	inc.rounds = round
	for _, u := range res.Units {
		inc.unitRound[u.ID] = round
		inc.state.Assignments = append(inc.state.Assignments, fireline.Assignment{
			UnitID: u.ID, Type: u.Type, Status: fireline.UnitDispatched, DispatchedAt: now,
		})
		workflow.Go(ctx, func(ctx workflow.Context) { inc.superviseAck(ctx, u.ID, round) })
	}
	if inc.state.FirstDispatchAt == nil {
		inc.state.FirstDispatchAt = &now
		if err := inc.setStatus(ctx, fireline.IncidentActive, "first units dispatched"); err != nil {
			return DispatchResult{}, err
		}
	}
	return DispatchResult{Assignments: slices.Clone(inc.state.Assignments)}, nil
}

func (inc *legacyIncident) validateClose(_ workflow.Context, _ fireline.CloseOrder) error {
	if inc.closing || !inc.state.Status.Open() {
		return reject(fireline.ECONFLICT, "incident %d is already %s", inc.in.IncidentID, inc.state.Status)
	}
	return nil
}

// close releases every unit still committed and marks the incident closed; the main line then
// writes the review.
func (inc *legacyIncident) close(ctx workflow.Context, req fireline.CloseOrder) (IncidentState, error) {
	inc.closing = true
	if err := workflow.Await(ctx, func() bool { return !inc.reserving }); err != nil {
		return inc.state, err
	}
	now := workflow.Now(ctx)
	detail := "incident closed"
	if req.Reason != "" {
		detail += ": " + req.Reason
	}
	var released []string
	err := workflow.ExecuteActivity(withRetries(ctx), acts.CloseIncident, activities.CloseInput{
		IncidentID: inc.in.IncidentID,
		At:         now,
		Event:      inc.newEvent(ctx, "closed", fireline.EventClosed, req.Actor, detail, map[string]any{"reason": req.Reason}),
	}).Get(ctx, &released)
	if err != nil {
		inc.closing = false
		return inc.state, err
	}
	for i := range inc.state.Assignments {
		a := &inc.state.Assignments[i]
		if a.ClearedAt == nil {
			a.ClearedAt = &now
			a.Status = fireline.UnitAvailable
		}
	}
	inc.state.Status = fireline.IncidentClosed
	return inc.state, nil
}

// receiveAlarms records further alarms merged into the incident (intake already stored them
// and wrote their timeline events).
func (inc *legacyIncident) receiveAlarms(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlarm)
	for {
		var sig AlarmSignal
		if !ch.Receive(ctx, &sig) {
			return
		}
		if !slices.Contains(inc.state.AlarmIDs, sig.Alarm.ID) {
			inc.state.AlarmIDs = append(inc.state.AlarmIDs, sig.Alarm.ID)
		}
	}
}

// receiveUnitStatuses applies the crews' status reports in the order they arrive.
func (inc *legacyIncident) receiveUnitStatuses(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalUnitStatus)
	log := workflow.GetLogger(ctx)
	for {
		var sig fireline.UnitStatusReport
		if !ch.Receive(ctx, &sig) {
			return
		}
		if err := inc.applyUnitStatus(ctx, sig); err != nil {
			// A report the workflow cannot apply is recorded and dropped, never retried forever.
			log.Warn("unit status not applied", "incident", inc.in.IncidentID, "unit", sig.UnitID, "status", sig.Status, "error", err)
		}
	}
}

// legacyFieldRank and legacyFieldStatus are the rules of incidents that applied a status before
// the unit state machine (transitionsVersion): the four field statuses, forward only.
func legacyFieldRank(s fireline.UnitStatus) int {
	return slices.Index([]fireline.UnitStatus{fireline.UnitDispatched, fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene, fireline.UnitAvailable}, s)
}

func legacyFieldStatus(s fireline.UnitStatus) bool {
	return slices.Contains([]fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene, fireline.UnitAvailable}, s)
}

// Workflow versions (workflow.GetVersion) of the unit status handling.
const (
	// transitionsChange names the change to the unit state machine: transporting and
	// returning, and a dispatcher's corrections, checked by fireline.UnitStatus.CanMoveTo. An
	// incident that applied a status before it keeps the old rules, so its history replays.
	transitionsChange  = "unit-status-transitions"
	transitionsVersion = 1
)

func (inc *legacyIncident) applyUnitStatus(ctx workflow.Context, sig fireline.UnitStatusReport) error {
	a := inc.assignment(sig.UnitID)
	if a == nil {
		return fmt.Errorf("unit %s is not on this incident", sig.UnitID)
	}
	v := workflow.GetVersion(ctx, transitionsChange, workflow.DefaultVersion, transitionsVersion)
	switch {
	case v == workflow.DefaultVersion && !legacyFieldStatus(sig.Status):
		return fmt.Errorf("%s is not a field status", sig.Status)
	case v == workflow.DefaultVersion && legacyFieldRank(sig.Status) <= legacyFieldRank(a.Status):
		return fmt.Errorf("unit is already %s", a.Status)
	case v == workflow.DefaultVersion:
	case sig.Status == a.Status:
		return fmt.Errorf("unit is already %s", a.Status)
	default:
		// The API checked the move against PostgreSQL; this checks it against the order the
		// reports arrived in, so a crew's delayed report never moves its unit back.
		if err := a.Status.CanMoveTo(sig.Status, sig.ByDispatcher); err != nil {
			return err
		}
	}
	at := sig.At
	round := inc.unitRound[sig.UnitID]
	key := fmt.Sprintf("unit:%s:%d:%s", sig.UnitID, round, sig.Status)
	if n := inc.reports[key]; v != workflow.DefaultVersion && n > 0 {
		key = fmt.Sprintf("%s:%d", key, n+1) // reached again after a correction
	}
	err := workflow.ExecuteActivity(withRetries(ctx), acts.SetUnitStatus, activities.UnitStatusInput{
		IncidentID: inc.in.IncidentID, UnitID: sig.UnitID, Status: sig.Status, At: at,
		Event: inc.newEventAt(at, key, fireline.EventUnitStatus,
			sig.Actor, fmt.Sprintf("%s %s", sig.UnitID, sig.Status), map[string]any{"unit": sig.UnitID, "status": sig.Status}, sig.UnitID),
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	inc.reports[fmt.Sprintf("unit:%s:%d:%s", sig.UnitID, round, sig.Status)]++
	// Re-find: the slice may have grown while the activity ran.
	a = inc.assignment(sig.UnitID)
	if a == nil {
		return nil
	}
	if v != workflow.DefaultVersion {
		// A correction back to an earlier step unsays the steps after it, as the store does.
		if sig.Status.Before(fireline.UnitOnScene) {
			a.OnSceneAt = nil
		}
		if sig.Status.Before(fireline.UnitEnRoute) {
			a.EnRouteAt = nil
		}
	}
	a.Status = sig.Status
	switch sig.Status {
	case fireline.UnitAcknowledged:
		a.AckAt = firstTime(a.AckAt, at, v)
	case fireline.UnitEnRoute:
		a.EnRouteAt = firstTime(a.EnRouteAt, at, v)
	case fireline.UnitOnScene:
		a.OnSceneAt = firstTime(a.OnSceneAt, at, v)
	case fireline.UnitAvailable:
		a.ClearedAt = &at
	}
	return nil
}

// firstTime keeps the first report of a step, as the store does (a step is reached twice only
// through corrections, which the legacy version never saw).
func firstTime(old *time.Time, at time.Time, v workflow.Version) *time.Time {
	if old != nil && v != workflow.DefaultVersion {
		return old
	}
	return &at
}

// superviseCallProcessing escalates when no unit is dispatched within the call-processing
// interval of the first alarm.
func (inc *legacyIncident) superviseCallProcessing(ctx workflow.Context) {
	if err := workflow.Sleep(ctx, inc.in.Timers.CallProcessing); err != nil {
		return // cancelled: the incident closed
	}
	if inc.state.FirstDispatchAt != nil {
		return
	}
	inc.escalate(ctx, "escalation:call_processing",
		fmt.Sprintf("no unit dispatched within %s of the alarm", inc.in.Timers.CallProcessing),
		map[string]any{"timer": "call_processing", "limit_s": inc.in.Timers.CallProcessing.Seconds()}, "")
}

// superviseAck escalates when a dispatched unit does not acknowledge in time.
func (inc *legacyIncident) superviseAck(ctx workflow.Context, unitID string, round int) {
	if err := workflow.Sleep(ctx, inc.in.Timers.Acknowledge); err != nil {
		return
	}
	a := inc.assignment(unitID)
	if a == nil || inc.unitRound[unitID] != round || a.Status != fireline.UnitDispatched || inc.closing {
		return
	}
	inc.escalate(ctx, fmt.Sprintf("escalation:ack:%s:%d", unitID, round),
		fmt.Sprintf("%s did not acknowledge within %s", unitID, inc.in.Timers.Acknowledge),
		map[string]any{"timer": "acknowledge", "unit": unitID, "limit_s": inc.in.Timers.Acknowledge.Seconds()}, unitID)
}

func (inc *legacyIncident) escalate(ctx workflow.Context, key, detail string, data map[string]any, unitID string) {
	inc.state.Escalations++
	e := inc.newEventAt(workflow.Now(ctx), key, fireline.EventEscalation, "supervision", detail, data, unitID)
	if err := workflow.ExecuteActivity(withRetries(ctx), acts.AppendEvent, e).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("escalation not recorded", "incident", inc.in.IncidentID, "key", key, "error", err)
	}
}

// assignment returns the unit's current (uncleared) assignment, or nil.
func (inc *legacyIncident) assignment(unitID string) *fireline.Assignment {
	for i := range inc.state.Assignments {
		a := &inc.state.Assignments[i]
		if a.UnitID == unitID && a.ClearedAt == nil {
			return a
		}
	}
	return nil
}

func (inc *legacyIncident) setStatus(ctx workflow.Context, s fireline.IncidentStatus, why string) error {
	err := workflow.ExecuteActivity(withRetries(ctx), acts.SetIncidentStatus, activities.StatusInput{
		IncidentID: inc.in.IncidentID,
		Status:     s,
		Event: inc.newEvent(ctx, "status:"+string(s), fireline.EventStatusChanged, "", fmt.Sprintf("%s: %s", s, why),
			map[string]any{"status": s}),
	}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("set status %s: %w", s, err)
	}
	inc.state.Status = s
	return nil
}

func (inc *legacyIncident) event(ctx workflow.Context, key, kind, actor, detail string, data map[string]any) error {
	err := workflow.ExecuteActivity(withRetries(ctx), acts.AppendEvent, inc.newEvent(ctx, key, kind, actor, detail, data)).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("append %s: %w", key, err)
	}
	return nil
}

func (inc *legacyIncident) newEvent(ctx workflow.Context, key, kind, actor, detail string, data map[string]any) fireline.TimelineEvent {
	return inc.newEventAt(workflow.Now(ctx), key, kind, actor, detail, data, "")
}

func (inc *legacyIncident) newEventAt(at time.Time, key, kind, actor, detail string, data map[string]any, unitID string) fireline.TimelineEvent {
	return fireline.TimelineEvent{
		IncidentID: inc.in.IncidentID, Key: key, At: at, Kind: kind, Actor: actor, Detail: detail, Data: data, UnitID: unitID,
	}
}

// review computes the response-time intervals from the workflow's own record.
func (inc *legacyIncident) review(now time.Time) fireline.Review {
	r := fireline.Review{Escalations: inc.state.Escalations, ReviewedAt: now, Units: []fireline.UnitReview{}}
	if inc.state.FirstDispatchAt != nil {
		r.CallProcessingSeconds = seconds(inc.in.Alarm.ReceivedAt, inc.state.FirstDispatchAt)
	}
	for _, a := range inc.state.Assignments {
		ur := fireline.UnitReview{UnitID: a.UnitID}
		if a.EnRouteAt != nil {
			ur.TurnoutSeconds = seconds(a.DispatchedAt, a.EnRouteAt)
			if a.OnSceneAt != nil {
				ur.TravelSeconds = seconds(*a.EnRouteAt, a.OnSceneAt)
			}
		}
		r.Units = append(r.Units, ur)
	}
	return r
}
