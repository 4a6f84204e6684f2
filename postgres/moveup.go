package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// PostUnit records an accepted move-up: the unit, which must be available, stands by at the
// move-up's station from time at (zero: the database's clock). A move-up to the unit's own home
// station ends its post. stationCell is the station's resolution-9 H3 cell (hex): a unit without
// an AVL fix is taken to be at its post, so its position and cell move there; with a fix they
// stay the fix's. The decision, with the figures it was made on, and an entry in the unit's
// history are written in the same transaction. It returns the stored decision and the unit.
//
// ENOTFOUND for an unknown unit or station; ECONFLICT for a unit that is not available, not
// of the suggestion's type, or already posted at that station.
func (db *DB) PostUnit(ctx context.Context, m fireline.MoveUp, stationCell string, at time.Time, actor string) (fireline.MoveUp, fireline.Unit, error) {
	if err := validDecision(m, actor); err != nil {
		return fireline.MoveUp{}, fireline.Unit{}, err
	}
	if stationCell == "" {
		return fireline.MoveUp{}, fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "a move-up needs the station's cell")
	}
	var out fireline.MoveUp
	var u fireline.Unit
	err := db.inTx(ctx, "move up", func(tx pgx.Tx) error {
		cur, err := unit(ctx, tx, m.UnitID, "FOR UPDATE")
		if err != nil {
			return err
		}
		home := cur.StationID
		switch {
		case cur.Status != fireline.UnitAvailable || cur.IncidentID != 0:
			return fireline.Errorf(fireline.ECONFLICT, "unit %s is %s: only an available unit moves up", m.UnitID, cur.Status)
		case cur.Type != m.Type:
			return fireline.Errorf(fireline.ECONFLICT, "unit %s is a %s, not a %s", m.UnitID, cur.Type, m.Type)
		case cur.PostStationID == m.ToStationID, cur.PostStationID == "" && home == m.ToStationID:
			return fireline.Errorf(fireline.ECONFLICT, "unit %s already stands by at station %s", m.UnitID, m.ToStationID)
		}
		m.FromStationID = cur.PostStationID
		if m.FromStationID == "" {
			m.FromStationID = home
		}
		post := m.ToStationID
		if post == home {
			post = "" // back to quarters
		}
		var station fireline.Point
		var retired *time.Time
		err = tx.QueryRow(ctx, "SELECT lat, lng, retired_at FROM stations WHERE id = $1 FOR SHARE", m.ToStationID).
			Scan(&station.Lat, &station.Lng, &retired)
		if noRows(err) {
			return notFound("station %s does not exist", m.ToStationID)
		}
		if err == nil && retired != nil {
			return fireline.Errorf(fireline.ECONFLICT, "station %s was retired on %s", m.ToStationID, retired.Format(time.DateOnly))
		}
		if err != nil {
			return translate("move up: station", err)
		}
		rows, _ := tx.Query(ctx, `
			UPDATE units SET post_station_id = nullif($2, ''), updated_at = now(),
				lat  = CASE WHEN fix_at IS NULL THEN $3 ELSE lat END,
				lng  = CASE WHEN fix_at IS NULL THEN $4 ELSE lng END,
				cell = CASE WHEN fix_at IS NULL THEN $5 ELSE cell END
			WHERE id = $1 RETURNING `+unitColumns, m.UnitID, post, station.Lat, station.Lng, stationCell)
		if u, err = pgx.CollectExactlyOneRow(rows, scanUnit); err != nil {
			return translate("move up", err)
		}
		note := "move-up to station " + m.ToStationID
		if post == "" {
			note = "back to home station " + home
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO unit_events (unit_id, at, status, actor, lat, lng, source, fix_at, note)
			SELECT id, coalesce($2, now()), status, $3, lat, lng,
				CASE WHEN fix_at IS NULL THEN 'station' ELSE 'avl' END, fix_at, $4
			FROM units WHERE id = $1`, m.UnitID, nullTime(at), actor, note); err != nil {
			return translate("move up: history", err)
		}
		out, err = insertDecision(ctx, tx, m, fireline.MoveUpAccepted, at, actor)
		return err
	})
	if err != nil {
		return fireline.MoveUp{}, fireline.Unit{}, err
	}
	return out, u, nil
}

// IgnoreMoveUp records that an operator ignored a move-up suggestion at time at (zero: the
// database's clock). ENOTFOUND for an unknown unit or station.
func (db *DB) IgnoreMoveUp(ctx context.Context, m fireline.MoveUp, at time.Time, actor string) (fireline.MoveUp, error) {
	if err := validDecision(m, actor); err != nil {
		return fireline.MoveUp{}, err
	}
	var out fireline.MoveUp
	err := db.inTx(ctx, "ignore move-up", func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM units WHERE id = $1)", m.UnitID).Scan(&exists); err != nil {
			return translate("ignore move-up: unit", err)
		}
		if !exists {
			return errNoUnit(m.UnitID)
		}
		var err error
		out, err = insertDecision(ctx, tx, m, fireline.MoveUpIgnored, at, actor)
		return err
	})
	return out, err
}

// MaxMoveUps bounds one read of move-up decisions.
const MaxMoveUps = 1000

// MoveUps returns the move-up decisions made at or after since, newest first, at most limit
// (1..MaxMoveUps).
func (db *DB) MoveUps(ctx context.Context, since time.Time, limit int) ([]fireline.MoveUp, error) {
	if limit < 1 || limit > MaxMoveUps {
		return nil, fireline.Errorf(fireline.EINVALID, "limit: %d is outside 1..%d", limit, MaxMoveUps)
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+moveUpColumns+` FROM move_ups WHERE decided_at >= $1
		ORDER BY decided_at DESC, id DESC LIMIT $2`, since, limit)
	out, err := pgx.CollectRows(rows, scanMoveUp)
	return out, translate("move-ups", err)
}

const moveUpColumns = `id, unit_id, unit_type, from_station_id, to_station_id, decision, actor, decided_at, travel_s,
	gap_cells_before, gap_cells_after, gap_weight_before, gap_weight_after, reason`

func scanMoveUp(r pgx.CollectableRow) (fireline.MoveUp, error) {
	var m fireline.MoveUp
	var at time.Time
	err := r.Scan(&m.ID, &m.UnitID, &m.Type, &m.FromStationID, &m.ToStationID, &m.Decision, &m.Actor, &at,
		&m.TravelSeconds, &m.GapCellsBefore, &m.GapCellsAfter, &m.GapWeightBefore, &m.GapWeightAfter, &m.Reason)
	m.At = &at
	return m, err
}

func insertDecision(ctx context.Context, tx pgx.Tx, m fireline.MoveUp, d fireline.MoveUpDecision, at time.Time, actor string) (fireline.MoveUp, error) {
	rows, _ := tx.Query(ctx, `
		INSERT INTO move_ups (unit_id, unit_type, from_station_id, to_station_id, decision, actor, decided_at, travel_s,
			gap_cells_before, gap_cells_after, gap_weight_before, gap_weight_after, reason)
		VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8, $9, $10, $11, $12, $13)
		RETURNING `+moveUpColumns,
		m.UnitID, m.Type, m.FromStationID, m.ToStationID, d, actor, nullTime(at), m.TravelSeconds,
		m.GapCellsBefore, m.GapCellsAfter, m.GapWeightBefore, m.GapWeightAfter, m.Reason)
	out, err := pgx.CollectExactlyOneRow(rows, scanMoveUp)
	if pgCode(err) == "23503" { // foreign_key_violation: the station
		return fireline.MoveUp{}, notFound("station %s does not exist", m.ToStationID)
	}
	return out, translate("move-up decision", err)
}

// validDecision checks what the caller must supply to record a decision.
func validDecision(m fireline.MoveUp, actor string) error {
	switch {
	case m.UnitID == "":
		return fireline.Errorf(fireline.EINVALID, "unit_id: a move-up needs a unit")
	case m.ToStationID == "":
		return fireline.Errorf(fireline.EINVALID, "station_id: a move-up needs a station")
	case !m.Type.Valid():
		return fireline.Errorf(fireline.EINVALID, "unit_type: %q is not a unit type", m.Type)
	case actor == "":
		return fireline.Errorf(fireline.EINVALID, "a move-up decision needs the operator who made it")
	case m.TravelSeconds < 0 || m.GapCellsBefore < 0 || m.GapCellsAfter < 0 || m.GapWeightBefore < 0 || m.GapWeightAfter < 0:
		return fireline.Errorf(fireline.EINVALID, "a move-up's figures cannot be negative")
	}
	return nil
}
