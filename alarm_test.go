package fireline_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestAlarmValidate(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	good := func() fireline.Alarm {
		return fireline.Alarm{Source: fireline.SourceCall, SourceID: "119-1", Type: fireline.TypeStructureFire,
			Point: fireline.Point{Lat: 36.456, Lng: 115.985}, ReportedAt: now.Add(-time.Minute)}
	}
	tests := []struct {
		name   string
		change func(a *fireline.Alarm)
		field  string // "" = valid
	}{
		{"good", func(*fireline.Alarm) {}, ""},
		{"unknown source", func(a *fireline.Alarm) { a.Source = "fax" }, "source:"},
		{"blank source id", func(a *fireline.Alarm) { a.SourceID = "  " }, "source_id:"},
		{"long source id", func(a *fireline.Alarm) { a.SourceID = strings.Repeat("x", fireline.MaxSourceIDLen+1) }, "source_id:"},
		{"unknown type", func(a *fireline.Alarm) { a.Type = "alien_landing" }, "type:"},
		{"long address", func(a *fireline.Alarm) { a.Address = strings.Repeat("路", fireline.MaxAddressLen) }, "address:"},
		{"long description", func(a *fireline.Alarm) { a.Description = strings.Repeat("x", fireline.MaxDescriptionLen+1) }, "description:"},
		{"missing time", func(a *fireline.Alarm) { a.ReportedAt = time.Time{} }, "reported_at:"},
		{"future time", func(a *fireline.Alarm) { a.ReportedAt = now.Add(time.Hour) }, "reported_at:"},
		{"invalid utf-8", func(a *fireline.Alarm) { a.Description = "fire \xff" }, "description:"},
		{"nul byte", func(a *fireline.Alarm) { a.Caller = "a\x00b" }, "caller:"},
		{"latitude out of range", func(a *fireline.Alarm) { a.Point.Lat = 91 }, "lat"},
		{"longitude NaN", func(a *fireline.Alarm) { a.Point.Lng = math.NaN() }, "not a number"},
		{"null island", func(a *fireline.Alarm) { a.Point = fireline.Point{} }, "0,0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good()
			tt.change(&a)
			err := a.Validate(now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if fireline.ErrorCode(err) != fireline.EINVALID {
				t.Fatalf("Validate: code %q (%v), want %q", fireline.ErrorCode(err), err, fireline.EINVALID)
			}
			if !strings.Contains(fireline.ErrorMessage(err), tt.field) {
				t.Fatalf("Validate: message %q does not name %q", fireline.ErrorMessage(err), tt.field)
			}
		})
	}
}

func TestIncidentTypeCompatible(t *testing.T) {
	tests := []struct {
		a, b fireline.IncidentType
		want bool
	}{
		{fireline.TypeStructureFire, fireline.TypeStructureFire, true},
		{fireline.TypeStructureFire, fireline.TypeHighRiseFire, true}, // a caller may not know the building is a high-rise
		{fireline.TypeStructureFire, fireline.TypeTrafficAccident, false},
		{fireline.TypeWaterRescue, fireline.TypeHazmat, false},
		{fireline.TypeHelpRequested, fireline.TypeWaterRescue, true}, // a lamp-post button says only "help"
	}
	for _, tt := range tests {
		t.Run(string(tt.a)+"/"+string(tt.b), func(t *testing.T) {
			if got := tt.a.Compatible(tt.b); got != tt.want {
				t.Fatalf("Compatible = %v, want %v", got, tt.want)
			}
			if got := tt.b.Compatible(tt.a); got != tt.want {
				t.Fatalf("Compatible is not symmetric")
			}
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	err := fireline.Errorf(fireline.ECONFLICT, "unit %s is committed", "E-1")
	if fireline.ErrorCode(err) != fireline.ECONFLICT || fireline.ErrorMessage(err) != "unit E-1 is committed" {
		t.Fatalf("got %q %q", fireline.ErrorCode(err), fireline.ErrorMessage(err))
	}
	other := errTest("disk on fire")
	if fireline.ErrorCode(other) != fireline.EINTERNAL || fireline.ErrorMessage(other) != "internal error" {
		t.Fatalf("internal errors must not leak their text: %q %q", fireline.ErrorCode(other), fireline.ErrorMessage(other))
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
