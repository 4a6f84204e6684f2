package fireline_test

import (
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestPercentileNearestRank(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []float64
		p      float64
		want   float64
		ok     bool
	}{
		{"none", nil, 90, 0, false},
		{"one", []float64{7}, 50, 7, true},
		{"odd n median", []float64{1, 2, 3, 4, 5}, 50, 3, true}, // rank ⌈2.5⌉ = 3
		{"even n median", []float64{1, 2, 3, 4}, 50, 2, true},   // rank ⌈2⌉ = 2, no interpolation
		{"p90 of ten", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9, true},
		{"p90 of eleven", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10, true}, // ⌈9.9⌉ = 10
		{"ties", []float64{5, 5, 5, 9}, 50, 5, true},
		{"p100", []float64{1, 2, 3}, 100, 3, true},
		{"small p", []float64{1, 2, 3}, 1, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fireline.Percentile(tt.values, tt.p)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("Percentile(%v, %v) = %v, %v; want %v, %v", tt.values, tt.p, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestResponseIntervals(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	in := fireline.IncidentTimes{Received: t0, Category: fireline.CategoryFire, Units: []fireline.UnitTimes{
		{UnitID: "L1", Type: fireline.UnitLadder, Dispatched: at(40), EnRoute: at(100), OnScene: at(300)},
		{UnitID: "E1", Type: fireline.UnitEngine, Dispatched: at(40), EnRoute: at(110), OnScene: at(350)},
		{UnitID: "E2", Type: fireline.UnitEngine, Dispatched: at(110), EnRoute: at(150), OnScene: at(700)}, // 70 s after the first dispatch: not the initial alarm
		{UnitID: "R1", Type: fireline.UnitRescue, Dispatched: at(60), EnRoute: nil, OnScene: at(400)},      // en route never reported
	}}
	iv := fireline.ResponseIntervals(in, 60*time.Second)
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("call processing", iv.CallProcessing, 40)
	check("alarm to first on scene", iv.AlarmToFirstOnScene, 300)
	check("first engine travel", iv.FirstEngineTravel, 240) // E1: 110 → 350
	check("full alarm travel", iv.FullAlarmTravel, 300)     // first en route 100 → last on scene 400 (R1)
	check("L1 turnout", iv.Units[0].Turnout, 60)
	check("E2 travel", iv.Units[2].Travel, 550)
	if iv.Units[3].Turnout != nil || iv.Units[3].Travel != nil {
		t.Errorf("R1 without en route: %+v, want both missing", iv.Units[3])
	}

	none := fireline.ResponseIntervals(fireline.IncidentTimes{Received: t0}, time.Minute)
	if none.CallProcessing != nil || none.AlarmToFirstOnScene != nil || none.FirstEngineTravel != nil || none.FullAlarmTravel != nil {
		t.Errorf("no units: %+v, want every interval missing", none)
	}
}

func TestIntervalReportCountsMissingAndNegative(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	incs := []fireline.IncidentTimes{
		{Received: t0, Category: fireline.CategoryFire, Units: []fireline.UnitTimes{
			{UnitID: "E1", Type: fireline.UnitEngine, Dispatched: at(30), EnRoute: at(20), OnScene: at(200)}}}, // turnout −10
		{Received: t0, Category: fireline.CategoryEMS, Units: []fireline.UnitTimes{
			{UnitID: "E2", Type: fireline.UnitEngine, Dispatched: at(90), EnRoute: at(150)}}}, // never arrived
		{Received: t0, Category: fireline.CategoryFire}, // nobody sent
		{Received: t0, Category: fireline.CategoryFire, Units: []fireline.UnitTimes{
			{UnitID: "L1", Type: fireline.UnitLadder, Dispatched: at(50), EnRoute: at(100), OnScene: at(400)}}},
	}
	rep := fireline.IntervalReportOf(fireline.IntervalQuery{}, incs, []string{"live", "imported", "live", "live"}, fireline.DefaultIntervalTargets())
	if rep.Incidents != 4 || rep.Live != 3 || rep.Imported != 1 {
		t.Fatalf("counts %d (%d live, %d imported), want 4 (3, 1)", rep.Incidents, rep.Live, rep.Imported)
	}
	if c := rep.CallProcessing; c.N != 3 || c.Missing != 1 || *c.P50 != 50 || *c.P90 != 90 {
		t.Errorf("call processing %+v, want n 3, 1 missing, p50 50, p90 90", c)
	}
	if c := rep.Turnout; c.N != 2 || c.Negative != 1 || c.Missing != 0 {
		t.Errorf("turnout %+v, want n 2, 1 negative", c)
	}
	if c := rep.Travel; c.N != 2 || c.Missing != 1 {
		t.Errorf("travel %+v, want n 2, 1 missing", c)
	}
	if c := rep.AlarmToFirstOnScene; c.N != 2 || c.Missing != 2 || *c.P50 != 200 || *c.P90 != 400 {
		t.Errorf("alarm to first on scene %+v, want n 2, 2 missing, p50 200, p90 400", c)
	}
	var hist int
	for _, b := range rep.AlarmToFirstOnScene.Histogram {
		hist += b.Count
	}
	if hist != 2 {
		t.Errorf("histogram holds %d intervals, want 2", hist)
	}
	byMeasure := map[string]fireline.Compliance{}
	for _, c := range rep.Compliance {
		byMeasure[c.Measure] = c
	}
	if c := byMeasure["call_processing"]; c.N != 3 || c.Within != 2 || c.Met || *c.ObservedS != 90 {
		t.Errorf("call processing compliance %+v, want 2 of 3 within 60 s, p90 90 s, missed", c)
	}
	if c := byMeasure["turnout_ems"]; c.N != 1 || c.Within != 1 || !c.Met || *c.Fraction != 1 {
		t.Errorf("EMS turnout %+v, want its one 60 s turnout within the 60 s target", c)
	}

	engines := fireline.IntervalReportOf(fireline.IntervalQuery{UnitType: fireline.UnitLadder}, incs, nil, fireline.DefaultIntervalTargets())
	if engines.Incidents != 1 || *engines.CallProcessing.P50 != 50 {
		t.Errorf("ladders only: %d incidents, call processing %+v; want 1, 50 s", engines.Incidents, engines.CallProcessing)
	}
}

func TestIntervalQueryValidate(t *testing.T) {
	ok := fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-31"}
	for _, tt := range []struct {
		name string
		q    fireline.IntervalQuery
		bad  bool
	}{
		{"plain", ok, false},
		{"cell res 7", fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01", Cell: "872a10089ffffff"}, false},
		{"no from", fireline.IntervalQuery{To: "2026-12-01"}, true},
		{"bad date", fireline.IntervalQuery{From: "2026-13-01", To: "2026-12-01"}, true},
		{"from after to", fireline.IntervalQuery{From: "2026-12-02", To: "2026-12-01"}, true},
		{"eleven years", fireline.IntervalQuery{From: "2015-01-01", To: "2026-01-01"}, true},
		{"unknown unit type", fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01", UnitType: "boat"}, true},
		{"origin", fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01", Origin: "both"}, true},
		{"cell res 3", fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01", Cell: "832a10fffffffff"}, true},
		{"not a cell", fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-01", Cell: "zz"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate()
			if (err != nil) != tt.bad {
				t.Fatalf("Validate() = %v, want error %v", err, tt.bad)
			}
			if err != nil && fireline.ErrorCode(err) != fireline.EINVALID {
				t.Fatalf("code %s, want invalid", fireline.ErrorCode(err))
			}
		})
	}
}

// TestCheckTimeZone: the zones the analytics count dates in are IANA names PostgreSQL knows too.
func TestCheckTimeZone(t *testing.T) {
	for zone, ok := range map[string]bool{
		"Asia/Shanghai": true, "America/Los_Angeles": true, "UTC": true,
		"": false, "Local": false, "Mars/Olympus": false,
	} {
		if err := fireline.CheckTimeZone(zone); (err == nil) != ok {
			t.Errorf("CheckTimeZone(%q) = %v, want ok %v", zone, err, ok)
		}
	}
}
