package intake_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/intake"
)

// beijing is the centre's and the devices' zone in these tests.
var beijing = time.FixedZone("CST", 8*3600)

var (
	// hospital is a registered transmission device: one component and one whole system have
	// places of their own.
	hospitalAddr = gb26875.Address{0x06, 0x05, 0x04, 0x03, 0x02, 0x01}
	comp123      = uint32(123)
	hospital     = fireline.Device{ID: "UITD-HOSP-1", PremiseID: chemWorks.ID, Building: "Ward block", Floor: "1", Zone: "lobby",
		Point: chemWorks.Point, Address: "010203040506", Places: []fireline.DevicePlace{
			{System: 1, SystemAddress: 1, ComponentAddress: &comp123, Floor: "5", Zone: "east", Description: "5F east corridor"},
			{System: 1, SystemAddress: 2, Building: "Annex", Floor: "B1"},
		}}
	strangerAddr = gb26875.Address{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa}
	// objectAt is when the objects' states arose, by the devices' clocks: ten minutes before now.
	objectAt = gb26875.TimestampOf(now.Add(-10 * time.Minute).In(beijing))
)

// buildingStore keeps device reports in memory, idempotently on (address, serial, label).
// With everyRegistered, every address is a registered device of the chemical works.
type buildingStore struct {
	fireline.BuildingStore
	mu              sync.Mutex
	reports         []fireline.DeviceReport
	seen            map[string]bool
	err             error
	everyRegistered bool
}

func (s *buildingStore) ReceiveDeviceReport(_ context.Context, r fireline.DeviceReport) (fireline.DeviceReportReceipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fireline.DeviceReportReceipt{}, s.err
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	key := fmt.Sprint(r.Address, r.Serial, r.Label)
	rc := fireline.DeviceReportReceipt{Repeat: s.seen[key]}
	if !rc.Repeat {
		s.seen[key] = true
		s.reports = append(s.reports, r)
		rc.ReportID = int64(len(s.reports))
	}
	if r.Address == hospital.Address || s.everyRegistered {
		d, p := hospital, chemWorks
		if r.Address != hospital.Address {
			d = fireline.Device{ID: "UITD-" + r.Address, PremiseID: chemWorks.ID, Building: "Plant " + r.Address, Point: chemWorks.Point, Address: r.Address}
		}
		rc.Device, rc.Premise = &d, &p
	}
	return rc, nil
}

type devicesFixture struct {
	devices   *intake.Devices
	store     *buildingStore
	alarms    *deskStore
	incidents *deskIncidents
}

