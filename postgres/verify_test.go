package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

// verifyHistory is a little consistent history written through the store as the activities
// write it: incident closed (E1 dispatched, cleared, the incident closed and reviewed), open (E1
// again after it), merged (E2 dispatched, then the incident merged into open, taking E2 with
// it), and acked, the receipts of their three alarms as their sources were answered.
type verifyHistory struct {
	db                     *postgres.DB
	url                    string
	closed, open, merged   int64
	closedAlarm, openAlarm int64
	acked                  []fireline.AckedAlarm
}

func newVerifyHistory(t *testing.T) verifyHistory {
	t.Helper()
	ctx := context.Background()
	db, url := cityDB(t)
	h := verifyHistory{db: db, url: url}
	receive := func(cell string) fireline.AlarmReceipt {
		a := alarm(cell)
		rc, err := db.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: []string{cell}})
		must(t, err)
		h.acked = append(h.acked, fireline.AckedAlarm{Source: a.Source, SourceID: a.SourceID, AlarmID: rc.Alarm.ID, IncidentID: rc.IncidentID})
		return rc
	}
	event := func(id int64, key, kind string, at time.Time, data map[string]any) {
		must(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: id, Key: key, Kind: kind, At: at, Data: data}))
	}
	dispatch := func(id int64, unit string, at time.Time) {
		_, err := db.ReserveUnits(ctx, id, []string{unit}, at)
		must(t, err)
		event(id, "dispatch:1", fireline.EventDispatched, at, map[string]any{"units": []string{unit}, "round": 1})
	}

	rc := receive(cellA)
	h.closed, h.closedAlarm = rc.IncidentID, rc.Alarm.ID
	dispatch(h.closed, "E1", t0)
	_, err := db.SetUnitStatus(ctx, "E1", h.closed, fireline.UnitAvailable, t0.Add(10*time.Minute))
	must(t, err)
	must(t, db.SetIncidentStatus(ctx, h.closed, fireline.IncidentClosed))
	event(h.closed, "closed", fireline.EventClosed, t0.Add(11*time.Minute), nil)
	must(t, db.SaveReview(ctx, h.closed, fireline.Review{ReviewedAt: t0.Add(11 * time.Minute)}))
	event(h.closed, "reviewed", fireline.EventReviewed, t0.Add(11*time.Minute), nil)

	rc = receive(cellB)
	h.open, h.openAlarm = rc.IncidentID, rc.Alarm.ID
	dispatch(h.open, "E1", t0.Add(20*time.Minute))

	h.merged = receive(cellA2).IncidentID
	dispatch(h.merged, "E2", t0.Add(21*time.Minute))
	_, _, err = db.MergeIncidents(ctx, h.merged, h.open, t0.Add(22*time.Minute), "operator")
	must(t, err)
	return h
}

func (h verifyHistory) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := sqlConn(t, h.url).Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (h verifyHistory) verify(t *testing.T, acked []fireline.AckedAlarm) []fireline.Violation {
	t.Helper()
	vs, err := h.db.VerifyLedger(context.Background(), acked, 100)
	must(t, err)
	return vs
}

// wantViolations fails unless got holds exactly want, compared on everything but the why,
// which must be said.
func wantViolations(t *testing.T, got, want []fireline.Violation) {
	t.Helper()
	key := func(v fireline.Violation) string {
		return fmt.Sprintf("%s/%d/%d/%d/%s/%s", v.Invariant, v.IncidentID, v.OtherIncidentID, v.AlarmID, v.UnitID, v.Key)
	}
	var g, w []string
	for _, v := range got {
		if v.Why == "" {
			t.Errorf("violation %+v says no why", v)
		}
		g = append(g, key(v))
	}
	for _, v := range want {
		w = append(w, key(v))
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("violations\n got %q\nwant %q\n(%v)", g, w, got)
	}
}

func TestVerifyLedgerConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newVerifyHistory(t)
	wantViolations(t, h.verify(t, h.acked), nil)

	ps, err := h.db.ProjectedIncidents(ctx, nil)
	must(t, err)
	want := []fireline.ProjectedIncident{
		{ID: h.closed, Status: fireline.IncidentReviewed, Units: []string{}},
		{ID: h.open, Status: fireline.IncidentReceived, Units: []string{"E1", "E2"}},
		{ID: h.merged, Status: fireline.IncidentMerged, Units: []string{}},
	}
	if fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Errorf("projections %+v, want %+v", ps, want)
	}
	some, err := h.db.ProjectedIncidents(ctx, []int64{h.open})
	must(t, err)
	if len(some) != 1 || some[0].ID != h.open {
		t.Errorf("projections of %d: %+v", h.open, some)
	}
	_, err = h.db.VerifyLedger(ctx, nil, 0)
	wantCode(t, err, fireline.EINVALID)
}

