package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// Administration of reference data. Every change runs in one transaction with its entry in
// the admin_audit trail, so a change and its record never disagree. Nothing is deleted: a
// retired record keeps its row and id as evidence for past incidents' reviews, is left out of
// the normal reads, and is not changed again. A repeat of a change that is already in effect
// (the same update, a second retirement) changes nothing and writes no audit entry, so a
// client's retry after a lost answer is harmless.
//
// Locks are taken stations first, then units in id order (as ReserveUnits takes them), so
// administrators and dispatch wait for each other instead of deadlocking.

// writeAudit appends an entry to the audit trail in tx. before is nil for a create; before and
// after are stored as the API shows them.
func writeAudit(ctx context.Context, tx pgx.Tx, actor, action, entity, id string, before, after any) error {
	var b []byte
	if before != nil {
		var err error
		if b, err = json.Marshal(before); err != nil {
			return fmt.Errorf("audit %s %s: %w", entity, id, err)
		}
	}
	a, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", entity, id, err)
	}
	// The request's audit log entry shows the same before and after.
	fireline.NoteChange(ctx, id, json.RawMessage(b), json.RawMessage(a))
	_, err = tx.Exec(ctx, `INSERT INTO admin_audit (actor, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6)`, actor, action, entity, id, b, a)
	return translate("audit", err)
}

// retirement is what one kind of record says to retire it: how to read one locked (FOR
// UPDATE), when one already is, and the statement that retires it and answers it as it now is.
type retirement[T any] struct {
	op, entity string
	locked     func(ctx context.Context, tx pgx.Tx, id string) (T, error)
	retiredAt  func(T) *time.Time
	// guard, if set, refuses to retire before (ECONFLICT with why).
	guard func(ctx context.Context, tx pgx.Tx, before T) error
	// stamp retires the record and reads it back.
	stamp func(ctx context.Context, tx pgx.Tx) (T, error)
}

// retire retires record id in one transaction: it locks the record, answers it unchanged when
// it is retired already (a repeat changes nothing), asks the guard, stamps it and writes the
// audit trail.
func retire[T any](ctx context.Context, db *DB, r retirement[T], id, actor string) (T, error) {
	var out T
	if err := checkActor(actor); err != nil {
		return out, err
	}
	err := db.inTx(ctx, r.op, func(tx pgx.Tx) error {
		before, err := r.locked(ctx, tx, id)
		switch {
		case err != nil:
			return err
		case r.retiredAt(before) != nil:
			out = before
			return nil
		}
		if r.guard != nil {
			if err := r.guard(ctx, tx, before); err != nil {
				return err
			}
		}
		if out, err = r.stamp(ctx, tx); err != nil {
			return translate(r.op, err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditRetire, r.entity, id, before, out)
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func checkActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fireline.Errorf(fireline.EINVALID, "actor: required; every change names who made it")
	}
	return nil
}

// errExists says that a create named an id in use. table is one of ours, never input.
func errExists(ctx context.Context, tx pgx.Tx, what, table, id string) error {
	var retired *time.Time
	err := tx.QueryRow(ctx, "SELECT retired_at FROM "+table+" WHERE id = $1", id).Scan(&retired)
	if err != nil && !noRows(err) {
		return translate("create "+what, err)
	}
	if retired != nil {
		return fireline.Errorf(fireline.ECONFLICT, "%s %s already exists, retired on %s; the ids of retired records are never reused",
			what, id, day(*retired))
	}
	return fireline.Errorf(fireline.ECONFLICT, "%s %s already exists", what, id)
}

func errRetiredRecord(what, id string, at time.Time) error {
	return fireline.Errorf(fireline.ECONFLICT, "%s %s was retired on %s; retired records are kept as they were", what, id, day(at))
}

// day formats a retirement time for messages.
func day(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Station returns one station, retired or not; ENOTFOUND when there is none with this id.
func (db *DB) Station(ctx context.Context, id string) (fireline.Station, error) {
	return station(ctx, db.pool, id, "")
}

func station(ctx context.Context, q querier, id, suffix string) (fireline.Station, error) {
	rows, _ := q.Query(ctx, "SELECT "+stationColumns+" FROM stations WHERE id = $1 "+suffix, id)
	s, err := pgx.CollectExactlyOneRow(rows, scanStation)
	if noRows(err) {
		return fireline.Station{}, notFound("station %s does not exist", id)
	}
	return s, translate("station", err)
}

// CreateStation adds a station in service. ECONFLICT when the id is taken, even by a retired
// station: an old incident's review must never meet a different station under the same id.
func (db *DB) CreateStation(ctx context.Context, s fireline.Station, actor string) (fireline.Station, error) {
	if err := firstErr(checkActor(actor), s.Validate()); err != nil {
		return fireline.Station{}, err
	}
	var out fireline.Station
	err := db.inTx(ctx, "create station", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `INSERT INTO stations (id, name, district, address, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO NOTHING RETURNING `+stationColumns, s.ID, s.Name, s.District, s.Address, s.Point.Lat, s.Point.Lng)
		created, err := pgx.CollectRows(rows, scanStation)
		switch {
		case err != nil:
			return translate("create station", err)
		case len(created) == 0:
			return errExists(ctx, tx, "station", "stations", s.ID)
		}
		out = created[0]
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityStation, s.ID, nil, out)
	})
	if err != nil {
		return fireline.Station{}, err
	}
	return out, nil
}

