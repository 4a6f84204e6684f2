package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/migrations"
)

// TestReadModelBackfill runs migration 0009 over a database of the shape before it, holding
// what running incidents had written then: a replacement offer event naming only the unit, the
// silent unit and the ETA (as events did before they carried the whole recommendation), one
// offer already taken by a dispatch, a PAR due, and an assessment. The incident's record must
// show them as the workflow knew them.
func TestReadModelBackfill(t *testing.T) {
	ctx := context.Background()
	conn := sqlConn(t, newDatabase(t, false))
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	var readModel migrations.Migration
	for _, m := range all {
		if m.Version == 9 {
			readModel = m
			break
		}
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if readModel.Name == "" {
		t.Fatal("no migration 9")
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO stations (id, name, lat, lng) VALUES ('S1', 'One', 36.45, 115.98)`)
	exec(`INSERT INTO units (id, name, type, station_id, lat, lng) VALUES ('E1', 'Engine 1', 'engine', 'S1', 36.45, 115.98),
		('E2', 'Engine 2', 'engine', 'S1', 36.45, 115.98), ('E3', 'Engine 3', 'engine', 'S1', 36.45, 115.98)`)
	exec(`INSERT INTO incidents (id, type, status, lat, lng, cell, created_at) VALUES (1, 'structure_fire', 'active', 36.45, 115.98, $1, now())`, cellA)
	events := []struct {
		key, kind, unit, actor, detail, data string
	}{
		{"assessed:1", "assessed", "", "operator", "assessed: structure_fire, level 2, priority 1", `{"level": 2}`},
		{"assessed:2", "assessed", "", "supervisor", "reassessed: structure_fire, level 3, priority 1", `{"level": 3}`},
		{"recommended:1", "recommended", "", "", "3 units", `{"units": ["E1"], "short": [{"type": "ladder", "count": 1}]}`},
		{"replacement:E1:1", "replacement_recommended", "E1", "supervision", "E2 recommended in place of E1 (ETA 200 s)", `{"unit": "E2", "replaces": "E1", "eta_s": 200}`},
		{"replacement:E9:1", "replacement_recommended", "E9", "supervision", "E3 recommended in place of E9 (ETA 300 s)", `{"unit": "E3", "replaces": "E9", "eta_s": 300}`},
		{"dispatched:2", "dispatched", "", "operator", "dispatched E3", `{"units": ["E3"]}`},
		{"par:1:due", "par", "", "supervision", "PAR 1 due", `{"round": 1}`},
	}
	for i, e := range events {
		exec(`INSERT INTO incident_events (incident_id, key, at, kind, unit_id, actor, detail, data)
			VALUES (1, $1, now() + make_interval(secs => $2), $3, $4, $5, $6, $7::jsonb)`, e.key, i, e.kind, e.unit, e.actor, e.detail, e.data)
	}
	if _, err := conn.Exec(ctx, readModel.SQL); err != nil {
		t.Fatalf("%s: %v", readModel.Name, err)
	}

	var raw []byte
	var by string
	var assessed, parDue bool
	err = conn.QueryRow(ctx, `SELECT replacements, assessed_by, assessed_at IS NOT NULL, par_due_at IS NOT NULL FROM incidents WHERE id = 1`).
		Scan(&raw, &by, &assessed, &parDue)
	if err != nil {
		t.Fatal(err)
	}
	var offers []fireline.Recommendation
	if err := json.Unmarshal(raw, &offers); err != nil {
		t.Fatalf("replacements %s: %v", raw, err)
	}
	if len(offers) != 1 {
		t.Fatalf("replacements %s: want only E2's offer (E3's was dispatched)", raw)
	}
	if o := offers[0]; o.UnitID != "E2" || o.Replaces != "E1" || o.Type != fireline.UnitEngine || o.ETASeconds != 200 || o.StationID != "S1" {
		t.Errorf("offer %+v: want E2 (engine of S1) in place of E1, ETA 200 s", o)
	}
	if !assessed || by != "operator" {
		t.Errorf("assessed %v by %q: want the first assessment's, by operator", assessed, by)
	}
	if !parDue {
		t.Error("the PAR due before the migration is not due after it")
	}
}

// TestPARConfirmedBeforeItsDue: the workflow takes a PAR's confirmation as soon as the round is
// due, while the due event's append may still be retrying, so the confirmation can reach the
// timeline first. The round is then not due.
func TestPARConfirmedBeforeItsDue(t *testing.T) {
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)
	par := func(what string) fireline.TimelineEvent {
		return fireline.TimelineEvent{IncidentID: id, Key: "par:1:" + what, At: t0, Kind: fireline.EventPAR, Actor: "supervision",
			Detail: "PAR 1 " + what, Data: map[string]any{"round": 1}}
	}
	must(t, db.AppendEvent(ctx, par("confirmed")))
	must(t, db.AppendEvent(ctx, par("due")))
	inc, err := db.Incident(ctx, id)
	must(t, err)
	if inc.PARDueAt != nil {
		t.Errorf("PAR due at %v though its confirmation was written first", inc.PARDueAt)
	}
}

// TestFinishedIncidentShowsNoOffers: alternates, unfilled slots and replacement offers are for
// an incident that still takes orders; a closed one shows none, as it did when the console read
// them from the running workflow.
func TestFinishedIncidentShowsNoOffers(t *testing.T) {
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)
	recs := []fireline.Recommendation{{UnitID: "E2", Type: fireline.UnitEngine}}
	must(t, db.SaveRecommendation(ctx, id, recs, recs, []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 1}}))
	if inc, err := db.Incident(ctx, id); err != nil || len(inc.Alternates) != 1 || len(inc.Short) != 1 {
		t.Fatalf("open incident: alternates %v, short %v, err %v", inc.Alternates, inc.Short, err)
	}
	must(t, db.SetIncidentStatus(ctx, id, fireline.IncidentClosed))
	inc, err := db.Incident(ctx, id)
	must(t, err)
	if inc.Alternates == nil || len(inc.Alternates) != 0 || inc.Short == nil || len(inc.Short) != 0 || inc.Replacements == nil || len(inc.Replacements) != 0 {
		t.Errorf("closed incident: alternates %v, short %v, replacements %v, want [] each", inc.Alternates, inc.Short, inc.Replacements)
	}
}
