package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// What the field reports as Signals: further alarms and panel events, the crews' unit statuses,
// and incidents merged into this one. A signal cannot be refused, so a report that does not fit
// is logged and dropped rather than failing the workflow.

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
		_ = inc.record(ctx, fireline.TimelineEvent{
			Key: key, Kind: fireline.EventPanelEvent, Actor: string(a.Source),
			Detail: fmt.Sprintf("panel %s reset before any unit was dispatched", a.DeviceID),
			Data:   map[string]any{"alarm_id": a.ID, "kind": a.Kind},
		})
		if _, err := inc.end(ctx, fireline.IncidentCancelled, string(a.Source), "the fire-alarm panel was reset before dispatch"); err != nil {
			inc.log.Error("cancel on panel reset", "error", err)
		}
		return
	}
	detail := fmt.Sprintf("panel %s: %s", a.DeviceID, a.Kind)
	if a.Kind == fireline.KindReset {
		detail = fmt.Sprintf("panel %s reset after dispatch: the units continue", a.DeviceID)
	}
	_ = inc.record(ctx, fireline.TimelineEvent{
		Key: key, Kind: fireline.EventPanelEvent, Actor: string(a.Source), Detail: detail,
		Data: map[string]any{"alarm_id": a.ID, "kind": a.Kind},
	})
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
		inc.log.Warn("unit status not applied", "unit", sig.UnitID, "status", sig.Status, "error", err)
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
		Event: inc.stamp(ctx, fireline.TimelineEvent{
			Key: key, At: at, Kind: fireline.EventUnitStatus, Actor: sig.Actor, UnitID: sig.UnitID,
			Detail: fmt.Sprintf("%s %s", sig.UnitID, sig.Status),
			Data:   map[string]any{"unit": sig.UnitID, "status": sig.Status},
		}),
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
				inc.log.Error("status after merge", "error", err)
			}
		}
	}
}
