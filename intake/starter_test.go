package intake_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// memQueue is the queue of alarms awaiting their hand-off over a deskStore's alarms, kept as
// postgres.DB keeps it: an alarm with an incident and no mark awaits.
type memQueue struct {
	st     *deskStore
	mu     sync.Mutex
	marked map[int64]bool
}

func (q *memQueue) MarkHandedOff(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.marked[id] = true
	return nil
}

func (q *memQueue) HandOffAwaiting(ctx context.Context, _ time.Duration, limit int, handOff func(context.Context, fireline.Alarm) error) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, a := range q.st.stored {
		if n == limit {
			break
		}
		if a.IncidentID == 0 || q.marked[a.ID] {
			continue
		}
		if err := handOff(ctx, a); err != nil {
			if fireline.ErrorCode(err) == fireline.EUNAVAILABLE {
				return n, err
			}
			continue
		}
		q.marked[a.ID] = true
		n++
	}
	return n, nil
}

func (q *memQueue) awaiting() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []int64
	for _, a := range q.st.stored {
		if a.IncidentID != 0 && !q.marked[a.ID] {
			out = append(out, a.ID)
		}
	}
	return out
}

// engine is an IncidentService whose workflow engine can be away (answering EUNAVAILABLE),
// stalled (answering nothing until the caller gives up) or refusing.
type engine struct {
	fireline.IncidentService
	mu       sync.Mutex
	down     bool
	stalled  bool
	refuse   error
	received []int64 // alarm ids handed to their incidents
}

func (e *engine) AlarmReceived(ctx context.Context, _ int64, _, a fireline.Alarm) error {
	e.mu.Lock()
	down, stalled, refuse := e.down, e.stalled, e.refuse
	e.mu.Unlock()
	switch {
	case stalled:
		<-ctx.Done()
		return ctx.Err()
	case down:
		return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine is not answering; try again")
	case refuse != nil:
		return refuse
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.received = append(e.received, a.ID)
	return nil
}

func (e *engine) set(f func(*engine)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func recoveringDesk() (*intake.Desk, *memQueue, *engine) {
	st, eng := &deskStore{}, &engine{}
	q := &memQueue{st: st, marked: map[int64]bool{}}
	cfg := intake.DefaultDeskConfig()
	cfg.HandoffWait = 50 * time.Millisecond
	d := intake.NewDesk(newIntake(), st, st, eng, cfg, slog.New(slog.DiscardHandler))
	d.RecoverHandoffs(q)
	return d, q, eng
}

// An alarm stored while the workflow engine is away is acknowledged with its hand-off
// pending, and the starter hands it on once the engine is back.
func TestDeskLeavesHandoffToStarter(t *testing.T) {
	ctx := context.Background()
	d, q, eng := recoveringDesk()
	starter := intake.NewStarter(q, eng, intake.StarterConfig{Interval: time.Millisecond, Batch: 1, Wait: 100 * time.Millisecond},
		slog.New(slog.DiscardHandler))

	rc, err := d.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm))
	if err != nil || rc.Handoff != "" || !slices.Equal(q.awaiting(), nil) || !slices.Equal(eng.received, []int64{1}) {
		t.Fatalf("engine up: receipt %+v, %v; awaiting %v; handed %v", rc, err, q.awaiting(), eng.received)
	}

	for _, outage := range []struct {
		name string
		set  func(*engine)
	}{
		{"engine unavailable", func(e *engine) { e.down = true }},
		{"engine stalled", func(e *engine) { e.stalled = true }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			eng.set(outage.set)
			before := len(eng.received)
			start := time.Now()
			rc, err := d.ReceiveAlarm(ctx, fireline.FormatCall, []byte(goodCall))
			if err != nil || rc.Handoff != fireline.HandoffPending || rc.Alarm.ID == 0 || rc.IncidentID == 0 {
				t.Fatalf("engine away: receipt %+v, %v; want it acknowledged with its hand-off pending", rc, err)
			}
			if waited := time.Since(start); waited > time.Second {
				t.Errorf("the desk waited %s for the engine, want about its HandoffWait", waited)
			}
			if got := q.awaiting(); !slices.Equal(got, []int64{rc.Alarm.ID}) {
				t.Fatalf("awaiting %v, want the alarm %d", got, rc.Alarm.ID)
			}
			if n, err := starter.Sweep(ctx); n != 0 || fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
				t.Errorf("a sweep while the engine is away: %d, %v; want 0 and EUNAVAILABLE", n, err)
			}

			eng.set(func(e *engine) { e.down, e.stalled = false, false })
			if n, err := starter.Sweep(ctx); n != 1 || err != nil {
				t.Fatalf("sweep with the engine back: %d, %v; want 1", n, err)
			}
			if got := eng.received[before:]; !slices.Equal(got, []int64{rc.Alarm.ID}) || len(q.awaiting()) != 0 {
				t.Errorf("the starter handed %v, awaiting %v; want alarm %d handed once", got, q.awaiting(), rc.Alarm.ID)
			}
			if n, _ := starter.Sweep(ctx); n != 0 {
				t.Errorf("a second sweep handed off %d again", n)
			}
		})
	}

	t.Run("run", func(t *testing.T) {
		eng.set(func(e *engine) { e.down = true })
		rc, err := d.ReceiveAlarm(ctx, fireline.FormatLampPost, []byte(goodPress))
		if err != nil || rc.Handoff != fireline.HandoffPending {
			t.Fatalf("receipt %+v, %v", rc, err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); starter.Run(runCtx) }()
		defer func() { stop(); <-done }()
		time.Sleep(20 * time.Millisecond)
		eng.set(func(e *engine) { e.down = false })
		deadline := time.Now().Add(5 * time.Second)
		for len(q.awaiting()) > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := q.awaiting(); len(got) != 0 {
			t.Errorf("the running starter left %v awaiting after the engine came back", got)
		}
	})
}

