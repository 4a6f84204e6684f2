package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// DB keeps the queue of alarms awaiting their hand-off.
var _ fireline.HandoffStore = (*DB)(nil)

// MarkHandedOff records that the alarm was handed to its incident's workflow. It is its own
// small statement after the hand-off, never part of the transaction that stored the alarm:
// the alarm must be durable before the engine hears of it. Marking an alarm twice keeps the
// first time.
func (db *DB) MarkHandedOff(ctx context.Context, alarmID int64) error {
	_, err := db.pool.Exec(ctx, "UPDATE alarms SET handed_off_at = now() WHERE id = $1 AND handed_off_at IS NULL", alarmID)
	return translate("mark alarm handed off", err)
}

// HandOffAwaiting hands on, oldest first, at most limit alarms that opened or joined an
// incident, were stored more than after ago and are not marked handed off. The rows stay
// locked (FOR UPDATE SKIP LOCKED) until every hand-off of the batch has answered, so another
// node sweeping at the same moment takes the next alarms instead of the same ones. A hand-off
// that fails leaves its alarm in the queue for the next sweep; one that fails with
// EUNAVAILABLE ends the batch, since the engine is away for the rest too. The alarms handed
// off are marked in the same transaction; should it fail to commit, they are handed off again
// next time, which the incident workflow ignores (its id is the incident's, and it counts an
// alarm id once).
func (db *DB) HandOffAwaiting(ctx context.Context, after time.Duration, limit int, handOff func(context.Context, fireline.Alarm) error) (int, error) {
	if limit <= 0 {
		return 0, fireline.Errorf(fireline.EINVALID, "limit: must be positive")
	}
	done := 0
	err := db.inTx(ctx, "hand off alarms", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+alarmColumns+` FROM alarms
			WHERE handed_off_at IS NULL AND incident_id IS NOT NULL AND stored_at < now() - make_interval(secs => $1)
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, after.Seconds(), limit)
		awaiting, err := pgx.CollectRows(rows, scanAlarm)
		if err != nil {
			return translate("read alarms awaiting hand-off", err)
		}
		var failed error
		for _, a := range awaiting {
			if err := handOff(ctx, a); err != nil {
				if fireline.ErrorCode(err) == fireline.EUNAVAILABLE {
					failed = err
					break
				}
				db.log.Warn("alarm hand-off failed; it stays in the queue", "alarm", a.ID, "incident", a.IncidentID, "error", err)
				continue
			}
			if _, err := tx.Exec(ctx, "UPDATE alarms SET handed_off_at = now() WHERE id = $1", a.ID); err != nil {
				return translate("mark alarm handed off", err)
			}
			done++
		}
		if done == 0 {
			return failed
		}
		// What was handed off is committed; the engine's absence is for the next sweep.
		if failed != nil {
			db.log.Warn("alarm hand-off stopped: the workflow engine is unavailable", "handed_off", done, "error", failed)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return done, nil
}
