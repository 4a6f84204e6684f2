package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/resources"
)

const admin = "chief-admin"

// wantError checks err's code and that its message contains msg.
func wantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	wantCode(t, err, code)
	if !strings.Contains(fireline.ErrorMessage(err), msg) {
		t.Fatalf("message %q, want it to contain %q", fireline.ErrorMessage(err), msg)
	}
}

// trail returns the audit entries of one record, newest first.
func trail(t *testing.T, db *postgres.DB, entity, id string) []fireline.AuditEntry {
	t.Helper()
	entries, err := db.Audit(context.Background(), fireline.AuditFilter{Entity: entity, EntityID: id, Limit: fireline.MaxAuditEntries})
	must(t, err)
	return entries
}

// actions lists the actions of entries, oldest first.
func actions(entries []fireline.AuditEntry) string {
	var out []string
	for _, e := range slices.Backward(entries) {
		out = append(out, e.Action)
	}
	return strings.Join(out, ",")
}

func TestAdminStations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	s3 := fireline.Station{ID: "S3", Name: "Station Three", District: "North", Address: "3 Main St", Point: fireline.Point{Lat: 36.50, Lng: 115.95}}

	got, err := db.CreateStation(ctx, s3, admin)
	must(t, err)
	if got != s3 {
		t.Fatalf("CreateStation = %+v, want %+v", got, s3)
	}
	t.Run("create refused", func(t *testing.T) {
		_, err := db.CreateStation(ctx, s3, admin)
		wantError(t, err, fireline.ECONFLICT, "station S3 already exists")
		bad := s3
		bad.ID, bad.Point = "S4", fireline.Point{Lat: 100, Lng: 115}
		_, err = db.CreateStation(ctx, bad, admin)
		wantError(t, err, fireline.EINVALID, "location: lat 100 is outside")
		_, err = db.CreateStation(ctx, fireline.Station{ID: "S4", Name: "Four", Point: s3.Point}, "")
		wantError(t, err, fireline.EINVALID, "actor: required")
	})

	t.Run("update", func(t *testing.T) {
		changed := s3
		changed.Name = "Station Three (rebuilt)"
		got, err := db.UpdateStation(ctx, changed, cellB, admin)
		must(t, err)
		if got != changed {
			t.Fatalf("UpdateStation = %+v, want %+v", got, changed)
		}
		again, err := db.UpdateStation(ctx, changed, cellB, admin) // a retry changes nothing
		must(t, err)
		if again != changed || actions(trail(t, db, fireline.EntityStation, "S3")) != "create,update" {
			t.Fatalf("repeat: %+v, trail %s; want no second update", again, actions(trail(t, db, fireline.EntityStation, "S3")))
		}
		_, err = db.UpdateStation(ctx, fireline.Station{ID: "S9", Name: "Nowhere", Point: s3.Point}, cellB, admin)
		wantError(t, err, fireline.ENOTFOUND, "station S9 does not exist")
	})

	t.Run("moving a station moves the units parked there", func(t *testing.T) {
		// E1 reports a fix and keeps it; E2 has none and moves with its station.
		fix := fireline.Fix{Point: fireline.Point{Lat: 36.455, Lng: 115.99}, Cell: cellA2, At: time.Now()}
		_, _, err := db.ReportPosition(ctx, "E1", fix)
		must(t, err)
		e1, err := db.Unit(ctx, "E1")
		must(t, err)
		s1, err := db.Station(ctx, "S1")
		must(t, err)
		s1.Point = fireline.Point{Lat: 36.44, Lng: 115.97}
		_, err = db.UpdateStation(ctx, s1, cellB, admin)
		must(t, err)

		e2, err := db.Unit(ctx, "E2")
		must(t, err)
		if e2.Point != s1.Point || e2.Cell != cellB || *e2.Home != s1.Point {
			t.Errorf("E2 without a fix: %+v, want at the station's new position %v in %s", e2, s1.Point, cellB)
		}
		moved, err := db.Unit(ctx, "E1")
		must(t, err)
		if moved.Point != fix.Point || moved.Cell != cellA2 || *moved.Home != s1.Point || !moved.UpdatedAt.After(e1.UpdatedAt) {
			t.Errorf("E1 with a fix: %+v, want its fix kept, its new home, and a change for the unit index", moved)
		}
	})

	t.Run("retire", func(t *testing.T) {
		_, err := db.RetireStation(ctx, "S2", admin)
		wantError(t, err, fireline.ECONFLICT, "station S2 is still home to 3 units (L1, R1, X1); move them")
		_, err = db.RetireStation(ctx, "S9", admin)
		wantError(t, err, fireline.ENOTFOUND, "station S9 does not exist")

		retired, err := db.RetireStation(ctx, "S3", admin)
		must(t, err)
		if retired.RetiredAt == nil || retired.Name != "Station Three (rebuilt)" {
			t.Fatalf("RetireStation = %+v, want it kept with retired_at", retired)
		}
		again, err := db.RetireStation(ctx, "S3", admin)
		must(t, err)
		if !again.RetiredAt.Equal(*retired.RetiredAt) {
			t.Errorf("a second retirement moved retired_at: %v, want %v", again.RetiredAt, retired.RetiredAt)
		}

		active, err := db.Stations(ctx, fireline.RefFilter{})
		must(t, err)
		all, err := db.Stations(ctx, fireline.RefFilter{IncludeRetired: true})
		must(t, err)
		if len(active) != 2 || len(all) != 3 || all[2].ID != "S3" || all[2].RetiredAt == nil {
			t.Errorf("Stations: %d in service, %d in all (%+v); want S3 only among all", len(active), len(all), all)
		}
		one, err := db.Station(ctx, "S3")
		must(t, err)
		if one.RetiredAt == nil {
			t.Errorf("Station(S3) = %+v, want it readable and retired", one)
		}

		_, err = db.UpdateStation(ctx, s3, cellB, admin)
		wantError(t, err, fireline.ECONFLICT, "station S3 was retired on")
		_, err = db.CreateStation(ctx, s3, admin)
		wantError(t, err, fireline.ECONFLICT, "ids of retired records are never reused")
		_, err = db.CreateUnit(ctx, fireline.Unit{ID: "E3", Name: "Engine 3", Type: fireline.UnitEngine, StationID: "S3",
			Point: s3.Point, Cell: cellB}, admin)
		wantError(t, err, fireline.EINVALID, "station_id: station S3 was retired")
	})

	entries := trail(t, db, fireline.EntityStation, "S3")
	if actions(entries) != "create,update,retire" {
		t.Fatalf("S3's trail %s, want create,update,retire", actions(entries))
	}
	var before, after fireline.Station
	must(t, json.Unmarshal(entries[1].Before, &before))
	must(t, json.Unmarshal(entries[1].After, &after))
	if entries[1].Actor != admin || before.Name != "Station Three" || after.Name != "Station Three (rebuilt)" || entries[2].Before != nil {
		t.Errorf("update entry %+v: want the actor, the name before and after; create entry without before", entries[1])
	}

	// The trail is evidence: nothing rewrites it.
	conn := sqlConn(t, url)
	_, err = conn.Exec(ctx, "UPDATE admin_audit SET actor = 'someone else'")
	wantSQLState(t, err, "23001")
	_, err = conn.Exec(ctx, "DELETE FROM admin_audit")
	wantSQLState(t, err, "23001")
}

