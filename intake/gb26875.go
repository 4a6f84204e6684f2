package intake

import (
	"fmt"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
)

// DeviceReport reads a sound GB/T 26875.3 frame from a transmission device into the domain's
// report: one event for each information object, each status bit named as its condition, each
// operation bit as its operation, and each time label read in loc, the centre's zone (the
// devices send local time). raw is the frame as it came and receivedAt the centre's clock. A
// unit that cannot be decoded sets Problem and gives no events: the frame is kept and confirmed
// all the same, for a device resending it would change nothing.
func DeviceReport(f gb26875.Frame, raw []byte, remote string, loc *time.Location, receivedAt time.Time) fireline.DeviceReport {
	if loc == nil {
		loc = time.UTC
	}
	r := fireline.DeviceReport{
		Address: f.Source.String(), Serial: int(f.Serial), Label: labelHex(f.Time),
		SentAt: labelTime(f.Time, loc), ReceivedAt: receivedAt,
		Command: int(f.Command), Frame: raw, Remote: remote, Events: []fireline.DeviceEvent{},
	}
	if len(f.Data) > 0 {
		r.TypeFlag = int(f.Data[0])
	}
	u, err := f.Unit()
	if err != nil {
		r.Problem = err.Error()
		return r
	}
	if len(f.Data) > 0 && !u.Type.Decoded() {
		r.Events = append(r.Events, fireline.DeviceEvent{Kind: fireline.EventUnread})
		return r
	}
	for _, o := range u.Objects {
		r.Events = append(r.Events, deviceEvent(o, loc))
	}
	return r
}

// deviceEvent is one decoded object in the domain's words.
func deviceEvent(o gb26875.Object, loc *time.Location) fireline.DeviceEvent {
	switch o := o.(type) {
	case gb26875.FacilityStatus:
		return fireline.DeviceEvent{Kind: fireline.EventSystemStatus, System: int(o.System), SystemAddress: int(o.SystemAddress),
			Conditions: statusConditions(o.Status, true), At: labelTime(o.At, loc)}
	case gb26875.ComponentStatus:
		return fireline.DeviceEvent{Kind: fireline.EventComponentStatus, System: int(o.System), SystemAddress: int(o.SystemAddress),
			Component: int(o.Component), ComponentAddress: o.ComponentAddress, Conditions: statusConditions(o.Status, false),
			Description: o.Description, At: labelTime(o.At, loc)}
	case gb26875.ComponentAnalog:
		return fireline.DeviceEvent{Kind: fireline.EventComponentAnalog, System: int(o.System), SystemAddress: int(o.SystemAddress),
			Component: int(o.Component), ComponentAddress: o.ComponentAddress, AnalogKind: int(o.Kind), AnalogValue: int(o.Value),
			At: labelTime(o.At, loc)}
	case gb26875.FacilityOperation:
		return fireline.DeviceEvent{Kind: fireline.EventSystemOperation, System: int(o.System), SystemAddress: int(o.SystemAddress),
			Operations: operations(o.Operations), Operator: int(o.Operator), At: labelTime(o.At, loc)}
	case gb26875.FacilityTime:
		return fireline.DeviceEvent{Kind: fireline.EventSystemClock, System: int(o.System), SystemAddress: int(o.SystemAddress),
			At: labelTime(o.Time, loc)}
	case gb26875.DeviceStatus:
		return fireline.DeviceEvent{Kind: fireline.EventDeviceStatus, Conditions: deviceConditions(o.Status), At: labelTime(o.At, loc)}
	case gb26875.DeviceOperation:
		return fireline.DeviceEvent{Kind: fireline.EventDeviceOperation, Operations: operations(o.Operations), Operator: int(o.Operator),
			At: labelTime(o.At, loc)}
	case gb26875.DeviceTime:
		return fireline.DeviceEvent{Kind: fireline.EventDeviceClock, At: labelTime(o.Time, loc)}
	}
	return fireline.DeviceEvent{Kind: fireline.EventUnread}
}

// statusBit is one status bit and the condition it sets.
type statusBit struct {
	bit  gb26875.StatusFlags
	cond fireline.DeviceCondition
}

