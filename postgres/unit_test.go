package postgres_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

// t0 is a dispatch time with microsecond precision, as PostgreSQL stores it.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestReserveUnits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	inc1, inc2 := openIncident(t, db, cellA), openIncident(t, db, cellB)
	assignmentRows := func() int {
		var n int
		must(t, sqlConn(t, url).QueryRow(ctx, "SELECT count(*) FROM incident_units").Scan(&n))
		return n
	}

	units, err := db.ReserveUnits(ctx, inc1, []string{"E2", "E1", "E2"}, t0)
	must(t, err)
	if len(units) != 2 || units[0].ID != "E2" || units[1].ID != "E1" {
		t.Fatalf("ReserveUnits = %+v, want E2, E1 in the order asked", units)
	}
	for _, u := range units {
		if u.Status != fireline.UnitDispatched || u.IncidentID != inc1 {
			t.Errorf("unit %+v, want dispatched to %d", u, inc1)
		}
	}
	inc, err := db.Incident(ctx, inc1)
	must(t, err)
	if len(inc.Assignments) != 2 || inc.Assignments[0].UnitID != "E1" || !inc.Assignments[0].DispatchedAt.Equal(t0) ||
		inc.Assignments[0].Type != fireline.UnitEngine || inc.Assignments[0].Status != fireline.UnitDispatched {
		t.Errorf("assignments %+v, want E1 and E2 dispatched at %s", inc.Assignments, t0)
	}

	t.Run("retry", func(t *testing.T) {
		again, err := db.ReserveUnits(ctx, inc1, []string{"E1", "E2"}, t0)
		must(t, err)
		if len(again) != 2 || again[0].IncidentID != inc1 || assignmentRows() != 2 {
			t.Errorf("retry: %+v and %d assignment rows, want the same two units and rows", again, assignmentRows())
		}
	})

	t.Run("all or nothing", func(t *testing.T) {
		tests := []struct {
			name  string
			inc   int64
			units []string
			code  string
			msg   string
		}{
			{"committed elsewhere", inc2, []string{"L1", "E2"}, fireline.ECONFLICT, "unit E2 is committed to incident"},
			{"out of service", inc2, []string{"L1", "X1"}, fireline.ECONFLICT, "out of service"},
			{"unknown unit", inc2, []string{"L1", "Z9"}, fireline.ENOTFOUND, "unit Z9 does not exist"},
			{"unknown incident", 999999, []string{"L1"}, fireline.ENOTFOUND, "incident 999999 does not exist"},
			{"no units", inc2, nil, fireline.EINVALID, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.ReserveUnits(ctx, tt.inc, tt.units, t0)
				wantCode(t, err, tt.code)
				if !strings.Contains(fireline.ErrorMessage(err), tt.msg) {
					t.Errorf("message %q, want %q", fireline.ErrorMessage(err), tt.msg)
				}
				l1, err := db.Unit(ctx, "L1")
				must(t, err)
				if l1.Status != fireline.UnitAvailable {
					t.Errorf("L1 %s after a failed reservation, want available", l1.Status)
				}
			})
		}
	})

	t.Run("closed incident", func(t *testing.T) {
		closed := openIncident(t, db, cellB)
		must(t, db.SetIncidentStatus(ctx, closed, fireline.IncidentClosed))
		_, err := db.ReserveUnits(ctx, closed, []string{"L1"}, t0)
		wantCode(t, err, fireline.ECONFLICT)
	})

	t.Run("retry after the unit was cleared", func(t *testing.T) {
		_, err := db.SetUnitStatus(ctx, "E2", inc1, fireline.UnitAvailable, t0.Add(time.Minute))
		must(t, err)
		u, err := db.ReserveUnits(ctx, inc1, []string{"E2"}, t0) // the same dispatch, late
		must(t, err)
		if u[0].Status != fireline.UnitAvailable || assignmentRows() != 2 {
			t.Errorf("late retry re-dispatched E2: %+v", u[0])
		}
		u, err = db.ReserveUnits(ctx, inc1, []string{"E2"}, t0.Add(2*time.Minute)) // a new dispatch
		must(t, err)
		if u[0].Status != fireline.UnitDispatched || assignmentRows() != 3 {
			t.Errorf("second dispatch of E2: %+v, %d rows", u[0], assignmentRows())
		}
	})
}

