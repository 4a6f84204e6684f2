package samplecity_test

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/samplecity"
)

// inLiaocheng reports whether p lies in a box around the prefecture (聊城市).
func inLiaocheng(p fireline.Point) bool {
	return p.Lat >= 35.9 && p.Lat <= 37.1 && p.Lng >= 115.3 && p.Lng <= 116.6
}

// checkPoint fails t when p is not a valid position inside Liaocheng.
func checkPoint(t *testing.T, what string, p fireline.Point) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Errorf("%s: %v", what, err)
	}
	if !inLiaocheng(p) {
		t.Errorf("%s: %v is outside Liaocheng", what, p)
	}
}

// checkUnique fails t when an ID repeats.
func checkUnique(t *testing.T, what string, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" {
			t.Errorf("%s: empty ID", what)
		}
		if seen[id] {
			t.Errorf("%s: duplicate ID %q", what, id)
		}
		seen[id] = true
	}
}

func TestCounts(t *testing.T) {
	c := samplecity.Liaocheng()
	if c.Name != "Liaocheng" {
		t.Errorf("name %q", c.Name)
	}
	checkPoint(t, "centre", c.Center)
	tests := []struct {
		name     string
		got, min int
	}{
		{"stations", len(c.Stations), 14},
		{"units", len(c.Units), 45},
		{"water sources", len(c.WaterSources), 220},
		{"premises", len(c.Premises), 32},
		{"plans", len(c.Plans), len(fireline.IncidentTypes) * (fireline.MaxLevel - fireline.MinLevel + 1)},
		{"population areas", len(c.Population), 16},
		{"fire-alarm panels", len(c.Devices), len(c.Premises) + 1},
		{"lamp posts", len(c.Poles), 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got < tt.min {
				t.Errorf("%d, want at least %d", tt.got, tt.min)
			}
		})
	}
}

// TestDevicesAndPoles: every key premises has a panel at it, every id is unique and valid, and
// the lamp posts stand near their stations.
func TestDevicesAndPoles(t *testing.T) {
	c := samplecity.Liaocheng()
	premises := map[string]fireline.Premise{}
	for _, p := range c.Premises {
		premises[p.ID] = p
	}
	panelled := map[string]bool{}
	ids := map[string]bool{}
	for _, d := range c.Devices {
		if err := d.Validate(); err != nil {
			t.Errorf("device %s: %v", d.ID, err)
		}
		p, ok := premises[d.PremiseID]
		if !ok || ids[d.ID] || haversine(p.Point, d.Point) > 100 {
			t.Errorf("device %+v: premises %v, repeated %v", d, ok, ids[d.ID])
		}
		ids[d.ID], panelled[d.PremiseID] = true, true
	}
	if len(panelled) != len(c.Premises) {
		t.Errorf("%d of %d key premises have a panel", len(panelled), len(c.Premises))
	}
	for _, p := range c.Poles {
		if err := p.Validate(); err != nil || ids[p.ID] || p.Address == "" {
			t.Errorf("pole %+v: %v", p, err)
		}
		ids[p.ID] = true
		near := false
		for _, s := range c.Stations {
			near = near || haversine(s.Point, p.Point) <= 2500
		}
		if !near {
			t.Errorf("pole %s is more than 2.5 km from every station", p.ID)
		}
	}
}

func TestStations(t *testing.T) {
	c := samplecity.Liaocheng()
	var ids []string
	for _, s := range c.Stations {
		ids = append(ids, s.ID)
		checkPoint(t, s.ID, s.Point)
		if s.Name == "" || s.District == "" || s.Address == "" {
			t.Errorf("%s: missing name, district or address: %+v", s.ID, s)
		}
	}
	checkUnique(t, "stations", ids)
}

