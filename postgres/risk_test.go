package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// riskCell is the resolution-9 cell of p and its resolution-7 parent on the risk grid.
func riskCell(t *testing.T, p fireline.Point) (res9, res7 string) {
	t.Helper()
	c, err := geo.CellOf(p, geo.Resolution)
	must(t, err)
	parent, err := c.Parent(resources.RiskResolution)
	must(t, err)
	return c.String(), parent.String()
}

func factorOf(c fireline.RiskCell, kind string) *fireline.RiskFactor {
	for i := range c.Factors {
		if c.Factors[i].Kind == kind {
			return &c.Factors[i]
		}
	}
	return nil
}

func cellIn(l fireline.RiskLayer, cell string) *fireline.RiskCell {
	for i := range l.Cells {
		if l.Cells[i].Cell == cell {
			return &l.Cells[i]
		}
	}
	return nil
}

// TestRiskGrid computes the grid over hand-made incidents, imported records, key premises and
// warnings whose scores are worked out by hand from fireline.DefaultRiskModel, and reads it at
// moments a warning is in force and after it expired.
func TestRiskGrid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ownerURL := newDB(t)
	conn := sqlConn(t, ownerURL)
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour

	pA := fireline.Point{Lat: 36.4563, Lng: 115.9856}
	pB := fireline.Point{Lat: 36.4200, Lng: 116.0620}
	pC := fireline.Point{Lat: 36.5200, Lng: 115.9000}
	a9, a7 := riskCell(t, pA)
	_, b7 := riskCell(t, pB)
	_, c7 := riskCell(t, pC)
	if a7 == b7 || a7 == c7 || b7 == c7 {
		t.Fatalf("fixture cells not distinct: %s %s %s", a7, b7, c7)
	}

	// Live incidents in cell A. Each counts its category's weight, halved per full year.
	live := []struct {
		typ, status, outcome string
		age                  time.Duration
	}{
		{"structure_fire", "closed", "closed", 100 * day},      // fire, this year: 1
		{"vehicle_fire", "reviewed", "closed", 400 * day},      // fire, last year: 0.5
		{"structure_fire", "cancelled", "cancelled", 10 * day}, // a false alarm: not counted
		{"traffic_accident", "closed", "closed", 10 * day},     // rescue, this year: 0.2
		{"structure_fire", "active", "", 1 * day},              // open, a fire, this year: 1
		{"structure_fire", "closed", "closed", 4 * 365 * day},  // beyond the look-back
	}
	for _, i := range live {
		created := at.Add(-i.age)
		var closed *time.Time
		var outcome *string
		if i.outcome != "" {
			c, o := created.Add(time.Hour), i.outcome
			closed, outcome = &c, &o
		}
		_, err := conn.Exec(ctx, `INSERT INTO incidents (type, status, lat, lng, cell, created_at, closed_at, outcome)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, i.typ, i.status, pA.Lat, pA.Lng, a9, created, closed, outcome)
		must(t, err)
	}
	// Imported records: a fire two years back (0.25), an EMS call this year (0.2), one without
	// a position and one from after the run's moment (neither counted).
	imported := []struct {
		number, category, cell string
		age                    time.Duration
	}{
		{"F-1", "fire", a9, 800 * day},
		{"M-1", "ems", a9, 5 * day},
		{"F-2", "fire", "", 5 * day},
		{"F-3", "fire", a9, -day},
	}
	for n, i := range imported {
		_, err := conn.Exec(ctx, `INSERT INTO imported_incidents (dataset, number, received_at, time_zone, category, cell, line)
			VALUES ('sf-calls', $1, $2, 'America/Los_Angeles', $3, $4, $5)`, i.number, at.Add(-i.age), i.category, i.cell, n+2)
		must(t, err)
	}
	// Key premises: a chemical plant with two hazards in A (3 + 2 × 0.5 = 4), a retired one in
	// A (not counted), a warehouse without hazards in B (1).
	for _, p := range []struct {
		id, kind string
		at       fireline.Point
		hazards  []string
		retired  bool
	}{
		{"K-1", "chemical_plant", pA, []string{"chlorine", "LPG"}, false},
		{"K-2", "hospital", pA, []string{"oxygen"}, true},
		{"K-3", "warehouse", pB, nil, false},
	} {
		var retired *time.Time
		if p.retired {
			retired = &at
		}
		_, err := conn.Exec(ctx, `INSERT INTO premises (id, name, kind, lat, lng, hazards, retired_at) VALUES ($1, $1, $2, $3, $4, $5, $6)`,
			p.id, p.kind, p.at.Lat, p.at.Lng, append([]string{}, p.hazards...), retired)
		must(t, err)
	}

	grid := resources.NewRiskGrid(db, fireline.DefaultRiskModel(), quietLog())
	res, err := grid.Recompute(ctx, at)
	must(t, err)
	if res.Cells != 2 {
		t.Fatalf("run stored %d cells, want A and B", res.Cells)
	}

	// Before any warning: A = history (1 + 0.5 + 0.2 + 1 + 0.25 + 0.2 = 3.15) × 8 = 25.2
	// + premises 4 × 3 = 12 → 37.2, moderate; B = 1 × 3 = 3, low.
	layer, err := grid.Layer(ctx, fireline.RiskQuery{}, at)
	must(t, err)
	if layer.ComputedAt == nil || !layer.ComputedAt.Equal(at) || layer.NextChangeAt != nil {
		t.Fatalf("layer computed at %v, next change %v", layer.ComputedAt, layer.NextChangeAt)
	}
	if len(layer.Cells) != 2 || layer.Cells[0].Cell != a7 || layer.Cells[1].Cell != b7 {
		t.Fatalf("cells %+v, want A then B", layer.Cells)
	}
	a := layer.Cells[0]
	if a.Score != 37.2 || a.Level != 2 || a.LevelName != "moderate" {
		t.Errorf("A scores %v (%d %s), want 37.2 moderate", a.Score, a.Level, a.LevelName)
	}
	h := factorOf(a, fireline.RiskHistory)
	if h == nil || h.Value != 3.15 || h.Weight != 8 || h.Points != 25.2 {
		t.Fatalf("A history %+v", h)
	}
	var fires, liveN, importedN int
	for _, n := range h.Incidents {
		if n.Category == fireline.CategoryFire {
			fires += n.Count
		}
		if n.Imported {
			importedN += n.Count
		} else {
			liveN += n.Count
		}
		if n.Cell != "" || n.Each <= 0 {
			t.Errorf("count %+v: want the grid's totals with what each counts", n)
		}
	}
	if fires != 4 || liveN != 4 || importedN != 2 {
		t.Errorf("A history counts %d fires, %d live, %d imported; want 4, 4, 2: %+v", fires, liveN, importedN, h.Incidents)
	}
	p := factorOf(a, fireline.RiskPremises)
	if p == nil || p.Value != 4 || p.Points != 12 || len(p.Premises) != 1 || p.Premises[0].ID != "K-1" || p.Premises[0].Hazards != 2 {
		t.Fatalf("A premises %+v", p)
	}
	if factorOf(a, fireline.RiskWarnings) != nil {
		t.Errorf("A has a warnings factor with no warning in force")
	}
	if b := layer.Cells[1]; b.Score != 3 || b.LevelName != "low" || a.Center.Lat == 0 {
		t.Errorf("B %+v, A centre %v", b, a.Center)
	}

	// An extreme warning over A until at+1h, a raised one over C (no run there) until at+3h,
	// and a severe one over B that an update superseded.
	expA, expC := at.Add(time.Hour), at.Add(3*time.Hour)
	_, err = db.ReceiveWarning(ctx, capWarning("R-A", fireline.CAPAlert, fireline.ReadinessHighest, expA, a7), []byte("<alert/>"))
	must(t, err)
	_, err = db.ReceiveWarning(ctx, capWarning("R-C", fireline.CAPAlert, fireline.ReadinessRaised, expC, c7), []byte("<alert/>"))
	must(t, err)
	_, err = db.ReceiveWarning(ctx, capWarning("R-B", fireline.CAPAlert, fireline.ReadinessHigh, expC, b7), []byte("<alert/>"))
	must(t, err)
	update := capWarning("R-B2", fireline.CAPUpdate, fireline.ReadinessNone, expC)
	update.References = []fireline.WarningRef{{Sender: "met@example.cn", Identifier: "R-B", Sent: "x"}}
	_, err = db.ReceiveWarning(ctx, update, []byte("<alert/>"))
	must(t, err)

	// In force: A gains 3 × 12 = 36 → 73.2, very high; C appears with 1 × 12 = 12; B is as it was.
	layer, err = grid.Layer(ctx, fireline.RiskQuery{}, at.Add(time.Minute))
	must(t, err)
	if len(layer.Cells) != 3 || layer.Cells[0].Cell != a7 || layer.Cells[1].Cell != c7 || layer.Cells[2].Cell != b7 {
		t.Fatalf("cells with warnings %+v, want A, C, B", layer.Cells)
	}
	a = layer.Cells[0]
	w := factorOf(a, fireline.RiskWarnings)
	if a.Score != 73.2 || a.LevelName != "very_high" || w == nil || w.Value != 3 || w.Points != 36 || len(w.Warnings) != 1 ||
		w.Warnings[0].Event != "Rainstorm" || !w.Warnings[0].Expires.Equal(expA) {
		t.Fatalf("A with the warning: score %v %s, warnings factor %+v", a.Score, a.LevelName, w)
	}
	if c := layer.Cells[1]; c.Score != 12 || len(c.Factors) != 1 {
		t.Errorf("C %+v", c)
	}
	if b := layer.Cells[2]; b.Score != 3 {
		t.Errorf("B under a superseded warning scores %v, want 3", b.Score)
	}
	if layer.NextChangeAt == nil || !layer.NextChangeAt.Equal(expA) {
		t.Errorf("next change %v, want A's warning's expiry %s", layer.NextChangeAt, expA)
	}

	// Filters: min_score, limit, bbox around C only.
	layer, err = grid.Layer(ctx, fireline.RiskQuery{MinScore: 10, Limit: 1}, at.Add(time.Minute))
	must(t, err)
	if len(layer.Cells) != 1 || layer.Cells[0].Cell != a7 || layer.Cells[0].Boundary != nil {
		t.Errorf("min_score 10 limit 1: %+v", layer.Cells)
	}
	layer, err = grid.Layer(ctx, fireline.RiskQuery{BBox: &[4]float64{115.85, 36.49, 115.95, 36.55}, Shapes: true}, at.Add(time.Minute))
	must(t, err)
	if len(layer.Cells) != 1 || layer.Cells[0].Cell != c7 || len(layer.Cells[0].Boundary) < 6 {
		t.Errorf("bbox around C: %+v", layer.Cells)
	}

	// After A's warning expired: A is back to 37.2; C's is still in force.
	layer, err = grid.Layer(ctx, fireline.RiskQuery{}, expA)
	must(t, err)
	if got := cellIn(layer, a7); got == nil || got.Score != 37.2 || factorOf(*got, fireline.RiskWarnings) != nil {
		t.Fatalf("A after its warning expired: %+v", got)
	}
	if layer.NextChangeAt == nil || !layer.NextChangeAt.Equal(expC) {
		t.Errorf("next change %v, want C's warning's expiry", layer.NextChangeAt)
	}

	// A later run replaces the grid; an older run arriving late changes nothing.
	_, err = conn.Exec(ctx, `DELETE FROM premises WHERE id = 'K-3'`)
	must(t, err)
	_, err = grid.Recompute(ctx, at.Add(time.Hour))
	must(t, err)
	_, err = grid.Recompute(ctx, at)
	must(t, err)
	layer, err = grid.Layer(ctx, fireline.RiskQuery{}, at.Add(4*time.Hour))
	must(t, err)
	if layer.ComputedAt == nil || !layer.ComputedAt.Equal(at.Add(time.Hour)) || len(layer.Cells) != 1 || layer.Cells[0].Cell != a7 {
		t.Fatalf("after the later run: computed %v, cells %+v", layer.ComputedAt, layer.Cells)
	}
	var runs int
	must(t, conn.QueryRow(ctx, `SELECT count(*) FROM risk_runs`).Scan(&runs))
	if runs != 2 {
		t.Errorf("%d runs recorded, want 2 (the late older run is dropped)", runs)
	}
}

// TestRiskGridImpairedPremises: key premises whose fire protection is impaired when the grid is
// read count ImpairedWeight more, within the premises cap, and the explanation names them; the
// premises count as before once repaired.
func TestRiskGridImpairedPremises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ownerURL := newDB(t)
	conn := sqlConn(t, ownerURL)
	at := time.Now().Truncate(time.Second)
	pA := fireline.Point{Lat: 36.4563, Lng: 115.9856}
	pB := fireline.Point{Lat: 36.4200, Lng: 116.0620}
	_, a7 := riskCell(t, pA)
	_, b7 := riskCell(t, pB)
	// A: a hospital (2) and a warehouse (1); B: a chemical plant with nine hazards (3 + 4.5).
	for _, p := range []struct {
		id, kind string
		at       fireline.Point
		hazards  int
	}{{"K-1", "hospital", pA, 0}, {"K-2", "warehouse", pA, 0}, {"K-3", "chemical_plant", pB, 9}} {
		hazards := make([]string, p.hazards)
		for i := range hazards {
			hazards[i] = fmt.Sprintf("hazard %d", i)
		}
		_, err := conn.Exec(ctx, `INSERT INTO premises (id, name, kind, lat, lng, hazards) VALUES ($1, $1, $2, $3, $4, $5)`,
			p.id, p.kind, p.at.Lat, p.at.Lng, hazards)
		must(t, err)
	}
	grid := resources.NewRiskGrid(db, fireline.DefaultRiskModel(), quietLog())
	_, err := grid.Recompute(ctx, at)
	must(t, err)
	premisesOf := func(cell string) *fireline.RiskFactor {
		t.Helper()
		layer, err := grid.Layer(ctx, fireline.RiskQuery{}, at.Add(time.Second))
		must(t, err)
		c := cellIn(layer, cell)
		if c == nil {
			t.Fatalf("no cell %s in %+v", cell, layer.Cells)
		}
		return factorOf(*c, fireline.RiskPremises)
	}
	if a, b := premisesOf(a7), premisesOf(b7); a.Points != 9 || b.Points != 22.5 {
		t.Fatalf("before any device: A %+v, B %+v", a, b)
	}

	// K-1's detector is in fault, K-2's device beats normally, K-3's has never been heard.
	for i, id := range []string{"K-1", "K-2", "K-3"} {
		_, err := db.CreateDevice(ctx, fireline.Device{ID: "D-" + id, PremiseID: id, Building: id, Point: pA,
			Address: fmt.Sprintf("06350000020%d", i)}, "admin")
		must(t, err)
	}
	_, err = db.ReceiveDeviceReport(ctx, deviceReport("063500000200", at, component(1, 7, at, fireline.ConditionFault)))
	must(t, err)
	_, err = db.ReceiveDeviceReport(ctx, heartbeat("063500000201", at))
	must(t, err)

	// A: 2 + 2 + 1 = 5 → 15 points; B: 7.5 + 2 = 9.5 → 28.5, capped at 24.
	a := premisesOf(a7)
	if a.Value != 5 || a.Points != 15 || len(a.Premises) != 2 || !a.Premises[0].Impaired || a.Premises[0].Value != 4 ||
		a.Premises[1].Impaired {
		t.Errorf("A with K-1 impaired: %+v", a)
	}
	if b := premisesOf(b7); b.Value != 9.5 || b.Points != 24 || !b.Premises[0].Impaired {
		t.Errorf("B with K-3 offline: %+v", b)
	}

	// The detector is back: A counts as before.
	_, err = db.ReceiveDeviceReport(ctx, deviceReport("063500000200", at, component(1, 7, at)))
	must(t, err)
	if a := premisesOf(a7); a.Points != 9 || a.Premises[0].Impaired {
		t.Errorf("A repaired: %+v", a)
	}
}