func newDevices() devicesFixture {
	st, inc, bs := &deskStore{}, &deskIncidents{}, &buildingStore{}
	desk := intake.NewDesk(newIntake(), st, st, inc, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	return devicesFixture{intake.NewDevices(desk, bs, beijing, slog.New(slog.DiscardHandler)), bs, st, inc}
}

// sendData is a send-data frame from src with serial n carrying objects.
func sendData(t *testing.T, src gb26875.Address, n uint16, objects ...gb26875.Object) (gb26875.Frame, []byte) {
	t.Helper()
	data, err := gb26875.Unit{Type: objects[0].Type(), Objects: objects}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	f := gb26875.Frame{Serial: n, Version: gb26875.Version1, Time: gb26875.TimestampOf(now.In(beijing)), Source: src,
		Command: gb26875.CommandSendData, Data: data}
	raw, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return f, raw
}

func (fx devicesFixture) serve(t *testing.T, f gb26875.Frame, raw []byte) []gb26875.Frame {
	t.Helper()
	answers, err := fx.devices.ServeFrame(context.Background(), "10.0.0.7:50000", f, raw)
	if err != nil {
		t.Fatal(err)
	}
	return answers
}

// confirmed checks that answers confirm f with the centre's time label, and nothing else.
func confirmed(t *testing.T, f gb26875.Frame, answers []gb26875.Frame) {
	t.Helper()
	want := gb26875.Confirm(f, now.In(beijing))
	if len(answers) != 1 || !framesEqual(answers[0], want) {
		t.Fatalf("answers %+v, want the confirm %+v", answers, want)
	}
}

func framesEqual(a, b gb26875.Frame) bool {
	ea, _ := a.Encode()
	eb, _ := b.Encode()
	return string(ea) == string(eb)
}

func component(status gb26875.StatusFlags, system, sysAddr uint8, kind uint8, addr uint32, desc string) gb26875.ComponentStatus {
	return gb26875.ComponentStatus{System: system, SystemAddress: sysAddr, Component: kind, ComponentAddress: addr,
		Status: status, Description: desc, At: objectAt}
}

// TestDevicesAlarms: each event of a registered device raises the alarm its conditions say,
// with the device's premises, the registered place and the component's description.
func TestDevicesAlarms(t *testing.T) {
	normal := gb26875.StatusNormal
	type want struct {
		kind                   fireline.AlarmKind
		building, floor, zone  string
		description            string // a part of it
		incident, relatedReset bool
	}
	for _, tt := range []struct {
		name   string
		object gb26875.Object
		want   *want // nil: no alarm
	}{
		{"a component's fire alarm at its own place", component(normal|gb26875.StatusFireAlarm, 1, 1, 40, 123, "5F东走廊"),
			&want{kind: fireline.KindFireAlarm, building: "Ward block", floor: "5", zone: "east",
				description: "Fire alarm, smoke detector 1-123, '5F东走廊', 5F east corridor, Ward block, floor 5, zone east, key premises Chemical Works", incident: true}},
		{"a component's fire alarm in a system with a place", component(normal|gb26875.StatusFireAlarm, 1, 2, 23, 7, "B1 stairs"),
			&want{kind: fireline.KindFireAlarm, building: "Annex", floor: "B1", zone: "lobby", description: "manual call point 2-7, 'B1 stairs', Annex", incident: true}},
		{"a component without a place", component(normal|gb26875.StatusFireAlarm, 1, 3, 99, 8, ""),
			&want{kind: fireline.KindFireAlarm, building: "Ward block", floor: "1", zone: "lobby", description: "pressure switch 3-8, Ward block", incident: true}},
		{"a system's fire alarm", gb26875.FacilityStatus{System: 1, SystemAddress: 2, Status: normal | gb26875.StatusFireAlarm, At: objectAt},
			&want{kind: fireline.KindFireAlarm, building: "Annex", floor: "B1", zone: "lobby", description: "Fire alarm, fire alarm system 2", incident: true}},
		{"a manual alarm on a panel", gb26875.FacilityOperation{System: 1, SystemAddress: 1, Operations: gb26875.OperationManualAlarm, Operator: 2, At: objectAt},
			&want{kind: fireline.KindFireAlarm, building: "Ward block", floor: "1", description: "Fire alarm, fire alarm system 1", incident: true}},
		{"a component's fault", component(normal|gb26875.StatusFault, 1, 1, 40, 124, ""),
			&want{kind: fireline.KindFault, building: "Ward block", floor: "1", description: "smoke detector 1-124"}},
		{"a component's power fault", component(normal|gb26875.StatusComponentPowerFail, 1, 1, 84, 5, ""), &want{kind: fireline.KindFault, building: "Ward block", floor: "1"}},
		{"a system's bus fault", gb26875.FacilityStatus{System: 12, SystemAddress: 1, Status: normal | gb26875.StatusBusFault, At: objectAt},
			&want{kind: fireline.KindFault, building: "Ward block", floor: "1", description: "sprinkler system 1"}},
		{"a system's main power fault", gb26875.FacilityStatus{System: 1, SystemAddress: 1, Status: normal | gb26875.StatusMainPowerFault, At: objectAt},
			&want{kind: fireline.KindFault, building: "Ward block", floor: "1"}},
		{"supervisory", component(normal|gb26875.StatusSupervisory, 12, 1, 97, 3, ""), &want{kind: fireline.KindSupervisory, building: "Ward block", floor: "1"}},
		{"a system's reset", gb26875.FacilityStatus{System: 1, SystemAddress: 1, Status: normal | gb26875.StatusReset, At: objectAt},
			&want{kind: fireline.KindReset, building: "Ward block", floor: "1", relatedReset: true}},
		{"a reset on a panel", gb26875.FacilityOperation{System: 1, SystemAddress: 1, Operations: gb26875.OperationReset | gb26875.OperationSilence, At: objectAt},
			&want{kind: fireline.KindReset, building: "Ward block", floor: "1", relatedReset: true}},
		{"a shielded component", component(normal|gb26875.StatusShielded, 1, 1, 40, 9, ""), nil},
		{"a component in test", component(gb26875.StatusFireAlarm, 1, 1, 40, 9, ""), nil},
		{"a normal component", component(normal, 1, 1, 40, 9, ""), nil},
		{"a silence on a panel", gb26875.FacilityOperation{System: 1, SystemAddress: 1, Operations: gb26875.OperationSilence, At: objectAt}, nil},
		{"an analog value", gb26875.ComponentAnalog{System: 1, SystemAddress: 1, Component: 40, ComponentAddress: 3, Kind: 2, Value: 31, At: objectAt}, nil},
		{"the device's heartbeat", gb26875.DeviceStatus{Status: gb26875.DeviceNormal, At: objectAt}, nil},
		{"the device's own fault", gb26875.DeviceStatus{Status: gb26875.DeviceNormal | gb26875.DeviceFault, At: objectAt}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newDevices()
			fx.alarms.related = 42
			f, raw := sendData(t, hospitalAddr, 300, tt.object)
			confirmed(t, f, fx.serve(t, f, raw))
			if len(fx.store.reports) != 1 || string(fx.store.reports[0].Frame) != string(raw) {
				t.Fatalf("stored %+v", fx.store.reports)
			}
			if tt.want == nil {
				if len(fx.alarms.stored) != 0 {
					t.Fatalf("an alarm was raised: %+v", fx.alarms.stored)
				}
				return
			}
			if len(fx.alarms.stored) != 1 {
				t.Fatalf("%d alarms, want 1", len(fx.alarms.stored))
			}
			a, w := fx.alarms.stored[0], tt.want
			label := fmt.Sprintf("%02x%02x%02x%02x%02x%02x", f.Time.Second, f.Time.Minute, f.Time.Hour, f.Time.Day, f.Time.Month, f.Time.Year)
			if a.Source != fireline.SourceIoT || a.Kind != w.kind || a.DeviceID != hospital.ID || a.PremiseID != chemWorks.ID ||
				a.SourceID != "010203040506:300:"+label+":0" || a.Type != chemWorks.PlanType || a.Point != hospital.Point ||
				a.Address != chemWorks.Address || a.Cell == "" || !slices.Equal(a.Details.Hazards, chemWorks.Hazards) ||
				a.Details.PremiseName != chemWorks.Name || !a.ReportedAt.Equal(now.Add(-10*time.Minute)) {
				t.Fatalf("alarm %+v", a)
			}
			if a.Details.Building != w.building || a.Details.Floor != w.floor || (w.zone != "" && a.Details.Zone != w.zone) {
				t.Errorf("place %q %q %q, want %q %q %q", a.Details.Building, a.Details.Floor, a.Details.Zone, w.building, w.floor, w.zone)
			}
			if !strings.Contains(a.Description, w.description) {
				t.Errorf("description %q, want %q in it", a.Description, w.description)
			}
			switch {
			case w.incident && !slices.Equal(fx.incidents.received, []int64{101}):
				t.Errorf("incidents told of %v", fx.incidents.received)
			case w.relatedReset && !slices.Equal(fx.incidents.recorded, []int64{42}):
				t.Errorf("the reset went to %v, want the open incident 42", fx.incidents.recorded)
			case !w.incident && len(fx.incidents.received) != 0:
				t.Errorf("a %s opened an incident", w.kind)
			}
		})
	}
}

