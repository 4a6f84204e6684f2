package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// publicMessage is a message of thread about incident, following follows ("" for an Alert).
func publicMessage(incident int64, id, thread, follows string, kind fireline.CAPMsgType, sent time.Time) fireline.PublicAlert {
	return fireline.PublicAlert{
		Identifier: id, IncidentID: incident, MsgType: kind, Status: fireline.CAPActual, Sender: "cap@test", Thread: thread,
		Follows: follows, References: map[bool]string{true: "", false: "cap@test," + follows + ",2026-11-22T17:30:00+08:00"}[follows == ""],
		Sent: sent, Expires: sent.Add(2 * time.Hour), Author: "op1", XML: "<alert>" + id + "</alert>",
		Params: fireline.PublicAlertParams{Event: "氨气泄漏", Headline: "请撤离 " + id, RadiusM: 1000, ExpiresIn: 7200},
	}
}

// TestPublicAlerts: messages are stored as sent with their timeline events, listed newest first,
// an Update or Cancel follows only its thread's latest message, nothing follows a Cancel, and
// nothing stored is ever changed.
func TestPublicAlerts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ownerURL := cityDB(t)
	inc, other := openIncident(t, db, cellA), openIncident(t, db, cellB)
	t0 := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

	alert, err := db.AddPublicAlert(ctx, publicMessage(inc, "A-1", "A-1", "", fireline.CAPAlert, t0))
	must(t, err)
	if alert.ID == 0 || !alert.Sent.Equal(t0) || alert.Params.Headline != "请撤离 A-1" || alert.XML != "<alert>A-1</alert>" {
		t.Fatalf("alert %+v", alert)
	}
	update, err := db.AddPublicAlert(ctx, publicMessage(inc, "A-2", "A-1", "A-1", fireline.CAPUpdate, t0.Add(time.Minute)))
	must(t, err)
	_, err = db.AddPublicAlert(ctx, publicMessage(inc, "A-2b", "A-1", "A-1", fireline.CAPUpdate, t0.Add(time.Minute)))
	wantCode(t, err, fireline.ECONFLICT) // A-1 was followed already
	_, err = db.AddPublicAlert(ctx, publicMessage(inc, "A-2", "A-1", "A-2", fireline.CAPUpdate, t0.Add(time.Minute)))
	wantCode(t, err, fireline.ECONFLICT) // the identifier is taken
	_, err = db.AddPublicAlert(ctx, publicMessage(other, "B-2", "A-1", "A-2", fireline.CAPUpdate, t0.Add(time.Minute)))
	wantCode(t, err, fireline.EINVALID) // another incident's thread
	cancel, err := db.AddPublicAlert(ctx, publicMessage(inc, "A-3", "A-1", "A-2", fireline.CAPCancel, t0.Add(2*time.Minute)))
	must(t, err)
	_, err = db.AddPublicAlert(ctx, publicMessage(inc, "A-4", "A-1", "A-3", fireline.CAPUpdate, t0.Add(3*time.Minute)))
	wantCode(t, err, fireline.ECONFLICT) // cancelled, then updated
	_, err = db.AddPublicAlert(ctx, publicMessage(999999, "X-1", "X-1", "", fireline.CAPAlert, t0))
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.AddPublicAlert(ctx, publicMessage(inc, "A-5", "A-1", "A-9", fireline.CAPUpdate, t0))
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.AddPublicAlert(ctx, publicMessage(other, "B-1", "B-1", "", fireline.CAPAlert, t0.Add(4*time.Minute)))
	must(t, err)

	list, err := db.PublicAlerts(ctx, fireline.PublicAlertFilter{IncidentID: inc})
	must(t, err)
	if len(list) != 3 || list[0].Identifier != cancel.Identifier || list[1].Identifier != update.Identifier || list[2].Identifier != "A-1" ||
		list[0].Follows != "A-2" || list[0].XML != "" {
		t.Fatalf("incident's alerts %+v", list)
	}
	all, err := db.PublicAlerts(ctx, fireline.PublicAlertFilter{Limit: 2})
	must(t, err)
	if len(all) != 2 || all[0].Identifier != "B-1" {
		t.Fatalf("latest two %+v", all)
	}
	thread, err := db.PublicAlerts(ctx, fireline.PublicAlertFilter{Thread: "A-1"})
	must(t, err)
	if len(thread) != 3 {
		t.Fatalf("thread %+v", thread)
	}
	got, err := db.PublicAlert(ctx, "A-2")
	must(t, err)
	if got.XML != "<alert>A-2</alert>" || got.References == "" || got.Thread != "A-1" {
		t.Fatalf("A-2 %+v", got)
	}
	_, err = db.PublicAlert(ctx, "nope")
	wantCode(t, err, fireline.ENOTFOUND)

	events, err := db.Timeline(ctx, inc)
	must(t, err)
	n := 0
	for _, e := range events {
		if e.Kind == fireline.EventPublicAlert {
			n++
			if e.Actor != "op1" || e.Data["identifier"] == "" {
				t.Errorf("event %+v", e)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d public alert events on the timeline, want 3", n)
	}

	// Append-only: neither the application nor the owner rewrites what the public was told.
	app := sqlConn(t, appURL(t, ownerURL))
	owner := sqlConn(t, ownerURL)
	for _, c := range []struct {
		who  string
		exec func(context.Context, string) error
	}{
		{"app", func(ctx context.Context, sql string) error { _, err := app.Exec(ctx, sql); return err }},
		{"owner", func(ctx context.Context, sql string) error { _, err := owner.Exec(ctx, sql); return err }},
	} {
		for _, sql := range []string{`UPDATE public_alerts SET xml = 'x'`, `DELETE FROM public_alerts`, `TRUNCATE public_alerts CASCADE`} {
			if err := c.exec(ctx, sql); err == nil {
				t.Errorf("%s ran %q", c.who, sql)
			}
		}
	}
	if got, _ := db.PublicAlert(ctx, "A-1"); got.XML != "<alert>A-1</alert>" {
		t.Errorf("A-1 changed: %+v", got)
	}
}

// TestPublicAlertRace: operators updating the same alert at once: one Update is stored, the
// others are told it changed under them.
func TestPublicAlertRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	inc := openIncident(t, db, cellA)
	t0 := time.Now().Truncate(time.Second)
	_, err := db.AddPublicAlert(ctx, publicMessage(inc, "R-1", "R-1", "", fireline.CAPAlert, t0))
	must(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = db.AddPublicAlert(ctx, publicMessage(inc, fmt.Sprintf("R-2-%d", i), "R-1", "R-1", fireline.CAPUpdate, t0.Add(time.Second)))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch fireline.ErrorCode(err) {
		case "":
			won++
		case fireline.ECONFLICT:
		default:
			t.Errorf("racing update: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing updates stored, want 1", won)
	}
}
