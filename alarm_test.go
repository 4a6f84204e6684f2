package fireline_test

import (
	"fmt"
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
		{"malformed type", func(a *fireline.Alarm) { a.Type = "Alien landing" }, "type:"},
		{"long address", func(a *fireline.Alarm) { a.Address = strings.Repeat("路", fireline.MaxAddressLen) }, "address:"},
		{"long description", func(a *fireline.Alarm) { a.Description = strings.Repeat("x", fireline.MaxDescriptionLen+1) }, "description:"},
		{"missing time", func(a *fireline.Alarm) { a.ReportedAt = time.Time{} }, "reported_at:"},
		{"future time", func(a *fireline.Alarm) { a.ReportedAt = now.Add(time.Hour) }, "reported_at:"},
		{"invalid utf-8", func(a *fireline.Alarm) { a.Description = "fire \xff" }, "description:"},
		{"nul byte", func(a *fireline.Alarm) { a.Caller = "a\x00b" }, "caller:"},
		{"latitude out of range", func(a *fireline.Alarm) { a.Point.Lat = 91 }, "lat"},
		{"longitude NaN", func(a *fireline.Alarm) { a.Point.Lng = math.NaN() }, "not a number"},
		{"null island", func(a *fireline.Alarm) { a.Point = fireline.Point{} }, "0,0"},
		{"panel fire alarm", func(a *fireline.Alarm) {
			a.Source, a.Kind, a.DeviceID, a.PremiseID = fireline.SourceIoT, fireline.KindFireAlarm, "FAP-1", "P-1"
		}, ""},
		{"unknown kind", func(a *fireline.Alarm) { a.Source, a.Kind = fireline.SourceIoT, "smoke" }, "kind:"},
		{"kind from a caller", func(a *fireline.Alarm) { a.Kind = fireline.KindReset }, "kind:"},
		{"unverified public report", func(a *fireline.Alarm) { a.Source, a.Unverified = fireline.SourcePublic, true }, ""},
		{"unverified call", func(a *fireline.Alarm) { a.Unverified = true }, "unverified:"},
		{"hostile device id", func(a *fireline.Alarm) { a.DeviceID = "x' OR 1=1" }, "device_id:"},
		{"negative people trapped", func(a *fireline.Alarm) { n := -1; a.Details.PeopleTrapped = &n }, "people_trapped:"},
		{"blank hazard", func(a *fireline.Alarm) { a.Details.Hazards = []string{"LPG", " "} }, "hazards[1]:"},
		{"nul in floor", func(a *fireline.Alarm) { a.Details.Floor = "3\x00" }, "floor:"},
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

func TestWarningInfoReadiness(t *testing.T) {
	info := func(sev fireline.CAPSeverity, urg fireline.CAPUrgency, cert fireline.CAPCertainty) fireline.WarningInfo {
		return fireline.WarningInfo{Severity: sev, Urgency: urg, Certainty: cert}
	}
	tests := []struct {
		name   string
		info   fireline.WarningInfo
		status fireline.CAPStatus
		msg    fireline.CAPMsgType
		want   fireline.Readiness
	}{
		{"extreme", info("Extreme", "Immediate", "Observed"), "Actual", "Alert", fireline.ReadinessHighest},
		{"severe update", info("Severe", "Expected", "Likely"), "Actual", "Update", fireline.ReadinessHigh},
		{"moderate", info("Moderate", "Future", "Possible"), "Actual", "Alert", fireline.ReadinessRaised},
		{"unknown severity", info("Unknown", "Unknown", "Unknown"), "Actual", "Alert", fireline.ReadinessRaised},
		{"a test", info("Extreme", "Immediate", "Observed"), "Test", "Alert", fireline.ReadinessNone},
		{"an exercise", info("Extreme", "Immediate", "Observed"), "Exercise", "Alert", fireline.ReadinessNone},
		{"a cancel", info("Extreme", "Immediate", "Observed"), "Actual", "Cancel", fireline.ReadinessNone},
		{"past", info("Extreme", "Past", "Observed"), "Actual", "Alert", fireline.ReadinessNone},
		{"unlikely", info("Extreme", "Immediate", "Unlikely"), "Actual", "Alert", fireline.ReadinessNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.Readiness(tt.status, tt.msg); got != tt.want {
				t.Fatalf("Readiness = %d, want %d", got, tt.want)
			}
		})
	}
	sent := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if got := (fireline.WarningInfo{}).InfoExpires(sent); !got.Equal(sent.Add(fireline.DefaultWarningLife)) {
		t.Errorf("expiry without expires: %s", got)
	}
}

func TestDeviceAndPoleValidate(t *testing.T) {
	p := fireline.Point{Lat: 36.45, Lng: 115.98}
	if err := (fireline.Device{ID: "FAP-1", PremiseID: "P-1", Building: "Tower", Point: p}).Validate(); err != nil {
		t.Errorf("good device: %v", err)
	}
	if err := (fireline.Device{ID: "FAP-1", Point: p}).Validate(); !strings.Contains(fmt.Sprint(err), "building") {
		t.Errorf("device without building: %v", err)
	}
	if err := (fireline.Pole{ID: "LP-1", Point: p}).Validate(); err != nil {
		t.Errorf("good pole: %v", err)
	}
	if err := (fireline.Pole{ID: "LP 1", Point: p}).Validate(); !strings.Contains(fmt.Sprint(err), "id") {
		t.Errorf("pole with a space: %v", err)
	}
}

func TestIncidentTypeCompatible(t *testing.T) {
	category := map[fireline.IncidentType]fireline.IncidentCategory{}
	for _, d := range fireline.BuiltinTypes() {
		category[d.Code] = d.Category
	}
	category["gas_leak"] = fireline.CategoryHazmat
	tests := []struct {
		a, b fireline.IncidentType
		want bool
	}{
		{fireline.TypeStructureFire, fireline.TypeStructureFire, true},
		{fireline.TypeStructureFire, fireline.TypeHighRiseFire, true}, // a caller may not know the building is a high-rise
		{fireline.TypeStructureFire, fireline.TypeTrafficAccident, false},
		{fireline.TypeWaterRescue, fireline.TypeHazmat, false},
		{fireline.TypeHelpRequested, fireline.TypeWaterRescue, true}, // a lamp-post button says only "help"
		{"gas_leak", fireline.TypeHazmat, false},                     // one category is not one incident
		{"gas_leak", "gas_leak", true},
		{"gas_leak", fireline.TypeHelpRequested, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.a)+"/"+string(tt.b), func(t *testing.T) {
			if got := fireline.Compatible(tt.a, category[tt.a], tt.b, category[tt.b]); got != tt.want {
				t.Fatalf("Compatible = %v, want %v", got, tt.want)
			}
			if got := fireline.Compatible(tt.b, category[tt.b], tt.a, category[tt.a]); got != tt.want {
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
