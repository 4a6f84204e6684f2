package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/migrations"
	"github.com/fireline/fireline/postgres"
)

// viaJSON is v as an activity receives it: through Temporal's JSON payloads, so a struct in an
// event's Data arrives as a map.
func viaJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	var out map[string]any
	must(t, json.Unmarshal(b, &out))
	return out
}

func unitIDsOf(recs []fireline.Recommendation) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.UnitID)
	}
	return out
}

// TestIncidentReadModel: everything the console shows of an incident is in its record, written
// by the activities' store calls, and read back in one call.
func TestIncidentReadModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)
	read := func() fireline.Incident {
		t.Helper()
		inc, err := db.Incident(ctx, id)
		must(t, err)
		return inc
	}

	fresh := read()
	if fresh.Alternates == nil || fresh.Short == nil || fresh.Replacements == nil || fresh.AgencyTasks == nil ||
		fresh.Escalations == nil || fresh.AssessedAt != nil || fresh.AssessedBy != "" || fresh.PARDueAt != nil {
		t.Fatalf("new incident %+v: want empty lists, no assessment, no PAR due", fresh)
	}
	if fresh.UpdatedAt.IsZero() || fresh.UpdatedAt.Before(fresh.CreatedAt.Add(-time.Minute)) {
		t.Errorf("updated_at %s of an incident created at %s", fresh.UpdatedAt, fresh.CreatedAt)
	}

	t.Run("recommendation with alternates and short slots", func(t *testing.T) {
		units := []fireline.Recommendation{{UnitID: "E1", Type: fireline.UnitEngine, ETASeconds: 120, StationID: "S1", Model: "distance-v1"}}
		alts := []fireline.Recommendation{{UnitID: "E2", Type: fireline.UnitEngine, ETASeconds: 130, StationID: "S1", Model: "distance-v1"}}
		short := []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 1}}
		must(t, db.SaveRecommendation(ctx, id, units, alts, short))
		inc := read()
		if !slices.Equal(inc.Recommendation, units) || !slices.Equal(inc.Alternates, alts) || !slices.Equal(inc.Short, short) {
			t.Errorf("stored %v / %v / %v, want %v / %v / %v", inc.Recommendation, inc.Alternates, inc.Short, units, alts, short)
		}
		// A new recommendation replaces all three; nothing short is [], not null.
		must(t, db.SaveRecommendation(ctx, id, units, nil, nil))
		if inc := read(); len(inc.Alternates) != 0 || inc.Short == nil || len(inc.Short) != 0 {
			t.Errorf("after a full recommendation: alternates %v short %#v", inc.Alternates, inc.Short)
		}
		must(t, db.SaveRecommendation(ctx, id, units, alts, short))
	})

	t.Run("the first assessment is kept", func(t *testing.T) {
		must(t, db.AssessIncident(ctx, id, fireline.TypeStructureFire, 1, 2, "pre-plan", t0))
		must(t, db.AssessIncident(ctx, id, fireline.TypeStructureFire, 1, 2, "pre-plan", t0.Add(time.Second))) // a retry
		must(t, db.AssessIncident(ctx, id, fireline.TypeHighRiseFire, 2, 1, "operator", t0.Add(time.Minute)))
		inc := read()
		if inc.AssessedAt == nil || !inc.AssessedAt.Equal(t0) || inc.AssessedBy != "pre-plan" {
			t.Errorf("assessed %v by %q, want %s by pre-plan", inc.AssessedAt, inc.AssessedBy, t0)
		}
		if inc.Type != fireline.TypeHighRiseFire || inc.Level != 2 || inc.Priority != 1 {
			t.Errorf("reassessment not stored: %s level %d priority %d", inc.Type, inc.Level, inc.Priority)
		}
	})

	replacement := func(key, unit, silent string, withRec bool) fireline.TimelineEvent {
		data := map[string]any{"replaces": silent}
		if withRec {
			data["unit"] = unit
			data["recommendation"] = fireline.Recommendation{UnitID: unit, Type: fireline.UnitEngine, ETASeconds: 200,
				StationID: "S1", Model: "distance-v1", Reason: "nearest engine", Replaces: silent}
		}
		return fireline.TimelineEvent{IncidentID: id, Key: key, At: t0.Add(2 * time.Minute), Kind: fireline.EventReplacement,
			UnitID: silent, Actor: "supervision", Detail: "replacement", Data: viaJSON(t, data)}
	}

	t.Run("replacements", func(t *testing.T) {
		before := read().UpdatedAt
		for range 2 { // a retried append adds nothing
			must(t, db.AppendEvent(ctx, replacement("replacement:E1:1", "E2", "E1", true)))
		}
		must(t, db.AppendEvent(ctx, replacement("replacement:L1:1", "", "L1", false))) // none was available
		inc := read()
		if len(inc.Replacements) != 1 || inc.Replacements[0].UnitID != "E2" || inc.Replacements[0].Replaces != "E1" ||
			inc.Replacements[0].Reason != "nearest engine" {
			t.Fatalf("replacements %+v, want E2 in place of E1", inc.Replacements)
		}
		if !inc.UpdatedAt.After(before) {
			t.Errorf("updated_at %s did not move on from %s", inc.UpdatedAt, before)
		}

		// The replacement dispatched is no longer offered.
		must(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: id, Key: "dispatch:2", Kind: fireline.EventDispatched,
			Actor: "operator", Detail: "dispatched [E2]", Data: viaJSON(t, map[string]any{"units": []string{"E2"}, "round": 2})}))
		if inc := read(); len(inc.Replacements) != 0 {
			t.Errorf("after dispatching it: replacements %+v", inc.Replacements)
		}

		// A silent unit that reports after all needs no replacement; the other offer stays.
		must(t, db.AppendEvent(ctx, replacement("replacement:E1:2", "R1", "E1", true)))
		must(t, db.AppendEvent(ctx, replacement("replacement:L1:2", "X1", "L1", true)))
		must(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: id, Key: "unit:E1:1:acknowledged", Kind: fireline.EventUnitStatus,
			UnitID: "E1", Actor: "crew-E1", Detail: "E1 acknowledged", Data: map[string]any{"unit": "E1", "status": "acknowledged"}}))
		if got := unitIDsOf(read().Replacements); !slices.Equal(got, []string{"X1"}) {
			t.Errorf("after E1 acknowledged: replacements %v, want X1 alone", got)
		}
	})

	t.Run("PAR due and confirmed", func(t *testing.T) {
		par := func(round int, what string, at time.Time) fireline.TimelineEvent {
			data := map[string]any{"round": round}
			if what == "confirmed" {
				data["confirmed"] = true
			}
			return fireline.TimelineEvent{IncidentID: id, Key: fmt.Sprintf("par:%d:%s", round, what), At: at, Kind: fireline.EventPAR,
				Actor: "supervision", Detail: "PAR", Data: viaJSON(t, data)}
		}
		due := t0.Add(20 * time.Minute)
		must(t, db.AppendEvent(ctx, par(1, "due", due)))
		if inc := read(); inc.PARDueAt == nil || !inc.PARDueAt.Equal(due) {
			t.Fatalf("PAR due %v, want %s", inc.PARDueAt, due)
		}
		must(t, db.AppendEvent(ctx, par(1, "confirmed", due.Add(time.Minute))))
		must(t, db.AppendEvent(ctx, par(1, "due", due))) // a late retry of the due changes nothing
		if inc := read(); inc.PARDueAt != nil {
			t.Fatalf("PAR still due at %v after its confirmation", inc.PARDueAt)
		}
		must(t, db.AppendEvent(ctx, par(2, "due", due.Add(20*time.Minute))))
		must(t, db.SetIncidentStatus(ctx, id, fireline.IncidentActive))
		if inc := read(); inc.PARDueAt == nil {
			t.Fatal("PAR 2 not due")
		}
		must(t, db.SetIncidentStatus(ctx, id, fireline.IncidentClosed))
		if inc := read(); inc.PARDueAt != nil {
			t.Errorf("a closed incident has a PAR due at %v", inc.PARDueAt)
		}
		must(t, db.AppendEvent(ctx, par(3, "due", due.Add(40*time.Minute))))
		if inc := read(); inc.PARDueAt != nil {
			t.Errorf("a PAR fell due on a closed incident: %v", inc.PARDueAt)
		}
	})

	t.Run("the list carries the same", func(t *testing.T) {
		one := read()
		list, err := db.Incidents(ctx, fireline.IncidentFilter{})
		must(t, err)
		i := slices.IndexFunc(list, func(x fireline.Incident) bool { return x.ID == id })
		if i < 0 {
			t.Fatalf("incident %d not listed", id)
		}
		a, _ := json.Marshal(one)
		b, _ := json.Marshal(list[i])
		if string(a) != string(b) {
			t.Errorf("listed\n%s\nread alone\n%s", b, a)
		}
	})
}