// UpdateStation replaces a station's name, district, address and position. cell is the
// resolution-9 H3 cell of s.Point (the caller owns the grid): when the station moves, the units
// parked there without an AVL fix move with it to that cell, and every unit based there is
// touched so that each process's unit index learns its new home (where a stale fix falls back
// to). ENOTFOUND for an unknown station, ECONFLICT for a retired one.
func (db *DB) UpdateStation(ctx context.Context, s fireline.Station, cell, actor string) (fireline.Station, error) {
	if err := firstErr(checkActor(actor), s.Validate()); err != nil {
		return fireline.Station{}, err
	}
	if cell == "" {
		return fireline.Station{}, fireline.Errorf(fireline.EINVALID, "location: the cell of the station's position is required")
	}
	s.RetiredAt = nil
	var out fireline.Station
	err := db.inTx(ctx, "update station", func(tx pgx.Tx) error {
		before, err := station(ctx, tx, s.ID, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("station", s.ID, *before.RetiredAt)
		case before == s:
			out = before
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE stations SET name = $2, district = $3, address = $4, lat = $5, lng = $6
			WHERE id = $1 RETURNING `+stationColumns, s.ID, s.Name, s.District, s.Address, s.Point.Lat, s.Point.Lng)
		if out, err = pgx.CollectExactlyOneRow(rows, scanStation); err != nil {
			return translate("update station", err)
		}
		if before.Point != s.Point {
			// Units based here (home, or post after a move-up) are touched so every process's
			// unit index reads their new fallback position; those without a fix that stand here
			// (their post, or their home when they have no post) move with the station.
			rows, _ := tx.Query(ctx, `SELECT id FROM units WHERE (station_id = $1 OR post_station_id = $1)
				AND retired_at IS NULL ORDER BY id FOR UPDATE`, s.ID)
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return translate("update station: lock units", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE units SET
					lat  = CASE WHEN fix_at IS NULL AND coalesce(post_station_id, station_id) = $5 THEN $2 ELSE lat END,
					lng  = CASE WHEN fix_at IS NULL AND coalesce(post_station_id, station_id) = $5 THEN $3 ELSE lng END,
					cell = CASE WHEN fix_at IS NULL AND coalesce(post_station_id, station_id) = $5 THEN $4 ELSE cell END,
					updated_at = now()
				WHERE id = ANY($1)`, ids, s.Point.Lat, s.Point.Lng, cell, s.ID); err != nil {
				return translate("update station: move units", err)
			}
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityStation, s.ID, before, out)
	})
	if err != nil {
		return fireline.Station{}, err
	}
	return out, nil
}