func wantSQLState(t *testing.T, err error, state string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "SQLSTATE "+state) {
		t.Fatalf("error %v, want SQLSTATE %s", err, state)
	}
}

func TestAdminUnits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	s1 := city().Stations[0].Point
	s2 := city().Stations[1].Point
	e3 := fireline.Unit{ID: "E3", Name: "Engine 3", Type: fireline.UnitEngine, StationID: "S1", Point: s1, Cell: cellA}

	got, err := db.CreateUnit(ctx, e3, admin)
	must(t, err)
	if got.Status != fireline.UnitAvailable || got.Point != s1 || got.Cell != cellA || *got.Home != s1 ||
		got.PositionSource != fireline.PositionStation || got.RetiredAt != nil {
		t.Fatalf("CreateUnit = %+v, want available and parked at S1", got)
	}
	history, err := db.UnitHistory(ctx, "E3", fireline.HistoryFilter{Limit: 10})
	must(t, err)
	if len(history) != 1 || history[0].Status != fireline.UnitAvailable || history[0].Actor != admin {
		t.Errorf("E3's history %+v, want it to start available, by %s", history, admin)
	}

	t.Run("create refused", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(*fireline.Unit)
			code   string
			msg    string
		}{
			{"duplicate", func(*fireline.Unit) {}, fireline.ECONFLICT, "unit E3 already exists"},
			{"no home station", func(u *fireline.Unit) { u.ID, u.StationID = "E4", "" }, fireline.EINVALID, "station_id: required"},
			{"unknown station", func(u *fireline.Unit) { u.ID, u.StationID = "E4", "S9" }, fireline.EINVALID, "station_id: station S9 does not exist"},
			{"not at its station", func(u *fireline.Unit) { u.ID, u.StationID = "E4", "S2" }, fireline.ECONFLICT, "station S2 moved"},
			{"unit type", func(u *fireline.Unit) { u.ID, u.Type = "E4", "spaceship" }, fireline.EINVALID, `type: "spaceship"`},
			{"committed status", func(u *fireline.Unit) { u.ID, u.Status = "E4", fireline.UnitOnScene }, fireline.EINVALID, "status: a new unit starts available or out_of_service"},
			{"no cell", func(u *fireline.Unit) { u.ID, u.Cell = "E4", "" }, fireline.EINVALID, "cell"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := e3
				tt.change(&u)
				_, err := db.CreateUnit(ctx, u, admin)
				wantError(t, err, tt.code, tt.msg)
			})
		}
		if _, err := db.Unit(ctx, "E4"); fireline.ErrorCode(err) != fireline.ENOTFOUND {
			t.Errorf("a refused create left E4: %v", err)
		}
	})

	t.Run("out of service from the start", func(t *testing.T) {
		u := e3
		u.ID, u.Status = "E5", fireline.UnitOutOfService
		got, err := db.CreateUnit(ctx, u, admin)
		must(t, err)
		if got.Status != fireline.UnitOutOfService {
			t.Errorf("E5 %s, want out of service", got.Status)
		}
	})

	t.Run("update moves the unit to its new home", func(t *testing.T) {
		u := e3
		u.Name, u.Type, u.StationID, u.Point, u.Cell = "Tanker 3", fireline.UnitTanker, "S2", s2, cellB
		got, err := db.UpdateUnit(ctx, u, admin)
		must(t, err)
		if got.Name != "Tanker 3" || got.Type != fireline.UnitTanker || got.StationID != "S2" || got.Point != s2 || got.Cell != cellB || *got.Home != s2 {
			t.Fatalf("UpdateUnit = %+v, want a tanker parked at S2 in %s", got, cellB)
		}
		_, err = db.UpdateUnit(ctx, u, admin) // a retry changes nothing
		must(t, err)
		if a := actions(trail(t, db, fireline.EntityUnit, "E3")); a != "create,update" {
			t.Errorf("E3's trail %s, want create,update", a)
		}

		// A unit with an AVL fix keeps it; only its home changes.
		fix := fireline.Fix{Point: fireline.Point{Lat: 36.455, Lng: 115.99}, Cell: cellA2, At: time.Now()}
		_, _, err = db.ReportPosition(ctx, "E3", fix)
		must(t, err)
		u.StationID, u.Point, u.Cell = "S1", s1, cellA
		got, err = db.UpdateUnit(ctx, u, admin)
		must(t, err)
		if got.Point != fix.Point || got.Cell != cellA2 || *got.Home != s1 || got.PositionSource != fireline.PositionAVL {
			t.Errorf("UpdateUnit of a unit with a fix = %+v, want the fix kept and home S1", got)
		}

		_, err = db.UpdateUnit(ctx, fireline.Unit{ID: "Z9", Name: "Z", Type: fireline.UnitEngine, StationID: "S1", Point: s1, Cell: cellA}, admin)
		wantError(t, err, fireline.ENOTFOUND, "unit Z9 does not exist")
	})

	t.Run("a committed unit is not retired", func(t *testing.T) {
		inc := openIncident(t, db, cellA)
		_, err := db.ReserveUnits(ctx, inc, []string{"E1"}, t0)
		must(t, err)
		_, err = db.SetUnitStatus(ctx, "E1", inc, fireline.UnitOnScene, t0.Add(time.Minute))
		must(t, err)
		_, err = db.RetireUnit(ctx, "E1", admin)
		wantError(t, err, fireline.ECONFLICT, "unit E1 is on_scene on incident")
		wantError(t, err, fireline.ECONFLICT, "clear it from the incident first")
		_, err = db.SetUnitStatus(ctx, "E1", inc, fireline.UnitAvailable, t0.Add(time.Hour))
		must(t, err)
		_, err = db.RetireUnit(ctx, "E1", admin)
		must(t, err)
	})

	retired, err := db.RetireUnit(ctx, "L1", admin)
	must(t, err)
	if retired.Status != fireline.UnitOutOfService || retired.RetiredAt == nil {
		t.Fatalf("RetireUnit = %+v, want out of service and retired", retired)
	}
	history, err = db.UnitHistory(ctx, "L1", fireline.HistoryFilter{Limit: 10})
	must(t, err)
	if len(history) != 1 || history[0].Status != fireline.UnitOutOfService || history[0].Actor != admin {
		t.Errorf("L1's history %+v, want out of service by %s", history, admin)
	}
	again, err := db.RetireUnit(ctx, "L1", admin)
	must(t, err)
	if !again.RetiredAt.Equal(*retired.RetiredAt) || actions(trail(t, db, fireline.EntityUnit, "L1")) != "retire" {
		t.Errorf("a second retirement changed something: %+v, trail %s", again, actions(trail(t, db, fireline.EntityUnit, "L1")))
	}

	t.Run("a retired unit is never sent", func(t *testing.T) {
		inc := openIncident(t, db, cellB)
		_, err := db.ReserveUnits(ctx, inc, []string{"R1", "L1"}, t0)
		wantError(t, err, fireline.ECONFLICT, "unit L1 was retired on")
		r1, err := db.Unit(ctx, "R1")
		must(t, err)
		if r1.Status != fireline.UnitAvailable {
			t.Errorf("R1 %s after a refused reservation, want available", r1.Status)
		}
		_, err = db.SetUnitStatusBy(ctx, "L1", 0, fireline.UnitAvailable, time.Time{}, "operator")
		wantError(t, err, fireline.ECONFLICT, "unit L1 was retired on")
		_, err = db.SetUnitStatusBy(ctx, "L1", 0, fireline.UnitOutOfService, time.Time{}, "operator")
		must(t, err) // what it is already
		// Not even a psql session brings it back.
		_, err = sqlConn(t, url).Exec(ctx, "UPDATE units SET status = 'available' WHERE id = 'L1'")
		wantSQLState(t, err, "23514")
	})

	t.Run("retired units leave the lists", func(t *testing.T) {
		ids := func(f fireline.UnitFilter) string {
			units, err := db.Units(ctx, f)
			must(t, err)
			var out []string
			for _, u := range units {
				out = append(out, u.ID)
			}
			return strings.Join(out, ",")
		}
		if got := ids(fireline.UnitFilter{}); got != "E2,E3,E5,R1,X1" {
			t.Errorf("Units() = %s, want the units in service", got)
		}
		if got := ids(fireline.UnitFilter{Status: fireline.UnitOutOfService}); got != "E5,X1" {
			t.Errorf("Units(out_of_service) = %s, want E5,X1", got)
		}
		if got := ids(fireline.UnitFilter{IncludeRetired: true}); got != "E1,E2,E3,E5,L1,R1,X1" {
			t.Errorf("Units(include retired) = %s", got)
		}
		u, err := db.Unit(ctx, "L1")
		must(t, err)
		if u.RetiredAt == nil {
			t.Errorf("Unit(L1) = %+v, want it readable and retired", u)
		}
		_, err = db.UpdateUnit(ctx, fireline.Unit{ID: "L1", Name: "Ladder 1", Type: fireline.UnitLadder, StationID: "S2", Point: s2, Cell: cellB}, admin)
		wantError(t, err, fireline.ECONFLICT, "unit L1 was retired on")
		_, err = db.CreateUnit(ctx, fireline.Unit{ID: "L1", Name: "Ladder 1", Type: fireline.UnitLadder, StationID: "S2", Point: s2, Cell: cellB}, admin)
		wantError(t, err, fireline.ECONFLICT, "ids of retired records are never reused")
	})

	t.Run("a station with retired units only may retire", func(t *testing.T) {
		for _, id := range []string{"R1", "X1"} {
			_, err := db.RetireUnit(ctx, id, admin)
			must(t, err)
		}
		_, err := db.RetireStation(ctx, "S2", admin)
		must(t, err)
	})
}

