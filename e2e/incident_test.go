package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

// scene is a point in Dongchangfu, Liaocheng's central district, near the old town.
var scene = fireline.Point{Lat: 36.4560, Lng: 115.9850}

// TestIncidentFromAlarmToReview walks one structure fire through the real stack: alarm intake,
// recommendation of the nearest suitable units, dispatch, a second incident that cannot take a
// committed unit, field status updates from the crews, a full process restart in the middle of
// the incident, close, and the after-action review with its intervals.
func TestIncidentFromAlarmToReview(t *testing.T) {
	s := newStack(t)
	s.start()

	op := s.login("operator")

	t.Run("bad alarm is a problem naming the field", func(t *testing.T) {
		code, raw := s.call("POST", "/api/v1/alarms", op, map[string]any{
			"source": "call", "source_id": "e2e-bad", "type": "structure_fire", "lat": 95.0, "lng": scene.Lng,
			"reported_at": time.Now().UTC().Format(time.RFC3339),
		}, nil)
		if code != http.StatusBadRequest || !strings.Contains(string(raw), "lat") {
			t.Fatalf("status %d body %s, want 400 naming lat", code, raw)
		}
	})

	alarm := map[string]any{
		"source": "call", "source_id": "e2e-119-0001", "type": "structure_fire",
		"lat": scene.Lat, "lng": scene.Lng, "address": "Guangyue Tower, Dongchangfu",
		"description": "smoke from a third-floor window", "caller": "Wang, 138 0000 0000",
		"reported_at": time.Now().UTC().Add(-20 * time.Second).Format(time.RFC3339),
	}
	var receipt struct {
		AlarmID        int64                     `json:"alarm_id"`
		IncidentID     int64                     `json:"incident_id"`
		Merged         bool                      `json:"merged"`
		Recommendation []fireline.Recommendation `json:"recommendation"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, alarm, &receipt)
	if receipt.AlarmID == 0 || receipt.IncidentID == 0 || receipt.Merged {
		t.Fatalf("receipt %+v: want new alarm and incident", receipt)
	}
	// The recommendation is made at intake, from the unit index, and comes with the answer.
	if len(receipt.Recommendation) == 0 {
		t.Fatalf("receipt %+v: want the units recommended at intake", receipt)
	}
	id := receipt.IncidentID
	path := fmt.Sprintf("/api/v1/incidents/%d", id)

	t.Run("a repeated alarm returns the same ids", func(t *testing.T) {
		var again struct {
			AlarmID    int64 `json:"alarm_id"`
			IncidentID int64 `json:"incident_id"`
		}
		s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, alarm, &again)
		if again.AlarmID != receipt.AlarmID || again.IncidentID != id {
			t.Fatalf("repeat got %+v, want alarm %d incident %d", again, receipt.AlarmID, id)
		}
	})

	// The incident shows the recommendation at once; its workflow takes it over as the first
	// recommendation, dated when intake made it.
	var inc fireline.Incident
	s.must(http.StatusOK, "GET", path, op, nil, &inc)
	if len(inc.Recommendation) != len(receipt.Recommendation) || inc.Recommendation[0].UnitID != receipt.Recommendation[0].UnitID {
		t.Fatalf("incident recommends %+v right after the alarm, want the receipt's %+v", inc.Recommendation, receipt.Recommendation)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		var tl struct{ Events []fireline.TimelineEvent }
		s.must(http.StatusOK, "GET", path+"/timeline", op, nil, &tl)
		for _, e := range tl.Events {
			if e.Kind == fireline.EventRecommended {
				units, _ := e.Data["units"].([]any)
				if e.Data["at_intake"] != true || len(units) != len(receipt.Recommendation) || units[0] != receipt.Recommendation[0].UnitID {
					t.Fatalf("first recommended event %+v, want the receipt's units taken over from intake", e)
				}
				return true, ""
			}
		}
		return false, "the workflow's recommended event on " + path
	})
	s.must(http.StatusOK, "GET", path, op, nil, &inc)
	if inc.Status != fireline.IncidentAssessing || inc.Cell == "" || inc.Type != fireline.TypeStructureFire {
		t.Fatalf("incident %+v: want a structure fire being assessed, with a cell", inc)
	}

	t.Run("the operator assesses the incident", func(t *testing.T) {
		if code, raw := s.call("POST", path+"/assess", op, map[string]any{"type": "structure_fire", "level": 7, "priority": 2}, nil); code != http.StatusBadRequest || !strings.Contains(string(raw), "level") {
			t.Fatalf("assess at level 7: %d %s, want 400 naming level", code, raw)
		}
		var v struct {
			fireline.Incident
			AssessedBy  string                `json:"assessed_by"`
			AgencyTasks []fireline.AgencyTask `json:"agency_tasks"`
		}
		s.must(http.StatusOK, "POST", path+"/assess", op, map[string]any{"type": "structure_fire", "level": 1, "priority": 2}, &v)
		if v.Status != fireline.IncidentDispatching || v.Priority != 2 || v.AssessedBy != "operator" || len(v.Recommendation) == 0 {
			t.Fatalf("after assessment %+v, want dispatching at priority 2 with a recommendation", v)
		}
		if len(v.AgencyTasks) != 1 || v.AgencyTasks[0].Agency != fireline.AgencyPolice || v.AgencyTasks[0].Status != fireline.TaskRequested {
			t.Errorf("agency tasks %+v, want the police asked for traffic control", v.AgencyTasks)
		}
		inc = v.Incident
	})

	t.Run("water sources and key premises around the scene", func(t *testing.T) {
		var near struct {
			WaterSources []struct {
				ID             string  `json:"id"`
				Status         string  `json:"status"`
				FlowLPM        int     `json:"flow_lpm"`
				DistanceMeters float64 `json:"distance_m"`
			} `json:"water_sources"`
			Premises []struct {
				Name           string   `json:"name"`
				Hazards        []string `json:"hazards"`
				DistanceMeters float64  `json:"distance_m"`
			} `json:"premises"`
		}
		s.must(http.StatusOK, "GET", path+"/nearby", op, nil, &near)
		if len(near.WaterSources) == 0 || len(near.Premises) == 0 {
			t.Fatalf("nearby %+v: want water sources and premises around Guangyue Tower", near)
		}
		for i, w := range near.WaterSources {
			if w.Status != "working" || w.DistanceMeters > 1000 || (i > 0 && w.DistanceMeters < near.WaterSources[i-1].DistanceMeters) {
				t.Errorf("water source %d %+v: want working, within 1 km, nearest first", i, w)
			}
		}
		if !strings.Contains(near.Premises[0].Name, "Guangyue") || len(near.Premises[0].Hazards) == 0 {
			t.Errorf("nearest premises %+v, want Guangyue Tower with its hazards", near.Premises[0])
		}
		if code, raw := s.call("GET", "/api/v1/nearby?lat=north&lng=115.9", op, nil, nil); code != http.StatusBadRequest || !strings.Contains(string(raw), "lat") {
			t.Errorf("nearby with a bad lat: %d %s, want 400 naming lat", code, raw)
		}
	})

	t.Run("recommendation is the nearest available units of each type", func(t *testing.T) {
		var avail struct{ Units []fireline.Unit }
		s.must(http.StatusOK, "GET", "/api/v1/units?status=available", op, nil, &avail)
		checkNearest(t, inc.Recommendation, avail.Units)
	})

	sup := s.login("supervisor")
	var before coverage
	s.must(http.StatusOK, "GET", "/api/v1/coverage", sup, nil, &before)
	if len(before.Cells) < 100 || before.GapCells == len(before.Cells) || before.CoveredShare <= 0 {
		t.Fatalf("coverage of the sample city: %d cells, %d gaps, covered share %v", len(before.Cells), before.GapCells, before.CoveredShare)
	}

	dispatched := make([]string, 0, len(inc.Recommendation))
	for _, r := range inc.Recommendation {
		dispatched = append(dispatched, r.UnitID)
	}
	// The console sends each order with an idempotency key and sends it again with the same
	// key when no answer came: the resend is the same order, answered as the first was, where
	// a new order for the same units is refused.
	key := http.Header{"Idempotency-Key": {"e2e-dispatch-" + fmt.Sprint(id)}}
	if code, raw := s.callWith("POST", path+"/dispatch", op, key, map[string]any{"unit_ids": dispatched}, &inc); code != http.StatusOK {
		t.Fatalf("dispatch: %d %s", code, raw)
	}
	if got := assigned(inc); !sameSet(got, dispatched) {
		t.Fatalf("assigned %v, want %v", got, dispatched)
	}
	first := dispatched[0]
	if code, raw := s.callWith("POST", path+"/dispatch", op, key, map[string]any{"unit_ids": dispatched}, &inc); code != http.StatusOK || !sameSet(assigned(inc), dispatched) {
		t.Fatalf("the same dispatch resent with its key: %d %s, want 200 and the same units", code, raw)
	}
	if code, raw := s.call("POST", path+"/dispatch", op, map[string]any{"unit_ids": dispatched}, nil); code != http.StatusConflict {
		t.Fatalf("a new dispatch of units already on the incident: %d %s, want 409", code, raw)
	}

	t.Run("coverage and move-ups follow units going busy", func(t *testing.T) {
		checkCoverageAndMoveUps(t, s, sup, before, dispatched)
	})

	t.Run("a committed unit cannot go to a second incident", func(t *testing.T) {
		var other struct {
			IncidentID int64 `json:"incident_id"`
		}
		s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
			"source": "call", "source_id": "e2e-119-0002", "type": "vehicle_fire",
			"lat": 36.8570, "lng": 115.7110, "address": "Linqing", "description": "car on fire",
			"reported_at": time.Now().UTC().Format(time.RFC3339),
		}, &other)
		if other.IncidentID == id {
			t.Fatalf("an alarm 45 km away merged into incident %d", id)
		}
		code, raw := s.call("POST", fmt.Sprintf("/api/v1/incidents/%d/dispatch", other.IncidentID), op,
			map[string]any{"unit_ids": []string{first}}, nil)
		if code != http.StatusConflict {
			t.Fatalf("dispatch of committed unit %s: status %d (%s), want 409", first, code, raw)
		}
	})

	t.Run("crews move only their own unit; risk officers read only", func(t *testing.T) {
		crew := s.login("crew-" + dispatched[1])
		code, raw := s.call("POST", "/api/v1/units/"+first+"/status", crew, map[string]string{"status": "acknowledged"}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("crew of %s moving %s: %d %s, want 403", dispatched[1], first, code, raw)
		}
		if code, raw := s.call("GET", path, crew, nil, nil); code != http.StatusOK {
			t.Fatalf("crew of %s reading its own incident: %d %s, want 200", dispatched[1], code, raw)
		}
		if code, raw := s.call("GET", "/api/v1/incidents", crew, nil, nil); code != http.StatusForbidden {
			t.Fatalf("crew listing every incident: %d %s, want 403", code, raw)
		}
		risk := s.login("risk")
		code, raw = s.call("POST", "/api/v1/units/"+first+"/status", risk, map[string]string{"status": "acknowledged"}, nil)
		if code != http.StatusForbidden {
			t.Fatalf("risk officer moving a unit: %d %s, want 403", code, raw)
		}
		code, _ = s.call("GET", path, risk, nil, nil)
		if code != http.StatusOK {
			t.Fatalf("risk officer reading the incident: %d, want 200", code)
		}
	})

	move := func(unit string, st fireline.UnitStatus) {
		t.Helper()
		crew := s.login("crew-" + unit)
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+unit+"/status", crew, map[string]string{"status": string(st)}, nil)
	}
	for _, u := range dispatched {
		move(u, fireline.UnitAcknowledged)
		move(u, fireline.UnitEnRoute)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.EnRouteAt != nil }, "every unit en route")

	// A restart in the middle of the incident: the workflow and its timers live in the embedded
	// Temporal's SQLite file, units and incidents in the embedded PostgreSQL's data directory.
	s.stop()
	s.start()
	op = s.login("operator")
	s.must(http.StatusOK, "GET", path, op, nil, &inc)
	if inc.Status != fireline.IncidentActive && inc.Status != fireline.IncidentDispatching {
		t.Fatalf("after restart incident status %s, want it still open", inc.Status)
	}

	time.Sleep(1100 * time.Millisecond) // make travel time visibly non-zero in the review
	for _, u := range dispatched {
		move(u, fireline.UnitOnScene)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.OnSceneAt != nil }, "every unit on scene after the restart")
	for _, u := range dispatched {
		move(u, fireline.UnitAvailable)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.ClearedAt != nil }, "every unit cleared")

	t.Run("the travel-time model learns each drive as its unit clears", func(t *testing.T) {
		// The crews reported no AVL, so each drive starts at its station, and the test's seconds
		// between en route and on scene make them implausibly fast: the model must see every
		// drive and reject it rather than learn from it.
		var st struct {
			Model                              string
			Trips, Learned, TooShort, Rejected int
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			s.must(http.StatusOK, "GET", "/api/v1/travel-model", op, nil, &st)
			return st.Trips == len(dispatched), fmt.Sprintf("%d trips seen by the model, want %d: %+v", st.Trips, len(dispatched), st)
		})
		if st.Model != "learned-v1" || st.Learned+st.TooShort+st.Rejected != st.Trips || st.Rejected == 0 {
			t.Errorf("model stats %+v: want every trip counted, the impossible ones rejected", st)
		}
	})

	s.must(http.StatusOK, "POST", path+"/close", op, map[string]string{"reason": "fire out, overhaul done"}, nil)
	eventually(t, 30*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return inc.Status == fireline.IncidentReviewed, "incident reviewed, now " + string(inc.Status)
	})

	var review fireline.Review
	s.must(http.StatusOK, "GET", path+"/review", op, nil, &review)
	if review.CallProcessingSeconds == nil || *review.CallProcessingSeconds <= 0 {
		t.Errorf("review call_processing_s = %v, want > 0 (alarm reported 20 s before intake)", review.CallProcessingSeconds)
	}
	if len(review.Units) != len(dispatched) {
		t.Fatalf("review has %d units, want %d: %+v", len(review.Units), len(dispatched), review)
	}
	for _, u := range review.Units {
		if u.TurnoutSeconds == nil || u.TravelSeconds == nil || *u.TurnoutSeconds < 0 || *u.TravelSeconds < 1 {
			t.Errorf("review of %s: turnout %v travel %v, want both set and travel >= 1 s", u.UnitID, u.TurnoutSeconds, u.TravelSeconds)
		}
	}

	t.Run("timeline records every step", func(t *testing.T) {
		var tl struct{ Events []fireline.TimelineEvent }
		s.must(http.StatusOK, "GET", path+"/timeline", op, nil, &tl)
		kinds := map[string]int{}
		for _, e := range tl.Events {
			kinds[e.Kind]++
		}
		for _, k := range []string{fireline.EventAlarmReceived, fireline.EventRecommended, fireline.EventDispatched,
			fireline.EventUnitStatus, fireline.EventStatusChanged, fireline.EventClosed, fireline.EventReviewed} {
			if kinds[k] == 0 {
				t.Errorf("timeline has no %q event; kinds %v", k, kinds)
			}
		}
		if kinds[fireline.EventUnitStatus] < 4*len(dispatched) {
			t.Errorf("timeline has %d unit status events, want %d", kinds[fireline.EventUnitStatus], 4*len(dispatched))
		}
		if !sort.SliceIsSorted(tl.Events, func(i, j int) bool { return tl.Events[i].At.Before(tl.Events[j].At) }) {
			t.Errorf("timeline not in time order")
		}
	})

	t.Run("units are available again", func(t *testing.T) {
		for _, u := range dispatched {
			var unit fireline.Unit
			s.must(http.StatusOK, "GET", "/api/v1/units/"+u, op, nil, &unit)
			if unit.Status != fireline.UnitAvailable || unit.IncidentID != 0 {
				t.Errorf("unit %s: %s on incident %d, want available and free", u, unit.Status, unit.IncidentID)
			}
		}
	})

	t.Run("temporal clients see the incident workflow", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
		if err != nil {
			t.Fatalf("dial temporal: %v", err)
		}
		defer c.Close()
		// The workflow completes just after its review is written, which the read model shows.
		eventually(t, 20*time.Second, func() (bool, string) {
			desc, err := c.DescribeWorkflowExecution(ctx, fireline.WorkflowID(id), "")
			if err != nil {
				return false, fmt.Sprintf("describe %s: %v", fireline.WorkflowID(id), err)
			}
			info := desc.GetWorkflowExecutionInfo()
			return info.GetType().GetName() == "Incident" && info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED,
				fmt.Sprintf("workflow %s: type %s status %s, want a completed Incident", fireline.WorkflowID(id), info.GetType().GetName(), info.GetStatus())
		})
		// The Temporal UI filters incidents by their search attributes.
		query := fmt.Sprintf("FirelineType = 'structure_fire' AND FirelineStatus = 'reviewed' AND FirelineLevel = 1 AND FirelineCell = '%s'", inc.Cell)
		eventually(t, 20*time.Second, func() (bool, string) {
			list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
			if err != nil {
				return false, "list workflows: " + err.Error()
			}
			for _, e := range list.GetExecutions() {
				if e.GetExecution().GetWorkflowId() == fireline.WorkflowID(id) {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%s not found by %q", fireline.WorkflowID(id), query)
		})
		if dir := os.Getenv("FIRELINE_RECORD_HISTORY"); dir != "" {
			recordHistory(ctx, t, c, fireline.WorkflowID(id), dir)
		}
	})

	t.Run("temporal web ui answers", func(t *testing.T) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", s.uiPor))
		if err != nil {
			t.Fatalf("temporal ui: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "<html") {
			t.Fatalf("temporal ui: status %d, body starts %.80q", resp.StatusCode, body)
		}
	})
}

// checkNearest verifies that for every unit type in the recommendation, the recommended units are
// exactly the nearest available ones of that type, by an independent great-circle computation.
func checkNearest(t *testing.T, recs []fireline.Recommendation, avail []fireline.Unit) {
	t.Helper()
	byType := map[fireline.UnitType][]string{}
	for i, r := range recs {
		if i > 0 && r.ETASeconds < recs[i-1].ETASeconds {
			t.Errorf("recommendation not best first: %s (%.0f s) after %s (%.0f s)", r.UnitID, r.ETASeconds, recs[i-1].UnitID, recs[i-1].ETASeconds)
		}
		if r.ETASeconds <= 0 || r.DistanceMeters <= 0 || r.Model == "" {
			t.Errorf("recommendation %+v: want positive eta, distance and a model", r)
		}
		byType[r.Type] = append(byType[r.Type], r.UnitID)
	}
	if len(byType[fireline.UnitEngine]) == 0 {
		t.Errorf("a structure fire recommendation without an engine: %+v", recs)
	}
	for typ, got := range byType {
		var cands []fireline.Unit
		for _, u := range avail {
			if u.Type == typ {
				cands = append(cands, u)
			}
		}
		slices.SortFunc(cands, func(a, b fireline.Unit) int {
			da, db := haversine(scene, a.Point), haversine(scene, b.Point)
			if da < db {
				return -1
			}
			if da > db {
				return 1
			}
			return strings.Compare(a.ID, b.ID)
		})
		if len(cands) < len(got) {
			t.Fatalf("%d %s recommended, only %d available", len(got), typ, len(cands))
		}
		// Units sharing a station are equally near: compare distances, not ids.
		for i, id := range got {
			want := cands[i]
			var rec fireline.Unit
			for _, u := range avail {
				if u.ID == id {
					rec = u
				}
			}
			if rec.ID == "" {
				t.Fatalf("recommended %s is not an available unit", id)
			}
			if d1, d2 := haversine(scene, rec.Point), haversine(scene, want.Point); math.Abs(d1-d2) > 1 {
				t.Errorf("%s #%d: recommended %s at %.0f m, but %s is at %.0f m", typ, i+1, id, d1, want.ID, d2)
			}
		}
	}
}

func haversine(a, b fireline.Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat, dlng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func assigned(inc fireline.Incident) []string {
	ids := make([]string, 0, len(inc.Assignments))
	for _, a := range inc.Assignments {
		ids = append(ids, a.UnitID)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// waitAssignments waits until every assignment of the incident satisfies cond: unit status
// signals are processed by the workflow asynchronously.
func waitAssignments(t *testing.T, s *stack, token, path string, cond func(fireline.Assignment) bool, what string) {
	t.Helper()
	eventually(t, 30*time.Second, func() (bool, string) {
		var inc fireline.Incident
		s.must(http.StatusOK, "GET", path, token, nil, &inc)
		if len(inc.Assignments) == 0 {
			return false, what + ": no assignments"
		}
		for _, a := range inc.Assignments {
			if !cond(a) {
				return false, fmt.Sprintf("%s: %s is %s", what, a.UnitID, a.Status)
			}
		}
		return true, ""
	})
}

// recordHistory writes the workflow's full history as JSON into dir, for the workflows package's
// replay test: the recorded incident must replay against every later version of the code.
func recordHistory(ctx context.Context, t *testing.T, c client.Client, workflowID, dir string) {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatalf("encode history: %v", err)
	}
	name := filepath.Join(dir, "incident-"+time.Now().UTC().Format("20060102-150405")+".json")
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatalf("write history: %v", err)
	}
	t.Logf("recorded %d history events of %s in %s", len(h.Events), workflowID, name)
}

// coverage is the part of GET /api/v1/coverage the tests read.
type coverage struct {
	Cells []struct {
		Cell    string  `json:"cell"`
		Seconds float64 `json:"seconds"`
		UnitID  string  `json:"unit_id"`
		Gap     bool    `json:"gap"`
	} `json:"cells"`
	GapCells     int     `json:"gap_cells"`
	GapWeight    float64 `json:"gap_weight"`
	CoveredShare float64 `json:"covered_share"`
}

// checkCoverageAndMoveUps: once units are dispatched, no cell is covered by them any more and the
// gaps grow; a station left without an engine gets a move-up suggestion, and accepting it
// delivers the coverage it promised.
func checkCoverageAndMoveUps(t *testing.T, s *stack, token string, before coverage, dispatched []string) {
	busy := map[string]bool{}
	for _, u := range dispatched {
		busy[u] = true
	}
	coveredByBusy := 0
	for _, c := range before.Cells {
		if busy[c.UnitID] {
			coveredByBusy++
		}
	}
	if coveredByBusy == 0 {
		t.Fatalf("no cell was covered by the dispatched units %v: the test scene should be in their area", dispatched)
	}
	var after coverage
	eventually(t, 20*time.Second, func() (bool, string) {
		after = coverage{}
		s.must(http.StatusOK, "GET", "/api/v1/coverage", token, nil, &after)
		for _, c := range after.Cells {
			if busy[c.UnitID] {
				return false, "cell " + c.Cell + " still covered by dispatched unit " + c.UnitID
			}
		}
		return true, ""
	})
	if after.GapWeight < before.GapWeight || after.GapCells < before.GapCells {
		t.Errorf("gaps shrank when units went busy: %d cells (weight %.0f) → %d (%.0f)", before.GapCells, before.GapWeight,
			after.GapCells, after.GapWeight)
	}
	t.Logf("%d cells covered by the dispatched units; gaps %d → %d cells, people %.0f → %.0f", coveredByBusy,
		before.GapCells, after.GapCells, before.GapWeight, after.GapWeight)

	// Which stations have no available engine left?
	var units struct{ Units []fireline.Unit }
	s.must(http.StatusOK, "GET", "/api/v1/units", token, nil, &units)
	engines, free := map[string]int{}, map[string]int{}
	for _, u := range units.Units {
		if u.Type == fireline.UnitEngine {
			engines[u.StationID]++
			if u.Status == fireline.UnitAvailable {
				free[u.StationID]++
			}
		}
	}
	var emptied []string
	for st, n := range engines {
		if n > 0 && free[st] == 0 {
			emptied = append(emptied, st)
		}
	}
	if len(emptied) == 0 {
		t.Fatalf("no station lost all its engines to the dispatch of %v", dispatched)
	}
	type moveUp struct {
		UnitID         string  `json:"unit_id"`
		ToStationID    string  `json:"to_station_id"`
		GapCellsBefore int     `json:"gap_cells_before"`
		GapCellsAfter  int     `json:"gap_cells_after"`
		GapWeightAfter float64 `json:"gap_weight_after"`
		Reason         string  `json:"reason"`
		Decision       string  `json:"decision"`
	}
	var board struct {
		Suggestions []moveUp `json:"suggestions"`
		Recent      []moveUp `json:"recent"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/move-ups", token, nil, &board)
	if len(board.Suggestions) == 0 {
		t.Fatalf("stations %v have no engine, yet no move-up is suggested", emptied)
	}
	m := board.Suggestions[0]
	if !slices.Contains(emptied, m.ToStationID) || busy[m.UnitID] || m.GapCellsAfter >= m.GapCellsBefore {
		t.Fatalf("suggestion %+v: want an available engine to one of %v, closing gaps", m, emptied)
	}
	t.Logf("move-up: %s", m.Reason)

	var accepted struct {
		MoveUp moveUp        `json:"move_up"`
		Unit   fireline.Unit `json:"unit"`
	}
	s.must(http.StatusCreated, "POST", "/api/v1/move-ups", token, map[string]string{"unit_id": m.UnitID, "station_id": m.ToStationID}, &accepted)
	if accepted.MoveUp.Decision != "accepted" || accepted.Unit.PostStationID != m.ToStationID {
		t.Fatalf("accepted %+v", accepted)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		var now coverage
		s.must(http.StatusOK, "GET", "/api/v1/coverage", token, nil, &now)
		return now.GapCells == m.GapCellsAfter && math.Abs(now.GapWeight-m.GapWeightAfter) < 1e-6*m.GapWeightAfter,
			fmt.Sprintf("coverage after the move-up: %d gap cells (%.0f people), promised %d (%.0f)", now.GapCells, now.GapWeight,
				m.GapCellsAfter, m.GapWeightAfter)
	})
	s.must(http.StatusOK, "GET", "/api/v1/move-ups", token, nil, &board)
	if len(board.Recent) == 0 || board.Recent[0].UnitID != m.UnitID || board.Recent[0].Decision != "accepted" {
		t.Errorf("recent decisions %+v, want the accepted move-up first", board.Recent)
	}
	for _, other := range board.Suggestions {
		if other.UnitID == m.UnitID || other.ToStationID == m.ToStationID {
			t.Errorf("still suggested after it was carried out: %+v", other)
		}
	}
}
