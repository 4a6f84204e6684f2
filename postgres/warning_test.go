package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func capWarning(id string, msg fireline.CAPMsgType, r fireline.Readiness, expires time.Time, cells ...string) fireline.Warning {
	w := fireline.Warning{Identifier: id, Sender: "met@example.cn", Sent: expires.Add(-6 * time.Hour), Status: fireline.CAPActual,
		MsgType: msg, Scope: fireline.CAPPublic, Expires: expires, Readiness: r, InServiceArea: len(cells) > 0,
		Infos: []fireline.WarningInfo{{Categories: []string{"Met"}, Event: "Rainstorm", Urgency: "Expected", Severity: "Severe",
			Certainty: "Likely", Areas: []fireline.WarningArea{{Description: "City", Circles: []fireline.Circle{{Center: fireline.Point{Lat: 36.45, Lng: 115.98}, RadiusKm: 5}}}}}}}
	for _, c := range cells {
		w.Cells = append(w.Cells, fireline.WarningCell{Cell: c, Readiness: r, Expires: expires})
	}
	return w
}

func TestReceiveWarning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := newDB(t)
	now := time.Now().UTC().Truncate(time.Second)
	later := now.Add(6 * time.Hour)
	const c1, c2, c3 = "872830828ffffff", "87283082affffff", "872830829ffffff"

	orange, err := db.ReceiveWarning(ctx, capWarning("W-1", fireline.CAPAlert, fireline.ReadinessHigh, later, c1, c2), []byte("<alert/>"))
	must(t, err)
	w := orange.Warning
	if orange.Repeat || w.ID == 0 || w.ReceivedAt.IsZero() || len(w.Cells) != 2 || w.Cells[0].Cell != c1 || w.Cells[0].Readiness != fireline.ReadinessHigh ||
		!w.Cells[0].Expires.Equal(later) || w.Infos[0].Areas[0].Circles[0].RadiusKm != 5 || w.Superseded != nil {
		t.Fatalf("stored %+v", w)
	}
	again, err := db.ReceiveWarning(ctx, capWarning("W-1", fireline.CAPAlert, fireline.ReadinessHighest, later, c3), []byte("<alert/>"))
	must(t, err)
	if !again.Repeat || again.Warning.ID != w.ID || len(again.Warning.Cells) != 2 {
		t.Fatalf("repeat %+v", again)
	}
	far, err := db.ReceiveWarning(ctx, capWarning("W-FAR", fireline.CAPAlert, fireline.ReadinessHighest, later), []byte("<alert/>"))
	must(t, err)
	if far.Warning.InServiceArea || len(far.Warning.Cells) != 0 {
		t.Fatalf("warning elsewhere %+v", far.Warning)
	}

	ready, err := db.Readiness(ctx, now)
	must(t, err)
	if len(ready) != 2 || ready[0].Cell != c1 || ready[0].Readiness != fireline.ReadinessHigh {
		t.Fatalf("readiness %+v", ready)
	}
	active, err := db.Warnings(ctx, fireline.WarningFilter{ActiveAt: now, Limit: 10})
	must(t, err)
	if len(active) != 1 || active[0].ID != w.ID {
		t.Fatalf("active %+v, want the orange warning alone (the far one covers none of ours)", active)
	}

	// The update supersedes the orange warning; its own cells count from now on.
	update := capWarning("W-2", fireline.CAPUpdate, fireline.ReadinessHighest, later, c3)
	update.References = []fireline.WarningRef{{Sender: "met@example.cn", Identifier: "W-1", Sent: "x"}}
	red, err := db.ReceiveWarning(ctx, update, []byte("<alert/>"))
	must(t, err)
	if len(red.Superseded) != 1 || red.Superseded[0] != w.ID {
		t.Fatalf("update superseded %v", red.Superseded)
	}
	old, err := db.Warning(ctx, w.ID)
	must(t, err)
	if old.Superseded == nil || old.Superseded.ByID != red.Warning.ID || old.Superseded.MsgType != fireline.CAPUpdate {
		t.Fatalf("orange after the update: %+v", old.Superseded)
	}
	ready, err = db.Readiness(ctx, now)
	must(t, err)
	if len(ready) != 1 || ready[0].Cell != c3 || ready[0].Readiness != fireline.ReadinessHighest {
		t.Fatalf("readiness after the update %+v", ready)
	}

	// A cancel that arrives before the alert it cancels: the alert is stored superseded.
	cancel := capWarning("W-4", fireline.CAPCancel, fireline.ReadinessNone, later)
	cancel.References = []fireline.WarningRef{{Sender: "met@example.cn", Identifier: "W-3", Sent: "x"}}
	_, err = db.ReceiveWarning(ctx, cancel, []byte("<alert/>"))
	must(t, err)
	late, err := db.ReceiveWarning(ctx, capWarning("W-3", fireline.CAPAlert, fireline.ReadinessHigh, later, c2), []byte("<alert/>"))
	must(t, err)
	if late.Warning.Superseded == nil || late.Warning.Superseded.MsgType != fireline.CAPCancel {
		t.Fatalf("alert after its cancel: %+v", late.Warning)
	}

	// Expired warnings raise nothing.
	ready, err = db.Readiness(ctx, later.Add(time.Minute))
	must(t, err)
	if len(ready) != 0 {
		t.Fatalf("readiness after expiry %+v", ready)
	}
	all, err := db.Warnings(ctx, fireline.WarningFilter{Limit: 10})
	must(t, err)
	if len(all) != 5 || all[0].Identifier != "W-3" {
		t.Fatalf("%d warnings, newest %s", len(all), all[0].Identifier)
	}
	_, err = db.Warnings(ctx, fireline.WarningFilter{Limit: 0})
	wantCode(t, err, fireline.EINVALID)
	_, err = db.Warning(ctx, 424242)
	wantCode(t, err, fireline.ENOTFOUND)
}
