package intake

import (
	"context"
	"fmt"
	"strings"

	"github.com/fireline/fireline"
)

// CallForm is the JSON the call-taker's form posts for a call on one of the emergency lines
// (119 fire, 110 police, 120 ambulance) that needs the fire service. Pointers tell a missing
// field from a zero.
type CallForm struct {
	// CallID is the telephony system's (or the form's) id for the call: the alarm's source id.
	CallID string `json:"call_id"`
	// Line is the number the caller dialled: "119", "110" or "120".
	Line         string         `json:"line"`
	CallerName   string         `json:"caller_name"`
	CallerNumber fireline.Phone `json:"caller_number"`
	// Address is what the caller said; the position is the map point the operator set, or the
	// key premises' when the operator picked one. An address alone cannot be placed: Fireline
	// has no geocoder.
	Address   string                `json:"address"`
	Lat       *float64              `json:"lat"`
	Lng       *float64              `json:"lng"`
	PremiseID string                `json:"premise_id"`
	Type      fireline.IncidentType `json:"type"`
	// Description is what the caller reports, as the operator typed it.
	Description   string   `json:"description"`
	PeopleTrapped *int     `json:"people_trapped"`
	Hazards       []string `json:"hazards"`
	// ReportedAt is when the call was answered; the time of receipt when absent.
	ReportedAt *string `json:"reported_at"`
}

// Lines are the emergency numbers a call may come in on.
var Lines = []string{"119", "110", "120"}

// Call reads a call-taker's form. The position is the map point, or the key premises' when
// premise_id is given without one; the premises' hazards join those the caller reported.
func (in *Intake) Call(ctx context.Context, body []byte) (fireline.Alarm, error) {
	var f CallForm
	if err := decodeJSON(body, &f); err != nil {
		return fireline.Alarm{}, err
	}
	now := in.now()
	switch {
	case strings.TrimSpace(f.CallID) == "":
		return fireline.Alarm{}, invalid("call_id: required")
	case f.Line == "":
		return fireline.Alarm{}, invalid("line: required (one of %s)", strings.Join(Lines, ", "))
	case f.Line != "119" && f.Line != "110" && f.Line != "120":
		return fireline.Alarm{}, invalid("line: %q is not one of %s", f.Line, strings.Join(Lines, ", "))
	case f.Type == "":
		return fireline.Alarm{}, invalid("type: required")
	case f.Lat == nil && f.Lng == nil && f.PremiseID == "":
		return fireline.Alarm{}, invalid("lat/lng: required: set the map point or pick a key premises (premise_id); an address alone cannot be placed")
	}
	for _, c := range [...]struct {
		name, s string
		max     int
	}{
		{"call_id", f.CallID, fireline.MaxSourceIDLen}, {"caller_name", f.CallerName, fireline.MaxCallerLen},
		{"caller_number", string(f.CallerNumber), fireline.MaxDetailLen}, {"address", f.Address, fireline.MaxAddressLen},
		{"description", f.Description, fireline.MaxDescriptionLen},
	} {
		if err := text(c.name, c.s, c.max); err != nil {
			return fireline.Alarm{}, err
		}
	}
	a := fireline.Alarm{
		Source: fireline.SourceCall, SourceID: f.CallID, Type: f.Type, Address: f.Address,
		Description: f.Description, Caller: f.CallerName, ReportedAt: now,
		Details: fireline.AlarmDetails{CallerNumber: f.CallerNumber, PeopleTrapped: f.PeopleTrapped, Hazards: f.Hazards},
	}
	if f.ReportedAt != nil {
		t, err := when("reported_at", f.ReportedAt, now)
		if err != nil {
			return fireline.Alarm{}, err
		}
		a.ReportedAt = t
	}
	if f.Lat != nil || f.Lng != nil {
		p, err := point(f.Lat, f.Lng)
		if err != nil {
			return fireline.Alarm{}, err
		}
		a.Point = p
	}
	if f.PremiseID != "" {
		if err := fireline.ValidateID("premise_id", f.PremiseID); err != nil {
			return fireline.Alarm{}, err
		}
		p, err := in.reg.Premise(ctx, f.PremiseID)
		if err := lookup("premise_id", f.PremiseID, err); err != nil {
			return fireline.Alarm{}, err
		}
		if p.RetiredAt != nil {
			return fireline.Alarm{}, invalid("premise_id: %s is retired", p.ID)
		}
		a.PremiseID, a.Details.PremiseName = p.ID, p.Name
		if f.Lat == nil {
			a.Point = p.Point
		}
		if a.Address == "" {
			a.Address = p.Address
		}
		a.Details.Hazards = mergeHazards(a.Details.Hazards, p.Hazards)
	}
	return finish(a, now)
}

// mergeHazards appends the premises' registered hazards to those reported, without repeats,
// keeping within the domain's limit (reported ones first: they are about this fire).
func mergeHazards(reported, registered []string) []string {
	out := append([]string(nil), reported...)
	for _, h := range registered {
		if len(out) >= fireline.MaxAlarmHazards {
			break
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, h) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, h)
		}
	}
	return out
}

// describe joins the non-empty parts of a generated description.
func describe(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}

// MaxEventIDLen bounds a panel's event id or a pole's press id, so that with the device's id
// (fireline.MaxIDLen) and a colon it fits fireline.MaxSourceIDLen.
const MaxEventIDLen = fireline.MaxSourceIDLen - fireline.MaxIDLen - 1

// eventID checks a device's event id: the id rule of the domain, at most MaxEventIDLen bytes.
func eventID(field, id string) error {
	if len(id) > MaxEventIDLen {
		return invalid("%s: longer than %d bytes", field, MaxEventIDLen)
	}
	return fireline.ValidateID(field, id)
}

// sourceID joins a device's id and its own event id into the alarm's source id: event ids are
// unique per panel or pole, not across them.
func sourceID(device, event string) string { return fmt.Sprintf("%s:%s", device, event) }
