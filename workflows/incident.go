package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Workflow versions (workflow.GetVersion). Every behaviour change to Incident from here on is
// guarded by a version of its own and keeps a recorded history in testdata/ that replays.
const (
	// lifecycleChange names the change from the first, thin lifecycle (runLegacy) to the full
	// one. It is decided once, at the very start of a run: an incident that started before it
	// replays and ends under runLegacy.
	lifecycleChange  = "incident-lifecycle"
	lifecycleVersion = 1
)

// Incident is the durable life of one incident, from its first alarm to its after-action
// review: assessment (by an operator, or at once from a key premises' pre-plan), recommendation,
// dispatch and reinforcement on a level upgrade, the crews' statuses, the supervision timers
// that escalate lapses to the supervisors' queue, joint-agency tasks, control, close or
// cancellation, merging into another incident and splitting an alarm out.
//
// History stays bounded by continuing as new: when Temporal suggests it, or past the input's
// HistoryLimit, the run hands its whole state to a fresh run at a quiet moment (no order in
// flight). A merely bounded design would not do: duplicate calls for a big fire, status reports
// and periodic PAR checks over a days-long incident have no ceiling.
func Incident(ctx workflow.Context, in IncidentInput) (IncidentState, error) {
	if workflow.GetVersion(ctx, lifecycleChange, workflow.DefaultVersion, lifecycleVersion) == workflow.DefaultVersion {
		return runLegacy(ctx, in)
	}
	return runIncident(ctx, in)
}

// incident is the workflow's own record of one incident. It is only ever touched from the
// workflow's coroutines, which Temporal runs one at a time.
type incident struct {
	in     IncidentInput
	policy TimerPolicy
	st     IncidentState
	led    Ledger
	// busy is set while a recommendation, reservation, merge or split is in flight: orders
	// wait for each other instead of interleaving.
	busy bool
	// ending is set once a close, cancel or merge has begun: no new order is taken.
	ending bool
	// applying counts signals being applied; a run continues as new only when none is.
	applying int
	// replacing is set while a replacement is being looked for: units of one dispatch time out
	// together, and each must be offered a different unit.
	replacing bool
}

func newIncident(in IncidentInput) *incident {
	inc := &incident{in: in, policy: DefaultTimerPolicy()}
	if in.Policy != nil {
		inc.policy = *in.Policy
	}
	if in.Resume != nil {
		inc.st, inc.led = in.Resume.State, in.Resume.Ledger
	} else {
		inc.st = IncidentState{
			IncidentID: in.IncidentID,
			Status:     fireline.IncidentReceived,
			Type:       in.Alarm.Type,
			Level:      fireline.MinLevel,
			Point:      in.Alarm.Point,
			AlarmIDs:   []int64{in.Alarm.ID},
			PremiseID:  in.Alarm.PremiseID,
		}
	}
	if inc.led.UnitRound == nil {
		inc.led.UnitRound = map[string]int{}
	}
	if inc.led.Reports == nil {
		inc.led.Reports = map[string]int{}
	}
	inc.led.Runs++
	return inc
}

func runIncident(ctx workflow.Context, in IncidentInput) (IncidentState, error) {
	inc := newIncident(in)
	if err := inc.register(ctx); err != nil {
		return inc.st, err
	}
	workflow.Go(ctx, inc.receiveAlarms)
	workflow.Go(ctx, inc.receiveUnitStatuses)
	workflow.Go(ctx, inc.receiveMerged)
	inc.superviseAll(ctx)

	if in.Resume == nil {
		if err := inc.start(ctx); err != nil {
			return inc.st, err
		}
	}
	err := workflow.Await(ctx, func() bool {
		return inc.ended() || (inc.tooLong(ctx) && !inc.busy && !inc.ending && inc.applying == 0)
	})
	if err != nil {
		return inc.st, err
	}
	if !inc.ended() {
		return inc.continueAsNew(ctx)
	}
	return inc.finish(ctx)
}

func (inc *incident) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (IncidentState, error) { return inc.st, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	for _, u := range []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateDispatch, inc.dispatch, inc.validateDispatch},
		{UpdateClose, inc.close, inc.validateClose},
		{UpdateAssess, inc.assess, inc.validateAssess},
		{UpdateControlled, inc.controlled, inc.validateControlled},
		{UpdateCancel, inc.cancel, inc.validateCancel},
		{UpdateMergeInto, inc.mergeInto, inc.validateMergeInto},
		{UpdateSplitAlarm, inc.splitAlarm, inc.validateSplitAlarm},
		{UpdateAgencyTask, inc.agencyTask, inc.validateAgencyTask},
		{UpdateConfirmPAR, inc.confirmPAR, inc.validateConfirmPAR},
	} {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register %s: %w", u.name, err)
		}
	}
	return nil
}

// start assesses a new incident as far as the system can and recommends units.
func (inc *incident) start(ctx workflow.Context) error {
	inc.upsertSearch(ctx)
	if err := inc.setStatus(ctx, fireline.IncidentAssessing, "assessing the alarm"); err != nil {
		return err
	}
	inc.busy = true
	defer func() { inc.busy = false }()
	a := inc.in.Alarm
	if a.Kind == fireline.KindFireAlarm && a.PremiseID != "" {
		var p fireline.Premise
		err := workflow.ExecuteActivity(withRetries(ctx), acts.Premise, a.PremiseID).Get(ctx, &p)
		switch {
		case err != nil:
			// Unknown premises: the operator assesses, as for any alarm.
			workflow.GetLogger(ctx).Warn("pre-plan not read", "incident", inc.st.IncidentID, "premises", a.PremiseID, "error", err)
		case p.PlanType.Valid() && p.PlanLevel >= fireline.MinLevel:
			return inc.applyAssessment(ctx, fireline.AssessOrder{Type: p.PlanType, Level: p.PlanLevel, Priority: fireline.PriorityImmediate, Actor: "pre-plan"},
				fmt.Sprintf("assessed from the pre-plan of %s", p.Name))
		}
	}
	return inc.recommend(ctx, false)
}

func (inc *incident) ended() bool { return inc.st.Outcome != "" }

func (inc *incident) tooLong(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := inc.in.HistoryLimit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= limit
}

