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
// An alarm whose kind opens no incident (a panel's fault, supervisory event or reset) is stored
// with no incident and takes no cell lock; a reset's receipt names the open incident of its
// device's latest fire alarm, if any.
//
// ReceivedAt is the database's clock when the alarm has none.
func (db *DB) ReceiveAlarm(ctx context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	if a.Cell == "" {
		return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EINVALID, "alarm has no cell")
	}
	var rc fireline.AlarmReceipt
	err := db.inTx(ctx, "receive alarm", func(tx pgx.Tx) error {
		var err error
		rc, err = receiveAlarm(ctx, tx, a, rule)
		return err
	})
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	return rc, nil
}

func receiveAlarm(ctx context.Context, tx pgx.Tx, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	// The insert comes before the cell locks: a retry of the same alarm waits here for the
	// first delivery's transaction while holding no cell lock, so the two kinds of wait never
	// form a cycle.
	err := tx.QueryRow(ctx, `
		INSERT INTO alarms (source, source_id, type, lat, lng, cell, address, description, caller, reported_at, received_at,
			kind, premise_id, device_id, unverified, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()), $12, nullif($13, ''), $14, $15, $16)
		ON CONFLICT (source, source_id) DO NOTHING
		RETURNING id, received_at`,
		a.Source, a.SourceID, a.Type, a.Point.Lat, a.Point.Lng, a.Cell, a.Address, a.Description, a.Caller,
		a.ReportedAt, nullTime(a.ReceivedAt), a.Kind, a.PremiseID, a.DeviceID, a.Unverified, a.Details).Scan(&a.ID, &a.ReceivedAt)
	if noRows(err) {
		stored, err := storedAlarm(ctx, tx, "source = $1 AND source_id = $2", a.Source, a.SourceID)
		if err != nil {
			return fireline.AlarmReceipt{}, err
		}
		rc := fireline.AlarmReceipt{Alarm: stored, IncidentID: stored.IncidentID, Repeat: true, RecordedOnly: !stored.Kind.OpensIncident()}
		if stored.Kind == fireline.KindReset {
			rc.RelatedIncidentID, err = deviceIncident(ctx, tx, stored.DeviceID)
		}
		return rc, err
	}
	if pgConstraint(err) == "alarms_premise_id_fkey" {
		return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EINVALID, "premise_id: %s is not a key premises", a.PremiseID)
	}
	if err != nil {
		return fireline.AlarmReceipt{}, translate("store alarm", err)
	}
	// A new alarm names a type in force; a repeat (above) answers as it did the first time.
	category, err := typeInForce(ctx, tx, "type", a.Type)
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	if !a.Kind.OpensIncident() {
		rc := fireline.AlarmReceipt{Alarm: a, RecordedOnly: true}
		if a.Kind == fireline.KindReset {
			rc.RelatedIncidentID, err = deviceIncident(ctx, tx, a.DeviceID)
		}
		return rc, err
	}

	if _, err := tx.Exec(ctx, "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k",
		cellLockKeys(a.Cell, rule.Cells)); err != nil {
		return fireline.AlarmReceipt{}, translate("lock cells", err)
	}

	rc := fireline.AlarmReceipt{}
	if rule.Window > 0 && len(rule.Cells) > 0 {
		id, err := joinIncident(ctx, tx, a, category, rule)
		if err != nil {
			return fireline.AlarmReceipt{}, err
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
			return fireline.AlarmReceipt{}, translate("create incident", err)
		}
		kind, detail = fireline.EventAlarmReceived, fmt.Sprintf("%s alarm %s received", a.Source, a.SourceID)
	}
	a.IncidentID = rc.IncidentID
	if _, err := tx.Exec(ctx, "UPDATE alarms SET incident_id = $1 WHERE id = $2", a.IncidentID, a.ID); err != nil {
		return fireline.AlarmReceipt{}, translate("link alarm", err)
	}
	ev := fireline.TimelineEvent{
		IncidentID: a.IncidentID, Key: "alarm:" + strconv.FormatInt(a.ID, 10), At: a.ReceivedAt, Kind: kind,
		Actor: string(a.Source), Detail: detail,
		Data: map[string]any{"alarm_id": a.ID, "source": a.Source, "source_id": a.SourceID, "type": a.Type, "address": a.Address},
	}
	if err := appendEvent(ctx, tx, ev); err != nil {
		return fireline.AlarmReceipt{}, err
	}
	rc.Alarm = a
	return rc, nil
}

