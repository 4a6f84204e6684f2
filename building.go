package fireline

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Buildings speak for themselves: a building's fire-alarm control panel and its other fire
// facilities (sprinklers, linkage control, hydrant pumps …) reach the command centre through a
// user information transmission device (用户信息传输装置) speaking GB/T 26875.3 over TCP. Each
// frame the device sends is a DeviceReport: the facility systems' and components' states, their
// operations, analog values, the device's own state (its heartbeat) and clocks. The centre
// keeps every report, the state each system and component is in now, and from those the
// building fire-safety board (建筑消防安全管理) of each key premises: what is in fire alarm, in
// fault, shielded or in test, which device has fallen silent. A component's fire alarm is also
// an alarm like any other source's, at the premises the device is registered to.

// DeviceAddressLen is the length of a transmission device's address as Fireline writes it: the
// standard's six-byte address as twelve lowercase hex digits, most significant byte first.
const DeviceAddressLen = 12

// ValidateDeviceAddress checks a transmission device's address and names field in its complaint.
func ValidateDeviceAddress(field, addr string) error {
	if len(addr) != DeviceAddressLen {
		return Errorf(EINVALID, "%s: %q is not %d hex digits (the device's six-byte address)", field, addr, DeviceAddressLen)
	}
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return Errorf(EINVALID, "%s: %q is not %d lowercase hex digits (the device's six-byte address)", field, addr, DeviceAddressLen)
		}
	}
	return nil
}

// DeviceCondition is one condition a facility system, a component or a transmission device
// reports itself in, named after the standard's status bits (GB/T 26875.3 8.2.1.1, 8.2.1.2,
// 8.2.1.8).
type DeviceCondition string

// The conditions. A state with none of them is normal operation.
const (
	ConditionTest             DeviceCondition = "test"               // 测试状态 (the normal bit clear)
	ConditionFireAlarm        DeviceCondition = "fire_alarm"         // 火警
	ConditionFault            DeviceCondition = "fault"              // 故障
	ConditionShielded         DeviceCondition = "shielded"           // 屏蔽
	ConditionSupervisory      DeviceCondition = "supervisory"        // 监管
	ConditionStarted          DeviceCondition = "started"            // 启动（开启）
	ConditionFeedback         DeviceCondition = "feedback"           // 反馈
	ConditionDelay            DeviceCondition = "delay"              // 延时状态
	ConditionPowerFault       DeviceCondition = "power_fault"        // 电源故障 (a component)
	ConditionMainPowerFault   DeviceCondition = "main_power_fault"   // 主电故障
	ConditionBackupPowerFault DeviceCondition = "backup_power_fault" // 备电故障
	ConditionBusFault         DeviceCondition = "bus_fault"          // 总线故障
	ConditionManual           DeviceCondition = "manual"             // 手动状态 (clear: automatic)
	ConditionConfigChanged    DeviceCondition = "config_changed"     // 配置改变
	ConditionReset            DeviceCondition = "reset"              // 复位
	ConditionChannelFault     DeviceCondition = "channel_fault"      // 与监控中心通信信道故障 (the device)
	ConditionLineFault        DeviceCondition = "line_fault"         // 监测连接线路故障 (the device)
)

// DeviceConditions lists every condition in a stable order, for the generated pages.
var DeviceConditions = []DeviceCondition{
	ConditionTest, ConditionFireAlarm, ConditionFault, ConditionShielded, ConditionSupervisory, ConditionStarted,
	ConditionFeedback, ConditionDelay, ConditionPowerFault, ConditionMainPowerFault, ConditionBackupPowerFault,
	ConditionBusFault, ConditionManual, ConditionConfigChanged, ConditionReset, ConditionChannelFault, ConditionLineFault,
}

