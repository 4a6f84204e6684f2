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
// is held while the unit index is still loading.
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
	if n, ok := f.rec.(interface{ Units() int }); ok && n.Units() == 0 {
		// The index is still loading: an empty answer would say every unit is out. The
		// workflow's own recommendation comes once it has.
		return nil, nil
	}
	res, err := RecommendAvailable(ctx, f.rec, f.store, Request{Point: a.Point, Type: t, Level: level})
	if err != nil {
		return nil, err
	}
	if len(res.Units) == 0 && len(res.Short) == 0 {
		return nil, nil
	}
	// Held even without units: "short of two engines" is the operators' recommendation too
	// while every unit of the plan's types is out, until the workflow recommends afresh.
	h := fireline.HeldRecommendation{Units: res.Units, Alternates: res.Alternates, Short: res.Short, Type: t, Level: level}
	if err := f.store.HoldRecommendation(ctx, id, h); err != nil {
		return nil, err
	}
	return res.Units, nil
}
