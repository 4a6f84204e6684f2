package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

// H3 cells of the fixture: a resolution-9 cell in Liaocheng's centre and one north-east of it,
// with their resolution-7 and resolution-5 parents (computed with h3-go).
const (
	analyticsCellA   = "89319b9a2cbffff"
	analyticsCellA7  = "87319b9a2ffffff"
	analyticsCellO   = "89319b96db7ffff"
	analyticsCellO5  = "85319b97fffffff"
	analyticsCellFar = "893099592abffff" // Shanghai
)

// analyticsFixture writes live incidents (the centre in Asia/Shanghai) and imported records
// (America/Los_Angeles) with known intervals around 1 December 2026, with plain INSERTs.
func analyticsFixture(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn := sqlConn(t, url)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO stations (id, name, lat, lng, retired_at) VALUES ('ST-A', 'A', 36.456, 115.985, NULL),
		('ST-O', 'O', 36.60, 116.31, NULL), ('ST-OLD', 'Old', 36.60, 116.30, '2026-01-01T00:00:00Z')`)
	exec(`INSERT INTO units (id, name, type, lat, lng) VALUES ('E1', 'E1', 'engine', 36.45, 115.98),
		('L9', 'L9', 'ladder', 36.45, 115.98), ('E2', 'E2', 'engine', 36.45, 115.98)`)
	live := func(id int, created time.Time, typ, cell string, lat, lng float64, status, outcome string, mergedInto any) {
		t.Helper()
		var closed any
		if outcome != "" {
			closed = created.Add(time.Hour)
		}
		exec(`INSERT INTO incidents (id, type, status, lat, lng, cell, created_at, closed_at, outcome, merged_into)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, ''), $10)`, id, typ, status, lat, lng, cell, created, closed, outcome, mergedInto)
	}
	assign := func(incident int, unit, typ string, created time.Time, d, e, s any) {
		t.Helper()
		at := func(v any) any {
			if v == nil {
				return nil
			}
			return created.Add(time.Duration(v.(int)) * time.Second)
		}
		exec(`INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at, en_route_at, on_scene_at, cleared_at)
			VALUES ($1, $2, $3, 'available', $4, $5, $6, $7)`, incident, unit, typ, at(d), at(e), at(s), created.Add(time.Hour))
	}
	// L1: 00:30 on 1 December in Shanghai (30 November in UTC).
	l1 := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
	live(1, l1, "structure_fire", analyticsCellA, 36.456, 115.985, "reviewed", "closed", nil)
	assign(1, "E1", "engine", l1, 40, 100, 340)
	assign(1, "L9", "ladder", l1, 40, 130, 400)
	// L2: a cancelled traffic accident whose engine reported en route before its dispatch.
	l2 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	live(2, l2, "traffic_accident", analyticsCellO, 36.60, 116.30, "cancelled", "cancelled", nil)
	assign(2, "E2", "engine", l2, 70, 60, 300)
	// L3: 00:05 on 2 December in Shanghai, still 1 December in UTC.
	l3 := time.Date(2026, 12, 1, 16, 5, 0, 0, time.UTC)
	live(3, l3, "structure_fire", analyticsCellA, 36.456, 115.985, "closed", "closed", nil)
	assign(3, "E1", "engine", l3, 10, 20, 30)
	// L4 was merged into L1; L5 is still open: neither counts.
	live(4, l2, "structure_fire", analyticsCellA, 36.456, 115.985, "merged", "merged", 1)
	assign(4, "E2", "engine", l2, 1, 2, 3)
	live(5, l2, "structure_fire", analyticsCellA, 36.456, 115.985, "active", "", nil)
	assign(5, "L9", "ladder", l2, 1, 2, 3)

	imported := func(id int, number string, received time.Time, typ, category, station string) {
		t.Helper()
		exec(`INSERT INTO imported_incidents (id, dataset, number, received_at, time_zone, type, category, station_area, line)
			VALUES ($1, 'sf-calls', $2, $3, 'America/Los_Angeles', $4, $5, $6, $7)`, id, number, received, typ, category, station, id)
	}
	unit := func(incident int, unit, typ string, received time.Time, d, e, s any) {
		t.Helper()
		at := func(v any) any {
			if v == nil {
				return nil
			}
			return received.Add(time.Duration(v.(int)) * time.Second)
		}
		exec(`INSERT INTO imported_units (incident_id, row_key, unit_id, unit_type, dispatched_at, en_route_at, on_scene_at, line)
			VALUES ($1, $2, $2, $3, $4, $5, $6, 1)`, incident, unit, typ, at(d), at(e), at(s))
	}
	// M1: 23:30 on 1 December in San Francisco (2 December in UTC); its engine never arrived
	// and its medic reported nothing after the dispatch.
	m1 := time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	imported(1, "M1", m1, "structure_fire", "fire", "SF-07")
	unit(1, "E07", "engine", m1, 50, 110, nil)
	unit(1, "M07", "", m1, 55, nil, nil)
	// M2: 23:30 on 30 November in San Francisco.
	m2 := time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC)
	imported(2, "M2", m2, "structure_fire", "fire", "SF-07")
	unit(2, "E08", "engine", m2, 5, 6, 7)
	// M3: nobody was sent.
	imported(3, "M3", time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), "help_requested", "other", "SF-09")
}

func TestIntervalReport(t *testing.T) {
	t.Parallel()
	db, url := newDB(t)
	analyticsFixture(t, url)
	an, err := postgres.NewAnalytics(db, "Asia/Shanghai", fireline.DefaultIntervalTargets())
	must(t, err)
	ctx := context.Background()
	day := fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01"}

	rep, err := an.IntervalReport(ctx, day)
	must(t, err)
	if rep.Incidents != 4 || rep.Live != 2 || rep.Imported != 2 {
		t.Fatalf("1 December: %d incidents (%d live, %d imported), want 4 (2, 2)", rep.Incidents, rep.Live, rep.Imported)
	}
	wantStats(t, "call processing", rep.CallProcessing, 3, 50, 70, 1, 0)       // 40 50 70, M3 missing
	wantStats(t, "turnout", rep.Turnout, 3, 60, 90, 1, 1)                      // 60 60 90, E2 −10, M07 missing
	wantStats(t, "travel", rep.Travel, 3, 240, 270, 2, 0)                      // 240 240 270, E07 and M07 missing
	wantStats(t, "first on scene", rep.AlarmToFirstOnScene, 2, 300, 340, 2, 0) // even n: rank 1 and 2
	if rep.TimeZone != "Asia/Shanghai" {
		t.Errorf("time zone %q", rep.TimeZone)
	}
	for _, c := range rep.Compliance {
		if c.Measure == "travel_first_engine" && (c.N != 2 || c.Within != 2 || !c.Met) {
			t.Errorf("first engine travel %+v, want both 240 s within 240 s", c)
		}
	}

	for _, tt := range []struct {
		name      string
		q         fireline.IntervalQuery
		incidents int
		callP50   float64
	}{
		{"live", fireline.IntervalQuery{Origin: fireline.OriginLive}, 2, 40},
		{"imported", fireline.IntervalQuery{Origin: fireline.OriginImported}, 2, 50},
		{"ladders", fireline.IntervalQuery{UnitType: fireline.UnitLadder}, 1, 40},
		{"structure fires", fireline.IntervalQuery{Type: "structure_fire"}, 2, 40},
		{"resolution-7 cell", fireline.IntervalQuery{Cell: analyticsCellA7}, 1, 40},
		{"resolution-5 cell", fireline.IntervalQuery{Cell: analyticsCellO5}, 1, 70},
		{"resolution-9 cell", fireline.IntervalQuery{Cell: analyticsCellA}, 1, 40},
		{"far cell", fireline.IntervalQuery{Cell: analyticsCellFar}, 0, 0},
		{"nearest station in service", fireline.IntervalQuery{StationArea: "ST-O"}, 1, 70},
		{"imported station", fireline.IntervalQuery{StationArea: "SF-07"}, 1, 50},
		{"two days", fireline.IntervalQuery{To: "2026-12-02"}, 5, 40},
		{"30 November", fireline.IntervalQuery{From: "2026-11-30", To: "2026-11-30"}, 1, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			if q.From == "" {
				q.From = day.From
			}
			if q.To == "" {
				q.To = day.To
			}
			rep, err := an.IntervalReport(ctx, q)
			must(t, err)
			if rep.Incidents != tt.incidents {
				t.Fatalf("%d incidents, want %d", rep.Incidents, tt.incidents)
			}
			if tt.incidents > 0 && (rep.CallProcessing.P50 == nil || *rep.CallProcessing.P50 != tt.callP50) {
				t.Errorf("call processing p50 %v, want %v", rep.CallProcessing.P50, tt.callP50)
			}
			if tt.incidents == 0 && (rep.CallProcessing.N != 0 || rep.CallProcessing.P50 != nil) {
				t.Errorf("no incidents, call processing %+v", rep.CallProcessing)
			}
		})
	}

	_, err = an.IntervalReport(ctx, fireline.IntervalQuery{From: "2026-12-02", To: "2026-12-01"})
	wantCode(t, err, fireline.EINVALID)
	_, err = postgres.NewAnalytics(db, "Mars/Olympus", fireline.DefaultIntervalTargets())
	wantCode(t, err, fireline.EINVALID)
}

func wantStats(t *testing.T, name string, s fireline.IntervalStats, n int, p50, p90 float64, missing, negative int) {
	t.Helper()
	if s.N != n || s.P50 == nil || *s.P50 != p50 || s.P90 == nil || *s.P90 != p90 || s.Missing != missing || s.Negative != negative {
		got := func(p *float64) any {
			if p == nil {
				return nil
			}
			return *p
		}
		t.Errorf("%s: n %d p50 %v p90 %v missing %d negative %d; want %d %v %v %d %d", name,
			s.N, got(s.P50), got(s.P90), s.Missing, s.Negative, n, p50, p90, missing, negative)
	}
}