// Impairing reports whether the condition means the building's fire protection is not fully
// working now: a fire alarm in progress, a fault of any kind, a shielded component, or a system
// or component in test.
func (c DeviceCondition) Impairing() bool {
	switch c {
	case ConditionFireAlarm, ConditionFault, ConditionShielded, ConditionTest, ConditionPowerFault,
		ConditionMainPowerFault, ConditionBackupPowerFault, ConditionBusFault, ConditionChannelFault, ConditionLineFault:
		return true
	}
	return false
}

// DeviceOperation is an operation done on a facility's panel or on the transmission device
// (8.2.1.4, 8.2.1.9).
type DeviceOperation string

// The operations.
const (
	OperationReset        DeviceOperation = "reset"         // 复位
	OperationSilence      DeviceOperation = "silence"       // 消音
	OperationManualAlarm  DeviceOperation = "manual_alarm"  // 手动报警
	OperationAlarmCleared DeviceOperation = "alarm_cleared" // 警情消除
	OperationSelfTest     DeviceOperation = "self_test"     // 自检
	OperationConfirm      DeviceOperation = "confirm"       // 确认 (a facility); 查岗应答 (the device)
	OperationTest         DeviceOperation = "test"          // 测试
)

// DeviceEventKind says what one object of a report is about.
type DeviceEventKind string

// The kinds of device event, one for each upload type the centre reads (the standard's table 3).
const (
	EventSystemStatus    DeviceEventKind = "system_status"    // type 1: a facility system's state
	EventComponentStatus DeviceEventKind = "component_status" // type 2: a component's state
	EventComponentAnalog DeviceEventKind = "component_analog" // type 3: a component's analog value
	EventSystemOperation DeviceEventKind = "system_operation" // type 4: an operation on a facility's panel
	EventSystemClock     DeviceEventKind = "system_clock"     // type 8: a facility's clock
	EventDeviceStatus    DeviceEventKind = "device_status"    // type 21: the device's own state, its heartbeat
	EventDeviceOperation DeviceEventKind = "device_operation" // type 24: an operation on the device
	EventDeviceClock     DeviceEventKind = "device_clock"     // type 28: the device's clock
	EventUnread          DeviceEventKind = "unread"           // any other type: kept raw in the report's frame
)

// DeviceEvent is one information object of a report, in the domain's words.
type DeviceEvent struct {
	Kind DeviceEventKind `json:"kind"`
	// System is the facility system's type (系统类型, the standard's table 4: 1 fire alarm
	// system, 10 linkage controller, 11 hydrant system, 12 sprinkler system …) and
	// SystemAddress its address on the device; both 0 for the device's own events.
	System        int `json:"system,omitempty"`
	SystemAddress int `json:"system_address,omitempty"`
	// Component is the component's type (部件类型, table 5: 40 smoke detector, 23 manual call
	// point …) and ComponentAddress its address on the panel (often loop and point); both 0
	// for a system's or the device's event.
	Component        int    `json:"component,omitempty"`
	ComponentAddress uint32 `json:"component_address,omitempty"`
	// Conditions are the state's conditions, in DeviceConditions order; empty is normal
	// operation. Only for the status kinds.
	Conditions []DeviceCondition `json:"conditions,omitempty"`
	// Operations are the operations done, for the operation kinds.
	Operations []DeviceOperation `json:"operations,omitempty"`
	// Operator is the panel's operator number, for the operation kinds.
	Operator int `json:"operator,omitempty"`
	// Description is the component's own description (部件说明), GB 18030 on the wire.
	Description string `json:"description,omitempty"`
	// AnalogKind (模拟量类型, table 6) and AnalogValue (raw, its scale set by the kind) are a
	// component's analog value.
	AnalogKind  int `json:"analog_kind,omitempty"`
	AnalogValue int `json:"analog_value,omitempty"`
	// At is when the state arose or the operation was done, by the device's clock read in the
	// centre's time zone; nil when the device's clock is unset or the label impossible. For a
	// clock event it is the clock's reading.
	At *time.Time `json:"at,omitempty"`
}

// Has reports whether the event's state has condition c.
func (e DeviceEvent) Has(c DeviceCondition) bool { return slices.Contains(e.Conditions, c) }