// TestDevicesAlarmPerObject: each object of a frame is its own alarm, with its own source id.
func TestDevicesAlarmPerObject(t *testing.T) {
	fx := newDevices()
	alarm := gb26875.StatusNormal | gb26875.StatusFireAlarm
	f, raw := sendData(t, hospitalAddr, 5, component(alarm, 1, 1, 40, 1, ""), component(gb26875.StatusNormal, 1, 1, 40, 2, ""),
		component(alarm, 1, 1, 40, 3, ""))
	confirmed(t, f, fx.serve(t, f, raw))
	if len(fx.alarms.stored) != 2 || !strings.HasSuffix(fx.alarms.stored[0].SourceID, ":0") || !strings.HasSuffix(fx.alarms.stored[1].SourceID, ":2") {
		t.Fatalf("alarms %+v", fx.alarms.stored)
	}
}

// TestDevicesReportedAt: an object's time counts only when it is a time, not in the future and
// not older than MaxAlarmAge; otherwise the alarm is dated when it came.
func TestDevicesReportedAt(t *testing.T) {
	for _, tt := range []struct {
		name string
		at   gb26875.Timestamp
		want time.Time
	}{
		{"a minute ago", gb26875.TimestampOf(now.Add(-time.Minute).In(beijing)), now.Add(-time.Minute)},
		{"in the future", gb26875.TimestampOf(now.Add(time.Hour).In(beijing)), now},
		{"two days ago", gb26875.TimestampOf(now.Add(-48 * time.Hour).In(beijing)), now},
		{"an unset clock", gb26875.Timestamp{}, now},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newDevices()
			c := component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, "")
			c.At = tt.at
			f, raw := sendData(t, hospitalAddr, 6, c)
			confirmed(t, f, fx.serve(t, f, raw))
			if len(fx.alarms.stored) != 1 || !fx.alarms.stored[0].ReportedAt.Equal(tt.want) {
				t.Fatalf("alarms %+v, want reported at %v", fx.alarms.stored, tt.want)
			}
		})
	}
}