// TestAdminChangesReachTheUnitIndex follows the change feed as every process does (cmd/fireline):
// a new unit becomes recommendable, a retired one never again.
func TestAdminChangesReachTheUnitIndex(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, url := cityDB(t)
	units, err := db.Units(ctx, fireline.UnitFilter{})
	must(t, err)
	index := resources.NewIndex()
	must(t, index.Replace(units))
	go func() {
		_ = db.Listen(ctx, func(c fireline.Change) {
			if c.Kind != "unit" {
				return
			}
			switch u, err := db.Unit(ctx, c.ID); {
			case err == nil:
				_ = index.Upsert(u)
			case fireline.ErrorCode(err) == fireline.ENOTFOUND:
				index.Remove(c.ID)
			}
		})
	}()
	conn := sqlConn(t, url)
	waitFor(t, func() bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n)
		return n == 1
	})
	s2 := city().Stations[1].Point
	hazmat := func() []string {
		cands, err := index.Nearest(s2, 10, func(u fireline.Unit) bool { return u.Type == fireline.UnitHazmat })
		must(t, err)
		var ids []string
		for _, c := range cands {
			ids = append(ids, c.Unit.ID)
		}
		return ids
	}

	// The fixture has no hazmat unit; the real H3 cell keeps the index's own cells honest.
	_, err = db.CreateUnit(ctx, fireline.Unit{ID: "HM1", Name: "Hazmat 1", Type: fireline.UnitHazmat, StationID: "S2",
		Point: s2, Cell: "8940c8a0003ffff"}, admin)
	must(t, err)
	waitFor(t, func() bool { return slices.Equal(hazmat(), []string{"HM1"}) })
	_, err = db.RetireUnit(ctx, "HM1", admin)
	must(t, err)
	waitFor(t, func() bool { return len(hazmat()) == 0 })
}

func TestAdminWaterSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	near := fireline.Point{Lat: 36.451, Lng: 115.981}
	w3 := fireline.WaterSource{ID: "W3", Kind: fireline.WaterHydrant, FlowLPM: 900, Point: fireline.Point{Lat: 36.4512, Lng: 115.9812}}

	got, err := db.CreateWaterSource(ctx, w3, admin)
	must(t, err)
	if got.Status != fireline.WaterWorking || got.FlowLPM != 900 {
		t.Fatalf("CreateWaterSource = %+v, want working by default", got)
	}
	_, err = db.CreateWaterSource(ctx, w3, admin)
	wantError(t, err, fireline.ECONFLICT, "water source W3 already exists")
	bad := w3
	bad.ID, bad.Kind = "W4", fireline.WaterPond
	_, err = db.CreateWaterSource(ctx, bad, admin)
	wantError(t, err, fireline.EINVALID, "flow_lpm: a pond has no rated flow")

	w3.Status, w3.FlowLPM = fireline.WaterOutOfService, 1000
	got, err = db.UpdateWaterSource(ctx, w3, admin)
	must(t, err)
	if got.Status != fireline.WaterOutOfService || got.FlowLPM != 1000 {
		t.Fatalf("UpdateWaterSource = %+v", got)
	}
	_, err = db.UpdateWaterSource(ctx, fireline.WaterSource{ID: "W9", Kind: fireline.WaterPond, Point: near}, admin)
	wantError(t, err, fireline.ENOTFOUND, "water source W9 does not exist")

	nearby := func() []string {
		ws, err := db.NearbyWater(ctx, near, 1000, 10)
		must(t, err)
		var ids []string
		for _, w := range ws {
			ids = append(ids, w.ID)
		}
		return ids
	}
	if got := nearby(); !slices.Equal(got, []string{"W1", "W2"}) {
		t.Errorf("nearby water %v, want W1 and W2 (W3 is out of service)", got)
	}
	_, err = db.RetireWaterSource(ctx, "W1", admin)
	must(t, err)
	if got := nearby(); !slices.Equal(got, []string{"W2"}) {
		t.Errorf("nearby water %v after retiring W1, want W2", got)
	}
	listed, err := db.WaterSources(ctx, fireline.RefFilter{})
	must(t, err)
	all, err := db.WaterSources(ctx, fireline.RefFilter{IncludeRetired: true})
	must(t, err)
	if len(listed) != 2 || len(all) != 3 || all[0].ID != "W1" || all[0].RetiredAt == nil {
		t.Errorf("WaterSources %+v / all %+v, want W1 only among all", listed, all)
	}
	w1 := city().WaterSources[0]
	_, err = db.UpdateWaterSource(ctx, w1, admin)
	wantError(t, err, fireline.ECONFLICT, "water source W1 was retired on")
	_, err = db.RetireWaterSource(ctx, "W9", admin)
	wantCode(t, err, fireline.ENOTFOUND)
	if a := actions(trail(t, db, fireline.EntityWaterSource, "W3")); a != "create,update" {
		t.Errorf("W3's trail %s", a)
	}
}

