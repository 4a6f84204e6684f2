package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// tripQuery reads trips from finished assignments: one that was en route and on scene is one
// drive, from where the unit reported en route (its history entry of that report) to the
// incident's position, timed by the assignment's en-route and on-scene stamps. Only cleared
// assignments count: until then a dispatcher may still correct an early on-scene report, which
// moves the stamp (SetUnitStatusBy). A unit that skipped en route gave no drive time: turnout
// and travel cannot be told apart.
const tripQuery = `
	SELECT a.id, a.unit_id, a.type, a.incident_id, e.lat, e.lng, i.lat, i.lng, a.en_route_at, a.on_scene_at
	FROM incident_units a
	JOIN incidents i ON i.id = a.incident_id
	JOIN LATERAL (
		SELECT p.lat, p.lng FROM unit_events p
		WHERE p.unit_id = a.unit_id AND p.incident_id = a.incident_id AND p.status = 'en_route'
			AND p.at >= a.dispatched_at AND p.at <= a.en_route_at
		ORDER BY p.at DESC, p.id DESC LIMIT 1
	) e ON true
	WHERE a.cleared_at IS NOT NULL AND a.en_route_at IS NOT NULL AND a.on_scene_at IS NOT NULL`

func scanTrip(r pgx.CollectableRow) (fireline.Trip, error) {
	var t fireline.Trip
	err := r.Scan(&t.ID, &t.UnitID, &t.UnitType, &t.IncidentID, &t.From.Lat, &t.From.Lng, &t.To.Lat, &t.To.Lng,
		&t.EnRouteAt, &t.OnSceneAt)
	return t, err
}

// Trips returns every trip of the units' finished assignments in the order they ended
// (on-scene time), the order the learned travel-time model replays them in on start.
func (db *DB) Trips(ctx context.Context) ([]fireline.Trip, error) {
	rows, _ := db.pool.Query(ctx, tripQuery+` ORDER BY a.on_scene_at, a.id`)
	trips, err := pgx.CollectRows(rows, scanTrip)
	return trips, translate("trips", err)
}

// LatestTrip returns the trip of the unit's most recently cleared assignment, if it made one:
// the change feed calls it when a unit is cleared, so the learned model learns at once.
func (db *DB) LatestTrip(ctx context.Context, unitID string) (fireline.Trip, bool, error) {
	rows, _ := db.pool.Query(ctx, tripQuery+` AND a.id = (SELECT id FROM incident_units
		WHERE unit_id = $1 AND cleared_at IS NOT NULL ORDER BY cleared_at DESC, id DESC LIMIT 1)`, unitID)
	t, err := pgx.CollectExactlyOneRow(rows, scanTrip)
	if noRows(err) {
		return fireline.Trip{}, false, nil
	}
	if err != nil {
		return fireline.Trip{}, false, translate("latest trip", err)
	}
	return t, true, nil
}
