package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// RiskIncidents counts the incidents received in [since, at) by resolution-9 cell, category,
// full years before at (a year of 365.25 days) and source. Live incidents count unless they
// were cancelled (a false alarm) or merged into another (which counts them); their category is
// their type's. Imported records count where they have a position.
func (db *DB) RiskIncidents(ctx context.Context, since, at time.Time) ([]fireline.RiskIncidents, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT cell, category, years_ago, imported, count(*)::int FROM (
			SELECT i.cell, coalesce(t.category, 'other') AS category,
			       floor(extract(epoch FROM ($2 - i.created_at)) / 31557600)::int AS years_ago, false AS imported
			FROM incidents i LEFT JOIN incident_types t ON t.code = i.type
			WHERE i.created_at >= $1 AND i.created_at < $2 AND i.cell <> ''
			  AND coalesce(i.outcome, '') NOT IN ('cancelled', 'merged')
			UNION ALL
			SELECT cell, category, floor(extract(epoch FROM ($2 - received_at)) / 31557600)::int, true
			FROM imported_incidents
			WHERE received_at >= $1 AND received_at < $2 AND cell <> ''
		) x
		GROUP BY cell, category, years_ago, imported
		ORDER BY cell, category, years_ago, imported`, since, at)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.RiskIncidents, error) {
		var c fireline.RiskIncidents
		err := r.Scan(&c.Cell, &c.Category, &c.YearsAgo, &c.Imported, &c.Count)
		return c, err
	})
	return out, translate("count incidents for the risk grid", err)
}

// riskRunsKept is how long the record of past runs is kept.
const riskRunsKept = 30 * 24 * time.Hour

// SaveRiskRun replaces the stored grid with run's cells and records the run, whose row
// announces it (kind "risk"). Runs take their turn under a lock; a run older than the one
// stored is dropped, so a slow run finishing late never puts back an older grid.
func (db *DB) SaveRiskRun(ctx context.Context, run fireline.RiskRun) error {
	const op = "save risk grid"
	cells := make([]string, len(run.Cells))
	scores := make([]float64, len(run.Cells))
	factors := make([]string, len(run.Cells))
	for i, c := range run.Cells {
		b, err := json.Marshal(c.Factors)
		if err != nil {
			return fmt.Errorf("%s: encode factors of %s: %w", op, c.Cell, err)
		}
		cells[i], scores[i], factors[i] = c.Cell, c.Score, string(b)
	}
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('fireline-risk-grid'))`); err != nil {
			return translate(op, err)
		}
		var newer bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM risk_runs WHERE computed_at > $1)`, run.ComputedAt).Scan(&newer)
		if err != nil || newer {
			return translate(op, err)
		}
		var runID int64
		err = tx.QueryRow(ctx, `INSERT INTO risk_runs (computed_at, look_back, cells) VALUES ($1, $2, $3) RETURNING id`,
			run.ComputedAt, run.LookBack, len(run.Cells)).Scan(&runID)
		if err != nil {
			return translate(op, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM risk_cells`); err != nil {
			return translate(op, err)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO risk_cells (cell, score, factors, computed_at, run_id)
			SELECT c, s, f::jsonb, $4, $5 FROM unnest($1::text[], $2::float8[], $3::text[]) AS u(c, s, f)`,
			cells, scores, factors, run.ComputedAt, runID)
		if err != nil {
			return translate(op, err)
		}
		// A month of runs says how the grid has been kept; older ones say nothing more.
		_, err = tx.Exec(ctx, `DELETE FROM risk_runs WHERE id <> $1 AND computed_at < $2`, runID, run.ComputedAt.Add(-riskRunsKept))
		return translate(op, err)
	})
}

// RiskSnapshot reads the stored grid and, by cell, the warnings in force at at (not
// superseded, not expired, raising readiness), and the key premises whose fire protection is
// impaired at at (the building board's count, a device silent for DefaultDeviceOfflineAfter
// offline), in one snapshot.
func (db *DB) RiskSnapshot(ctx context.Context, at time.Time) (fireline.RiskSnapshot, error) {
	const op = "read risk grid"
	snap := fireline.RiskSnapshot{Warnings: map[string][]fireline.RiskWarning{}}
	err := db.readTx(ctx, op, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT computed_at FROM risk_runs ORDER BY computed_at DESC, id DESC LIMIT 1`).Scan(&snap.ComputedAt)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return translate(op, err)
		}
		rows, _ := tx.Query(ctx, `SELECT cell, score, factors FROM risk_cells ORDER BY cell`)
		snap.Cells, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.StoredRiskCell, error) {
			var c fireline.StoredRiskCell
			err := r.Scan(&c.Cell, &c.Score, &c.Factors)
			return c, err
		})
		if err != nil {
			return translate(op, err)
		}
		rows, _ = tx.Query(ctx, `
			SELECT c.cell, w.id, coalesce(w.alert->'infos'->0->>'event', ''), c.readiness, c.expires
			FROM warning_cells c JOIN warnings w ON w.id = c.warning_id
			WHERE w.superseded_by IS NULL AND c.expires > $1 AND c.readiness > 0
			ORDER BY c.cell, c.readiness DESC, w.id`, at)
		type cellWarning struct {
			cell string
			fireline.RiskWarning
		}
		ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cellWarning, error) {
			var w cellWarning
			err := r.Scan(&w.cell, &w.ID, &w.Event, &w.Readiness, &w.Expires)
			return w, err
		})
		if err != nil {
			return translate(op, err)
		}
		for _, w := range ws {
			snap.Warnings[w.cell] = append(snap.Warnings[w.cell], w.RiskWarning)
		}
		snap.Impaired, err = impairedPremises(ctx, tx, at)
		return err
	})
	return snap, err
}