func TestAdminPremises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	near := fireline.Point{Lat: 36.44, Lng: 115.97}
	p3 := fireline.Premise{ID: "P3", Name: "Grain Depot", Kind: "warehouse", Point: fireline.Point{Lat: 36.4405, Lng: 115.9705}}

	got, err := db.CreatePremise(ctx, p3, admin)
	must(t, err)
	if got.Hazards == nil || len(got.Hazards) != 0 {
		t.Fatalf("CreatePremise = %+v, want an empty hazards list", got)
	}
	_, err = db.CreatePremise(ctx, p3, admin)
	wantError(t, err, fireline.ECONFLICT, "premises P3 already exists")
	p3.Hazards, p3.PrePlan = []string{"grain dust"}, "No water on the silos: dust explosion."
	got, err = db.UpdatePremise(ctx, p3, admin)
	must(t, err)
	if !slices.Equal(got.Hazards, p3.Hazards) || got.PrePlan != p3.PrePlan {
		t.Fatalf("UpdatePremise = %+v", got)
	}
	bad := p3
	bad.Hazards = []string{""}
	_, err = db.UpdatePremise(ctx, bad, admin)
	wantError(t, err, fireline.EINVALID, "hazards[0]: required")

	_, err = db.RetirePremise(ctx, "P1", admin)
	must(t, err)
	ps, err := db.NearbyPremises(ctx, near, 500, 10)
	must(t, err)
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"P3", "P2"}) {
		t.Errorf("nearby premises %v, want P3 and P2 (P1 is retired)", ids)
	}
	listed, err := db.Premises(ctx, fireline.RefFilter{})
	must(t, err)
	all, err := db.Premises(ctx, fireline.RefFilter{IncludeRetired: true})
	must(t, err)
	if len(listed) != 2 || len(all) != 3 {
		t.Errorf("Premises: %d listed, %d in all; want 2 and 3", len(listed), len(all))
	}
	one, err := db.Premise(ctx, "P1")
	must(t, err)
	if one.RetiredAt == nil || !slices.Equal(one.Hazards, []string{"chlorine", "LPG"}) {
		t.Errorf("Premise(P1) = %+v, want it kept as it was, retired", one)
	}
	if a := actions(trail(t, db, fireline.EntityPremise, "P1")); a != "retire" {
		t.Errorf("P1's trail %s", a)
	}
}

func TestAdminResponsePlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	slots := func(n int) []fireline.PlanSlot {
		return []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: n}, {Type: fireline.UnitLadder, Count: 1}}
	}
	l2 := fireline.ResponsePlan{IncidentType: fireline.TypeStructureFire, Level: 2, Slots: slots(2)}

	got, err := db.CreatePlan(ctx, l2, admin)
	must(t, err)
	if got.Level != 2 || !slices.Equal(got.Slots, l2.Slots) {
		t.Fatalf("CreatePlan = %+v", got)
	}
	_, err = db.CreatePlan(ctx, l2, admin)
	wantError(t, err, fireline.ECONFLICT, "in force already; update it instead")
	_, err = db.CreatePlan(ctx, fireline.ResponsePlan{IncidentType: fireline.TypeWaterRescue, Level: 1}, admin)
	wantError(t, err, fireline.EINVALID, "slots: a run card needs at least one slot")

	l2.Slots = slots(3)
	got, err = db.UpdatePlan(ctx, l2, admin)
	must(t, err)
	if !slices.Equal(got.Slots, slots(3)) {
		t.Fatalf("UpdatePlan = %+v", got)
	}
	_, err = db.UpdatePlan(ctx, fireline.ResponsePlan{IncidentType: fireline.TypeWaterRescue, Level: 1, Slots: slots(1)}, admin)
	wantError(t, err, fireline.ENOTFOUND, "no response plan in force for water_rescue at level 1")

	t.Run("the lowest card stays", func(t *testing.T) {
		_, err := db.RetirePlan(ctx, fireline.TypeStructureFire, 1, admin)
		wantError(t, err, fireline.ECONFLICT, "the structure_fire card at level 1 is the lowest in force: retiring it leaves alarms at level 1 with no units")
		_, err = db.RetirePlan(ctx, fireline.TypeHazmat, 1, admin)
		wantError(t, err, fireline.ECONFLICT, "leaves alarms at levels 1..5")
		_, err = db.RetirePlan(ctx, fireline.TypeStructureFire, 4, admin)
		wantError(t, err, fireline.ENOTFOUND, "no response plan in force for structure_fire at level 4")
	})

	retired, err := db.RetirePlan(ctx, fireline.TypeStructureFire, 3, admin)
	must(t, err)
	if retired.RetiredAt == nil || retired.Level != 3 {
		t.Fatalf("RetirePlan = %+v", retired)
	}
	p, err := db.ResponsePlan(ctx, fireline.TypeStructureFire, 4)
	must(t, err)
	if p.Level != 2 {
		t.Errorf("a level-4 alarm gets the level-%d card, want level 2's now that 3 is retired", p.Level)
	}
	_, err = db.Plan(ctx, fireline.TypeStructureFire, 3, false)
	wantCode(t, err, fireline.ENOTFOUND)
	old, err := db.Plan(ctx, fireline.TypeStructureFire, 3, true)
	must(t, err)
	if old.RetiredAt == nil || !slices.Equal(old.Slots, city().Plans[1].Slots) {
		t.Errorf("Plan(structure_fire, 3, include retired) = %+v, want the retired card as it was", old)
	}

	// The key takes a new card; the retired one stays as evidence.
	l3 := fireline.ResponsePlan{IncidentType: fireline.TypeStructureFire, Level: 3, Slots: slots(5)}
	_, err = db.CreatePlan(ctx, l3, admin)
	must(t, err)
	all, err := db.ResponsePlans(ctx, fireline.RefFilter{IncludeRetired: true})
	must(t, err)
	var keys []string
	for _, p := range all {
		k := p.Key()
		if p.RetiredAt != nil {
			k += " (retired)"
		}
		keys = append(keys, k)
	}
	want := "hazmat/1,structure_fire/1,structure_fire/2,structure_fire/3,structure_fire/3 (retired)"
	if strings.Join(keys, ",") != want {
		t.Errorf("ResponsePlans(include retired) = %v, want %s", keys, want)
	}
	inForce, err := db.ResponsePlans(ctx, fireline.RefFilter{})
	must(t, err)
	if len(inForce) != 4 {
		t.Errorf("ResponsePlans() has %d cards, want 4", len(inForce))
	}
	if a := actions(trail(t, db, fireline.EntityResponsePlan, "structure_fire/3")); a != "retire,create" {
		t.Errorf("structure_fire/3's trail %s, want retire,create", a)
	}
}

func TestAdminAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	for _, name := range []string{"One", "Two", "Three"} {
		s, err := db.Station(ctx, "S1")
		must(t, err)
		s.Name = "Station " + name
		_, err = db.UpdateStation(ctx, s, cellA, admin)
		must(t, err)
	}
	_, err := db.RetireWaterSource(ctx, "W2", "another-admin")
	must(t, err)

	all, err := db.Audit(ctx, fireline.AuditFilter{Limit: 10})
	must(t, err)
	if len(all) != 3 || all[0].Entity != fireline.EntityWaterSource || all[0].Actor != "another-admin" || all[0].ID <= all[1].ID {
		t.Fatalf("Audit = %+v, want three entries newest first", all)
	}
	// "Station One" is the fixture's own name: that update changed nothing and wrote nothing.
	var after struct{ Name string }
	must(t, json.Unmarshal(all[1].After, &after))
	if after.Name != "Station Three" {
		t.Errorf("newest station entry says %q, want Station Three", after.Name)
	}
	page, err := db.Audit(ctx, fireline.AuditFilter{BeforeID: all[1].ID, Limit: 10})
	must(t, err)
	if len(page) != 1 || page[0].ID != all[2].ID {
		t.Errorf("page before %d = %+v, want the oldest entry", all[1].ID, page)
	}
	limited, err := db.Audit(ctx, fireline.AuditFilter{Limit: 1})
	must(t, err)
	if len(limited) != 1 {
		t.Errorf("limit 1 gave %d entries", len(limited))
	}
	stations, err := db.Audit(ctx, fireline.AuditFilter{Entity: fireline.EntityStation, Limit: 10})
	must(t, err)
	if len(stations) != 2 {
		t.Errorf("station entries %d, want 2", len(stations))
	}
	_, err = db.Audit(ctx, fireline.AuditFilter{Limit: fireline.MaxAuditEntries + 1})
	wantError(t, err, fireline.EINVALID, "limit: 501 is outside 1..500")
}
