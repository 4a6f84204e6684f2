package intake

import (
	"context"
	"time"

	"github.com/fireline/fireline"
)

// PanelEvent is the JSON a building fire-protection network's gateway posts for one event of a
// registered fire-alarm panel.
type PanelEvent struct {
	// EventID is the panel's own id for the event, unique per device: with DeviceID it is the
	// alarm's source id, so a gateway's retry is the same alarm.
	EventID  string             `json:"event_id"`
	DeviceID string             `json:"device_id"`
	Kind     fireline.AlarmKind `json:"kind"`
	// Building, Floor and Zone are what the panel says of the detector; the registry's building
	// stands when the event names none.
	Building string  `json:"building"`
	Floor    string  `json:"floor"`
	Zone     string  `json:"zone"`
	Time     *string `json:"time"`
}

// IoT reads a panel event. The device registry gives the position and the key premises, whose
// hazards and name go into the alarm's details and whose pre-plan assessment, if any, gives the
// incident type (a structure fire otherwise). Faults, supervisory events and resets come back
// as alarms like any other: their kind says they open no incident.
func (in *Intake) IoT(ctx context.Context, body []byte) (fireline.Alarm, error) {
	var e PanelEvent
	if err := decodeJSON(body, &e); err != nil {
		return fireline.Alarm{}, err
	}
	now := in.now()
	if err := eventID("event_id", e.EventID); err != nil {
		return fireline.Alarm{}, err
	}
	if err := fireline.ValidateID("device_id", e.DeviceID); err != nil {
		return fireline.Alarm{}, err
	}
	switch {
	case e.Kind == "":
		return fireline.Alarm{}, invalid("kind: required (fire_alarm, fault, supervisory or reset)")
	case !e.Kind.Valid():
		return fireline.Alarm{}, invalid("kind: %q is not one of fire_alarm, fault, supervisory, reset", e.Kind)
	}
	for _, f := range [...]struct{ name, s string }{{"building", e.Building}, {"floor", e.Floor}, {"zone", e.Zone}} {
		if err := text(f.name, f.s, fireline.MaxDetailLen); err != nil {
			return fireline.Alarm{}, err
		}
	}
	at, err := when("time", e.Time, now)
	if err != nil {
		return fireline.Alarm{}, err
	}
	d, err := in.reg.Device(ctx, e.DeviceID)
	if err := lookup("device_id", e.DeviceID, err); err != nil {
		return fireline.Alarm{}, err
	}
	var p *fireline.Premise
	if d.PremiseID != "" {
		prem, err := in.reg.Premise(ctx, d.PremiseID)
		if err := lookup("device_id: premises", d.PremiseID, err); err != nil {
			return fireline.Alarm{}, err
		}
		p = &prem
	}
	place := fireline.AlarmDetails{Building: first(e.Building, d.Building), Floor: first(e.Floor, d.Floor), Zone: first(e.Zone, d.Zone)}
	return finish(deviceAlarm(d, p, e.Kind, sourceID(d.ID, e.EventID), at, place, kindText[e.Kind]), now)
}

// deviceAlarm is the alarm of a registered panel or transmission device: at the device's
// point, with place's building, floor and zone, and, when the device protects a key premises
// p, the premises' name, hazards and address, and the incident type its pre-plan assessment
// gives (a structure fire otherwise). The description begins with what, then the place.
func deviceAlarm(d fireline.Device, p *fireline.Premise, kind fireline.AlarmKind, sourceID string, at time.Time, place fireline.AlarmDetails, what string) fireline.Alarm {
	a := fireline.Alarm{
		Source: fireline.SourceIoT, SourceID: sourceID, Kind: kind, DeviceID: d.ID,
		Type: fireline.TypeStructureFire, Point: d.Point, Address: d.Building, ReportedAt: at,
		Details: fireline.AlarmDetails{Building: place.Building, Floor: place.Floor, Zone: place.Zone},
	}
	if p != nil {
		a.PremiseID, a.Details.PremiseName = p.ID, p.Name
		a.Details.Hazards = mergeHazards(nil, p.Hazards)
		if p.Address != "" {
			a.Address = p.Address
		}
		if p.PlanType.Valid() {
			a.Type = p.PlanType
		}
	}
	a.Description = describe(what, a.Details.Building, label("floor", a.Details.Floor), label("zone", a.Details.Zone))
	if a.Details.PremiseName != "" {
		a.Description = describe(a.Description, "key premises "+a.Details.PremiseName)
	}
	return a
}

var kindText = map[fireline.AlarmKind]string{
	fireline.KindFireAlarm:   "Fire alarm",
	fireline.KindFault:       "Panel fault",
	fireline.KindSupervisory: "Supervisory event",
	fireline.KindReset:       "Panel reset",
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func label(name, v string) string {
	if v == "" {
		return ""
	}
	return name + " " + v
}
