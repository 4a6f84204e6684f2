package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// unitColumns are the columns scanUnit reads. The home station's position comes from a scalar
// subquery rather than a join so that the same list serves SELECT ... FOR UPDATE (which may not
// lock the nullable side of an outer join) and UPDATE ... RETURNING.
//
// Home is the post's position while the unit stands by at another station after a move-up.
const unitColumns = `id, name, type, status, coalesce(station_id, ''), lat, lng, cell, coalesce(incident_id, 0), updated_at,
	fix_at, heading, speed, accuracy,
	(SELECT ARRAY[s.lat, s.lng] FROM stations s WHERE s.id = coalesce(units.post_station_id, units.station_id)),
	coalesce(post_station_id, ''), retired_at, status_since, min_staff, required_qualifications, ` + unitShifts

// unitShifts is the unit's roster entries whose shift has not ended, as JSON
// (fireline.Unit.Shifts): planning judges the staffing from them at its own time.
const unitShifts = `(SELECT coalesce(json_agg(json_build_object('id', r.id, 'unit_id', r.unit_id, 'name', r.name,
		'username', r.username, 'qualifications', r.qualifications, 'from', r.starts_at, 'to', r.ends_at,
		'created_by', r.created_by) ORDER BY r.starts_at, r.id), '[]')
	FROM roster r WHERE r.unit_id = units.id AND r.ends_at > now())`

func scanUnit(r pgx.CollectableRow) (fireline.Unit, error) {
	var u fireline.Unit
	var home []float64
	var minStaff *int
	err := r.Scan(&u.ID, &u.Name, &u.Type, &u.Status, &u.StationID, &u.Point.Lat, &u.Point.Lng, &u.Cell,
		&u.IncidentID, &u.UpdatedAt, &u.PositionAt, &u.Heading, &u.SpeedMPS, &u.AccuracyMeters, &home, &u.PostStationID,
		&u.RetiredAt, &u.StatusSince, &minStaff, &u.RequiredQualifications, &u.Shifts)
	// No minimum set: the default of the unit's type.
	u.MinStaff = fireline.DefaultMinStaff(u.Type)
	if minStaff != nil {
		u.MinStaff = *minStaff
	}
	if u.RequiredQualifications == nil {
		u.RequiredQualifications = []fireline.Qualification{}
	}
	st := u.StaffingAt(time.Now())
	u.Staffing = &st
	if len(home) == 2 {
		u.Home = &fireline.Point{Lat: home[0], Lng: home[1]}
	}
	// Without a fix, lat/lng is where the import placed the unit: its station.
	u.PositionSource = fireline.PositionStation
	if u.PositionAt != nil {
		u.PositionSource = fireline.PositionAVL
	}
	return u, err
}

// Units returns the units that pass f, by id.
func (db *DB) Units(ctx context.Context, f fireline.UnitFilter) ([]fireline.Unit, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+unitColumns+` FROM units
		WHERE ($1 = '' OR status = $1) AND ($2 OR retired_at IS NULL OR retired_at > $3)
			AND ($3::timestamptz IS NULL OR updated_at > $3)
		ORDER BY id`, f.Status, f.IncludeRetired, nullTime(f.UpdatedSince))
	units, err := pgx.CollectRows(rows, scanUnit)
	return units, translate("units", err)
}

// Unit returns one unit, retired or not (RetiredAt says); ENOTFOUND when there is none with
// this id. The change feed's readers rely on a retired unit being found: it must leave the
// unit index as out of service, not linger there as it last was.
func (db *DB) Unit(ctx context.Context, id string) (fireline.Unit, error) {
	return unit(ctx, db.pool, id, "")
}

// unit reads a unit through q, with suffix appended to the query (a row lock).
func unit(ctx context.Context, q querier, id, suffix string) (fireline.Unit, error) {
	rows, _ := q.Query(ctx, `SELECT `+unitColumns+` FROM units WHERE id = $1 `+suffix, id)
	u, err := pgx.CollectExactlyOneRow(rows, scanUnit)
	if noRows(err) {
		return fireline.Unit{}, errNoUnit(id)
	}
	return u, translate("unit", err)
}

func errNoUnit(id string) error { return notFound("unit %s does not exist", id) }

func errCommitted(id string, incidentID int64) error {
	return fireline.Errorf(fireline.ECONFLICT, "unit %s is committed to incident %d", id, incidentID)
}