// RetireStation retires a station. ECONFLICT while it is still home to units in service: they
// must move to another station or be retired first, or planning would send them home to a
// station that is gone.
func (db *DB) RetireStation(ctx context.Context, id, actor string) (fireline.Station, error) {
	return retire(ctx, db, retirement[fireline.Station]{
		op: "retire station", entity: fireline.EntityStation,
		locked: func(ctx context.Context, tx pgx.Tx, id string) (fireline.Station, error) {
			return station(ctx, tx, id, "FOR UPDATE")
		},
		retiredAt: func(s fireline.Station) *time.Time { return s.RetiredAt },
		guard: func(ctx context.Context, tx pgx.Tx, before fireline.Station) error {
			rows, _ := tx.Query(ctx, "SELECT id FROM units WHERE station_id = $1 AND retired_at IS NULL ORDER BY id", before.ID)
			based, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return translate("retire station: units", err)
			}
			if n := len(based); n > 0 {
				return fireline.Errorf(fireline.ECONFLICT, "station %s is still home to %d %s (%s); move them to another station or retire them first",
					before.ID, n, plural(n, "unit", "units"), listSome(based, 10))
			}
			rows, _ = tx.Query(ctx, "SELECT id FROM units WHERE post_station_id = $1 AND retired_at IS NULL ORDER BY id", before.ID)
			posted, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return translate("retire station: posted units", err)
			}
			if n := len(posted); n > 0 {
				return fireline.Errorf(fireline.ECONFLICT, "%d %s (%s) stand by at station %s on a move-up; send them back to their home stations first",
					n, plural(n, "unit", "units"), listSome(posted, 10), before.ID)
			}
			return nil
		},
		stamp: func(ctx context.Context, tx pgx.Tx) (fireline.Station, error) {
			rows, _ := tx.Query(ctx, "UPDATE stations SET retired_at = now() WHERE id = $1 RETURNING "+stationColumns, id)
			return pgx.CollectExactlyOneRow(rows, scanStation)
		},
	}, id, actor)
}

// lockHome locks u's home station against being retired or moved until the transaction ends,
// and checks that it is in service and that u.Point is its position, so that u.Cell, which
// the caller computed from u.Point, is the cell the unit is parked in.
func lockHome(ctx context.Context, tx pgx.Tx, u fireline.Unit) error {
	var p fireline.Point
	var retired *time.Time
	err := tx.QueryRow(ctx, "SELECT lat, lng, retired_at FROM stations WHERE id = $1 FOR SHARE", u.StationID).Scan(&p.Lat, &p.Lng, &retired)
	switch {
	case noRows(err):
		return fireline.Errorf(fireline.EINVALID, "station_id: station %s does not exist", u.StationID)
	case err != nil:
		return translate("home station", err)
	case retired != nil:
		return fireline.Errorf(fireline.EINVALID, "station_id: station %s was retired on %s; home the unit at a station in service", u.StationID, day(*retired))
	case p != u.Point:
		return fireline.Errorf(fireline.ECONFLICT, "station %s moved while unit %s was being saved; try again", u.StationID, u.ID)
	}
	return nil
}

// CreateUnit adds a unit parked at its home station: u.Point must be the station's position
// and u.Cell its resolution-9 H3 cell (the caller owns the grid). The unit starts available
// unless u.Status says out_of_service, and its history starts with that status. EINVALID when
// the home station does not exist or is retired; ECONFLICT when the id is taken, even by a
// retired unit. The units trigger announces the new unit, and every process's unit index
// takes it in.
func (db *DB) CreateUnit(ctx context.Context, u fireline.Unit, actor string) (fireline.Unit, error) {
	if u.Status == "" {
		u.Status = fireline.UnitAvailable
	}
	if err := firstErr(checkActor(actor), u.ValidateRecord()); err != nil {
		return fireline.Unit{}, err
	}
	switch {
	case u.Status != fireline.UnitAvailable && u.Status != fireline.UnitOutOfService:
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "status: a new unit starts available or out_of_service, not %q", u.Status)
	case u.Cell == "":
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "cell: the cell of the home station is required")
	}
	var out fireline.Unit
	err := db.inTx(ctx, "create unit", func(tx pgx.Tx) error {
		if err := lockHome(ctx, tx, u); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `INSERT INTO units (id, name, type, status, station_id, lat, lng, cell, min_staff, required_qualifications)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING `+unitColumns,
			u.ID, u.Name, u.Type, u.Status, u.StationID, u.Point.Lat, u.Point.Lng, u.Cell, u.MinStaff, qualifications(u.RequiredQualifications))
		created, err := pgx.CollectRows(rows, scanUnit)
		switch {
		case err != nil:
			return translate("create unit", err)
		case len(created) == 0:
			return errExists(ctx, tx, "unit", "units", u.ID)
		}
		out = created[0]
		if err := recordUnitEvents(ctx, tx, []string{u.ID}, 0, time.Time{}, actor); err != nil {
			return err
		}
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityUnit, u.ID, nil, out)
	})
	if err != nil {
		return fireline.Unit{}, err
	}
	return out, nil
}

