package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// incidentColumns are an incident's own columns. updated_at is the last write to the incident
// or its timeline, whichever is later: every activity of the workflow writes one or the other,
// so it says how fresh the whole record is.
const incidentColumns = `id, type, level, status, lat, lng, cell, address, created_at, closed_at,
	alarm_count, recommendation, review, coalesce(priority, 0), coalesce(outcome, ''), coalesce(merged_into, 0),
	alternates, short, replacements, assessed_at, assessed_by, par_due_at,
	greatest(updated_at, (SELECT max(e.recorded_at) FROM incident_events e WHERE e.incident_id = incidents.id))`

func scanIncident(r pgx.CollectableRow) (fireline.Incident, error) {
	var i fireline.Incident
	err := r.Scan(&i.ID, &i.Type, &i.Level, &i.Status, &i.Point.Lat, &i.Point.Lng, &i.Cell, &i.Address,
		&i.CreatedAt, &i.ClosedAt, &i.AlarmCount, &i.Recommendation, &i.Review, &i.Priority, &i.Outcome, &i.MergedInto,
		&i.Alternates, &i.Short, &i.Replacements, &i.AssessedAt, &i.AssessedBy, &i.PARDueAt, &i.UpdatedAt)
	if err == nil && !i.Status.Open() {
		// Offers and a PAR due are for an incident that still takes orders: a finished one
		// shows none, whatever its record last held.
		i.Alternates, i.Short, i.Replacements, i.PARDueAt = []fireline.Recommendation{}, []fireline.PlanSlot{}, []fireline.Recommendation{}, nil
	}
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

// incidentSearchSQL is the incident search: one constant statement in which a filter left
// unset is a parameter that makes its condition true ($7 radius 0, $8 and $9 false, $10 and
// $11 NULL, $12 ”, $13 0). haversineSQL reads the centre from $1 and $2.
const incidentSearchSQL = `SELECT ` + incidentColumns + ` FROM incidents
WHERE ($7::float8 = 0 OR (lat BETWEEN $3 AND $4 AND lng BETWEEN $5 AND $6 AND ` + haversineSQL + ` <= $7))
  AND (NOT $8::bool OR status = ANY($14::text[]))
  AND (NOT $9::bool OR NOT status = ANY($14::text[]))
  AND ($10::timestamptz IS NULL OR created_at >= $10)
  AND ($11::timestamptz IS NULL OR created_at < $11)
  AND ($12::text = '' OR type = $12)
  AND ($13::int = 0 OR level = $13)
ORDER BY created_at DESC, id DESC LIMIT $15`

// Incidents returns the incidents f keeps, newest first, each as complete as Incident returns
// it. The search is one constant statement with every filter a parameter; planning it with
// the parameters' values (force_custom_plan) folds the unset filters away, so the index of
// the conditions set is used as if the statement had been written for them.
func (db *DB) Incidents(ctx context.Context, f fireline.IncidentFilter) ([]fireline.Incident, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > fireline.MaxIncidentList:
		limit = fireline.MaxIncidentList
	}
	var minLat, maxLat, minLng, maxLng float64
	if f.RadiusMeters > 0 {
		minLat, maxLat, minLng, maxLng = box(f.Near, f.RadiusMeters)
	}
	args := []any{f.Near.Lat, f.Near.Lng, minLat, maxLat, minLng, maxLng, f.RadiusMeters,
		f.OpenOnly, f.FinishedOnly, nullTime(f.From), nullTime(f.To), string(f.Type), f.Level, openStatuses(), limit}
	var incs []fireline.Incident
	err := db.readTx(ctx, "incidents", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return translate("incidents", err)
		}
		rows, _ := tx.Query(ctx, incidentSearchSQL, args...)
		var err error
		if incs, err = pgx.CollectRows(rows, scanIncident); err != nil {
			return translate("incidents", err)
		}
		return fillIncidents(ctx, tx, incs)
	})
	if err != nil {
		return nil, err
	}
	return incs, nil
}

// Incident returns one incident as the console shows it: its own record (recommendation,
// alternates, short slots, replacements, assessment, PAR due, review), its assignments (by
// dispatch time, then unit), its joint-agency tasks and its escalations, all read from one
// snapshot. It needs nothing but PostgreSQL.
func (db *DB) Incident(ctx context.Context, id int64) (fireline.Incident, error) {
	var inc fireline.Incident
	err := db.readTx(ctx, "incident", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id)
		one, err := pgx.CollectExactlyOneRow(rows, scanIncident)
		if noRows(err) {
			return errNoIncident(id)
		}
		if err != nil {
			return translate("incident", err)
		}
		list := []fireline.Incident{one}
		if err := fillIncidents(ctx, tx, list); err != nil {
			return err
		}
		inc = list[0]
		return nil
	})
	if err != nil {
		return fireline.Incident{}, err
	}
	return inc, nil
}

