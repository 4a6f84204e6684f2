package intake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// The fuzz targets hold every adapter to its contract on any bytes: no panic, and either a
// valid alarm or a caller's error (EINVALID, ETOOLARGE), never an internal one. Their seeds are
// the table tests' payloads. `make fuzz-smoke` runs each for FUZZTIME.

func fuzzAlarm(f *testing.F, cases []adapterCase, adapt func(*intake.Intake) func(context.Context, []byte) (fireline.Alarm, error)) {
	for _, c := range cases {
		f.Add([]byte(c.body))
	}
	in := newIntake()
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := adapt(in)(context.Background(), body)
		if err != nil {
			if code := fireline.ErrorCode(err); code != fireline.EINVALID && code != fireline.ETOOLARGE {
				t.Fatalf("%q: %v (code %s), want a caller's error", body, err, code)
			}
			return
		}
		if err := a.Validate(now); err != nil {
			t.Fatalf("%q: accepted an invalid alarm: %v", body, err)
		}
		if a.SourceID == "" || a.Cell != "" || a.ID != 0 {
			t.Fatalf("%q: accepted as %+v", body, a)
		}
	})
}

func FuzzCall(f *testing.F) {
	fuzzAlarm(f, callCases(), func(in *intake.Intake) func(context.Context, []byte) (fireline.Alarm, error) { return in.Call })
}

func FuzzIoT(f *testing.F) {
	fuzzAlarm(f, iotCases(), func(in *intake.Intake) func(context.Context, []byte) (fireline.Alarm, error) { return in.IoT })
}

func FuzzLampPost(f *testing.F) {
	fuzzAlarm(f, lampPostCases(), func(in *intake.Intake) func(context.Context, []byte) (fireline.Alarm, error) { return in.LampPost })
}

func FuzzPublic(f *testing.F) {
	fuzzAlarm(f, publicCases(), func(in *intake.Intake) func(context.Context, []byte) (fireline.Alarm, error) { return in.Public })
}

func FuzzCAP(f *testing.F) {
	for _, c := range capCases() {
		f.Add([]byte(c.body))
	}
	for _, name := range []string{"rainstorm_orange.xml", "rainstorm_red_update.xml", "rainstorm_cancel.xml", "typhoon_zhanjiang.xml"} {
		f.Add([]byte(fixture(f, name)))
	}
	in := newIntake()
	area, _ := serviceArea{}.ServiceArea(context.Background())
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := in.CAP(context.Background(), body)
		if err != nil {
			if code := fireline.ErrorCode(err); code != fireline.EINVALID && code != fireline.ETOOLARGE {
				t.Fatalf("%q: %v (code %s), want a caller's error", body, err, code)
			}
			return
		}
		if w.Identifier == "" || w.Sender == "" || !w.Expires.After(w.Sent) || !w.MsgType.Valid() || !w.Status.Valid() ||
			w.InServiceArea != (len(w.Cells) > 0) || len(w.Cells) > area.Len() {
			t.Fatalf("%q: accepted as %+v", body, w)
		}
	})
}

// FuzzAlarm holds the generic alarm form (POST /alarms) to the same contract as the sources'
// adapters.
func FuzzAlarm(f *testing.F) {
	cases := []adapterCase{
		{body: goodAlarm},
		{body: strings.Replace(goodAlarm, `"lat":36.456`, `"lat":"36.456"`, 1)},
		{body: strings.Replace(goodAlarm, `"structure_fire"`, `"structure_fire' OR '1'='1"`, 1)},
		{body: `{"source":"call","source_id":"x","lat":0,"lng":0,"reported_at":"2026-11-22T08:59:00Z"}`},
	}
	fuzzAlarm(f, cases, func(in *intake.Intake) func(context.Context, []byte) (fireline.Alarm, error) { return in.Alarm })
}
