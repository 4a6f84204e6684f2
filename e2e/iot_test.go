package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

// panelDevice is the fire-alarm panel of the Lakeside High-Rise Residences (P-DCF-09), a key
// premises whose pre-plan sends a level-2 high-rise response to its panel's alarms.
const panelDevice = "FAP-DCF-09-1"

// TestPanelAlarmFromReceiptToReview drives an IoT fire-alarm panel's alarm at a key premises
// through the real stack: the gateway posts it; the pre-plan assesses it at once; the joint-agency
// tasks of a level-2 high-rise fire are asked; the operator dispatches; a silent crew's
// acknowledgement lapses and reaches the supervisors' queue, where a supervisor takes it; the
// agencies report; the panel's reset after dispatch is recorded without stopping anyone; the
// incident comes under control, closes and is reviewed, and its timeline holds every step.
func TestPanelAlarmFromReceiptToReview(t *testing.T) {
	s := newStack(t)
	// A short acknowledgement timer, so the lapse comes within seconds.
	s.flags = []string{"--ack-timeout", "4s"}
	s.start()

	gw, op, sup := s.login("gateway"), s.login("operator"), s.login("supervisor")
	var receipt struct {
		AlarmID    int64 `json:"alarm_id"`
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms/iot", gw, map[string]any{
		"event_id": "evt-1", "device_id": panelDevice, "kind": "fire_alarm",
		"building": "Tower 3", "floor": "17", "zone": "17-east corridor smoke detector",
		"time": time.Now().UTC().Add(-5 * time.Second).Format(time.RFC3339),
	}, &receipt)
	if receipt.IncidentID == 0 {
		t.Fatalf("receipt %+v: a panel's fire alarm opens an incident", receipt)
	}
	id := receipt.IncidentID
	path := fmt.Sprintf("/api/v1/incidents/%d", id)

	type view struct {
		fireline.Incident
		AssessedBy  string                `json:"assessed_by"`
		AgencyTasks []fireline.AgencyTask `json:"agency_tasks"`
		Escalations []fireline.Escalation `json:"escalations"`
	}
	var v view
	eventually(t, 30*time.Second, func() (bool, string) {
		v = view{}
		s.must(http.StatusOK, "GET", path, op, nil, &v)
		return v.Status == fireline.IncidentDispatching && len(v.Recommendation) > 0, "incident assessed and recommended, now " + string(v.Status)
	})
	if v.Type != fireline.TypeHighRiseFire || v.Level != 2 || v.Priority != fireline.PriorityImmediate || v.AssessedBy != "pre-plan" {
		t.Fatalf("incident %+v: want a level-2 high-rise fire assessed at once by the pre-plan", v)
	}
	var agencies []fireline.Agency
	for _, a := range v.AgencyTasks {
		agencies = append(agencies, a.Agency)
	}
	for _, want := range []fireline.Agency{fireline.AgencyPolice, fireline.AgencyEMS, fireline.AgencyPower, fireline.AgencyGas} {
		if !slices.Contains(agencies, want) {
			t.Errorf("agencies asked %v, want %s for a level-2 fire", agencies, want)
		}
	}

	dispatched := make([]string, 0, len(v.Recommendation))
	for _, r := range v.Recommendation {
		dispatched = append(dispatched, r.UnitID)
	}
	s.must(http.StatusOK, "POST", path+"/dispatch", op, map[string]any{"unit_ids": dispatched}, nil)
	silent := dispatched[len(dispatched)-1]
	move := func(unit string, st fireline.UnitStatus) {
		t.Helper()
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+unit+"/status", s.login("crew-"+unit), map[string]string{"status": string(st)}, nil)
	}
	for _, u := range dispatched[:len(dispatched)-1] {
		move(u, fireline.UnitAcknowledged)
		move(u, fireline.UnitEnRoute)
	}

	t.Run("a silent crew reaches the supervisors' queue", func(t *testing.T) {
		var queue struct{ Escalations []fireline.Escalation }
		var mine fireline.Escalation
		eventually(t, 30*time.Second, func() (bool, string) {
			queue.Escalations = nil
			s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/escalations?incident=%d", id), sup, nil, &queue)
			for _, e := range queue.Escalations {
				if e.Timer == fireline.TimerAcknowledge && e.UnitID == silent {
					mine = e
					return true, ""
				}
			}
			return false, fmt.Sprintf("no acknowledgement escalation for %s yet: %+v", silent, queue.Escalations)
		})
		if code, _ := s.call("POST", fmt.Sprintf("/api/v1/escalations/%d/ack", mine.ID), op, nil, nil); code != http.StatusForbidden {
			t.Errorf("an operator took an escalation: %d, want 403", code)
		}
		var taken fireline.Escalation
		s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/escalations/%d/ack", mine.ID), sup, nil, &taken)
		if taken.AckedBy != "supervisor" || taken.AckedAt == nil {
			t.Errorf("taken %+v", taken)
		}
	})
	move(silent, fireline.UnitAcknowledged)
	move(silent, fireline.UnitEnRoute)

	t.Run("the agencies report", func(t *testing.T) {
		var task fireline.AgencyTask
		s.must(http.StatusOK, "POST", path+"/agency-tasks/police", op, map[string]string{"status": "acknowledged"}, &task)
		s.must(http.StatusOK, "POST", path+"/agency-tasks/police", op, map[string]string{"status": "done", "note": "Lakeside Road closed at both ends"}, &task)
		if task.Status != fireline.TaskDone || task.Note == "" {
			t.Errorf("police task %+v", task)
		}
		if code, raw := s.call("POST", path+"/agency-tasks/police", op, map[string]string{"status": "acknowledged"}, nil); code != http.StatusConflict {
			t.Errorf("a done task acknowledged again: %d %s, want 409", code, raw)
		}
		s.must(http.StatusOK, "POST", path+"/agency-tasks/ems", op, map[string]string{"status": "done"}, nil)
	})

	t.Run("the panel's reset after dispatch stops nobody", func(t *testing.T) {
		var reset struct {
			RecordedOnly      bool  `json:"recorded_only"`
			RelatedIncidentID int64 `json:"related_incident_id"`
		}
		s.must(http.StatusAccepted, "POST", "/api/v1/alarms/iot", gw, map[string]any{
			"event_id": "evt-2", "device_id": panelDevice, "kind": "reset", "time": time.Now().UTC().Format(time.RFC3339),
		}, &reset)
		if !reset.RecordedOnly || reset.RelatedIncidentID != id {
			t.Fatalf("reset answered %+v, want recorded against incident %d", reset, id)
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			var tl struct{ Events []fireline.TimelineEvent }
			s.must(http.StatusOK, "GET", path+"/timeline", op, nil, &tl)
			for _, e := range tl.Events {
				if e.Kind == fireline.EventPanelEvent && strings.Contains(e.Detail, "units continue") {
					return true, ""
				}
			}
			return false, "no panel event on the timeline"
		})
		var inc view
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		if !inc.Status.Open() {
			t.Errorf("the reset ended the incident: %s", inc.Status)
		}
	})

	for _, u := range dispatched {
		move(u, fireline.UnitOnScene)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.OnSceneAt != nil }, "every unit on scene")
	s.must(http.StatusOK, "POST", path+"/controlled", op, nil, nil)
	s.must(http.StatusOK, "POST", path+"/close", op, map[string]string{"reason": "fire out on the 17th floor"}, nil)
	eventually(t, 30*time.Second, func() (bool, string) {
		var inc fireline.Incident
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return inc.Status == fireline.IncidentReviewed, "incident reviewed, now " + string(inc.Status)
	})

	var review fireline.Review
	s.must(http.StatusOK, "GET", path+"/review", op, nil, &review)
	if review.Outcome != fireline.IncidentClosed || review.AssessmentSeconds == nil || review.FirstArrivalSeconds == nil ||
		review.CallProcessingSeconds == nil || review.Escalations < 1 {
		t.Errorf("review %+v: want assessment, call processing and first-arrival intervals and the escalation", review)
	}

	var tl struct{ Events []fireline.TimelineEvent }
	s.must(http.StatusOK, "GET", path+"/timeline", op, nil, &tl)
	kinds := map[string]int{}
	for _, e := range tl.Events {
		kinds[e.Kind]++
	}
	for _, k := range []string{fireline.EventAlarmReceived, fireline.EventAssessed, fireline.EventRecommended, fireline.EventAgencyTask,
		fireline.EventDispatched, fireline.EventEscalation, fireline.EventReplacement, fireline.EventPanelEvent, fireline.EventUnitStatus,
		fireline.EventStatusChanged, fireline.EventClosed, fireline.EventReviewed} {
		if kinds[k] == 0 {
			t.Errorf("timeline has no %q event; kinds %v", k, kinds)
		}
	}
	if kinds[fireline.EventEscalation] < 2 { // raised, then taken
		t.Errorf("timeline has %d escalation events, want the lapse and its taking", kinds[fireline.EventEscalation])
	}

	if dir := os.Getenv("FIRELINE_RECORD_HISTORY"); dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
		if err != nil {
			t.Fatalf("dial temporal: %v", err)
		}
		defer c.Close()
		recordHistory(ctx, t, c, fireline.WorkflowID(id), dir)
	}
}
