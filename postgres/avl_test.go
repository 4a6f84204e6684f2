package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

func ptr[T any](v T) *T { return &v }

func TestReportPosition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)

	before, err := db.Unit(ctx, "E1")
	must(t, err)
	s1 := fireline.Point{Lat: 36.45, Lng: 115.98}
	if before.PositionSource != fireline.PositionStation || before.PositionAt != nil || before.Home == nil || *before.Home != s1 {
		t.Fatalf("E1 before any fix: %+v, want placed at station S1 with no fix", before)
	}

	fix := fireline.Fix{Point: fireline.Point{Lat: 36.455, Lng: 115.99}, Cell: cellA2, At: t0,
		Heading: ptr(90.0), SpeedMPS: ptr(12.5), AccuracyMeters: ptr(8.0)}
	u, stored, err := db.ReportPosition(ctx, "E1", fix)
	must(t, err)
	if !stored || u.Point != fix.Point || u.Cell != cellA2 || u.PositionSource != fireline.PositionAVL ||
		u.PositionAt == nil || !u.PositionAt.Equal(t0) || *u.Heading != 90 || *u.SpeedMPS != 12.5 || *u.AccuracyMeters != 8 ||
		u.Home == nil || *u.Home != s1 {
		t.Fatalf("after a fix: stored=%v %+v", stored, u)
	}

	tests := []struct {
		name   string
		at     time.Time
		stored bool
	}{
		{"older", t0.Add(-time.Second), false},
		{"the same fix again", t0, false},
		{"newer", t0.Add(5 * time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fix
			f.Point.Lat += 0.001
			f.At = tt.at
			f.Heading = nil
			u, stored, err := db.ReportPosition(ctx, "E1", f)
			must(t, err)
			if stored != tt.stored {
				t.Fatalf("stored = %v, want %v", stored, tt.stored)
			}
			if !tt.stored && (u.Point != fix.Point || !u.PositionAt.Equal(t0)) {
				t.Fatalf("an ignored fix moved the unit: %+v", u)
			}
			if tt.stored && (u.Point != f.Point || u.Heading != nil || !u.PositionAt.Equal(tt.at)) {
				t.Fatalf("stored fix not kept: %+v", u)
			}
		})
	}

	t.Run("rejected", func(t *testing.T) {
		_, _, err := db.ReportPosition(ctx, "Z9", fix)
		wantCode(t, err, fireline.ENOTFOUND)
		bad := fix
		bad.At = t0.Add(time.Hour)
		bad.Heading = ptr(400.0) // the API refuses it first; the schema refuses it too
		_, _, err = db.ReportPosition(ctx, "E1", bad)
		wantCode(t, err, fireline.EINVALID)
		bad = fix
		bad.Point = fireline.Point{}
		_, _, err = db.ReportPosition(ctx, "E1", bad)
		wantCode(t, err, fireline.EINVALID)
	})

	t.Run("a re-import keeps the live position", func(t *testing.T) {
		must(t, db.ImportCity(ctx, city()))
		u, err := db.Unit(ctx, "E1")
		must(t, err)
		if u.PositionSource != fireline.PositionAVL || u.Point == s1 {
			t.Fatalf("after re-import: %+v, want the AVL fix kept", u)
		}
	})

	t.Run("positions in any status", func(t *testing.T) {
		inc := openIncident(t, db, cellA)
		_, err := db.ReserveUnits(ctx, inc, []string{"E2"}, t0)
		must(t, err)
		f := fix
		f.At = t0.Add(time.Minute)
		u, stored, err := db.ReportPosition(ctx, "E2", f)
		must(t, err)
		if !stored || u.Status != fireline.UnitDispatched || u.IncidentID != inc {
			t.Fatalf("fix on a dispatched unit: stored=%v %+v", stored, u)
		}
	})
}