// statusBits are the status bits 1–7, which mean the same for a system and a component.
var statusBits = []statusBit{
	{gb26875.StatusFireAlarm, fireline.ConditionFireAlarm},
	{gb26875.StatusFault, fireline.ConditionFault},
	{gb26875.StatusShielded, fireline.ConditionShielded},
	{gb26875.StatusSupervisory, fireline.ConditionSupervisory},
	{gb26875.StatusStarted, fireline.ConditionStarted},
	{gb26875.StatusFeedback, fireline.ConditionFeedback},
	{gb26875.StatusDelay, fireline.ConditionDelay},
}

// systemBits are a facility system's bits 8–13; a component has only bit 8, its power fault.
var systemBits = []statusBit{
	{gb26875.StatusMainPowerFault, fireline.ConditionMainPowerFault},
	{gb26875.StatusBackupPowerFault, fireline.ConditionBackupPowerFault},
	{gb26875.StatusBusFault, fireline.ConditionBusFault},
	{gb26875.StatusManual, fireline.ConditionManual},
	{gb26875.StatusConfigChanged, fireline.ConditionConfigChanged},
	{gb26875.StatusReset, fireline.ConditionReset},
}

// statusConditions names a system's (system) or a component's status bits, in
// fireline.DeviceConditions order. Bit 0 clear is the test state.
func statusConditions(s gb26875.StatusFlags, system bool) []fireline.DeviceCondition {
	set := map[fireline.DeviceCondition]bool{fireline.ConditionTest: !s.Has(gb26875.StatusNormal)}
	for _, b := range statusBits {
		set[b.cond] = s.Has(b.bit)
	}
	if system {
		for _, b := range systemBits {
			set[b.cond] = s.Has(b.bit)
		}
	} else {
		set[fireline.ConditionPowerFault] = s.Has(gb26875.StatusComponentPowerFail)
	}
	return ordered(set)
}

// deviceConditions names the transmission device's own state bits.
func deviceConditions(s gb26875.DeviceFlags) []fireline.DeviceCondition {
	return ordered(map[fireline.DeviceCondition]bool{
		fireline.ConditionTest:             !s.Has(gb26875.DeviceNormal),
		fireline.ConditionFireAlarm:        s.Has(gb26875.DeviceFireAlarm),
		fireline.ConditionFault:            s.Has(gb26875.DeviceFault),
		fireline.ConditionMainPowerFault:   s.Has(gb26875.DeviceMainPowerFault),
		fireline.ConditionBackupPowerFault: s.Has(gb26875.DeviceBackupPowerFault),
		fireline.ConditionChannelFault:     s.Has(gb26875.DeviceChannelFault),
		fireline.ConditionLineFault:        s.Has(gb26875.DeviceLineFault),
	})
}

func ordered(set map[fireline.DeviceCondition]bool) []fireline.DeviceCondition {
	var out []fireline.DeviceCondition
	for _, c := range fireline.DeviceConditions {
		if set[c] {
			out = append(out, c)
		}
	}
	return out
}

// operationBits are the operation byte's bits, in order.
var operationBits = []struct {
	bit gb26875.OperationFlags
	op  fireline.DeviceOperation
}{
	{gb26875.OperationReset, fireline.OperationReset},
	{gb26875.OperationSilence, fireline.OperationSilence},
	{gb26875.OperationManualAlarm, fireline.OperationManualAlarm},
	{gb26875.OperationAlarmCleared, fireline.OperationAlarmCleared},
	{gb26875.OperationSelfTest, fireline.OperationSelfTest},
	{gb26875.OperationConfirm, fireline.OperationConfirm},
	{gb26875.OperationTest, fireline.OperationTest},
}

func operations(o gb26875.OperationFlags) []fireline.DeviceOperation {
	var out []fireline.DeviceOperation
	for _, b := range operationBits {
		if o.Has(b.bit) {
			out = append(out, b.op)
		}
	}
	return out
}

// labelHex writes a time label's six bytes as they travel, second first, as twelve hex digits:
// with the address and serial number it names one frame, whatever the clock meant.
func labelHex(ts gb26875.Timestamp) string {
	return fmt.Sprintf("%02x%02x%02x%02x%02x%02x", ts.Second, ts.Minute, ts.Hour, ts.Day, ts.Month, ts.Year)
}

// labelTime reads a time label in loc; nil when it is no time (an unset clock sends zeros).
func labelTime(ts gb26875.Timestamp, loc *time.Location) *time.Time {
	t, err := ts.In(loc)
	if err != nil {
		return nil
	}
	return &t
}
