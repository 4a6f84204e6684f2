package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestTrips: trips come from finished assignments — en route to on scene, from where the unit
// reported en route to the incident — honouring a dispatcher's correction, and never from a unit
// that skipped en route or is still on the incident.
func TestTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	status := func(unit string, inc int64, s fireline.UnitStatus, m int) {
		t.Helper()
		_, err := db.SetUnitStatusBy(ctx, unit, inc, s, at(m), "crew-"+unit)
		must(t, err)
	}
	scene, err := db.Incident(ctx, openIncident(t, db, cellA))
	must(t, err)
	inc := scene.ID

	if trips, err := db.Trips(ctx); err != nil || len(trips) != 0 {
		t.Fatalf("trips of a new city: %v, %v; want none", trips, err)
	}
	_, err = db.ReserveUnits(ctx, inc, []string{"E1", "E2", "L1"}, at(0))
	must(t, err)
	origin := fireline.Point{Lat: 36.47, Lng: 115.95}
	_, _, err = db.ReportPosition(ctx, "E1", fireline.Fix{Point: origin, Cell: cellB, At: at(1)})
	must(t, err)
	// E1 drives 1 → 5 min. E2 never reports en route. L1 drives but is still on scene.
	status("E1", inc, fireline.UnitAcknowledged, 1)
	status("E1", inc, fireline.UnitEnRoute, 1)
	status("E2", inc, fireline.UnitOnScene, 6)
	status("L1", inc, fireline.UnitEnRoute, 2)
	status("L1", inc, fireline.UnitOnScene, 7)
	status("E1", inc, fireline.UnitOnScene, 5)
	if _, ok, err := db.LatestTrip(ctx, "E1"); err != nil || ok {
		t.Fatalf("E1 still on scene: latest trip %v, %v; want none yet", ok, err)
	}
	status("E1", inc, fireline.UnitAvailable, 30)
	status("E2", inc, fireline.UnitAvailable, 30)

	// Second incident: E1 reports on scene too early and the dispatcher corrects it.
	inc2 := openIncident(t, db, cellB)
	_, err = db.ReserveUnits(ctx, inc2, []string{"E1"}, at(40))
	must(t, err)
	status("E1", inc2, fireline.UnitEnRoute, 41)
	status("E1", inc2, fireline.UnitOnScene, 42)
	_, err = db.SetUnitStatusBy(ctx, "E1", inc2, fireline.UnitEnRoute, at(43), "operator")
	must(t, err)
	status("E1", inc2, fireline.UnitOnScene, 47)
	status("E1", inc2, fireline.UnitAvailable, 60)

	trips, err := db.Trips(ctx)
	must(t, err)
	if len(trips) != 2 {
		t.Fatalf("trips %+v, want E1's two drives", trips)
	}
	first := trips[0]
	if first.UnitID != "E1" || first.UnitType != fireline.UnitEngine || first.IncidentID != inc || first.From != origin ||
		first.To != scene.Point || !first.EnRouteAt.Equal(at(1)) || !first.OnSceneAt.Equal(at(5)) || first.Seconds() != 240 {
		t.Errorf("first trip %+v, want E1 from its fix to the scene, 240 s", first)
	}
	second := trips[1]
	if second.IncidentID != inc2 || !second.EnRouteAt.Equal(at(41)) || !second.OnSceneAt.Equal(at(47)) || second.From != origin {
		t.Errorf("second trip %+v, want en route at 41 min, on scene at the corrected 47 min", second)
	}
	latest, ok, err := db.LatestTrip(ctx, "E1")
	must(t, err)
	if !ok || latest != second {
		t.Errorf("latest trip of E1: %+v (%v), want %+v", latest, ok, second)
	}
	for _, u := range []string{"E2", "L1", "R1", "nobody"} {
		if trip, ok, err := db.LatestTrip(ctx, u); err != nil || ok {
			t.Errorf("latest trip of %s: %+v, %v, %v; want none", u, trip, ok, err)
		}
	}
}
