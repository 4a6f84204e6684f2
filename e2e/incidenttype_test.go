package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

// TestAdminAddsIncidentTypeWithRunCard walks an incident type an administrator adds through the
// real stack: the type gas_leak (燃气泄漏) does not exist, so its alarm is refused; the
// administrator adds it with a level-1 run card; every signed-in page reads its names; its alarm
// opens an incident recommended the card's units; then the administrator renames the type,
// changes its card and retires it, and the running incident goes on with the card it started
// with while a new alarm of the retired type is refused.
func TestAdminAddsIncidentTypeWithRunCard(t *testing.T) {
	s := newStack(t)
	s.start()
	admin, op := s.login("admin"), s.login("operator")

	alarm := func(id string) map[string]any {
		return map[string]any{
			"source": "call", "source_id": id, "type": "gas_leak",
			"lat": scene.Lat, "lng": scene.Lng, "address": "Liuyuan residential block, Dongchangfu",
			"description": "strong smell of gas in the stairwell", "caller": "Zhao",
			"reported_at": time.Now().UTC().Add(-10 * time.Second).Format(time.RFC3339),
		}
	}
	if code, raw := s.call("POST", "/api/v1/alarms", op, alarm("e2e-gas-0"), nil); code != http.StatusBadRequest || !strings.Contains(string(raw), "gas_leak") {
		t.Fatalf("alarm of a type that does not exist: %d %s, want 400 naming gas_leak", code, raw)
	}

	s.must(http.StatusCreated, "POST", "/api/v1/admin/incident-types", admin, map[string]any{
		"code": "gas_leak", "name_zh": "燃气泄漏", "name_en": "Gas leak", "category": "hazmat",
		"agency_tasks": []map[string]any{{"min_level": 1, "agency": "gas", "task": "isolate the gas supply to the block", "within_s": 900}},
	}, nil)
	card := []fireline.PlanSlot{{Type: fireline.UnitHazmat, Count: 1}, {Type: fireline.UnitEngine, Count: 2}}
	s.must(http.StatusCreated, "POST", "/api/v1/admin/response-plans", admin, map[string]any{
		"incident_type": "gas_leak", "level": 1, "slots": card,
	}, nil)

	var types struct {
		IncidentTypes []fireline.TypeDefinition `json:"incident_types"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/incident-types", op, nil, &types)
	found := false
	for _, d := range types.IncidentTypes {
		found = found || d.Code == "gas_leak" && d.NameZH == "燃气泄漏" && d.NameEN == "Gas leak"
	}
	if !found {
		t.Fatalf("GET /incident-types %+v: want gas_leak with its names", types.IncidentTypes)
	}

	var receipt struct {
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, alarm("e2e-gas-1"), &receipt)
	id := receipt.IncidentID
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	var inc fireline.Incident
	eventually(t, 30*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return len(inc.Recommendation) > 0, "a recommendation on incident " + path
	})
	if inc.Type != "gas_leak" {
		t.Fatalf("incident type %s, want gas_leak", inc.Type)
	}
	wantCard(t, "at start", inc, card)

	// The administrator renames the type, gives its card three ladders and retires it.
	s.must(http.StatusOK, "PATCH", "/api/v1/admin/incident-types/gas_leak", admin, map[string]any{"name_zh": "天然气泄漏", "name_en": "Natural gas leak"}, nil)
	s.must(http.StatusOK, "PUT", "/api/v1/admin/response-plans/gas_leak/1", admin, map[string]any{"slots": []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 3}}}, nil)
	s.must(http.StatusOK, "POST", "/api/v1/admin/incident-types/gas_leak/retire", admin, nil, nil)
	if code, raw := s.call("POST", "/api/v1/alarms", op, alarm("e2e-gas-2"), nil); code != http.StatusBadRequest || !strings.Contains(string(raw), "retired") {
		t.Fatalf("alarm of a retired type: %d %s, want 400 saying it was retired", code, raw)
	}

	// Assessed at level 2, the running incident is recommended again from the card it started
	// with (level 1's serves level 2), and asks the gas company as its type said then.
	var v struct {
		fireline.Incident
		AgencyTasks []fireline.AgencyTask `json:"agency_tasks"`
	}
	s.must(http.StatusOK, "POST", path+"/assess", op, map[string]any{"type": "gas_leak", "level": 2, "priority": 1}, &v)
	wantCard(t, "after the card changed", v.Incident, card)
	if len(v.AgencyTasks) != 1 || v.AgencyTasks[0].Agency != fireline.AgencyGas {
		t.Errorf("agency tasks %+v, want the gas company asked", v.AgencyTasks)
	}

	// No catalogue knows gas_leak: the console names it by its stored names, as renamed.
	t.Run("the console names the type in each language", func(t *testing.T) {
		script := browserScript(t, "incidenttype.test.mjs")
		runScript(t, s, script, artifactsDir(t), 2*time.Minute, map[string]string{
			"FIRELINE_INCIDENT":   fmt.Sprint(id),
			"FIRELINE_TYPE_NAMES": `{"zh-CN": "天然气泄漏", "en": "Natural gas leak"}`,
		})
	})

	s.must(http.StatusOK, "POST", path+"/cancel", op, map[string]any{"reason": "gas company found a loose fitting"}, nil)
	if dir := os.Getenv("FIRELINE_RECORD_HISTORY"); dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
		if err != nil {
			t.Fatalf("dial temporal: %v", err)
		}
		defer c.Close()
		eventually(t, 20*time.Second, func() (bool, string) {
			desc, err := c.DescribeWorkflowExecution(ctx, fireline.WorkflowID(id), "")
			if err != nil {
				return false, err.Error()
			}
			st := desc.GetWorkflowExecutionInfo().GetStatus()
			return st == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, fmt.Sprintf("workflow %s completed, is %s", fireline.WorkflowID(id), st)
		})
		recordHistory(ctx, t, c, fireline.WorkflowID(id), dir)
	}
}

// wantCard checks that the incident's recommendation fills exactly the card's slots.
func wantCard(t *testing.T, when string, inc fireline.Incident, card []fireline.PlanSlot) {
	t.Helper()
	got := map[fireline.UnitType]int{}
	for _, r := range inc.Recommendation {
		got[r.Type]++
	}
	want := map[fireline.UnitType]int{}
	for _, s := range card {
		want[s.Type] = s.Count
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(inc.Short) != 0 {
		t.Errorf("%s: recommended %v (short %v), want the card's %v", when, got, inc.Short, want)
	}
}
