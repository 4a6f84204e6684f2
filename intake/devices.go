package intake

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
)

// MaxDeviceClockSkew is how far a transmission device's clock may be off the centre's before
// the centre sets it: its time labels date the fire alarms.
const MaxDeviceClockSkew = 2 * time.Minute

// Devices is the use case of the buildings' transmission devices speaking GB/T 26875.3: each
// frame a device sends is stored as a report, durably, before it is confirmed; a registered
// device's fire alarms, faults, supervisory events and resets then go to the intake desk as
// alarms of the IoT source, the same path the JSON panel gateway's take. It is the
// gb26875.Server's Handler and is safe for concurrent use.
type Devices struct {
	desk  *Desk
	store fireline.BuildingStore
	loc   *time.Location
	log   *slog.Logger
	// serial numbers the centre's own control frames.
	serial atomic.Uint32
}

// Devices answers a gb26875.Server's frames.
var _ gb26875.Handler = (*Devices)(nil)

// NewDevices returns the use case that stores reports in store and hands alarms to desk; loc
// is the zone the devices' clocks keep (nil is UTC), and the desk's clock is the centre's.
func NewDevices(desk *Desk, store fireline.BuildingStore, loc *time.Location, log *slog.Logger) *Devices {
	if loc == nil {
		loc = time.UTC
	}
	return &Devices{desk: desk, store: store, loc: loc, log: log.With("component", "devices")}
}

// ServeFrame serves one sound frame of a device. Sent data is stored, handed on as alarms when
// the device is registered, and confirmed; a device clock more than MaxDeviceClockSkew off
// the centre's is also set with a clock-sync command. A device's own confirm, deny or response
// (to the centre's commands) is logged only. An error of the store or the desk is returned,
// so the frame goes unanswered and the device sends it again: its report and alarms are
// idempotent, and a repeat hands the alarms on again so that nothing is lost between storing
// and handing off.
func (d *Devices) ServeFrame(ctx context.Context, remote string, f gb26875.Frame, raw []byte) ([]gb26875.Frame, error) {
	now := d.desk.in.now()
	log := d.log.With("device", f.Source.String(), "remote", remote, "serial", f.Serial)
	switch f.Command {
	case gb26875.CommandSendData:
	case gb26875.CommandConfirm, gb26875.CommandDeny, gb26875.CommandResponse:
		log.Info("device answered the centre", "command", f.Command.String())
		return nil, nil
	default:
		// A control command or a request travels down from the centre, not up.
		log.Warn("frame ignored: a device sends no such command", "command", f.Command.String())
		return nil, nil
	}
	r := DeviceReport(f, raw, remote, d.loc, now)
	rc, err := d.store.ReceiveDeviceReport(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("intake: device %s frame %d: %w", r.Address, r.Serial, err)
	}
	if r.Problem != "" {
		log.Warn("unit not read; the frame is kept", "type_flag", r.TypeFlag, "problem", r.Problem)
	}
	if rc.Device == nil || rc.Device.RetiredAt != nil {
		log.Info("frame of an unregistered device stored", "report", rc.ReportID, "repeat", rc.Repeat)
	} else {
		for i, e := range r.Events {
			kind := alarmKind(e)
			if kind == "" {
				continue
			}
			a, err := finish(eventAlarm(r, i, e, kind, *rc.Device, rc.Premise, now), now)
			if err != nil {
				// Our own making, not the device's: its frame is stored, and resending it would not help.
				log.Error("no alarm made of a device event", "event", i, "kind", kind, "err", err)
				continue
			}
			_, err = d.desk.receive(ctx, a)
			if fireline.ErrorCode(err) == fireline.EINVALID && a.Type != fireline.TypeStructureFire {
				// The premises' pre-plan names an incident type since retired. Refused, the
				// frame would go unanswered and be resent for ever with no incident opened:
				// the building's alarm is raised as the structure fire it would be without a
				// pre-plan. A resend finds this alarm stored and answers as it did.
				log.Warn("alarm refused with its premises' pre-plan type; raised as a structure fire",
					"event", i, "type", a.Type, "err", err)
				a.Type = fireline.TypeStructureFire
				_, err = d.desk.receive(ctx, a)
			}
			if err != nil {
				return nil, fmt.Errorf("intake: device %s frame %d event %d: %w", r.Address, r.Serial, i, err)
			}
		}
	}
	centre := now.In(d.loc)
	answers := []gb26875.Frame{gb26875.Confirm(f, centre)}
	for _, e := range r.Events {
		if e.Kind == fireline.EventDeviceClock && e.At != nil && (e.At.Sub(now) > MaxDeviceClockSkew || now.Sub(*e.At) > MaxDeviceClockSkew) {
			log.Info("device clock set", "device_clock", e.At.Format(time.RFC3339), "off_by", now.Sub(*e.At).Round(time.Second).String())
			answers = append(answers, gb26875.SyncClock(f, uint16(d.serial.Add(1)), centre))
			break
		}
	}
	return answers, nil
}

