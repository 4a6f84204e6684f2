package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

var _ fireline.ImportStore = (*DB)(nil)

// ImportRecords writes a batch of imported records in one transaction. The rows are copied
// (COPY, the fast path) into temporary staging tables that die with the transaction, then moved
// into imported_incidents and imported_units by one INSERT … SELECT each, whose ON CONFLICT
// leaves what is already stored as it is: a re-import writes no row. The one exception is an
// incident's received time, which an earlier one replaces (and an equal or later one does not
// touch, so nothing is written). The batch's incidents must have distinct numbers
// (importer's batch keeps the earliest of each).
func (db *DB) ImportRecords(ctx context.Context, b fireline.ImportBatch) (fireline.ImportCounts, error) {
	var c fireline.ImportCounts
	if b.Dataset == "" {
		return c, fireline.Errorf(fireline.EINVALID, "dataset: required")
	}
	if len(b.Incidents) == 0 && len(b.Units) == 0 {
		return c, nil
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		const stageIncidents = `CREATE TEMP TABLE import_incidents (
			number text NOT NULL, received_at timestamptz NOT NULL, time_zone text NOT NULL,
			type text NOT NULL, category text NOT NULL, source_type text NOT NULL,
			priority text NOT NULL, station_area text NOT NULL, address text NOT NULL,
			lat double precision, lng double precision, cell text NOT NULL, line integer NOT NULL
		) ON COMMIT DROP`
		if _, err := tx.Exec(ctx, stageIncidents); err != nil {
			return err
		}
		incs := b.Incidents
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_incidents"},
			[]string{"number", "received_at", "time_zone", "type", "category", "source_type", "priority", "station_area", "address", "lat", "lng", "cell", "line"},
			pgx.CopyFromSlice(len(incs), func(i int) ([]any, error) {
				in := incs[i]
				var lat, lng any
				if in.Point != nil {
					lat, lng = in.Point.Lat, in.Point.Lng
				}
				return []any{in.Number, in.ReceivedAt, in.TimeZone, string(in.Type), string(in.Category), in.SourceType,
					in.Priority, in.StationArea, in.Address, lat, lng, in.Cell, in.Line}, nil
			}))
		if err != nil {
			return err
		}
		const moveIncidents = `WITH w AS (
			INSERT INTO imported_incidents (dataset, number, received_at, time_zone, type, category, source_type,
				priority, station_area, address, lat, lng, cell, line)
			SELECT $1, number, received_at, time_zone, type, category, source_type,
				priority, station_area, address, lat, lng, cell, line
			FROM import_incidents
			ON CONFLICT (dataset, number) DO UPDATE SET received_at = excluded.received_at, line = excluded.line
				WHERE excluded.received_at < imported_incidents.received_at
			RETURNING (xmax = 0) AS inserted
		) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM w`
		if err := tx.QueryRow(ctx, moveIncidents, b.Dataset).Scan(&c.IncidentsAdded, &c.IncidentsEarlier); err != nil {
			return err
		}
		if len(b.Units) == 0 {
			return nil
		}
		const stageUnits = `CREATE TEMP TABLE import_units (
			number text NOT NULL, row_key text NOT NULL, unit_id text NOT NULL, unit_type text NOT NULL,
			source_unit_type text NOT NULL, dispatched_at timestamptz, en_route_at timestamptz,
			on_scene_at timestamptz, available_at timestamptz, line integer NOT NULL
		) ON COMMIT DROP`
		if _, err := tx.Exec(ctx, stageUnits); err != nil {
			return err
		}
		units := b.Units
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_units"},
			[]string{"number", "row_key", "unit_id", "unit_type", "source_unit_type", "dispatched_at", "en_route_at", "on_scene_at", "available_at", "line"},
			pgx.CopyFromSlice(len(units), func(i int) ([]any, error) {
				u := units[i]
				return []any{u.Number, u.RowKey, u.UnitID, string(u.UnitType), u.SourceUnitType,
					nullTime(u.DispatchedAt), nullTime(u.EnRouteAt), nullTime(u.OnSceneAt), nullTime(u.AvailableAt), u.Line}, nil
			}))
		if err != nil {
			return err
		}
		const moveUnits = `WITH w AS (
			INSERT INTO imported_units (incident_id, row_key, unit_id, unit_type, source_unit_type,
				dispatched_at, en_route_at, on_scene_at, available_at, line)
			SELECT i.id, u.row_key, u.unit_id, u.unit_type, u.source_unit_type,
				u.dispatched_at, u.en_route_at, u.on_scene_at, u.available_at, u.line
			FROM import_units u JOIN imported_incidents i ON i.dataset = $1 AND i.number = u.number
			ON CONFLICT (incident_id, row_key) DO NOTHING
			RETURNING 1
		) SELECT count(*) FROM w`
		return tx.QueryRow(ctx, moveUnits, b.Dataset).Scan(&c.UnitsAdded)
	})
	if err != nil {
		return fireline.ImportCounts{}, translate("import records", err)
	}
	return c, nil
}
