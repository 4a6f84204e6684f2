package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

// TestLiveIncidentInAnalytics drives one live incident through the real stack, from the alarm to
// its review, and finds exactly its review's figures in the interval analytics of its day:
// the review and the analytics measure by one definition.
func TestLiveIncidentInAnalytics(t *testing.T) {
	s := newStack(t)
	s.start()
	op := s.login("operator")

	var receipt struct {
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
		"source": "call", "source_id": "e2e-analytics-1", "type": "structure_fire",
		"lat": scene.Lat, "lng": scene.Lng, "address": "Guangyue Tower, Dongchangfu", "description": "smoke",
		"reported_at": time.Now().UTC().Add(-10 * time.Second).Format(time.RFC3339),
	}, &receipt)
	path := fmt.Sprintf("/api/v1/incidents/%d", receipt.IncidentID)
	var inc fireline.Incident
	eventually(t, 30*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return len(inc.Recommendation) > 0, "a recommendation"
	})
	var units []string
	for _, r := range inc.Recommendation {
		units = append(units, r.UnitID)
	}
	s.must(http.StatusOK, "POST", path+"/dispatch", op, map[string]any{"unit_ids": units}, &inc)
	move := func(unit string, st fireline.UnitStatus) {
		t.Helper()
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+unit+"/status", s.login("crew-"+unit), map[string]string{"status": string(st)}, nil)
	}
	for i, u := range units {
		move(u, fireline.UnitAcknowledged)
		move(u, fireline.UnitEnRoute)
		time.Sleep(time.Duration(100*(i+1)) * time.Millisecond) // travel times that differ
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.EnRouteAt != nil }, "every unit en route")
	for _, u := range units {
		move(u, fireline.UnitOnScene)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.OnSceneAt != nil }, "every unit on scene")
	for _, u := range units {
		move(u, fireline.UnitAvailable)
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.ClearedAt != nil }, "every unit cleared")
	s.must(http.StatusOK, "POST", path+"/close", op, map[string]string{"reason": "fire out"}, nil)
	eventually(t, 30*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return inc.Status == fireline.IncidentReviewed, "incident reviewed, now " + string(inc.Status)
	})
	var review fireline.Review
	s.must(http.StatusOK, "GET", path+"/review", op, nil, &review)
	if review.CallProcessingSeconds == nil || review.FirstArrivalSeconds == nil || len(review.Units) != len(units) {
		t.Fatalf("review %+v: want call processing, first arrival and %d units", review, len(units))
	}

	// The incident's day in the centre's zone (fireline dev keeps the default).
	zone, err := time.LoadLocation(fireline.DefaultCentreTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	day := inc.CreatedAt.In(zone).Format(time.DateOnly)
	risk := s.login("risk")
	var rep fireline.IntervalReport
	s.must(http.StatusOK, "GET", "/api/v1/analytics/intervals?origin=live&from="+day+"&to="+day, risk, nil, &rep)
	if rep.Incidents != 1 || rep.Live != 1 || rep.Imported != 0 {
		t.Fatalf("analytics of %s: %d incidents (%d live), want exactly the one driven", day, rep.Incidents, rep.Live)
	}
	one := func(name string, st fireline.IntervalStats, want float64) {
		t.Helper()
		if st.N != 1 || st.Missing != 0 || st.Negative != 0 || *st.P50 != want || *st.P90 != want {
			t.Errorf("%s: %+v, want the review's %v exactly", name, st, want)
		}
	}
	one("call processing", rep.CallProcessing, *review.CallProcessingSeconds)
	one("alarm to first on scene", rep.AlarmToFirstOnScene, *review.FirstArrivalSeconds)
	var turnouts, travels []float64
	for _, u := range review.Units {
		turnouts = append(turnouts, *u.TurnoutSeconds)
		travels = append(travels, *u.TravelSeconds)
	}
	many := func(name string, st fireline.IntervalStats, values []float64) {
		t.Helper()
		slices.Sort(values)
		p50, _ := fireline.Percentile(values, 50)
		p90, _ := fireline.Percentile(values, 90)
		if st.N != len(values) || st.Missing != 0 || st.Negative != 0 || *st.P50 != p50 || *st.P90 != p90 {
			t.Errorf("%s: n %d p50 %v p90 %v, want the review's %v: n %d p50 %v p90 %v", name, st.N, *st.P50, *st.P90, values, len(values), p50, p90)
		}
	}
	many("turnout", rep.Turnout, turnouts)
	many("travel", rep.Travel, travels)

	t.Run("the CSV report and the refusals", func(t *testing.T) {
		raw := s.must(http.StatusOK, "GET", "/api/v1/analytics/intervals?format=csv&origin=live&from="+day+"&to="+day, risk, nil, nil)
		if !strings.Contains(string(raw), "count,incidents,1,") {
			t.Errorf("CSV report %s, want one incident counted", raw)
		}
		if code, raw := s.call("GET", "/api/v1/analytics/intervals?from="+day+"&to=2000-01-01", risk, nil, nil); code != http.StatusBadRequest {
			t.Errorf("from after to: %d %s, want 400", code, raw)
		}
		if code, _ := s.call("GET", "/api/v1/analytics/intervals?from="+day+"&to="+day, op, nil, nil); code != http.StatusForbidden {
			t.Errorf("an operator reading the analytics: %d, want 403", code)
		}
	})

	t.Run("the command line answers the same", func(t *testing.T) {
		log, err := os.ReadFile(s.logPath)
		if err != nil {
			t.Fatal(err)
		}
		m := pgPort.FindSubmatch(log)
		if m == nil {
			t.Fatalf("no PostgreSQL port in the stack's log")
		}
		run := func(args ...string) []byte {
			t.Helper()
			cmd := exec.Command(binary(t), append([]string{"analytics", "intervals", "--from", day, "--to", day, "--origin", "live"}, args...)...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("DATABASE_URL=postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", m[1]))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("fireline analytics intervals %v: %v\n%s", args, err, out)
			}
			return out
		}
		var cli fireline.IntervalReport
		if err := json.Unmarshal(run("--json"), &cli); err != nil {
			t.Fatal(err)
		}
		if cli.Incidents != 1 || *cli.CallProcessing.P50 != *review.CallProcessingSeconds || *cli.Travel.P90 != *rep.Travel.P90 {
			t.Errorf("the command's report %+v differs from the API's %+v", cli, rep)
		}
		table := string(run())
		if !strings.Contains(table, "call processing") || !strings.Contains(table, "travel_first_engine") {
			t.Errorf("table:\n%s", table)
		}
		t.Logf("fireline analytics intervals --from %s --to %s --origin live:\n%s", day, day, table)
	})

	t.Run("the review workspace shows the analytics", func(t *testing.T) {
		script := browserScript(t, "analytics.test.mjs")
		runScript(t, s, script, artifactsDir(t), 3*time.Minute, map[string]string{"FIRELINE_DAY": day})
	})

	if dir := os.Getenv("FIRELINE_RECORD_HISTORY"); dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
		if err != nil {
			t.Fatalf("dial temporal: %v", err)
		}
		defer c.Close()
		eventually(t, 20*time.Second, func() (bool, string) {
			desc, err := c.DescribeWorkflowExecution(ctx, fireline.WorkflowID(receipt.IncidentID), "")
			if err != nil {
				return false, err.Error()
			}
			st := desc.GetWorkflowExecutionInfo().GetStatus()
			return st == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, fmt.Sprintf("workflow completed, is %s", st)
		})
		recordHistory(ctx, t, c, fireline.WorkflowID(receipt.IncidentID), dir)
	}
}
