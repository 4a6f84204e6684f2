package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// RaiseEscalation puts a lapsed timer on the supervisors' queue and on the incident's timeline,
// in one transaction. The escalation's key makes it idempotent: raised again (a retried
// activity), it changes nothing and returns the stored one.
func (db *DB) RaiseEscalation(ctx context.Context, e fireline.Escalation, ev fireline.TimelineEvent) (fireline.Escalation, error) {
	switch {
	case e.IncidentID == 0 || e.Key == "" || e.Timer == "":
		return fireline.Escalation{}, fireline.Errorf(fireline.EINVALID, "escalation: incident, key and timer are required")
	case e.RaisedAt.IsZero():
		return fireline.Escalation{}, fireline.Errorf(fireline.EINVALID, "escalation: raised_at is required")
	}
	var out fireline.Escalation
	err := db.inTx(ctx, "raise escalation", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO escalations (incident_id, key, timer, unit_id, detail, raised_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (incident_id, key) DO NOTHING`,
			e.IncidentID, e.Key, e.Timer, e.UnitID, e.Detail, e.RaisedAt)
		if pgCode(err) == codeForeignKeyViolation {
			return errNoIncident(e.IncidentID)
		}
		if err != nil {
			return translate("raise escalation", err)
		}
		if err := appendEvent(ctx, tx, ev); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE incident_id = $1 AND key = $2`, e.IncidentID, e.Key)
		out, err = pgx.CollectExactlyOneRow(rows, scanEscalation)
		return translate("raise escalation", err)
	})
	return out, err
}

const escalationColumns = `id, incident_id, key, timer, unit_id, detail, raised_at, acked_by, acked_at`

func scanEscalation(r pgx.CollectableRow) (fireline.Escalation, error) {
	var e fireline.Escalation
	err := r.Scan(&e.ID, &e.IncidentID, &e.Key, &e.Timer, &e.UnitID, &e.Detail, &e.RaisedAt, &e.AckedBy, &e.AckedAt)
	return e, err
}

// Escalations returns escalations newest first.
func (db *DB) Escalations(ctx context.Context, f fireline.EscalationFilter) ([]fireline.Escalation, error) {
	if f.Limit == 0 {
		f.Limit = 200
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return nil, fireline.Errorf(fireline.EINVALID, "limit: %d is outside 1..1000", f.Limit)
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+escalationColumns+` FROM escalations
		WHERE (NOT $1 OR acked_at IS NULL) AND ($2 = 0 OR incident_id = $2)
		ORDER BY raised_at DESC, id DESC LIMIT $3`, f.OpenOnly, f.IncidentID, f.Limit)
	out, err := pgx.CollectRows(rows, scanEscalation)
	if out == nil && err == nil {
		out = []fireline.Escalation{}
	}
	return out, translate("escalations", err)
}

