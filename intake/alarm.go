package intake

import (
	"context"
	"time"

	"github.com/fireline/fireline"
)

// AlarmForm is the generic JSON of POST /alarms: any source's alarm in the common fields, for a
// tool or gateway that has no adapter of its own. Pointers tell a missing field from a zero.
type AlarmForm struct {
	Source      fireline.AlarmSource  `json:"source"`
	SourceID    string                `json:"source_id"`
	Type        fireline.IncidentType `json:"type"`
	Lat         *float64              `json:"lat"`
	Lng         *float64              `json:"lng"`
	Address     string                `json:"address"`
	Description string                `json:"description"`
	ReportedAt  *time.Time            `json:"reported_at"`
	Caller      string                `json:"caller"`
}

// Alarm reads the generic form. The form names its source, and the alarm is held to the
// domain's rules (fireline.Alarm.Validate) and no more: the sources' own adapters check what
// they know of their sources besides.
func (in *Intake) Alarm(_ context.Context, body []byte) (fireline.Alarm, error) {
	var f AlarmForm
	if err := decodeJSON(body, &f); err != nil {
		return fireline.Alarm{}, err
	}
	switch {
	case f.Lat == nil:
		return fireline.Alarm{}, invalid("lat: required")
	case f.Lng == nil:
		return fireline.Alarm{}, invalid("lng: required")
	case f.ReportedAt == nil:
		return fireline.Alarm{}, invalid("reported_at: required (RFC 3339 time)")
	}
	a := fireline.Alarm{
		Source: f.Source, SourceID: f.SourceID, Type: f.Type,
		Point:   fireline.Point{Lat: *f.Lat, Lng: *f.Lng},
		Address: f.Address, Description: f.Description, Caller: f.Caller, ReportedAt: *f.ReportedAt,
	}
	return a, a.Validate(in.now())
}
