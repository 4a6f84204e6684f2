package postgres

import (
	"context"
	"time"

	"github.com/fireline/fireline"
)

// purgeBatch bounds one purge transaction, so the first purge of a large archive holds no lock
// on many alarms at once and a cancelled purge keeps what it finished.
const purgeBatch = 1000

// PurgePersonalData forgets the callers of alarms past their retention: those whose incident
// closed before cutoff, and those without an incident received before cutoff. The caller's
// name, number and photo reference and, for the sources where a person speaks (call, public),
// the free text become fireline.Purged; purged_at records when. A panel's or a CAP feed's text
// stays: it names no caller. Open incidents are never touched, however old.
func (db *DB) PurgePersonalData(ctx context.Context, cutoff time.Time) (fireline.PurgeResult, error) {
	var res fireline.PurgeResult
	for {
		tag, err := db.pool.Exec(ctx, `
			UPDATE alarms a SET
				caller      = CASE WHEN a.caller <> '' THEN $2 ELSE '' END,
				description = CASE WHEN a.source IN ('call', 'public') AND a.description <> '' THEN $2 ELSE a.description END,
				details     = a.details
				              || CASE WHEN coalesce(a.details->>'caller_number', '') <> ''
				                      THEN jsonb_build_object('caller_number', $2::text) ELSE '{}' END
				              || CASE WHEN coalesce(a.details->>'photo_ref', '') <> ''
				                      THEN jsonb_build_object('photo_ref', $2::text) ELSE '{}' END,
				purged_at   = now()
			WHERE a.id IN (
				SELECT p.id FROM alarms p LEFT JOIN incidents i ON i.id = p.incident_id
				WHERE p.purged_at IS NULL
				  AND CASE WHEN p.incident_id IS NULL THEN p.received_at < $1
				           ELSE i.closed_at IS NOT NULL AND i.closed_at < $1 END
				ORDER BY p.id
				LIMIT $3
				FOR UPDATE OF p SKIP LOCKED)`,
			cutoff, fireline.Purged, purgeBatch)
		if err != nil {
			return res, translate("purge personal data", err)
		}
		res.Alarms += int(tag.RowsAffected())
		if tag.RowsAffected() < purgeBatch {
			return res, nil
		}
	}
}
