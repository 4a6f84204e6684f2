package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

var _ fireline.VerifyStore = (*DB)(nil)

// The invariant checker's ledger side. Each check is one set-based query over the whole
// history, so that it runs over a hundred thousand incidents in seconds; each answers at most
// limit rows, the violations that break it, with their ids.

// alarmsWithoutIncident: an alarm that opens or joins an incident by its kind but has none.
const alarmsWithoutIncident = `
SELECT id, source || '/' || source_id FROM alarms
WHERE incident_id IS NULL AND kind NOT IN ('fault', 'supervisory', 'reset')
ORDER BY id LIMIT $1`

// ackedAlarms finds each acknowledged receipt's alarm by its source's own id. The incident it
// was acknowledged with may since have been merged (into one, which may itself have been
// merged): the alarm then sits in the incident at the end of that chain. An alarm split out of
// its incident into one of its own has an alarm_split event keyed by it on its new incident.
const ackedAlarms = `
WITH RECURSIVE r AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
        AS r(source, source_id, alarm_id, incident_id)
), chain(start, id) AS (
    SELECT DISTINCT incident_id, incident_id FROM r WHERE incident_id <> 0
    UNION
    SELECT c.start, i.merged_into FROM chain c JOIN incidents i ON i.id = c.id WHERE i.merged_into IS NOT NULL
)
SELECT r.source || '/' || r.source_id, r.alarm_id, r.incident_id, coalesce(a.id, 0), coalesce(a.incident_id, 0)
FROM r LEFT JOIN alarms a ON a.source = r.source AND a.source_id = r.source_id
WHERE a.id IS NULL
   OR (r.alarm_id <> 0 AND a.id <> r.alarm_id)
   OR (r.incident_id = 0 AND a.incident_id IS NOT NULL)
   OR (r.incident_id <> 0 AND a.incident_id IS NULL)
   OR (r.incident_id <> 0 AND NOT EXISTS (SELECT FROM chain c WHERE c.start = r.incident_id AND c.id = a.incident_id)
       AND NOT EXISTS (SELECT FROM incident_events e WHERE e.incident_id = a.incident_id
           AND e.key = 'alarm:' || a.id AND e.kind = 'alarm_split'))
ORDER BY r.source, r.source_id LIMIT $5`

// unitOverlaps: a unit's assignment that begins before an earlier one of the same unit has
// been cleared (an open assignment lasts for ever). The window finds the rows cheaply; the
// lateral join names the assignment each overlaps.
const unitOverlaps = `
WITH iv AS (
    SELECT id, unit_id, incident_id, dispatched_at,
        max(coalesce(cleared_at, 'infinity')) OVER (PARTITION BY unit_id ORDER BY dispatched_at, id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_until
    FROM incident_units
)
SELECT b.unit_id, b.incident_id, b.dispatched_at, o.incident_id, o.dispatched_at, o.cleared_at
FROM iv b CROSS JOIN LATERAL (
    SELECT o.incident_id, o.dispatched_at, o.cleared_at FROM incident_units o
    WHERE o.unit_id = b.unit_id AND o.id <> b.id AND (o.dispatched_at, o.id) < (b.dispatched_at, b.id)
      AND coalesce(o.cleared_at, 'infinity') > b.dispatched_at
    ORDER BY o.dispatched_at DESC, o.id DESC LIMIT 1) o
WHERE b.prior_until > b.dispatched_at
ORDER BY b.unit_id, b.dispatched_at LIMIT $1`

// unitRows: a unit whose own row names another incident than its open assignment, or none.
const unitRows = `
SELECT u.id, coalesce(u.incident_id, 0), coalesce(a.incident_id, 0)
FROM units u LEFT JOIN incident_units a ON a.unit_id = u.id AND a.cleared_at IS NULL
WHERE u.incident_id IS DISTINCT FROM a.incident_id
ORDER BY u.id LIMIT $1`

// duplicateKeys: a timeline key written twice (the unique constraint forbids it; this finds
// it if the constraint was ever lost).
const duplicateKeys = `
SELECT incident_id, key, count(*) FROM incident_events
GROUP BY incident_id, key HAVING count(*) > 1
ORDER BY incident_id, key LIMIT $1`