// A refusal that is not the engine's absence still fails the alarm, and without
// RecoverHandoffs the desk answers the engine's absence as it always did.
func TestDeskHandoffFailures(t *testing.T) {
	ctx := context.Background()
	d, _, eng := recoveringDesk()
	eng.set(func(e *engine) { e.refuse = fireline.Errorf(fireline.EINVALID, "no such incident type") })
	if _, err := d.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm)); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("refused hand-off: %v, want EINVALID", err)
	}

	st, down := &deskStore{}, &engine{down: true}
	plain := intake.NewDesk(newIntake(), st, st, down, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	if _, err := plain.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm)); fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Errorf("engine away without a hand-off queue: %v, want EUNAVAILABLE", err)
	}
}

// slowStore stores nothing until the caller gives up, like a pool with every connection busy.
type slowStore struct{ *deskStore }

func (slowStore) ReceiveAlarm(ctx context.Context, _ fireline.Alarm, _ fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	<-ctx.Done()
	return fireline.AlarmReceipt{}, ctx.Err()
}

// A database that cannot store the alarm soon is unavailable to the source, within StoreWait.
func TestDeskStoreWait(t *testing.T) {
	st := &deskStore{}
	cfg := intake.DefaultDeskConfig()
	cfg.StoreWait = 50 * time.Millisecond
	d := intake.NewDesk(newIntake(), slowStore{st}, st, &engine{}, cfg, slog.New(slog.DiscardHandler))
	start := time.Now()
	_, err := d.ReceiveAlarm(context.Background(), fireline.FormatAlarm, []byte(goodAlarm))
	if fireline.ErrorCode(err) != fireline.EUNAVAILABLE || time.Since(start) > time.Second {
		t.Errorf("store past StoreWait: %v after %s, want EUNAVAILABLE soon", err, time.Since(start))
	}
}
