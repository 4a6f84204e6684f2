package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/samplecity"
)

var serialSeq atomic.Int64

// deviceReport is a report from addr received at at carrying events, with a serial of its own.
func deviceReport(addr string, at time.Time, events ...fireline.DeviceEvent) fireline.DeviceReport {
	n := int(serialSeq.Add(1))
	return fireline.DeviceReport{
		Address: addr, Serial: n, Label: fmt.Sprintf("%012x", n), ReceivedAt: at, Command: 2, TypeFlag: 2,
		Frame: []byte("@@frame##"), Remote: "10.0.0.7:40001", Events: events,
	}
}

func heartbeat(addr string, at time.Time, conds ...fireline.DeviceCondition) fireline.DeviceReport {
	r := deviceReport(addr, at, fireline.DeviceEvent{Kind: fireline.EventDeviceStatus, Conditions: conds})
	r.TypeFlag = 21
	return r
}

// component is a component status of system 1 at address sysAddr.
func component(sysAddr int, addr uint32, at time.Time, conds ...fireline.DeviceCondition) fireline.DeviceEvent {
	return fireline.DeviceEvent{Kind: fireline.EventComponentStatus, System: 1, SystemAddress: sysAddr, Component: 40,
		ComponentAddress: addr, Conditions: conds, Description: fmt.Sprintf("smoke %x", addr), At: &at}
}

func countRows(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	// table is one of ours, never input.
	must(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// buildingFixture is a database with key premises P1 (Chemical Works) and P2 (Library) and
// transmission device D1 at P1 with address addr1 and places for system 1/1 and one detector.
func buildingFixture(t *testing.T) (*postgres.DB, *pgx.Conn) {
	t.Helper()
	db, url := cityDB(t)
	_, err := db.CreateDevice(context.Background(), testDevice("D1", "P1", addr1), "admin")
	must(t, err)
	return db, sqlConn(t, url)
}

const (
	addr1 = "0635000000a1"
	addr2 = "0635000000a2"
	addr3 = "0635000000a3"
)

func testDevice(id, premise, addr string) fireline.Device {
	detector := uint32(0x00010203)
	d := fireline.Device{ID: id, PremiseID: premise, Building: "Block " + id, Point: fireline.Point{Lat: 36.44, Lng: 115.97}, Address: addr}
	if id == "D1" {
		d.Places = []fireline.DevicePlace{
			{System: 1, SystemAddress: 1, Building: "Inpatient block"},
			{System: 1, SystemAddress: 1, ComponentAddress: &detector, Floor: "5F", Zone: "east", Description: "outside ward 12"},
		}
	}
	return d
}

// TestDeviceReportStoredOnce: a report is stored with its events and states, its receipt names
// the device and premises, and a resend is a Repeat that writes nothing.
func TestDeviceReportStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, conn := buildingFixture(t)
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	r := deviceReport(addr1, at, component(1, 0x00010203, at, fireline.ConditionFireAlarm))
	rc, err := db.ReceiveDeviceReport(ctx, r)
	must(t, err)
	if rc.ReportID == 0 || rc.Repeat || rc.Device == nil || rc.Device.ID != "D1" || len(rc.Device.Places) != 2 ||
		rc.Premise == nil || rc.Premise.ID != "P1" {
		t.Fatalf("receipt %+v", rc)
	}
	counts := func() string {
		return fmt.Sprint(countRows(t, conn, "device_reports"), countRows(t, conn, "device_events"),
			countRows(t, conn, "device_component_states"), countRows(t, conn, "device_links"))
	}
	if got := counts(); got != "1 1 1 1" {
		t.Fatalf("rows (reports events components links) %s, want 1 1 1 1", got)
	}
	var frame []byte
	var reports int64
	must(t, conn.QueryRow(ctx, "SELECT frame FROM device_reports").Scan(&frame))
	must(t, conn.QueryRow(ctx, "SELECT reports FROM device_links").Scan(&reports))
	if string(frame) != "@@frame##" || reports != 1 {
		t.Errorf("frame %q, link reports %d", frame, reports)
	}

	again, err := db.ReceiveDeviceReport(ctx, r)
	must(t, err)
	if !again.Repeat || again.Device == nil || again.Device.ID != "D1" || again.Premise == nil {
		t.Fatalf("repeat receipt %+v", again)
	}
	must(t, conn.QueryRow(ctx, "SELECT reports FROM device_links").Scan(&reports))
	if got := counts(); got != "1 1 1 1" || reports != 1 {
		t.Errorf("after the repeat: rows %s, link reports %d; want nothing written", got, reports)
	}
	if _, err := db.ReceiveDeviceReport(ctx, deviceReport("0635", at)); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("a bad address: %v", err)
	}
	// A description padded with NULs and a frame the caller did not keep are stored all the same.
	odd := deviceReport(addr1, at, component(1, 9, at, fireline.ConditionFault))
	odd.Events[0].Description, odd.Frame = "smoke\x00\x00\xff", nil
	if _, err := db.ReceiveDeviceReport(ctx, odd); err != nil {
		t.Fatalf("a NUL-padded description: %v", err)
	}
	var desc string
	must(t, conn.QueryRow(ctx, "SELECT description FROM device_component_states WHERE component_address = 9").Scan(&desc))
	if desc != "smoke\uFFFD" {
		t.Errorf("description stored as %q", desc)
	}
}

