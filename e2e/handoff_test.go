package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// alarmStartsBySystem: an API node cut off from Temporal takes an alarm, stores it and
// acknowledges it with its hand-off pending; the dev stack's worker node, which reaches
// Temporal, finds the alarm awaiting its hand-off and starts its incident within seconds,
// with no retry from the source. Run with node already cut off.
func alarmStartsBySystem(t *testing.T, s, node *stack, op string) {
	t.Helper()
	var rc struct {
		AlarmID    int64  `json:"alarm_id"`
		IncidentID int64  `json:"incident_id"`
		Handoff    string `json:"handoff"`
	}
	began := time.Now()
	node.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
		"source": "call", "source_id": "e2e-handoff", "type": "structure_fire", "lat": 36.4700, "lng": 115.9950,
		"reported_at": time.Now().UTC().Format(time.RFC3339),
	}, &rc)
	if rc.IncidentID == 0 || rc.Handoff != fireline.HandoffPending {
		t.Fatalf("alarm taken with Temporal cut off: %+v, want an incident and handoff %q", rc, fireline.HandoffPending)
	}
	t.Logf("alarm %d acknowledged in %s with its hand-off pending", rc.AlarmID, time.Since(began).Round(time.Millisecond))

	path := fmt.Sprintf("/api/v1/incidents/%d/timeline", rc.IncidentID)
	eventually(t, 30*time.Second, func() (bool, string) {
		var tl struct{ Events []fireline.TimelineEvent }
		s.must(http.StatusOK, "GET", path, op, nil, &tl)
		for _, e := range tl.Events {
			if e.Kind == fireline.EventRecommended {
				return true, ""
			}
		}
		return false, fmt.Sprintf("incident %d's workflow started by the worker's starter (a recommendation on its timeline)", rc.IncidentID)
	})
	t.Logf("incident %d recommended %s after its alarm, started by the worker's starter", rc.IncidentID, time.Since(began).Round(time.Millisecond))
}
