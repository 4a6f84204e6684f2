package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// riskLayer is the part of GET /api/v1/risk/cells the test reads.
type riskLayer struct {
	ComputedAt   *time.Time `json:"computed_at"`
	NextChangeAt *time.Time `json:"next_change_at"`
	Cells        []struct {
		Cell      string  `json:"cell"`
		Score     float64 `json:"score"`
		LevelName string  `json:"level_name"`
		Factors   []struct {
			Kind     string  `json:"kind"`
			Value    float64 `json:"value"`
			Points   float64 `json:"points"`
			Warnings []struct {
				ID int64 `json:"id"`
			} `json:"warnings"`
		} `json:"factors"`
	} `json:"cells"`
}

// cell returns the layer's entry for c: its score and its warnings factor's points (0 when
// none), and whether it is in the layer at all.
func (l riskLayer) cell(c string) (score, warningPoints float64, warningID int64, found bool) {
	for _, x := range l.Cells {
		if x.Cell != c {
			continue
		}
		for _, f := range x.Factors {
			if f.Kind == "warnings" {
				warningPoints = f.Points
				if len(f.Warnings) > 0 {
					warningID = f.Warnings[0].ID
				}
			}
		}
		return x.Score, warningPoints, warningID, true
	}
	return 0, 0, 0, false
}

// TestRiskLayerFollowsWarnings drives the real stack: the worker's schedule computes the grid
// at start (the key premises of the old city put Guangyue Tower's cell on it), an extreme CAP
// warning over the old city posted through the intake raises that cell's score and explains
// it, the consoles hear of it on the event stream, and once the warning expires the cell
// scores as before — with no run of the schedule in between (--risk-interval is an hour).
func TestRiskLayerFollowsWarnings(t *testing.T) {
	// Parallel: most of its time is the warning's life running out, which the other parallel
	// tests (run after the sequential ones) fill.
	t.Parallel()
	s := newStack(t)
	s.flags = []string{"--risk-interval", "1h"}
	s.start()
	gw, risk, op := s.login("gateway"), s.login("risk"), s.login("operator")

	var layer riskLayer
	eventually(t, 60*time.Second, func() (bool, string) {
		s.must(http.StatusOK, "GET", "/api/v1/risk/cells", risk, nil, &layer)
		return layer.ComputedAt != nil && len(layer.Cells) > 0, fmt.Sprintf("the schedule's first run (computed_at %v, %d cells)", layer.ComputedAt, len(layer.Cells))
	})
	ranRisk := *layer.ComputedAt

	// The worker made the schedule with the configured interval, and its run at start is the
	// schedule's: the one action taken so far, a RiskGrid workflow that completed.
	tctx, tcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer tcancel()
	tc, err := client.DialContext(tctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
	if err != nil {
		t.Fatalf("dial temporal: %v", err)
	}
	defer tc.Close()
	desc, err := tc.ScheduleClient().GetHandle(tctx, "fireline-risk-grid").Describe(tctx)
	if err != nil {
		t.Fatalf("describe the risk schedule: %v", err)
	}
	if iv := desc.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != time.Hour {
		t.Errorf("risk schedule intervals %+v, want every 1h", iv)
	}
	if act, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || act.Workflow != "RiskGrid" {
		t.Errorf("risk schedule action %+v, want the RiskGrid workflow", desc.Schedule.Action)
	}
	if n := desc.Info.NumActions; n != 1 {
		t.Errorf("risk schedule took %d actions, want the one run at the worker's start", n)
	}

	// Follow the event stream as a console does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kinds := make(chan string, 64)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				kinds <- k
			}
		}
	}()

	// An extreme warning over the old city, running out in 45 s.
	sent := time.Now().UTC().Truncate(time.Second)
	expires := sent.Add(45 * time.Second)
	alert := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>LCMO-RISK-E2E-%d</identifier>
  <sender>warning@lc-met.example.cn</sender>
  <sent>%s</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Fire</category>
    <event>Forest fire danger red warning</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>%s</expires>
    <headline>Extreme fire danger over the old city</headline>
    <area>
      <areaDesc>Dongchangfu old city</areaDesc>
      <polygon>36.43,115.96 36.43,116.01 36.48,116.01 36.48,115.96 36.43,115.96</polygon>
    </area>
  </info>
