package samplecity

import (
	"fmt"
	"math/rand/v2"

	"github.com/fireline/fireline"
)

// Layout says how a synthetic fleet, or its incidents, spread over the prefecture.
type Layout string

// The layouts of Fleet and Scenes.
const (
	// Uniform spreads evenly over the prefecture's box (1.0° × 1.3°, about 13,000 km², mostly
	// country).
	Uniform Layout = "uniform"
	// Centred puts 70% in a Gaussian of about 3.3 km around the city centre and the rest
	// uniformly, as a real city crowds its units and its incidents.
	Centred Layout = "centre"
)

// The prefecture's box and the city centre the Centred layout crowds around.
const (
	fleetMinLat, fleetMaxLat = 36.0, 37.0
	fleetMinLng, fleetMaxLng = 115.3, 116.6
	centreLat, centreLng     = 36.4570, 115.9855
)

// Fleet returns n available units of uniformly random types, placed by layout and without
// AVL fixes: far more units than the sample city has, for benchmarks at scale. The same
// arguments always return the same units, whichever package asks, so an in-memory search
// and a database can be measured on identical data. Unit ids are "u" and six digits, in
// order; Cell is left empty as in Liaocheng.
func Fleet(layout Layout, n int) []fireline.Unit {
	rng := rand.New(rand.NewPCG(uint64(n), layout.seed())) // #nosec G404 -- seeded on purpose: the same sample city every run
	units := make([]fireline.Unit, n)
	for i := range units {
		p := layout.point(rng)
		t := fireline.UnitTypes[rng.IntN(len(fireline.UnitTypes))]
		id := fmt.Sprintf("u%06d", i)
		units[i] = fireline.Unit{ID: id, Name: id, Type: t, Status: fireline.UnitAvailable, StationID: "s-" + id, Point: p}
	}
	return units
}

// Scenes returns n incident positions placed by layout, the same on every call.
func Scenes(layout Layout, n int) []fireline.Point {
	rng := rand.New(rand.NewPCG(0x5eed, layout.seed())) // #nosec G404 -- seeded on purpose: the same sample city every run
	points := make([]fireline.Point, n)
	for i := range points {
		points[i] = layout.point(rng)
	}
	return points
}

func (l Layout) seed() uint64 {
	if l == Centred {
		return 2
	}
	return 1
}

// point draws one position of the layout.
func (l Layout) point(rng *rand.Rand) fireline.Point {
	p := fireline.Point{
		Lat: fleetMinLat + (fleetMaxLat-fleetMinLat)*rng.Float64(),
		Lng: fleetMinLng + (fleetMaxLng-fleetMinLng)*rng.Float64(),
	}
	if l == Centred && rng.Float64() < 0.7 {
		// 0.03° of latitude and 0.037° of longitude are both about 3.3 km here.
		p.Lat = min(max(centreLat+0.03*rng.NormFloat64(), fleetMinLat), fleetMaxLat)
		p.Lng = min(max(centreLng+0.037*rng.NormFloat64(), fleetMinLng), fleetMaxLng)
	}
	return p
}
