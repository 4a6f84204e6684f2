package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
)

// The hospital (P-DCF-04) gets a new transmission device in this test: its address, and the
// component whose place the administrator registers.
const (
	hospital          = "P-DCF-04"
	hospitalDevice    = "UITD-DCF-04-9"
	hospitalAddress   = 0x0635_0000_f001
	unregisteredAddr  = 0x0635_0000_f0ff
	placedComponent   = 0x0005_0012 // loop 5, point 18
	shieldedComponent = 0x0005_0013
	faultyComponent   = 0x0007_0001
)

// TestBuildingDevicesEndToEnd is the GB/T 26875.3 path through the real stack: an administrator
// registers a transmission device at a key premises with a place for one detector; a simulated
// device connects over TCP and reports a fault and a shielded detector, which the building's
// board shows; a detector's fire alarm is confirmed and opens an incident at the premises with
// the floor, zone and the detector's own description; the same frame sent again is confirmed
// and changes nothing; a corrupted frame is denied while the other device's connection carries
// on; an unregistered device is listed for the administrators; and a device that falls silent
// is shown offline.
func TestBuildingDevicesEndToEnd(t *testing.T) {
	// Parallel: much of it is waiting for a silent device to count as offline.
	t.Parallel()
	s := newStack(t)
	s.flags = []string{"--device-offline-after", "10s"}
	s.start()
	admin, op := s.login("admin"), s.login("operator")

	var hosp fireline.Premise
	s.must(http.StatusOK, "GET", "/api/v1/admin/premises/"+hospital, admin, nil, &hosp)
	component := uint32(placedComponent)
	dev := fireline.Device{
		ID: hospitalDevice, PremiseID: hospital, Building: "Inpatient block", Point: hosp.Point,
		Address: addressOf(hospitalAddress),
		Places: []fireline.DevicePlace{
			{System: 1, SystemAddress: 1, Building: "Inpatient block", Description: "Inpatient block fire alarm panel"},
			{System: 1, SystemAddress: 1, ComponentAddress: &component, Building: "Inpatient block", Floor: "5F",
				Zone: "East corridor", Description: "5F east corridor outside ward 12"},
		},
	}
	s.must(http.StatusCreated, "POST", "/api/v1/admin/devices", admin, dev, nil)
	// The address is the device's: a second registration of it is refused.
	dup := dev
	dup.ID = hospitalDevice + "-copy"
	if code, raw := s.call("POST", "/api/v1/admin/devices", admin, dup, nil); code != http.StatusConflict {
		t.Fatalf("second device with the same address: status %d, want 409: %s", code, raw)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fleet, err := devicesim.Start(ctx, devicesim.Config{
		Addr: s.gbAddr(), Count: 1, FirstAddress: hospitalAddress, Heartbeat: 2 * time.Second,
		AnswerTimeout: 5 * time.Second, Location: shanghai(t),
	})
	if err != nil {
		t.Fatalf("device simulator: %v", err)
	}
	defer fleet.Close()
	stranger, err := devicesim.Start(ctx, devicesim.Config{
		Addr: s.gbAddr(), Count: 1, FirstAddress: unregisteredAddr, Heartbeat: 2 * time.Second, Location: shanghai(t),
	})
	if err != nil {
		t.Fatalf("device simulator: %v", err)
	}
	defer stranger.Close()

	// A fault and a shielded detector: confirmed, then on the board.
	now := func() gb26875.Timestamp { return gb26875.TimestampOf(time.Now().In(shanghai(t))) }
	if _, err := fleet.Component(ctx, 0, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
		ComponentAddress: faultyComponent, Status: gb26875.StatusNormal | gb26875.StatusFault, Description: "7F 烟感", At: now()}); err != nil {
		t.Fatalf("fault: %v", err)
	}
	if _, err := fleet.Component(ctx, 0, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
		ComponentAddress: shieldedComponent, Status: gb26875.StatusNormal | gb26875.StatusShielded, Description: "5F 烟感 13", At: now()}); err != nil {
		t.Fatalf("shield: %v", err)
	}
	var board fireline.BuildingBoard
	eventually(t, 15*time.Second, func() (bool, string) {
		board = fireline.BuildingBoard{}
		s.must(http.StatusOK, "GET", "/api/v1/buildings/"+hospital, op, nil, &board)
		m := board.Impairment
		return m.Faults >= 1 && m.Shielded >= 1, fmt.Sprintf("board impairment %+v", m)
	})
	var mine *fireline.DeviceBoard
	for i := range board.Boards {
		if board.Boards[i].Device.ID == hospitalDevice {
			mine = &board.Boards[i]
		}
	}
	if mine == nil || !mine.Online {
		t.Fatalf("board devices %+v: want %s online", board.Boards, hospitalDevice)
	}
	conds := map[uint32][]fireline.DeviceCondition{}
	for _, c := range mine.Components {
		conds[c.ComponentAddress] = c.Conditions
	}
	if !slices.Contains(conds[faultyComponent], fireline.ConditionFault) || !slices.Contains(conds[shieldedComponent], fireline.ConditionShielded) {
		t.Fatalf("components on the board %+v: want the fault and the shielded detector", mine.Components)
	}
	var impaired struct{ Buildings []fireline.BuildingSummary }
	s.must(http.StatusOK, "GET", "/api/v1/buildings?impaired=true", op, nil, &impaired)
	if !slices.ContainsFunc(impaired.Buildings, func(b fireline.BuildingSummary) bool { return b.Premise.ID == hospital }) {
		t.Fatalf("impaired buildings %+v: want the hospital", impaired)
	}

	// The detector with a registered place goes into fire alarm.
	res, err := fleet.FireAlarm(ctx, 0, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
		ComponentAddress: placedComponent, Description: "5F东走廊烟感18", At: now()})
	if err != nil {
		t.Fatalf("fire alarm: %v", err)
	}
	t.Logf("fire alarm confirmed in %s (serial %d, %d resends)", res.Latency, res.Serial, res.Resends)
	inc, alarm := waitDeviceIncident(t, s, op, hospitalDevice)
	if alarm.PremiseID != hospital || alarm.Kind != fireline.KindFireAlarm || alarm.Source != fireline.SourceIoT {
		t.Errorf("alarm %+v: want a fire alarm of the hospital's device", alarm)
	}
	if alarm.Details.Floor != "5F" || alarm.Details.Zone != "East corridor" {
		t.Errorf("alarm details %+v: want the registered place's floor 5F and zone East corridor", alarm.Details)
	}
	if !strings.Contains(alarm.Description, "5F东走廊烟感18") {
		t.Errorf("alarm description %q: want the detector's own description", alarm.Description)
	}

	// The same frame twice over a raw connection: two confirms, one alarm.
	conn, err := net.DialTimeout("tcp", s.gbAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	frame := alarmFrame(t, 4242, now(), gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
		ComponentAddress: placedComponent + 2, Status: gb26875.StatusNormal | gb26875.StatusFireAlarm, Description: "5F东走廊烟感19", At: now()})
	rd := gb26875.NewSplitter(conn)
	for range 2 {
		expectAnswer(t, conn, rd, frame, gb26875.CommandConfirm, 4242)
	}
	eventually(t, 15*time.Second, func() (bool, string) {
		var alarms struct{ Alarms []fireline.Alarm }
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/alarms", inc.ID), op, nil, &alarms)
		n := 0
		for _, a := range alarms.Alarms {
			if strings.Contains(a.Description, "5F东走廊烟感19") {
				n++
			}
		}
		return n == 1, fmt.Sprintf("%d alarms of the resent frame on incident %d, want 1", n, inc.ID)
	})

	// A corrupted frame is denied; the connection and the other devices carry on.
	bad := slices.Clone(frame)
	bad[len(bad)-3]++ // the checksum
	bad[2], bad[3] = 0x43, 0x10
	expectAnswer(t, conn, rd, bad, gb26875.CommandDeny, 0x1043)
	if _, err := fleet.Component(ctx, 0, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
		ComponentAddress: faultyComponent, Status: gb26875.StatusNormal | gb26875.StatusFault, Description: "7F 烟感", At: now()}); err != nil {
		t.Fatalf("the simulated device after another connection's bad frame: %v", err)
	}

	// The unregistered device is confirmed and listed for the administrators.
	eventually(t, 15*time.Second, func() (bool, string) {
		var links struct{ Devices []fireline.DeviceLink }
		s.must(http.StatusOK, "GET", "/api/v1/admin/unregistered-devices", admin, nil, &links)
		ok := slices.ContainsFunc(links.Devices, func(l fireline.DeviceLink) bool { return l.Address == addressOf(unregisteredAddr) && l.Online })
		return ok, fmt.Sprintf("unregistered devices %+v", links)
	})
	if st := stranger.Stats(); st.HeartbeatsConfirmed == 0 {
		t.Errorf("unregistered device's stats %+v: its heartbeats are confirmed too", st)
	}

	// The hospital's device falls silent: offline once the limit has passed.
	fleet.Silence(0)
	eventually(t, 40*time.Second, func() (bool, string) {
		board = fireline.BuildingBoard{}
		s.must(http.StatusOK, "GET", "/api/v1/buildings/"+hospital, op, nil, &board)
		for _, b := range board.Boards {
			if b.Device.ID == hospitalDevice {
				return !b.Online && board.Impairment.Offline >= 1, fmt.Sprintf("device online %v, impairment %+v", b.Online, board.Impairment)
			}
		}
		return false, "device not on the board"
	})
	if len(board.History) == 0 {
		t.Errorf("board history empty: want the fault, shield and fire alarm")
	}

	// What the duty officer sees: the Buildings tab and the incident's building block, in
	// Chinese and English.
	t.Run("in the browser", func(t *testing.T) {
		script := browserScript(t, "buildings.test.mjs")
		runScript(t, s, script, artifactsDir(t), 3*time.Minute, map[string]string{
			"FIRELINE_PREMISE": hospital, "FIRELINE_INCIDENT": fmt.Sprint(inc.ID),
			"FIRELINE_SHIELDED_TEXT": "5F 烟感 13", "FIRELINE_OFFLINE_DEVICE": hospitalDevice,
		})
	})
}

