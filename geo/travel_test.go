package geo_test

import (
	"math"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

func TestDefaultTravelModel(t *testing.T) {
	m := geo.DefaultTravelModel()
	if err := m.Validate(); err != nil {
		t.Fatalf("default model invalid: %v", err)
	}
	if m.Name() != "distance-v1" {
		t.Errorf("Name() = %q", m.Name())
	}
	for _, ut := range fireline.UnitTypes {
		if v, ok := m.SpeedMPS[ut]; !ok || v < 5 || v > 20 {
			t.Errorf("%s speed %v m/s, want a plausible urban emergency speed", ut, v)
		}
	}
	linqing := fireline.Point{Lat: 36.8380, Lng: 115.7050}
	tests := []struct {
		ut    fireline.UnitType
		speed float64
	}{
		{fireline.UnitEngine, 11},
		{fireline.UnitLadder, 9.5},
		{fireline.UnitCommand, 13},
		{"hovercraft", m.DefaultSpeedMPS},
	}
	for _, tt := range tests {
		t.Run(string(tt.ut), func(t *testing.T) {
			s, d := m.ETA(liaocheng, linqing, tt.ut)
			if want := geo.DistanceMeters(liaocheng, linqing); d != want {
				t.Errorf("distance %v, want the great-circle %v", d, want)
			}
			if want := d * 1.35 / tt.speed; math.Abs(s-want) > 1e-9 {
				t.Errorf("ETA %v s, want %v s", s, want)
			}
		})
	}
	if s, d := m.ETA(liaocheng, liaocheng, fireline.UnitEngine); s != 0 || d != 0 {
		t.Errorf("ETA to the same point = %v s, %v m", s, d)
	}
}

func TestTravelModelValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*geo.TravelModel)
	}{
		{"road factor below 1", func(m *geo.TravelModel) { m.RoadFactor = 0.9 }},
		{"road factor NaN", func(m *geo.TravelModel) { m.RoadFactor = math.NaN() }},
		{"road factor infinite", func(m *geo.TravelModel) { m.RoadFactor = math.Inf(1) }},
		{"zero default speed", func(m *geo.TravelModel) { m.DefaultSpeedMPS = 0 }},
		{"negative type speed", func(m *geo.TravelModel) { m.SpeedMPS = map[fireline.UnitType]float64{fireline.UnitEngine: -1} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := geo.DefaultTravelModel()
			tt.edit(&m)
			if err := m.Validate(); fireline.ErrorCode(err) != fireline.EINVALID {
				t.Errorf("Validate() = %v, want an invalid error", err)
			}
		})
	}
}