// alarmKind is the alarm a device event raises: a system's or a component's fire alarm, or a
// manual alarm on a system's panel, is a fire alarm; a fault of any kind a fault; a supervisory
// condition a supervisory event; a system's reset (state or operation) a reset. Shields and
// tests raise none: a component in test that reports a fire alarm is being tested. "" when the
// event raises no alarm; the board shows it all the same.
func alarmKind(e fireline.DeviceEvent) fireline.AlarmKind {
	switch e.Kind {
	case fireline.EventSystemStatus, fireline.EventComponentStatus:
		switch {
		case e.Has(fireline.ConditionTest):
			return ""
		case e.Has(fireline.ConditionFireAlarm):
			return fireline.KindFireAlarm
		case e.Kind == fireline.EventSystemStatus && e.Has(fireline.ConditionReset):
			return fireline.KindReset
		case e.Has(fireline.ConditionFault) || e.Has(fireline.ConditionPowerFault) || e.Has(fireline.ConditionMainPowerFault) ||
			e.Has(fireline.ConditionBackupPowerFault) || e.Has(fireline.ConditionBusFault):
			return fireline.KindFault
		case e.Has(fireline.ConditionSupervisory):
			return fireline.KindSupervisory
		}
	case fireline.EventSystemOperation:
		for _, op := range e.Operations {
			if op == fireline.OperationManualAlarm {
				return fireline.KindFireAlarm
			}
		}
		for _, op := range e.Operations {
			if op == fireline.OperationReset {
				return fireline.KindReset
			}
		}
	}
	return ""
}

// eventAlarm is the alarm of event i of a registered device's report. Its source id names the
// frame (address, serial number, time label) and the object, so a resent frame is the same
// alarm and two objects of one frame are two. It is dated by the object's time label when that
// is a time within MaxAlarmAge and not ahead of the centre, else by the centre's clock.
func eventAlarm(r fireline.DeviceReport, i int, e fireline.DeviceEvent, kind fireline.AlarmKind, d fireline.Device, p *fireline.Premise, now time.Time) fireline.Alarm {
	at := now
	if e.At != nil && !e.At.After(now) && now.Sub(*e.At) <= MaxAlarmAge {
		at = *e.At
	}
	place := fireline.AlarmDetails{Building: d.Building, Floor: d.Floor, Zone: d.Zone}
	what := []string{kindText[kind], subject(e)}
	if e.Description != "" {
		what = append(what, "'"+printable(e.Description)+"'")
	}
	if pl, ok := fireline.MatchPlace(d.Places, e.System, e.SystemAddress, e.ComponentAddress); ok {
		place = fireline.AlarmDetails{Building: first(pl.Building, d.Building), Floor: first(pl.Floor, d.Floor), Zone: first(pl.Zone, d.Zone)}
		what = append(what, pl.Description)
	}
	id := fmt.Sprintf("%s:%d:%s:%d", r.Address, r.Serial, r.Label, i)
	return deviceAlarm(d, p, kind, id, at, place, describe(what...))
}

// subject names the system or component of an event: its type as the standard's tables 4 and
// 5 name it, and its addresses (system address, then the component's on that system).
func subject(e fireline.DeviceEvent) string {
	sys := systemNames[e.System]
	if sys == "" {
		sys = fmt.Sprintf("system type %d", e.System)
	}
	if e.Kind != fireline.EventComponentStatus {
		return fmt.Sprintf("%s %d", sys, e.SystemAddress)
	}
	comp := componentNames[e.Component]
	if comp == "" {
		comp = fmt.Sprintf("component type %d", e.Component)
	}
	return fmt.Sprintf("%s %d-%d", comp, e.SystemAddress, e.ComponentAddress)
}

// systemNames are the common facility system types (系统类型, the standard's table 4).
var systemNames = map[int]string{
	1:  "fire alarm system",
	10: "linkage controller",
	11: "hydrant system",
	12: "sprinkler system",
	13: "gas extinguishing system",
	16: "foam extinguishing system",
	17: "dry powder extinguishing system",
	18: "smoke control system",
	19: "fire door and shutter system",
	20: "fire lift",
	21: "emergency broadcast",
	22: "emergency lighting and evacuation signs",
	23: "fire power supply",
	24: "fire telephone",
}

// componentNames are the common component types (部件类型, the standard's table 5).
var componentNames = map[int]string{
	1:  "fire alarm control panel",
	10: "combustible gas detector",
	21: "detection loop",
	22: "fire display panel",
	23: "manual call point",
	24: "hydrant button",
	25: "fire detector",
	30: "heat detector",
	31: "point heat detector",
	34: "line heat detector",
	40: "smoke detector",
	41: "ionisation smoke detector",
	42: "photoelectric smoke detector",
	43: "beam smoke detector",
	44: "aspirating smoke detector",
	50: "multi-sensor detector",
	61: "ultraviolet flame detector",
	62: "infrared flame detector",
	84: "module",
	85: "input module",
	86: "output module",
	87: "input/output module",
	91: "fire pump",
	95: "sprinkler pump",
	96: "water flow indicator",
	97: "signal valve",
	98: "alarm valve",
	99: "pressure switch",
}

// printable replaces control characters, which a panel may leave in a fixed-width description,
// with spaces: a garbled description must not cost the alarm.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
