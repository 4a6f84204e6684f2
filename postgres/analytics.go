package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

var _ fireline.AnalyticsService = (*Analytics)(nil)

// Analytics computes the response-time analytics over the live read model and the imported
// records, with the centre's time zone and targets.
type Analytics struct {
	db      *DB
	zone    string
	targets fireline.IntervalTargets
}

// NewAnalytics is the analytics of db. zone is the IANA time zone whose calendar dates the live
// incidents fall on (fireline.DefaultCentreTimeZone when empty); targets are validated.
func NewAnalytics(db *DB, zone string, targets fireline.IntervalTargets) (*Analytics, error) {
	if zone == "" {
		zone = fireline.DefaultCentreTimeZone
	}
	if err := fireline.CheckTimeZone(zone); err != nil {
		return nil, err
	}
	if err := targets.Validate(); err != nil {
		return nil, err
	}
	return &Analytics{db: db, zone: zone, targets: targets}, nil
}

// intervalRowsQuery gathers, for the live incidents and the imported records alike, one row per
// unit sent (or one row with no unit for an incident nobody was sent to) with the incident's
// received time, category and step times: the one shape the intervals are measured from.
//
// A live incident counts once it has ended, closed or cancelled: an open one has steps still to
// come, and one merged into another brought its alarms and working units there, where they are
// counted. Its received time is created_at, its first alarm's; its station area the station
// nearest to it that was in service when the alarm came. Dates are compared in each
// incident's own zone ($1 for live ones), after a coarse UTC range ($2, $3) any zone's day falls
// in, which keeps to the received-time indexes. The incidents are chosen first and their units
// joined after, so that years of records are one hash join rather than a lookup each.
//
// $4 $5: dates; $6 origin; $7 type; $8 station; $9 $10: the cell's mask and masked value (0 0:
// any place), comparing the cell's H3 bits above the query cell's resolution.
const intervalRowsQuery = `
WITH selected AS (
	SELECT 'live' AS origin, i.id, i.created_at AS received, $1::text AS tz,
	       coalesce(t.category, 'other') AS category, i.type, coalesce(st.id, '') AS station, i.cell
	FROM incidents i
	LEFT JOIN incident_types t ON t.code = i.type
	LEFT JOIN LATERAL (
		SELECT s.id FROM stations s
		WHERE s.retired_at IS NULL OR s.retired_at > i.created_at
		ORDER BY (s.lat - i.lat) ^ 2 + ((s.lng - i.lng) * cos(radians(i.lat))) ^ 2, s.id
		LIMIT 1) st ON true
	WHERE $6 IN ('', 'live') AND i.outcome IN ('closed', 'cancelled')
	  AND i.created_at >= $2 AND i.created_at < $3
	UNION ALL
	SELECT 'imported', m.id, m.received_at, m.time_zone, m.category, m.type, m.station_area, m.cell
	FROM imported_incidents m
	WHERE $6 IN ('', 'imported') AND m.received_at >= $2 AND m.received_at < $3
), chosen AS MATERIALIZED (
	SELECT x.origin, x.id, x.received, x.category FROM selected x
	WHERE (x.received AT TIME ZONE x.tz)::date BETWEEN $4::date AND $5::date
	  AND ($7 = '' OR x.type = $7)
	  AND ($8 = '' OR x.station = $8)
	  AND ($9::bigint = 0 OR (x.cell <> '' AND (('x' || lpad(x.cell, 16, '0'))::bit(64)::bigint & $9::bigint) = $10::bigint))
), units AS (
	SELECT 'live' AS origin, a.incident_id AS id, a.unit_id, a.type AS unit_type, a.dispatched_at, a.en_route_at, a.on_scene_at
	FROM incident_units a WHERE a.incident_id IN (SELECT c.id FROM chosen c WHERE c.origin = 'live')
	UNION ALL
	SELECT 'imported', b.incident_id, b.unit_id, b.unit_type, b.dispatched_at, b.en_route_at, b.on_scene_at
	FROM imported_units b WHERE b.incident_id IN (SELECT c.id FROM chosen c WHERE c.origin = 'imported')
)
SELECT c.origin, c.id, c.received, c.category,
       coalesce(u.unit_id, ''), coalesce(u.unit_type, ''), u.dispatched_at, u.en_route_at, u.on_scene_at
FROM chosen c
LEFT JOIN units u ON u.origin = c.origin AND u.id = c.id
ORDER BY c.origin, c.id, u.dispatched_at NULLS LAST, u.unit_id`

type intervalRow struct {
	Origin     string
	ID         int64
	Received   time.Time
	Category   string
	UnitID     string
	UnitType   string
	Dispatched *time.Time
	EnRoute    *time.Time
	OnScene    *time.Time
}

// IntervalReport measures the incidents q selects and holds them to the targets.
func (a *Analytics) IntervalReport(ctx context.Context, q fireline.IntervalQuery) (fireline.IntervalReport, error) {
	if err := q.Validate(); err != nil {
		return fireline.IntervalReport{}, err
	}
	from, to, _ := q.Dates()
	mask, value, err := cellMask(q.Cell)
	if err != nil {
		return fireline.IntervalReport{}, err
	}
	rows, _ := a.db.pool.Query(ctx, intervalRowsQuery, a.zone, from.AddDate(0, 0, -1), to.AddDate(0, 0, 2),
		q.From, q.To, q.Origin, string(q.Type), q.StationArea, mask, value)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[intervalRow])
	if err != nil {
		return fireline.IntervalReport{}, translate("interval analytics", err)
	}
	var incidents []fireline.IncidentTimes
	var origins []string
	for i, r := range list {
		if i == 0 || r.Origin != list[i-1].Origin || r.ID != list[i-1].ID {
			incidents = append(incidents, fireline.IncidentTimes{Received: r.Received, Category: fireline.IncidentCategory(r.Category)})
			origins = append(origins, r.Origin)
		}
		if r.UnitID != "" {
			in := &incidents[len(incidents)-1]
			in.Units = append(in.Units, fireline.UnitTimes{UnitID: r.UnitID, Type: fireline.UnitType(r.UnitType),
				Dispatched: r.Dispatched, EnRoute: r.EnRoute, OnScene: r.OnScene})
		}
	}
	rep := fireline.IntervalReportOf(q, incidents, origins, a.targets)
	rep.TimeZone = a.zone
	return rep, nil
}

// cellMask is the mask and masked value that select the resolution-9 cells inside cell: the
// bits of the mode, base cell and digits down to cell's resolution, without the resolution
// field. 0, 0 for no cell.
func cellMask(cell string) (mask, value int64, err error) {
	if cell == "" {
		return 0, 0, nil
	}
	res, err := fireline.CellResolution(cell)
	if err != nil {
		return 0, 0, err
	}
	v, _ := strconv.ParseUint(cell, 16, 64)
	const resolutionBits = uint64(0xF) << 52
	m := ^resolutionBits &^ (uint64(1) << 63) &^ (uint64(1)<<(3*(15-res)) - 1)
	// #nosec G115 -- bit 63 is cleared in the mask: both values fit in an int64.
	return int64(m), int64(v & m), nil
}