func TestVerifyLedgerCorruption(t *testing.T) {
	t.Parallel()
	t.Run("unit held two incidents: a cleared assignment stretched over the next", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		h.exec(t, `UPDATE incident_units SET cleared_at = cleared_at + interval '1 hour' WHERE incident_id = $1 AND unit_id = 'E1'`, h.closed)
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantUnitOverlap, IncidentID: h.open, OtherIncidentID: h.closed, UnitID: "E1"},
		})
	})
	t.Run("unit on two open incidents", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		third := openIncident(t, h.db, cellB+"0")
		h.exec(t, `DROP INDEX incident_units_one_open`)
		h.exec(t, `INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at)
			VALUES ($1, 'E1', 'engine', 'dispatched', $2)`, third, t0.Add(30*time.Minute))
		h.exec(t, `INSERT INTO incident_events (incident_id, key, at, kind, data)
			VALUES ($1, 'dispatch:1', $2, 'dispatched', '{"units": ["E1"]}')`, third, t0.Add(30*time.Minute))
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantUnitOverlap, IncidentID: third, OtherIncidentID: h.open, UnitID: "E1"},
			// E1's own row names one incident, and it has two open assignments.
			{Invariant: fireline.InvariantProjection, IncidentID: h.open, OtherIncidentID: third, UnitID: "E1"},
		})
	})
	t.Run("lost alarm: an acknowledged receipt with no row", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		lost := fireline.AckedAlarm{Source: fireline.SourceCall, SourceID: "119-lost", AlarmID: 999, IncidentID: h.open}
		wantViolations(t, h.verify(t, append(h.acked, lost)), []fireline.Violation{
			{Invariant: fireline.InvariantAlarm, AlarmID: 999, IncidentID: h.open, Key: "call/119-lost"},
		})
	})
	t.Run("lost alarm: an alarm with no incident", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		h.exec(t, `UPDATE alarms SET incident_id = NULL WHERE id = $1`, h.openAlarm)
		src := h.acked[1].Source
		key := string(src) + "/" + h.acked[1].SourceID
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantAlarm, AlarmID: h.openAlarm, Key: key},
			{Invariant: fireline.InvariantAlarm, AlarmID: h.openAlarm, IncidentID: h.open, Key: key},
		})
	})
	t.Run("alarm in another incident than acknowledged", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		h.exec(t, `UPDATE alarms SET incident_id = $2 WHERE id = $1`, h.closedAlarm, h.open)
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantAlarm, AlarmID: h.closedAlarm, IncidentID: h.closed, OtherIncidentID: h.open,
				Key: string(h.acked[0].Source) + "/" + h.acked[0].SourceID},
		})
	})
	t.Run("duplicated timeline key", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		h.exec(t, `ALTER TABLE incident_events DROP CONSTRAINT incident_events_incident_id_key_key`)
		h.exec(t, `INSERT INTO incident_events (incident_id, key, at, kind) VALUES ($1, 'closed', $2, 'closed')`, h.closed, t0)
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantTimeline, IncidentID: h.closed, Key: "closed"},
		})
	})
	t.Run("gaps: an assignment and an end without their events", func(t *testing.T) {
		t.Parallel()
		h := newVerifyHistory(t)
		h.exec(t, `INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at, cleared_at)
			VALUES ($1, 'L1', 'ladder', 'available', $2, $3)`, h.open, t0.Add(30*time.Minute), t0.Add(31*time.Minute))
		cancelled := openIncident(t, h.db, cellB+"1")
		must(t, h.db.SetIncidentStatus(context.Background(), cancelled, fireline.IncidentCancelled))
		wantViolations(t, h.verify(t, h.acked), []fireline.Violation{
			{Invariant: fireline.InvariantTimeline, IncidentID: h.open, UnitID: "L1"},
			{Invariant: fireline.InvariantTimeline, IncidentID: cancelled},
		})
	})
}

