package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// ReceiveWarning stores a CAP warning, its cells and the XML it came as, in one transaction,
// idempotently on (sender, identifier). An Update or Cancel supersedes the warnings it
// references that are still in force; a warning that arrives after an Update or Cancel that
// references it is stored superseded at once, so feeds that deliver out of order end the same.
func (db *DB) ReceiveWarning(ctx context.Context, w fireline.Warning, raw []byte) (fireline.WarningReceipt, error) {
	if w.Sender == "" || w.Identifier == "" {
		return fireline.WarningReceipt{}, fireline.Errorf(fireline.EINVALID, "warning: sender and identifier are required")
	}
	alert := w
	alert.ID, alert.Cells, alert.Superseded, alert.ReceivedAt = 0, nil, nil, time.Time{}
	doc, err := json.Marshal(alert)
	if err != nil {
		return fireline.WarningReceipt{}, fmt.Errorf("receive warning: %w", err)
	}
	var rc fireline.WarningReceipt
	err = db.inTx(ctx, "receive warning", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO warnings (sender, identifier, sent, status, msg_type, expires, readiness, in_service_area, alert, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (sender, identifier) DO NOTHING
			RETURNING id, received_at`,
			w.Sender, w.Identifier, w.Sent, w.Status, w.MsgType, w.Expires, w.Readiness, w.InServiceArea, doc, string(raw),
		).Scan(&w.ID, &w.ReceivedAt)
		if noRows(err) {
			rc.Repeat = true
			rc.Warning, err = warning(ctx, tx, "w.sender = $1 AND w.identifier = $2", w.Sender, w.Identifier)
			return err
		}
		if err != nil {
			return translate("store warning", err)
		}
		cells, levels, expiries := make([]string, len(w.Cells)), make([]int32, len(w.Cells)), make([]time.Time, len(w.Cells))
		for i, c := range w.Cells {
			cells[i], levels[i], expiries[i] = c.Cell, int32(c.Readiness), c.Expires
		}
		if _, err := tx.Exec(ctx, `INSERT INTO warning_cells (warning_id, cell, readiness, expires)
			SELECT $1, c, r, e FROM unnest($2::text[], $3::integer[], $4::timestamptz[]) AS t(c, r, e)`,
			w.ID, cells, levels, expiries); err != nil {
			return translate("store warning cells", err)
		}
		if w.MsgType == fireline.CAPUpdate || w.MsgType == fireline.CAPCancel {
			senders, ids := make([]string, len(w.References)), make([]string, len(w.References))
			for i, r := range w.References {
				senders[i], ids[i] = r.Sender, r.Identifier
			}
			rows, _ := tx.Query(ctx, `UPDATE warnings SET superseded_by = $1, superseded_at = $2
				WHERE superseded_by IS NULL AND id <> $1
				  AND (sender, identifier) IN (SELECT * FROM unnest($3::text[], $4::text[]))
				RETURNING id`, w.ID, w.ReceivedAt, senders, ids)
			if rc.Superseded, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return translate("supersede warnings", err)
			}
		}
		// An Update or Cancel of this alert that arrived first supersedes it now.
		ref, _ := json.Marshal([]map[string]string{{"sender": w.Sender, "identifier": w.Identifier}})
		var later int64
		err = tx.QueryRow(ctx, `SELECT id FROM warnings
			WHERE msg_type IN ('Update', 'Cancel') AND id <> $1 AND alert->'references' @> $2::jsonb
			ORDER BY received_at, id LIMIT 1`, w.ID, ref).Scan(&later)
		switch {
		case err == nil:
			if _, err := tx.Exec(ctx, `UPDATE warnings SET superseded_by = $2, superseded_at = received_at WHERE id = $1`, w.ID, later); err != nil {
				return translate("supersede warning", err)
			}
		case !noRows(err):
			return translate("find later updates", err)
		}
		rc.Warning, err = warning(ctx, tx, "w.id = $1", w.ID)
		return err
	})
	return rc, err
}

// Warnings returns warnings with their cells, newest first.
func (db *DB) Warnings(ctx context.Context, f fireline.WarningFilter) ([]fireline.Warning, error) {
	if f.Limit < 1 || f.Limit > fireline.MaxWarnings {
		return nil, fireline.Errorf(fireline.EINVALID, "limit: %d is outside 1..%d", f.Limit, fireline.MaxWarnings)
	}
	// Without ActiveAt ($2 NULL) every warning is listed. In force are those that cover a cell
	// of the service area and those that cannot be placed (areas by geocode alone), which a
	// person must read to know whether they concern the service area.
	rows, _ := db.pool.Query(ctx, warningQuery+` WHERE ($2::timestamptz IS NULL
		OR (w.superseded_by IS NULL AND w.expires > $2 AND w.readiness > 0
		    AND (w.in_service_area OR w.alert @> '{"unlocated": true}')))
		ORDER BY w.received_at DESC, w.id DESC LIMIT $1`, f.Limit, nullTime(f.ActiveAt))
	out, err := pgx.CollectRows(rows, scanWarning)
	return out, translate("read warnings", err)
}

// Warning returns one warning by id.
func (db *DB) Warning(ctx context.Context, id int64) (fireline.Warning, error) {
	return warning(ctx, db.pool, "w.id = $1", id)
}

func warning(ctx context.Context, q querier, where string, args ...any) (fireline.Warning, error) {
	rows, _ := q.Query(ctx, warningQuery+" WHERE "+where, args...)
	w, err := pgx.CollectExactlyOneRow(rows, scanWarning)
	if noRows(err) {
		return fireline.Warning{}, notFound("warning does not exist")
	}
	return w, translate("read warning", err)
}

const warningQuery = `
	SELECT w.id, w.alert, w.received_at, w.superseded_by, w.superseded_at, coalesce(s.msg_type, ''),
	       coalesce((SELECT json_agg(json_build_object('cell', c.cell, 'readiness', c.readiness, 'expires', c.expires) ORDER BY c.cell)
	                 FROM warning_cells c WHERE c.warning_id = w.id), '[]')
	FROM warnings w LEFT JOIN warnings s ON s.id = w.superseded_by`

func scanWarning(r pgx.CollectableRow) (fireline.Warning, error) {
	var (
		id            int64
		alert, cells  []byte
		received      time.Time
		supersededBy  *int64
		supersededAt  *time.Time
		supersededMsg string
	)
	if err := r.Scan(&id, &alert, &received, &supersededBy, &supersededAt, &supersededMsg, &cells); err != nil {
		return fireline.Warning{}, err
	}
	var w fireline.Warning
	if err := json.Unmarshal(alert, &w); err != nil {
		return fireline.Warning{}, fmt.Errorf("warning %d: %w", id, err)
	}
	if err := json.Unmarshal(cells, &w.Cells); err != nil {
		return fireline.Warning{}, fmt.Errorf("warning %d cells: %w", id, err)
	}
	w.ID, w.ReceivedAt = id, received
	if supersededBy != nil {
		w.Superseded = &fireline.WarningSuperseded{ByID: *supersededBy, At: *supersededAt, MsgType: fireline.CAPMsgType(supersededMsg)}
	}
	return w, nil
}

// Readiness returns, sorted by cell, every cell whose readiness a warning in force at raises,
// with the highest readiness and the latest expiry among them.
func (db *DB) Readiness(ctx context.Context, at time.Time) ([]fireline.WarningCell, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT c.cell, max(c.readiness), max(c.expires)
		FROM warning_cells c JOIN warnings w ON w.id = c.warning_id
		WHERE w.superseded_by IS NULL AND c.expires > $1 AND c.readiness > 0
		GROUP BY c.cell ORDER BY c.cell`, at)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.WarningCell, error) {
		var c fireline.WarningCell
		err := r.Scan(&c.Cell, &c.Readiness, &c.Expires)
		return c, err
	})
	return out, translate("read readiness", err)
}