// UpdateUnit replaces a unit's name, type and home station. u.Point and u.Cell are the home
// station's position and cell, as for CreateUnit: a unit without an AVL fix is parked there,
// while a unit with a fix keeps it (it falls back to its new home once the fix is stale), and
// so does a unit standing by at another station on a move-up, which stays at its post.
// Status and position have their own ways in (SetUnitStatusBy, ReportPosition). ENOTFOUND for
// an unknown unit, ECONFLICT for a retired one.
func (db *DB) UpdateUnit(ctx context.Context, u fireline.Unit, actor string) (fireline.Unit, error) {
	if err := firstErr(checkActor(actor), u.ValidateRecord()); err != nil {
		return fireline.Unit{}, err
	}
	if u.Cell == "" {
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "cell: the cell of the home station is required")
	}
	var out fireline.Unit
	err := db.inTx(ctx, "update unit", func(tx pgx.Tx) error {
		if err := lockHome(ctx, tx, u); err != nil {
			return err
		}
		before, err := unit(ctx, tx, u.ID, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("unit", u.ID, *before.RetiredAt)
		case before.Name == u.Name && before.Type == u.Type && before.StationID == u.StationID &&
			before.MinStaff == u.MinStaff && slices.Equal(before.RequiredQualifications, qualifications(u.RequiredQualifications)) &&
			(before.PositionAt != nil || (before.Point == u.Point && before.Cell == u.Cell)):
			out = before
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE units SET name = $2, type = $3, station_id = $4,
				lat  = CASE WHEN fix_at IS NULL AND post_station_id IS NULL THEN $5 ELSE lat END,
				lng  = CASE WHEN fix_at IS NULL AND post_station_id IS NULL THEN $6 ELSE lng END,
				cell = CASE WHEN fix_at IS NULL AND post_station_id IS NULL THEN $7 ELSE cell END,
				min_staff = $8, required_qualifications = $9, updated_at = now()
			WHERE id = $1 RETURNING `+unitColumns, u.ID, u.Name, u.Type, u.StationID, u.Point.Lat, u.Point.Lng, u.Cell,
			u.MinStaff, qualifications(u.RequiredQualifications))
		if out, err = pgx.CollectExactlyOneRow(rows, scanUnit); err != nil {
			return translate("update unit", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityUnit, u.ID, before, out)
	})
	if err != nil {
		return fireline.Unit{}, err
	}
	return out, nil
}

// RetireUnit takes a unit out of service for good. ECONFLICT while it is committed to an
// incident: the crew or a dispatcher clears it first (sets it available). The status change is
// written to the unit's history, and the units trigger tells every process's unit index to
// drop the unit, which can then never be recommended, reserved or set available again.
func (db *DB) RetireUnit(ctx context.Context, id, actor string) (fireline.Unit, error) {
	if err := checkActor(actor); err != nil {
		return fireline.Unit{}, err
	}
	var out fireline.Unit
	err := db.inTx(ctx, "retire unit", func(tx pgx.Tx) error {
		before, err := unit(ctx, tx, id, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			out = before
			return nil
		case before.Status.Committed():
			return fireline.Errorf(fireline.ECONFLICT, "unit %s is %s on incident %d; clear it from the incident first (set it available), then retire it",
				id, before.Status, before.IncidentID)
		}
		rows, _ := tx.Query(ctx, `UPDATE units SET status = 'out_of_service', retired_at = now(), updated_at = now()
			WHERE id = $1 RETURNING `+unitColumns, id)
		if out, err = pgx.CollectExactlyOneRow(rows, scanUnit); err != nil {
			return translate("retire unit", err)
		}
		if before.Status != out.Status {
			if err := recordUnitEvents(ctx, tx, []string{id}, 0, time.Time{}, actor); err != nil {
				return err
			}
		}
		return writeAudit(ctx, tx, actor, fireline.AuditRetire, fireline.EntityUnit, id, before, out)
	})
	if err != nil {
		return fireline.Unit{}, err
	}
	return out, nil
}

// WaterSource returns one water source, retired or not; ENOTFOUND when there is none with
// this id.
func (db *DB) WaterSource(ctx context.Context, id string) (fireline.WaterSource, error) {
	return waterSource(ctx, db.pool, id, "")
}

func waterSource(ctx context.Context, q querier, id, suffix string) (fireline.WaterSource, error) {
	rows, _ := q.Query(ctx, "SELECT "+waterColumns+" FROM water_sources WHERE id = $1 "+suffix, id)
	w, err := pgx.CollectExactlyOneRow(rows, scanWaterSource)
	if noRows(err) {
		return fireline.WaterSource{}, notFound("water source %s does not exist", id)
	}
	return w, translate("water source", err)
}

// CreateWaterSource adds a hydrant or static water point; an empty status means working.
// ECONFLICT when the id is taken, even by a retired source.
func (db *DB) CreateWaterSource(ctx context.Context, w fireline.WaterSource, actor string) (fireline.WaterSource, error) {
	if w.Status == "" {
		w.Status = fireline.WaterWorking
	}
	if err := firstErr(checkActor(actor), w.Validate()); err != nil {
		return fireline.WaterSource{}, err
	}
	var out fireline.WaterSource
	err := db.inTx(ctx, "create water source", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `INSERT INTO water_sources (id, kind, flow_lpm, status, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO NOTHING RETURNING `+waterColumns, w.ID, w.Kind, w.FlowLPM, w.Status, w.Point.Lat, w.Point.Lng)
		created, err := pgx.CollectRows(rows, scanWaterSource)
		switch {
		case err != nil:
			return translate("create water source", err)
		case len(created) == 0:
			return errExists(ctx, tx, "water source", "water_sources", w.ID)
		}
		out = created[0]
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityWaterSource, w.ID, nil, out)
	})
	if err != nil {
		return fireline.WaterSource{}, err
	}
	return out, nil
}

// UpdateWaterSource replaces a water source's kind, flow, status and position; an empty status
// means working. Status out_of_service is for a source that will work again (a broken
// hydrant); retire one that is gone. ENOTFOUND for an unknown source, ECONFLICT for a retired one.
func (db *DB) UpdateWaterSource(ctx context.Context, w fireline.WaterSource, actor string) (fireline.WaterSource, error) {
	if w.Status == "" {
		w.Status = fireline.WaterWorking
	}
	if err := firstErr(checkActor(actor), w.Validate()); err != nil {
		return fireline.WaterSource{}, err
	}
	w.RetiredAt = nil
	var out fireline.WaterSource
	err := db.inTx(ctx, "update water source", func(tx pgx.Tx) error {
		before, err := waterSource(ctx, tx, w.ID, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("water source", w.ID, *before.RetiredAt)
		case before == w:
			out = before
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE water_sources SET kind = $2, flow_lpm = $3, status = $4, lat = $5, lng = $6
			WHERE id = $1 RETURNING `+waterColumns, w.ID, w.Kind, w.FlowLPM, w.Status, w.Point.Lat, w.Point.Lng)
		if out, err = pgx.CollectExactlyOneRow(rows, scanWaterSource); err != nil {
			return translate("update water source", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityWaterSource, w.ID, before, out)
	})
	if err != nil {
		return fireline.WaterSource{}, err
	}
	return out, nil
}

// RetireWaterSource retires a water source that is gone (removed, filled in): it leaves the
// lists and the nearby searches for good.
func (db *DB) RetireWaterSource(ctx context.Context, id, actor string) (fireline.WaterSource, error) {
	return retire(ctx, db, retirement[fireline.WaterSource]{
		op: "retire water source", entity: fireline.EntityWaterSource,
		locked: func(ctx context.Context, tx pgx.Tx, id string) (fireline.WaterSource, error) {
			return waterSource(ctx, tx, id, "FOR UPDATE")
		},
		retiredAt: func(w fireline.WaterSource) *time.Time { return w.RetiredAt },
		stamp: func(ctx context.Context, tx pgx.Tx) (fireline.WaterSource, error) {
			rows, _ := tx.Query(ctx, "UPDATE water_sources SET retired_at = now() WHERE id = $1 RETURNING "+waterColumns, id)
			return pgx.CollectExactlyOneRow(rows, scanWaterSource)
		},
	}, id, actor)
}

// Premise returns one key premises, retired or not; ENOTFOUND when there is none with this id.
func (db *DB) Premise(ctx context.Context, id string) (fireline.Premise, error) {
	return premise(ctx, db.pool, id, "")
}

func premise(ctx context.Context, q querier, id, suffix string) (fireline.Premise, error) {
	rows, _ := q.Query(ctx, "SELECT "+premiseColumns+" FROM premises WHERE id = $1 "+suffix, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanPremise)
	if noRows(err) {
		return fireline.Premise{}, notFound("premises %s does not exist", id)
	}
	return p, translate("premises", err)
}

// CreatePremise adds a key premises. ECONFLICT when the id is taken, even by retired premises.
func (db *DB) CreatePremise(ctx context.Context, p fireline.Premise, actor string) (fireline.Premise, error) {
	if err := firstErr(checkActor(actor), p.Validate()); err != nil {
		return fireline.Premise{}, err
	}
	var out fireline.Premise
	err := db.inTx(ctx, "create premises", func(tx pgx.Tx) error {
		if p.PlanType != "" {
			if _, err := typeInForce(ctx, tx, "plan_type", p.PlanType); err != nil {
				return err
			}
		}
		rows, _ := tx.Query(ctx, `INSERT INTO premises (id, name, kind, address, lat, lng, hazards, pre_plan, plan_type, plan_level)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '{}'::text[]), $8, $9, $10)
			ON CONFLICT (id) DO NOTHING RETURNING `+premiseColumns,
			p.ID, p.Name, p.Kind, p.Address, p.Point.Lat, p.Point.Lng, p.Hazards, p.PrePlan, p.PlanType, p.PlanLevel)
		created, err := pgx.CollectRows(rows, scanPremise)
		switch {
		case err != nil:
			return translate("create premises", err)
		case len(created) == 0:
			return errExists(ctx, tx, "premises", "premises", p.ID)
		}
		out = created[0]
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityPremise, p.ID, nil, out)
	})
	if err != nil {
		return fireline.Premise{}, err
	}
	return out, nil
}

