package postgres

import (
	"context"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// Incident types as data (0014_incident_types.sql): administered like the other reference
// data, in one transaction with their audit entry, retired rather than deleted.

var _ fireline.IncidentTypeStore = (*DB)(nil)

const typeColumns = "code, name_zh, name_en, category, timers, agency_tasks, retired_at"

func scanType(r pgx.CollectableRow) (fireline.TypeDefinition, error) {
	var d fireline.TypeDefinition
	err := r.Scan(&d.Code, &d.NameZH, &d.NameEN, &d.Category, &d.Timers, &d.AgencyTasks, &d.RetiredAt)
	if d.AgencyTasks == nil {
		d.AgencyTasks = []fireline.TypeTask{}
	}
	return d, err
}

// IncidentTypeDefs lists the incident types by code; retired ones only with f.IncludeRetired.
func (db *DB) IncidentTypeDefs(ctx context.Context, f fireline.RefFilter) ([]fireline.TypeDefinition, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+typeColumns+" FROM incident_types WHERE $1 OR retired_at IS NULL ORDER BY code", f.IncludeRetired)
	out, err := pgx.CollectRows(rows, scanType)
	return out, translate("incident types", err)
}

// IncidentTypeDef returns one incident type, retired or not; ENOTFOUND when there is none.
func (db *DB) IncidentTypeDef(ctx context.Context, code fireline.IncidentType) (fireline.TypeDefinition, error) {
	return incidentType(ctx, db.pool, code, "")
}

func incidentType(ctx context.Context, q querier, code fireline.IncidentType, suffix string) (fireline.TypeDefinition, error) {
	rows, _ := q.Query(ctx, "SELECT "+typeColumns+" FROM incident_types WHERE code = $1 "+suffix, code)
	d, err := pgx.CollectExactlyOneRow(rows, scanType)
	if noRows(err) {
		return fireline.TypeDefinition{}, notFound("incident type %s does not exist", code)
	}
	return d, translate("incident type", err)
}

// typeInForce checks, in q, that code names a type in force, and returns its category: what an
// alarm, an assessment or a run card of that type needs. The failure is the caller's mistake,
// named by field.
func typeInForce(ctx context.Context, q querier, field string, code fireline.IncidentType) (fireline.IncidentCategory, error) {
	var c fireline.IncidentCategory
	var retired *time.Time
	err := q.QueryRow(ctx, "SELECT category, retired_at FROM incident_types WHERE code = $1", code).Scan(&c, &retired)
	switch {
	case noRows(err):
		return "", fireline.Errorf(fireline.EINVALID, "%s: %q is not an incident type", field, code)
	case err != nil:
		return "", translate("incident type", err)
	case retired != nil:
		return "", fireline.Errorf(fireline.EINVALID, "%s: incident type %s was retired on %s", field, code, day(*retired))
	}
	return c, nil
}

// CreateIncidentType adds an incident type in force. ECONFLICT when the code is taken, even by
// a retired type: past incidents of that code must never meet a different type under it.
func (db *DB) CreateIncidentType(ctx context.Context, d fireline.TypeDefinition, actor string) (fireline.TypeDefinition, error) {
	if err := firstErr(checkActor(actor), d.Validate()); err != nil {
		return fireline.TypeDefinition{}, err
	}
	if d.AgencyTasks == nil {
		d.AgencyTasks = []fireline.TypeTask{}
	}
	var out fireline.TypeDefinition
	err := db.inTx(ctx, "create incident type", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `INSERT INTO incident_types (code, name_zh, name_en, category, timers, agency_tasks)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING RETURNING `+typeColumns,
			d.Code, d.NameZH, d.NameEN, d.Category, d.Timers, d.AgencyTasks)
		created, err := pgx.CollectRows(rows, scanType)
		switch {
		case err != nil:
			return translate("create incident type", err)
		case len(created) == 0:
			before, err := incidentType(ctx, tx, d.Code, "")
			if err != nil {
				return err
			}
			if before.RetiredAt != nil {
				return fireline.Errorf(fireline.ECONFLICT, "incident type %s already exists, retired on %s; the codes of retired types are never reused",
					d.Code, day(*before.RetiredAt))
			}
			return fireline.Errorf(fireline.ECONFLICT, "incident type %s already exists", d.Code)
		}
		out = created[0]
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityIncidentType, string(d.Code), nil, out)
	})
	if err != nil {
		return fireline.TypeDefinition{}, err
	}
	return out, nil
}

