package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// Supervision: the timers that watch the incident from the alarm to the last PAR, each running
// beside the main line, and the escalations a lapse raises to the supervisors' queue.

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
	if err := inc.replacing.Lock(ctx); err != nil {
		return
	}
	defer inc.replacing.Unlock()
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
		inc.log.Error("replacement not recommended", "unit", silent, "error", err)
		return
	}
	key := fmt.Sprintf("replacement:%s:%d", silent, inc.led.UnitRound[silent])
	for _, r := range slices.Concat(rec.Units, rec.Alternates) {
		if r.Type != a.Type {
			continue
		}
		r.Replaces = silent
		inc.st.Replacements = append(inc.st.Replacements, r)
		_ = inc.record(ctx, fireline.TimelineEvent{
			Key: key, Kind: fireline.EventReplacement, Actor: "supervision", UnitID: silent,
			Detail: fmt.Sprintf("%s recommended in place of %s (ETA %.0f s)", r.UnitID, silent, r.ETASeconds),
			Data:   map[string]any{"unit": r.UnitID, "replaces": silent, "eta_s": r.ETASeconds, "recommendation": r},
		})
		return
	}
	_ = inc.record(ctx, fireline.TimelineEvent{
		Key: key, Kind: fireline.EventReplacement, Actor: "supervision", UnitID: silent,
		Detail: fmt.Sprintf("no available %s to replace %s", a.Type, silent),
		Data:   map[string]any{"replaces": silent},
	})
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
			_ = inc.record(ctx, fireline.TimelineEvent{
				Key: fmt.Sprintf("par:%d:due", inc.led.PARRound), Kind: fireline.EventPAR, Actor: "supervision",
				Detail: fmt.Sprintf("PAR %d due: report every crew accounted for", inc.led.PARRound),
				Data:   map[string]any{"round": inc.led.PARRound},
			})
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
	err := runShort(ctx, inc.localSteps, acts.Escalate, activities.EscalateInput{
		Escalation: fireline.Escalation{IncidentID: inc.st.IncidentID, Key: key, Timer: timer, UnitID: unitID, Detail: detail, RaisedAt: now},
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: key, At: now, Kind: fireline.EventEscalation, Actor: "supervision", UnitID: unitID, Detail: detail, Data: data,
		}),
		Agency: agency,
	}).Get(ctx, nil)
	if err != nil {
		inc.log.Error("escalation not recorded", "key", key, "error", err)
	}
	return true
}
