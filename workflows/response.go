package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// The response: the plan of units recommended for the incident, the rounds of units reserved
// against it, reinforcement on an upgrade and the joint-agency tasks its type and level call
// for. Orders and the start of an incident set these going, holding the order lock.

// applyAssessment stores the assessment, asks the agencies the new type and level need, and
// recommends again when the plan changed: the whole plan before any dispatch, the difference
// (sent at once) after. The caller holds inc.orders.
func (inc *incident) applyAssessment(ctx workflow.Context, req fireline.AssessOrder, how string) error {
	changed := req.Type != inc.st.Type || req.Level != inc.st.Level
	if req.Type != inc.st.Type {
		// The new type's definition, as it is now, is what the incident goes on with; a type
		// that does not exist or is retired refuses the order.
		if _, err := inc.snapshot(withFewRetries(ctx), req.Type); err != nil {
			return err
		}
	}
	now := workflow.Now(ctx)
	inc.led.Assessments++
	key := fmt.Sprintf("assessed:%d", inc.led.Assessments)
	detail := fmt.Sprintf("%s: %s, level %d, priority %d", how, req.Type, req.Level, req.Priority)
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.AssessIncident, activities.AssessInput{
		IncidentID: inc.st.IncidentID, Type: req.Type, Level: req.Level, Priority: req.Priority, AssessedBy: req.Actor,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: key, Kind: fireline.EventAssessed, Actor: req.Actor, Detail: detail,
			Data: map[string]any{"type": req.Type, "level": req.Level, "priority": req.Priority, "from_type": inc.st.Type, "from_level": inc.st.Level},
		}),
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
	case inc.st.FirstDispatchAt == nil && inc.led.Recommendations == 0:
		return inc.recommendFirst(ctx)
	case inc.st.FirstDispatchAt == nil && changed:
		return inc.recommend(ctx, false)
	case inc.st.FirstDispatchAt != nil && upgrade:
		return inc.reinforce(ctx, req.Actor)
	}
	return nil
}

// recommend asks for the whole plan (reinforcement false) or the difference to what the
// incident already has (true), and keeps the answer as the incident's recommendation.
func (inc *incident) recommend(ctx workflow.Context, reinforcement bool) error {
	return inc.recommendWith(ctx, reinforcement, false)
}

// recommendFirst is the incident's first recommendation, which takes over the one intake made
// when that still stands (heldChange).
func (inc *incident) recommendFirst(ctx workflow.Context) error {
	held := workflow.GetVersion(ctx, heldChange, workflow.DefaultVersion, heldVersion) >= heldVersion
	return inc.recommendWith(ctx, false, held)
}

func (inc *incident) recommendWith(ctx workflow.Context, reinforcement, held bool) error {
	in := activities.RecommendInput{
		IncidentID: inc.st.IncidentID, Point: inc.st.Point, Type: inc.st.Type, Level: inc.st.Level, Exclude: inc.onIncident(),
		Held: held && inc.led.Recommendations == 0,
	}
	if reinforcement {
		in.Have = inc.have()
	}
	inc.planSlots(&in)
	var rec activities.RecommendResult
	if err := inc.short(ctx, acts.Recommend, in).Get(ctx, &rec); err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	inc.led.Recommendations++
	inc.st.Recommendation, inc.st.Alternates, inc.st.Short = rec.Units, rec.Alternates, rec.Short
	e := fireline.TimelineEvent{
		Key: fmt.Sprintf("recommended:%d", inc.led.Recommendations), Kind: fireline.EventRecommended, Detail: recommendedDetail(rec),
		Data: map[string]any{"units": fireline.RecommendedUnits(rec.Units), "short": rec.Short, "level": inc.st.Level, "reinforcement": reinforcement},
	}
	if rec.HeldAt != nil {
		// Made at intake: the operators have had it since then.
		e.At = *rec.HeldAt
		e.Data["at_intake"] = true
	}
	return inc.record(ctx, e)
}

// reinforce sends at once the units an upgraded plan lacks. The caller holds inc.orders.
func (inc *incident) reinforce(ctx workflow.Context, actor string) error {
	if err := inc.recommend(ctx, true); err != nil {
		return err
	}
	if len(inc.st.Recommendation) == 0 {
		return inc.record(ctx, fireline.TimelineEvent{
			Key: fmt.Sprintf("reinforcement:%d", inc.led.Recommendations), Kind: fireline.EventReinforced, Actor: actor,
			Detail: fmt.Sprintf("level %d: the units on scene already fill the plan", inc.st.Level),
		})
	}
	_, err := inc.reserve(ctx, fireline.RecommendedUnits(inc.st.Recommendation), actor, fireline.EventReinforced,
		fmt.Sprintf("reinforcement for %s level %d", inc.st.Type, inc.st.Level))
	return err
}

// reserve commits units in one round and starts their supervision. The caller holds inc.orders.
func (inc *incident) reserve(ctx workflow.Context, ids []string, actor, kind, what string) (DispatchResult, error) {
	round := inc.led.Rounds + 1
	now := workflow.Now(ctx)
	var res activities.ReserveResult
	err := workflow.ExecuteActivity(withFewRetries(ctx), acts.ReserveUnits, activities.ReserveInput{
		IncidentID: inc.st.IncidentID, UnitIDs: ids, At: now,
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: fmt.Sprintf("dispatch:%d", round), Kind: kind, Actor: actor, Detail: fmt.Sprintf("%s %v", what, ids),
			Data: map[string]any{"units": ids, "round": round},
		}),
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

// requestAgencyTasks asks the agencies the incident's type and level need and that were not
// asked yet, and supervises each task.
func (inc *incident) requestAgencyTasks(ctx workflow.Context, actor string) error {
	now := workflow.Now(ctx)
	var tasks []fireline.AgencyTask
	var events []fireline.TimelineEvent
	for _, r := range inc.agencyRules() {
		if slices.ContainsFunc(inc.st.AgencyTasks, func(t fireline.AgencyTask) bool { return t.Agency == r.Agency }) {
			continue
		}
		t := fireline.AgencyTask{IncidentID: inc.st.IncidentID, Agency: r.Agency, Task: r.Task, Status: fireline.TaskRequested,
			RequestedAt: now, DueAt: now.Add(r.Within), UpdatedAt: now, Actor: actor}
		tasks = append(tasks, t)
		events = append(events, inc.stamp(ctx, fireline.TimelineEvent{
			Key: "agency:" + string(r.Agency), Kind: fireline.EventAgencyTask, Actor: actor,
			Detail: fmt.Sprintf("%s asked: %s, due within %s", r.Agency, r.Task, r.Within),
			Data:   map[string]any{"agency": r.Agency, "status": fireline.TaskRequested},
		}))
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