// UpdateIncidentType replaces a type's names, category, timers and agency tasks. Running
// incidents keep the definition they started with; the next incidents of the type get this
// one. ENOTFOUND for an unknown type, ECONFLICT for a retired one.
func (db *DB) UpdateIncidentType(ctx context.Context, d fireline.TypeDefinition, actor string) (fireline.TypeDefinition, error) {
	if err := firstErr(checkActor(actor), d.Validate()); err != nil {
		return fireline.TypeDefinition{}, err
	}
	if d.AgencyTasks == nil {
		d.AgencyTasks = []fireline.TypeTask{}
	}
	d.RetiredAt = nil
	var out fireline.TypeDefinition
	err := db.inTx(ctx, "update incident type", func(tx pgx.Tx) error {
		before, err := incidentType(ctx, tx, d.Code, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("incident type", string(d.Code), *before.RetiredAt)
		case reflect.DeepEqual(before, d):
			out = before
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE incident_types SET name_zh = $2, name_en = $3, category = $4, timers = $5, agency_tasks = $6
			WHERE code = $1 RETURNING `+typeColumns, d.Code, d.NameZH, d.NameEN, d.Category, d.Timers, d.AgencyTasks)
		if out, err = pgx.CollectExactlyOneRow(rows, scanType); err != nil {
			return translate("update incident type", err)
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityIncidentType, string(d.Code), before, out)
	})
	if err != nil {
		return fireline.TypeDefinition{}, err
	}
	return out, nil
}

// RetireIncidentType retires a type: no new alarm, assessment or run card may name it, and its
// run cards stay as they are for the reviews. Incidents of the type that are running keep
// going with the definition they started with. A repeat changes nothing.
func (db *DB) RetireIncidentType(ctx context.Context, code fireline.IncidentType, actor string) (fireline.TypeDefinition, error) {
	return retire(ctx, db, retirement[fireline.TypeDefinition]{
		op: "retire incident type", entity: fireline.EntityIncidentType,
		locked: func(ctx context.Context, tx pgx.Tx, code string) (fireline.TypeDefinition, error) {
			return incidentType(ctx, tx, fireline.IncidentType(code), "FOR UPDATE")
		},
		retiredAt: func(d fireline.TypeDefinition) *time.Time { return d.RetiredAt },
		stamp: func(ctx context.Context, tx pgx.Tx) (fireline.TypeDefinition, error) {
			rows, _ := tx.Query(ctx, "UPDATE incident_types SET retired_at = now() WHERE code = $1 RETURNING "+typeColumns, code)
			return pgx.CollectExactlyOneRow(rows, scanType)
		},
	}, string(code), actor)
}

// IncidentTypeSnapshot reads a type in force and the run card each level uses (as
// ResponsePlan looks it up) in one repeatable-read transaction, so the snapshot is one moment's.
// EINVALID when the type does not exist or is retired.
func (db *DB) IncidentTypeSnapshot(ctx context.Context, code fireline.IncidentType) (fireline.TypeSnapshot, error) {
	var out fireline.TypeSnapshot
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return out, translate("incident type snapshot", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := typeInForce(ctx, tx, "type", code); err != nil {
		return out, err
	}
	if out.Definition, err = incidentType(ctx, tx, code, ""); err != nil {
		return out, err
	}
	rows, _ := tx.Query(ctx, `SELECT $1::text, l.level, p.slots, p.retired_at FROM generate_series($2::int, $3::int) AS l(level)
		CROSS JOIN LATERAL (SELECT slots, retired_at FROM response_plans
			WHERE incident_type = $1 AND level <= l.level AND retired_at IS NULL ORDER BY level DESC LIMIT 1) AS p
		ORDER BY l.level`, code, fireline.MinLevel, fireline.MaxLevel)
	if out.Plans, err = pgx.CollectRows(rows, scanPlan); err != nil {
		return out, translate("incident type snapshot: plans", err)
	}
	return out, nil
}