// Place is where the event happened as the registry's places say, or as the component's
// description says when no place is registered for it.
func (e DeviceEvent) Place(places []DevicePlace) DevicePlace {
	if p, ok := MatchPlace(places, e.System, e.SystemAddress, e.ComponentAddress); ok {
		return p
	}
	return DevicePlace{System: e.System, SystemAddress: e.SystemAddress, Description: e.Description}
}

// DevicePlace maps a facility system's address on a transmission device, or one component's
// address on that system, to a place in the building: an administrator registers them so an
// alarm names the floor and zone the crews go to.
type DevicePlace struct {
	System        int `json:"system"`
	SystemAddress int `json:"system_address"`
	// ComponentAddress is the component's address on the system; nil places the whole system
	// (every component without a place of its own).
	ComponentAddress *uint32 `json:"component_address,omitempty"`
	Building         string  `json:"building,omitempty"`
	Floor            string  `json:"floor,omitempty"`
	Zone             string  `json:"zone,omitempty"`
	// Description is the place in words ("2F east corridor, outside ward 12").
	Description string `json:"description,omitempty"`
}

// MaxDevicePlaces bounds the places registered for one device.
const MaxDevicePlaces = 2000

// MatchPlace is the place of a component: its own place if one is registered, else its
// system's, else none.
func MatchPlace(places []DevicePlace, system, systemAddress int, component uint32) (DevicePlace, bool) {
	var whole *DevicePlace
	for i := range places {
		p := &places[i]
		if p.System != system || p.SystemAddress != systemAddress {
			continue
		}
		if p.ComponentAddress == nil {
			whole = p
		} else if *p.ComponentAddress == component {
			return *p, true
		}
	}
	if whole != nil {
		return *whole, true
	}
	return DevicePlace{}, false
}

// Validate checks a place, naming field as its position in the device's list.
func (p DevicePlace) Validate(field string) error {
	switch {
	case p.System < 0 || p.System > 255:
		return Errorf(EINVALID, "%s.system: %d is outside 0..255", field, p.System)
	case p.SystemAddress < 0 || p.SystemAddress > 255:
		return Errorf(EINVALID, "%s.system_address: %d is outside 0..255", field, p.SystemAddress)
	}
	return firstError(
		validateText(field+".building", p.Building, MaxNameLen, false),
		validateText(field+".floor", p.Floor, MaxDetailLen, false),
		validateText(field+".zone", p.Zone, MaxDetailLen, false),
		validateText(field+".description", p.Description, MaxDetailLen, false),
	)
}

// validatePlaces checks a device's places: each valid, none twice.
func validatePlaces(places []DevicePlace) error {
	if len(places) > MaxDevicePlaces {
		return Errorf(EINVALID, "places: %d listed, at most %d", len(places), MaxDevicePlaces)
	}
	type key struct {
		system, address int
		component       int64
	}
	seen := make(map[key]int, len(places))
	for i, p := range places {
		field := fmt.Sprintf("places[%d]", i)
		if err := p.Validate(field); err != nil {
			return err
		}
		k := key{p.System, p.SystemAddress, -1}
		if p.ComponentAddress != nil {
			k.component = int64(*p.ComponentAddress)
		}
		if j, ok := seen[k]; ok {
			return Errorf(EINVALID, "%s: the same system and component as places[%d]", field, j)
		}
		seen[k] = i
	}
	return nil
}

