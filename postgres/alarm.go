package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// DedupeRule says which open incidents an alarm may join.
type DedupeRule struct {
	// Cells are the H3 cells (hex) where a duplicate's incident may lie: the alarm's own cell
	// and its neighbours out to the configured ring.
	Cells []string
	// Window is how far apart in time an incident's creation and the alarm's receipt may be.
	// Zero or less turns merging off.
	Window time.Duration
}

// Receipt is the outcome of storing an alarm.
type Receipt struct {
	// Alarm is the stored alarm, with ID, IncidentID and ReceivedAt filled.
	Alarm      fireline.Alarm
	IncidentID int64
	// Merged is true when the alarm joined an incident opened by an earlier alarm.
	Merged bool
	// Repeat is true when the source had sent this alarm before; nothing was written.
	Repeat bool
}

// ReceiveAlarm stores an alarm and attaches it to an incident, in one transaction:
//
//   - A (source, source_id) seen before is a source's retry: the stored alarm comes back with
//     Repeat set, and nothing changes.
//   - Otherwise the alarm joins the newest open incident of a compatible type in rule.Cells
//     created within rule.Window of its receipt (the alarm's own cell preferred), or opens a
//     new incident at level 1. Either way the incident's timeline records it under the key
//     "alarm:<id>".
//
// Two alarms for the same place arriving together must make one incident, not two: each
// transaction first takes advisory locks on every cell it may search or create in, in one
// global order (so they cannot deadlock), which makes the second wait until the first has
// committed its incident and then find it.
//
// ReceivedAt is the database's clock when the alarm has none.
func (db *DB) ReceiveAlarm(ctx context.Context, a fireline.Alarm, rule DedupeRule) (Receipt, error) {
	if a.Cell == "" {
		return Receipt{}, fireline.Errorf(fireline.EINVALID, "alarm has no cell")
	}
	var rc Receipt
	err := db.inTx(ctx, "receive alarm", func(tx pgx.Tx) error {
		var err error
		rc, err = receiveAlarm(ctx, tx, a, rule)
		return err
	})
	if err != nil {
		return Receipt{}, err
	}
	return rc, nil
}

func receiveAlarm(ctx context.Context, tx pgx.Tx, a fireline.Alarm, rule DedupeRule) (Receipt, error) {
	// The insert comes before the cell locks: a retry of the same alarm waits here for the
	// first delivery's transaction while holding no cell lock, so the two kinds of wait never
	// form a cycle.
	err := tx.QueryRow(ctx, `
		INSERT INTO alarms (source, source_id, type, lat, lng, cell, address, description, caller, reported_at, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()))
		ON CONFLICT (source, source_id) DO NOTHING
		RETURNING id, received_at`,
		a.Source, a.SourceID, a.Type, a.Point.Lat, a.Point.Lng, a.Cell, a.Address, a.Description, a.Caller,
		a.ReportedAt, nullTime(a.ReceivedAt)).Scan(&a.ID, &a.ReceivedAt)
	if noRows(err) {
		stored, err := storedAlarm(ctx, tx, a.Source, a.SourceID)
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{Alarm: stored, IncidentID: stored.IncidentID, Repeat: true}, nil
	}
	if err != nil {
		return Receipt{}, translate("store alarm", err)
	}

	if _, err := tx.Exec(ctx, "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k",
		cellLockKeys(a.Cell, rule.Cells)); err != nil {
		return Receipt{}, translate("lock cells", err)
	}

	rc := Receipt{}
	if rule.Window > 0 && len(rule.Cells) > 0 {
		id, err := joinIncident(ctx, tx, a, rule)
		if err != nil {
			return Receipt{}, err
		}
		rc.IncidentID, rc.Merged = id, id != 0
	}
	kind, detail := fireline.EventAlarmMerged, fmt.Sprintf("%s alarm %s merged", a.Source, a.SourceID)
	if !rc.Merged {
		err := tx.QueryRow(ctx, `
			INSERT INTO incidents (type, level, status, lat, lng, cell, address, created_at, alarm_count)
			VALUES ($1, 1, 'received', $2, $3, $4, $5, $6, 1) RETURNING id`,
			a.Type, a.Point.Lat, a.Point.Lng, a.Cell, a.Address, a.ReceivedAt).Scan(&rc.IncidentID)
		if err != nil {
			return Receipt{}, translate("create incident", err)
		}
		kind, detail = fireline.EventAlarmReceived, fmt.Sprintf("%s alarm %s received", a.Source, a.SourceID)
	}
	a.IncidentID = rc.IncidentID
	if _, err := tx.Exec(ctx, "UPDATE alarms SET incident_id = $1 WHERE id = $2", a.IncidentID, a.ID); err != nil {
		return Receipt{}, translate("link alarm", err)
	}
	ev := fireline.TimelineEvent{
		IncidentID: a.IncidentID, Key: "alarm:" + strconv.FormatInt(a.ID, 10), At: a.ReceivedAt, Kind: kind,
		Actor: string(a.Source), Detail: detail,
		Data: map[string]any{"alarm_id": a.ID, "source": a.Source, "source_id": a.SourceID, "type": a.Type, "address": a.Address},
	}
	if err := appendEvent(ctx, tx, ev); err != nil {
		return Receipt{}, err
	}
	rc.Alarm = a
	return rc, nil
}

