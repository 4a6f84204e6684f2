package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
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

// TestReceiveRealWarnings stores real alerts read by the intake: the largest (an NWS watch whose
// zone outline has 34,066 points, read with a service area around it) is stored simplified with
// its original point counts and its raw XML as sent; an alert whose areas are given by geocodes
// alone (Met Éireann's small-craft warning) is listed in force, as it cannot be placed.
func TestReceiveRealWarnings(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("FIRELINE_CAP_REAL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "cap-real")
	}
	if _, err := os.Stat(filepath.Join(dir, "valid")); err != nil {
		t.Skipf("real CAP corpus not found at %s (set FIRELINE_CAP_REAL_DIR)", dir)
	}
	ctx := context.Background()
	db, url := newDB(t)
	read := func(name string, area *geo.Area, now time.Time) (fireline.Warning, []byte) {
		t.Helper()
		body, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		w, err := intake.New(nil, fixedArea{area}, func() time.Time { return now }).CAP(ctx, body)
		must(t, err)
		return w, body
	}

	c, err := geo.CellOf(fireline.Point{Lat: 55.9, Lng: -132.2}, 7)
	must(t, err)
	cells, err := geo.Disk(c, 110)
	must(t, err)
	alaska, err := geo.NewArea(cells)
	must(t, err)
	big, raw := read("republished/noaa-2.49.0.1.840.0.9b5195e635069329b12a7c697fad5934d144784a.001.1.xml", alaska, time.Date(2025, 3, 6, 8, 0, 0, 0, time.UTC))
	rc, err := db.ReceiveWarning(ctx, big, raw)
	must(t, err)
	got, err := db.Warning(ctx, rc.Warning.ID)
	must(t, err)
	a := got.Infos[0].Areas[0]
	most, stored := 0, 0
	for k, n := range a.PolygonPoints {
		most = max(most, n)
		stored += len(a.Polygons[k])
	}
	if most != 34_066 || len(got.Cells) != len(big.Cells) || len(got.Cells) < 1000 || !got.InServiceArea {
		t.Fatalf("stored: largest polygon %d points, %d cells (read %d)", most, len(got.Cells), len(big.Cells))
	}
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	var rawBack string
	var alertBytes int
	must(t, conn.QueryRow(ctx, `SELECT raw, octet_length(alert::text) FROM warnings WHERE id = $1`, got.ID).Scan(&rawBack, &alertBytes))
	if rawBack != string(raw) {
		t.Fatalf("raw XML of %d bytes stored as %d", len(raw), len(rawBack))
	}
	t.Logf("%d bytes of XML kept as sent; the alert's JSON %d bytes, %d points stored of %d sent in %d polygons",
		len(raw), alertBytes, stored, sum(a.PolygonPoints), len(a.Polygons))
	if alertBytes > len(raw)/2 {
		t.Errorf("alert JSON %d bytes for %d bytes of XML: the polygons are stored twice", alertBytes, len(raw))
	}

	sent := time.Date(2025, 4, 14, 0, 0, 0, 0, time.UTC)
	ie, raw := read("valid/ie-2.49.0.1.372.0.250413231648.N_Norm002_SmallCraft.xml", alaska, sent)
	if !ie.Unlocated || ie.InServiceArea || len(ie.Infos[0].Areas[0].Geocodes) == 0 {
		t.Fatalf("geocode-only alert read as %+v", ie)
	}
	rc, err = db.ReceiveWarning(ctx, ie, raw)
	must(t, err)
	active, err := db.Warnings(ctx, fireline.WarningFilter{ActiveAt: sent.Add(time.Hour), Limit: 10})
	must(t, err)
	if len(active) != 1 || active[0].ID != rc.Warning.ID || !active[0].Unlocated || active[0].Infos[0].Areas[0].Geocodes[0].Value == "" {
		t.Fatalf("in force %+v, want the geocode-only alert", active)
	}
}

type fixedArea struct{ a *geo.Area }

func (f fixedArea) ServiceArea(context.Context) (*geo.Area, error) { return f.a, nil }

func sum(ns []int) int {
	s := 0
	for _, n := range ns {
		s += n
	}
	return s
}