// TestDevicesUnregistered: an unknown device's frames are stored and confirmed, and raise no
// alarm.
func TestDevicesUnregistered(t *testing.T) {
	fx := newDevices()
	f, raw := sendData(t, strangerAddr, 1, component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, ""))
	confirmed(t, f, fx.serve(t, f, raw))
	if len(fx.store.reports) != 1 || fx.store.reports[0].Address != "aabbccddeeff" || len(fx.alarms.stored) != 0 {
		t.Fatalf("reports %+v, alarms %+v", fx.store.reports, fx.alarms.stored)
	}
}

// TestDevicesStoreError: a frame that could not be stored is not confirmed and raises nothing.
func TestDevicesStoreError(t *testing.T) {
	fx := newDevices()
	fx.store.err = fireline.Errorf(fireline.EINTERNAL, "the database is down")
	f, raw := sendData(t, hospitalAddr, 1, component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, ""))
	answers, err := fx.devices.ServeFrame(context.Background(), "10.0.0.7:50000", f, raw)
	if err == nil || len(answers) != 0 || len(fx.alarms.stored) != 0 {
		t.Fatalf("answers %+v, %v, alarms %+v", answers, err, fx.alarms.stored)
	}
}

// failingAlarms is an alarm store that is down.
type failingAlarms struct{ *deskStore }

func (failingAlarms) ReceiveAlarm(context.Context, fireline.Alarm, fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EINTERNAL, "the alarm store is down")
}

// TestDevicesDeskError: a report stored whose alarm could not be handed on is not confirmed;
// the device's resend is a repeat that hands the alarm on again.
func TestDevicesDeskError(t *testing.T) {
	st, inc, bs := &deskStore{}, &deskIncidents{}, &buildingStore{}
	down := intake.NewDesk(newIntake(), failingAlarms{st}, st, inc, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	f, raw := sendData(t, hospitalAddr, 1, component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, ""))
	answers, err := intake.NewDevices(down, bs, beijing, slog.New(slog.DiscardHandler)).ServeFrame(context.Background(), "r", f, raw)
	if err == nil || len(answers) != 0 || len(bs.reports) != 1 {
		t.Fatalf("answers %+v, %v, reports %d", answers, err, len(bs.reports))
	}
	up := intake.NewDesk(newIntake(), st, st, inc, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	answers, err = intake.NewDevices(up, bs, beijing, slog.New(slog.DiscardHandler)).ServeFrame(context.Background(), "r", f, raw)
	if err != nil || len(answers) != 1 || len(bs.reports) != 1 || len(st.stored) != 1 || !slices.Equal(inc.received, []int64{101}) {
		t.Fatalf("the resend: answers %+v, %v, reports %d, alarms %+v, incidents %v", answers, err, len(bs.reports), st.stored, inc.received)
	}
}

// TestDevicesRetiredPlanType: a fire alarm from premises whose pre-plan names an incident type
// since retired is not refused (and resent for ever with no incident): it opens an incident as
// a structure fire, and the frame is confirmed.
func TestDevicesRetiredPlanType(t *testing.T) {
	fx := newDevices()
	fx.alarms.retired = map[fireline.IncidentType]bool{chemWorks.PlanType: true}
	f, raw := sendData(t, hospitalAddr, 1, component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, ""))
	confirmed(t, f, fx.serve(t, f, raw))
	if len(fx.alarms.stored) != 1 || fx.alarms.stored[0].Type != fireline.TypeStructureFire ||
		fx.alarms.stored[0].PremiseID != chemWorks.ID || !slices.Equal(fx.incidents.received, []int64{101}) {
		t.Fatalf("alarms %+v, incidents %v", fx.alarms.stored, fx.incidents.received)
	}
}