// joinIncident finds the open incident the alarm duplicates and counts the alarm on it,
// returning its id, or 0 when there is none.
func joinIncident(ctx context.Context, tx pgx.Tx, a fireline.Alarm, rule DedupeRule) (int64, error) {
	type candidate struct {
		ID   int64
		Type fireline.IncidentType
	}
	rows, _ := tx.Query(ctx, `
		SELECT id, type FROM incidents
		WHERE status = ANY($5) AND cell = ANY($1)
		  AND created_at BETWEEN $2::timestamptz - make_interval(secs => $3) AND $2::timestamptz + make_interval(secs => $3)
		ORDER BY cell = $4 DESC, created_at DESC, id DESC`,
		rule.Cells, a.ReceivedAt, rule.Window.Seconds(), a.Cell, openStatuses())
	candidates, err := pgx.CollectRows(rows, pgx.RowToStructByPos[candidate])
	if err != nil {
		return 0, translate("find incident", err)
	}
	for _, c := range candidates {
		// Compatibility is the domain's rule, so it is applied here rather than in SQL.
		if !c.Type.Compatible(a.Type) {
			continue
		}
		// The incident may have closed since the search (closing takes no cell lock); the
		// update re-checks the status on the row it locks.
		tag, err := tx.Exec(ctx, `UPDATE incidents SET alarm_count = alarm_count + 1, updated_at = now()
			WHERE id = $1 AND status = ANY($2)`, c.ID, openStatuses())
		if err != nil {
			return 0, translate("join incident", err)
		}
		if tag.RowsAffected() == 1 {
			return c.ID, nil
		}
	}
	return 0, nil
}

// cellLockKeys returns the advisory lock keys for an alarm's cells, sorted and without
// repeats: every transaction locks in ascending key order, so none can hold one key while
// waiting for a lower one another holds. The alarm's own cell is always included, since a new
// incident is created there.
func cellLockKeys(own string, cells []string) []int64 {
	keys := make([]int64, 0, len(cells)+1)
	for _, c := range append([]string{own}, cells...) {
		h := fnv.New64a()
		h.Write([]byte("fireline:cell:" + c))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func storedAlarm(ctx context.Context, tx pgx.Tx, source fireline.AlarmSource, sourceID string) (fireline.Alarm, error) {
	rows, _ := tx.Query(ctx, `
		SELECT id, source, source_id, type, lat, lng, cell, address, description, caller, reported_at, received_at,
		       coalesce(incident_id, 0)
		FROM alarms WHERE source = $1 AND source_id = $2`, source, sourceID)
	a, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (fireline.Alarm, error) {
		var a fireline.Alarm
		err := r.Scan(&a.ID, &a.Source, &a.SourceID, &a.Type, &a.Point.Lat, &a.Point.Lng, &a.Cell, &a.Address,
			&a.Description, &a.Caller, &a.ReportedAt, &a.ReceivedAt, &a.IncidentID)
		return a, err
	})
	return a, translate("read alarm", err)
}
