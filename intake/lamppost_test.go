package intake_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

const goodPress = `{"pole_id":"LP-DCF-1-001","press_id":"000042","time":"2026-11-22T08:59:55Z"}`

// lampPostCases are the button press's table, and the seeds of FuzzLampPost.
func lampPostCases() []adapterCase {
	with := func(old, new string) string { return strings.Replace(goodPress, old, new, 1) }
	return append([]adapterCase{
		{"press", goodPress, "", ""},
		{"another press", with(`000042`, `000043`), "", ""},
		{"no pole", with(`"pole_id":"LP-DCF-1-001",`, ``), fireline.EINVALID, "pole_id: required"},
		{"unknown pole", with(`LP-DCF-1-001`, `LP-XX-9`), fireline.EINVALID, `pole_id: "LP-XX-9" is not registered`},
		{"pole id with spaces", with(`LP-DCF-1-001`, `LP 1`), fireline.EINVALID, "pole_id:"},
		{"no press id", with(`"press_id":"000042",`, ``), fireline.EINVALID, "press_id: required"},
		{"press id as a number", with(`"000042"`, `42`), fireline.EINVALID, "press_id: expected a string"},
		{"no time", with(`,"time":"2026-11-22T08:59:55Z"`, ``), fireline.EINVALID, "time: required"},
		{"time without zone", with(`2026-11-22T08:59:55Z`, `2026-11-22 08:59:55`), fireline.EINVALID, "time: \"2026-11-22 08:59:55\" is not an RFC 3339 time"},
		{"a type of its own", with(`"press_id"`, `"type":"structure_fire","press_id"`), fireline.EINVALID, `unknown field "type"`},
	}, hostile()...)
}

func TestLampPost(t *testing.T) {
	in := newIntake()
	run(t, in.LampPost, lampPostCases(), func(t *testing.T, name string, a fireline.Alarm) {
		if a.Source != fireline.SourceLampPost || a.Type != fireline.TypeHelpRequested || a.DeviceID != "LP-DCF-1-001" ||
			a.Point != (fireline.Point{Lat: 36.4575, Lng: 115.966}) || a.Address != "Dongchang West Road 12" {
			t.Errorf("read as %+v", a)
		}
		if name == "press" && a.SourceID != "LP-DCF-1-001:000042" {
			t.Errorf("source id %q", a.SourceID)
		}
	})
}
