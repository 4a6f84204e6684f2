package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestIncidentSearch is the review's search: by the day the first alarm came in, type, alarm
// level, open or finished, and area, each alone and together, newest first.
func TestIncidentSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	centre := fireline.Point{Lat: 36.45, Lng: 115.98}
	open := func(typ fireline.IncidentType, p fireline.Point, received time.Time, cell string) int64 {
		rc, err := db.ReceiveAlarm(ctx, fireline.Alarm{
			Source: fireline.SourceCall, SourceID: fmt.Sprintf("119-search-%d", alarmSeq.Add(1)), Type: typ, Point: p,
			Address: "search", ReportedAt: received.Add(-time.Minute), ReceivedAt: received, Cell: cell,
		}, fireline.DedupeRule{Cells: []string{cell}})
		must(t, err)
		return rc.IncidentID
	}
	// a: a structure fire at the centre, the evening before, still open.
	a := open(fireline.TypeStructureFire, centre, day.Add(-30*time.Minute), cellA)
	// b: a hazmat call 3 km north in the morning, level 3, closed.
	b := open(fireline.TypeHazmat, fireline.Point{Lat: 36.477, Lng: 115.98}, day.Add(8*time.Hour), cellB)
	must(t, db.AssessIncident(ctx, b, fireline.TypeHazmat, 3, 2, "operator", time.Time{}))
	must(t, db.SetIncidentStatus(ctx, b, fireline.IncidentClosed))
	// c: a traffic accident 20 km north the next day, open.
	c := open(fireline.TypeTrafficAccident, fireline.Point{Lat: 36.63, Lng: 115.98}, day.Add(36*time.Hour), cellB)
	// d: a structure fire 140 m from a, in the last millisecond of the day, level 2, reviewed.
	d := open(fireline.TypeStructureFire, fireline.Point{Lat: 36.451, Lng: 115.981}, day.Add(24*time.Hour-time.Millisecond), cellA2)
	must(t, db.AssessIncident(ctx, d, fireline.TypeStructureFire, 2, 2, "operator", time.Time{}))
	must(t, db.SaveReview(ctx, d, fireline.Review{ReviewedAt: day.Add(25 * time.Hour)}))

	near := func(m float64) fireline.IncidentFilter {
		return fireline.IncidentFilter{Near: centre, RadiusMeters: m}
	}
	tests := []struct {
		name string
		f    fireline.IncidentFilter
		want []int64
	}{
		{"everything, newest first", fireline.IncidentFilter{}, []int64{c, d, b, a}},
		{"open", fireline.IncidentFilter{OpenOnly: true}, []int64{c, a}},
		{"finished", fireline.IncidentFilter{FinishedOnly: true}, []int64{d, b}},
		{"one day: from included, to excluded", fireline.IncidentFilter{From: day, To: day.AddDate(0, 0, 1)}, []int64{d, b}},
		{"from a day on", fireline.IncidentFilter{From: day}, []int64{c, d, b}},
		{"before a day", fireline.IncidentFilter{To: day}, []int64{a}},
		{"type", fireline.IncidentFilter{Type: fireline.TypeStructureFire}, []int64{d, a}},
		{"level", fireline.IncidentFilter{Level: 3}, []int64{b}},
		{"level nobody has", fireline.IncidentFilter{Level: 5}, nil},
		{"within 1 km", near(1000), []int64{d, a}},
		{"within 5 km", near(5000), []int64{d, b, a}},
		{"within 25 km", near(25_000), []int64{c, d, b, a}},
		{"within 100 m: d is 140 m off", near(100), []int64{a}},
		{"all together", fireline.IncidentFilter{FinishedOnly: true, Type: fireline.TypeStructureFire, Level: 2,
			From: day, To: day.AddDate(0, 0, 1), Near: centre, RadiusMeters: 1000}, []int64{d}},
		{"limit", fireline.IncidentFilter{Limit: 2}, []int64{c, d}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Incidents(ctx, tt.f)
			must(t, err)
			if ids := incidentIDs(got); !slices.Equal(ids, tt.want) {
				t.Errorf("Incidents(%+v) = %v, want %v (a %d, b %d, c %d, d %d)", tt.f, ids, tt.want, a, b, c, d)
			}
			for _, inc := range got {
				if inc.Assignments == nil || inc.Recommendation == nil {
					t.Errorf("incident %d came back with nil lists", inc.ID)
				}
			}
		})
	}

	t.Run("a bad filter is refused before the database is asked", func(t *testing.T) {
		for _, f := range []fireline.IncidentFilter{
			{OpenOnly: true, FinishedOnly: true},
			{From: day, To: day},
			{Type: "Meteor!"},
			{Level: 9},
			{RadiusMeters: 500},
			{Near: centre, RadiusMeters: fireline.MaxSearchRadius + 1},
		} {
			_, err := db.Incidents(ctx, f)
			wantCode(t, err, fireline.EINVALID)
		}
	})
	t.Run("the limit is capped", func(t *testing.T) {
		all, err := db.Incidents(ctx, fireline.IncidentFilter{Limit: fireline.MaxIncidentList + 1})
		must(t, err)
		if len(all) != 4 {
			t.Errorf("limit over the cap: %d incidents, want all 4", len(all))
		}
	})
}
