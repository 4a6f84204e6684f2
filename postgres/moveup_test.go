package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestPostUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	c := city()
	s1, s2 := c.Stations[0], c.Stations[1]
	suggestion := fireline.MoveUp{
		UnitID: "E2", Type: fireline.UnitEngine, ToStationID: "S2", TravelSeconds: 610,
		GapCellsBefore: 12, GapCellsAfter: 5, GapWeightBefore: 1200, GapWeightAfter: 500, Reason: "station S2 has no engine",
	}

	// E2 has no fix: it is taken to be at its post.
	m, u, err := db.PostUnit(ctx, suggestion, cellB, t0, "supervisor")
	must(t, err)
	if u.PostStationID != "S2" || u.StationID != "S1" || u.Point != s2.Point || u.Cell != cellB || u.Home == nil || *u.Home != s2.Point {
		t.Errorf("posted unit %+v, want home S1, post S2, placed at S2", u)
	}
	want := suggestion
	want.ID, want.FromStationID, want.Decision, want.Actor = m.ID, "S1", fireline.MoveUpAccepted, "supervisor"
	want.At = m.At
	if m.ID == 0 || m.At == nil || !m.At.Equal(t0) || m != want {
		t.Errorf("decision %+v, want %+v", m, want)
	}
	if again, err := db.Unit(ctx, "E2"); err != nil || again.PostStationID != "S2" || again.Point != s2.Point {
		t.Errorf("re-read: %+v, %v", again, err)
	}
	history, err := db.UnitHistory(ctx, "E2", fireline.HistoryFilter{Limit: 10})
	must(t, err)
	if len(history) != 1 || history[0].Note != "move-up to station S2" || history[0].Actor != "supervisor" ||
		history[0].Status != fireline.UnitAvailable || history[0].Point != s2.Point {
		t.Errorf("history %+v, want one move-up entry", history)
	}

	// E1 has a fix: it stays where it is, and only its fallback moves to the post.
	fix := fireline.Point{Lat: 36.455, Lng: 115.95}
	_, _, err = db.ReportPosition(ctx, "E1", fireline.Fix{Point: fix, Cell: cellA2, At: time.Now()})
	must(t, err)
	e1 := suggestion
	e1.UnitID = "E1"
	_, u, err = db.PostUnit(ctx, e1, cellB, t0, "supervisor")
	must(t, err)
	if u.Point != fix || u.Cell != cellA2 || u.PostStationID != "S2" || *u.Home != s2.Point {
		t.Errorf("posted unit with a fix %+v, want its fix kept and home at S2", u)
	}

	tests := []struct {
		name string
		edit func(*fireline.MoveUp)
		code string
	}{
		{"already there", func(*fireline.MoveUp) {}, fireline.ECONFLICT},
		{"wrong type", func(m *fireline.MoveUp) { m.ToStationID, m.Type = "S1", fireline.UnitLadder }, fireline.ECONFLICT},
		{"unknown station", func(m *fireline.MoveUp) { m.ToStationID = "S9" }, fireline.ENOTFOUND},
		{"unknown unit", func(m *fireline.MoveUp) { m.UnitID = "E9" }, fireline.ENOTFOUND},
		{"out of service", func(m *fireline.MoveUp) { m.UnitID = "X1" }, fireline.ECONFLICT},
		{"no station", func(m *fireline.MoveUp) { m.ToStationID = "" }, fireline.EINVALID},
		{"negative figures", func(m *fireline.MoveUp) { m.GapWeightAfter = -1 }, fireline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := suggestion
			tt.edit(&m)
			_, _, err := db.PostUnit(ctx, m, cellB, t0, "supervisor")
			wantCode(t, err, tt.code)
		})
	}
	t.Run("committed", func(t *testing.T) {
		inc := openIncident(t, db, cellA)
		_, err := db.ReserveUnits(ctx, inc, []string{"L1"}, t0)
		must(t, err)
		m := suggestion
		m.UnitID, m.Type, m.ToStationID = "L1", fireline.UnitLadder, "S1"
		_, _, err = db.PostUnit(ctx, m, cellA, t0, "supervisor")
		wantCode(t, err, fireline.ECONFLICT)
	})

	// A posted unit goes out on a call and comes back: it keeps its post.
	inc := openIncident(t, db, cellB)
	_, err = db.ReserveUnits(ctx, inc, []string{"E2"}, t0.Add(time.Minute))
	must(t, err)
	u, err = db.SetUnitStatus(ctx, "E2", inc, fireline.UnitAvailable, t0.Add(time.Hour))
	must(t, err)
	if u.PostStationID != "S2" {
		t.Errorf("after a call: post %q, want S2 kept", u.PostStationID)
	}

	// Back to quarters: a move-up to its home station ends the post.
	home := suggestion
	home.ToStationID = "S1"
	m, u, err = db.PostUnit(ctx, home, cellA, t0.Add(2*time.Hour), "supervisor")
	must(t, err)
	if u.PostStationID != "" || u.Point != s1.Point || u.Cell != cellA || *u.Home != s1.Point || m.FromStationID != "S2" {
		t.Errorf("back home: unit %+v, decision %+v", u, m)
	}
	history, err = db.UnitHistory(ctx, "E2", fireline.HistoryFilter{Limit: 1})
	must(t, err)
	if history[0].Note != "back to home station S1" {
		t.Errorf("history %+v", history[0])
	}

	// Decisions are evidence: nothing rewrites them.
	conn := sqlConn(t, url)
	if _, err := conn.Exec(ctx, "UPDATE move_ups SET actor = 'someone'"); err == nil {
		t.Error("move_ups could be rewritten")
	}
}

func TestMoveUpDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	m := fireline.MoveUp{UnitID: "L1", Type: fireline.UnitLadder, FromStationID: "S2", ToStationID: "S1", TravelSeconds: 300}
	old, err := db.IgnoreMoveUp(ctx, m, t0, "operator")
	must(t, err)
	recent, err := db.IgnoreMoveUp(ctx, m, t0.Add(time.Hour), "operator")
	must(t, err)
	if recent.Decision != fireline.MoveUpIgnored || recent.ID <= old.ID || recent.FromStationID != "S2" {
		t.Errorf("decision %+v", recent)
	}
	got, err := db.MoveUps(ctx, t0.Add(30*time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != recent.ID || !got[0].At.Equal(*recent.At) || got[0].Decision != fireline.MoveUpIgnored {
		t.Errorf("since 30 min: %+v, want the recent one", got)
	}
	all, err := db.MoveUps(ctx, time.Time{}, 10)
	must(t, err)
	if len(all) != 2 || all[0].ID != recent.ID || all[1].ID != old.ID {
		t.Errorf("all: %+v, want newest first", all)
	}
	_, err = db.MoveUps(ctx, t0, 0)
	wantCode(t, err, fireline.EINVALID)
	_, err = db.IgnoreMoveUp(ctx, fireline.MoveUp{UnitID: "E9", Type: fireline.UnitEngine, ToStationID: "S1"}, t0, "operator")
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.IgnoreMoveUp(ctx, fireline.MoveUp{UnitID: "E1", Type: fireline.UnitEngine, ToStationID: "S9"}, t0, "operator")
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.IgnoreMoveUp(ctx, m, t0, "")
	wantCode(t, err, fireline.EINVALID)
}

// TestPostsAndStationAdmin: a station that units stand by at moves them with it and cannot be
// retired from under them; a retired station takes no move-up.
func TestPostsAndStationAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	s2 := city().Stations[1]
	m := fireline.MoveUp{UnitID: "E2", Type: fireline.UnitEngine, ToStationID: "S2"}
	_, _, err := db.PostUnit(ctx, m, cellB, t0, "supervisor")
	must(t, err)

	moved := s2
	moved.Point = fireline.Point{Lat: 36.47, Lng: 115.91}
	_, err = db.UpdateStation(ctx, moved, cellA2, "admin")
	must(t, err)
	u, err := db.Unit(ctx, "E2")
	must(t, err)
	if u.Point != moved.Point || u.Cell != cellA2 || *u.Home != moved.Point {
		t.Errorf("posted unit after its post moved: %+v, want it at the post's new place", u)
	}
	e1, err := db.Unit(ctx, "E1")
	must(t, err)
	if e1.Point == moved.Point {
		t.Errorf("E1 (home S1, no post) moved with S2: %+v", e1)
	}

	// S2 is home to L1, R1 and X1 and the post of E2: it cannot go while any of them is there.
	for _, id := range []string{"L1", "R1", "X1"} {
		_, err := db.RetireUnit(ctx, id, "admin")
		must(t, err)
	}
	_, err = db.RetireStation(ctx, "S2", "admin")
	wantCode(t, err, fireline.ECONFLICT)
	back := m
	back.ToStationID = "S1"
	_, _, err = db.PostUnit(ctx, back, cellA, t0.Add(time.Hour), "supervisor")
	must(t, err)
	_, err = db.RetireStation(ctx, "S2", "admin")
	must(t, err)
	_, _, err = db.PostUnit(ctx, m, cellB, t0.Add(2*time.Hour), "supervisor")
	wantCode(t, err, fireline.ECONFLICT)
}