// UpdatePremise replaces a key premises' name, kind, address, position, hazards and pre-plan.
// ENOTFOUND for unknown premises, ECONFLICT for retired ones.
func (db *DB) UpdatePremise(ctx context.Context, p fireline.Premise, actor string) (fireline.Premise, error) {
	if err := firstErr(checkActor(actor), p.Validate()); err != nil {
		return fireline.Premise{}, err
	}
	var out fireline.Premise
	err := db.inTx(ctx, "update premises", func(tx pgx.Tx) error {
		if p.PlanType != "" {
			if _, err := typeInForce(ctx, tx, "plan_type", p.PlanType); err != nil {
				return err
			}
		}
		before, err := premise(ctx, tx, p.ID, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("premises", p.ID, *before.RetiredAt)
		case samePremise(before, p):
			out = before
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE premises SET name = $2, kind = $3, address = $4, lat = $5, lng = $6,
				hazards = coalesce($7, '{}'::text[]), pre_plan = $8, plan_type = $9, plan_level = $10
			WHERE id = $1 RETURNING `+premiseColumns, p.ID, p.Name, p.Kind, p.Address, p.Point.Lat, p.Point.Lng, p.Hazards, p.PrePlan,
			p.PlanType, p.PlanLevel)
		if out, err = pgx.CollectExactlyOneRow(rows, scanPremise); err != nil {
			return translate("update premises", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityPremise, p.ID, before, out)
	})
	if err != nil {
		return fireline.Premise{}, err
	}
	return out, nil
}

func samePremise(a, b fireline.Premise) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.Address == b.Address && a.Point == b.Point &&
		a.PrePlan == b.PrePlan && slices.Equal(a.Hazards, b.Hazards) && a.PlanType == b.PlanType && a.PlanLevel == b.PlanLevel
}

// RetirePremise retires key premises (demolished, no longer a key premises): they leave the
// lists and the nearby searches for good.
func (db *DB) RetirePremise(ctx context.Context, id, actor string) (fireline.Premise, error) {
	return retire(ctx, db, retirement[fireline.Premise]{
		op: "retire premises", entity: fireline.EntityPremise,
		locked: func(ctx context.Context, tx pgx.Tx, id string) (fireline.Premise, error) {
			return premise(ctx, tx, id, "FOR UPDATE")
		},
		retiredAt: func(p fireline.Premise) *time.Time { return p.RetiredAt },
		stamp: func(ctx context.Context, tx pgx.Tx) (fireline.Premise, error) {
			rows, _ := tx.Query(ctx, "UPDATE premises SET retired_at = now() WHERE id = $1 RETURNING "+premiseColumns, id)
			return pgx.CollectExactlyOneRow(rows, scanPremise)
		},
	}, id, actor)
}

// Plan returns the run card in force for incident type t at exactly this level (ResponsePlan
// is the lookup with fallback that dispatch uses). With includeRetired, a key without a card in
// force answers its most recently retired card. ENOTFOUND when there is none.
func (db *DB) Plan(ctx context.Context, t fireline.IncidentType, level int, includeRetired bool) (fireline.ResponsePlan, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+planColumns+` FROM response_plans
		WHERE incident_type = $1 AND level = $2 AND ($3 OR retired_at IS NULL)
		ORDER BY retired_at DESC NULLS FIRST, id DESC LIMIT 1`, t, level, includeRetired)
	p, err := pgx.CollectExactlyOneRow(rows, scanPlan)
	if noRows(err) {
		return fireline.ResponsePlan{}, errNoPlan(t, level)
	}
	return p, translate("response plan", err)
}

func errNoPlan(t fireline.IncidentType, level int) error {
	return notFound("no response plan in force for %s at level %d", t, level)
}

// CreatePlan puts a run card in force for its incident type and level. ECONFLICT when a card
// for that key is in force already: update it instead. A key whose cards were all retired
// takes a new card; the retired ones stay as they were.
func (db *DB) CreatePlan(ctx context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error) {
	if err := firstErr(checkActor(actor), p.Validate()); err != nil {
		return fireline.ResponsePlan{}, err
	}
	var out fireline.ResponsePlan
	err := db.inTx(ctx, "create response plan", func(tx pgx.Tx) error {
		if _, err := typeInForce(ctx, tx, "incident_type", p.IncidentType); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `INSERT INTO response_plans (incident_type, level, slots) VALUES ($1, $2, $3)
			ON CONFLICT (incident_type, level) WHERE retired_at IS NULL DO NOTHING RETURNING `+planColumns,
			p.IncidentType, p.Level, p.Slots)
		created, err := pgx.CollectRows(rows, scanPlan)
		switch {
		case err != nil:
			return translate("create response plan", err)
		case len(created) == 0:
			return fireline.Errorf(fireline.ECONFLICT, "a response plan for %s at level %d is in force already; update it instead",
				p.IncidentType, p.Level)
		}
		out = created[0]
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityResponsePlan, p.Key(), nil, out)
	})
	if err != nil {
		return fireline.ResponsePlan{}, err
	}
	return out, nil
}

// UpdatePlan replaces the slots of the run card in force for p's incident type and level.
// ENOTFOUND when no card is in force for that key.
func (db *DB) UpdatePlan(ctx context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error) {
	if err := firstErr(checkActor(actor), p.Validate()); err != nil {
		return fireline.ResponsePlan{}, err
	}
	p.RetiredAt = nil
	var out fireline.ResponsePlan
	err := db.inTx(ctx, "update response plan", func(tx pgx.Tx) error {
		if _, err := typeInForce(ctx, tx, "incident_type", p.IncidentType); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, "SELECT "+planColumns+` FROM response_plans
			WHERE incident_type = $1 AND level = $2 AND retired_at IS NULL FOR UPDATE`, p.IncidentType, p.Level)
		before, err := pgx.CollectExactlyOneRow(rows, scanPlan)
		switch {
		case noRows(err):
			return errNoPlan(p.IncidentType, p.Level)
		case err != nil:
			return translate("update response plan", err)
		case slices.Equal(before.Slots, p.Slots):
			out = before
			return nil
		}
		rows, _ = tx.Query(ctx, `UPDATE response_plans SET slots = $3
			WHERE incident_type = $1 AND level = $2 AND retired_at IS NULL RETURNING `+planColumns, p.IncidentType, p.Level, p.Slots)
		if out, err = pgx.CollectExactlyOneRow(rows, scanPlan); err != nil {
			return translate("update response plan", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityResponsePlan, p.Key(), before, out)
	})
	if err != nil {
		return fireline.ResponsePlan{}, err
	}
	return out, nil
}

// RetirePlan retires the run card in force for incident type t at level; the levels it served
// fall back to the card of the highest level below it. ECONFLICT when it is the lowest card in
// force for t: alarms at its levels would have no card, and the recommender nothing to fill.
// ENOTFOUND when no card is in force for that key.
func (db *DB) RetirePlan(ctx context.Context, t fireline.IncidentType, level int, actor string) (fireline.ResponsePlan, error) {
	if err := checkActor(actor); err != nil {
		return fireline.ResponsePlan{}, err
	}
	var out fireline.ResponsePlan
	err := db.inTx(ctx, "retire response plan", func(tx pgx.Tx) error {
		// Every card of the type in force, locked in level order: the rule looks at them all.
		rows, _ := tx.Query(ctx, "SELECT "+planColumns+` FROM response_plans
			WHERE incident_type = $1 AND retired_at IS NULL ORDER BY level FOR UPDATE`, t)
		cards, err := pgx.CollectRows(rows, scanPlan)
		if err != nil {
			return translate("retire response plan", err)
		}
		i := -1
		for j, c := range cards {
			if c.Level == level {
				i = j
			}
		}
		switch {
		case i < 0:
			return errNoPlan(t, level)
		case i == 0:
			upTo := fireline.MaxLevel
			if len(cards) > 1 {
				upTo = cards[1].Level - 1
			}
			return fireline.Errorf(fireline.ECONFLICT, "the %s card at level %d is the lowest in force: retiring it leaves alarms at %s with no units to recommend; update it instead, or add a card at a lower level first",
				t, level, levels(level, upTo))
		}
		before := cards[i]
		rows, _ = tx.Query(ctx, `UPDATE response_plans SET retired_at = now()
			WHERE incident_type = $1 AND level = $2 AND retired_at IS NULL RETURNING `+planColumns, t, level)
		if out, err = pgx.CollectExactlyOneRow(rows, scanPlan); err != nil {
			return translate("retire response plan", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditRetire, fireline.EntityResponsePlan, before.Key(), before, out)
	})
	if err != nil {
		return fireline.ResponsePlan{}, err
	}
	return out, nil
}

// levels names a range of alarm levels: "level 1" or "levels 1..3".
func levels(from, to int) string {
	if from == to {
		return fmt.Sprintf("level %d", from)
	}
	return fmt.Sprintf("levels %d..%d", from, to)
}

// Audit returns entries of the audit trail that pass f, newest first.
func (db *DB) Audit(ctx context.Context, f fireline.AuditFilter) ([]fireline.AuditEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, _ := db.pool.Query(ctx, `SELECT id, at, actor, action, entity, entity_id, before, after FROM admin_audit
		WHERE ($1 = '' OR entity = $1) AND ($2 = '' OR entity_id = $2) AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.Entity, f.EntityID, f.BeforeID, f.Limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.AuditEntry, error) {
		var e fireline.AuditEntry
		var before, after []byte
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &before, &after)
		e.Before, e.After = before, after
		return e, err
	})
	if out == nil && err == nil {
		out = []fireline.AuditEntry{}
	}
	return out, translate("audit", err)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// listSome joins up to max ids, saying how many more there are.
func listSome(ids []string, max int) string {
	if len(ids) <= max {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:max], ", "), len(ids)-max)
}
