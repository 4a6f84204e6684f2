package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

// storeAlarms stores n alarms, each opening an incident of its own, and returns their ids.
func storeAlarms(t *testing.T, db *postgres.DB, n int) []int64 {
	t.Helper()
	var ids []int64
	for range n {
		rc, err := db.ReceiveAlarm(context.Background(), alarm(cellB), fireline.DedupeRule{Cells: []string{cellB}})
		must(t, err)
		ids = append(ids, rc.Alarm.ID)
	}
	return ids
}

// sweep hands off what awaits and returns the alarms it was given, in order.
func sweep(t *testing.T, db *postgres.DB, after time.Duration, limit int) ([]int64, int) {
	t.Helper()
	var got []int64
	n, err := db.HandOffAwaiting(context.Background(), after, limit, func(_ context.Context, a fireline.Alarm) error {
		if a.IncidentID == 0 {
			t.Errorf("alarm %d awaits a hand-off with no incident", a.ID)
		}
		got = append(got, a.ID)
		return nil
	})
	must(t, err)
	return got, n
}

func TestHandOffAwaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ids := storeAlarms(t, db, 4)
	// A panel's fault opens no incident: nothing to hand off.
	fault := alarm(cellB)
	fault.Kind, fault.DeviceID = fireline.KindFault, "D-1"
	_, err := db.ReceiveAlarm(ctx, fault, fireline.DedupeRule{Cells: []string{cellB}})
	if err != nil && fireline.ErrorCode(err) != fireline.EINVALID {
		t.Fatal(err)
	}

	must(t, db.MarkHandedOff(ctx, ids[1]))
	must(t, db.MarkHandedOff(ctx, ids[1])) // marking twice is no error

	if got, n := sweep(t, db, time.Hour, 10); len(got) != 0 || n != 0 {
		t.Errorf("alarms stored just now were handed off by a sweep that waits an hour: %v", got)
	}
	got, n := sweep(t, db, 0, 2)
	if want := []int64{ids[0], ids[2]}; !slices.Equal(got, want) || n != 2 {
		t.Errorf("first sweep (limit 2) handed off %v (%d), want %v: oldest first, the marked one skipped", got, n, want)
	}
	if got, n := sweep(t, db, 0, 10); !slices.Equal(got, []int64{ids[3]}) || n != 1 {
		t.Errorf("second sweep handed off %v (%d), want only %d", got, n, ids[3])
	}
	if got, _ := sweep(t, db, 0, 10); len(got) != 0 {
		t.Errorf("a third sweep handed off %v again", got)
	}
	if _, err := db.HandOffAwaiting(ctx, 0, 0, nil); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("limit 0: %v, want EINVALID", err)
	}
}

func TestHandOffAwaitingFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ids := storeAlarms(t, db, 4)

	// A hand-off refused for a reason of its own leaves that alarm queued and goes on; the
	// engine's absence ends the batch, keeping what was already done.
	var tried []int64
	n, err := db.HandOffAwaiting(ctx, 0, 10, func(_ context.Context, a fireline.Alarm) error {
		tried = append(tried, a.ID)
		switch a.ID {
		case ids[0]:
			return errors.New("refused")
		case ids[2]:
			return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering")
		}
		return nil
	})
	must(t, err)
	if n != 1 || !slices.Equal(tried, ids[:3]) {
		t.Errorf("handed off %d after trying %v, want 1 after %v", n, tried, ids[:3])
	}
	// Nothing handed off and the engine away: the sweep says so.
	_, err = db.HandOffAwaiting(ctx, 0, 10, func(context.Context, fireline.Alarm) error {
		return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering")
	})
	if fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Errorf("engine away: %v, want EUNAVAILABLE", err)
	}
	if got, _ := sweep(t, db, 0, 10); !slices.Equal(got, []int64{ids[0], ids[2], ids[3]}) {
		t.Errorf("once the engine is back the sweep handed off %v, want %v", got, []int64{ids[0], ids[2], ids[3]})
	}
}

// Two nodes sweeping at once share the queue: each alarm is handed off by exactly one.
func TestHandOffAwaitingShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ids := storeAlarms(t, db, 6)

	var (
		mu      sync.Mutex
		handed  = map[int64]int{}
		started sync.WaitGroup
		wg      sync.WaitGroup
	)
	started.Add(2)
	counts := make([]int, 2)
	for node := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			n, err := db.HandOffAwaiting(ctx, 0, 3, func(_ context.Context, a fireline.Alarm) error {
				if first {
					// Hold this batch's locks until the other node has taken its own batch.
					first = false
					started.Done()
					started.Wait()
				}
				mu.Lock()
				handed[a.ID]++
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			counts[node] = n
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if handed[id] != 1 {
			t.Errorf("alarm %d handed off %d times, want once (all: %v)", id, handed[id], handed)
		}
	}
	if counts[0] != 3 || counts[1] != 3 {
		t.Errorf("the nodes handed off %v, want 3 each", counts)
	}
}
