package samplecity

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/fireline/fireline"
)

// Water source kinds and statuses, as documented on fireline.WaterSource.
const (
	kindHydrant     = "hydrant"
	kindPond        = "pond"
	kindRiverIntake = "river_intake"
	kindCistern     = "cistern"

	statusWorking      = "working"
	statusOutOfService = "out_of_service"
)

// Hydrant layout around a station. Municipal hydrants in China stand at most 120 m apart along
// a street (GB 50974-2014), and a station's first-due area is a few kilometres across.
const (
	blockMeters   = 400.0  // between parallel streets of the grid
	spacingMeters = 120.0  // between hydrants along a street
	radiusMeters  = 2500.0 // farthest hydrant from its station
	streets       = 5      // streets each side of the station, each way
	// seed is the fixed first half of every station's PCG seed; the second half is a hash of the
	// station ID, so adding a station does not move the hydrants of the others.
	seed = 0x4c69616f63686e67 // "Liaochng"
)

// waterSources generates the hydrants of every station, then adds the static sources.
func waterSources(ss []station) []fireline.WaterSource {
	var out []fireline.WaterSource
	for _, s := range ss {
		out = append(out, hydrants(s)...)
	}
	return append(out, staticSources()...)
}

// hydrants places s.hydrants hydrants on a street grid centred on the station, skipping the
// open water of Dongchang Lake. Flows are 600–1800 L/min in steps of 100; about one in
// twenty-five is out of service, so the map shows what a dispatcher must work around.
func hydrants(s station) []fireline.WaterSource {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s.id))
	rng := rand.New(rand.NewPCG(seed, h.Sum64())) // #nosec G404 -- seeded on purpose: the same sample city every run
	maxSlot := int(math.Floor(radiusMeters / spacingMeters))

	var out []fireline.WaterSource
	used := map[[2]int]bool{}
	for len(out) < s.hydrants {
		street := float64(rng.IntN(2*streets+1)-streets) * blockMeters
		along := float64(rng.IntN(2*maxSlot+1)-maxSlot) * spacingMeters
		east, north := street, along // on a north–south street
		if rng.IntN(2) == 0 {
			east, north = along, street // on an east–west street
		}
		key := [2]int{int(east), int(north)}
		if used[key] || math.Hypot(east, north) > radiusMeters {
			continue
		}
		p := offset(s.point, east, north)
		if inDongchangLake(p) {
			continue
		}
		used[key] = true
		status := statusWorking
		if rng.IntN(25) == 0 {
			status = statusOutOfService
		}
		out = append(out, fireline.WaterSource{
			ID:      fmt.Sprintf("H-%s-%02d", s.id, len(out)+1),
			Kind:    kindHydrant,
			FlowLPM: 600 + 100*rng.IntN(13),
			Status:  status,
			Point:   p,
		})
	}
	return out
}

// offset moves p east and north by the given metres (equirectangular: exact enough over a few
// kilometres) and rounds to six decimals (about 0.1 m) so the data read cleanly.
func offset(p fireline.Point, east, north float64) fireline.Point {
	const metersPerDegree = 111320.0
	lat := p.Lat + north/metersPerDegree
	lng := p.Lng + east/(metersPerDegree*math.Cos(p.Lat*math.Pi/180))
	return fireline.Point{Lat: math.Round(lat*1e6) / 1e6, Lng: math.Round(lng*1e6) / 1e6}
}

// inDongchangLake reports whether p is on the water of Dongchang Lake (东昌湖), which rings the
// old city: inside the lake's box but outside the old city's. Both boxes are approximate.
func inDongchangLake(p fireline.Point) bool {
	in := func(s, n, w, e float64) bool { return p.Lat >= s && p.Lat <= n && p.Lng >= w && p.Lng <= e }
	return in(36.4420, 36.4680, 115.9700, 115.9980) && !in(36.4500, 36.4620, 115.9790, 115.9920)
}

// staticSources are the drafting points: Dongchang Lake, the Beijing–Hangzhou Grand Canal
// (京杭运河) through the city and Linqing, the Wei Canal (卫运河), the Tuhai River (徒骇河),
// Yuqiu Lake in Gaotang and the fire cisterns of the big industrial sites. They have no
// rated flow: an engine drafts from them.
func staticSources() []fireline.WaterSource {
	src := func(id, kind string, lat, lng float64) fireline.WaterSource {
		return fireline.WaterSource{ID: id, Kind: kind, Status: statusWorking, Point: fireline.Point{Lat: lat, Lng: lng}}
	}
	return []fireline.WaterSource{
		src("W-DCL-1", kindPond, 36.4665, 115.9855),       // Dongchang Lake, north shore
		src("W-DCL-2", kindPond, 36.4440, 115.9860),       // Dongchang Lake, south shore
		src("W-DCL-3", kindPond, 36.4560, 115.9715),       // Dongchang Lake, west shore
		src("W-DCL-4", kindPond, 36.4545, 115.9965),       // Dongchang Lake, east shore
		src("W-GC-1", kindRiverIntake, 36.4610, 116.0025), // Grand Canal by the Shanshan Guild Hall
		src("W-GC-2", kindRiverIntake, 36.4800, 116.0060), // Grand Canal, north of the city
		src("W-TH-1", kindRiverIntake, 36.4950, 116.0700), // Tuhai River, High-tech Zone
		src("W-TH-2", kindRiverIntake, 36.4300, 116.0650), // Tuhai River, Development Zone
		src("W-LQ-1", kindRiverIntake, 36.8480, 115.6950), // Wei Canal at Linqing
		src("W-LQ-2", kindRiverIntake, 36.8410, 115.7060), // Grand Canal at the Linqing customs house
		src("W-GT-1", kindPond, 36.8650, 116.2300),        // Yuqiu Lake, Gaotang
		src("W-HTZ-C1", kindCistern, 36.5010, 116.0580),   // chemical park fire cistern
		src("W-CP-C1", kindCistern, 36.6040, 116.2200),    // aluminium park fire cistern
		src("W-DE-C1", kindCistern, 36.3410, 116.2560),    // gelatin works fire cistern
		src("W-SX-1", kindPond, 36.2280, 115.6720),        // park pond, Shenxian
		src("W-YG-1", kindPond, 36.1100, 115.7850),        // park pond, Yanggu
		src("W-GX-C1", kindCistern, 36.4880, 115.4380),    // county grain depot cistern, Guanxian
	}
}