// waitDeviceIncident waits for the incident an alarm of the device opened and returns it with
// that alarm.
func waitDeviceIncident(t *testing.T, s *stack, token, device string) (fireline.Incident, fireline.Alarm) {
	t.Helper()
	var inc fireline.Incident
	var alarm fireline.Alarm
	eventually(t, 30*time.Second, func() (bool, string) {
		var list struct{ Incidents []fireline.Incident }
		s.must(http.StatusOK, "GET", "/api/v1/incidents?limit=200", token, nil, &list)
		for _, i := range list.Incidents {
			var alarms struct{ Alarms []fireline.Alarm }
			s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/alarms", i.ID), token, nil, &alarms)
			for _, a := range alarms.Alarms {
				if a.DeviceID == device && a.Kind == fireline.KindFireAlarm {
					inc, alarm = i, a
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("no incident with a fire alarm of %s among %d", device, len(list.Incidents))
	})
	return inc, alarm
}

// alarmFrame is a send-data frame from the hospital's device carrying one component status.
func alarmFrame(t *testing.T, serial uint16, at gb26875.Timestamp, c gb26875.ComponentStatus) []byte {
	t.Helper()
	data, err := gb26875.Unit{Type: gb26875.TypeComponentStatus, Objects: []gb26875.Object{c}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var src gb26875.Address
	for i := range src {
		src[i] = byte(uint64(hospitalAddress) >> (8 * i))
	}
	b, err := gb26875.Frame{Serial: serial, Version: gb26875.Version1, Time: at, Source: src,
		Command: gb26875.CommandSendData, Data: data}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectAnswer writes frame and reads the centre's answer, which must be cmd with serial.
func expectAnswer(t *testing.T, conn net.Conn, rd *gb26875.Splitter, frame []byte, cmd gb26875.Command, serial uint16) {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatalf("write frame: %v", err)
	}
	ans, err := rd.Next()
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if ans.Command != cmd || ans.Serial != serial {
		t.Fatalf("answer %s serial %d, want %s serial %d", ans.Command, ans.Serial, cmd, serial)
	}
}

// addressOf writes a device address as Fireline does: twelve hex digits.
func addressOf(a uint64) string { return fmt.Sprintf("%012x", a) }

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
