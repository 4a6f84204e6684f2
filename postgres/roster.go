package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// rosterColumns are the columns scanRosterEntry reads, of roster r joined to its unit u.
const rosterColumns = `r.id, r.unit_id, r.name, r.username, r.qualifications, r.starts_at, r.ends_at, r.created_by,
	u.status, coalesce(u.incident_id, 0)`

func scanRosterEntry(row pgx.CollectableRow) (fireline.RosterEntry, error) {
	var e fireline.RosterEntry
	err := row.Scan(&e.ID, &e.UnitID, &e.Name, &e.Username, &e.Qualifications, &e.From, &e.To, &e.CreatedBy,
		&e.UnitStatus, &e.IncidentID)
	if e.Qualifications == nil {
		e.Qualifications = []fireline.Qualification{}
	}
	return e, err
}

// qualifications is qs for a text[] column: never NULL.
func qualifications(qs []fireline.Qualification) []fireline.Qualification {
	if qs == nil {
		return []fireline.Qualification{}
	}
	return qs
}

// Roster returns the entries whose shift covers f.At (zero: the database's now), of one unit
// or all, by unit, start and id, each with its unit's status and incident.
func (db *DB) Roster(ctx context.Context, f fireline.RosterFilter) ([]fireline.RosterEntry, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+rosterColumns+` FROM roster r JOIN units u ON u.id = r.unit_id
		WHERE ($1 = '' OR r.unit_id = $1)
			AND r.starts_at <= coalesce($2, now()) AND r.ends_at > coalesce($2, now())
		ORDER BY r.unit_id, r.starts_at, r.id`, f.UnitID, nullTime(f.At))
	out, err := pgx.CollectRows(rows, scanRosterEntry)
	return out, translate("roster", err)
}

// rosterEntry reads one entry through q, with suffix appended (a row lock).
func rosterEntry(ctx context.Context, q querier, id int64, suffix string) (fireline.RosterEntry, error) {
	rows, _ := q.Query(ctx, `SELECT `+rosterColumns+` FROM roster r JOIN units u ON u.id = r.unit_id
		WHERE r.id = $1 `+suffix, id)
	e, err := pgx.CollectExactlyOneRow(rows, scanRosterEntry)
	if noRows(err) {
		return e, notFound("roster entry %d does not exist", id)
	}
	return e, translate("roster entry", err)
}

// touchUnit marks the unit changed, so that its trigger announces the new staffing on the
// change feed: every process's unit index and every console read the unit again.
func touchUnit(ctx context.Context, tx pgx.Tx, unitID string) error {
	_, err := tx.Exec(ctx, `UPDATE units SET updated_at = now() WHERE id = $1`, unitID)
	return translate("roster: touch unit", err)
}

// AddRosterEntry puts a person on a unit for a shift. The unit is locked first, as every writer
// of units does, and the person (their username, or their name without one) under an advisory
// lock, so two supervisors rostering the same person at once cannot both succeed. EINVALID for
// an unknown or retired unit; ECONFLICT when the person is on duty elsewhere, or on this unit,
// for an overlapping shift.
func (db *DB) AddRosterEntry(ctx context.Context, e fireline.RosterEntry, actor string) (fireline.RosterEntry, error) {
	if err := firstErr(checkActor(actor), e.Validate()); err != nil {
		return fireline.RosterEntry{}, err
	}
	person := e.Username
	if person == "" {
		person = e.Name
	}
	var out fireline.RosterEntry
	err := db.inTx(ctx, "add roster entry", func(tx pgx.Tx) error {
		var retired *time.Time
		err := tx.QueryRow(ctx, `SELECT retired_at FROM units WHERE id = $1 FOR UPDATE`, e.UnitID).Scan(&retired)
		switch {
		case noRows(err):
			return fireline.Errorf(fireline.EINVALID, "unit_id: unit %s does not exist", e.UnitID)
		case err != nil:
			return translate("add roster entry: unit", err)
		case retired != nil:
			return fireline.Errorf(fireline.EINVALID, "unit_id: unit %s was retired on %s", e.UnitID, day(*retired))
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('roster:' || $1))`, person); err != nil {
			return translate("add roster entry: lock person", err)
		}
		var clash string
		var clashFrom, clashTo time.Time
		err = tx.QueryRow(ctx, `SELECT unit_id, starts_at, ends_at FROM roster
			WHERE (CASE WHEN username <> '' THEN username ELSE name END) = $1
				AND starts_at < $3 AND ends_at > $2
			ORDER BY starts_at LIMIT 1`, person, e.From, e.To).Scan(&clash, &clashFrom, &clashTo)
		switch {
		case err == nil:
			return fireline.Errorf(fireline.ECONFLICT, "%s is already on duty on unit %s from %s to %s", person, clash,
				clashFrom.UTC().Format(time.RFC3339), clashTo.UTC().Format(time.RFC3339))
		case !noRows(err):
			return translate("add roster entry: overlap", err)
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO roster (unit_id, name, username, qualifications, starts_at, ends_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			e.UnitID, e.Name, e.Username, qualifications(e.Qualifications), e.From, e.To, actor).Scan(&id)
		if err != nil {
			return translate("add roster entry", err)
		}
		if err := touchUnit(ctx, tx, e.UnitID); err != nil {
			return err
		}
		out, err = rosterEntry(ctx, tx, id, "")
		return err
	})
	if err != nil {
		return fireline.RosterEntry{}, err
	}
	return out, nil
}

// EndRosterEntry ends a shift at at (zero: the database's now): a supervisor at the shift
// change sends a crew member home early, or takes off somebody rostered by mistake. A shift
// that has not begun by then is removed; one that has is cut short and kept, so the roster
// still says who crewed the unit; one already over is answered as it is. ENOTFOUND for an
// unknown entry.
func (db *DB) EndRosterEntry(ctx context.Context, id int64, at time.Time, actor string) (fireline.RosterEntry, error) {
	if err := checkActor(actor); err != nil {
		return fireline.RosterEntry{}, err
	}
	var out fireline.RosterEntry
	err := db.inTx(ctx, "end roster entry", func(tx pgx.Tx) error {
		var unitID string
		err := tx.QueryRow(ctx, `SELECT unit_id FROM roster WHERE id = $1`, id).Scan(&unitID)
		if noRows(err) {
			return notFound("roster entry %d does not exist", id)
		}
		if err != nil {
			return translate("end roster entry", err)
		}
		// The unit first, as every writer of units locks it, then the entry.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM units WHERE id = $1 FOR UPDATE`, unitID); err != nil {
			return translate("end roster entry: lock unit", err)
		}
		if out, err = rosterEntry(ctx, tx, id, "FOR UPDATE OF r"); err != nil {
			return err
		}
		end := at
		if end.IsZero() {
			if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&end); err != nil {
				return translate("end roster entry: clock", err)
			}
		}
		switch {
		case !out.To.After(end):
			return nil // over already
		case !out.From.Before(end):
			if _, err := tx.Exec(ctx, `DELETE FROM roster WHERE id = $1`, id); err != nil {
				return translate("end roster entry: remove", err)
			}
			out.To = out.From
		default:
			if _, err := tx.Exec(ctx, `UPDATE roster SET ends_at = $2 WHERE id = $1`, id, end); err != nil {
				return translate("end roster entry", err)
			}
			out.To = end
		}
		return touchUnit(ctx, tx, unitID)
	})
	if err != nil {
		return fireline.RosterEntry{}, err
	}
	return out, nil
}
