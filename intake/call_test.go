package intake_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

const goodCall = `{"call_id":"119-20261122-0001","line":"119","caller_name":"Wang","caller_number":"138 0000 0000",
	"address":"Dongchang West Road 5","lat":36.456,"lng":115.985,"type":"structure_fire",
	"description":"smoke from a third-floor window","people_trapped":2,"hazards":["gas cylinders"],
	"reported_at":"2026-11-22T08:59:30Z"}`

// callCases are the call form's table, and the seeds of FuzzCall.
func callCases() []adapterCase {
	with := func(old, new string) string { return strings.Replace(goodCall, old, new, 1) }
	return append([]adapterCase{
		{"good", goodCall, "", ""},
		{"only what is required", `{"call_id":"c1","line":"120","type":"traffic_accident","lat":36.45,"lng":115.98}`, "", ""},
		{"a key premises instead of a map point", `{"call_id":"c2","line":"119","type":"industrial_fire","premise_id":"P-CHEM"}`, "", ""},
		{"110 line", with(`"line":"119"`, `"line":"110"`), "", ""},
		{"no call id", with(`"call_id":"119-20261122-0001"`, `"call_id":" "`), fireline.EINVALID, "call_id: required"},
		{"long call id", with(`"call_id":"119-20261122-0001"`, `"call_id":"`+strings.Repeat("9", 129)+`"`), fireline.EINVALID, "call_id: longer than 128"},
		{"no line", with(`"line":"119",`, ``), fireline.EINVALID, "line: required"},
		{"unknown line", with(`"line":"119"`, `"line":"999"`), fireline.EINVALID, `line: "999" is not one of`},
		{"no type", with(`"type":"structure_fire",`, ``), fireline.EINVALID, "type: required"},
		{"malformed type", with(`"structure_fire"`, `"Alien landing"`), fireline.EINVALID, `type: "Alien landing" is not an incident type code`},
		{"address only", `{"call_id":"c3","line":"119","type":"structure_fire","address":"Dongchang West Road 5"}`, fireline.EINVALID, "an address alone cannot be placed"},
		{"lat only", with(`"lng":115.985,`, ``), fireline.EINVALID, "lng: required"},
		{"lat as text", with(`"lat":36.456`, `"lat":"36.456"`), fireline.EINVALID, "lat: expected a number"},
		{"absurd lat", with(`"lat":36.456`, `"lat":1e300`), fireline.EINVALID, "lat 1e+300 is outside -90..90"},
		{"null island", with(`"lat":36.456,"lng":115.985`, `"lat":0,"lng":0`), fireline.EINVALID, "0,0 is not a fix"},
		{"huge number", with(`"lat":36.456`, `"lat":1e400`), fireline.EINVALID, "lat: expected a number"},
		{"unknown premises", `{"call_id":"c4","line":"119","type":"structure_fire","premise_id":"P-NOPE"}`, fireline.EINVALID, `premise_id: "P-NOPE" is not registered`},
		{"retired premises", `{"call_id":"c5","line":"119","type":"structure_fire","premise_id":"P-OLD"}`, fireline.EINVALID, "premise_id: P-OLD is retired"},
		{"hostile premises id", `{"call_id":"c6","line":"119","type":"structure_fire","premise_id":"P'; DROP TABLE alarms;--"}`, fireline.EINVALID, "premise_id:"},
		{"negative people trapped", with(`"people_trapped":2`, `"people_trapped":-1`), fireline.EINVALID, "people_trapped: -1 is outside"},
		{"fractional people", with(`"people_trapped":2`, `"people_trapped":1.5`), fireline.EINVALID, "people_trapped: expected a number"},
		{"blank hazard", with(`["gas cylinders"]`, `["gas cylinders",""]`), fireline.EINVALID, "hazards[1]: required"},
		{"too many hazards", with(`["gas cylinders"]`, `[`+strings.TrimSuffix(strings.Repeat(`"x",`, 33), ",")+`]`), fireline.EINVALID, "hazards: 33 listed"},
		{"NUL in the description", with(`smoke from`, `smoke\u0000from`), fireline.EINVALID, "description: control character U+0000"},
		{"escape codes in the caller", with(`"Wang"`, `"Wang\u001b[2J"`), fireline.EINVALID, "caller_name: control character"},
		{"long description", with(`smoke from a third-floor window`, strings.Repeat("火", 1400)), fireline.EINVALID, "description: longer than 4096"},
		{"in the future", with(`2026-11-22T08:59:30Z`, `2026-11-22T09:30:00Z`), fireline.EINVALID, "reported_at: 2026-11-22T09:30:00Z is in the future"},
		{"last year", with(`2026-11-22T08:59:30Z`, `2025-11-22T08:59:30Z`), fireline.EINVALID, "reported_at: 2025-11-22T08:59:30Z is more than 24h0m0s ago"},
		{"not a time", with(`2026-11-22T08:59:30Z`, `yesterday`), fireline.EINVALID, "reported_at"},
	}, hostile()...)
}

func TestCall(t *testing.T) {
	in := newIntake()
	run(t, in.Call, callCases(), func(t *testing.T, name string, a fireline.Alarm) {
		if a.Source != fireline.SourceCall || a.Kind != "" || a.Unverified {
			t.Errorf("%+v: want a call's alarm", a)
		}
		switch name {
		case "good":
			if a.SourceID != "119-20261122-0001" || a.Caller != "Wang" || a.Details.CallerNumber != "138 0000 0000" ||
				*a.Details.PeopleTrapped != 2 || !slices.Equal(a.Details.Hazards, []string{"gas cylinders"}) ||
				a.Point != (fireline.Point{Lat: 36.456, Lng: 115.985}) || !a.ReportedAt.Equal(now.Add(-30e9)) {
				t.Errorf("good call read as %+v", a)
			}
		case "only what is required":
			if !a.ReportedAt.Equal(now) || a.Details.PeopleTrapped != nil {
				t.Errorf("defaults: %+v, want reported now and people trapped unknown", a)
			}
		case "a key premises instead of a map point":
			if a.PremiseID != "P-CHEM" || a.Point != chemWorks.Point || a.Address != chemWorks.Address ||
				a.Details.PremiseName != "Chemical Works" || !slices.Equal(a.Details.Hazards, chemWorks.Hazards) {
				t.Errorf("premises call read as %+v", a)
			}
		}
	})
}
