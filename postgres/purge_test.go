package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestPurgePersonalData purges the callers of a closed incident's alarms and of an old alarm
// without an incident, and leaves an open incident's caller, a panel's own text and a closed
// incident still inside its retention alone; a second purge changes nothing.
func TestPurgePersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	store := func(a fireline.Alarm) fireline.AlarmReceipt {
		t.Helper()
		rc, err := db.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: []string{a.Cell}})
		must(t, err)
		return rc
	}
	call := func(cell string) fireline.Alarm {
		a := alarm(cell)
		a.Caller, a.Description = "王小明", "厨房起火，我在 13812345678 等"
		a.Details = fireline.AlarmDetails{CallerNumber: "13812345678", Hazards: []string{"煤气罐"}}
		return a
	}
	closedCall := store(call(cellA))
	must(t, db.SetIncidentStatus(ctx, closedCall.IncidentID, fireline.IncidentClosed))
	openCall := store(call(cellB))
	public := call(cellA2)
	public.Source, public.SourceID, public.Unverified = fireline.SourcePublic, "app-purge-1", true
	public.Details.PhotoRef, public.Details.Channel = "photo-77", "app"
	publicRC := store(public)
	must(t, db.SetIncidentStatus(ctx, publicRC.IncidentID, fireline.IncidentClosed))
	fault := panelAlarm(cellA, fireline.KindFault) // recorded without an incident
	fault.Description = "detector Z-7 fault"
	faultRC := store(fault)

	// A cutoff before the closes purges nothing: those incidents are inside their retention.
	res, err := db.PurgePersonalData(ctx, time.Now().Add(-time.Hour))
	must(t, err)
	if res.Alarms != 0 {
		t.Fatalf("purge before the retention passed: %+v, want nothing", res)
	}

	res, err = db.PurgePersonalData(ctx, time.Now().Add(time.Hour))
	must(t, err)
	if res.Alarms != 3 {
		t.Errorf("purge: %+v, want 3 alarms (the closed call, the closed public report, the fault)", res)
	}
	for _, id := range []int64{closedCall.Alarm.ID, publicRC.Alarm.ID} {
		a, err := db.Alarm(ctx, id)
		must(t, err)
		if a.Caller != fireline.Purged || a.Description != fireline.Purged || a.Details.CallerNumber != fireline.Purged {
			t.Errorf("alarm %d after the purge: caller %q, description %q, number %q; want %q", id, a.Caller, a.Description, a.Details.CallerNumber, fireline.Purged)
		}
		// The facts of the alarm stay for the record.
		if a.Address != "5 Main St" || a.Type != fireline.TypeStructureFire || len(a.Details.Hazards) != 1 {
			t.Errorf("alarm %d lost more than its caller: %+v", id, a)
		}
	}
	if a, err := db.Alarm(ctx, publicRC.Alarm.ID); err == nil && (a.Details.PhotoRef != fireline.Purged || a.Details.Channel != "app") {
		t.Errorf("public report: photo %q, channel %q; want the photo purged and the channel kept", a.Details.PhotoRef, a.Details.Channel)
	}
	if a, err := db.Alarm(ctx, faultRC.Alarm.ID); err != nil || a.Description != "detector Z-7 fault" {
		t.Errorf("panel fault after the purge: %q, %v; a panel's text names no caller and stays", a.Description, err)
	}
	open, err := db.Alarm(ctx, openCall.Alarm.ID)
	must(t, err)
	if open.Caller != "王小明" || open.Details.CallerNumber != "13812345678" {
		t.Errorf("open incident's alarm was purged: %+v", open)
	}

	// The timeline keeps every event, and none of them names the caller.
	events, err := db.Timeline(ctx, closedCall.IncidentID)
	must(t, err)
	if len(events) == 0 {
		t.Fatal("the closed incident's timeline is empty")
	}
	b, err := json.Marshal(events)
	must(t, err)
	for _, pii := range []string{"王小明", "13812345678", "厨房起火"} {
		if strings.Contains(string(b), pii) {
			t.Errorf("timeline holds %q: %s", pii, b)
		}
	}

	res, err = db.PurgePersonalData(ctx, time.Now().Add(time.Hour))
	must(t, err)
	if res.Alarms != 0 {
		t.Errorf("second purge: %+v, want nothing left to purge", res)
	}
}
