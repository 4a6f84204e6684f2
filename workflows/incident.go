package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/log"
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
	// startLockChange names the change that made start wait for an order already holding the
	// order lock, where it used to run beside it. Only an order that arrived while the first
	// status was being written can hold the lock then, so the version is asked in that case
	// alone and other incidents' histories carry no marker for it.
	startLockChange  = "incident-start-lock"
	startLockVersion = 1
	// reviewIntervalsChange names the change that measures the review by the analytics' one
	// definition (fireline.ResponseIntervals over the assignments), where it used to take the
	// first dispatch and first arrival the workflow kept and clamp an out-of-order interval to
	// zero. It is asked once, when the review is written.
	reviewIntervalsChange  = "incident-review-intervals"
	reviewIntervalsVersion = 1
	// localWritesChange names the change that runs the incident's short store steps (a status
	// and its event, a timeline event, the recommendation, a premises' pre-plan) as local
	// activities, in the worker's own workflow task, where each used to be an activity task of
	// its own: a round trip through the server's task queue and one more workflow task each.
	// Under a surge of alarms those round trips, not the writes, were what an alarm waited on
	// for its recommendation. It also drops start's first search-attribute upsert, which the
	// assessing status upserts again at once. It is asked once a run, before anything else.
	localWritesChange  = "incident-local-writes"
	localWritesVersion = 1
	// noCardChange names the change that keeps an incident going when its type and level have
	// no run card (a new deployment without its cards, a card retired by mistake): the start
	// records that nothing could be recommended and the operator chooses the units, where the
	// workflow used to fail and leave the incident assessing, unsupervised, for good. It is
	// asked only when the recommendation finds no card.
	noCardChange  = "incident-start-without-card"
	noCardVersion = 1
	// heldChange names the change that takes over, as the incident's first recommendation, the
	// one intake made and stored when the first alarm arrived (fireline.FirstRecommender), dating
	// its timeline event when the operators had it; the first recommendation used to be made
	// only here, once the workflow had started. It is asked once, at the first recommendation.
	heldChange  = "incident-held-recommendation"
	heldVersion = 1
	// localStepsChange names the change that runs two more short store steps as local
	// activities: the start's read of the incident type's snapshot, and an escalation's record.
	// Each was an activity task of its own with a workflow task after it: under a surge, every
	// incident's start waited on one, and every undispatched incident's supervision timer on
	// the other, a minute later, all through the workflow engine's queues. It is asked once a
	// run, before anything is scheduled.
	localStepsChange  = "incident-local-steps"
	localStepsVersion = 1
	// staleChange names the change that recommends afresh when a dispatch of the incident's
	// recommendation is refused because another incident took one of its units first: the
	// refused operator used to find the same stale recommendation on every read until they
	// picked units by hand. It is asked only on such a refusal.
	staleChange  = "incident-stale-recommendation"
	staleVersion = 1
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
	// log is the workflow's logger scoped with the incident id once, so that no call can forget
	// it. Temporal's logger stays quiet while the workflow replays.
	log log.Logger
	// orders is held by whichever of start, assess, dispatch and split is in flight: they wait
	// for each other instead of interleaving their activities. Close, cancel and merge only
	// wait for it to be free (waitForOrders).
	orders workflow.Mutex
	// replacing is held while a replacement is looked for: units of one dispatch time out
	// together, and each must be offered a different unit.
	replacing workflow.Mutex
	// ending is set once a close, cancel or merge has begun. It is a state, not a lock: the
	// validators, which must not block, read it to refuse new orders at once, and the
	// supervisors read it to stand down.
	ending bool
	// applying counts signals being applied. It is not a lock either: signals never wait for
	// each other or for orders; it only tells the run loop that the moment is not quiet enough
	// to continue as new.
	applying int
	// snapshots is set when this run keeps its incident types' definitions (types.go).
	snapshots bool
	// local is set when this run runs its short store steps as local activities
	// (localWritesChange).
	local bool
	// localSteps is set when the start's snapshot and the escalations are local steps too
	// (localStepsChange).
	localSteps bool
}

func newIncident(ctx workflow.Context, in IncidentInput) *incident {
	inc := &incident{in: in, policy: DefaultTimerPolicy(), orders: workflow.NewMutex(ctx), replacing: workflow.NewMutex(ctx)}
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
	inc.log = log.With(workflow.GetLogger(ctx), "incident", inc.st.IncidentID)
	return inc
}