</alert>`, sent.UnixNano(), sent.Format(time.RFC3339), expires.Format(time.RFC3339))
	hreq, _ := http.NewRequest("POST", s.base+"/api/v1/warnings", strings.NewReader(alert))
	hreq.Header.Set("Content-Type", "application/cap+xml")
	hreq.Header.Set("Authorization", "Bearer "+gw)
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	var receipt struct {
		WarningID int64 `json:"warning_id"`
		Cells     int   `json:"cells"`
		Readiness int   `json:"readiness"`
	}
	_ = json.NewDecoder(hresp.Body).Decode(&receipt)
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusAccepted || receipt.Cells == 0 || receipt.Readiness != 3 {
		t.Fatalf("warning: %d %+v", hresp.StatusCode, receipt)
	}

	// The warning's cells, and the old city's among them: the one the grid's run scored.
	var ws struct {
		Warnings []struct {
			ID    int64 `json:"id"`
			Cells []struct {
				Cell string `json:"cell"`
			} `json:"cells"`
		} `json:"warnings"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/warnings?active=true", op, nil, &ws)
	covered := map[string]bool{}
	for _, w := range ws.Warnings {
		if w.ID == receipt.WarningID {
			for _, c := range w.Cells {
				covered[c.Cell] = true
			}
		}
	}
	var cell string
	var before float64
	for _, c := range layer.Cells { // ranked: the highest-scoring covered cell of the run
		if covered[c.Cell] {
			cell, before = c.Cell, c.Score
			break
		}
	}
	if cell == "" {
		t.Fatalf("no cell of the run (%d cells) under the warning's %d cells", len(layer.Cells), len(covered))
	}
	if _, pts, _, _ := layer.cell(cell); pts != 0 {
		t.Fatalf("cell %s had warning points before the warning", cell)
	}

	// The served layer changes at once, without a run: 3 × 12 = 36 points more, explained.
	s.must(http.StatusOK, "GET", "/api/v1/risk/cells?limit=5000", risk, nil, &layer)
	score, pts, wid, found := layer.cell(cell)
	if !found || pts != 36 || wid != receipt.WarningID || !near(score, before+36) {
		t.Fatalf("cell %s under the warning: score %v (before %v), warning points %v from warning %d", cell, score, before, pts, wid)
	}
	if !layer.ComputedAt.Equal(ranRisk) {
		t.Errorf("the grid was recomputed (%s, first run %s): the warning should count without a run", layer.ComputedAt, ranRisk)
	}
	if layer.NextChangeAt == nil || !layer.NextChangeAt.Equal(expires) {
		t.Errorf("next change %v, want the warning's expiry %s", layer.NextChangeAt, expires)
	}
	// The map's form has it too.
	var fc struct {
		Features []struct {
			Properties struct {
				Cell  string  `json:"cell"`
				Score float64 `json:"score"`
			} `json:"properties"`
		} `json:"features"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/risk/cells?format=geojson&min_score="+fmt.Sprint(before+36), risk, nil, &fc)
	var inMap bool
	for _, f := range fc.Features {
		inMap = inMap || (f.Properties.Cell == cell && near(f.Properties.Score, before+36))
	}
	if !inMap {
		t.Errorf("cell %s not in the GeoJSON layer at %v: %+v", cell, before+36, fc.Features)
	}
	// Consoles were told: a warning notice is what makes them read the layer again.
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		select {
		case k := <-kinds:
			heard = k == "warning"
		case <-deadline:
			t.Fatal("no warning notice on the event stream")
		}
	}

	// Once the warning expires the cell scores as before.
	eventually(t, 90*time.Second, func() (bool, string) {
		s.must(http.StatusOK, "GET", "/api/v1/risk/cells?limit=5000", risk, nil, &layer)
		score, pts, _, found = layer.cell(cell)
		return found && pts == 0 && near(score, before), fmt.Sprintf("cell %s back to %v after the warning expired at %s (now %v, warning points %v)", cell, before, expires, score, pts)
	})
	if !time.Now().After(expires) {
		t.Errorf("the layer dropped the warning before it expired")
	}
	if layer.NextChangeAt != nil {
		t.Errorf("next change %v with no warning in force", layer.NextChangeAt)
	}
}

// near compares scores, which are rounded to hundredths.
func near(a, b float64) bool { return a-b < 0.011 && b-a < 0.011 }

// TestRiskInBrowser runs e2e/browser/risk.test.mjs: the console's risk layer toggles, shows a
// legend in words and follows a CAP warning live; the review ranks the cells and explains them.
func TestRiskInBrowser(t *testing.T) {
	script := browserScript(t, "risk.test.mjs")
	s := newStack(t)
	s.start()
	risk := s.login("risk")
	eventually(t, 60*time.Second, func() (bool, string) {
		var layer riskLayer
		s.must(http.StatusOK, "GET", "/api/v1/risk/cells", risk, nil, &layer)
		return layer.ComputedAt != nil, "the schedule's first run"
	})
	runScript(t, s, script, artifactsDir(t), 3*time.Minute, nil)
}