// missingEnds: an ended incident without the event of its end (closed, cancelled, or merged
// into another), or reviewed without its review's event.
const missingEnds = `
SELECT i.id, i.status, coalesce(i.outcome, ''), m.kind FROM incidents i
CROSS JOIN LATERAL (VALUES (CASE i.outcome WHEN 'merged' THEN 'incident_merged' ELSE i.outcome END),
    (CASE WHEN i.status = 'reviewed' THEN 'reviewed' END)) m(kind)
WHERE m.kind IS NOT NULL
  AND NOT EXISTS (SELECT FROM incident_events e WHERE e.incident_id = i.id AND e.kind = m.kind)
ORDER BY i.id, m.kind LIMIT $1`

// missingDispatches: an assignment with no dispatched or reinforced event naming its unit on
// its incident, nor on any incident merged into it (a merge moves open assignments and leaves
// their events where they were written).
const missingDispatches = `
WITH RECURSIVE missing AS (
    SELECT a.id, a.incident_id, a.unit_id, a.dispatched_at FROM incident_units a
    WHERE NOT EXISTS (SELECT FROM incident_events e WHERE e.incident_id = a.incident_id
        AND e.kind IN ('dispatched', 'reinforced') AND e.data->'units' ? a.unit_id)
), family(row_id, incident_id) AS (
    SELECT id, incident_id FROM missing
    UNION
    SELECT f.row_id, i.id FROM family f JOIN incidents i ON i.merged_into = f.incident_id
)
SELECT m.incident_id, m.unit_id, m.dispatched_at FROM missing m
WHERE NOT EXISTS (SELECT FROM family f JOIN incident_events e ON e.incident_id = f.incident_id
    WHERE f.row_id = m.id AND e.kind IN ('dispatched', 'reinforced') AND e.data->'units' ? m.unit_id)
ORDER BY m.incident_id, m.unit_id LIMIT $1`

// VerifyLedger checks the invariants PostgreSQL alone can judge (fireline.VerifyStore). It
// reads in one repeatable-read transaction, so every check sees the same moment.
func (db *DB) VerifyLedger(ctx context.Context, acked []fireline.AckedAlarm, limit int) ([]fireline.Violation, error) {
	if limit <= 0 {
		return nil, fireline.Errorf(fireline.EINVALID, "verify: the limit must be positive")
	}
	var out []fireline.Violation
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, step := range []func() ([]fireline.Violation, error){
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "alarms", alarmsWithoutIncident, scanAlarmWithoutIncident, limit)
			},
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "unit overlaps", unitOverlaps, scanUnitOverlap, limit)
			},
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "unit rows", unitRows, scanUnitRow, limit)
			},
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "duplicate keys", duplicateKeys, scanDuplicateKey, limit)
			},
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "ended incidents", missingEnds, scanMissingEnd, limit)
			},
			func() ([]fireline.Violation, error) {
				return db.verifyQuery(ctx, tx, "dispatches", missingDispatches, scanMissingDispatch, limit)
			},
			func() ([]fireline.Violation, error) {
				if len(acked) == 0 {
					return nil, nil
				}
				src, ids := make([]string, len(acked)), make([]string, len(acked))
				alarmIDs, incidentIDs := make([]int64, len(acked)), make([]int64, len(acked))
				for i, a := range acked {
					src[i], ids[i], alarmIDs[i], incidentIDs[i] = string(a.Source), a.SourceID, a.AlarmID, a.IncidentID
				}
				return db.verifyQuery(ctx, tx, "acked alarms", ackedAlarms, scanAckedAlarm, src, ids, alarmIDs, incidentIDs, limit)
			},
		} {
			vs, err := step()
			if err != nil {
				return err
			}
			out = append(out, vs...)
		}
		return nil
	})
	return out, err
}

// verifyQuery runs one of the ledger's checks and reads its violations.
func (db *DB) verifyQuery(ctx context.Context, tx pgx.Tx, name, sql string, scan func(pgx.CollectableRow) (fireline.Violation, error), args ...any) ([]fireline.Violation, error) {
	began := time.Now()
	rows, _ := tx.Query(ctx, sql, args...)
	vs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, translate("verify: "+name, err)
	}
	db.log.Debug("verify check", "check", name, "violations", len(vs), "took", time.Since(began))
	return vs, nil
}

// The scans read each check's rows into violations: the ids, and why in one line.

func scanAlarmWithoutIncident(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantAlarm, Why: "the alarm opens or joins an incident by its kind, but has none"}
	return v, r.Scan(&v.AlarmID, &v.Key)
}

