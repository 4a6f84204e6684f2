package intake_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

const goodReport = `{"report_id":"app-7f3a9c","channel":"app","text":"Black smoke over the market on Liuyuan Road",
	"lat":36.481,"lng":115.986,"photo_ref":"photo/7f3a9c.jpg","reporter_number":"139 0000 0000","time":"2026-11-22T08:58:00Z"}`

// publicCases are the public report's table, and the seeds of FuzzPublic.
func publicCases() []adapterCase {
	with := func(old, new string) string { return strings.Replace(goodReport, old, new, 1) }
	return append([]adapterCase{
		{"app report with a photo", goodReport, "", ""},
		{"sms with a type", `{"report_id":"sms-1","channel":"sms","text":"car on fire","type":"vehicle_fire","lat":36.45,"lng":115.98,"time":"2026-11-22T08:58:00Z"}`, "", ""},
		{"no report id", with(`"report_id":"app-7f3a9c",`, ``), fireline.EINVALID, "report_id: required"},
		{"unknown channel", with(`"channel":"app"`, `"channel":"fax"`), fireline.EINVALID, `channel: "fax" is not one of app, sms`},
		{"no text", with(`"Black smoke over the market on Liuyuan Road"`, `"   "`), fireline.EINVALID, "text: required"},
		{"long text", with(`Black smoke over the market on Liuyuan Road`, strings.Repeat("x", 4097)), fireline.EINVALID, "text: longer than 4096"},
		{"no position", with(`"lat":36.481,"lng":115.986,`, ``), fireline.EINVALID, "lat: required"},
		{"position out of range", with(`"lng":115.986`, `"lng":-181`), fireline.EINVALID, "lng -181 is outside"},
		{"malformed type", with(`"channel":"app"`, `"channel":"app","type":"Prank!"`), fireline.EINVALID, `type: "Prank!" is not an incident type code`},
		{"photo ref with NUL", with(`photo/7f3a9c.jpg`, `photo\u0000.jpg`), fireline.EINVALID, "photo_ref: control character"},
		{"a claim to be verified", with(`"channel":"app"`, `"channel":"app","unverified":false`), fireline.EINVALID, `unknown field "unverified"`},
		{"time far ahead", with(`2026-11-22T08:58:00Z`, `2026-12-22T08:58:00Z`), fireline.EINVALID, "time: 2026-12-22T08:58:00Z is in the future"},
	}, hostile()...)
}

func TestPublic(t *testing.T) {
	in := newIntake()
	run(t, in.Public, publicCases(), func(t *testing.T, name string, a fireline.Alarm) {
		if a.Source != fireline.SourcePublic || !a.Unverified {
			t.Errorf("%+v: want an unverified public report", a)
		}
		switch name {
		case "app report with a photo":
			if a.SourceID != "app-7f3a9c" || a.Type != fireline.TypeHelpRequested || a.Details.PhotoRef != "photo/7f3a9c.jpg" ||
				a.Details.Channel != "app" || a.Details.CallerNumber != "139 0000 0000" || !strings.HasPrefix(a.Description, "Black smoke") {
				t.Errorf("read as %+v", a)
			}
		case "sms with a type":
			if a.Type != fireline.TypeVehicleFire {
				t.Errorf("type %s", a.Type)
			}
		}
	})
}