// continueAsNew hands the incident's state to a fresh run. Signals already delivered are
// applied first, with nothing blocking between the last look and the hand-over.
func (inc *incident) continueAsNew(ctx workflow.Context) (IncidentState, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return inc.st, err
	}
	alarms := workflow.GetSignalChannel(ctx, SignalAlarm)
	statuses := workflow.GetSignalChannel(ctx, SignalUnitStatus)
	merged := workflow.GetSignalChannel(ctx, SignalMerged)
	for {
		var a AlarmSignal
		var s fireline.UnitStatusReport
		var m MergedSignal
		switch {
		case alarms.ReceiveAsync(&a):
			inc.onAlarm(ctx, a)
		case statuses.ReceiveAsync(&s):
			inc.onUnitStatus(ctx, s)
		case merged.ReceiveAsync(&m):
			inc.adopt(ctx, m)
		default:
			if inc.ended() {
				return inc.finish(ctx) // a drained signal ended it (a panel reset)
			}
			next := inc.in
			next.Alarm = inc.in.Alarm
			next.Resume = &Resume{State: inc.st, Ledger: inc.led}
			workflow.GetLogger(ctx).Info("incident continues as new", "incident", inc.st.IncidentID,
				"history", workflow.GetInfo(ctx).GetCurrentHistoryLength(), "run", inc.led.Runs)
			return inc.st, workflow.NewContinueAsNewError(ctx, IncidentWorkflow, next)
		}
	}
}

// finish writes the review of a closed or cancelled incident; a merged one ends without.
func (inc *incident) finish(ctx workflow.Context) (IncidentState, error) {
	if inc.st.Outcome != fireline.IncidentMerged {
		review := inc.review(workflow.Now(ctx))
		err := workflow.ExecuteActivity(withRetries(ctx), acts.WriteReview, activities.ReviewInput{
			IncidentID: inc.st.IncidentID,
			Review:     review,
			Event:      inc.newEvent(ctx, "reviewed", fireline.EventReviewed, "", "after-action review intervals computed", nil),
		}).Get(ctx, nil)
		if err != nil {
			return inc.st, fmt.Errorf("write review: %w", err)
		}
		inc.st.Review = &review
		inc.st.Status = fireline.IncidentReviewed
		inc.upsertSearch(ctx)
	}
	// Let in-flight handlers answer their callers before the workflow completes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return inc.st, err
	}
	workflow.GetLogger(ctx).Info("incident ended", "incident", inc.st.IncidentID, "outcome", inc.st.Outcome)
	return inc.st, nil
}

// ---- operator orders ---------------------------------------------------------------------------

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

func (inc *incident) validateAssess(_ workflow.Context, req fireline.AssessOrder) error {
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	switch {
	case !req.Type.Valid():
		return reject(fireline.EINVALID, "type: %q is not a known incident type", req.Type)
	case req.Level < fireline.MinLevel || req.Level > fireline.MaxLevel:
		return reject(fireline.EINVALID, "level: %d is outside %d..%d", req.Level, fireline.MinLevel, fireline.MaxLevel)
	case !req.Priority.Valid():
		return reject(fireline.EINVALID, "priority: %d is outside %d..%d", req.Priority, fireline.PriorityImmediate, fireline.PriorityRoutine)
	}
	return nil
}

func (inc *incident) assess(ctx workflow.Context, req fireline.AssessOrder) (IncidentState, error) {
	if err := workflow.Await(ctx, func() bool { return !inc.busy }); err != nil {
		return inc.st, err
	}
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	inc.busy = true
	defer func() { inc.busy = false }()
	how := "assessed"
	if inc.st.AssessedAt != nil {
		how = "reassessed"
	}
	err := inc.applyAssessment(ctx, req, how)
	return inc.st, err
}