// TestIncidentReadsTasksAndEscalations: an incident comes with its joint-agency tasks (in the
// order asked) and its escalations (newest first, taken ones too).
func TestIncidentReadsTasksAndEscalations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	id, other := openIncident(t, db, cellA), openIncident(t, db, cellB)
	must(t, db.RequestAgencyTasks(ctx, []fireline.AgencyTask{
		{IncidentID: id, Agency: fireline.AgencyPolice, Task: "cordon", RequestedAt: t0, DueAt: t0.Add(10 * time.Minute)},
		{IncidentID: id, Agency: fireline.AgencyEMS, Task: "ambulance", RequestedAt: t0.Add(time.Second), DueAt: t0.Add(10 * time.Minute)},
		{IncidentID: other, Agency: fireline.AgencyGas, Task: "gas", RequestedAt: t0, DueAt: t0.Add(10 * time.Minute)},
	}, nil))
	for i, key := range []string{"escalation:assessment", "escalation:call_processing"} {
		e := fireline.Escalation{IncidentID: id, Key: key, Timer: "assessment", Detail: key, RaisedAt: t0.Add(time.Duration(i) * time.Minute)}
		_, err := db.RaiseEscalation(ctx, e, fireline.TimelineEvent{IncidentID: id, Key: key, At: e.RaisedAt, Kind: fireline.EventEscalation, Detail: key})
		must(t, err)
	}
	inc, err := db.Incident(ctx, id)
	must(t, err)
	if len(inc.AgencyTasks) != 2 || inc.AgencyTasks[0].Agency != fireline.AgencyPolice || inc.AgencyTasks[1].Agency != fireline.AgencyEMS {
		t.Errorf("agency tasks %+v, want police then EMS", inc.AgencyTasks)
	}
	if len(inc.Escalations) != 2 || inc.Escalations[0].Key != "escalation:call_processing" {
		t.Errorf("escalations %+v, want two, newest first", inc.Escalations)
	}
	o, err := db.Incident(ctx, other)
	must(t, err)
	if len(o.AgencyTasks) != 1 || len(o.Escalations) != 0 {
		t.Errorf("the other incident: tasks %+v escalations %+v", o.AgencyTasks, o.Escalations)
	}
}

