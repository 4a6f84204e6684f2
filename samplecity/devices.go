package samplecity

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/fireline/fireline"
)

// devices gives every key premises a fire-alarm panel at its entrance, and the big buildings
// (towers, malls, hospitals, plants, hotels) a second one for another building of the site,
// 60 m east. A panel's id is "FAP-" and the premises id without its "P-", then its number.
func devices(premises []fireline.Premise) []fireline.Device {
	var out []fireline.Device
	for _, p := range premises {
		base := "FAP-" + strings.TrimPrefix(p.ID, "P-")
		out = append(out, fireline.Device{ID: base + "-1", PremiseID: p.ID, Building: p.Name, Point: p.Point})
		switch p.Kind {
		case kindHighRise, kindMall, kindHospital, kindChemical, kindHotel:
			out = append(out, fireline.Device{ID: base + "-2", PremiseID: p.ID, Building: p.Name + ", building B",
				Point: offset(p.Point, 60, 0)})
		}
	}
	return out
}

// polesPerStation is how many lamp posts with an emergency button stand near each station.
const polesPerStation = 20

// poles places polesPerStation lamp posts on the street grid around each station (the
// hydrants' grid, 40 m apart along a street), skipping Dongchang Lake: 300 for the city.
func poles(ss []station) []fireline.Pole {
	var out []fireline.Pole
	for _, s := range ss {
		h := fnv.New64a()
		_, _ = h.Write([]byte("poles:" + s.id))
		rng := rand.New(rand.NewPCG(seed, h.Sum64())) // #nosec G404 -- seeded on purpose: the same sample city every run
		const spacing = 40.0
		maxSlot := int(math.Floor(radiusMeters / spacing))
		used := map[[2]int]bool{}
		for n := 0; n < polesPerStation; {
			street := float64(rng.IntN(2*streets+1)-streets) * blockMeters
			along := float64(rng.IntN(2*maxSlot+1)-maxSlot) * spacing
			east, north := street, along // on a north–south street
			if rng.IntN(2) == 0 {
				east, north = along, street // on an east–west street
			}
			key := [2]int{int(east), int(north)}
			p := offset(s.point, east, north)
			if used[key] || math.Hypot(east, north) > radiusMeters || inDongchangLake(p) {
				continue
			}
			used[key] = true
			n++
			out = append(out, fireline.Pole{
				ID:    fmt.Sprintf("LP-%s-%03d", s.id, n),
				Point: p,
				Address: fmt.Sprintf("%.0f m %s and %.0f m %s of %s (%s)", math.Abs(east), side(east, "east", "west"),
					math.Abs(north), side(north, "north", "south"), s.en, s.address),
			})
		}
	}
	return out
}

func side(v float64, pos, neg string) string {
	if v < 0 {
		return neg
	}
	return pos
}
