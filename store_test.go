package fireline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestIncidentFilterValidate(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	liaocheng := fireline.Point{Lat: 36.4567, Lng: 115.985}
	tests := []struct {
		name   string
		f      fireline.IncidentFilter
		detail string
	}{
		{"nothing", fireline.IncidentFilter{}, ""},
		{"everything", fireline.IncidentFilter{FinishedOnly: true, From: day, To: day.AddDate(0, 0, 1), Type: fireline.TypeHazmat,
			Level: 3, Near: liaocheng, RadiusMeters: 2000, Limit: 50}, ""},
		{"open and finished", fireline.IncidentFilter{OpenOnly: true, FinishedOnly: true}, "status: an incident is open or finished, not both"},
		{"empty range", fireline.IncidentFilter{From: day, To: day}, "from: 2026-12-01T00:00:00Z is not before to: 2026-12-01T00:00:00Z"},
		{"backwards range", fireline.IncidentFilter{From: day, To: day.Add(-time.Hour)}, "is not before to"},
		{"open-ended range", fireline.IncidentFilter{From: day}, ""},
		{"malformed type", fireline.IncidentFilter{Type: "Meteor"}, `type: "Meteor" is not an incident type code`},
		{"level 6", fireline.IncidentFilter{Level: 6}, "level: 6 is outside 1..5"},
		{"negative radius", fireline.IncidentFilter{Near: liaocheng, RadiusMeters: -1}, "radius_m: -1 is outside 0..50000 metres"},
		{"radius too large", fireline.IncidentFilter{Near: liaocheng, RadiusMeters: 50_001}, "radius_m: 50001 is outside"},
		{"radius without a centre", fireline.IncidentFilter{RadiusMeters: 500}, "near: position 0,0 is not a fix"},
		{"centre off the globe", fireline.IncidentFilter{Near: fireline.Point{Lat: 95, Lng: 115}, RadiusMeters: 500}, "near: lat 95 is outside -90..90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			switch {
			case tt.detail == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.detail != "" && (fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(fireline.ErrorMessage(err), tt.detail)):
				t.Errorf("Validate() = %v, want invalid with %q", err, tt.detail)
			}
		})
	}
}
