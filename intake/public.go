package intake

import (
	"context"
	"strings"

	"github.com/fireline/fireline"
)

// PublicReport is the JSON the public app or the SMS gateway posts for a report from a member
// of the public.
type PublicReport struct {
	// ReportID is the app's or gateway's id for the report: the alarm's source id.
	ReportID string `json:"report_id"`
	// Channel is app or sms.
	Channel string `json:"channel"`
	// Text is what the person wrote.
	Text string   `json:"text"`
	Lat  *float64 `json:"lat"`
	Lng  *float64 `json:"lng"`
	// Type is what the app let the person pick; help_requested when absent, which joins any
	// open incident nearby.
	Type fireline.IncidentType `json:"type"`
	// PhotoRef names a photo the app holds (an id or URL); Fireline stores it and never
	// fetches it.
	PhotoRef       string         `json:"photo_ref"`
	ReporterNumber fireline.Phone `json:"reporter_number"`
	Time           *string        `json:"time"`
}

// Channels are how a public report may arrive.
var Channels = []string{"app", "sms"}

// Public reads a public report. It is marked unverified: anyone can send one, so the console
// shows it as such until an operator confirms it.
func (in *Intake) Public(_ context.Context, body []byte) (fireline.Alarm, error) {
	var r PublicReport
	if err := decodeJSON(body, &r); err != nil {
		return fireline.Alarm{}, err
	}
	now := in.now()
	switch {
	case strings.TrimSpace(r.ReportID) == "":
		return fireline.Alarm{}, invalid("report_id: required")
	case r.Channel != "app" && r.Channel != "sms":
		return fireline.Alarm{}, invalid("channel: %q is not one of %s", r.Channel, strings.Join(Channels, ", "))
	}
	for _, c := range [...]struct {
		name, s string
		max     int
		need    bool
	}{
		{"report_id", r.ReportID, fireline.MaxSourceIDLen, true}, {"text", r.Text, fireline.MaxDescriptionLen, true},
		{"photo_ref", r.PhotoRef, fireline.MaxDetailLen, false}, {"reporter_number", string(r.ReporterNumber), fireline.MaxDetailLen, false},
	} {
		check := text
		if c.need {
			check = required
		}
		if err := check(c.name, c.s, c.max); err != nil {
			return fireline.Alarm{}, err
		}
	}
	at, err := when("time", r.Time, now)
	if err != nil {
		return fireline.Alarm{}, err
	}
	p, err := point(r.Lat, r.Lng)
	if err != nil {
		return fireline.Alarm{}, err
	}
	if r.Type == "" {
		r.Type = fireline.TypeHelpRequested
	}
	return finish(fireline.Alarm{
		Source: fireline.SourcePublic, SourceID: r.ReportID, Type: r.Type, Point: p, ReportedAt: at,
		Description: r.Text, Unverified: true,
		Details: fireline.AlarmDetails{Channel: r.Channel, PhotoRef: r.PhotoRef, CallerNumber: r.ReporterNumber},
	}, now)
}