// TestUnitHistory walks a unit through a whole incident, a correction, a release and a spell out
// of service, and reads every change back from the unit's own history.
func TestUnitHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	inc := openIncident(t, db, cellA)

	_, err := db.ReserveUnits(ctx, inc, []string{"E1"}, t0)
	must(t, err)
	fix := fireline.Fix{Point: fireline.Point{Lat: 36.452, Lng: 115.981}, Cell: cellA, At: t0.Add(30 * time.Second)}
	_, _, err = db.ReportPosition(ctx, "E1", fix)
	must(t, err)
	type step struct {
		status fireline.UnitStatus
		actor  string
	}
	steps := []step{
		{fireline.UnitAcknowledged, "crew-E1"},
		{fireline.UnitEnRoute, "crew-E1"},
		{fireline.UnitEnRoute, "crew-E1"}, // a repeat: no history
		{fireline.UnitOnScene, "crew-E1"},
		{fireline.UnitEnRoute, "operator"}, // the dispatcher's correction
		{fireline.UnitOnScene, "crew-E1"},
		{fireline.UnitTransporting, "crew-E1"},
		{fireline.UnitReturning, "crew-E1"},
		{fireline.UnitAvailable, "crew-E1"},
	}
	for i, s := range steps {
		u, err := db.SetUnitStatusBy(ctx, "E1", inc, s.status, t0.Add(time.Duration(i+1)*time.Minute), s.actor)
		must(t, err)
		if u.Status != s.status {
			t.Fatalf("step %d: unit %s, want %s", i, u.Status, s.status)
		}
		if i == 4 { // the correction unsaid on scene
			got, err := db.Incident(ctx, inc)
			must(t, err)
			if a := got.Assignments[0]; a.OnSceneAt != nil || a.EnRouteAt == nil || !a.EnRouteAt.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("after the correction: %+v, want en route kept and on scene cleared", a)
			}
		}
	}
	got, err := db.Incident(ctx, inc)
	must(t, err)
	if a := got.Assignments[0]; a.OnSceneAt == nil || !a.OnSceneAt.Equal(t0.Add(6*time.Minute)) || a.ClearedAt == nil {
		t.Fatalf("assignment %+v, want on scene at the second report and cleared", a)
	}

	_, err = db.SetUnitStatusBy(ctx, "E1", 0, fireline.UnitOutOfService, t0.Add(time.Hour), "supervisor")
	must(t, err)
	_, err = db.SetUnitStatusBy(ctx, "E1", 0, fireline.UnitAvailable, t0.Add(2*time.Hour), "supervisor")
	must(t, err)
	inc2 := openIncident(t, db, cellB)
	_, err = db.ReserveUnits(ctx, inc2, []string{"E1"}, t0.Add(3*time.Hour))
	must(t, err)
	_, err = db.ReleaseUnits(ctx, inc2, t0.Add(4*time.Hour))
	must(t, err)

	events, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{Limit: 100})
	must(t, err)
	type row struct {
		status   fireline.UnitStatus
		incident int64
		actor    string
		at       time.Duration
	}
	want := []row{ // newest first
		{fireline.UnitAvailable, inc2, "", 4 * time.Hour},
		{fireline.UnitDispatched, inc2, "", 3 * time.Hour},
		{fireline.UnitAvailable, 0, "supervisor", 2 * time.Hour},
		{fireline.UnitOutOfService, 0, "supervisor", time.Hour},
		{fireline.UnitAvailable, inc, "crew-E1", 9 * time.Minute},
		{fireline.UnitReturning, inc, "crew-E1", 8 * time.Minute},
		{fireline.UnitTransporting, inc, "crew-E1", 7 * time.Minute},
		{fireline.UnitOnScene, inc, "crew-E1", 6 * time.Minute},
		{fireline.UnitEnRoute, inc, "operator", 5 * time.Minute},
		{fireline.UnitOnScene, inc, "crew-E1", 4 * time.Minute},
		{fireline.UnitEnRoute, inc, "crew-E1", 2 * time.Minute},
		{fireline.UnitAcknowledged, inc, "crew-E1", time.Minute},
		{fireline.UnitDispatched, inc, "", 0},
	}
	if len(events) != len(want) {
		t.Fatalf("%d history entries, want %d: %+v", len(events), len(want), events)
	}
	for i, w := range want {
		e := events[i]
		if e.UnitID != "E1" || e.Status != w.status || e.IncidentID != w.incident || e.Actor != w.actor || !e.At.Equal(t0.Add(w.at)) {
			t.Errorf("#%d: %+v, want %+v", i, e, w)
		}
	}
	// Positions: the first dispatch came before any fix, everything after from the fix.
	if last := events[len(events)-1]; last.PositionSource != fireline.PositionStation || last.PositionAt != nil ||
		last.Point != (fireline.Point{Lat: 36.45, Lng: 115.98}) {
		t.Errorf("first entry %+v, want the station position", last)
	}
	if e := events[0]; e.PositionSource != fireline.PositionAVL || e.Point != fix.Point || !e.PositionAt.Equal(fix.At) {
		t.Errorf("latest entry %+v, want the AVL fix", e)
	}

	t.Run("limit", func(t *testing.T) {
		few, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{Limit: 2})
		must(t, err)
		if len(few) != 2 || few[0].ID != events[0].ID {
			t.Fatalf("limit 2: %+v", few)
		}
		_, err = db.UnitHistory(ctx, "E1", fireline.HistoryFilter{Limit: 0})
		wantCode(t, err, fireline.EINVALID)
		_, err = db.UnitHistory(ctx, "E1", fireline.HistoryFilter{Limit: postgres.MaxHistory + 1})
		wantCode(t, err, fireline.EINVALID)
	})
	t.Run("time range", func(t *testing.T) {
		// The first incident, as its review reads it: from its dispatch to an hour later.
		during, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{From: t0, To: t0.Add(time.Hour), Limit: 100})
		must(t, err)
		if len(during) != 9 || !during[0].At.Equal(t0.Add(9*time.Minute)) || !during[8].At.Equal(t0) {
			t.Fatalf("history during the first incident: %d entries %v, want its 9, newest first", len(during), statuses(during))
		}
		for _, e := range during {
			if e.IncidentID != inc {
				t.Errorf("entry %+v is not the first incident's", e)
			}
		}
		// From is included, To is not.
		edge, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour), Limit: 100})
		must(t, err)
		if got := statuses(edge); !slices.Equal(got, []fireline.UnitStatus{fireline.UnitAvailable, fireline.UnitOutOfService}) {
			t.Errorf("history [1 h, 3 h): %v, want available, out_of_service", got)
		}
		since, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{From: t0.Add(3 * time.Hour), Limit: 100})
		must(t, err)
		if len(since) != 2 {
			t.Errorf("history from 3 h on: %v, want the second incident's two entries", statuses(since))
		}
		_, err = db.UnitHistory(ctx, "E1", fireline.HistoryFilter{From: t0, To: t0, Limit: 10})
		wantCode(t, err, fireline.EINVALID)
	})
	t.Run("empty and unknown", func(t *testing.T) {
		none, err := db.UnitHistory(ctx, "L1", fireline.HistoryFilter{Limit: 10})
		must(t, err)
		if none == nil || len(none) != 0 {
			t.Fatalf("history of a unit that never changed: %v, want empty", none)
		}
		_, err = db.UnitHistory(ctx, "Z9", fireline.HistoryFilter{Limit: 10})
		wantCode(t, err, fireline.ENOTFOUND)
	})
	t.Run("append-only", func(t *testing.T) {
		_, err := sqlConn(t, url).Exec(ctx, "UPDATE unit_events SET actor = 'nobody'")
		if err == nil {
			t.Fatal("unit_events was rewritten")
		}
	})
}

func TestSetUnitStatusTransitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	inc := openIncident(t, db, cellA)
	_, err := db.ReserveUnits(ctx, inc, []string{"E1"}, t0)
	must(t, err)
	_, err = db.SetUnitStatus(ctx, "E1", inc, fireline.UnitOnScene, t0.Add(time.Minute))
	must(t, err)

	for _, s := range []fireline.UnitStatus{fireline.UnitOutOfService, fireline.UnitDispatched} {
		_, err := db.SetUnitStatus(ctx, "E1", inc, s, t0.Add(2*time.Minute))
		wantCode(t, err, fireline.ECONFLICT)
	}
	u, err := db.Unit(ctx, "E1")
	must(t, err)
	if u.Status != fireline.UnitOnScene || u.IncidentID != inc {
		t.Fatalf("a refused move changed the unit: %+v", u)
	}
	events, err := db.UnitHistory(ctx, "E1", fireline.HistoryFilter{Limit: 10})
	must(t, err)
	if got := statuses(events); !slices.Equal(got, []fireline.UnitStatus{fireline.UnitOnScene, fireline.UnitDispatched}) {
		t.Fatalf("history %v, want on_scene, dispatched", got)
	}
}

func statuses(events []fireline.UnitEvent) []fireline.UnitStatus {
	out := make([]fireline.UnitStatus, len(events))
	for i, e := range events {
		out[i] = e.Status
	}
	return out
}