// TestDevicesRepeat: a frame sent again is confirmed again and hands the same alarm on again.
func TestDevicesRepeat(t *testing.T) {
	fx := newDevices()
	f, raw := sendData(t, hospitalAddr, 1, component(gb26875.StatusNormal|gb26875.StatusFireAlarm, 1, 1, 40, 1, ""))
	confirmed(t, f, fx.serve(t, f, raw))
	confirmed(t, f, fx.serve(t, f, raw))
	if len(fx.store.reports) != 1 || len(fx.alarms.stored) != 2 || fx.alarms.stored[0].SourceID != fx.alarms.stored[1].SourceID {
		t.Fatalf("reports %d, alarms %+v", len(fx.store.reports), fx.alarms.stored)
	}
}

// TestDevicesClock: a device clock more than two minutes off is set with a clock-sync command
// after the confirm; one within two minutes is left alone.
func TestDevicesClock(t *testing.T) {
	fx := newDevices()
	f, raw := sendData(t, hospitalAddr, 1, gb26875.DeviceTime{Time: gb26875.TimestampOf(now.Add(-time.Minute).In(beijing))})
	confirmed(t, f, fx.serve(t, f, raw))
	f, raw = sendData(t, hospitalAddr, 2, gb26875.DeviceTime{Time: gb26875.TimestampOf(now.Add(-3 * time.Minute).In(beijing))})
	answers := fx.serve(t, f, raw)
	if len(answers) != 2 || !framesEqual(answers[0], gb26875.Confirm(f, now.In(beijing))) {
		t.Fatalf("answers %+v", answers)
	}
	u, err := answers[1].Unit()
	if err != nil || answers[1].Command != gb26875.CommandControl || answers[1].Destination != hospitalAddr ||
		u.Type != gb26875.TypeSyncDeviceClock || len(u.Raw) != 6 || u.Raw[2] != byte(now.In(beijing).Hour()) {
		t.Fatalf("clock sync %+v, unit %+v %v", answers[1], u, err)
	}
}

// TestDevicesAnswersFromDevices: a device's confirm of the centre's command is neither stored
// nor answered.
func TestDevicesAnswersFromDevices(t *testing.T) {
	fx := newDevices()
	for _, cmd := range []gb26875.Command{gb26875.CommandConfirm, gb26875.CommandDeny, gb26875.CommandResponse, gb26875.CommandControl} {
		f := gb26875.Frame{Serial: 1, Version: gb26875.Version1, Source: hospitalAddr, Command: cmd}
		raw, _ := f.Encode()
		if answers := fx.serve(t, f, raw); len(answers) != 0 {
			t.Errorf("%v answered with %+v", cmd, answers)
		}
	}
	if len(fx.store.reports) != 0 {
		t.Fatalf("stored %+v", fx.store.reports)
	}
}

