package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
)

// The timeline: events the activities write to the incident's record, and the after-action
// review computed from the workflow's own record.

// record appends e to the incident's timeline, for a step that no other activity writes along
// with its own change.
func (inc *incident) record(ctx workflow.Context, e fireline.TimelineEvent) error {
	e = inc.stamp(ctx, e)
	if err := inc.short(ctx, acts.AppendEvent, e).Get(ctx, nil); err != nil {
		return fmt.Errorf("append %s: %w", e.Key, err)
	}
	return nil
}

// stamp makes e this incident's and dates it now, unless it already says when it happened: a
// crew's report counts from when Fireline received it, not from when the workflow applied it.
func (inc *incident) stamp(ctx workflow.Context, e fireline.TimelineEvent) fireline.TimelineEvent {
	e.IncidentID = inc.st.IncidentID
	if e.At.IsZero() {
		e.At = workflow.Now(ctx)
	}
	return e
}

// review computes the response-time intervals from the workflow's own record. shared measures
// them by the one definition the analytics use (fireline.ResponseIntervals); without it, as
// incidents reviewed before it were.
func (inc *incident) review(now time.Time, shared bool) fireline.Review {
	received := inc.in.Alarm.ReceivedAt
	r := fireline.Review{Escalations: inc.st.Escalations, ReviewedAt: now, Units: []fireline.UnitReview{},
		Outcome: inc.st.Outcome, Reason: inc.st.Reason}
	if inc.st.AssessedAt != nil {
		r.AssessmentSeconds = seconds(received, inc.st.AssessedAt)
	}
	if shared {
		times := fireline.IncidentTimes{Received: received}
		for _, a := range inc.st.Assignments {
			times.Units = append(times.Units, fireline.UnitTimes{UnitID: a.UnitID, Type: a.Type,
				Dispatched: &a.DispatchedAt, EnRoute: a.EnRouteAt, OnScene: a.OnSceneAt})
		}
		iv := fireline.ResponseIntervals(times, 0)
		r.CallProcessingSeconds, r.FirstArrivalSeconds = iv.CallProcessing, iv.AlarmToFirstOnScene
		for i, u := range iv.Units {
			r.Units = append(r.Units, fireline.UnitReview{UnitID: times.Units[i].UnitID, TurnoutSeconds: u.Turnout, TravelSeconds: u.Travel})
		}
		return r
	}
	if inc.st.FirstDispatchAt != nil {
		r.CallProcessingSeconds = seconds(received, inc.st.FirstDispatchAt)
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