// applyAssessment stores the assessment, asks the agencies the new type and level need, and
// recommends again when the plan changed: the whole plan before any dispatch, the difference
// (sent at once) after. The caller holds busy.
func (inc *incident) applyAssessment(ctx workflow.Context, req fireline.AssessOrder, how string) error {
	changed := req.Type != inc.st.Type || req.Level != inc.st.Level
	now := workflow.Now(ctx)
	inc.led.Assessments++
	key := fmt.Sprintf("assessed:%d", inc.led.Assessments)
	detail := fmt.Sprintf("%s: %s, level %d, priority %d", how, req.Type, req.Level, req.Priority)
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.AssessIncident, activities.AssessInput{
		IncidentID: inc.st.IncidentID, Type: req.Type, Level: req.Level, Priority: req.Priority, AssessedBy: req.Actor,
		Event: inc.newEvent(ctx, key, fireline.EventAssessed, req.Actor, detail,
			map[string]any{"type": req.Type, "level": req.Level, "priority": req.Priority, "from_type": inc.st.Type, "from_level": inc.st.Level}),
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	upgrade := req.Level > inc.st.Level || req.Type != inc.st.Type
	inc.st.Type, inc.st.Level, inc.st.Priority = req.Type, req.Level, req.Priority
	if inc.st.AssessedAt == nil {
		inc.st.AssessedAt, inc.st.AssessedBy = &now, req.Actor
	}
	inc.upsertSearch(ctx)
	if inc.st.Status == fireline.IncidentAssessing {
		if err := inc.setStatus(ctx, fireline.IncidentDispatching, "assessed; units to send"); err != nil {
			return err
		}
	}
	if err := inc.requestAgencyTasks(ctx, req.Actor); err != nil {
		return err
	}
	switch {
	case inc.st.FirstDispatchAt == nil && (changed || inc.led.Recommendations == 0):
		return inc.recommend(ctx, false)
	case inc.st.FirstDispatchAt != nil && upgrade:
		return inc.reinforce(ctx, req.Actor)
	}
	return nil
}

// recommend asks for the whole plan (reinforcement false) or the difference to what the
// incident already has (true), and keeps the answer as the incident's recommendation.
func (inc *incident) recommend(ctx workflow.Context, reinforcement bool) error {
	in := activities.RecommendInput{
		IncidentID: inc.st.IncidentID, Point: inc.st.Point, Type: inc.st.Type, Level: inc.st.Level, Exclude: inc.onIncident(),
	}
	if reinforcement {
		in.Have = inc.have()
	}
	var rec activities.RecommendResult
	if err := workflow.ExecuteActivity(withRetries(ctx), acts.Recommend, in).Get(ctx, &rec); err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	inc.led.Recommendations++
	inc.st.Recommendation, inc.st.Alternates, inc.st.Short = rec.Units, rec.Alternates, rec.Short
	return inc.event(ctx, fmt.Sprintf("recommended:%d", inc.led.Recommendations), fireline.EventRecommended, "",
		recommendedDetail(rec), map[string]any{"units": unitIDs(rec.Units), "short": rec.Short, "level": inc.st.Level, "reinforcement": reinforcement})
}

// reinforce sends at once the units an upgraded plan lacks. The caller holds busy.
func (inc *incident) reinforce(ctx workflow.Context, actor string) error {
	if err := inc.recommend(ctx, true); err != nil {
		return err
	}
	if len(inc.st.Recommendation) == 0 {
		return inc.event(ctx, fmt.Sprintf("reinforcement:%d", inc.led.Recommendations), fireline.EventReinforced, actor,
			fmt.Sprintf("level %d: the units on scene already fill the plan", inc.st.Level), nil)
	}
	_, err := inc.reserve(ctx, unitIDs(inc.st.Recommendation), actor, fireline.EventReinforced,
		fmt.Sprintf("reinforcement for %s level %d", inc.st.Type, inc.st.Level))
	return err
}

func (inc *incident) validateDispatch(_ workflow.Context, req fireline.DispatchOrder) error {
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	switch {
	case inc.led.Recommendations == 0:
		return reject(fireline.ECONFLICT, "incident %d has no recommendation yet; retry in a moment", inc.st.IncidentID)
	case len(req.UnitIDs) == 0:
		return reject(fireline.EINVALID, "unit_ids: name at least one unit")
	case len(req.UnitIDs) > MaxDispatchUnits:
		return reject(fireline.EINVALID, "unit_ids: at most %d units in one order", MaxDispatchUnits)
	}
	known := func(id string) bool {
		in := func(r fireline.Recommendation) bool { return r.UnitID == id }
		return slices.ContainsFunc(inc.st.Recommendation, in) || slices.ContainsFunc(inc.st.Alternates, in) ||
			slices.ContainsFunc(inc.st.Replacements, in)
	}
	for i, id := range req.UnitIDs {
		switch {
		case slices.Contains(req.UnitIDs[:i], id):
			return reject(fireline.EINVALID, "unit_ids: %s is listed twice", id)
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
	if err := workflow.Await(ctx, func() bool { return !inc.busy }); err != nil {
		return DispatchResult{}, err
	}
	if err := inc.refuseIfEnding(); err != nil {
		return DispatchResult{}, err
	}
	inc.busy = true
	defer func() { inc.busy = false }()
	if inc.st.AssessedAt == nil {
		now := workflow.Now(ctx)
		inc.led.Assessments++
		err := workflow.ExecuteActivity(withFewRetries(ctx), acts.AssessIncident, activities.AssessInput{
			IncidentID: inc.st.IncidentID, Type: inc.st.Type, Level: inc.st.Level, Priority: 2, AssessedBy: "dispatch",
			Event: inc.newEvent(ctx, fmt.Sprintf("assessed:%d", inc.led.Assessments), fireline.EventAssessed, req.Actor,
				fmt.Sprintf("assessed at dispatch: %s, level %d", inc.st.Type, inc.st.Level),
				map[string]any{"type": inc.st.Type, "level": inc.st.Level, "priority": 2}),
		}).Get(ctx, nil)
		if err != nil {
			return DispatchResult{}, err
		}
		inc.st.AssessedAt, inc.st.AssessedBy, inc.st.Priority = &now, "dispatch", 2
		if err := inc.requestAgencyTasks(ctx, req.Actor); err != nil {
			return DispatchResult{}, err
		}
	}
	return inc.reserve(ctx, req.UnitIDs, req.Actor, fireline.EventDispatched, "dispatched")
}

// reserve commits units in one round and starts their supervision. The caller holds busy.
func (inc *incident) reserve(ctx workflow.Context, ids []string, actor, kind, what string) (DispatchResult, error) {
	round := inc.led.Rounds + 1
	now := workflow.Now(ctx)
	var res activities.ReserveResult
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.ReserveUnits, activities.ReserveInput{
		IncidentID: inc.st.IncidentID, UnitIDs: ids, At: now,
		Event: inc.newEvent(ctx, fmt.Sprintf("dispatch:%d", round), kind, actor, fmt.Sprintf("%s %v", what, ids),
			map[string]any{"units": ids, "round": round}),
	}).Get(ctx, &res)
	if err != nil {
		return DispatchResult{}, err
	}
	inc.led.Rounds = round
	// A replacement dispatched is no longer an offer.
	inc.st.Replacements = slices.DeleteFunc(inc.st.Replacements, func(r fireline.Recommendation) bool { return slices.Contains(ids, r.UnitID) })
	for _, u := range res.Units {
		inc.led.UnitRound[u.ID] = round
		inc.st.Assignments = append(inc.st.Assignments, fireline.Assignment{UnitID: u.ID, Type: u.Type, Status: fireline.UnitDispatched, DispatchedAt: now})
		workflow.Go(ctx, func(ctx workflow.Context) { inc.superviseUnit(ctx, u.ID, round, now) })
	}
	if inc.st.FirstDispatchAt == nil {
		inc.st.FirstDispatchAt = &now
		inc.st.FirstAlarm = slices.Clone(ids)
	}
	if inc.st.Status != fireline.IncidentActive && inc.st.Status != fireline.IncidentControlled {
		if err := inc.setStatus(ctx, fireline.IncidentActive, "units dispatched"); err != nil {
			return DispatchResult{}, err
		}
	}
	return DispatchResult{Assignments: slices.Clone(inc.st.Assignments)}, nil
}

func (inc *incident) validateControlled(_ workflow.Context, _ fireline.StageOrder) error {
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
		Event: inc.newEvent(ctx, "status:controlled", fireline.EventStatusChanged, req.Actor, "controlled: the incident is under control",
			map[string]any{"status": fireline.IncidentControlled}),
	}).Get(ctx, nil)
	if err != nil {
		return inc.st, err
	}
	inc.st.Status, inc.st.ControlledAt = fireline.IncidentControlled, &now
	inc.upsertSearch(ctx)
	return inc.st, nil
}