// AckEscalation records that a supervisor took an escalation at time at. Taking one already
// taken is ECONFLICT, naming who took it; ENOTFOUND when there is no such escalation.
func (db *DB) AckEscalation(ctx context.Context, id int64, actor string, at time.Time) (fireline.Escalation, error) {
	if actor == "" {
		return fireline.Escalation{}, fireline.Errorf(fireline.EINVALID, "an escalation is taken by a named supervisor")
	}
	var out fireline.Escalation
	err := db.inTx(ctx, "acknowledge escalation", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = $1 FOR UPDATE`, id)
		e, err := pgx.CollectExactlyOneRow(rows, scanEscalation)
		switch {
		case noRows(err):
			return notFound("escalation %d does not exist", id)
		case err != nil:
			return translate("acknowledge escalation", err)
		case e.AckedAt != nil:
			return fireline.Errorf(fireline.ECONFLICT, "escalation %d was taken by %s at %s", id, e.AckedBy, e.AckedAt.Format(time.RFC3339))
		}
		rows, _ = tx.Query(ctx, `UPDATE escalations SET acked_by = $2, acked_at = coalesce($3, now()) WHERE id = $1
			RETURNING `+escalationColumns, id, actor, nullTime(at))
		if out, err = pgx.CollectExactlyOneRow(rows, scanEscalation); err != nil {
			return translate("acknowledge escalation", err)
		}
		return appendEvent(ctx, tx, fireline.TimelineEvent{
			IncidentID: e.IncidentID, Key: "escalation-taken:" + strconv.FormatInt(id, 10), At: *out.AckedAt,
			Kind: fireline.EventEscalation, UnitID: e.UnitID, Actor: actor,
			Detail: fmt.Sprintf("%s took the escalation: %s", actor, e.Detail),
			Data:   map[string]any{"escalation_id": id, "timer": e.Timer, "acknowledged": true},
		})
	})
	return out, err
}

const agencyTaskColumns = `incident_id, agency, task, status, requested_at, due_at, updated_at, actor, note, escalated_at`

func scanAgencyTask(r pgx.CollectableRow) (fireline.AgencyTask, error) {
	var t fireline.AgencyTask
	err := r.Scan(&t.IncidentID, &t.Agency, &t.Task, &t.Status, &t.RequestedAt, &t.DueAt, &t.UpdatedAt, &t.Actor, &t.Note, &t.EscalatedAt)
	return t, err
}

// RequestAgencyTasks records joint-agency tasks as requested, with their timeline events, in one
// transaction. An agency already asked for this incident keeps its task: asking twice (a
// retried activity, or the level going up) changes nothing.
func (db *DB) RequestAgencyTasks(ctx context.Context, tasks []fireline.AgencyTask, events []fireline.TimelineEvent) error {
	return db.inTx(ctx, "request agency tasks", func(tx pgx.Tx) error {
		for _, t := range tasks {
			if !t.Agency.Valid() || t.Task == "" || t.RequestedAt.IsZero() || t.DueAt.Before(t.RequestedAt) {
				return fireline.Errorf(fireline.EINVALID, "agency task %+v: needs a known agency, a task and a due time after its request", t)
			}
			_, err := tx.Exec(ctx, `INSERT INTO agency_tasks (incident_id, agency, task, status, requested_at, due_at, updated_at, actor)
				VALUES ($1, $2, $3, 'requested', $4, $5, $4, $6) ON CONFLICT (incident_id, agency) DO NOTHING`,
				t.IncidentID, t.Agency, t.Task, t.RequestedAt, t.DueAt, t.Actor)
			if pgCode(err) == codeForeignKeyViolation {
				return errNoIncident(t.IncidentID)
			}
			if err != nil {
				return translate("request agency task", err)
			}
		}
		for _, e := range events {
			if err := appendEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateAgencyTask moves an incident's task for an agency to status s at time at, by actor, with
// an optional note, and appends ev to the timeline. A task moves forward only (requested →
// acknowledged → done) or to cancelled; a finished task does not move again (ECONFLICT). The
// same status again changes nothing.
func (db *DB) UpdateAgencyTask(ctx context.Context, incidentID int64, a fireline.Agency, s fireline.AgencyTaskStatus, note, actor string, at time.Time, ev fireline.TimelineEvent) (fireline.AgencyTask, error) {
	if !s.Valid() || s == fireline.TaskRequested {
		return fireline.AgencyTask{}, fireline.Errorf(fireline.EINVALID, "status: %q is not acknowledged, done or cancelled", s)
	}
	var out fireline.AgencyTask
	err := db.inTx(ctx, "update agency task", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+agencyTaskColumns+` FROM agency_tasks WHERE incident_id = $1 AND agency = $2 FOR UPDATE`, incidentID, a)
		t, err := pgx.CollectExactlyOneRow(rows, scanAgencyTask)
		switch {
		case noRows(err):
			return notFound("incident %d has no task for %s", incidentID, a)
		case err != nil:
			return translate("update agency task", err)
		case t.Status == s:
			out = t
			return nil
		case t.Status.Finished():
			return fireline.Errorf(fireline.ECONFLICT, "the %s task of incident %d is already %s", a, incidentID, t.Status)
		case s == fireline.TaskAcknowledged && t.Status != fireline.TaskRequested:
			return fireline.Errorf(fireline.ECONFLICT, "the %s task of incident %d is %s, past acknowledged", a, incidentID, t.Status)
		}
		rows, _ = tx.Query(ctx, `UPDATE agency_tasks SET status = $3, note = CASE WHEN $4 = '' THEN note ELSE $4 END,
				actor = $5, updated_at = coalesce($6, now())
			WHERE incident_id = $1 AND agency = $2 RETURNING `+agencyTaskColumns, incidentID, a, s, note, actor, nullTime(at))
		if out, err = pgx.CollectExactlyOneRow(rows, scanAgencyTask); err != nil {
			return translate("update agency task", err)
		}
		return appendEvent(ctx, tx, ev)
	})
	return out, err
}

// CancelOpenAgencyTasks calls off an incident's tasks that are not done, at time at (zero: the
// database's clock), with a note saying why: a closed or cancelled incident needs nobody more.
func (db *DB) CancelOpenAgencyTasks(ctx context.Context, incidentID int64, note string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE agency_tasks SET status = 'cancelled', note = $2, updated_at = coalesce($3, now())
		WHERE incident_id = $1 AND status IN ('requested', 'acknowledged')`, incidentID, note, nullTime(at))
	return translate("cancel agency tasks", err)
}

