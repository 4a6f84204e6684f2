package intake_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

const goodPanelEvent = `{"event_id":"EV-000123","device_id":"FAP-CHEM-1","kind":"fire_alarm","floor":"2","zone":"Z-07",
	"time":"2026-11-22T16:59:00+08:00"}`

// iotCases are the panel event's table, and the seeds of FuzzIoT.
func iotCases() []adapterCase {
	with := func(old, new string) string { return strings.Replace(goodPanelEvent, old, new, 1) }
	return append([]adapterCase{
		{"fire alarm at a key premises", goodPanelEvent, "", ""},
		{"fault", with(`"fire_alarm"`, `"fault"`), "", ""},
		{"supervisory", with(`"fire_alarm"`, `"supervisory"`), "", ""},
		{"reset", with(`"fire_alarm"`, `"reset"`), "", ""},
		{"a building that is no key premises", `{"event_id":"1","device_id":"FAP-SHOP-1","kind":"fire_alarm","building":"Shop","time":"2026-11-22T08:58:00Z"}`, "", ""},
		{"no event id", with(`"event_id":"EV-000123",`, ``), fireline.EINVALID, "event_id: required"},
		{"long event id", with(`"EV-000123"`, `"`+strings.Repeat("9", 64)+`"`), fireline.EINVALID, "event_id: longer than 63 bytes"},
		{"event id with a slash", with(`"EV-000123"`, `"../../etc/passwd"`), fireline.EINVALID, "event_id:"},
		{"no device", with(`"device_id":"FAP-CHEM-1",`, ``), fireline.EINVALID, "device_id: required"},
		{"unknown device", with(`"FAP-CHEM-1"`, `"FAP-NOPE"`), fireline.EINVALID, `device_id: "FAP-NOPE" is not registered`},
		{"no kind", with(`"kind":"fire_alarm",`, ``), fireline.EINVALID, "kind: required"},
		{"unknown kind", with(`"fire_alarm"`, `"smoke"`), fireline.EINVALID, `kind: "smoke" is not one of`},
		{"kind as a number", with(`"fire_alarm"`, `3`), fireline.EINVALID, "kind: expected a string"},
		{"no time", with(`,
	"time":"2026-11-22T16:59:00+08:00"`, ``), fireline.EINVALID, "time: required"},
		{"time from the epoch", with(`2026-11-22T16:59:00+08:00`, `1970-01-01T00:00:00Z`), fireline.EINVALID, "time: 1970-01-01T00:00:00Z is more than 24h0m0s ago"},
		{"time far ahead", with(`2026-11-22T16:59:00+08:00`, `2099-01-01T00:00:00Z`), fireline.EINVALID, "in the future"},
		{"NUL in the zone", with(`"Z-07"`, `"Z\u0000"`), fireline.EINVALID, "zone: control character U+0000"},
		{"long floor", with(`"2"`, `"`+strings.Repeat("F", 257)+`"`), fireline.EINVALID, "floor: longer than 256"},
		{"a position from the panel", with(`"floor":"2"`, `"lat":36.1`), fireline.EINVALID, `unknown field "lat"`},
	}, hostile()...)
}

func TestIoT(t *testing.T) {
	in := newIntake()
	run(t, in.IoT, iotCases(), func(t *testing.T, name string, a fireline.Alarm) {
		if a.Source != fireline.SourceIoT || a.DeviceID == "" || !a.Kind.Valid() {
			t.Errorf("%+v: want a panel's alarm", a)
		}
		switch name {
		case "fire alarm at a key premises":
			if a.SourceID != "FAP-CHEM-1:EV-000123" || a.Kind != fireline.KindFireAlarm || a.PremiseID != "P-CHEM" ||
				a.Type != fireline.TypeIndustrialFire || a.Point != chemWorks.Point || a.Address != "9 River Rd" ||
				!slices.Equal(a.Details.Hazards, []string{"chlorine", "LPG"}) || a.Details.Floor != "2" || a.Details.Zone != "Z-07" ||
				a.Details.Building != "Plant B" || !strings.Contains(a.Description, "Chemical Works") || !a.ReportedAt.Equal(now.Add(-60e9)) {
				t.Errorf("read as %+v", a)
			}
		case "reset":
			if a.Kind != fireline.KindReset || a.Kind.OpensIncident() {
				t.Errorf("reset read as %+v", a)
			}
		case "a building that is no key premises":
			if a.PremiseID != "" || a.Type != fireline.TypeStructureFire || a.Details.Building != "Shop" || len(a.Details.Hazards) != 0 {
				t.Errorf("read as %+v", a)
			}
		}
	})
}
