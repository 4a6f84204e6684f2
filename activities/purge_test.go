package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
)

// forgetter records the cutoff it is given and answers err.
type forgetter struct {
	cutoff time.Time
	err    error
}

func (f *forgetter) PurgePersonalData(_ context.Context, cutoff time.Time) (fireline.PurgeResult, error) {
	f.cutoff = cutoff
	return fireline.PurgeResult{Alarms: 2}, f.err
}

// TestPurger passes the cutoff to the store and lets an outage retry.
func TestPurger(t *testing.T) {
	cutoff := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	f := &forgetter{}
	p := activities.NewPurger(f, slog.New(slog.DiscardHandler))
	res, err := p.PurgePersonalData(context.Background(), activities.PurgeInput{Cutoff: cutoff})
	if err != nil || res.Alarms != 2 || !f.cutoff.Equal(cutoff) {
		t.Fatalf("purge: %+v, %v, store saw cutoff %s; want 2 alarms and cutoff %s", res, err, f.cutoff, cutoff)
	}
	f.err = fireline.Errorf(fireline.EUNAVAILABLE, "database down")
	_, err = p.PurgePersonalData(context.Background(), activities.PurgeInput{Cutoff: cutoff})
	var app *temporal.ApplicationError
	if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
		t.Errorf("outage: %v; want an error Temporal retries", err)
	}
}