// DeviceReport is one frame a transmission device sent, read into the domain: what the store
// keeps before the device is answered.
type DeviceReport struct {
	// Address is the sending device's address (the frame's source).
	Address string `json:"address"`
	// Serial is the frame's business serial number and Label its time label as sent (twelve
	// hex digits of the six bytes): with Address they make a frame the device resends the same
	// report, which changes nothing.
	Serial int    `json:"serial"`
	Label  string `json:"label"`
	// SentAt is the time label read in the centre's zone; nil when the device's clock is unset.
	SentAt     *time.Time `json:"sent_at,omitempty"`
	ReceivedAt time.Time  `json:"received_at"`
	// Command is the control unit's command byte, TypeFlag the application data unit's type
	// flag (0 when the frame carries no unit).
	Command  int `json:"command"`
	TypeFlag int `json:"type_flag"`
	// Frame is the frame as it came, start and end markers included.
	Frame []byte `json:"-"`
	// Remote is the connection's peer address ("ip:port").
	Remote string        `json:"remote,omitempty"`
	Events []DeviceEvent `json:"events"`
	// Problem says why the unit could not be read (the frame itself was sound); the frame is
	// kept and confirmed all the same.
	Problem string `json:"problem,omitempty"`
}

// Heartbeat reports whether the report only says the device is there: the device's own state
// and nothing else. The store keeps it as the device's last word, not as a report of its own.
func (r DeviceReport) Heartbeat() bool {
	if len(r.Events) == 0 || r.Problem != "" {
		return false
	}
	for _, e := range r.Events {
		if e.Kind != EventDeviceStatus {
			return false
		}
	}
	return true
}

// DeviceReportReceipt is the outcome of storing a report.
type DeviceReportReceipt struct {
	// ReportID is the stored report's id; 0 for a heartbeat, which updates only the device's
	// link.
	ReportID int64
	// Repeat is true when the device had sent this report before: nothing was written.
	Repeat bool
	// Device is the registered device with this address and its places; nil when the address is
	// not registered (the report is kept, and administrators see the device as unregistered).
	Device *Device
	// Premise is the key premises the device is registered to, nil when none.
	Premise *Premise
}

