package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline"
)

// The timeline: events the activities write to the incident's record, and the after-action
// review computed from the workflow's own record.

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