func TestUnits(t *testing.T) {
	c := samplecity.Liaocheng()
	stations := map[string]fireline.Station{}
	for _, s := range c.Stations {
		stations[s.ID] = s
	}
	var ids []string
	types := map[fireline.UnitType]int{}
	engines := map[string]int{}
	for _, u := range c.Units {
		ids = append(ids, u.ID)
		types[u.Type]++
		s, ok := stations[u.StationID]
		switch {
		case !ok:
			t.Errorf("%s: unknown station %q", u.ID, u.StationID)
		case u.Point != s.Point:
			t.Errorf("%s: at %v, not at its station %v", u.ID, u.Point, s.Point)
		}
		if u.Type == fireline.UnitEngine {
			engines[u.StationID]++
		}
		if !u.Type.Valid() {
			t.Errorf("%s: bad type %q", u.ID, u.Type)
		}
		if u.Status != fireline.UnitAvailable {
			t.Errorf("%s: status %q, want available", u.ID, u.Status)
		}
		if u.Name == "" || u.Cell != "" || u.IncidentID != 0 {
			t.Errorf("%s: want a name, no cell (the caller fills it) and no incident: %+v", u.ID, u)
		}
		checkPoint(t, u.ID, u.Point)
	}
	checkUnique(t, "units", ids)
	for _, ut := range fireline.UnitTypes {
		if types[ut] == 0 {
			t.Errorf("no unit of type %s", ut)
		}
	}
	for _, s := range c.Stations {
		if engines[s.ID] == 0 {
			t.Errorf("station %s has no engine", s.ID)
		}
	}
	// The README names this demo login, and the banner shows the first unit.
	if !contains(ids, "CMD-DCF-1") {
		t.Error("no unit CMD-DCF-1 (README demo login crew-CMD-DCF-1)")
	}
	if c.Units[0].ID != "E-DCF-1" {
		t.Errorf("first unit %s, want E-DCF-1", c.Units[0].ID)
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestWaterSources(t *testing.T) {
	c := samplecity.Liaocheng()
	var ids []string
	kinds := map[string]int{}
	outOfService := 0
	for _, w := range c.WaterSources {
		ids = append(ids, w.ID)
		kinds[w.Kind]++
		checkPoint(t, w.ID, w.Point)
		switch w.Status {
		case "working":
		case "out_of_service":
			outOfService++
		default:
			t.Errorf("%s: status %q", w.ID, w.Status)
		}
		switch w.Kind {
		case "hydrant":
			if w.FlowLPM < 600 || w.FlowLPM > 1800 {
				t.Errorf("%s: flow %d L/min outside 600..1800", w.ID, w.FlowLPM)
			}
			if d := nearestStation(c, w.Point); d > 2600 {
				t.Errorf("%s: %.0f m from the nearest station", w.ID, d)
			}
		case "pond", "river_intake", "cistern":
			if w.FlowLPM != 0 {
				t.Errorf("%s: static source with flow %d", w.ID, w.FlowLPM)
			}
		default:
			t.Errorf("%s: kind %q", w.ID, w.Kind)
		}
	}
	checkUnique(t, "water sources", ids)
	if kinds["hydrant"] < 200 || kinds["pond"] == 0 || kinds["river_intake"] == 0 {
		t.Errorf("kinds %v: want hydrants, ponds and river intakes", kinds)
	}
	if outOfService == 0 {
		t.Error("no water source out of service")
	}
}

// nearestStation is the distance in metres from p to the closest station (haversine).
func nearestStation(c fireline.City, p fireline.Point) float64 {
	best := math.Inf(1)
	for _, s := range c.Stations {
		best = min(best, haversine(p, s.Point))
	}
	return best
}

func haversine(a, b fireline.Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Pow(math.Sin(dLng/2), 2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func TestPremises(t *testing.T) {
	c := samplecity.Liaocheng()
	var ids []string
	kinds := map[string]bool{}
	for _, p := range c.Premises {
		ids = append(ids, p.ID)
		kinds[p.Kind] = true
		checkPoint(t, p.ID, p.Point)
		if p.Name == "" || p.Kind == "" || p.Address == "" || p.PrePlan == "" || len(p.Hazards) == 0 {
			t.Errorf("%s: incomplete: %+v", p.ID, p)
		}
	}
	checkUnique(t, "premises", ids)
	for _, k := range []string{"high_rise_residential", "shopping_mall", "hospital", "school", "chemical_plant",
		"petrol_station", "warehouse", "hotel", "ancient_building"} {
		if !kinds[k] {
			t.Errorf("no premises of kind %s", k)
		}
	}
}

func TestPlans(t *testing.T) {
	c := samplecity.Liaocheng()
	have := map[fireline.UnitType]int{}
	for _, u := range c.Units {
		have[u.Type]++
	}
	type key struct {
		t     fireline.IncidentType
		level int
	}
	plans := map[key]fireline.ResponsePlan{}
	for _, p := range c.Plans {
		k := key{p.IncidentType, p.Level}
		if _, dup := plans[k]; dup {
			t.Errorf("two plans for %s level %d", p.IncidentType, p.Level)
		}
		plans[k] = p
		if !p.IncidentType.Valid() || p.Level < fireline.MinLevel || p.Level > fireline.MaxLevel {
			t.Errorf("plan for unknown type or level: %s %d", p.IncidentType, p.Level)
		}
		if len(p.Slots) == 0 {
			t.Errorf("%s level %d: no slots", p.IncidentType, p.Level)
		}
		seen := map[fireline.UnitType]bool{}
		for _, s := range p.Slots {
			switch {
			case !s.Type.Valid():
				t.Errorf("%s level %d: bad type %q", p.IncidentType, p.Level, s.Type)
			case s.Count <= 0:
				t.Errorf("%s level %d: %s count %d", p.IncidentType, p.Level, s.Type, s.Count)
			case s.Count > have[s.Type]:
				t.Errorf("%s level %d: %d %s, the city has %d", p.IncidentType, p.Level, s.Count, s.Type, have[s.Type])
			case seen[s.Type]:
				t.Errorf("%s level %d: %s twice", p.IncidentType, p.Level, s.Type)
			}
			seen[s.Type] = true
		}
	}
	for _, it := range fireline.IncidentTypes {
		t.Run(string(it), func(t *testing.T) {
			prev := map[fireline.UnitType]int{}
			prevTotal := 0
			for level := fireline.MinLevel; level <= fireline.MaxLevel; level++ {
				p, ok := plans[key{it, level}]
				if !ok {
					t.Errorf("no plan for level %d", level)
					continue
				}
				counts, total := map[fireline.UnitType]int{}, 0
				for _, s := range p.Slots {
					counts[s.Type] += s.Count
					total += s.Count
				}
				if total <= prevTotal {
					t.Errorf("level %d sends %d units, level %d sent %d", level, total, level-1, prevTotal)
				}
				for ut, n := range prev {
					if counts[ut] < n {
						t.Errorf("level %d sends %d %s, fewer than level %d's %d", level, counts[ut], ut, level-1, n)
					}
				}
				if level >= 3 && counts[fireline.UnitCommand] == 0 {
					t.Errorf("level %d has no command unit", level)
				}
				prev, prevTotal = counts, total
			}
		})
	}
}

// TestRunCardsBySense pins the first-alarm assignments the dispatchers know by heart.
func TestRunCardsBySense(t *testing.T) {
	c := samplecity.Liaocheng()
	tests := []struct {
		t     fireline.IncidentType
		level int
		ut    fireline.UnitType
		min   int
	}{
		{fireline.TypeStructureFire, 1, fireline.UnitEngine, 2},
		{fireline.TypeStructureFire, 1, fireline.UnitLadder, 1},
		{fireline.TypeHighRiseFire, 1, fireline.UnitLadder, 1},
		{fireline.TypeHazmat, 1, fireline.UnitHazmat, 1},
		{fireline.TypeWaterRescue, 1, fireline.UnitRescue, 1},
		{fireline.TypeTrafficAccident, 1, fireline.UnitRescue, 1},
		{fireline.TypeTrafficAccident, 1, fireline.UnitEngine, 1},
		{fireline.TypeHelpRequested, 1, fireline.UnitRescue, 1},
		{fireline.TypeStructureFire, 3, fireline.UnitTanker, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			for _, p := range c.Plans {
				if p.IncidentType != tt.t || p.Level != tt.level {
					continue
				}
				for _, s := range p.Slots {
					if s.Type == tt.ut && s.Count >= tt.min {
						return
					}
				}
				t.Errorf("level %d: want at least %d %s, have %+v", tt.level, tt.min, tt.ut, p.Slots)
				return
			}
			t.Errorf("no plan for level %d", tt.level)
		})
	}
}

func TestDeterministic(t *testing.T) {
	if a, b := samplecity.Liaocheng(), samplecity.Liaocheng(); !reflect.DeepEqual(a, b) {
		t.Error("two calls return different cities")
	}
}

func TestFreshCopy(t *testing.T) {
	want := samplecity.Liaocheng()
	c := samplecity.Liaocheng()
	c.Name = "changed"
	c.Stations[0].Name = "changed"
	c.Units[0].Status = fireline.UnitOnScene
	c.Units = append(c.Units[:1], c.Units[2:]...)
	c.WaterSources[0].FlowLPM = 1
	c.Premises[0].Hazards[0] = "changed"
	c.Premises[0].Hazards = append(c.Premises[0].Hazards, "more")
	c.Plans[0].Slots[0].Count = 99
	if got := samplecity.Liaocheng(); !reflect.DeepEqual(got, want) {
		t.Error("changing one result changed the next")
	}
}

func TestPopulation(t *testing.T) {
	c := samplecity.Liaocheng()
	total := 0.0
	var names []string
	for _, a := range c.Population {
		checkPoint(t, a.Name, a.Point)
		if !(a.People > 0) || !(a.RadiusMeters >= 1000) {
			t.Errorf("%s: %v people within %v m", a.Name, a.People, a.RadiusMeters)
		}
		total += a.People
		names = append(names, a.Name)
	}
	checkUnique(t, "population areas", names)
	if total < 5.5e6 || total > 6.5e6 {
		t.Errorf("%.0f people in all, want about the prefecture's 5.9 million", total)
	}
}

func TestFleetAndScenes(t *testing.T) {
	for _, layout := range []samplecity.Layout{samplecity.Uniform, samplecity.Centred} {
		t.Run(string(layout), func(t *testing.T) {
			units := samplecity.Fleet(layout, 2000)
			if len(units) != 2000 {
				t.Fatalf("%d units, want 2000", len(units))
			}
			var ids []string
			near := 0 // within about 10 km of the centre
			for _, u := range units {
				ids = append(ids, u.ID)
				checkPoint(t, u.ID, u.Point)
				if !u.Type.Valid() || u.Status != fireline.UnitAvailable || u.PositionAt != nil {
					t.Errorf("%s: %+v, want an available unit of a known type without a fix", u.ID, u)
				}
				if math.Abs(u.Point.Lat-36.457) < 0.09 && math.Abs(u.Point.Lng-115.9855) < 0.11 {
					near++
				}
			}
			checkUnique(t, "fleet", ids)
			// The box around the centre is 1.5% of the prefecture's: the uniform layout puts
			// about that share there, the centred one most of its units.
			if layout == samplecity.Uniform && near > 100 || layout == samplecity.Centred && near < 1200 {
				t.Errorf("%d of 2000 units near the centre", near)
			}
			for _, p := range samplecity.Scenes(layout, 500) {
				checkPoint(t, "scene", p)
			}
			if !reflect.DeepEqual(units, samplecity.Fleet(layout, 2000)) ||
				!reflect.DeepEqual(samplecity.Scenes(layout, 50), samplecity.Scenes(layout, 50)) {
				t.Error("not the same on every call")
			}
		})
	}
}

// TestRoster: the shift covering now crews every unit to its minimum but the Short ones, one
// seat short each; no person is on two units.
func TestRoster(t *testing.T) {
	city := samplecity.Liaocheng()
	now := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC) // 07:00 in Liaocheng: yesterday's shift
	entries := samplecity.Roster(city.Units, now)
	seen := map[string]bool{}
	filled := map[string]int{}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if !e.OnDuty(now) {
			t.Fatalf("%s: shift %s–%s does not cover %s", e.Name, e.From, e.To, now)
		}
		if seen[e.Name] {
			t.Fatalf("%s rostered twice", e.Name)
		}
		seen[e.Name] = true
		filled[e.UnitID]++
	}
	for _, u := range city.Units {
		want := fireline.DefaultMinStaff(u.Type)
		if slices.Contains(samplecity.Short(), u.ID) {
			want--
		}
		if filled[u.ID] != want {
			t.Errorf("%s: %d on duty, want %d", u.ID, filled[u.ID], want)
		}
	}
}