func scanUnitOverlap(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantUnitOverlap}
	var at, otherAt time.Time
	var otherCleared *time.Time
	if err := r.Scan(&v.UnitID, &v.IncidentID, &at, &v.OtherIncidentID, &otherAt, &otherCleared); err != nil {
		return v, err
	}
	until := "still open"
	if otherCleared != nil {
		until = "cleared " + otherCleared.UTC().Format(time.RFC3339)
	}
	what := "incident"
	if v.OtherIncidentID == v.IncidentID {
		what = "the same incident, already"
	}
	v.Why = fmt.Sprintf("dispatched %s while on %s %d (dispatched %s, %s)", at.UTC().Format(time.RFC3339),
		what, v.OtherIncidentID, otherAt.UTC().Format(time.RFC3339), until)
	return v, nil
}

func scanUnitRow(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantProjection}
	if err := r.Scan(&v.UnitID, &v.IncidentID, &v.OtherIncidentID); err != nil {
		return v, err
	}
	v.Why = fmt.Sprintf("the unit's row says incident %d, its open assignment incident %d (0: none)", v.IncidentID, v.OtherIncidentID)
	return v, nil
}

func scanDuplicateKey(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantTimeline}
	var n int
	if err := r.Scan(&v.IncidentID, &v.Key, &n); err != nil {
		return v, err
	}
	v.Why = fmt.Sprintf("the timeline key is written %d times", n)
	return v, nil
}

func scanMissingEnd(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantTimeline}
	var status, outcome, kind string
	if err := r.Scan(&v.IncidentID, &status, &outcome, &kind); err != nil {
		return v, err
	}
	v.Why = fmt.Sprintf("the incident is %s (outcome %s) but its timeline has no %s event", status, outcome, kind)
	return v, nil
}

func scanMissingDispatch(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantTimeline}
	var at time.Time
	if err := r.Scan(&v.IncidentID, &v.UnitID, &at); err != nil {
		return v, err
	}
	v.Why = fmt.Sprintf("the unit was assigned at %s but no dispatched or reinforced event names it", at.UTC().Format(time.RFC3339))
	return v, nil
}

func scanAckedAlarm(r pgx.CollectableRow) (fireline.Violation, error) {
	v := fireline.Violation{Invariant: fireline.InvariantAlarm}
	var ackedAlarm, ackedIncident, alarm, incident int64
	if err := r.Scan(&v.Key, &ackedAlarm, &ackedIncident, &alarm, &incident); err != nil {
		return v, err
	}
	v.AlarmID, v.IncidentID, v.OtherIncidentID = ackedAlarm, ackedIncident, incident
	switch {
	case alarm == 0:
		v.Why = "acknowledged, but no alarm with that source id is stored"
	case ackedAlarm != 0 && alarm != ackedAlarm:
		v.Why = fmt.Sprintf("acknowledged as alarm %d, stored as alarm %d", ackedAlarm, alarm)
	case incident == 0:
		v.Why = fmt.Sprintf("acknowledged with incident %d, stored without one", ackedIncident)
	case ackedIncident == 0:
		v.Why = fmt.Sprintf("acknowledged as recorded only, stored in incident %d", incident)
	default:
		v.Why = fmt.Sprintf("acknowledged with incident %d, stored in incident %d, which no merge or split explains", ackedIncident, incident)
	}
	return v, nil
}

// ProjectedIncidents lists live incidents' statuses and the units of their open assignments
// (fireline.VerifyStore), all of them when ids is nil.
func (db *DB) ProjectedIncidents(ctx context.Context, ids []int64) ([]fireline.ProjectedIncident, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT i.id, i.status, coalesce(array_agg(a.unit_id ORDER BY a.unit_id) FILTER (WHERE a.unit_id IS NOT NULL), '{}')
		FROM incidents i LEFT JOIN incident_units a ON a.incident_id = i.id AND a.cleared_at IS NULL
		WHERE $1::bigint[] IS NULL OR i.id = ANY($1)
		GROUP BY i.id ORDER BY i.id`, ids)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.ProjectedIncident, error) {
		var p fireline.ProjectedIncident
		var status string
		err := r.Scan(&p.ID, &status, &p.Units)
		p.Status = fireline.IncidentStatus(status)
		return p, err
	})
	return out, translate("verify: projections", err)
}