// TestDeviceHeartbeat: a heartbeat touches only the link, unless the device's own conditions
// changed: then it is kept as a report.
func TestDeviceHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := newDB(t)
	conn := sqlConn(t, url)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	link := func() (reports int64, last time.Time, conds []string) {
		must(t, conn.QueryRow(ctx, "SELECT reports, last_seen_at, conditions FROM device_links WHERE address = $1", addr2).
			Scan(&reports, &last, &conds))
		return
	}
	for i := range 2 {
		rc, err := db.ReceiveDeviceReport(ctx, heartbeat(addr2, t0.Add(time.Duration(i)*time.Minute)))
		must(t, err)
		if rc.ReportID != 0 || rc.Repeat || rc.Device != nil || rc.Premise != nil {
			t.Fatalf("heartbeat receipt %+v", rc)
		}
	}
	n, last, conds := link()
	if n != 2 || !last.Equal(t0.Add(time.Minute)) || len(conds) != 0 || countRows(t, conn, "device_reports") != 0 {
		t.Fatalf("after two heartbeats: link %d %v %v, %d reports", n, last, conds, countRows(t, conn, "device_reports"))
	}
	// The main power fails: the heartbeat is the history's record of it.
	rc, err := db.ReceiveDeviceReport(ctx, heartbeat(addr2, t0.Add(2*time.Minute), fireline.ConditionMainPowerFault))
	must(t, err)
	if rc.ReportID == 0 || countRows(t, conn, "device_reports") != 1 || countRows(t, conn, "device_events") != 1 {
		t.Fatalf("a changed device condition: receipt %+v, not stored", rc)
	}
	// Still failing: only the link again.
	rc, err = db.ReceiveDeviceReport(ctx, heartbeat(addr2, t0.Add(3*time.Minute), fireline.ConditionMainPowerFault))
	must(t, err)
	n, _, conds = link()
	if rc.ReportID != 0 || countRows(t, conn, "device_reports") != 1 || n != 4 || !slices.Equal(conds, []string{"main_power_fault"}) {
		t.Errorf("the same condition again: receipt %+v, %d reports, link %d %v", rc, countRows(t, conn, "device_reports"), n, conds)
	}
}

