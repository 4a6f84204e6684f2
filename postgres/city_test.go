package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestImportCity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	c := city()

	stations, err := db.Stations(ctx, fireline.RefFilter{})
	must(t, err)
	if !slices.Equal(stations, c.Stations) {
		t.Errorf("Stations = %+v, want %+v", stations, c.Stations)
	}

	ws, err := db.WaterSources(ctx, fireline.RefFilter{})
	must(t, err)
	if len(ws) != 2 || ws[0] != c.WaterSources[0] || ws[1].Status != "working" {
		t.Errorf("WaterSources = %+v (a missing status means working)", ws)
	}

	ps, err := db.Premises(ctx, fireline.RefFilter{})
	must(t, err)
	if len(ps) != 2 || !slices.Equal(ps[0].Hazards, []string{"chlorine", "LPG"}) || ps[0].PrePlan != c.Premises[0].PrePlan ||
		ps[1].Hazards == nil {
		t.Errorf("Premises = %+v", ps)
	}

	units, err := db.Units(ctx, fireline.UnitFilter{})
	must(t, err)
	var ids []string
	for _, u := range units {
		ids = append(ids, u.ID)
		want := fireline.UnitAvailable
		if u.ID == "X1" {
			want = fireline.UnitOutOfService
		}
		if u.Status != want || u.IncidentID != 0 || u.Cell == "" || u.StationID == "" || u.UpdatedAt.IsZero() {
			t.Errorf("unit %+v: want status %s, a cell, a station and a time", u, want)
		}
	}
	if !slices.Equal(ids, []string{"E1", "E2", "L1", "R1", "X1"}) {
		t.Errorf("Units order %v, want by id", ids)
	}
	oos, err := db.Units(ctx, fireline.UnitFilter{Status: fireline.UnitOutOfService})
	must(t, err)
	if len(oos) != 1 || oos[0].ID != "X1" {
		t.Errorf("Units(out_of_service) = %+v, want X1", oos)
	}
	u, err := db.Unit(ctx, "L1")
	must(t, err)
	if u.Name != "Ladder 1" || u.Type != fireline.UnitLadder || u.Point != c.Units[2].Point {
		t.Errorf("Unit(L1) = %+v", u)
	}
	_, err = db.Unit(ctx, "nope")
	wantCode(t, err, fireline.ENOTFOUND)
	pop, err := db.PopulationAreas(ctx)
	must(t, err)
	if !slices.Equal(pop, c.Population) {
		t.Errorf("PopulationAreas = %+v, want %+v", pop, c.Population)
	}

	t.Run("reimport keeps units at work", func(t *testing.T) {
		id := openIncident(t, db, cellA)
		_, err := db.ReserveUnits(ctx, id, []string{"E1"}, time.Now())
		must(t, err)
		c2 := city()
		c2.Stations[0].Name = "Station One (rebuilt)"
		must(t, db.ImportCity(ctx, c2))
		st, err := db.Stations(ctx, fireline.RefFilter{})
		must(t, err)
		if st[0].Name != "Station One (rebuilt)" {
			t.Errorf("station not updated: %+v", st[0])
		}
		u, err := db.Unit(ctx, "E1")
		must(t, err)
		if u.Status != fireline.UnitDispatched || u.IncidentID != id {
			t.Errorf("re-import recalled E1: %+v", u)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(*fireline.City)
		}{
			{"unit type", func(c *fireline.City) { c.Units[0].Type = "spaceship" }},
			{"unknown station", func(c *fireline.City) { c.Units[0].StationID = "S9" }},
			{"no position", func(c *fireline.City) { c.Stations[0].Point = fireline.Point{} }},
			{"plan level", func(c *fireline.City) { c.Plans[0].Level = 6 }},
			{"plan slot", func(c *fireline.City) { c.Plans[0].Slots[0].Count = 0 }},
			{"water status", func(c *fireline.City) { c.WaterSources[0].Status = "dry" }},
			{"population radius", func(c *fireline.City) { c.Population[0].RadiusMeters = 0 }},
			{"population people", func(c *fireline.City) { c.Population[0].People = -5 }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := city()
				c.Units[0].ID = "NEW" // nothing of a failed import may stay
				tt.change(&c)
				wantCode(t, db.ImportCity(ctx, c), fireline.EINVALID)
				_, err := db.Unit(ctx, "NEW")
				wantCode(t, err, fireline.ENOTFOUND)
			})
		}
	})
}

func TestResponsePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	tests := []struct {
		typ       fireline.IncidentType
		level     int
		wantLevel int // 0: ENOTFOUND
		wantSlots int
	}{
		{fireline.TypeStructureFire, 1, 1, 1},
		{fireline.TypeStructureFire, 2, 1, 1}, // no level-2 card: level 1's
		{fireline.TypeStructureFire, 3, 3, 2},
		{fireline.TypeStructureFire, 5, 3, 2},
		{fireline.TypeHazmat, 4, 1, 1},
		{fireline.TypeWaterRescue, 1, 0, 0},
		{fireline.TypeStructureFire, 0, 0, 0},
	}
	for _, tt := range tests {
		p, err := db.ResponsePlan(ctx, tt.typ, tt.level)
		if tt.wantLevel == 0 {
			wantCode(t, err, fireline.ENOTFOUND)
			continue
		}
		must(t, err)
		if p.IncidentType != tt.typ || p.Level != tt.wantLevel || len(p.Slots) != tt.wantSlots {
			t.Errorf("ResponsePlan(%s, %d) = %+v, want level %d with %d slots", tt.typ, tt.level, p, tt.wantLevel, tt.wantSlots)
		}
	}
	p, err := db.ResponsePlan(ctx, fireline.TypeStructureFire, 3)
	must(t, err)
	if !slices.Equal(p.Slots, city().Plans[1].Slots) {
		t.Errorf("slots %+v, want %+v", p.Slots, city().Plans[1].Slots)
	}
}