// MarkAgencyTaskEscalated stamps the time a task went overdue, once.
func (db *DB) MarkAgencyTaskEscalated(ctx context.Context, incidentID int64, a fireline.Agency, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE agency_tasks SET escalated_at = coalesce(escalated_at, $3)
		WHERE incident_id = $1 AND agency = $2`, incidentID, a, at)
	return translate("mark agency task escalated", err)
}

// AgencyTasks returns an incident's joint-agency tasks, in the order they were requested.
func (db *DB) AgencyTasks(ctx context.Context, incidentID int64) ([]fireline.AgencyTask, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+agencyTaskColumns+` FROM agency_tasks WHERE incident_id = $1
		ORDER BY requested_at, agency`, incidentID)
	out, err := pgx.CollectRows(rows, scanAgencyTask)
	if out == nil && err == nil {
		out = []fireline.AgencyTask{}
	}
	return out, translate("agency tasks", err)
}

// MergeIncidents merges incident from into incident into, at time at, by actor, and returns
// the alarms and the units (by id) that moved: from's alarms and its units' open assignments
// move to into, its open joint-agency tasks are cancelled (into asks for its own), and from
// ends as merged, with no PAR due. Both timelines record it. Both incidents must be open and
// different (ECONFLICT, EINVALID). Merging again what was already merged into the same
// incident (a retried activity) returns what moved then.
//
// The two incidents are locked in id order, as everything that locks two incidents does.
func (db *DB) MergeIncidents(ctx context.Context, from, into int64, at time.Time, actor string) (alarmIDs []int64, units []string, err error) {
	if from == into {
		return nil, nil, fireline.Errorf(fireline.EINVALID, "an incident cannot be merged into itself")
	}
	err = db.inTx(ctx, "merge incidents", func(tx pgx.Tx) error {
		type row struct {
			ID         int64
			Status     fireline.IncidentStatus
			MergedInto int64
		}
		rows, _ := tx.Query(ctx, `SELECT id, status, coalesce(merged_into, 0) FROM incidents WHERE id = ANY($1)
			ORDER BY id FOR UPDATE`, []int64{from, into})
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			return translate("merge incidents: lock", err)
		}
		status := map[int64]fireline.IncidentStatus{}
		var mergedInto int64
		for _, r := range list {
			status[r.ID] = r.Status
			if r.ID == from {
				mergedInto = r.MergedInto
			}
		}
		for _, id := range []int64{from, into} {
			if _, ok := status[id]; !ok {
				return errNoIncident(id)
			}
		}
		if mergedInto == into {
			return mergedBefore(ctx, tx, from, into, &alarmIDs, &units)
		}
		for _, id := range []int64{from, into} {
			if !status[id].Open() {
				return fireline.Errorf(fireline.ECONFLICT, "incident %d is %s", id, status[id])
			}
		}

		rows, _ = tx.Query(ctx, `UPDATE alarms SET incident_id = $2 WHERE incident_id = $1 RETURNING id`, from, into)
		if alarmIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return translate("merge incidents: alarms", err)
		}
		rows, _ = tx.Query(ctx, `SELECT id FROM units WHERE incident_id = $1 ORDER BY id FOR UPDATE`, from)
		if units, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return translate("merge incidents: lock units", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE incident_units SET incident_id = $2 WHERE incident_id = $1 AND cleared_at IS NULL`, from, into); err != nil {
			return translate("merge incidents: assignments", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE units SET incident_id = $2, updated_at = now() WHERE incident_id = $1`, from, into); err != nil {
			return translate("merge incidents: units", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE agency_tasks SET status = 'cancelled', note = $2, updated_at = coalesce($3, now())
			WHERE incident_id = $1 AND status IN ('requested', 'acknowledged')`,
			from, fmt.Sprintf("merged into incident %d", into), nullTime(at)); err != nil {
			return translate("merge incidents: agency tasks", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET alarm_count = alarm_count + $2, updated_at = now() WHERE id = $1`,
			into, len(alarmIDs)); err != nil {
			return translate("merge incidents: count", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET status = 'merged', outcome = 'merged', merged_into = $2,
				alarm_count = 0, closed_at = coalesce($3, now()), par_due_at = NULL, updated_at = now() WHERE id = $1`, from, into, nullTime(at)); err != nil {
			return translate("merge incidents: end", err)
		}
		data := map[string]any{"from": from, "into": into, "alarms": alarmIDs, "units": units}
		for _, e := range []fireline.TimelineEvent{
			{IncidentID: from, Key: "merged-into:" + strconv.FormatInt(into, 10), At: at, Kind: fireline.EventIncidentMerged, Actor: actor,
				Detail: fmt.Sprintf("merged into incident %d with %d alarms and units %v", into, len(alarmIDs), units), Data: data},
			{IncidentID: into, Key: "merged-from:" + strconv.FormatInt(from, 10), At: at, Kind: fireline.EventIncidentMerged, Actor: actor,
				Detail: fmt.Sprintf("incident %d merged in: %d alarms, units %v", from, len(alarmIDs), units), Data: data},
		} {
			if err := appendEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if alarmIDs == nil {
		alarmIDs = []int64{}
	}
	if units == nil {
		units = []string{}
	}
	return alarmIDs, units, nil
}

// mergedBefore reads back what an earlier merge of from into into moved, from its timeline
// entry.
func mergedBefore(ctx context.Context, tx pgx.Tx, from, into int64, alarmIDs *[]int64, units *[]string) error {
	err := tx.QueryRow(ctx, `SELECT coalesce(data->'alarms', '[]'), coalesce(data->'units', '[]') FROM incident_events
		WHERE incident_id = $1 AND key = $2`, from, "merged-into:"+strconv.FormatInt(into, 10)).Scan(alarmIDs, units)
	return translate("merge incidents: earlier merge", err)
}

// SplitAlarm moves an alarm out of incident from into a new incident of its own, at time at, by
// actor, and returns the new incident's id. The new incident starts as received, at the
// alarm's place and type, created when the alarm was received. Both timelines record it. The
// alarm must belong to from, which must be open and keep at least one other alarm. Splitting
// the same alarm again (a retried activity) returns the incident made then.
func (db *DB) SplitAlarm(ctx context.Context, from, alarmID int64, at time.Time, actor string) (int64, error) {
	var id int64
	err := db.inTx(ctx, "split alarm", func(tx pgx.Tx) error {
		var status fireline.IncidentStatus
		err := tx.QueryRow(ctx, "SELECT status FROM incidents WHERE id = $1 FOR UPDATE", from).Scan(&status)
		if noRows(err) {
			return errNoIncident(from)
		}
		if err != nil {
			return translate("split alarm", err)
		}
		var raw []byte
		err = tx.QueryRow(ctx, `SELECT data FROM incident_events WHERE incident_id = $1 AND key = $2`,
			from, "split:"+strconv.FormatInt(alarmID, 10)).Scan(&raw)
		if err == nil {
			var done struct {
				Incident int64 `json:"incident"`
			}
			if err := json.Unmarshal(raw, &done); err != nil {
				return fmt.Errorf("split alarm: earlier split: %w", err)
			}
			id = done.Incident
			return nil
		}
		if !noRows(err) {
			return translate("split alarm", err)
		}
		if !status.Open() {
			return fireline.Errorf(fireline.ECONFLICT, "incident %d is %s", from, status)
		}
		var a fireline.Alarm
		err = tx.QueryRow(ctx, `SELECT id, source, source_id, type, lat, lng, cell, address, received_at, coalesce(incident_id, 0)
			FROM alarms WHERE id = $1 FOR UPDATE`, alarmID).
			Scan(&a.ID, &a.Source, &a.SourceID, &a.Type, &a.Point.Lat, &a.Point.Lng, &a.Cell, &a.Address, &a.ReceivedAt, &a.IncidentID)
		switch {
		case noRows(err):
			return notFound("alarm %d does not exist", alarmID)
		case err != nil:
			return translate("split alarm", err)
		case a.IncidentID != from:
			return fireline.Errorf(fireline.EINVALID, "alarm %d is not an alarm of incident %d", alarmID, from)
		}
		var others int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM alarms WHERE incident_id = $1 AND id <> $2", from, alarmID).Scan(&others); err != nil {
			return translate("split alarm", err)
		}
		if others == 0 {
			return fireline.Errorf(fireline.ECONFLICT, "alarm %d is the only alarm of incident %d: there is nothing to split it from", alarmID, from)
		}
		err = tx.QueryRow(ctx, `INSERT INTO incidents (type, level, status, lat, lng, cell, address, created_at, alarm_count)
			VALUES ($1, 1, 'received', $2, $3, $4, $5, $6, 1) RETURNING id`,
			a.Type, a.Point.Lat, a.Point.Lng, a.Cell, a.Address, a.ReceivedAt).Scan(&id)
		if err != nil {
			return translate("split alarm: new incident", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE alarms SET incident_id = $2 WHERE id = $1", alarmID, id); err != nil {
			return translate("split alarm: move", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE incidents SET alarm_count = alarm_count - 1, updated_at = now() WHERE id = $1", from); err != nil {
			return translate("split alarm: count", err)
		}
		data := map[string]any{"alarm": alarmID, "from": from, "incident": id}
		for _, e := range []fireline.TimelineEvent{
			{IncidentID: from, Key: "split:" + strconv.FormatInt(alarmID, 10), At: at, Kind: fireline.EventAlarmSplit, Actor: actor,
				Detail: fmt.Sprintf("alarm %d (%s %s) split out into incident %d", alarmID, a.Source, a.SourceID, id), Data: data},
			{IncidentID: id, Key: "alarm:" + strconv.FormatInt(alarmID, 10), At: at, Kind: fireline.EventAlarmSplit, Actor: actor,
				Detail: fmt.Sprintf("split out of incident %d: %s alarm %s", from, a.Source, a.SourceID), Data: data},
		} {
			if err := appendEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}