// TestDeviceStates: a component's state follows its statuses, since moving only when its
// conditions change, and leaves when it is normal again; a system stays listed when normal.
func TestDeviceStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := buildingFixture(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	send := func(at time.Time, events ...fireline.DeviceEvent) {
		t.Helper()
		_, err := db.ReceiveDeviceReport(ctx, deviceReport(addr1, at, events...))
		must(t, err)
	}
	board := func() fireline.DeviceBoard {
		t.Helper()
		b, err := db.Board(ctx, "P1", fireline.BoardQuery{At: t0.Add(10 * time.Minute)})
		must(t, err)
		if len(b.Boards) != 1 {
			t.Fatalf("board devices %+v", b.Boards)
		}
		return b.Boards[0]
	}
	send(t0, component(1, 7, t0, fireline.ConditionFault),
		fireline.DeviceEvent{Kind: fireline.EventSystemStatus, System: 1, SystemAddress: 1, At: &t0})
	send(t0.Add(time.Minute), component(1, 7, t0.Add(time.Minute), fireline.ConditionFault))
	d := board()
	if len(d.Components) != 1 || !d.Components[0].Since.Equal(t0) || !d.Components[0].UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("the same fault twice: %+v", d.Components)
	}
	if len(d.Systems) != 1 || len(d.Systems[0].Conditions) != 0 {
		t.Errorf("a normal system is listed as normal: %+v", d.Systems)
	}
	if p := d.Components[0].Place; p.Building != "Inpatient block" || p.ComponentAddress != nil {
		t.Errorf("a component without a place of its own takes its system's: %+v", p)
	}
	send(t0.Add(2*time.Minute), component(1, 7, t0.Add(2*time.Minute), fireline.ConditionFault, fireline.ConditionShielded))
	if d := board(); !d.Components[0].Since.Equal(t0.Add(2*time.Minute)) || len(d.Components[0].Conditions) != 2 {
		t.Errorf("new conditions move since: %+v", d.Components[0])
	}
	send(t0.Add(3*time.Minute), component(1, 7, t0.Add(3*time.Minute)))
	if d := board(); len(d.Components) != 0 {
		t.Errorf("a component back to normal stays: %+v", d.Components)
	}
}

// TestDeviceReset: a system's reset clears the alarm conditions of that system's components
// and leaves their faults and shields, and another system's components alone.
func TestDeviceReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := buildingFixture(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	_, err := db.ReceiveDeviceReport(ctx, deviceReport(addr1, t0,
		component(1, 1, t0, fireline.ConditionFireAlarm),
		component(1, 2, t0, fireline.ConditionFireAlarm, fireline.ConditionFault),
		component(1, 3, t0, fireline.ConditionShielded),
		component(1, 4, t0, fireline.ConditionStarted, fireline.ConditionFeedback),
		component(2, 1, t0, fireline.ConditionFireAlarm)))
	must(t, err)
	states := func() map[string][]fireline.DeviceCondition {
		t.Helper()
		b, err := db.Board(ctx, "P1", fireline.BoardQuery{At: t0})
		must(t, err)
		out := map[string][]fireline.DeviceCondition{}
		for _, c := range b.Boards[0].Components {
			out[fmt.Sprintf("%d/%d", c.SystemAddress, c.ComponentAddress)] = c.Conditions
		}
		return out
	}
	if got := states(); len(got) != 5 {
		t.Fatalf("before the reset %v", got)
	}
	at := t0.Add(time.Minute)
	_, err = db.ReceiveDeviceReport(ctx, deviceReport(addr1, at, fireline.DeviceEvent{Kind: fireline.EventSystemOperation,
		System: 1, SystemAddress: 1, Operations: []fireline.DeviceOperation{fireline.OperationReset}, At: &at}))
	must(t, err)
	got := states()
	want := map[string][]fireline.DeviceCondition{
		"1/2": {fireline.ConditionFault}, "1/3": {fireline.ConditionShielded}, "2/1": {fireline.ConditionFireAlarm},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the reset of system 1/1: %v, want %v", got, want)
	}
	_, err = db.ReceiveDeviceReport(ctx, deviceReport(addr1, at, fireline.DeviceEvent{Kind: fireline.EventSystemStatus,
		System: 1, SystemAddress: 2, Conditions: []fireline.DeviceCondition{fireline.ConditionReset}, At: &at}))
	must(t, err)
	if got := states(); len(got) != 2 || got["2/1"] != nil {
		t.Errorf("a system status with reset: %v", got)
	}
}