// DeviceLink is what the centre knows of a transmission device from its frames, registered or
// not.
type DeviceLink struct {
	Address string `json:"address"`
	// DeviceID is the registered device with this address; empty for an unregistered device.
	DeviceID    string    `json:"device_id,omitempty"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	// Remote is the peer address of its latest frame.
	Remote string `json:"remote,omitempty"`
	// Reports counts the frames it has sent, heartbeats included.
	Reports int64 `json:"reports"`
	// Conditions is the device's own state as its latest status said; Online whether it was
	// heard within the offline limit of the read.
	Conditions []DeviceCondition `json:"conditions,omitempty"`
	Online     bool              `json:"online"`
}

// SystemState is a facility system's state now, as its latest status said.
type SystemState struct {
	Address       string            `json:"address"` // the device's
	System        int               `json:"system"`
	SystemAddress int               `json:"system_address"`
	Conditions    []DeviceCondition `json:"conditions"`
	// Since is when the system entered its current conditions (the device's time when known,
	// else the centre's); UpdatedAt when the centre last heard of it.
	Since     time.Time `json:"since"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ComponentState is a component whose latest status was not plain normal operation.
// Components back to normal leave the board (their history stays).
type ComponentState struct {
	Address          string            `json:"address"`
	System           int               `json:"system"`
	SystemAddress    int               `json:"system_address"`
	Component        int               `json:"component"`
	ComponentAddress uint32            `json:"component_address"`
	Conditions       []DeviceCondition `json:"conditions"`
	Description      string            `json:"description,omitempty"`
	// Place is the registered place of the component, or its description's.
	Place     DevicePlace `json:"place"`
	Since     time.Time   `json:"since"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// DeviceBoard is one registered device on its building's board.
type DeviceBoard struct {
	Device Device `json:"device"`
	// Link is what its frames said; nil when it has never been heard.
	Link       *DeviceLink      `json:"link,omitempty"`
	Online     bool             `json:"online"`
	Systems    []SystemState    `json:"systems"`
	Components []ComponentState `json:"components"`
}

// DeviceEventRecord is a stored device event with where and when it came.
type DeviceEventRecord struct {
	ID         int64       `json:"id"`
	ReportID   int64       `json:"report_id"`
	Address    string      `json:"address"`
	DeviceID   string      `json:"device_id,omitempty"`
	ReceivedAt time.Time   `json:"received_at"`
	Event      DeviceEvent `json:"event"`
}

// Impairment counts what is wrong with a building's fire protection now.
type Impairment struct {
	FireAlarms  int `json:"fire_alarms"` // components (or systems) in fire alarm
	Faults      int `json:"faults"`      // components or systems in any fault, power faults included
	Shielded    int `json:"shielded"`    // components shielded
	InTest      int `json:"in_test"`     // components or systems in test
	Supervisory int `json:"supervisory"` // supervisory conditions
	Offline     int `json:"offline"`     // registered devices not heard within the limit (or never)
}

// Impaired reports whether anything is wrong (a supervisory condition alone is not).
func (m Impairment) Impaired() bool {
	return m.FireAlarms+m.Faults+m.Shielded+m.InTest+m.Offline > 0
}

// BuildingSummary is one key premises' line in the list of buildings: its devices and what is
// wrong now.
type BuildingSummary struct {
	Premise    Premise    `json:"premise"`
	Devices    int        `json:"devices"`
	Impairment Impairment `json:"impairment"`
	// Since is when the oldest impairment began; nil when none.
	Since *time.Time `json:"since,omitempty"`
}

// BuildingBoard is the fire-safety board of one key premises: every registered device with its
// systems and the components that are not normal, and the latest events.
type BuildingBoard struct {
	BuildingSummary
	Boards  []DeviceBoard       `json:"devices_now"`
	History []DeviceEventRecord `json:"history"`
}

// MaxBoardHistory bounds the events a board lists.
const MaxBoardHistory = 200

// BoardQuery says when a board is read and how long a silent device counts as online.
type BoardQuery struct {
	At time.Time
	// OfflineAfter is how long after its last frame a device counts as offline.
	OfflineAfter time.Duration
	// ImpairedOnly keeps, in the list of buildings, only those with something wrong.
	ImpairedOnly bool
}

// DefaultDeviceOfflineAfter is how long a transmission device may be silent before the board
// shows it offline: devices send their state as a heartbeat every minute or so, so three missed
// ones.
const DefaultDeviceOfflineAfter = 3 * time.Minute

// BuildingStore keeps what the buildings' transmission devices send and the registry of those
// devices. postgres.DB implements it.
type BuildingStore interface {
	// ReceiveDeviceReport stores a report in one transaction, idempotently on (address, serial,
	// label): the frame, its events, the device's link (last heard), and the state of every
	// system and component it names. A heartbeat updates only the link. A system's reset
	// clears the fire alarm and supervisory conditions of its components.
	ReceiveDeviceReport(ctx context.Context, r DeviceReport) (DeviceReportReceipt, error)

	// Devices lists registered panels and transmission devices by id, retired ones with
	// f.IncludeRetired.
	Devices(ctx context.Context, f RefFilter) ([]Device, error)
	// Device is a registered device by id with its places, retired ones included.
	Device(ctx context.Context, id string) (Device, error)
	// CreateDevice, UpdateDevice and RetireDevice keep the registry; each is written to the
	// audit trail with actor. A retired device's address is free for another.
	CreateDevice(ctx context.Context, d Device, actor string) (Device, error)
	UpdateDevice(ctx context.Context, d Device, actor string) (Device, error)
	RetireDevice(ctx context.Context, id, actor string) (Device, error)
	// UnregisteredDevices lists the addresses heard whose device is not registered, latest
	// first.
	UnregisteredDevices(ctx context.Context, q BoardQuery) ([]DeviceLink, error)

	// Buildings lists the key premises with registered devices and what is wrong with each now,
	// most impaired first.
	Buildings(ctx context.Context, q BoardQuery) ([]BuildingSummary, error)
	// Board is one key premises' fire-safety board.
	Board(ctx context.Context, premiseID string, q BoardQuery) (BuildingBoard, error)
}
