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
// Each reaches the centre through a user information transmission device whose address is
// "0635" (Liaocheng's telephone area code) and the device's number counting from 1 in eight hex
// digits. The first hospital's first device has places registered for its fire-alarm system.
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
	placed := false
	for i := range out {
		out[i].Address = DeviceAddress(i + 1)
		if !placed && strings.HasSuffix(out[i].ID, "-1") && kindOf(premises, out[i].PremiseID) == kindHospital {
			out[i].Places = hospitalPlaces()
			placed = true
		}
	}
	return out
}

// DeviceAddress is the transmission-device address of the sample city's n-th device
// (counting from 1), as the device simulator dials in with.
func DeviceAddress(n int) string { return fmt.Sprintf("0635%08x", n) }

func kindOf(premises []fireline.Premise, id string) string {
	for _, p := range premises {
		if p.ID == id {
			return p.Kind
		}
	}
	return ""
}

// The places of the hospital's first device: its fire-alarm control panel (system type 1,
// address 1) is in the inpatient block, and one smoke detector (loop 1, point 0x0203) in the
// fifth floor's east corridor.
func hospitalPlaces() []fireline.DevicePlace {
	detector := uint32(0x00010203)
	return []fireline.DevicePlace{
		{System: 1, SystemAddress: 1, Building: "住院楼 Inpatient block", Description: "住院楼火灾报警控制器 Inpatient block fire-alarm panel"},
		{System: 1, SystemAddress: 1, ComponentAddress: &detector, Building: "住院楼 Inpatient block", Floor: "5F", Zone: "东走廊 East corridor",
			Description: "5楼东走廊，12病房外 5F east corridor, outside ward 12"},
	}
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