// TestDeviceReport: the frame's fields and every bit of each object type, read into the domain.
func TestDeviceReport(t *testing.T) {
	recv := now
	at := now.Add(-10 * time.Minute).In(beijing)
	c := fireline.ConditionTest
	for _, tt := range []struct {
		name   string
		object gb26875.Object
		want   fireline.DeviceEvent
	}{
		{"every bit of a system", gb26875.FacilityStatus{System: 1, SystemAddress: 2, Status: 0x3ffe, At: objectAt},
			fireline.DeviceEvent{Kind: fireline.EventSystemStatus, System: 1, SystemAddress: 2, Conditions: []fireline.DeviceCondition{c,
				fireline.ConditionFireAlarm, fireline.ConditionFault, fireline.ConditionShielded, fireline.ConditionSupervisory, fireline.ConditionStarted,
				fireline.ConditionFeedback, fireline.ConditionDelay, fireline.ConditionMainPowerFault, fireline.ConditionBackupPowerFault,
				fireline.ConditionBusFault, fireline.ConditionManual, fireline.ConditionConfigChanged, fireline.ConditionReset}, At: &at}},
		{"a component's power fault and nothing of a system's", component(0x3f01, 1, 2, 40, 70000, "烟感"),
			fireline.DeviceEvent{Kind: fireline.EventComponentStatus, System: 1, SystemAddress: 2, Component: 40, ComponentAddress: 70000,
				Conditions: []fireline.DeviceCondition{fireline.ConditionPowerFault}, Description: "烟感", At: &at}},
		{"an analog value", gb26875.ComponentAnalog{System: 1, SystemAddress: 2, Component: 40, ComponentAddress: 3, Kind: 2, Value: -5, At: objectAt},
			fireline.DeviceEvent{Kind: fireline.EventComponentAnalog, System: 1, SystemAddress: 2, Component: 40, ComponentAddress: 3, AnalogKind: 2, AnalogValue: -5, At: &at}},
		{"every operation", gb26875.FacilityOperation{System: 1, SystemAddress: 2, Operations: 0x7f, Operator: 9, At: objectAt},
			fireline.DeviceEvent{Kind: fireline.EventSystemOperation, System: 1, SystemAddress: 2, Operator: 9, At: &at, Operations: []fireline.DeviceOperation{
				fireline.OperationReset, fireline.OperationSilence, fireline.OperationManualAlarm, fireline.OperationAlarmCleared,
				fireline.OperationSelfTest, fireline.OperationConfirm, fireline.OperationTest}}},
		{"a system clock", gb26875.FacilityTime{System: 1, SystemAddress: 2, Time: objectAt},
			fireline.DeviceEvent{Kind: fireline.EventSystemClock, System: 1, SystemAddress: 2, At: &at}},
		{"every bit of the device", gb26875.DeviceStatus{Status: 0x7e, At: objectAt},
			fireline.DeviceEvent{Kind: fireline.EventDeviceStatus, At: &at, Conditions: []fireline.DeviceCondition{c, fireline.ConditionFireAlarm,
				fireline.ConditionFault, fireline.ConditionMainPowerFault, fireline.ConditionBackupPowerFault, fireline.ConditionChannelFault, fireline.ConditionLineFault}}},
		{"a device operation at an unset time", gb26875.DeviceOperation{Operations: gb26875.OperationConfirm, Operator: 1},
			fireline.DeviceEvent{Kind: fireline.EventDeviceOperation, Operator: 1, Operations: []fireline.DeviceOperation{fireline.OperationConfirm}}},
		{"a device clock", gb26875.DeviceTime{Time: objectAt}, fireline.DeviceEvent{Kind: fireline.EventDeviceClock, At: &at}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, raw := sendData(t, hospitalAddr, 0xbeef, tt.object)
			r := intake.DeviceReport(f, raw, "10.0.0.7:50000", beijing, recv)
			if r.Address != "010203040506" || r.Serial != 0xbeef || r.SentAt == nil || !r.SentAt.Equal(now) || r.Command != 2 ||
				r.TypeFlag != int(tt.object.Type()) || string(r.Frame) != string(raw) || r.Remote != "10.0.0.7:50000" ||
				!r.ReceivedAt.Equal(recv) || r.Problem != "" || len(r.Events) != 1 {
				t.Fatalf("report %+v", r)
			}
			wantLabel := fmt.Sprintf("%02x%02x%02x%02x%02x%02x", f.Time.Second, f.Time.Minute, f.Time.Hour, f.Time.Day, f.Time.Month, f.Time.Year)
			if r.Label != wantLabel {
				t.Errorf("label %q, want %q", r.Label, wantLabel)
			}
			got, want := r.Events[0], tt.want
			if !sameTime(got.At, want.At) {
				t.Errorf("at %v, want %v", got.At, want.At)
			}
			got.At, want.At = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("a unit that cannot be read", func(t *testing.T) {
		f := gb26875.Frame{Serial: 1, Source: hospitalAddr, Command: gb26875.CommandSendData, Data: []byte{2, 3, 0}}
		r := intake.DeviceReport(f, nil, "", beijing, recv)
		if r.Problem == "" || len(r.Events) != 0 || r.TypeFlag != 2 || r.SentAt != nil {
			t.Fatalf("report %+v", r)
		}
		fx := newDevices()
		raw, _ := f.Encode()
		answers := fx.serve(t, f, raw)
		if len(answers) != 1 || len(fx.store.reports) != 1 || fx.store.reports[0].Problem == "" {
			t.Fatalf("answers %+v, reports %+v", answers, fx.store.reports)
		}
	})
	t.Run("a type the centre does not read", func(t *testing.T) {
		f := gb26875.Frame{Serial: 1, Source: hospitalAddr, Command: gb26875.CommandSendData, Data: []byte{25, 1, 1, 2}}
		r := intake.DeviceReport(f, nil, "", beijing, recv)
		if r.Problem != "" || len(r.Events) != 1 || r.Events[0].Kind != fireline.EventUnread || r.TypeFlag != 25 {
			t.Fatalf("report %+v", r)
		}
	})
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
