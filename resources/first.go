package resources

import (
	"context"
	"log/slog"

	"github.com/fireline/fireline"
)

// FirstStore is what the first recommendation reads and writes. postgres.DB implements it.
type FirstStore interface {
	Availability
	// Premise reads a key premises, whose pre-plan may assess a fire alarm from it.
	Premise(ctx context.Context, id string) (fireline.Premise, error)
	// HoldRecommendation stores h as incident id's recommendation, marked as the one made at
	// intake and dated by the database's clock (h.At is ignored), unless the incident has a
	// recommendation already.
	HoldRecommendation(ctx context.Context, id int64, h fireline.HeldRecommendation) error
}

// FirstResponder recommends units for a new incident at intake, the way the incident's
// workflow starts it: at the pre-plan's type and level for a fire alarm from a key premises
// whose pre-plan assesses it, otherwise at the alarm's type and the first level.
type FirstResponder struct {
	rec   Recommend
	store FirstStore
	log   *slog.Logger
}

var _ fireline.FirstRecommender = (*FirstResponder)(nil)

// NewFirstResponder returns the first responder over rec and store.
func NewFirstResponder(rec Recommend, store FirstStore, log *slog.Logger) *FirstResponder {
	return &FirstResponder{rec: rec, store: store, log: log.With("component", "first-recommendation")}
}

// RecommendFirst recommends available units for incident id, opened by alarm a, and holds the
// recommendation on the incident. ENOTFOUND when no run card covers the type and level; nothing
// is held when no unit could be recommended.
func (f *FirstResponder) RecommendFirst(ctx context.Context, id int64, a fireline.Alarm) ([]fireline.Recommendation, error) {
	t, level := a.Type, fireline.MinLevel
	if a.Kind == fireline.KindFireAlarm && a.PremiseID != "" {
		p, err := f.store.Premise(ctx, a.PremiseID)
		switch {
		case err == nil:
			if pt, pl, ok := p.Assesses(); ok {
				t, level = pt, pl
			}
		case fireline.ErrorCode(err) != fireline.ENOTFOUND:
			return nil, err
		}
	}
	res, err := RecommendAvailable(ctx, f.rec, f.store, Request{Point: a.Point, Type: t, Level: level})
	if err != nil {
		return nil, err
	}
	if len(res.Units) == 0 {
		// Nothing to show: the workflow's own recommendation says why (the index still
		// loading, every unit out).
		return nil, nil
	}
	h := fireline.HeldRecommendation{Units: res.Units, Alternates: res.Alternates, Short: res.Short, Type: t, Level: level}
	if err := f.store.HoldRecommendation(ctx, id, h); err != nil {
		return nil, err
	}
	return res.Units, nil
}