// TestUnregisteredDeviceThenRegistered: an unknown address's reports are kept and it is listed
// for the administrators; once registered, its board shows what it had reported.
func TestUnregisteredDeviceThenRegistered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	rc, err := db.ReceiveDeviceReport(ctx, deviceReport(addr3, t0, component(1, 9, t0, fireline.ConditionFault)))
	must(t, err)
	if rc.ReportID == 0 || rc.Device != nil || rc.Premise != nil {
		t.Fatalf("unregistered receipt %+v", rc)
	}
	_, err = db.ReceiveDeviceReport(ctx, heartbeat(addr2, t0.Add(time.Minute)))
	must(t, err)
	links, err := db.UnregisteredDevices(ctx, fireline.BoardQuery{At: t0.Add(2 * time.Minute)})
	must(t, err)
	if len(links) != 2 || links[0].Address != addr2 || links[1].Address != addr3 || !links[0].Online || !links[1].Online ||
		links[1].Reports != 1 || links[0].DeviceID != "" {
		t.Fatalf("unregistered %+v, want addr2 then addr3, online", links)
	}
	links, err = db.UnregisteredDevices(ctx, fireline.BoardQuery{At: t0.Add(time.Hour), OfflineAfter: time.Minute})
	must(t, err)
	if len(links) != 2 || links[0].Online || links[1].Online {
		t.Errorf("an hour later %+v, want offline", links)
	}
	_, err = db.CreateDevice(ctx, testDevice("D3", "P2", addr3), "admin")
	must(t, err)
	links, err = db.UnregisteredDevices(ctx, fireline.BoardQuery{At: t0})
	must(t, err)
	if len(links) != 1 || links[0].Address != addr2 {
		t.Errorf("after registering addr3: %+v", links)
	}
	b, err := db.Board(ctx, "P2", fireline.BoardQuery{At: t0.Add(2 * time.Minute)})
	must(t, err)
	if b.Impairment.Faults != 1 || len(b.Boards) != 1 || b.Boards[0].Link == nil || b.Boards[0].Link.DeviceID != "D3" ||
		len(b.Boards[0].Components) != 1 || len(b.History) != 1 || b.History[0].DeviceID != "D3" {
		t.Errorf("board after registering %+v", b)
	}
}