// TestReserveUnitsRace has two incidents reach for the same unit at once, many times: exactly
// one wins each time and the other hears which incident has it.
func TestReserveUnitsRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	incs := []int64{openIncident(t, db, cellA), openIncident(t, db, cellB)}
	for round := range 30 {
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, inc := range incs {
			wg.Go(func() {
				<-start
				_, errs[i] = db.ReserveUnits(ctx, inc, []string{"L1", "R1"}, t0.Add(time.Duration(round)*time.Second))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch fireline.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Fatalf("round %d: both incidents got the units", round)
				}
				winner = i
			case fireline.ECONFLICT:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody got the units: %v", round, errs)
		}
		released, err := db.ReleaseUnits(ctx, incs[winner], t0.Add(time.Duration(round)*time.Second+time.Millisecond))
		must(t, err)
		if len(released) != 2 {
			t.Fatalf("round %d: released %v, want L1 and R1", round, released)
		}
	}
}

func TestSetUnitStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	inc := openIncident(t, db, cellA)
	_, err := db.ReserveUnits(ctx, inc, []string{"E1"}, t0)
	must(t, err)

	steps := []struct {
		status fireline.UnitStatus
		at     time.Time
	}{
		{fireline.UnitAcknowledged, t0.Add(10 * time.Second)},
		{fireline.UnitEnRoute, t0.Add(60 * time.Second)},
		{fireline.UnitEnRoute, t0.Add(90 * time.Second)}, // a repeat keeps the first time
		{fireline.UnitOnScene, t0.Add(300 * time.Second)},
	}
	for _, s := range steps {
		u, err := db.SetUnitStatus(ctx, "E1", inc, s.status, s.at)
		must(t, err)
		if u.Status != s.status || u.IncidentID != inc {
			t.Fatalf("after %s: %+v", s.status, u)
		}
	}
	got, err := db.Incident(ctx, inc)
	must(t, err)
	a := got.Assignments[0]
	if a.Status != fireline.UnitOnScene || !a.AckAt.Equal(t0.Add(10*time.Second)) || !a.EnRouteAt.Equal(t0.Add(60*time.Second)) ||
		!a.OnSceneAt.Equal(t0.Add(300*time.Second)) || a.ClearedAt != nil {
		t.Fatalf("assignment %+v", a)
	}

	for range 2 { // the second clearing is a repeat and changes nothing
		u, err := db.SetUnitStatus(ctx, "E1", inc, fireline.UnitAvailable, t0.Add(time.Hour))
		must(t, err)
		if u.Status != fireline.UnitAvailable || u.IncidentID != 0 {
			t.Fatalf("after available: %+v", u)
		}
	}
	got, err = db.Incident(ctx, inc)
	must(t, err)
	if c := got.Assignments[0].ClearedAt; c == nil || !c.Equal(t0.Add(time.Hour)) {
		t.Fatalf("cleared_at %v, want %s", c, t0.Add(time.Hour))
	}

	tests := []struct {
		name   string
		unit   string
		inc    int64
		status fireline.UnitStatus
		code   string
	}{
		{"stale report after clearing", "E1", inc, fireline.UnitEnRoute, fireline.ECONFLICT},
		{"not assigned", "L1", inc, fireline.UnitEnRoute, fireline.ECONFLICT},
		{"no incident, committed status", "L1", 0, fireline.UnitEnRoute, fireline.EINVALID},
		{"unknown status", "L1", 0, "asleep", fireline.EINVALID},
		{"unknown unit", "Z9", 0, fireline.UnitAvailable, fireline.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.SetUnitStatus(ctx, tt.unit, tt.inc, tt.status, t0)
			wantCode(t, err, tt.code)
		})
	}

	t.Run("no incident", func(t *testing.T) {
		u, err := db.SetUnitStatus(ctx, "L1", 0, fireline.UnitOutOfService, time.Time{})
		must(t, err)
		if u.Status != fireline.UnitOutOfService {
			t.Fatalf("L1 %+v, want out of service", u)
		}
		u, err = db.SetUnitStatus(ctx, "L1", 0, fireline.UnitAvailable, time.Time{})
		must(t, err)
		if u.Status != fireline.UnitAvailable {
			t.Fatalf("L1 %+v, want available", u)
		}
		_, err = db.ReserveUnits(ctx, inc, []string{"R1"}, t0)
		must(t, err)
		_, err = db.SetUnitStatus(ctx, "R1", 0, fireline.UnitOutOfService, time.Time{})
		wantCode(t, err, fireline.ECONFLICT)
		_, err = db.SetUnitStatus(ctx, "R1", inc+1000, fireline.UnitEnRoute, time.Time{})
		wantCode(t, err, fireline.ECONFLICT)
	})
}

