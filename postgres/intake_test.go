package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// panelAlarm is a panel event of device FAP-1 at premises P1 in cell.
func panelAlarm(cell string, kind fireline.AlarmKind) fireline.Alarm {
	a := alarm(cell)
	a.Source, a.SourceID, a.Kind, a.DeviceID, a.PremiseID = fireline.SourceIoT, fmt.Sprintf("FAP-1:%d", alarmSeq.Add(1)), kind, "FAP-1", "P1"
	a.Details = fireline.AlarmDetails{Floor: "2", Zone: "Z-7", Hazards: []string{"chlorine"}, PremiseName: "Chemical Works"}
	return a
}

func TestReceivePanelEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ring := fireline.DedupeRule{Cells: []string{cellA, cellA2}, Window: 10 * time.Minute}

	fault, err := db.ReceiveAlarm(ctx, panelAlarm(cellA, fireline.KindFault), ring)
	must(t, err)
	if !fault.RecordedOnly || fault.IncidentID != 0 || fault.Alarm.ID == 0 || fault.RelatedIncidentID != 0 {
		t.Fatalf("fault: %+v, want recorded with no incident", fault)
	}
	reset, err := db.ReceiveAlarm(ctx, panelAlarm(cellA, fireline.KindReset), ring)
	must(t, err)
	if !reset.RecordedOnly || reset.RelatedIncidentID != 0 {
		t.Fatalf("reset with no fire: %+v", reset)
	}

	fire, err := db.ReceiveAlarm(ctx, panelAlarm(cellA, fireline.KindFireAlarm), ring)
	must(t, err)
	if fire.RecordedOnly || fire.IncidentID == 0 || fire.Merged {
		t.Fatalf("fire alarm: %+v, want a new incident", fire)
	}
	stored, err := db.Alarm(ctx, fire.Alarm.ID)
	must(t, err)
	if stored.Kind != fireline.KindFireAlarm || stored.DeviceID != "FAP-1" || stored.PremiseID != "P1" ||
		stored.Details.Zone != "Z-7" || len(stored.Details.Hazards) != 1 || stored.IncidentID != fire.IncidentID {
		t.Errorf("stored %+v", stored)
	}
	reset2 := panelAlarm(cellA, fireline.KindReset)
	rc, err := db.ReceiveAlarm(ctx, reset2, ring)
	must(t, err)
	if !rc.RecordedOnly || rc.IncidentID != 0 || rc.RelatedIncidentID != fire.IncidentID {
		t.Fatalf("reset after the fire alarm: %+v, want related to incident %d", rc, fire.IncidentID)
	}
	again, err := db.ReceiveAlarm(ctx, reset2, ring)
	must(t, err)
	if !again.Repeat || again.Alarm.ID != rc.Alarm.ID || again.RelatedIncidentID != fire.IncidentID {
		t.Fatalf("repeated reset: %+v", again)
	}
	inc, err := db.Incident(ctx, fire.IncidentID)
	must(t, err)
	if inc.AlarmCount != 1 {
		t.Errorf("alarm count %d: faults and resets must not count", inc.AlarmCount)
	}
	must(t, db.SetIncidentStatus(ctx, fire.IncidentID, fireline.IncidentClosed))
	late, err := db.ReceiveAlarm(ctx, panelAlarm(cellA, fireline.KindReset), ring)
	must(t, err)
	if late.RelatedIncidentID != 0 {
		t.Errorf("reset after close: related %d, want none", late.RelatedIncidentID)
	}

	bad := panelAlarm(cellA, fireline.KindFireAlarm)
	bad.PremiseID = "P-NOPE"
	_, err = db.ReceiveAlarm(ctx, bad, ring)
	wantCode(t, err, fireline.EINVALID)
}

func TestConfirmAlarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	report := alarm(cellB)
	report.Source, report.Unverified, report.Type = fireline.SourcePublic, true, fireline.TypeHelpRequested
	report.Details = fireline.AlarmDetails{Channel: "app", PhotoRef: "photo/1.jpg"}
	rc, err := db.ReceiveAlarm(ctx, report, fireline.DedupeRule{Cells: []string{cellB}, Window: time.Minute})
	must(t, err)
	at := time.Now().UTC().Truncate(time.Millisecond)

	a, err := db.ConfirmAlarm(ctx, rc.Alarm.ID, "operator", at)
	must(t, err)
	if a.Unverified || a.ConfirmedBy != "operator" || a.ConfirmedAt == nil || !a.ConfirmedAt.Equal(at) || a.Details.PhotoRef != "photo/1.jpg" {
		t.Fatalf("confirmed %+v", a)
	}
	again, err := db.ConfirmAlarm(ctx, rc.Alarm.ID, "supervisor", at.Add(time.Minute))
	must(t, err)
	if again.ConfirmedBy != "operator" {
		t.Errorf("second confirmation changed the first: %+v", again)
	}
	events, err := db.Timeline(ctx, rc.IncidentID)
	must(t, err)
	confirmed := 0
	for _, e := range events {
		if e.Kind == fireline.EventAlarmConfirmed {
			confirmed++
		}
	}
	if confirmed != 1 {
		t.Errorf("%d confirmation events on the timeline, want 1: %+v", confirmed, events)
	}
	alarms, err := db.IncidentAlarms(ctx, rc.IncidentID)
	must(t, err)
	if len(alarms) != 1 || alarms[0].ID != rc.Alarm.ID || alarms[0].ConfirmedBy != "operator" {
		t.Errorf("incident's alarms %+v", alarms)
	}

	call, err := db.ReceiveAlarm(ctx, alarm(cellB), fireline.DedupeRule{})
	must(t, err)
	_, err = db.ConfirmAlarm(ctx, call.Alarm.ID, "operator", at)
	wantCode(t, err, fireline.ECONFLICT)
	_, err = db.ConfirmAlarm(ctx, 999999, "operator", at)
	wantCode(t, err, fireline.ENOTFOUND)
}

func TestDevicesAndPoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := newDB(t)
	c := city()
	c.Devices = []fireline.Device{{ID: "FAP-1", PremiseID: "P1", Building: "Plant B", Floor: "1", Point: fireline.Point{Lat: 36.44, Lng: 115.97}},
		{ID: "FAP-2", Building: "Shop", Point: fireline.Point{Lat: 36.45, Lng: 115.98}}}
	c.Poles = []fireline.Pole{{ID: "LP-1", Address: "Main St 1", Point: fireline.Point{Lat: 36.451, Lng: 115.981}}}
	must(t, db.ImportCity(ctx, c))
	must(t, db.ImportCity(ctx, c)) // a re-import changes nothing
	d, err := db.Device(ctx, "FAP-1")
	must(t, err)
	if !reflect.DeepEqual(d, c.Devices[0]) {
		t.Errorf("device %+v, want %+v", d, c.Devices[0])
	}
	if d, err := db.Device(ctx, "FAP-2"); err != nil || d.PremiseID != "" {
		t.Errorf("device without premises: %+v %v", d, err)
	}
	p, err := db.Pole(ctx, "LP-1")
	must(t, err)
	if p != c.Poles[0] {
		t.Errorf("pole %+v", p)
	}
	_, err = db.Device(ctx, "FAP-9")
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.Pole(ctx, "LP-9")
	wantCode(t, err, fireline.ENOTFOUND)

	c.Devices = []fireline.Device{{ID: "FAP-3", PremiseID: "P-NOPE", Building: "X", Point: fireline.Point{Lat: 36.4, Lng: 115.9}}}
	wantCode(t, db.ImportCity(ctx, c), fireline.EINVALID)
	c.Devices = []fireline.Device{{ID: "FAP 3", Building: "X", Point: fireline.Point{Lat: 36.4, Lng: 115.9}}}
	wantCode(t, db.ImportCity(ctx, c), fireline.EINVALID)
}

// TestReceiveAlarmConcurrentSources is issue 3's race on real H3 cells: a caller and a
// building's panel report the same fire at the same moment from neighbouring resolution-9
// cells, each with its own ring of neighbours, a hundred times; each time they make exactly one
// incident.
func TestReceiveAlarmConcurrentSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	ids := map[int64]bool{}
	for i := range 100 {
		// Each round 3 km further east, out of reach of the earlier rounds' incidents.
		p := fireline.Point{Lat: 36.2 + 0.002*float64(i%10), Lng: 115.5 + 0.03*float64(i)}
		c, err := geo.CellOf(p, geo.Resolution)
		must(t, err)
		ring, err := geo.Disk(c, 1)
		must(t, err)
		var other geo.Cell
		for _, n := range ring {
			if n != c {
				other = n
				break
			}
		}
		q, err := other.Center()
		must(t, err)
		call, panel := alarm(c.String()), panelAlarm(other.String(), fireline.KindFireAlarm)
		call.Point, panel.Point = p, q
		var receipts [2]fireline.AlarmReceipt
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j, a := range []fireline.Alarm{call, panel} {
			wg.Go(func() {
				cells, err := geo.NeighbourCells(a.Point, 1)
				if err != nil {
					errs[j] = err
					return
				}
				<-start
				receipts[j], errs[j] = db.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: cells, Window: 30 * time.Minute})
			})
		}
		close(start)
		wg.Wait()
		must(t, errs[0])
		must(t, errs[1])
		if receipts[0].IncidentID != receipts[1].IncidentID || receipts[0].Merged == receipts[1].Merged {
			t.Fatalf("round %d: %+v and %+v, want one incident, one of them merged", i, receipts[0], receipts[1])
		}
		ids[receipts[0].IncidentID] = true
	}
	if len(ids) != 100 {
		t.Fatalf("%d incidents over 100 rounds, want 100", len(ids))
	}
}
