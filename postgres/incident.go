package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

const incidentColumns = `id, type, level, status, lat, lng, cell, address, created_at, closed_at,
	alarm_count, recommendation, review, coalesce(priority, 0), coalesce(outcome, ''), coalesce(merged_into, 0)`

func scanIncident(r pgx.CollectableRow) (fireline.Incident, error) {
	var i fireline.Incident
	err := r.Scan(&i.ID, &i.Type, &i.Level, &i.Status, &i.Point.Lat, &i.Point.Lng, &i.Cell, &i.Address,
		&i.CreatedAt, &i.ClosedAt, &i.AlarmCount, &i.Recommendation, &i.Review, &i.Priority, &i.Outcome, &i.MergedInto)
	return i, err
}

// openStatuses are the statuses fireline.IncidentStatus.Open accepts, for SQL.
var openStatuses = func() []string {
	var out []string
	for _, s := range fireline.IncidentStatuses {
		if s.Open() {
			out = append(out, string(s))
		}
	}
	return out
}

// Incidents returns incidents newest first, each with its assignments.
func (db *DB) Incidents(ctx context.Context, f fireline.IncidentFilter) ([]fireline.Incident, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE NOT $1 OR status = ANY($3)
		ORDER BY created_at DESC, id DESC LIMIT $2`, f.OpenOnly, limit, openStatuses())
	incs, err := pgx.CollectRows(rows, scanIncident)
	if err != nil {
		return nil, translate("incidents", err)
	}
	ids := make([]int64, len(incs))
	for i := range incs {
		ids[i] = incs[i].ID
	}
	byIncident, err := db.assignments(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range incs {
		incs[i].Assignments = byIncident[incs[i].ID]
		fillEmpty(&incs[i])
	}
	return incs, nil
}

// Incident returns one incident with its recommendation, assignments (by dispatch time, then
// unit) and review.
func (db *DB) Incident(ctx context.Context, id int64) (fireline.Incident, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id)
	inc, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if noRows(err) {
		return fireline.Incident{}, errNoIncident(id)
	}
	if err != nil {
		return fireline.Incident{}, translate("incident", err)
	}
	byIncident, err := db.assignments(ctx, []int64{id})
	if err != nil {
		return fireline.Incident{}, err
	}
	inc.Assignments = byIncident[id]
	fillEmpty(&inc)
	return inc, nil
}

// fillEmpty gives lists an empty value rather than nil, so they reach JSON as [] not null.
func fillEmpty(i *fireline.Incident) {
	if i.Recommendation == nil {
		i.Recommendation = []fireline.Recommendation{}
	}
	if i.Assignments == nil {
		i.Assignments = []fireline.Assignment{}
	}
}

func errNoIncident(id int64) error { return notFound("incident %d does not exist", id) }

// assignments returns the assignments of the given incidents, by incident.
func (db *DB) assignments(ctx context.Context, ids []int64) (map[int64][]fireline.Assignment, error) {
	type row struct {
		IncidentID int64
		fireline.Assignment
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT incident_id, unit_id, type, status, dispatched_at, ack_at, en_route_at, on_scene_at, cleared_at
		FROM incident_units WHERE incident_id = ANY($1)
		ORDER BY incident_id, dispatched_at, unit_id`, ids)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.IncidentID, &x.UnitID, &x.Type, &x.Status, &x.DispatchedAt, &x.AckAt, &x.EnRouteAt,
			&x.OnSceneAt, &x.ClearedAt)
		return x, err
	})
	if err != nil {
		return nil, translate("assignments", err)
	}
	out := make(map[int64][]fireline.Assignment)
	for _, x := range list {
		out[x.IncidentID] = append(out[x.IncidentID], x.Assignment)
	}
	return out, nil
}

// SetIncidentStatus moves an incident to status s. Ending it (closed, cancelled, reviewed)
// stamps closed_at and the outcome once (a repeat keeps the first); reopening clears them.
// Setting the status it already has changes nothing, and notifies nobody. Merging has its own
// way in (MergeIncidents).
func (db *DB) SetIncidentStatus(ctx context.Context, id int64, s fireline.IncidentStatus) error {
	if !s.Valid() || s == fireline.IncidentMerged {
		return fireline.Errorf(fireline.EINVALID, "status: %q is not an incident status to set", s)
	}
	return db.updateIncident(ctx, "set incident status", id, `
		UPDATE incidents SET status = $2, updated_at = now(),
			closed_at = CASE WHEN $3 THEN NULL ELSE coalesce(closed_at, now()) END,
			outcome   = CASE WHEN $3 THEN NULL WHEN $2 = 'reviewed' THEN coalesce(outcome, 'closed')
			                 ELSE coalesce(outcome, $2) END
		WHERE id = $1 AND status <> $2`, id, s, s.Open())
}

