package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestReceiveAlarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ring := fireline.DedupeRule{Cells: []string{cellA, cellA2}, Window: 10 * time.Minute}

	first := alarm(cellA)
	rc, err := db.ReceiveAlarm(ctx, first, ring)
	must(t, err)
	if rc.Merged || rc.Repeat || rc.IncidentID == 0 || rc.Alarm.ID == 0 || rc.Alarm.IncidentID != rc.IncidentID ||
		rc.Alarm.ReceivedAt.IsZero() {
		t.Fatalf("first alarm: %+v", rc)
	}
	inc, err := db.Incident(ctx, rc.IncidentID)
	must(t, err)
	if inc.Status != fireline.IncidentReceived || inc.Level != 1 || inc.Type != first.Type || inc.Cell != cellA ||
		inc.Address != first.Address || inc.AlarmCount != 1 || !inc.CreatedAt.Equal(rc.Alarm.ReceivedAt) {
		t.Errorf("new incident %+v from %+v", inc, rc.Alarm)
	}
	events, err := db.Timeline(ctx, rc.IncidentID)
	must(t, err)
	if len(events) != 1 || events[0].Kind != fireline.EventAlarmReceived || events[0].Key != fmt.Sprintf("alarm:%d", rc.Alarm.ID) {
		t.Errorf("timeline %+v, want one alarm_received keyed alarm:<id>", events)
	}

	t.Run("repeat", func(t *testing.T) {
		again := first
		again.Description = "retried by the source"
		rc2, err := db.ReceiveAlarm(ctx, again, ring)
		must(t, err)
		if !rc2.Repeat || rc2.Alarm.ID != rc.Alarm.ID || rc2.IncidentID != rc.IncidentID ||
			rc2.Alarm.Description != first.Description || !rc2.Alarm.ReceivedAt.Equal(rc.Alarm.ReceivedAt) {
			t.Errorf("repeat: %+v, want the stored alarm %+v", rc2, rc)
		}
		inc, err := db.Incident(ctx, rc.IncidentID)
		must(t, err)
		if inc.AlarmCount != 1 {
			t.Errorf("alarm count %d after a repeat, want 1", inc.AlarmCount)
		}
	})

	t.Run("merge", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(*fireline.Alarm)
		}{
			{"same cell", func(*fireline.Alarm) {}},
			{"neighbour cell", func(a *fireline.Alarm) { a.Cell = cellA2 }},
			{"another fire type", func(a *fireline.Alarm) { a.Type = fireline.TypeHighRiseFire }},
			{"help button", func(a *fireline.Alarm) { a.Type, a.Source = fireline.TypeHelpRequested, fireline.SourceLampPost }},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := alarm(cellA)
				tt.change(&a)
				got, err := db.ReceiveAlarm(ctx, a, ring)
				must(t, err)
				if !got.Merged || got.IncidentID != rc.IncidentID {
					t.Fatalf("%+v, want merged into %d", got, rc.IncidentID)
				}
				inc, err := db.Incident(ctx, rc.IncidentID)
				must(t, err)
				if inc.AlarmCount != i+2 {
					t.Errorf("alarm count %d, want %d", inc.AlarmCount, i+2)
				}
				events, err := db.Timeline(ctx, rc.IncidentID)
				must(t, err)
				last := events[len(events)-1]
				if last.Kind != fireline.EventAlarmMerged || last.Key != fmt.Sprintf("alarm:%d", got.Alarm.ID) {
					t.Errorf("last event %+v, want alarm_merged", last)
				}
			})
		}
	})

	t.Run("no merge", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(*fireline.Alarm, *fireline.DedupeRule)
		}{
			{"incompatible type", func(a *fireline.Alarm, _ *fireline.DedupeRule) { a.Type = fireline.TypeTrafficAccident }},
			{"outside the cells", func(a *fireline.Alarm, r *fireline.DedupeRule) { a.Cell, r.Cells = cellB, []string{cellB} }},
			{"outside the window", func(a *fireline.Alarm, _ *fireline.DedupeRule) { a.ReceivedAt = time.Now().Add(time.Hour) }},
			{"merging off", func(_ *fireline.Alarm, r *fireline.DedupeRule) { r.Window = 0 }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, r := alarm(cellA), ring
				tt.change(&a, &r)
				got, err := db.ReceiveAlarm(ctx, a, r)
				must(t, err)
				if got.Merged || got.IncidentID == rc.IncidentID {
					t.Fatalf("%+v, want a new incident", got)
				}
				if !a.ReceivedAt.IsZero() && !got.Alarm.ReceivedAt.Equal(a.ReceivedAt.Truncate(time.Microsecond)) {
					t.Errorf("ReceivedAt %s, want the given %s", got.Alarm.ReceivedAt, a.ReceivedAt)
				}
			})
		}
	})

	t.Run("closed incident", func(t *testing.T) {
		const cellC = "8940c8a00c3ffff"
		id := openIncident(t, db, cellC)
		must(t, db.SetIncidentStatus(ctx, id, fireline.IncidentClosed))
		got, err := db.ReceiveAlarm(ctx, alarm(cellC), fireline.DedupeRule{Cells: []string{cellC}, Window: time.Hour})
		must(t, err)
		if got.Merged || got.IncidentID == id {
			t.Fatalf("%+v joined closed incident %d", got, id)
		}
	})

	t.Run("no cell", func(t *testing.T) {
		_, err := db.ReceiveAlarm(ctx, alarm(""), ring)
		wantCode(t, err, fireline.EINVALID)
	})
}

// TestReceiveAlarmConcurrent sends two alarms for the same place at the same moment, from
// neighbouring cells, a hundred times: each time they must make exactly one incident.
func TestReceiveAlarmConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := newDB(t)
	for i := range 100 {
		// Fresh cells each round, so earlier rounds' incidents are out of reach.
		c1, c2 := fmt.Sprintf("89%013x", 2*i), fmt.Sprintf("89%013x", 2*i+1)
		alarms := []fireline.Alarm{alarm(c1), alarm(c2)}
		var receipts [2]fireline.AlarmReceipt
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j := range alarms {
			wg.Go(func() {
				<-start
				receipts[j], errs[j] = db.ReceiveAlarm(ctx, alarms[j], fireline.DedupeRule{Cells: []string{c1, c2}, Window: time.Minute})
			})
		}
		close(start)
		wg.Wait()
		must(t, errs[0])
		must(t, errs[1])
		if receipts[0].IncidentID != receipts[1].IncidentID || receipts[0].Merged == receipts[1].Merged {
			t.Fatalf("round %d: %+v and %+v, want one incident, one of them merged", i, receipts[0], receipts[1])
		}
	}
	incs, err := db.Incidents(ctx, fireline.IncidentFilter{Limit: 1000})
	must(t, err)
	if len(incs) != 100 {
		t.Fatalf("%d incidents, want 100", len(incs))
	}
}
