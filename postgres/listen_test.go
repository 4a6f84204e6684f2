package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestListen(t *testing.T) {
	t.Parallel()
	db, url := cityDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan fireline.Change, 1000)
	done := make(chan error, 1)
	go func() { done <- db.Listen(ctx, func(c fireline.Change) { changes <- c }) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Listen did not return after cancel")
		}
	}()
	// Wait until the feed listens: a change made before LISTEN is not delivered.
	conn := sqlConn(t, url)
	waitFor(t, func() bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n)
		return n == 1
	})

	expect := func(t *testing.T, want fireline.Change) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case c := <-changes:
				if c == want {
					return
				}
			case <-timeout:
				t.Fatalf("no notice %+v", want)
			}
		}
	}

	rc, err := db.ReceiveAlarm(ctx, alarm(cellA), fireline.DedupeRule{Cells: []string{cellA}})
	must(t, err)
	inc := rc.IncidentID
	id := strconv.FormatInt(inc, 10)
	expect(t, fireline.Change{Kind: "incident", ID: id, IncidentID: inc})
	events, err := db.Timeline(ctx, inc)
	must(t, err)
	expect(t, fireline.Change{Kind: "event", ID: strconv.FormatInt(events[0].ID, 10), IncidentID: inc})

	_, err = db.ReserveUnits(ctx, inc, []string{"E1"}, t0)
	must(t, err)
	expect(t, fireline.Change{Kind: "unit", ID: "E1", IncidentID: inc})
	_, err = db.SetUnitStatus(ctx, "E1", inc, fireline.UnitAvailable, t0.Add(time.Minute))
	must(t, err)
	expect(t, fireline.Change{Kind: "unit", ID: "E1", IncidentID: inc}) // the incident it left

	m, err := db.IgnoreMoveUp(ctx, fireline.MoveUp{UnitID: "E1", Type: fireline.UnitEngine, ToStationID: "S2"}, t0, "supervisor")
	must(t, err)
	expect(t, fireline.Change{Kind: "move_up", ID: strconv.FormatInt(m.ID, 10)})

	t.Run("reconnects", func(t *testing.T) {
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database()"); err != nil {
			t.Fatal(err)
		}
		// After a reconnect every unit is replayed, then the feed carries on.
		expect(t, fireline.Change{Kind: "unit", ID: "X1"})
		must(t, db.SetIncidentStatus(ctx, inc, fireline.IncidentActive))
		expect(t, fireline.Change{Kind: "incident", ID: id, IncidentID: inc})
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