// joinIncident finds the open incident the alarm (of type category category) duplicates and counts the alarm on it,
// returning its id, or 0 when there is none.
func joinIncident(ctx context.Context, tx pgx.Tx, a fireline.Alarm, category fireline.IncidentCategory, rule fireline.DedupeRule) (int64, error) {
	type candidate struct {
		ID       int64
		Type     fireline.IncidentType
		Category fireline.IncidentCategory
	}
	// An incident of a type since retired keeps its category; one whose type was never stored
	// (none should be) joins nothing but its own type.
	rows, _ := tx.Query(ctx, `
		SELECT i.id, i.type, coalesce(t.category, '') FROM incidents i LEFT JOIN incident_types t ON t.code = i.type
		WHERE i.status = ANY($5) AND i.cell = ANY($1)
		  AND i.created_at BETWEEN $2::timestamptz - make_interval(secs => $3) AND $2::timestamptz + make_interval(secs => $3)
		ORDER BY i.cell = $4 DESC, i.created_at DESC, i.id DESC`,
		rule.Cells, a.ReceivedAt, rule.Window.Seconds(), a.Cell, openStatuses())
	candidates, err := pgx.CollectRows(rows, pgx.RowToStructByPos[candidate])
	if err != nil {
		return 0, translate("find incident", err)
	}
	for _, c := range candidates {
		// Compatibility is the domain's rule, so it is applied here rather than in SQL.
		if !fireline.Compatible(c.Type, c.Category, a.Type, category) {
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
		_, _ = h.Write([]byte("fireline:cell:" + c)) // a hash.Hash never fails to write
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// deviceIncident returns the open incident that the latest fire alarm of a device opened or
// joined, 0 when there is none.
func deviceIncident(ctx context.Context, q querier, deviceID string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `
		SELECT a.incident_id FROM alarms a JOIN incidents i ON i.id = a.incident_id
		WHERE a.device_id = $1 AND a.kind = 'fire_alarm' AND i.status = ANY($2)
		ORDER BY a.received_at DESC, a.id DESC LIMIT 1`, deviceID, openStatuses()).Scan(&id)
	if noRows(err) {
		return 0, nil
	}
	return id, translate("find the device's incident", err)
}

const alarmColumns = `id, source, source_id, type, lat, lng, cell, address, description, caller, reported_at, received_at,
	coalesce(incident_id, 0), kind, coalesce(premise_id, ''), device_id, unverified, confirmed_by, confirmed_at, details`

func scanAlarm(r pgx.CollectableRow) (fireline.Alarm, error) {
	var a fireline.Alarm
	err := r.Scan(&a.ID, &a.Source, &a.SourceID, &a.Type, &a.Point.Lat, &a.Point.Lng, &a.Cell, &a.Address,
		&a.Description, &a.Caller, &a.ReportedAt, &a.ReceivedAt, &a.IncidentID, &a.Kind, &a.PremiseID, &a.DeviceID,
		&a.Unverified, &a.ConfirmedBy, &a.ConfirmedAt, &a.Details)
	return a, err
}

// storedAlarm reads the one alarm the condition (on the alarms table) picks.
func storedAlarm(ctx context.Context, q querier, where string, args ...any) (fireline.Alarm, error) {
	rows, _ := q.Query(ctx, "SELECT "+alarmColumns+" FROM alarms WHERE "+where, args...)
	a, err := pgx.CollectExactlyOneRow(rows, scanAlarm)
	return a, translate("read alarm", err)
}

// Alarm returns one alarm by id.
func (db *DB) Alarm(ctx context.Context, id int64) (fireline.Alarm, error) {
	a, err := storedAlarm(ctx, db.pool, "id = $1", id)
	if noRows(err) {
		return fireline.Alarm{}, notFound("alarm %d does not exist", id)
	}
	return a, err
}

// IncidentAlarms returns the alarms that opened or joined an incident, in the order received.
func (db *DB) IncidentAlarms(ctx context.Context, incidentID int64) ([]fireline.Alarm, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+alarmColumns+" FROM alarms WHERE incident_id = $1 ORDER BY received_at, id", incidentID)
	out, err := pgx.CollectRows(rows, scanAlarm)
	return out, translate("read the incident's alarms", err)
}

// ConfirmAlarm records that an operator (actor) confirmed an unverified public report at at,
// and writes it to the timeline of the report's incident, in one transaction. Confirming a
// report already confirmed changes nothing and returns it; confirming any other alarm is
// ECONFLICT.
func (db *DB) ConfirmAlarm(ctx context.Context, id int64, actor string, at time.Time) (fireline.Alarm, error) {
	if actor == "" {
		return fireline.Alarm{}, fireline.Errorf(fireline.EINVALID, "actor: required")
	}
	var out fireline.Alarm
	err := db.inTx(ctx, "confirm alarm", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `UPDATE alarms SET unverified = false, confirmed_by = $2, confirmed_at = $3
			WHERE id = $1 AND unverified RETURNING `+alarmColumns, id, actor, at)
		a, err := pgx.CollectExactlyOneRow(rows, scanAlarm)
		if noRows(err) {
			a, err := storedAlarm(ctx, tx, "id = $1", id)
			switch {
			case noRows(err):
				return notFound("alarm %d does not exist", id)
			case err != nil:
				return err
			case a.ConfirmedBy != "":
				out = a
				return nil
			}
			return fireline.Errorf(fireline.ECONFLICT, "alarm %d is a %s alarm, not an unverified public report: there is nothing to confirm", id, a.Source)
		}
		if err != nil {
			return translate("confirm alarm", err)
		}
		out = a
		if a.IncidentID == 0 {
			return nil
		}
		return appendEvent(ctx, tx, fireline.TimelineEvent{
			IncidentID: a.IncidentID, Key: "confirm:" + strconv.FormatInt(a.ID, 10), At: at, Kind: fireline.EventAlarmConfirmed,
			Actor: actor, Detail: fmt.Sprintf("public report %s confirmed by %s", a.SourceID, actor),
			Data: map[string]any{"alarm_id": a.ID, "source_id": a.SourceID},
		})
	})
	return out, err
}