func TestReleaseUnits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	inc := openIncident(t, db, cellA)
	_, err := db.ReserveUnits(ctx, inc, []string{"L1", "E1", "R1"}, t0)
	must(t, err)
	_, err = db.SetUnitStatus(ctx, "R1", inc, fireline.UnitAvailable, t0.Add(time.Minute)) // cleared early
	must(t, err)

	released, err := db.ReleaseUnits(ctx, inc, t0.Add(time.Hour))
	must(t, err)
	if strings.Join(released, ",") != "E1,L1" {
		t.Fatalf("released %v, want E1,L1", released)
	}
	units, err := db.Units(ctx, fireline.UnitFilter{Status: fireline.UnitAvailable})
	must(t, err)
	if len(units) != 4 {
		t.Errorf("%d available units, want 4: %+v", len(units), units)
	}
	got, err := db.Incident(ctx, inc)
	must(t, err)
	for _, a := range got.Assignments {
		want := t0.Add(time.Hour)
		if a.UnitID == "R1" {
			want = t0.Add(time.Minute)
		}
		if a.ClearedAt == nil || !a.ClearedAt.Equal(want) || a.Status != fireline.UnitAvailable {
			t.Errorf("assignment %+v, want cleared at %s", a, want)
		}
	}

	again, err := db.ReleaseUnits(ctx, inc, t0.Add(2*time.Hour))
	must(t, err)
	if len(again) != 0 {
		t.Errorf("second release %v, want none", again)
	}
	_, err = db.ReleaseUnits(ctx, 999999, t0)
	wantCode(t, err, fireline.ENOTFOUND)
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	inc := openIncident(t, db, cellA)
	_, err := db.ReserveUnits(ctx, inc, []string{"E2"}, t0)
	must(t, err)
	got, err := db.Unavailable(ctx, []string{"X1", "E1", "E2", "L1", "nobody"})
	must(t, err)
	if !slices.Equal(got, []string{"E2", "X1"}) {
		t.Errorf("Unavailable = %v, want the reserved E2 and the out-of-service X1", got)
	}
	if got, err := db.Unavailable(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("Unavailable(nil) = %v, %v", got, err)
	}
}

// TestUnitStatusSinceAndUpdatedSince checks the two things the console follows units by:
// status_since moves with a change of status and not with a position fix (time in status), and
// UpdatedSince returns only the units written after the moment asked.
func TestUnitStatusSinceAndUpdatedSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	before, err := db.Unit(ctx, "E1")
	must(t, err)
	mark := time.Now()
	time.Sleep(20 * time.Millisecond) // now() in the next transactions is after mark

	u, err := db.SetUnitStatusBy(ctx, "E1", 0, fireline.UnitOutOfService, time.Now(), "op")
	must(t, err)
	if !u.StatusSince.After(mark) || !u.StatusSince.After(before.StatusSince) {
		t.Fatalf("status_since %s after a change of status at %s (was %s)", u.StatusSince, mark, before.StatusSince)
	}
	since := u.StatusSince
	time.Sleep(20 * time.Millisecond)
	moved, stored, err := db.ReportPosition(ctx, "E1", fireline.Fix{Point: u.Point, Cell: u.Cell, At: time.Now()})
	must(t, err)
	if !stored || !moved.StatusSince.Equal(since) || !moved.UpdatedAt.After(since) {
		t.Fatalf("after a fix: stored %v, status_since %s (want %s), updated_at %s", stored, moved.StatusSince, since, moved.UpdatedAt)
	}

	changed, err := db.Units(ctx, fireline.UnitFilter{UpdatedSince: mark})
	must(t, err)
	if len(changed) != 1 || changed[0].ID != "E1" {
		t.Fatalf("units updated since the mark: %v, want only E1", changed)
	}
	all, err := db.Units(ctx, fireline.UnitFilter{})
	must(t, err)
	if len(all) < 2 {
		t.Fatalf("all units: %d", len(all))
	}

	// A unit retired since the mark is in the changes, so a reader following them drops it;
	// a plain read leaves retired units out.
	_, err = sqlConn(t, url).Exec(ctx, "UPDATE units SET status = 'out_of_service', retired_at = now(), updated_at = now() WHERE id = 'L1'")
	must(t, err)
	changed, err = db.Units(ctx, fireline.UnitFilter{UpdatedSince: mark})
	must(t, err)
	var retired bool
	for _, u := range changed {
		retired = retired || (u.ID == "L1" && u.RetiredAt != nil)
	}
	if !retired {
		t.Fatalf("units updated since the mark: %v, want L1 retired among them", changed)
	}
	for _, u := range mustUnits(t, db, fireline.UnitFilter{}) {
		if u.ID == "L1" {
			t.Fatalf("a plain read lists retired L1")
		}
	}
}

func mustUnits(t *testing.T, db *postgres.DB, f fireline.UnitFilter) []fireline.Unit {
	t.Helper()
	units, err := db.Units(context.Background(), f)
	must(t, err)
	return units
}