// TestBuildingsAndBoard: the list counts each building's impairments, offline devices
// included, and ranks fire alarms first, then the impaired, then the rest, by name.
func TestBuildingsAndBoard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	now := time.Now().Truncate(time.Second)
	q := fireline.BoardQuery{At: now, OfflineAfter: 5 * time.Minute}
	premises := []struct{ id, name string }{
		{"B-A", "Alpha hospital"}, {"B-B", "Bravo school"}, {"B-C", "Charlie mall"}, {"B-D", "Delta office"},
		{"B-E", "Echo plant"}, {"B-F", "Foxtrot hall"},
	}
	for i, p := range premises {
		_, err := db.CreatePremise(ctx, fireline.Premise{ID: p.id, Name: p.name, Kind: "public", Point: fireline.Point{Lat: 36.4, Lng: 115.9}}, "admin")
		must(t, err)
		d := testDevice(fmt.Sprintf("D-%c", 'A'+i), p.id, fmt.Sprintf("0635000001%02x", i))
		if p.id == "B-F" {
			d.Address = "" // a panel posting JSON: on no board
		}
		_, err = db.CreateDevice(ctx, d, "admin")
		must(t, err)
	}
	send := func(addr string, at time.Time, events ...fireline.DeviceEvent) {
		t.Helper()
		_, err := db.ReceiveDeviceReport(ctx, deviceReport(addr, at, events...))
		must(t, err)
	}
	t1, t2 := now.Add(-4*time.Minute), now.Add(-2*time.Minute)
	// Alpha: a fire alarm and a shielded detector, beside an online device.
	send("063500000100", t1, component(1, 1, t1, fireline.ConditionFireAlarm), component(1, 2, t2, fireline.ConditionShielded))
	// Bravo's device has never been heard: offline since its registration.
	// Charlie: a bus fault on the system, a component in test.
	send("063500000102", t2, fireline.DeviceEvent{Kind: fireline.EventSystemStatus, System: 1, SystemAddress: 1,
		Conditions: []fireline.DeviceCondition{fireline.ConditionBusFault}, At: &t2}, component(1, 3, t2, fireline.ConditionTest))
	// Delta: heard, all normal. Echo: only a supervisory condition, which impairs nothing.
	send("063500000103", t2, fireline.DeviceEvent{Kind: fireline.EventSystemStatus, System: 1, SystemAddress: 1, At: &t2})
	send("063500000104", t2, component(1, 4, t2, fireline.ConditionSupervisory))

	list, err := db.Buildings(ctx, q)
	must(t, err)
	var names []string
	for _, s := range list {
		names = append(names, s.Premise.ID)
	}
	if strings.Join(names, ",") != "B-A,B-B,B-C,B-D,B-E" {
		t.Fatalf("order %v, want Alpha (fire) then Bravo, Charlie (impaired) then Delta, Echo", names)
	}
	want := []fireline.Impairment{
		{FireAlarms: 1, Shielded: 1}, {Offline: 1}, {Faults: 1, InTest: 1}, {}, {Supervisory: 1},
	}
	for i, s := range list {
		if s.Impairment != want[i] || s.Devices != 1 {
			t.Errorf("%s: %+v (%d devices), want %+v", s.Premise.ID, s.Impairment, s.Devices, want[i])
		}
	}
	if s := list[0].Since; s == nil || !s.Equal(t1) {
		t.Errorf("Alpha since %v, want its fire alarm's %v", s, t1)
	}
	if s := list[1].Since; s == nil || s.Before(now.Add(-time.Minute)) {
		t.Errorf("Bravo since %v, want its registration (just now)", s)
	}
	if list[3].Since != nil {
		t.Errorf("Delta since %v, want none", list[3].Since)
	}

	// Later, every heard device has fallen silent: offline from its last frame + 5 minutes.
	later := fireline.BoardQuery{At: now.Add(time.Hour), OfflineAfter: 5 * time.Minute, ImpairedOnly: true}
	list, err = db.Buildings(ctx, later)
	must(t, err)
	if len(list) != 5 || list[3].Premise.ID != "B-D" || list[3].Impairment.Offline != 1 || !list[3].Since.Equal(t2.Add(5*time.Minute)) {
		t.Errorf("an hour later: %+v", list)
	}
	q.ImpairedOnly = true
	list, err = db.Buildings(ctx, q)
	must(t, err)
	if len(list) != 3 {
		t.Errorf("impaired only: %d buildings, want 3", len(list))
	}

	b, err := db.Board(ctx, "B-A", q)
	must(t, err)
	if b.Premise.ID != "B-A" || b.Impairment.FireAlarms != 1 || len(b.Boards) != 1 || !b.Boards[0].Online ||
		b.Boards[0].Link == nil || b.Boards[0].Link.Reports != 1 || len(b.Boards[0].Components) != 2 || len(b.History) != 2 ||
		b.History[0].ID < b.History[1].ID || b.History[0].DeviceID != "D-A" {
		t.Fatalf("Alpha's board %+v", b)
	}
	if b, err := db.Board(ctx, "B-B", q); err != nil || b.Boards[0].Link != nil || b.Boards[0].Online ||
		b.Boards[0].Systems == nil || b.History == nil {
		t.Errorf("Bravo's board %+v %v", b, err)
	}
	_, err = db.Board(ctx, "nowhere", q)
	wantCode(t, err, fireline.ENOTFOUND)
}

