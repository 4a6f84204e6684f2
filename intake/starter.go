package intake

import (
	"context"
	"log/slog"
	"time"

	"github.com/fireline/fireline"
)

// StarterConfig says how often the starter looks for alarms awaiting their hand-off.
type StarterConfig struct {
	// Interval is the time between two sweeps.
	Interval time.Duration
	// After is how long an alarm is left to the desk that stored it before the starter takes
	// it over: longer than the desk's HandoffWait, so the two seldom do the same work (which
	// would be harmless: the hand-off is idempotent).
	After time.Duration
	// Batch is how many alarms one transaction hands off; a sweep takes batches until the
	// queue is empty.
	Batch int
	// Wait bounds each hand-off, so that a stalled engine does not hold the batch's rows.
	Wait time.Duration
}

// DefaultStarterConfig is the standard configuration: an alarm stored while the engine was
// away starts within about ten seconds of its return.
func DefaultStarterConfig() StarterConfig {
	return StarterConfig{Interval: 3 * time.Second, After: 5 * time.Second, Batch: 50, Wait: 5 * time.Second}
}

// Starter hands on the alarms the desk stored but could not hand to their incident's
// workflow, so that an alarm stored while the workflow engine was unreachable is started by
// the system itself, not only when its source retries. Every worker node runs one; the
// HandoffStore shares the queue among them so that no alarm is handed off twice at once.
// The hand-off is the desk's: the incident's workflow started with its id under
// REJECT_DUPLICATE, or signalled, and the workflow counts an alarm id once.
type Starter struct {
	queue     fireline.HandoffStore
	incidents fireline.IncidentService
	cfg       StarterConfig
	log       *slog.Logger
}

// NewStarter returns the starter that hands queue's awaiting alarms to incidents.
func NewStarter(queue fireline.HandoffStore, incidents fireline.IncidentService, cfg StarterConfig, log *slog.Logger) *Starter {
	return &Starter{queue: queue, incidents: incidents, cfg: cfg, log: log.With("component", "starter")}
}

// Run sweeps every Interval until ctx is done. An outage is logged when it begins and when
// it ends, not at every sweep.
func (s *Starter) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	var down error
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && down == nil:
			s.log.Warn("alarms await their hand-off: the sweep failed", "error", err)
		case err == nil && down != nil:
			s.log.Info("the sweep works again", "handed_off", n)
		}
		down = err
	}
}

// Sweep hands off every alarm that has awaited its hand-off longer than After, batch by
// batch, and answers how many it handed off.
func (s *Starter) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.queue.HandOffAwaiting(ctx, s.cfg.After, s.cfg.Batch, s.handOff)
		total += n
		if n > 0 {
			s.log.Info("alarms handed off after a delay", "count", n)
		}
		if err != nil || n < s.cfg.Batch {
			return total, err
		}
	}
}

// handOff is the desk's hand-off of a stored alarm, bounded by Wait.
func (s *Starter) handOff(ctx context.Context, a fireline.Alarm) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Wait)
	defer cancel()
	err := s.incidents.AlarmReceived(ctx, a.IncidentID, a, a)
	if err != nil && ctx.Err() != nil && fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		return fireline.Errorf(fireline.EUNAVAILABLE, "the workflow engine did not answer in %s", s.cfg.Wait)
	}
	if err == nil {
		s.log.Info("alarm handed off", "alarm", a.ID, "incident", a.IncidentID)
	}
	return err
}
