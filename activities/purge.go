package activities

import (
	"context"
	"log/slog"
	"time"

	"github.com/fireline/fireline"
)

// Purger is the activity of the personal-data purge. It stands apart from Activities because
// it needs only the store that forgets callers, and the incident workflow never calls it.
type Purger struct {
	store fireline.PersonalDataStore
	log   *slog.Logger
}

// NewPurger returns the purge activity over store.
func NewPurger(store fireline.PersonalDataStore, log *slog.Logger) *Purger {
	return &Purger{store: store, log: log.With("component", "purge")}
}

// PurgeInput is the purge's cutoff: callers of alarms whose incident closed before it are
// forgotten.
type PurgeInput struct {
	Cutoff time.Time
}

// PurgePersonalData forgets the callers past the cutoff. A retry after a partial run purges
// what is left: purged alarms are not touched again.
func (p *Purger) PurgePersonalData(ctx context.Context, in PurgeInput) (fireline.PurgeResult, error) {
	res, err := p.store.PurgePersonalData(ctx, in.Cutoff)
	if err != nil {
		return res, classify("purge personal data", err)
	}
	if res.Alarms > 0 {
		p.log.Info("callers' personal data purged", "alarms", res.Alarms, "closed_before", in.Cutoff)
	}
	return res, nil
}