// TestDeviceRegistry: devices are created, updated (places replaced) and retired with an
// audit entry each; an address in service is one device's; a retired device frees it.
func TestDeviceRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	conn := sqlConn(t, url)
	d1, err := db.CreateDevice(ctx, testDevice("D1", "P1", addr1), "alice")
	must(t, err)
	if d1.Address != addr1 || len(d1.Places) != 2 || d1.Places[1].ComponentAddress == nil || *d1.Places[1].ComponentAddress != 0x00010203 {
		t.Fatalf("created %+v", d1)
	}
	_, err = db.CreateDevice(ctx, testDevice("D1", "P1", addr2), "alice")
	wantCode(t, err, fireline.ECONFLICT)
	_, err = db.CreateDevice(ctx, testDevice("D2", "P1", addr1), "alice")
	wantCode(t, err, fireline.ECONFLICT)
	if !strings.Contains(fireline.ErrorMessage(err), "D1") {
		t.Errorf("address conflict %q does not name D1", fireline.ErrorMessage(err))
	}
	_, err = db.CreateDevice(ctx, testDevice("D2", "nowhere", addr2), "alice")
	wantCode(t, err, fireline.EINVALID)
	if !strings.HasPrefix(fireline.ErrorMessage(err), "premise_id: ") {
		t.Errorf("unknown premises: %q", fireline.ErrorMessage(err))
	}
	_, err = db.CreateDevice(ctx, testDevice("D2", "P1", addr1), "")
	wantCode(t, err, fireline.EINVALID)

	up := testDevice("D1", "P2", addr1)
	up.Places = up.Places[:1]
	d1, err = db.UpdateDevice(ctx, up, "bob")
	must(t, err)
	if d1.PremiseID != "P2" || len(d1.Places) != 1 {
		t.Fatalf("updated %+v", d1)
	}
	if _, err := db.UpdateDevice(ctx, up, "bob"); err != nil {
		t.Fatalf("the same update again: %v", err)
	}
	_, err = db.UpdateDevice(ctx, testDevice("D9", "P1", addr2), "bob")
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.RetireDevice(ctx, "D9", "bob")
	wantCode(t, err, fireline.ENOTFOUND)

	retired, err := db.RetireDevice(ctx, "D1", "carol")
	must(t, err)
	if retired.RetiredAt == nil {
		t.Fatalf("retired %+v", retired)
	}
	_, err = db.UpdateDevice(ctx, up, "bob")
	wantCode(t, err, fireline.ECONFLICT)
	if _, err := db.CreateDevice(ctx, testDevice("D2", "P1", addr1), "alice"); err != nil {
		t.Fatalf("the retired device's address for its replacement: %v", err)
	}
	all, err := db.Devices(ctx, fireline.RefFilter{})
	must(t, err)
	withRetired, err := db.Devices(ctx, fireline.RefFilter{IncludeRetired: true})
	must(t, err)
	if len(all) != 1 || all[0].ID != "D2" || len(all[0].Places) != 0 || len(withRetired) != 2 || len(withRetired[0].Places) != 1 {
		t.Errorf("devices %+v, with retired %d", all, len(withRetired))
	}
	if got, err := db.Device(ctx, "D1"); err != nil || got.RetiredAt == nil || len(got.Places) != 1 {
		t.Errorf("retired device %+v %v", got, err)
	}

	rows, _ := conn.Query(ctx, `SELECT actor || ' ' || action || ' ' || entity_id FROM admin_audit WHERE entity = 'device' ORDER BY id`)
	audit, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	if want := "alice create D1,bob update D1,carol retire D1,alice create D2"; strings.Join(audit, ",") != want {
		t.Errorf("audit %v, want %s", audit, want)
	}
}

// TestBuildingChangeFeed: a report that changes a board announces the building; one that
// changes nothing does not.
func TestBuildingChangeFeed(t *testing.T) {
	t.Parallel()
	db, conn := buildingFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan fireline.Change, 100)
	go func() { _ = db.Listen(ctx, func(c fireline.Change) { changes <- c }) }()
	waitFor(t, func() bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n)
		return n == 1
	})
	next := func() (fireline.Change, bool) {
		select {
		case c := <-changes:
			return c, true
		case <-time.After(3 * time.Second):
			return fireline.Change{}, false
		}
	}
	at := time.Now()
	_, err := db.ReceiveDeviceReport(ctx, heartbeat(addr1, at))
	must(t, err)
	if c, ok := next(); !ok || c != (fireline.Change{Kind: "building", ID: "P1"}) {
		t.Fatalf("a device first heard: %+v %v", c, ok)
	}
	_, err = db.ReceiveDeviceReport(ctx, heartbeat(addr1, at.Add(time.Minute)))
	must(t, err)
	_, err = db.ReceiveDeviceReport(ctx, deviceReport(addr1, at, component(1, 5, at, fireline.ConditionFault)))
	must(t, err)
	// The plain heartbeat announced nothing: the next notice is the fault's.
	if c, ok := next(); !ok || c != (fireline.Change{Kind: "building", ID: "P1"}) {
		t.Fatalf("a fault: %+v %v", c, ok)
	}
	if c, ok := next(); ok {
		t.Errorf("one report, a second notice %+v", c)
	}
	_, err = db.ReceiveDeviceReport(ctx, deviceReport(addr3, at, component(1, 5, at, fireline.ConditionFault)))
	must(t, err)
	if c, ok := next(); !ok || c != (fireline.Change{Kind: "building", ID: addr3}) {
		t.Errorf("an unregistered device's fault: %+v %v", c, ok)
	}
}