func runIncident(ctx workflow.Context, in IncidentInput) (IncidentState, error) {
	inc := newIncident(ctx, in)
	if err := inc.register(ctx); err != nil {
		return inc.st, err
	}
	inc.localSteps = workflow.GetVersion(ctx, localStepsChange, workflow.DefaultVersion, localStepsVersion) >= localStepsVersion
	inc.decideSnapshots(ctx)
	inc.local = workflow.GetVersion(ctx, localWritesChange, workflow.DefaultVersion, localWritesVersion) >= localWritesVersion
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
		return inc.ended() || (inc.tooLong(ctx) && !inc.orders.IsLocked() && !inc.ending && inc.applying == 0)
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
	if !inc.local {
		// The assessing status below upserts them again: since localWritesChange once is enough.
		inc.upsertSearch(ctx)
	}
	if err := inc.setStatus(ctx, fireline.IncidentAssessing, "assessing the alarm"); err != nil {
		return err
	}
	waited, err := inc.lockForStart(ctx)
	if err != nil {
		return err
	}
	defer inc.release()
	if waited {
		// The order that held the lock may have settled what start would do, or ended the
		// incident: start does only what is left.
		if inc.ending || !inc.st.Status.Open() {
			return nil
		}
		if inc.st.AssessedAt != nil {
			if inc.led.Recommendations > 0 {
				return nil
			}
			return inc.startRecommend(ctx)
		}
	}
	a := inc.in.Alarm
	if a.Kind == fireline.KindFireAlarm && a.PremiseID != "" {
		var p fireline.Premise
		err := inc.short(ctx, acts.Premise, a.PremiseID).Get(ctx, &p)
		switch {
		case err != nil:
			// Unknown premises: the operator assesses, as for any alarm.
			inc.log.Warn("pre-plan not read", "premises", a.PremiseID, "error", err)
		case planned(p):
			if _, err := inc.snapshot(withRetries(ctx), p.PlanType); err != nil {
				// A pre-plan naming a type since retired: the operator assesses.
				inc.log.Warn("pre-plan type not read", "premises", a.PremiseID, "type", p.PlanType, "error", err)
				break
			}
			return inc.applyAssessment(ctx, fireline.AssessOrder{Type: p.PlanType, Level: p.PlanLevel, Priority: fireline.PriorityImmediate, Actor: "pre-plan"},
				fmt.Sprintf("assessed from the pre-plan of %s", p.Name))
		}
	}
	return inc.startRecommend(ctx)
}

// startRecommend is start's recommendation. When no run card covers the incident's type and
// level, the incident is not failed for it (noCardChange): the timeline says so, with an empty
// recommendation, and the operator chooses the units while the supervision timers run.
func (inc *incident) startRecommend(ctx workflow.Context) error {
	err := inc.recommendFirst(ctx)
	var app *temporal.ApplicationError
	if err == nil || !errors.As(err, &app) || app.Type() != fireline.ENOTFOUND {
		return err
	}
	if workflow.GetVersion(ctx, noCardChange, workflow.DefaultVersion, noCardVersion) == workflow.DefaultVersion {
		return err
	}
	inc.log.Warn("no run card for the incident: the operator chooses its units", "type", inc.st.Type, "level", inc.st.Level, "error", app.Message())
	inc.led.Recommendations++
	inc.st.Recommendation, inc.st.Alternates, inc.st.Short = nil, nil, nil
	return inc.record(ctx, fireline.TimelineEvent{
		Key: fmt.Sprintf("recommended:%d", inc.led.Recommendations), Kind: fireline.EventRecommended,
		Detail: fmt.Sprintf("nothing recommended: no run card for %s at level %d; choose the units by hand", inc.st.Type, inc.st.Level),
		Data:   map[string]any{"units": []string{}, "level": inc.st.Level, "reinforcement": false, "no_run_card": true},
	})
}

// lockForStart takes the order lock for start, and says whether start had to wait for an order
// that held it: one that arrived while the first status was being written. Since
// startLockChange start waits for such an order; an incident recorded before ran start beside
// it, sharing one flag that whichever finished first cleared, and replays doing so (release).
func (inc *incident) lockForStart(ctx workflow.Context) (waited bool, err error) {
	if inc.orders.TryLock(ctx) {
		return false, nil
	}
	if workflow.GetVersion(ctx, startLockChange, workflow.DefaultVersion, startLockVersion) == workflow.DefaultVersion {
		return false, nil
	}
	if err := inc.orders.Lock(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// release frees the order lock if it is held. With one holder at a time it is a plain Unlock;
// in an incident recorded before startLockChange, start and an early order shared the lock as
// the old busy flag, which the first of them to finish cleared, and releasing only a held lock
// replays exactly that.
func (inc *incident) release() {
	if inc.orders.IsLocked() {
		inc.orders.Unlock()
	}
}

// planned says whether the premises' pre-plan assesses its fire alarm at once.
func planned(p fireline.Premise) bool {
	_, _, ok := p.Assesses()
	return ok
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
			inc.log.Info("incident continues as new", "history", workflow.GetInfo(ctx).GetCurrentHistoryLength(), "run", inc.led.Runs)
			return inc.st, workflow.NewContinueAsNewError(ctx, IncidentWorkflow, next)
		}
	}
}

// finish writes the review of a closed or cancelled incident; a merged one ends without.
func (inc *incident) finish(ctx workflow.Context) (IncidentState, error) {
	if inc.st.Outcome != fireline.IncidentMerged {
		shared := workflow.GetVersion(ctx, reviewIntervalsChange, workflow.DefaultVersion, reviewIntervalsVersion) >= reviewIntervalsVersion
		review := inc.review(workflow.Now(ctx), shared)
		err := workflow.ExecuteActivity(withRetries(ctx), acts.WriteReview, activities.ReviewInput{
			IncidentID: inc.st.IncidentID,
			Review:     review,
			Event: inc.stamp(ctx, fireline.TimelineEvent{
				Key: "reviewed", Kind: fireline.EventReviewed, Detail: "after-action review intervals computed",
			}),
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
	inc.log.Info("incident ended", "outcome", inc.st.Outcome)
	return inc.st, nil
}

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
	err := inc.short(ctx, acts.SetIncidentStatus, activities.StatusInput{
		IncidentID: inc.st.IncidentID,
		Status:     s,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: "status:" + string(s), Kind: fireline.EventStatusChanged, Detail: fmt.Sprintf("%s: %s", s, why),
			Data: map[string]any{"status": s},
		}),
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
		inc.log.Warn("search attributes not updated", "error", err)
	}
}