func (inc *incident) validateClose(_ workflow.Context, _ fireline.CloseOrder) error {
	return inc.refuseIfEnding()
}

func (inc *incident) close(ctx workflow.Context, req fireline.CloseOrder) (IncidentState, error) {
	return inc.end(ctx, fireline.IncidentClosed, req.Actor, req.Reason)
}

func (inc *incident) validateCancel(_ workflow.Context, req fireline.CancelOrder) error {
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	switch r := strings.TrimSpace(req.Reason); {
	case r == "":
		return reject(fireline.EINVALID, "reason: say why the incident is cancelled")
	case len(r) > 1024:
		return reject(fireline.EINVALID, "reason: longer than 1024 bytes")
	}
	return nil
}

func (inc *incident) cancel(ctx workflow.Context, req fireline.CancelOrder) (IncidentState, error) {
	return inc.end(ctx, fireline.IncidentCancelled, req.Actor, strings.TrimSpace(req.Reason))
}

// end closes or cancels the incident: every unit still committed is released and open agency
// tasks are called off; the main line then writes the review.
func (inc *incident) end(ctx workflow.Context, outcome fireline.IncidentStatus, actor, reason string) (IncidentState, error) {
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	inc.ending = true
	if err := workflow.Await(ctx, func() bool { return !inc.busy }); err != nil {
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
		Event: inc.newEvent(ctx, string(outcome), kind, actor, detail, map[string]any{"reason": reason}),
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

func (inc *incident) validateMergeInto(_ workflow.Context, req fireline.MergeOrder) error {
	if err := inc.refuseIfEnding(); err != nil {
		return err
	}
	switch {
	case req.Into <= 0:
		return reject(fireline.EINVALID, "into: name the incident to merge into")
	case req.Into == inc.st.IncidentID:
		return reject(fireline.EINVALID, "into: an incident cannot be merged into itself")
	}
	return nil
}

// mergeInto merges this incident into another: PostgreSQL moves the alarms and open
// assignments, this incident ends as merged, and the other incident's workflow is told what it
// now has.
func (inc *incident) mergeInto(ctx workflow.Context, req fireline.MergeOrder) (IncidentState, error) {
	if err := inc.refuseIfEnding(); err != nil {
		return inc.st, err
	}
	inc.ending = true
	if err := workflow.Await(ctx, func() bool { return !inc.busy }); err != nil {
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
		workflow.GetLogger(ctx).Error("merged incident not told", "incident", inc.st.IncidentID, "into", req.Into, "error", err)
	}
	inc.st.Assignments = slices.DeleteFunc(inc.st.Assignments, func(a fireline.Assignment) bool {
		return a.ClearedAt == nil && slices.Contains(res.Units, a.UnitID)
	})
	inc.st.Status, inc.st.Outcome, inc.st.MergedInto = fireline.IncidentMerged, fireline.IncidentMerged, req.Into
	inc.st.PARDueAt = nil
	inc.upsertSearch(ctx)
	return inc.st, nil
}

// receiveMerged adopts the alarms and units of incidents merged into this one.
func (inc *incident) receiveMerged(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalMerged)
	for {
		var m MergedSignal
		if !ch.Receive(ctx, &m) {
			return
		}
		inc.adopt(ctx, m)
	}
}

// adopt takes on a merged incident's alarms and units. The units were supervised there; here
// they count for arrival and the full first alarm only if they are this incident's first.
func (inc *incident) adopt(ctx workflow.Context, m MergedSignal) {
	for _, id := range m.AlarmIDs {
		if !slices.Contains(inc.st.AlarmIDs, id) {
			inc.st.AlarmIDs = append(inc.st.AlarmIDs, id)
		}
	}
	if len(m.Assignments) == 0 {
		return
	}
	inc.led.Rounds++
	for _, a := range m.Assignments {
		if inc.assignment(a.UnitID) != nil {
			continue
		}
		inc.led.UnitRound[a.UnitID] = inc.led.Rounds
		inc.st.Assignments = append(inc.st.Assignments, a)
	}
	if inc.st.FirstDispatchAt == nil {
		first := m.Assignments[0].DispatchedAt
		inc.st.FirstDispatchAt = &first
		if inc.st.Status.Open() && inc.st.Status != fireline.IncidentControlled {
			inc.applying++
			defer func() { inc.applying-- }()
			if err := inc.setStatus(ctx, fireline.IncidentActive, fmt.Sprintf("units of incident %d merged in", m.From)); err != nil {
				workflow.GetLogger(ctx).Error("status after merge", "incident", inc.st.IncidentID, "error", err)
			}
		}
	}
}

func (inc *incident) validateSplitAlarm(_ workflow.Context, req fireline.SplitOrder) error {
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
	if err := workflow.Await(ctx, func() bool { return !inc.busy }); err != nil {
		return SplitResult{}, err
	}
	if err := inc.refuseIfEnding(); err != nil {
		return SplitResult{}, err
	}
	inc.busy = true
	defer func() { inc.busy = false }()
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
		workflow.GetLogger(ctx).Error("split incident's workflow not started", "incident", res.IncidentID, "error", err)
	}
	inc.st.AlarmIDs = slices.DeleteFunc(inc.st.AlarmIDs, func(id int64) bool { return id == req.AlarmID })
	return SplitResult{IncidentID: res.IncidentID}, nil
}

