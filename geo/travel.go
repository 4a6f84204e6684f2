package geo

import (
	"math"

	"github.com/fireline/fireline"
)

// ModelDistanceV1 names the travel model of DefaultTravelModel: great-circle distance stretched
// by a road factor, driven at a fixed speed per unit type. A Recommendation records it so a
// review can tell which model promised an ETA.
const ModelDistanceV1 = "distance-v1"

// TravelModel estimates how long a unit takes to drive somewhere. It has no road graph: it
// ranks units, and within one unit type it ranks them exactly as distance does.
type TravelModel struct {
	// RoadFactor is road distance over great-circle distance (≥ 1); about 1.3–1.4 in a grid
	// city, more where rivers and rail force detours.
	RoadFactor float64
	// SpeedMPS is the average emergency driving speed of each unit type, in metres per second.
	SpeedMPS map[fireline.UnitType]float64
	// DefaultSpeedMPS is the speed of a unit type missing from SpeedMPS.
	DefaultSpeedMPS float64
}

// DefaultTravelModel returns urban emergency-driving averages: heavier apparatus is slower
// through junctions, the command car is fastest.
func DefaultTravelModel() TravelModel {
	return TravelModel{
		RoadFactor: 1.35,
		SpeedMPS: map[fireline.UnitType]float64{
			fireline.UnitEngine:  11,   // ≈ 40 km/h
			fireline.UnitLadder:  9.5,  // ≈ 34 km/h
			fireline.UnitRescue:  11.5, // ≈ 41 km/h
			fireline.UnitHazmat:  9.5,
			fireline.UnitTanker:  9,  // ≈ 32 km/h, a full tank
			fireline.UnitCommand: 13, // ≈ 47 km/h
		},
		DefaultSpeedMPS: 10,
	}
}

// Name returns the name of the model recorded on every Recommendation.
func (m TravelModel) Name() string { return ModelDistanceV1 }

// Validate reports a model that would produce negative, infinite or NaN ETAs.
func (m TravelModel) Validate() error {
	if !(m.RoadFactor >= 1) || math.IsInf(m.RoadFactor, 0) {
		return fireline.Errorf(fireline.EINVALID, "travel model: road factor %v must be a number ≥ 1", m.RoadFactor)
	}
	if !positive(m.DefaultSpeedMPS) {
		return fireline.Errorf(fireline.EINVALID, "travel model: default speed %v m/s must be positive", m.DefaultSpeedMPS)
	}
	for t, v := range m.SpeedMPS {
		if !positive(v) {
			return fireline.Errorf(fireline.EINVALID, "travel model: %s speed %v m/s must be positive", t, v)
		}
	}
	return nil
}

// Speed returns the speed of unit type t in metres per second.
func (m TravelModel) Speed(t fireline.UnitType) float64 {
	if v, ok := m.SpeedMPS[t]; ok {
		return v
	}
	return m.DefaultSpeedMPS
}

// ETA returns the estimated driving time in seconds of a unit of type t from from to to, and
// the great-circle distance in metres it is based on.
func (m TravelModel) ETA(from, to fireline.Point, t fireline.UnitType) (seconds, meters float64) {
	meters = DistanceMeters(from, to)
	return meters * m.RoadFactor / m.Speed(t), meters
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