// AssessIncident stores an incident's assessed type, alarm level and priority.
func (db *DB) AssessIncident(ctx context.Context, id int64, t fireline.IncidentType, level int, p fireline.Priority) error {
	switch {
	case !t.Valid():
		return fireline.Errorf(fireline.EINVALID, "type: %q is not a known incident type", t)
	case level < fireline.MinLevel || level > fireline.MaxLevel:
		return fireline.Errorf(fireline.EINVALID, "level: %d is outside %d..%d", level, fireline.MinLevel, fireline.MaxLevel)
	case !p.Valid():
		return fireline.Errorf(fireline.EINVALID, "priority: %d is outside %d..%d", p, fireline.PriorityImmediate, fireline.PriorityRoutine)
	}
	return db.updateIncident(ctx, "assess incident", id, `
		UPDATE incidents SET type = $2, level = $3, priority = $4, updated_at = now()
		WHERE id = $1 AND (type, level, priority) IS DISTINCT FROM ($2, $3, $4)`, id, t, level, p)
}

// SaveRecommendation stores the units recommended for an incident, best first, replacing the
// previous recommendation.
func (db *DB) SaveRecommendation(ctx context.Context, id int64, recs []fireline.Recommendation) error {
	if recs == nil {
		recs = []fireline.Recommendation{}
	}
	return db.updateIncident(ctx, "save recommendation", id,
		"UPDATE incidents SET recommendation = $2, updated_at = now() WHERE id = $1", id, recs)
}

// SaveReview stores an incident's after-action review and marks it reviewed.
func (db *DB) SaveReview(ctx context.Context, id int64, r fireline.Review) error {
	return db.updateIncident(ctx, "save review", id, `
		UPDATE incidents SET review = $2, status = 'reviewed', closed_at = coalesce(closed_at, now()),
			outcome = coalesce(outcome, 'closed'), updated_at = now()
		WHERE id = $1`, id, r)
}

// updateIncident runs an update of incident id; when it touches no row, it tells a missing
// incident (ENOTFOUND) from an update that had nothing to change.
func (db *DB) updateIncident(ctx context.Context, op string, id int64, sql string, args ...any) error {
	tag, err := db.pool.Exec(ctx, sql, args...)
	if err != nil {
		return translate(op, err)
	}
	if tag.RowsAffected() == 0 {
		return mustExist(ctx, db.pool, op, id)
	}
	return nil
}

// mustExist returns ENOTFOUND unless incident id exists.
func mustExist(ctx context.Context, q querier, op string, id int64) error {
	var exists bool
	if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT FROM incidents WHERE id = $1)", id).Scan(&exists); err != nil {
		return translate(op, err)
	}
	if !exists {
		return errNoIncident(id)
	}
	return nil
}

// AppendEvent adds an event to an incident's timeline. The event's key makes it idempotent: a
// second event with the same (incident, key) is dropped, so a retried activity writes once.
// A zero At is the database's clock.
func (db *DB) AppendEvent(ctx context.Context, e fireline.TimelineEvent) error {
	return appendEvent(ctx, db.pool, e)
}

func appendEvent(ctx context.Context, q querier, e fireline.TimelineEvent) error {
	switch {
	case e.IncidentID == 0:
		return fireline.Errorf(fireline.EINVALID, "event: incident is required")
	case e.Key == "":
		return fireline.Errorf(fireline.EINVALID, "event: key is required")
	case e.Kind == "":
		return fireline.Errorf(fireline.EINVALID, "event: kind is required")
	}
	var data any
	if e.Data != nil {
		data = e.Data // a nil map would be stored as JSON null rather than SQL NULL
	}
	_, err := q.Exec(ctx, `
		INSERT INTO incident_events (incident_id, key, at, kind, unit_id, actor, detail, data)
		VALUES ($1, $2, coalesce($3, now()), $4, $5, $6, $7, $8)
		ON CONFLICT (incident_id, key) DO NOTHING`,
		e.IncidentID, e.Key, nullTime(e.At), e.Kind, e.UnitID, e.Actor, e.Detail, data)
	if pgCode(err) == codeForeignKeyViolation {
		return errNoIncident(e.IncidentID)
	}
	return translate(fmt.Sprintf("append event %s", e.Key), err)
}

// Timeline returns an incident's events in the order they happened (ties by insertion).
func (db *DB) Timeline(ctx context.Context, incidentID int64) ([]fireline.TimelineEvent, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT id, incident_id, key, at, kind, unit_id, actor, detail, data
		FROM incident_events WHERE incident_id = $1 ORDER BY at, id`, incidentID)
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.TimelineEvent, error) {
		var e fireline.TimelineEvent
		err := r.Scan(&e.ID, &e.IncidentID, &e.Key, &e.At, &e.Kind, &e.UnitID, &e.Actor, &e.Detail, &e.Data)
		return e, err
	})
	if err != nil {
		return nil, translate("timeline", err)
	}
	if len(events) == 0 {
		// Every incident has at least its first alarm's event; none means no incident.
		if err := mustExist(ctx, db.pool, "timeline", incidentID); err != nil {
			return nil, err
		}
	}
	return events, nil
}