func (inc *incident) validateAgencyTask(_ workflow.Context, req fireline.AgencyTaskOrder) error {
	if !slices.ContainsFunc(inc.st.AgencyTasks, func(t fireline.AgencyTask) bool { return t.Agency == req.Agency }) {
		return reject(fireline.ENOTFOUND, "incident %d has no task for %q", inc.st.IncidentID, req.Agency)
	}
	if !req.Status.Valid() || req.Status == fireline.TaskRequested {
		return reject(fireline.EINVALID, "status: %q is not acknowledged, done or cancelled", req.Status)
	}
	if len(req.Note) > 1024 {
		return reject(fireline.EINVALID, "note: longer than 1024 bytes")
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
		Event: inc.newEvent(ctx, fmt.Sprintf("agency:%s:%s", req.Agency, req.Status), fireline.EventAgencyTask, req.Actor, detail,
			map[string]any{"agency": req.Agency, "status": req.Status}),
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

// requestAgencyTasks asks the agencies the incident's type and level need and that were not
// asked yet, and supervises each task.
func (inc *incident) requestAgencyTasks(ctx workflow.Context, actor string) error {
	now := workflow.Now(ctx)
	var tasks []fireline.AgencyTask
	var events []fireline.TimelineEvent
	for _, r := range fireline.TasksFor(fireline.AgencyRules(), inc.st.Type, inc.st.Level) {
		if slices.ContainsFunc(inc.st.AgencyTasks, func(t fireline.AgencyTask) bool { return t.Agency == r.Agency }) {
			continue
		}
		t := fireline.AgencyTask{IncidentID: inc.st.IncidentID, Agency: r.Agency, Task: r.Task, Status: fireline.TaskRequested,
			RequestedAt: now, DueAt: now.Add(r.Within), UpdatedAt: now, Actor: actor}
		tasks = append(tasks, t)
		events = append(events, inc.newEvent(ctx, "agency:"+string(r.Agency), fireline.EventAgencyTask, actor,
			fmt.Sprintf("%s asked: %s, due within %s", r.Agency, r.Task, r.Within), map[string]any{"agency": r.Agency, "status": fireline.TaskRequested}))
	}
	if len(tasks) == 0 {
		return nil
	}
	err := workflow.ExecuteActivity(withRetries(ctx), acts.RequestAgencyTasks, activities.AgencyTasksInput{Tasks: tasks, Events: events}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("request agency tasks: %w", err)
	}
	for _, t := range tasks {
		inc.st.AgencyTasks = append(inc.st.AgencyTasks, t)
		workflow.Go(ctx, func(ctx workflow.Context) { inc.superviseAgencyTask(ctx, t.Agency) })
	}
	return nil
}

func (inc *incident) validateConfirmPAR(_ workflow.Context, _ fireline.StageOrder) error {
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
	if err := inc.event(ctx, fmt.Sprintf("par:%d:confirmed", round), fireline.EventPAR, req.Actor,
		fmt.Sprintf("PAR %d confirmed: every crew accounted for", round), map[string]any{"round": round, "confirmed": true}); err != nil {
		return inc.st, err
	}
	inc.st.PARDueAt, inc.st.PARConfirmedAt = nil, &now
	return inc.st, nil
}

// ---- alarms and field reports -------------------------------------------------------------

// receiveAlarms records further alarms merged into the incident (intake already stored them and
// wrote their timeline events) and acts on panel events about it.
func (inc *incident) receiveAlarms(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlarm)
	for {
		var sig AlarmSignal
		if !ch.Receive(ctx, &sig) {
			return
		}
		inc.onAlarm(ctx, sig)
	}
}

func (inc *incident) onAlarm(ctx workflow.Context, sig AlarmSignal) {
	a := sig.Alarm
	if a.Kind.OpensIncident() {
		if !slices.Contains(inc.st.AlarmIDs, a.ID) {
			inc.st.AlarmIDs = append(inc.st.AlarmIDs, a.ID)
		}
		return
	}
	inc.applying++
	defer func() { inc.applying-- }()
	key := fmt.Sprintf("panel:%d", a.ID)
	if a.Kind == fireline.KindReset && inc.st.FirstDispatchAt == nil && !inc.ending && inc.st.Status.Open() {
		_ = inc.event(ctx, key, fireline.EventPanelEvent, string(a.Source),
			fmt.Sprintf("panel %s reset before any unit was dispatched", a.DeviceID), map[string]any{"alarm_id": a.ID, "kind": a.Kind})
		if _, err := inc.end(ctx, fireline.IncidentCancelled, string(a.Source), "the fire-alarm panel was reset before dispatch"); err != nil {
			workflow.GetLogger(ctx).Error("cancel on panel reset", "incident", inc.st.IncidentID, "error", err)
		}
		return
	}
	detail := fmt.Sprintf("panel %s: %s", a.DeviceID, a.Kind)
	if a.Kind == fireline.KindReset {
		detail = fmt.Sprintf("panel %s reset after dispatch: the units continue", a.DeviceID)
	}
	_ = inc.event(ctx, key, fireline.EventPanelEvent, string(a.Source), detail, map[string]any{"alarm_id": a.ID, "kind": a.Kind})
}

// receiveUnitStatuses applies the crews' status reports in the order they arrive.
func (inc *incident) receiveUnitStatuses(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalUnitStatus)
	for {
		var sig fireline.UnitStatusReport
		if !ch.Receive(ctx, &sig) {
			return
		}
		inc.onUnitStatus(ctx, sig)
	}
}

func (inc *incident) onUnitStatus(ctx workflow.Context, sig fireline.UnitStatusReport) {
	inc.applying++
	defer func() { inc.applying-- }()
	if err := inc.applyUnitStatus(ctx, sig); err != nil {
		// A report the workflow cannot apply is logged and dropped, never retried forever.
		workflow.GetLogger(ctx).Warn("unit status not applied", "incident", inc.st.IncidentID, "unit", sig.UnitID, "status", sig.Status, "error", err)
	}
}