func errRetired(id string, at time.Time) error {
	return fireline.Errorf(fireline.ECONFLICT, "unit %s was retired on %s and stays out of service", id, at.UTC().Format(time.RFC3339))
}

// ReserveUnits commits units to an open incident, all or none, and returns them in the order
// asked (repeats dropped). Dispatch is the one place two operators, or a retried activity, can
// race for the same unit, so:
//
//   - the units are locked FOR UPDATE in id order, the order every writer of units uses, so
//     two reservations wait for each other instead of deadlocking;
//   - an unknown unit is ENOTFOUND, a unit retired, out of service or committed to another
//     incident ECONFLICT, and then nothing is reserved;
//   - a unit already on this incident, or already dispatched to it at this same time (a retry
//     of a reservation that succeeded), is returned as it is: reserving is idempotent;
//   - the partial unique index on open assignments backs all this up in the schema.
//
// at is the dispatch time the workflow decided; zero means the database's clock.
func (db *DB) ReserveUnits(ctx context.Context, incidentID int64, unitIDs []string, at time.Time) ([]fireline.Unit, error) {
	var asked []string
	for _, id := range unitIDs {
		if !slices.Contains(asked, id) {
			asked = append(asked, id)
		}
	}
	if len(asked) == 0 {
		return nil, fireline.Errorf(fireline.EINVALID, "units: none given")
	}
	sorted := slices.Sorted(slices.Values(asked))
	var out []fireline.Unit
	err := db.inTx(ctx, "reserve units", func(tx pgx.Tx) error {
		var status fireline.IncidentStatus
		err := tx.QueryRow(ctx, "SELECT status FROM incidents WHERE id = $1 FOR SHARE", incidentID).Scan(&status)
		if noRows(err) {
			return errNoIncident(incidentID)
		}
		if err != nil {
			return translate("reserve units: incident", err)
		}
		if !status.Open() {
			return fireline.Errorf(fireline.ECONFLICT, "incident %d is %s", incidentID, status)
		}

		rows, _ := tx.Query(ctx, `SELECT `+unitColumns+` FROM units WHERE id = ANY($1) ORDER BY id FOR UPDATE`, sorted)
		units, err := pgx.CollectRows(rows, scanUnit)
		if err != nil {
			return translate("reserve units: lock", err)
		}
		byID := make(map[string]fireline.Unit, len(units))
		for _, u := range units {
			byID[u.ID] = u
		}
		rows, _ = tx.Query(ctx, `SELECT unit_id FROM incident_units
			WHERE incident_id = $1 AND unit_id = ANY($2) AND dispatched_at = $3`, incidentID, sorted, nullTime(at))
		done, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translate("reserve units: earlier dispatch", err)
		}

		var reserve []string
		for _, id := range sorted {
			u, ok := byID[id]
			switch {
			case !ok:
				return errNoUnit(id)
			case slices.Contains(done, id), u.IncidentID == incidentID:
				continue // reserved by an earlier call
			case u.IncidentID != 0:
				return errCommitted(id, u.IncidentID)
			case u.RetiredAt != nil:
				return errRetired(id, *u.RetiredAt)
			case u.Status == fireline.UnitOutOfService:
				return fireline.Errorf(fireline.ECONFLICT, "unit %s is out of service", id)
			}
			reserve = append(reserve, id)
		}
		if len(reserve) > 0 {
			_, err := tx.Exec(ctx, `
				INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at)
				SELECT $1, id, type, 'dispatched', coalesce($3, now()) FROM units WHERE id = ANY($2)`,
				incidentID, reserve, nullTime(at))
			if pgConstraint(err) == "incident_units_one_open" {
				return fireline.Errorf(fireline.ECONFLICT, "a unit of %v is committed to another incident", reserve)
			}
			if err != nil {
				return translate("reserve units: assign", err)
			}
			rows, _ := tx.Query(ctx, `UPDATE units SET status = 'dispatched', incident_id = $1, updated_at = now()
				WHERE id = ANY($2) RETURNING `+unitColumns, incidentID, reserve)
			updated, err := pgx.CollectRows(rows, scanUnit)
			if err != nil {
				return translate("reserve units: commit units", err)
			}
			if err := recordUnitEvents(ctx, tx, reserve, incidentID, at, ""); err != nil {
				return err
			}
			for _, u := range updated {
				byID[u.ID] = u
			}
		}
		for _, id := range asked {
			out = append(out, byID[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetUnitStatus is SetUnitStatusBy without an actor: the system's own changes (the incident
// workflow's activities).
func (db *DB) SetUnitStatus(ctx context.Context, unitID string, incidentID int64, s fireline.UnitStatus, at time.Time) (fireline.Unit, error) {
	return db.SetUnitStatusBy(ctx, unitID, incidentID, s, at, "")
}

// SetUnitStatusBy records a unit's new status at time at (zero: the database's clock), made by
// actor (a username; empty for the system), and appends it to the unit's history in the same
// transaction. A repeat of the unit's current status changes nothing and writes no history.
//
// With an incident, the unit must be assigned to it and the move one that somebody may make
// (fireline.UnitStatus.CanMoveTo for a dispatcher: who exactly is the caller's check).
// acknowledged, en_route and on_scene stamp the assignment's time for that step (the first
// report wins, so a retry or a repeat keeps it); a dispatcher's correction back to an earlier
// step clears the stamps of the steps after it; available clears the assignment and frees the
// unit. A repeat of a clearing that already happened changes nothing.
//
// Without an incident (incidentID 0) only available and out_of_service may be set, and only
// on a unit not committed to an incident. A retired unit stays out of service: anything else is
// ECONFLICT.
func (db *DB) SetUnitStatusBy(ctx context.Context, unitID string, incidentID int64, s fireline.UnitStatus, at time.Time, actor string) (fireline.Unit, error) {
	if !s.Valid() {
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "status: %q is not a unit status", s)
	}
	free := s == fireline.UnitAvailable || s == fireline.UnitOutOfService
	var out fireline.Unit
	err := db.inTx(ctx, "set unit status", func(tx pgx.Tx) error {
		u, err := unit(ctx, tx, unitID, "FOR UPDATE")
		if err != nil {
			return err
		}
		if incidentID == 0 {
			switch {
			case !free:
				return fireline.Errorf(fireline.EINVALID, "status %s needs an incident", s)
			case u.IncidentID != 0:
				return fireline.Errorf(fireline.ECONFLICT, "unit %s is committed to incident %d; clear it there", unitID, u.IncidentID)
			case u.RetiredAt != nil && s != fireline.UnitOutOfService:
				return errRetired(unitID, *u.RetiredAt)
			case u.Status == s:
				out = u
				return nil
			}
			out, err = setUnit(ctx, tx, unitID, s, 0)
			if err != nil {
				return err
			}
			return recordUnitEvents(ctx, tx, []string{unitID}, 0, at, actor)
		}

		var assignment int64
		err = tx.QueryRow(ctx, `SELECT id FROM incident_units
			WHERE incident_id = $1 AND unit_id = $2 AND cleared_at IS NULL FOR UPDATE`, incidentID, unitID).Scan(&assignment)
		if noRows(err) {
			switch {
			case u.IncidentID != 0:
				return errCommitted(unitID, u.IncidentID)
			case free && wasAssigned(ctx, tx, incidentID, unitID):
				out = u // cleared already: a repeat
				return nil
			}
			return fireline.Errorf(fireline.ECONFLICT, "unit %s is not assigned to incident %d", unitID, incidentID)
		}
		if err != nil {
			return translate("set unit status: assignment", err)
		}
		if err := u.Status.CanMoveTo(s, true); err != nil {
			return fmt.Errorf("unit %s: %w", unitID, err)
		}
		// $4 and $5: a correction back before en route or on scene unsays those steps.
		_, err = tx.Exec(ctx, `
			UPDATE incident_units SET
				status      = $2,
				ack_at      = CASE WHEN $2 = 'acknowledged' THEN coalesce(ack_at, $3, now()) ELSE ack_at END,
				en_route_at = CASE WHEN $2 = 'en_route' THEN coalesce(en_route_at, $3, now())
				                   WHEN $4 THEN NULL ELSE en_route_at END,
				on_scene_at = CASE WHEN $2 = 'on_scene' THEN coalesce(on_scene_at, $3, now())
				                   WHEN $5 THEN NULL ELSE on_scene_at END,
				cleared_at  = CASE WHEN $2 IN ('available', 'out_of_service') THEN coalesce($3, now()) END
			WHERE id = $1`, assignment, s, nullTime(at), s.Before(fireline.UnitEnRoute), s.Before(fireline.UnitOnScene))
		if err != nil {
			return translate("set unit status: assignment", err)
		}
		if u.Status == s {
			out = u
			return nil
		}
		keep := incidentID
		if free {
			keep = 0
		}
		if out, err = setUnit(ctx, tx, unitID, s, keep); err != nil {
			return err
		}
		return recordUnitEvents(ctx, tx, []string{unitID}, incidentID, at, actor)
	})
	if err != nil {
		return fireline.Unit{}, err
	}
	return out, nil
}

// setUnit writes a unit's status and incident (0: none) and returns the unit.
func setUnit(ctx context.Context, tx pgx.Tx, id string, s fireline.UnitStatus, incidentID int64) (fireline.Unit, error) {
	rows, _ := tx.Query(ctx, `UPDATE units SET status = $2, incident_id = nullif($3, 0), updated_at = now()
		WHERE id = $1 RETURNING `+unitColumns, id, s, incidentID)
	u, err := pgx.CollectExactlyOneRow(rows, scanUnit)
	return u, translate("set unit", err)
}

// recordUnitEvents appends the current status and position of the given units to their
// history, as changed at time at (zero: the database's clock) by actor concerning the incident
// (0: none). It runs in the transaction that changed them, after the change, so a unit's
// history and its row never disagree.
func recordUnitEvents(ctx context.Context, tx pgx.Tx, ids []string, incidentID int64, at time.Time, actor string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO unit_events (unit_id, at, status, incident_id, actor, lat, lng, source, fix_at)
		SELECT id, coalesce($2, now()), status, nullif($3, 0), $4, lat, lng,
			CASE WHEN fix_at IS NULL THEN 'station' ELSE 'avl' END, fix_at
		FROM units WHERE id = ANY($1) ORDER BY id`, ids, nullTime(at), incidentID, actor)
	return translate("record unit history", err)
}

// wasAssigned reports whether the unit has ever been assigned to the incident.
func wasAssigned(ctx context.Context, tx pgx.Tx, incidentID int64, unitID string) bool {
	var ok bool
	err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM incident_units WHERE incident_id = $1 AND unit_id = $2)",
		incidentID, unitID).Scan(&ok)
	return err == nil && ok
}

// ReleaseUnits clears every open assignment of an incident at time at (zero: the database's
// clock) and makes those units available, returning their ids in order. Units are locked in
// id order, as ReserveUnits and SetUnitStatus lock them, so a release racing a crew's status
// report waits rather than deadlocks.
func (db *DB) ReleaseUnits(ctx context.Context, incidentID int64, at time.Time) ([]string, error) {
	var released []string
	err := db.inTx(ctx, "release units", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT id FROM units WHERE id IN
			(SELECT unit_id FROM incident_units WHERE incident_id = $1 AND cleared_at IS NULL)
			ORDER BY id FOR UPDATE`, incidentID)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translate("release units: lock", err)
		}
		if len(ids) == 0 {
			released = []string{}
			return mustExist(ctx, tx, "release units", incidentID)
		}
		// Only the locked units: one reserved after the lock was taken stays on the incident,
		// its assignment and its unit row agreeing.
		if _, err := tx.Exec(ctx, `UPDATE incident_units SET status = 'available', cleared_at = coalesce($3, now())
			WHERE incident_id = $1 AND unit_id = ANY($2) AND cleared_at IS NULL`, incidentID, ids, nullTime(at)); err != nil {
			return translate("release units: clear", err)
		}
		rows, _ = tx.Query(ctx, `UPDATE units SET status = 'available', incident_id = NULL, updated_at = now()
			WHERE id = ANY($1) AND incident_id = $2 RETURNING id`, ids, incidentID)
		freed, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translate("release units: free", err)
		}
		if err := recordUnitEvents(ctx, tx, freed, incidentID, at, ""); err != nil {
			return err
		}
		released = ids
		return nil
	})
	if err != nil {
		return nil, err
	}
	return released, nil
}

// Unavailable returns, by id, those of the given units that may not be dispatched now: committed
// to an incident or out of service. Unknown ids are not returned. The recommender's index follows
// the change feed a moment behind; this is the check that never is.
func (db *DB) Unavailable(ctx context.Context, unitIDs []string) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id FROM units WHERE id = ANY($1)
		AND (status <> 'available' OR incident_id IS NOT NULL) ORDER BY id`, unitIDs)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, translate("unavailable units", err)
}
