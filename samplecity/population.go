package samplecity

import "github.com/fireline/fireline"

// population returns where Liaocheng's people live, for weighing coverage gaps: each district or
// county as a town around its seat (a tight Gaussian) and its villages around that (a wide one).
// The totals are rounded, plausible figures of the order of the 2020 census (about 5.9 million
// in the prefecture); the split between town and villages and the radii are invented.
func population() []fireline.PopulationArea {
	type county struct {
		name   string
		seat   fireline.Point
		people float64
		town   float64 // the seat's share of the people
	}
	counties := []county{
		{"Dongchangfu", fireline.Point{Lat: 36.4570, Lng: 115.9855}, 1_200_000, 0.6},
		{"Linqing", fireline.Point{Lat: 36.8450, Lng: 115.7150}, 730_000, 0.4},
		{"Guanxian", fireline.Point{Lat: 36.4840, Lng: 115.4420}, 800_000, 0.3},
		{"Shenxian", fireline.Point{Lat: 36.2340, Lng: 115.6680}, 1_000_000, 0.3},
		{"Yanggu", fireline.Point{Lat: 36.1140, Lng: 115.7910}, 770_000, 0.3},
		{"Dong'e", fireline.Point{Lat: 36.3350, Lng: 116.2480}, 380_000, 0.35},
		{"Chiping", fireline.Point{Lat: 36.5850, Lng: 116.2450}, 560_000, 0.35},
		{"Gaotang", fireline.Point{Lat: 36.8660, Lng: 116.2320}, 450_000, 0.35},
	}
	var out []fireline.PopulationArea
	for _, c := range counties {
		townRadius := 2500.0
		if c.name == "Dongchangfu" {
			townRadius = 5000 // the city proper
		}
		out = append(out,
			fireline.PopulationArea{Name: c.name + " town", Point: c.seat, People: c.people * c.town, RadiusMeters: townRadius},
			fireline.PopulationArea{Name: c.name + " villages", Point: c.seat, People: c.people * (1 - c.town), RadiusMeters: 14_000},
		)
	}
	return out
}
