package intake

import (
	"context"

	"github.com/fireline/fireline"
)

// ButtonPress is the JSON the lamp-post gateway posts when someone presses a pole's emergency
// button.
type ButtonPress struct {
	PoleID string `json:"pole_id"`
	// PressID is the pole's own id for the press, unique per pole: with PoleID it is the alarm's
	// source id, so the gateway's retry is the same alarm while a second press is a new one.
	PressID string  `json:"press_id"`
	Time    *string `json:"time"`
}

// LampPost reads a button press. The pole registry gives the position and address; the type is
// help_requested, which is compatible with every incident type, so repeated presses, and a
// press near a fire already reported, join the open incident instead of opening another.
func (in *Intake) LampPost(ctx context.Context, body []byte) (fireline.Alarm, error) {
	var b ButtonPress
	if err := decodeJSON(body, &b); err != nil {
		return fireline.Alarm{}, err
	}
	now := in.now()
	if err := fireline.ValidateID("pole_id", b.PoleID); err != nil {
		return fireline.Alarm{}, err
	}
	if err := eventID("press_id", b.PressID); err != nil {
		return fireline.Alarm{}, err
	}
	at, err := when("time", b.Time, now)
	if err != nil {
		return fireline.Alarm{}, err
	}
	p, err := in.reg.Pole(ctx, b.PoleID)
	if err := lookup("pole_id", b.PoleID, err); err != nil {
		return fireline.Alarm{}, err
	}
	return finish(fireline.Alarm{
		Source: fireline.SourceLampPost, SourceID: sourceID(p.ID, b.PressID), DeviceID: p.ID,
		Type: fireline.TypeHelpRequested, Point: p.Point, Address: p.Address, ReportedAt: at,
		Description: "Emergency button pressed on lamp post " + p.ID,
	}, now)
}