// readTx runs fn in a read-only repeatable-read transaction: the reads of one answer see one
// moment, never half of a write that changes several tables (a merge moving alarms, units and
// tasks).
func (db *DB) readTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(op, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	return translate(op, tx.Commit(ctx))
}

// fillIncidents reads the assignments, joint-agency tasks and escalations of incs into them.
func fillIncidents(ctx context.Context, q querier, incs []fireline.Incident) error {
	ids := make([]int64, len(incs))
	for i := range incs {
		ids[i] = incs[i].ID
	}
	byIncident, err := assignments(ctx, q, ids)
	if err != nil {
		return err
	}
	rows, _ := q.Query(ctx, `SELECT `+agencyTaskColumns+` FROM agency_tasks WHERE incident_id = ANY($1)
		ORDER BY incident_id, requested_at, agency`, ids)
	tasks, err := pgx.CollectRows(rows, scanAgencyTask)
	if err != nil {
		return translate("agency tasks", err)
	}
	rows, _ = q.Query(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE incident_id = ANY($1)
		ORDER BY incident_id, raised_at DESC, id DESC`, ids)
	escalations, err := pgx.CollectRows(rows, scanEscalation)
	if err != nil {
		return translate("escalations", err)
	}
	byID := make(map[int64]*fireline.Incident, len(incs))
	for i := range incs {
		byID[incs[i].ID] = &incs[i]
		incs[i].Assignments = byIncident[incs[i].ID]
	}
	for _, t := range tasks {
		byID[t.IncidentID].AgencyTasks = append(byID[t.IncidentID].AgencyTasks, t)
	}
	for _, e := range escalations {
		byID[e.IncidentID].Escalations = append(byID[e.IncidentID].Escalations, e)
	}
	for i := range incs {
		fillEmpty(&incs[i])
	}
	return nil
}

// fillEmpty gives lists an empty value rather than nil, so they reach JSON as [] not null.
func fillEmpty(i *fireline.Incident) {
	i.Recommendation = nonNil(i.Recommendation)
	i.Alternates = nonNil(i.Alternates)
	i.Short = nonNil(i.Short)
	i.Replacements = nonNil(i.Replacements)
	i.Assignments = nonNil(i.Assignments)
	i.AgencyTasks = nonNil(i.AgencyTasks)
	i.Escalations = nonNil(i.Escalations)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func errNoIncident(id int64) error { return notFound("incident %d does not exist", id) }

// assignments returns the assignments of the given incidents, by incident.
func assignments(ctx context.Context, q querier, ids []int64) (map[int64][]fireline.Assignment, error) {
	type row struct {
		IncidentID int64
		fireline.Assignment
	}
	rows, _ := q.Query(ctx, `
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
// stamps closed_at and the outcome once (a repeat keeps the first), and drops a PAR due: nobody
// is on scene to account for. An ended incident is never moved back to an open status: such a
// write is a late one (a status written as the incident started, landing after a cancel that
// raced it), and it changes nothing. Setting the status it already has changes nothing, and
// notifies nobody. Merging has its own way in (MergeIncidents).
func (db *DB) SetIncidentStatus(ctx context.Context, id int64, s fireline.IncidentStatus) error {
	if !s.Valid() || s == fireline.IncidentMerged {
		return fireline.Errorf(fireline.EINVALID, "status: %q is not an incident status to set", s)
	}
	return db.updateIncident(ctx, "set incident status", id, `
		UPDATE incidents SET status = $2, updated_at = now(),
			closed_at = CASE WHEN $3 THEN NULL ELSE coalesce(closed_at, now()) END,
			outcome   = CASE WHEN $3 THEN NULL WHEN $2 = 'reviewed' THEN coalesce(outcome, 'closed')
			                 ELSE coalesce(outcome, $2) END,
			par_due_at = CASE WHEN $3 THEN par_due_at END
		WHERE id = $1 AND status <> $2 AND NOT ($3 AND outcome IS NOT NULL)`, id, s, s.Open())
}

// AssessIncident stores an incident's assessed type, alarm level and priority. The first
// assessment also stamps who it counts as (by: an operator, "pre-plan" or "dispatch") and when
// (at; zero is the database's clock); later ones, and a retried first one, keep those.
func (db *DB) AssessIncident(ctx context.Context, id int64, t fireline.IncidentType, level int, p fireline.Priority, by string, at time.Time) error {
	switch {
	case !t.Valid():
		return fireline.Errorf(fireline.EINVALID, "type: %q is not an incident type code", t)
	case level < fireline.MinLevel || level > fireline.MaxLevel:
		return fireline.Errorf(fireline.EINVALID, "level: %d is outside %d..%d", level, fireline.MinLevel, fireline.MaxLevel)
	case !p.Valid():
		return fireline.Errorf(fireline.EINVALID, "priority: %d is outside %d..%d", p, fireline.PriorityImmediate, fireline.PriorityRoutine)
	}
	return db.updateIncident(ctx, "assess incident", id, `
		UPDATE incidents SET type = $2, level = $3, priority = $4, updated_at = now(),
			assessed_by = CASE WHEN assessed_at IS NULL THEN $5 ELSE assessed_by END,
			assessed_at = coalesce(assessed_at, $6, now())
		WHERE id = $1 AND ((type, level, priority) IS DISTINCT FROM ($2, $3, $4) OR assessed_at IS NULL)`,
		id, t, level, p, by, nullTime(at))
}

// SaveRecommendation stores the units recommended for an incident (best first), the
// alternates beside them and the plan slots no available unit could fill, replacing the
// previous recommendation.
func (db *DB) SaveRecommendation(ctx context.Context, id int64, units, alternates []fireline.Recommendation, short []fireline.PlanSlot) error {
	return db.updateIncident(ctx, "save recommendation", id, `
		UPDATE incidents SET recommendation = $2, alternates = $3, short = $4, updated_at = now() WHERE id = $1`,
		id, nonNil(units), nonNil(alternates), nonNil(short))
}

// HoldRecommendation stores the recommendation intake made for a new incident as its
// recommendation, dated by the database's clock and marked with the type and level it was made
// for, so that the incident's workflow can take it over (HeldRecommendation). An incident whose
// workflow has recommended already, or that has ended, keeps what it has.
func (db *DB) HoldRecommendation(ctx context.Context, id int64, h fireline.HeldRecommendation) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE incidents SET recommendation = $2, alternates = $3, short = $4,
			first_recommended_at = clock_timestamp(), first_recommended_type = $5, first_recommended_level = $6, updated_at = now()
		WHERE id = $1 AND first_recommended_at IS NULL AND recommendation = '[]' AND status = ANY($7)`,
		id, nonNil(h.Units), nonNil(h.Alternates), nonNil(h.Short), h.Type, h.Level, openStatuses())
	return translate("hold recommendation", err)
}

// HeldRecommendation reads the recommendation intake made for incident id (HoldRecommendation);
// false when intake made none. It is only asked for by the workflow's first recommendation.
func (db *DB) HeldRecommendation(ctx context.Context, id int64) (fireline.HeldRecommendation, bool, error) {
	var h fireline.HeldRecommendation
	var at *time.Time
	var t *string
	var level *int
	err := db.pool.QueryRow(ctx, `
		SELECT recommendation, alternates, short, first_recommended_at, first_recommended_type, first_recommended_level
		FROM incidents WHERE id = $1`, id).Scan(&h.Units, &h.Alternates, &h.Short, &at, &t, &level)
	switch {
	case noRows(err):
		return h, false, fireline.Errorf(fireline.ENOTFOUND, "incident %d not found", id)
	case err != nil:
		return h, false, translate("held recommendation", err)
	case at == nil || t == nil || level == nil:
		return fireline.HeldRecommendation{}, false, nil
	}
	h.At, h.Type, h.Level = *at, fireline.IncidentType(*t), *level
	return h, true, nil
}

// SaveReview stores an incident's after-action review and marks it reviewed.
func (db *DB) SaveReview(ctx context.Context, id int64, r fireline.Review) error {
	return db.updateIncident(ctx, "save review", id, `
		UPDATE incidents SET review = $2, status = 'reviewed', closed_at = coalesce(closed_at, now()),
			outcome = coalesce(outcome, 'closed'), par_due_at = NULL, updated_at = now()
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
// A zero At is the database's clock. The few events that change what the incident shows
// change its record in the same transaction (project).
func (db *DB) AppendEvent(ctx context.Context, e fireline.TimelineEvent) error {
	return db.inTx(ctx, "append event", func(tx pgx.Tx) error { return appendEvent(ctx, tx, e) })
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
	tag, err := q.Exec(ctx, `
		INSERT INTO incident_events (incident_id, key, at, kind, unit_id, actor, detail, data)
		VALUES ($1, $2, coalesce($3, now()), $4, $5, $6, $7, $8)
		ON CONFLICT (incident_id, key) DO NOTHING`,
		e.IncidentID, e.Key, nullTime(e.At), e.Kind, e.UnitID, e.Actor, e.Detail, data)
	if pgCode(err) == codeForeignKeyViolation {
		return errNoIncident(e.IncidentID)
	}
	if err != nil {
		return translate(fmt.Sprintf("append event %s", e.Key), err)
	}
	if tag.RowsAffected() == 0 {
		return nil // a repeat: what it changes was changed the first time
	}
	return project(ctx, q, e)
}

// project keeps the incident's record in step with the timeline events that change what the
// console shows, as the incident's workflow changes its own state on them:
//
//   - a replacement offered (EventReplacement with Data "recommendation") joins the
//     replacements; an event without one (no unit was available) changes nothing;
//   - a unit dispatched (EventDispatched, EventReinforced with Data "units") is no longer an
//     offer, and a silent unit that reports a status (EventUnitStatus) needs no replacement;
//   - a PAR due (EventPAR "par:N:due") sets par_due_at to the event's time, and its
//     confirmation ("par:N:confirmed") clears it.
//
// It runs only for an event written the first time, so a retried append changes nothing.
func project(ctx context.Context, q querier, e fireline.TimelineEvent) error {
	op := "project event " + e.Key
	var err error
	switch e.Kind {
	case fireline.EventReplacement:
		var r fireline.Recommendation
		if !decodeData(e.Data["recommendation"], &r) || r.UnitID == "" {
			return nil
		}
		if r.Replaces == "" {
			r.Replaces = e.UnitID
		}
		_, err = q.Exec(ctx, `UPDATE incidents SET replacements = replacements || jsonb_build_array($2::jsonb),
			updated_at = now() WHERE id = $1`, e.IncidentID, r)
	case fireline.EventDispatched, fireline.EventReinforced:
		var units []string
		if !decodeData(e.Data["units"], &units) || len(units) == 0 {
			return nil
		}
		err = dropReplacements(ctx, q, e.IncidentID, "unit_id", units)
	case fireline.EventUnitStatus:
		if e.UnitID == "" {
			return nil
		}
		err = dropReplacements(ctx, q, e.IncidentID, "replaces", []string{e.UnitID})
	case fireline.EventPAR:
		switch {
		case strings.HasSuffix(e.Key, ":due"):
			// A PAR falling due as the incident ends is not asked for any more, and one whose
			// confirmation was written first (the workflow takes a confirmation as soon as the
			// round is due, while this append may still be retrying) is not due either.
			round := strings.TrimSuffix(e.Key, ":due")
			_, err = q.Exec(ctx, `UPDATE incidents SET par_due_at = coalesce($2, now()), updated_at = now()
				WHERE id = $1 AND status = ANY($3)
				AND NOT EXISTS (SELECT FROM incident_events WHERE incident_id = $1 AND key = $4)`,
				e.IncidentID, nullTime(e.At), openStatuses(), round+":confirmed")
		case strings.HasSuffix(e.Key, ":confirmed"):
			_, err = q.Exec(ctx, `UPDATE incidents SET par_due_at = NULL, updated_at = now()
				WHERE id = $1 AND par_due_at IS NOT NULL`, e.IncidentID)
		}
	}
	return translate(op, err)
}

// dropReplacements removes the replacement offers whose field (unit_id or replaces) is one of
// units, keeping the others in order; an incident with none of them is not written.
func dropReplacements(ctx context.Context, q querier, incidentID int64, field string, units []string) error {
	// field is one of two names chosen by project, never input.
	_, err := q.Exec(ctx, `UPDATE incidents SET updated_at = now(), replacements = (
			SELECT coalesce(jsonb_agg(r ORDER BY n), '[]') FROM jsonb_array_elements(replacements) WITH ORDINALITY AS x(r, n)
			WHERE NOT (r->>'`+field+`' = ANY($2)))
		WHERE id = $1 AND EXISTS (SELECT FROM jsonb_array_elements(replacements) r WHERE r->>'`+field+`' = ANY($2))`,
		incidentID, units)
	return err
}

// decodeData reads one value of an event's Data into out: a value that came through JSON (an
// activity's input) or a Go value (a test's) alike. It reports whether v was there and fit.
func decodeData(v, out any) bool {
	if v == nil {
		return false
	}
	b, err := json.Marshal(v)
	return err == nil && json.Unmarshal(b, out) == nil
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