// TestVerifyLedgerScale times the ledger's checks over a hundred thousand incidents (each with
// an alarm, two assignments and five events) to show they stay set-based. It writes 700,000
// rows, so it runs only when FIRELINE_VERIFY_SCALE is set.
func TestVerifyLedgerScale(t *testing.T) {
	if os.Getenv("FIRELINE_VERIFY_SCALE") == "" {
		t.Skip("writes 700,000 rows: set FIRELINE_VERIFY_SCALE=1 to run")
	}
	ctx := context.Background()
	db, url := cityDB(t)
	conn := sqlConn(t, url)
	began := time.Now()
	for _, sql := range []string{
		`SET session_replication_role = replica`, // no notifications, no append-only trigger
		`INSERT INTO units (id, name, type, station_id, lat, lng, cell)
			SELECT 'U' || n, 'Unit ' || n, 'engine', 'S1', 36.45, 115.98, '` + cellA + `' FROM generate_series(1, 200) n`,
		`INSERT INTO incidents (id, type, status, lat, lng, cell, created_at, closed_at, outcome, alarm_count)
			SELECT n, 'structure_fire', CASE WHEN n % 10 = 0 THEN 'active' ELSE 'reviewed' END, 36.45, 115.98, '` + cellA + `',
				$1::timestamptz + n * interval '1 minute',
				CASE WHEN n % 10 = 0 THEN NULL ELSE $1::timestamptz + n * interval '1 minute' + interval '30 minutes' END,
				CASE WHEN n % 10 = 0 THEN NULL ELSE 'closed' END, 1
			FROM generate_series(1, 100000) n`,
		`SELECT setval('incidents_id_seq', 100000)`,
		`INSERT INTO alarms (source, source_id, type, lat, lng, cell, reported_at, received_at, incident_id)
			SELECT 'call', 'scale-' || n, 'structure_fire', 36.45, 115.98, '` + cellA + `',
				$1::timestamptz + n * interval '1 minute', $1::timestamptz + n * interval '1 minute', n
			FROM generate_series(1, 100000) n`,
		// Unit U(k) serves incidents n with n % 100 = k and k + 100, each for 30 minutes of its
		// 100: no overlap.
		`INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at, cleared_at)
			SELECT n, 'U' || (n % 100 + 1 + 100 * r), 'engine', 'available',
				$1::timestamptz + n * interval '1 minute', $1::timestamptz + n * interval '1 minute' + interval '30 minutes'
			FROM generate_series(1, 100000) n, generate_series(0, 1) r WHERE n % 10 <> 0`,
		`INSERT INTO incident_events (incident_id, key, at, kind, data)
			SELECT n, k.key, $1::timestamptz + n * interval '1 minute', k.kind,
				CASE WHEN k.kind = 'dispatched' THEN jsonb_build_object('units', jsonb_build_array('U' || (n % 100 + 1), 'U' || (n % 100 + 101))) END
			FROM generate_series(1, 100000) n,
				(VALUES ('alarm:1', 'alarm_received'), ('recommended:1', 'recommended'), ('dispatch:1', 'dispatched'),
					('closed', 'closed'), ('reviewed', 'reviewed')) k(key, kind)
			WHERE n % 10 <> 0 OR k.kind IN ('alarm_received', 'recommended')`,
		`ANALYZE`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{t0}
		}
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%.80s: %v", sql, err)
		}
	}
	t.Logf("wrote 100,000 incidents in %s", time.Since(began).Round(time.Millisecond))
	acked := make([]fireline.AckedAlarm, 0, 100000)
	for n := int64(1); n <= 100000; n++ {
		acked = append(acked, fireline.AckedAlarm{Source: fireline.SourceCall, SourceID: fmt.Sprintf("scale-%d", n), IncidentID: n})
	}
	// Each check's time, at debug, on the test's output.
	timed, err := postgres.Open(ctx, appURL(t, url), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	must(t, err)
	defer timed.Close()
	began = time.Now()
	vs, err := timed.VerifyLedger(ctx, acked, 100)
	must(t, err)
	took := time.Since(began)
	t.Logf("verified 100,000 incidents and 100,000 acked alarms in %s", took.Round(time.Millisecond))
	wantViolations(t, vs, nil)
	began = time.Now()
	ps, err := db.ProjectedIncidents(ctx, nil)
	must(t, err)
	t.Logf("read %d projections in %s", len(ps), time.Since(began).Round(time.Millisecond))
	if took > 20*time.Second {
		t.Errorf("the ledger's checks took %s over 100,000 incidents, want seconds", took)
	}
}