// TestSampleCityDevices: the sample city seeds its transmission devices with their addresses
// and the hospital's places, and a re-import keeps them as they are; every key premises is on
// the list of buildings, offline until its device is heard.
func TestSampleCityDevices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := newDB(t)
	c := samplecity.Liaocheng()
	must(t, db.ImportCity(ctx, c))
	must(t, db.ImportCity(ctx, c))
	got, err := db.Devices(ctx, fireline.RefFilter{})
	must(t, err)
	if len(got) != len(c.Devices) {
		t.Fatalf("%d devices, want %d", len(got), len(c.Devices))
	}
	byID := map[string]fireline.Device{}
	for _, d := range got {
		byID[d.ID] = d
	}
	for _, want := range c.Devices {
		d := byID[want.ID]
		if d.Address != want.Address || len(d.Places) != len(want.Places) {
			t.Errorf("device %s: %+v, want %+v", want.ID, d, want)
		}
	}
	if h := byID["FAP-DCF-04-1"]; len(h.Places) < 2 || h.Places[1].ComponentAddress == nil || h.Places[1].Floor != "5F" {
		t.Errorf("the hospital's places %+v", h.Places)
	}
	list, err := db.Buildings(ctx, fireline.BoardQuery{})
	must(t, err)
	if len(list) != len(c.Premises) || list[0].Impairment.Offline == 0 {
		t.Errorf("%d buildings (want %d), first %+v", len(list), len(c.Premises), list[0])
	}
}

// TestBuildingsAtScale: 1,000 devices at 250 key premises, each with a fault and half of them
// heard, are read in a few queries; the counts add up.
func TestBuildingsAtScale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := newDB(t)
	conn := sqlConn(t, url)
	now := time.Now()
	_, err := conn.Exec(ctx, `INSERT INTO premises (id, name, kind, lat, lng)
		SELECT 'S-' || n, 'Site ' || n, 'public', 36.4, 115.9 FROM generate_series(1, 250) n`)
	must(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO devices (id, premise_id, building, lat, lng, address)
		SELECT 'T-' || n, 'S-' || (n % 250 + 1), 'Block', 36.4, 115.9, '0635' || lpad(to_hex(n), 8, '0') FROM generate_series(1, 1000) n`)
	must(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO device_links (address, first_seen_at, last_seen_at, conditions_since)
		SELECT '0635' || lpad(to_hex(n), 8, '0'), $1, $1, $1 FROM generate_series(1, 1000, 2) n`, now)
	must(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO device_component_states (address, system, system_address, component_address, component,
			conditions, since, updated_at)
		SELECT '0635' || lpad(to_hex(n), 8, '0'), 1, 1, c, 40, '{fault}', $1, $1
		FROM generate_series(1, 1000) n, generate_series(1, 3) c`, now)
	must(t, err)
	start := time.Now()
	list, err := db.Buildings(ctx, fireline.BoardQuery{At: now})
	must(t, err)
	took := time.Since(start)
	var devices, faults, offline int
	for _, s := range list {
		devices += s.Devices
		faults += s.Impairment.Faults
		offline += s.Impairment.Offline
	}
	if len(list) != 250 || devices != 1000 || faults != 3000 || offline != 500 {
		t.Errorf("%d buildings, %d devices, %d faults, %d offline; want 250, 1000, 3000, 500", len(list), devices, faults, offline)
	}
	start = time.Now()
	b, err := db.Board(ctx, "S-1", fireline.BoardQuery{At: now})
	must(t, err)
	t.Logf("buildings of 1,000 devices read in %v, a board in %v", took, time.Since(start))
	if len(b.Boards) != 4 || b.Impairment.Faults != 12 {
		t.Errorf("board of S-1: %d devices, %+v", len(b.Boards), b.Impairment)
	}
	if took > 5*time.Second {
		t.Errorf("the list took %v", took)
	}
}
