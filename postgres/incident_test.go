package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestIncidents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ids := []int64{openIncident(t, db, cellA), openIncident(t, db, cellB), openIncident(t, db, cellA2)}

	_, err := db.Incident(ctx, 999999)
	wantCode(t, err, fireline.ENOTFOUND)
	if msg := fireline.ErrorMessage(err); msg != "incident 999999 does not exist" {
		t.Errorf("message %q", msg)
	}

	must(t, db.SetIncidentStatus(ctx, ids[1], fireline.IncidentDispatching))
	must(t, db.SetIncidentStatus(ctx, ids[1], fireline.IncidentClosed))
	inc, err := db.Incident(ctx, ids[1])
	must(t, err)
	if inc.Status != fireline.IncidentClosed || inc.ClosedAt == nil {
		t.Fatalf("closed incident %+v has no closed_at", inc)
	}
	closedAt := *inc.ClosedAt
	must(t, db.SetIncidentStatus(ctx, ids[1], fireline.IncidentClosed))
	inc, err = db.Incident(ctx, ids[1])
	must(t, err)
	if !inc.ClosedAt.Equal(closedAt) {
		t.Errorf("closing again moved closed_at from %s to %s", closedAt, inc.ClosedAt)
	}
	// A late write of an open status (the start's, racing a cancel) does not reopen it.
	must(t, db.SetIncidentStatus(ctx, ids[1], fireline.IncidentAssessing))
	if inc, err = db.Incident(ctx, ids[1]); err != nil || inc.Status != fireline.IncidentClosed || inc.ClosedAt == nil {
		t.Errorf("after a late assessing write: %+v (%v), want it still closed", inc, err)
	}
	wantCode(t, db.SetIncidentStatus(ctx, ids[0], "burning"), fireline.EINVALID)
	wantCode(t, db.SetIncidentStatus(ctx, 999999, fireline.IncidentActive), fireline.ENOTFOUND)

	all, err := db.Incidents(ctx, fireline.IncidentFilter{})
	must(t, err)
	if len(all) != 3 || all[0].ID != ids[2] || all[2].ID != ids[0] {
		t.Errorf("Incidents = %v, want newest first", incidentIDs(all))
	}
	open, err := db.Incidents(ctx, fireline.IncidentFilter{OpenOnly: true})
	must(t, err)
	if len(open) != 2 || open[0].ID != ids[2] || open[1].ID != ids[0] {
		t.Errorf("open incidents %v, want %d, %d", incidentIDs(open), ids[2], ids[0])
	}
	one, err := db.Incidents(ctx, fireline.IncidentFilter{Limit: 1})
	must(t, err)
	if len(one) != 1 || one[0].Recommendation == nil || one[0].Assignments == nil {
		t.Errorf("Incidents(limit 1) = %+v, want one, with empty lists rather than nil", one)
	}

	t.Run("recommendation and review", func(t *testing.T) {
		recs := []fireline.Recommendation{
			{UnitID: "E1", Type: fireline.UnitEngine, ETASeconds: 182.5, DistanceMeters: 1500, StationID: "S1", Model: "grid-v1"},
			{UnitID: "L1", Type: fireline.UnitLadder, ETASeconds: 400, DistanceMeters: 5200, StationID: "S2", Model: "grid-v1"},
		}
		must(t, db.SaveRecommendation(ctx, ids[0], recs, nil, nil))
		cp := 75.5
		review := fireline.Review{CallProcessingSeconds: &cp, Escalations: 1,
			Units:      []fireline.UnitReview{{UnitID: "E1", TurnoutSeconds: &cp}},
			ReviewedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
		must(t, db.SaveReview(ctx, ids[0], review))
		inc, err := db.Incident(ctx, ids[0])
		must(t, err)
		if len(inc.Recommendation) != 2 || inc.Recommendation[0] != recs[0] || inc.Recommendation[1] != recs[1] {
			t.Errorf("recommendation %+v, want %+v", inc.Recommendation, recs)
		}
		if inc.Status != fireline.IncidentReviewed || inc.ClosedAt == nil || inc.Review == nil ||
			*inc.Review.CallProcessingSeconds != cp || inc.Review.Units[0].TravelSeconds != nil ||
			!inc.Review.ReviewedAt.Equal(review.ReviewedAt) || inc.Review.Escalations != 1 {
			t.Errorf("reviewed incident %+v, review %+v", inc, inc.Review)
		}
		wantCode(t, db.SaveRecommendation(ctx, 999999, recs, nil, nil), fireline.ENOTFOUND)
		wantCode(t, db.SaveReview(ctx, 999999, review), fireline.ENOTFOUND)
	})
}