// TestMergeClearsPAR: an incident merged away has no PAR due.
func TestMergeClearsPAR(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	from, into := openIncident(t, db, cellA), openIncident(t, db, cellB)
	must(t, db.AppendEvent(ctx, fireline.TimelineEvent{IncidentID: from, Key: "par:1:due", At: t0, Kind: fireline.EventPAR,
		Data: map[string]any{"round": 1}}))
	_, _, err := db.MergeIncidents(ctx, from, into, t0.Add(time.Minute), "operator")
	must(t, err)
	inc, err := db.Incident(ctx, from)
	must(t, err)
	if inc.Status != fireline.IncidentMerged || inc.PARDueAt != nil {
		t.Errorf("merged incident %s with a PAR due at %v", inc.Status, inc.PARDueAt)
	}
}

// TestReadModelMigration: incidents running when 0009 arrives take their assessment, short
// slots, PAR due and open replacement offers from their timelines.
func TestReadModelMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all, err := migrations.All()
	must(t, err)
	url := newDatabase(t, false)
	conn := sqlConn(t, url)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	must(t, err)
	for _, m := range all {
		if m.Name == "0009_incident_read_model.sql" {
			break
		}
		_, err := conn.Exec(ctx, m.SQL)
		must(t, err)
		_, err = conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
		must(t, err)
	}
	var id, closed int64
	must(t, conn.QueryRow(ctx, `INSERT INTO incidents (type, level, status, lat, lng, cell, created_at)
		VALUES ('structure_fire', 1, 'active', 36.45, 115.98, $1, $2) RETURNING id`, cellA, t0).Scan(&id))
	must(t, conn.QueryRow(ctx, `INSERT INTO incidents (type, level, status, lat, lng, cell, created_at, closed_at, outcome)
		VALUES ('structure_fire', 1, 'closed', 36.45, 115.98, $1, $2, $2, 'closed') RETURNING id`, cellA, t0).Scan(&closed))
	rec := func(unit, silent string) string {
		return fmt.Sprintf(`{"unit": %q, "replaces": %q, "recommendation": {"unit_id": %q, "type": "engine", "eta_s": 99,
			"distance_m": 900, "station_id": "S1", "model": "distance-v1", "position_source": "avl", "position_stale": false,
			"reason": "r", "replaces": %q}}`, unit, silent, unit, silent)
	}
	events := []struct {
		incident     int64
		key, kind    string
		at           time.Duration
		unit, actor  string
		detail, data string
	}{
		{id, "assessed:1", "assessed", 30 * time.Second, "", "operator", "assessed at dispatch: structure_fire, level 1", `{}`},
		{id, "assessed:2", "assessed", time.Minute, "", "operator", "reassessed: high_rise_fire", `{}`},
		{id, "recommended:1", "recommended", 0, "", "", "", `{"short": null}`},
		{id, "recommended:2", "recommended", 2 * time.Minute, "", "", "", `{"short": [{"type": "ladder", "count": 1}]}`},
		{id, "replacement:E1:1", "replacement_recommended", 3 * time.Minute, "E1", "supervision", "", rec("E2", "E1")},
		{id, "replacement:E3:1", "replacement_recommended", 3 * time.Minute, "E3", "supervision", "", rec("E4", "E3")},
		{id, "replacement:E5:1", "replacement_recommended", 3 * time.Minute, "E5", "supervision", "", rec("E6", "E5")},
		{id, "dispatch:2", "dispatched", 4 * time.Minute, "", "operator", "", `{"units": ["E2"]}`},
		{id, "unit:E3:1:acknowledged", "unit_status", 4 * time.Minute, "E3", "crew", "", `{}`},
		{id, "par:1:due", "par", 20 * time.Minute, "", "supervision", "", `{"round": 1}`},
		{id, "par:1:confirmed", "par", 21 * time.Minute, "", "operator", "", `{"round": 1, "confirmed": true}`},
		{id, "par:2:due", "par", 41 * time.Minute, "", "supervision", "", `{"round": 2}`},
		{closed, "assessed:1", "assessed", time.Minute, "", "pre-plan", "assessed from the pre-plan", `{}`},
		{closed, "par:1:due", "par", 20 * time.Minute, "", "supervision", "", `{"round": 1}`},
	}
	for _, e := range events {
		_, err := conn.Exec(ctx, `INSERT INTO incident_events (incident_id, key, at, kind, unit_id, actor, detail, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`, e.incident, e.key, t0.Add(e.at), e.kind, e.unit, e.actor, e.detail, e.data)
		must(t, err)
	}

	db, err := postgres.Open(ctx, url, quietLog())
	must(t, err)
	defer db.Close()
	must(t, db.Migrate(ctx))

	inc, err := db.Incident(ctx, id)
	must(t, err)
	if inc.AssessedAt == nil || !inc.AssessedAt.Equal(t0.Add(30*time.Second)) || inc.AssessedBy != "dispatch" {
		t.Errorf("assessed %v by %q, want the first assessment, at dispatch", inc.AssessedAt, inc.AssessedBy)
	}
	if len(inc.Short) != 1 || inc.Short[0].Type != fireline.UnitLadder {
		t.Errorf("short %+v, want the latest recommendation's", inc.Short)
	}
	if got := unitIDsOf(inc.Replacements); !slices.Equal(got, []string{"E6"}) || inc.Replacements[0].Replaces != "E5" {
		t.Errorf("replacements %+v, want E6 for E5 alone", inc.Replacements)
	}
	if inc.PARDueAt == nil || !inc.PARDueAt.Equal(t0.Add(41*time.Minute)) {
		t.Errorf("PAR due %v, want round 2's", inc.PARDueAt)
	}
	if inc.Alternates == nil || len(inc.Alternates) != 0 {
		t.Errorf("alternates %#v, want [] until the next recommendation", inc.Alternates)
	}
	c, err := db.Incident(ctx, closed)
	must(t, err)
	if c.AssessedBy != "pre-plan" || c.PARDueAt != nil {
		t.Errorf("closed incident assessed by %q, PAR due %v", c.AssessedBy, c.PARDueAt)
	}
}
