package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// ReportPosition stores a unit's AVL fix, unless the unit already holds one taken at the same
// time or later: trackers resend and networks reorder, and an old fix must never move a unit
// back. stored says whether the fix was taken; either way u is the unit as it now is.
// ENOTFOUND when there is no such unit.
//
// It is one UPDATE, in any status: trackers report every few seconds. The units trigger
// announces the change, and every process's unit index re-reads the unit from it.
func (db *DB) ReportPosition(ctx context.Context, unitID string, f fireline.Fix) (u fireline.Unit, stored bool, err error) {
	if err := f.Point.Validate(); err != nil {
		return fireline.Unit{}, false, err
	}
	if f.At.IsZero() || f.Cell == "" {
		return fireline.Unit{}, false, fireline.Errorf(fireline.EINVALID, "a fix needs a time and a cell")
	}
	rows, _ := db.pool.Query(ctx, `
		UPDATE units SET lat = $2, lng = $3, cell = $4, fix_at = $5, heading = $6, speed = $7, accuracy = $8,
			updated_at = now()
		WHERE id = $1 AND (fix_at IS NULL OR fix_at < $5)
		RETURNING `+unitColumns,
		unitID, f.Point.Lat, f.Point.Lng, f.Cell, f.At, f.Heading, f.SpeedMPS, f.AccuracyMeters)
	u, err = pgx.CollectExactlyOneRow(rows, scanUnit)
	switch {
	case err == nil:
		return u, true, nil
	case !noRows(err):
		return fireline.Unit{}, false, translate("report position", err)
	}
	// No row: the unit does not exist, or it holds a fix at least as new.
	u, err = db.Unit(ctx, unitID)
	return u, false, err
}

// MaxHistory bounds one read of a unit's history.
const MaxHistory = fireline.MaxUnitHistory

// UnitHistory returns the latest f.Limit (1..MaxHistory) entries of a unit's history between
// f.From (included) and f.To (excluded), newest first. ENOTFOUND when there is no such unit.
func (db *DB) UnitHistory(ctx context.Context, unitID string, f fireline.HistoryFilter) ([]fireline.UnitEvent, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT id, unit_id, at, status, coalesce(incident_id, 0), actor, lat, lng, source, fix_at, note
		FROM unit_events WHERE unit_id = $1 AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
		ORDER BY at DESC, id DESC LIMIT $2`, unitID, f.Limit, nullTime(f.From), nullTime(f.To))
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.UnitEvent, error) {
		var e fireline.UnitEvent
		err := r.Scan(&e.ID, &e.UnitID, &e.At, &e.Status, &e.IncidentID, &e.Actor, &e.Point.Lat, &e.Point.Lng,
			&e.PositionSource, &e.PositionAt, &e.Note)
		return e, err
	})
	if err != nil {
		return nil, translate("unit history", err)
	}
	if len(events) == 0 {
		var exists bool
		err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM units WHERE id = $1)", unitID).Scan(&exists)
		if err != nil {
			return nil, translate("unit history", err)
		}
		if !exists {
			return nil, errNoUnit(unitID)
		}
		return []fireline.UnitEvent{}, nil
	}
	return events, nil
}