func incidentIDs(incs []fireline.Incident) []int64 {
	var ids []int64
	for _, i := range incs {
		ids = append(ids, i.ID)
	}
	return ids
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	inc := openIncident(t, db, cellA)
	first, err := db.Timeline(ctx, inc)
	must(t, err)
	received := first[0].At

	events := []fireline.TimelineEvent{
		{IncidentID: inc, Key: "dispatch:1", At: received.Add(2 * time.Minute), Kind: fireline.EventDispatched,
			UnitID: "E1", Actor: "operator", Detail: "E1 dispatched", Data: map[string]any{"units": []any{"E1"}}},
		{IncidentID: inc, Key: "rec:1", At: received.Add(time.Minute), Kind: fireline.EventRecommended, Detail: "2 units"},
	}
	for range 2 { // the second round repeats every key and writes nothing
		for _, e := range events {
			must(t, db.AppendEvent(ctx, e))
		}
	}
	got, err := db.Timeline(ctx, inc)
	must(t, err)
	if len(got) != 3 || got[1].Key != "rec:1" || got[2].Key != "dispatch:1" {
		t.Fatalf("timeline %+v, want alarm, rec:1, dispatch:1 in time order", got)
	}
	d := got[2]
	if d.UnitID != "E1" || d.Actor != "operator" || d.Detail != "E1 dispatched" || d.IncidentID != inc || d.ID == 0 ||
		!d.At.Equal(events[0].At) {
		t.Errorf("event %+v", d)
	}
	if units, ok := d.Data["units"].([]any); !ok || len(units) != 1 || units[0] != "E1" {
		t.Errorf("data %#v did not round-trip", d.Data)
	}
	if got[1].Data != nil {
		t.Errorf("event without data came back with %#v", got[1].Data)
	}

	wantCode(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: 999999, Key: "k", Kind: "x"}), fireline.ENOTFOUND)
	wantCode(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: inc, Kind: "x"}), fireline.EINVALID)
	_, err = db.Timeline(ctx, 999999)
	wantCode(t, err, fireline.ENOTFOUND)

	// Append-only, even for someone with SQL access.
	if _, err := sqlConn(t, url).Exec(ctx, "UPDATE incident_events SET detail = 'rewritten'"); err == nil {
		t.Error("the timeline could be rewritten")
	}
}

// TestHeldRecommendation: the recommendation intake makes is stored on the incident, dated by
// the database after the alarm's receipt, and read back with the type and level it was made
// for; a second hold, or one for an incident its workflow recommended already, changes nothing.
func TestHeldRecommendation(t *testing.T) {
	db, _ := newDB(t)
	ctx := context.Background()
	id := openIncident(t, db, "8931aa4a58bffff")
	if _, ok, err := db.HeldRecommendation(ctx, id); err != nil || ok {
		t.Fatalf("nothing held yet: %v, %v", ok, err)
	}
	recs := []fireline.Recommendation{{UnitID: "E1", Type: fireline.UnitEngine, ETASeconds: 120, StationID: "S1", Model: "grid-v1"}}
	must(t, db.HoldRecommendation(ctx, id, fireline.HeldRecommendation{Units: recs, Type: fireline.TypeStructureFire, Level: 2}))
	h, ok, err := db.HeldRecommendation(ctx, id)
	must(t, err)
	inc, err := db.Incident(ctx, id)
	must(t, err)
	if !ok || len(h.Units) != 1 || h.Units[0] != recs[0] || h.Type != fireline.TypeStructureFire || h.Level != 2 || h.At.Before(inc.CreatedAt) {
		t.Errorf("held %+v (%v), want E1 for a level 2 structure fire, dated after the incident opened at %s", h, ok, inc.CreatedAt)
	}
	if len(inc.Recommendation) != 1 || inc.Recommendation[0] != recs[0] {
		t.Errorf("the incident shows %+v, want the held recommendation", inc.Recommendation)
	}
	must(t, db.HoldRecommendation(ctx, id, fireline.HeldRecommendation{Units: []fireline.Recommendation{{UnitID: "E9"}}, Type: fireline.TypeStructureFire, Level: 1}))
	if again, _, err := db.HeldRecommendation(ctx, id); err != nil || !again.At.Equal(h.At) || again.Units[0].UnitID != "E1" {
		t.Errorf("a second hold changed %+v into %+v (%v)", h, again, err)
	}

	other := openIncident(t, db, "8931aa4a5c3ffff")
	must(t, db.SaveRecommendation(ctx, other, recs, nil, nil))
	must(t, db.HoldRecommendation(ctx, other, fireline.HeldRecommendation{Units: recs, Type: fireline.TypeStructureFire, Level: 1}))
	if _, ok, err := db.HeldRecommendation(ctx, other); err != nil || ok {
		t.Errorf("held over the workflow's own recommendation: %v, %v", ok, err)
	}
	if _, _, err := db.HeldRecommendation(ctx, 999999); fireline.ErrorCode(err) != fireline.ENOTFOUND {
		t.Errorf("missing incident: %v, want ENOTFOUND", err)
	}
}