func (inc *incident) applyUnitStatus(ctx workflow.Context, sig fireline.UnitStatusReport) error {
	a := inc.assignment(sig.UnitID)
	if a == nil {
		return fmt.Errorf("unit %s is not on this incident", sig.UnitID)
	}
	if sig.Status == a.Status {
		return fmt.Errorf("unit is already %s", a.Status)
	}
	// The API checked the move against PostgreSQL; this checks it against the order the reports
	// arrived in, so a crew's delayed report never moves its unit back.
	if err := a.Status.CanMoveTo(sig.Status, sig.ByDispatcher); err != nil {
		return err
	}
	at := sig.At
	round := inc.led.UnitRound[sig.UnitID]
	base := fmt.Sprintf("unit:%s:%d:%s", sig.UnitID, round, sig.Status)
	key := base
	if n := inc.led.Reports[base]; n > 0 {
		key = fmt.Sprintf("%s:%d", base, n+1) // reached again after a correction
	}
	err := workflow.ExecuteActivity(withRetries(ctx), acts.SetUnitStatus, activities.UnitStatusInput{
		IncidentID: inc.st.IncidentID, UnitID: sig.UnitID, Status: sig.Status, At: at,
		Event: inc.newEventAt(at, key, fireline.EventUnitStatus, sig.Actor, fmt.Sprintf("%s %s", sig.UnitID, sig.Status),
			map[string]any{"unit": sig.UnitID, "status": sig.Status}, sig.UnitID),
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	inc.led.Reports[base]++
	if a = inc.assignment(sig.UnitID); a == nil { // re-find: the slice may have changed meanwhile
		return nil
	}
	// A correction back to an earlier step unsays the steps after it, as the store does.
	if sig.Status.Before(fireline.UnitOnScene) {
		a.OnSceneAt = nil
	}
	if sig.Status.Before(fireline.UnitEnRoute) {
		a.EnRouteAt = nil
	}
	a.Status = sig.Status
	// A silent unit that answers after all no longer needs a replacement.
	inc.st.Replacements = slices.DeleteFunc(inc.st.Replacements, func(r fireline.Recommendation) bool { return r.Replaces == sig.UnitID })
	switch sig.Status {
	case fireline.UnitAcknowledged:
		a.AckAt = keepFirst(a.AckAt, at)
	case fireline.UnitEnRoute:
		a.EnRouteAt = keepFirst(a.EnRouteAt, at)
		if inc.st.FirstEnRouteAt == nil {
			inc.st.FirstEnRouteAt = &at
			workflow.Go(ctx, inc.superviseArrival)
		}
	case fireline.UnitOnScene:
		a.OnSceneAt = keepFirst(a.OnSceneAt, at)
		if inc.st.FirstOnSceneAt == nil {
			inc.st.FirstOnSceneAt = &at
			workflow.Go(ctx, inc.supervisePAR)
		}
	case fireline.UnitAvailable:
		a.ClearedAt = &at
	}
	return nil
}

func keepFirst(old *time.Time, at time.Time) *time.Time {
	if old != nil {
		return old
	}
	return &at
}

// ---- supervision ----------------------------------------------------------------------------

// superviseAll starts the supervisors the incident's state calls for: all of them on a resumed
// run, the first two on a new one.
func (inc *incident) superviseAll(ctx workflow.Context) {
	if inc.st.AssessedAt == nil {
		workflow.Go(ctx, inc.superviseAssessment)
	}
	if inc.st.FirstDispatchAt == nil {
		workflow.Go(ctx, inc.superviseCallProcessing)
	}
	for _, a := range inc.st.Assignments {
		if a.ClearedAt == nil {
			round := inc.led.UnitRound[a.UnitID]
			workflow.Go(ctx, func(ctx workflow.Context) { inc.superviseUnit(ctx, a.UnitID, round, a.DispatchedAt) })
		}
	}
	if inc.st.FirstEnRouteAt != nil {
		workflow.Go(ctx, inc.superviseArrival)
	}
	if inc.st.FirstOnSceneAt != nil {
		workflow.Go(ctx, inc.supervisePAR)
	}
	for _, t := range inc.st.AgencyTasks {
		if !t.Status.Finished() && t.EscalatedAt == nil {
			workflow.Go(ctx, func(ctx workflow.Context) { inc.superviseAgencyTask(ctx, t.Agency) })
		}
	}
}

func (inc *incident) timers() Timers { return inc.policy.For(inc.st.Type) }

// waitUntil waits until deadline or until done is true, whichever comes first, and reports
// done. A cancelled context (the run ending) reports true: there is nothing left to supervise.
func waitUntil(ctx workflow.Context, deadline time.Time, done func() bool) bool {
	d := deadline.Sub(workflow.Now(ctx))
	if d <= 0 {
		return done()
	}
	ok, err := workflow.AwaitWithTimeout(ctx, d, done)
	return ok || err != nil
}

func (inc *incident) over() bool { return inc.ending || !inc.st.Status.Open() }

func (inc *incident) superviseAssessment(ctx workflow.Context) {
	limit := inc.timers().Assessment
	if waitUntil(ctx, inc.in.Alarm.ReceivedAt.Add(limit), func() bool { return inc.st.AssessedAt != nil || inc.over() }) {
		return
	}
	inc.escalate(ctx, "escalation:assessment", fireline.TimerAssessment, "",
		fmt.Sprintf("incident not assessed within %s of the alarm", limit), limit, "")
}

func (inc *incident) superviseCallProcessing(ctx workflow.Context) {
	limit := inc.timers().CallProcessing
	if waitUntil(ctx, inc.in.Alarm.ReceivedAt.Add(limit), func() bool { return inc.st.FirstDispatchAt != nil || inc.over() }) {
		return
	}
	inc.escalate(ctx, "escalation:call_processing", fireline.TimerCallProcessing, "",
		fmt.Sprintf("no unit dispatched within %s of the alarm", limit), limit, "")
}

// superviseUnit escalates a unit that does not acknowledge in time (and recommends a
// replacement) or does not turn out in time.
func (inc *incident) superviseUnit(ctx workflow.Context, unitID string, round int, dispatchedAt time.Time) {
	mine := func() *fireline.Assignment {
		if inc.led.UnitRound[unitID] != round {
			return nil
		}
		return inc.assignment(unitID)
	}
	t := inc.timers()
	acked := func() bool { a := mine(); return a == nil || a.Status != fireline.UnitDispatched || inc.over() }
	if !waitUntil(ctx, dispatchedAt.Add(t.Acknowledge), acked) {
		key := fmt.Sprintf("escalation:ack:%s:%d", unitID, round)
		if inc.escalate(ctx, key, fireline.TimerAcknowledge, unitID,
			fmt.Sprintf("%s did not acknowledge within %s", unitID, t.Acknowledge), t.Acknowledge, "") {
			inc.recommendReplacement(ctx, unitID)
		}
	}
	turnedOut := func() bool {
		a := mine()
		return a == nil || a.EnRouteAt != nil || a.OnSceneAt != nil || inc.over()
	}
	if !waitUntil(ctx, dispatchedAt.Add(t.Turnout), turnedOut) {
		inc.escalate(ctx, fmt.Sprintf("escalation:turnout:%s:%d", unitID, round), fireline.TimerTurnout, unitID,
			fmt.Sprintf("%s not en route within %s of dispatch", unitID, t.Turnout), t.Turnout, "")
	}
}

// recommendReplacement offers the operator the fastest unit of a silent unit's type that is
// not on the incident yet.
func (inc *incident) recommendReplacement(ctx workflow.Context, silent string) {
	if err := workflow.Await(ctx, func() bool { return !inc.replacing }); err != nil {
		return
	}
	inc.replacing = true
	defer func() { inc.replacing = false }()
	a := inc.assignment(silent)
	if a == nil || a.Status != fireline.UnitDispatched {
		return // it answered meanwhile
	}
	exclude := inc.onIncident()
	for _, r := range inc.st.Replacements {
		exclude = append(exclude, r.UnitID)
	}
	var rec activities.RecommendResult
	err := workflow.ExecuteActivity(withRetries(ctx), acts.Recommend, activities.RecommendInput{
		IncidentID: inc.st.IncidentID, Point: inc.st.Point, Type: inc.st.Type, Level: inc.st.Level, Exclude: exclude,
		Slots: []fireline.PlanSlot{{Type: a.Type, Count: 1}}, Probe: true,
	}).Get(ctx, &rec)
	if err != nil {
		workflow.GetLogger(ctx).Error("replacement not recommended", "incident", inc.st.IncidentID, "unit", silent, "error", err)
		return
	}
	for _, r := range slices.Concat(rec.Units, rec.Alternates) {
		if r.Type != a.Type {
			continue
		}
		r.Replaces = silent
		inc.st.Replacements = append(inc.st.Replacements, r)
		_ = inc.event(ctx, fmt.Sprintf("replacement:%s:%d", silent, inc.led.UnitRound[silent]), fireline.EventReplacement, "supervision",
			fmt.Sprintf("%s recommended in place of %s (ETA %.0f s)", r.UnitID, silent, r.ETASeconds),
			map[string]any{"unit": r.UnitID, "replaces": silent, "eta_s": r.ETASeconds, "recommendation": r}, silent)
		return
	}
	_ = inc.event(ctx, fmt.Sprintf("replacement:%s:%d", silent, inc.led.UnitRound[silent]), fireline.EventReplacement, "supervision",
		fmt.Sprintf("no available %s to replace %s", a.Type, silent), map[string]any{"replaces": silent}, silent)
}

// superviseArrival escalates a first arrival or a full first alarm that is late, counted from
// the first unit en route.
func (inc *incident) superviseArrival(ctx workflow.Context) {
	start := *inc.st.FirstEnRouteAt
	t := inc.timers()
	if !waitUntil(ctx, start.Add(t.FirstArrival), func() bool { return inc.st.FirstOnSceneAt != nil || inc.over() }) {
		inc.escalate(ctx, "escalation:first_arrival", fireline.TimerFirstArrival, "",
			fmt.Sprintf("no unit on scene within %s of the first en route", t.FirstArrival), t.FirstArrival, "")
	}
	if !waitUntil(ctx, start.Add(t.FullAlarm), func() bool { return len(inc.missingFirstAlarm()) == 0 || inc.over() }) {
		missing := inc.missingFirstAlarm()
		inc.escalate(ctx, "escalation:full_alarm", fireline.TimerFullAlarm, "",
			fmt.Sprintf("first alarm not all on scene within %s: %s still on the way", t.FullAlarm, strings.Join(missing, ", ")), t.FullAlarm, "")
	}
}

// missingFirstAlarm lists the units of the first dispatch that are still committed and not on
// scene yet; a unit released on the way is not waited for.
func (inc *incident) missingFirstAlarm() []string {
	var out []string
	for _, id := range inc.st.FirstAlarm {
		for _, a := range inc.st.Assignments {
			if a.UnitID == id && a.ClearedAt == nil && a.OnSceneAt == nil {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// supervisePAR asks for a personnel accountability report every PAR interval while crews work
// the scene, and escalates one not confirmed within its grace.
func (inc *incident) supervisePAR(ctx workflow.Context) {
	t := inc.timers()
	for !inc.over() {
		if inc.st.PARDueAt == nil {
			from := *inc.st.FirstOnSceneAt
			if inc.st.PARConfirmedAt != nil && inc.st.PARConfirmedAt.After(from) {
				from = *inc.st.PARConfirmedAt
			}
			for !inc.onScene() {
				// Nobody on scene: the next PAR counts from the next unit's arrival.
				if err := workflow.Await(ctx, func() bool { return inc.onScene() || inc.over() }); err != nil || inc.over() {
					return
				}
				from = workflow.Now(ctx)
			}
			if waitUntil(ctx, from.Add(t.PARInterval), inc.over) {
				return
			}
			if !inc.onScene() {
				continue
			}
			now := workflow.Now(ctx)
			inc.led.PARRound++
			inc.st.PARDueAt = &now
			_ = inc.event(ctx, fmt.Sprintf("par:%d:due", inc.led.PARRound), fireline.EventPAR, "supervision",
				fmt.Sprintf("PAR %d due: report every crew accounted for", inc.led.PARRound), map[string]any{"round": inc.led.PARRound})
		}
		due, round := *inc.st.PARDueAt, inc.led.PARRound
		confirmed := func() bool { return inc.st.PARDueAt == nil || inc.over() }
		if !waitUntil(ctx, due.Add(t.PARGrace), confirmed) {
			inc.escalate(ctx, fmt.Sprintf("escalation:par:%d", round), fireline.TimerPAR, "",
				fmt.Sprintf("PAR %d not confirmed within %s", round, t.PARGrace), t.PARGrace, "")
			if err := workflow.Await(ctx, confirmed); err != nil {
				return
			}
		}
	}
}

func (inc *incident) onScene() bool {
	return slices.ContainsFunc(inc.st.Assignments, func(a fireline.Assignment) bool {
		return a.ClearedAt == nil && a.OnSceneAt != nil
	})
}

func (inc *incident) superviseAgencyTask(ctx workflow.Context, agency fireline.Agency) {
	task := func() *fireline.AgencyTask {
		if i := slices.IndexFunc(inc.st.AgencyTasks, func(t fireline.AgencyTask) bool { return t.Agency == agency }); i >= 0 {
			return &inc.st.AgencyTasks[i]
		}
		return nil
	}
	t := task()
	if t == nil {
		return
	}
	within := t.DueAt.Sub(t.RequestedAt)
	if waitUntil(ctx, t.DueAt, func() bool { t := task(); return t == nil || t.Status.Finished() || inc.over() }) {
		return
	}
	if inc.escalate(ctx, "escalation:agency:"+string(agency), fireline.TimerAgencyTask, "",
		fmt.Sprintf("%s has not done its task within %s: %s", agency, within, t.Task), within, agency) {
		if t := task(); t != nil {
			now := workflow.Now(ctx)
			t.EscalatedAt = &now
		}
	}
}

// escalate raises a lapse to the supervisors once per key and reports whether it did.
func (inc *incident) escalate(ctx workflow.Context, key, timer, unitID, detail string, limit time.Duration, agency fireline.Agency) bool {
	if slices.Contains(inc.led.Escalated, key) {
		return false
	}
	inc.led.Escalated = append(inc.led.Escalated, key)
	inc.st.Escalations++
	now := workflow.Now(ctx)
	data := map[string]any{"timer": timer, "limit_s": limit.Seconds()}
	if unitID != "" {
		data["unit"] = unitID
	}
	if agency != "" {
		data["agency"] = agency
	}
	err := workflow.ExecuteActivity(withRetries(ctx), acts.Escalate, activities.EscalateInput{
		Escalation: fireline.Escalation{IncidentID: inc.st.IncidentID, Key: key, Timer: timer, UnitID: unitID, Detail: detail, RaisedAt: now},
		Event:      inc.newEventAt(now, key, fireline.EventEscalation, "supervision", detail, data, unitID),
		Agency:     agency,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("escalation not recorded", "incident", inc.st.IncidentID, "key", key, "error", err)
	}
	return true
}

// ---- state helpers --------------------------------------------------------------------------

// assignment returns the unit's current (uncleared) assignment, or nil.
func (inc *incident) assignment(unitID string) *fireline.Assignment {
	for i := range inc.st.Assignments {
		a := &inc.st.Assignments[i]
		if a.UnitID == unitID && a.ClearedAt == nil {
			return a
		}
	}
	return nil
}

// onIncident lists the units committed to the incident now.
func (inc *incident) onIncident() []string {
	var out []string
	for _, a := range inc.st.Assignments {
		if a.ClearedAt == nil {
			out = append(out, a.UnitID)
		}
	}
	return out
}

// have counts the committed units by type, in fireline.UnitTypes order.
func (inc *incident) have() []fireline.PlanSlot {
	var out []fireline.PlanSlot
	for _, t := range fireline.UnitTypes {
		n := 0
		for _, a := range inc.st.Assignments {
			if a.ClearedAt == nil && a.Type == t {
				n++
			}
		}
		if n > 0 {
			out = append(out, fireline.PlanSlot{Type: t, Count: n})
		}
	}
	return out
}

func (inc *incident) setStatus(ctx workflow.Context, s fireline.IncidentStatus, why string) error {
	err := workflow.ExecuteActivity(withRetries(ctx), acts.SetIncidentStatus, activities.StatusInput{
		IncidentID: inc.st.IncidentID,
		Status:     s,
		Event: inc.newEvent(ctx, "status:"+string(s), fireline.EventStatusChanged, "", fmt.Sprintf("%s: %s", s, why),
			map[string]any{"status": s}),
	}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("set status %s: %w", s, err)
	}
	inc.st.Status = s
	inc.upsertSearch(ctx)
	return nil
}

// upsertSearch keeps the incident's search attributes current, when the namespace has them.
func (inc *incident) upsertSearch(ctx workflow.Context) {
	if !inc.in.SearchAttributes {
		return
	}
	err := workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(SearchType).ValueSet(string(inc.st.Type)),
		temporal.NewSearchAttributeKeyInt64(SearchLevel).ValueSet(int64(inc.st.Level)),
		temporal.NewSearchAttributeKeyKeyword(SearchStatus).ValueSet(string(inc.st.Status)),
		temporal.NewSearchAttributeKeyKeyword(SearchCell).ValueSet(inc.in.Alarm.Cell),
	)
	if err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "incident", inc.st.IncidentID, "error", err)
	}
}

func (inc *incident) event(ctx workflow.Context, key, kind, actor, detail string, data map[string]any, unitID ...string) error {
	e := inc.newEvent(ctx, key, kind, actor, detail, data)
	if len(unitID) > 0 {
		e.UnitID = unitID[0]
	}
	if err := workflow.ExecuteActivity(withRetries(ctx), acts.AppendEvent, e).Get(ctx, nil); err != nil {
		return fmt.Errorf("append %s: %w", key, err)
	}
	return nil
}

func (inc *incident) newEvent(ctx workflow.Context, key, kind, actor, detail string, data map[string]any) fireline.TimelineEvent {
	return inc.newEventAt(workflow.Now(ctx), key, kind, actor, detail, data, "")
}

func (inc *incident) newEventAt(at time.Time, key, kind, actor, detail string, data map[string]any, unitID string) fireline.TimelineEvent {
	return fireline.TimelineEvent{
		IncidentID: inc.st.IncidentID, Key: key, At: at, Kind: kind, Actor: actor, Detail: detail, Data: data, UnitID: unitID,
	}
}

// review computes the response-time intervals from the workflow's own record.
func (inc *incident) review(now time.Time) fireline.Review {
	received := inc.in.Alarm.ReceivedAt
	r := fireline.Review{Escalations: inc.st.Escalations, ReviewedAt: now, Units: []fireline.UnitReview{},
		Outcome: inc.st.Outcome, Reason: inc.st.Reason}
	if inc.st.FirstDispatchAt != nil {
		r.CallProcessingSeconds = seconds(received, inc.st.FirstDispatchAt)
	}
	if inc.st.AssessedAt != nil {
		r.AssessmentSeconds = seconds(received, inc.st.AssessedAt)
	}
	if inc.st.FirstOnSceneAt != nil {
		r.FirstArrivalSeconds = seconds(received, inc.st.FirstOnSceneAt)
	}
	for _, a := range inc.st.Assignments {
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
