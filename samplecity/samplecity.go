// Package samplecity holds the reference data of the demo city, Liaocheng (聊城市) in Shandong:
// fire stations, units, water sources, key premises (重点单位), response plans, where people
// live, the key premises' fire-alarm panels and the lamp posts with an emergency button.
//
// It is PLAUSIBLE SAMPLE DATA, not official locations or resources. The stations sit in the
// real districts and counties near their seats, at invented points; the units, plans and
// pre-plans are invented; the hydrants are generated along a street grid near each station.
// A few real landmarks (Guangyue Tower, Shanshan Guild Hall, the Grand Canal, Dongchang Lake)
// are placed approximately, so the map looks familiar to someone who knows the city.
//
// The data are built afresh on every call: there is no package-level state to share or
// mutate, and the same call always returns the same city.
package samplecity

import (
	"fmt"

	"github.com/fireline/fireline"
)

// Liaocheng returns the sample city. Each call builds a new value, so callers may change it
// freely. Unit.Cell and Unit.UpdatedAt are left empty: the caller fills them (only the geo
// package computes H3 cells).
func Liaocheng() fireline.City {
	ss := stations()
	city := fireline.City{
		Name:   "Liaocheng",
		Center: fireline.Point{Lat: 36.4570, Lng: 115.9855},
	}
	for _, s := range ss {
		city.Stations = append(city.Stations, fireline.Station{
			ID:       s.id,
			Name:     fmt.Sprintf("%s (%s)", s.en, s.zh),
			District: s.district,
			Address:  s.address,
			Point:    s.point,
		})
		city.Units = append(city.Units, stationUnits(s)...)
	}
	city.WaterSources = waterSources(ss)
	city.Premises = premises()
	city.Devices = devices(city.Premises)
	city.Poles = poles(ss)
	city.Plans = plans()
	city.Population = population()
	return city
}

// station is one row of the station table: the station itself, the units it houses and how
// many hydrants to generate around it.
type station struct {
	id       string
	en, zh   string
	district string
	address  string
	point    fireline.Point
	units    []fireline.UnitType
	hydrants int
}

// stations is the station table. Dongchangfu (the city centre) comes first, with station 1
// housing the city's special-service (特勤) units, so that the first unit is E-DCF-1.
func stations() []station {
	const (
		e   = fireline.UnitEngine
		l   = fireline.UnitLadder
		r   = fireline.UnitRescue
		hm  = fireline.UnitHazmat
		t   = fireline.UnitTanker
		cmd = fireline.UnitCommand
	)
	const (
		dcf = "Dongchangfu District (东昌府区)"
		edz = "Economic and Technological Development Zone (经济技术开发区)"
		htz = "High-tech Zone (高新技术产业开发区)"
	)
	return []station{
		{"DCF-1", "Dongchangfu Station 1", "东昌府特勤一站", dcf, "Dongchang West Road (东昌西路), west of Dongchang Lake",
			fireline.Point{Lat: 36.4575, Lng: 115.9640}, []fireline.UnitType{e, e, l, r, hm, cmd}, 20},
		{"DCF-2", "Dongchangfu Station 2", "东昌府二站", dcf, "Dongchang East Road (东昌东路) at Huanghe Road",
			fireline.Point{Lat: 36.4560, Lng: 116.0180}, []fireline.UnitType{e, e, l, r, t}, 20},
		{"DCF-3", "Dongchangfu Station 3", "东昌府三站", dcf, "Liuyuan North Road (柳园北路)",
			fireline.Point{Lat: 36.4800, Lng: 115.9850}, []fireline.UnitType{e, l, t}, 20},
		{"DCF-4", "Dongchangfu Station 4", "东昌府四站", dcf, "Hunan Road (湖南路), near Liaocheng University",
			fireline.Point{Lat: 36.4300, Lng: 115.9800}, []fireline.UnitType{e, r, t}, 20},
		{"EDZ-1", "Development Zone Station", "开发区消防站", edz, "Changjiang Road (长江路), Development Zone",
			fireline.Point{Lat: 36.4250, Lng: 116.0500}, []fireline.UnitType{e, e, r, hm, t}, 16},
		{"HTZ-1", "High-tech Zone Station", "高新区消防站", htz, "Tianjin Road (天津路), High-tech Zone, by the chemical park",
			fireline.Point{Lat: 36.4900, Lng: 116.0450}, []fireline.UnitType{e, e, l, hm, t}, 16},
		{"CP-1", "Chiping Station 1", "茌平一站", "Chiping District (茌平区)", "Xinxing Road (新兴路), Chiping",
			fireline.Point{Lat: 36.5800, Lng: 116.2550}, []fireline.UnitType{e, l, r, t, cmd}, 14},
		{"CP-2", "Chiping Industrial Park Station", "茌平工业园区站", "Chiping District (茌平区)", "Industrial park, Chiping",
			fireline.Point{Lat: 36.6000, Lng: 116.2250}, []fireline.UnitType{e, hm, t}, 14},
		{"LQ-1", "Linqing Station 1", "临清一站", "Linqing City (临清市)", "Qingnian Road (青年路), Linqing",
			fireline.Point{Lat: 36.8380, Lng: 115.7050}, []fireline.UnitType{e, e, l, r, cmd}, 16},
		{"LQ-2", "Linqing Station 2", "临清二站", "Linqing City (临清市)", "Xianfeng Road (先锋路), Linqing east",
			fireline.Point{Lat: 36.8600, Lng: 115.7400}, []fireline.UnitType{e, t}, 14},
		{"GX-1", "Guanxian Station", "冠县消防站", "Guanxian County (冠县)", "Guanxian county seat",
			fireline.Point{Lat: 36.4840, Lng: 115.4420}, []fireline.UnitType{e, r, t}, 14},
		{"SX-1", "Shenxian Station", "莘县消防站", "Shenxian County (莘县)", "Shenxian county seat",
			fireline.Point{Lat: 36.2340, Lng: 115.6680}, []fireline.UnitType{e, r, t, cmd}, 14},
		{"YG-1", "Yanggu Station", "阳谷消防站", "Yanggu County (阳谷县)", "Yanggu county seat",
			fireline.Point{Lat: 36.1140, Lng: 115.7910}, []fireline.UnitType{e, e, r, t, cmd}, 14},
		{"DE-1", "Dong'e Station", "东阿消防站", "Dong'e County (东阿县)", "Dong'e county seat",
			fireline.Point{Lat: 36.3350, Lng: 116.2480}, []fireline.UnitType{e, r, t}, 14},
		{"GT-1", "Gaotang Station", "高唐消防站", "Gaotang County (高唐县)", "Gaotang county seat",
			fireline.Point{Lat: 36.8660, Lng: 116.2320}, []fireline.UnitType{e, e, l, r, t, cmd}, 14},
	}
}

// stationUnits makes the units of s, all available at the station. A unit's ID is its type's
// call-sign prefix and the station ID ("E-DCF-1"); a second or third unit of the same type at
// the same station gets a letter ("E-DCF-1B").
func stationUnits(s station) []fireline.Unit {
	var out []fireline.Unit
	seen := map[fireline.UnitType]int{}
	for _, t := range s.units {
		seen[t]++
		prefix, en, zh := label(t)
		sign := s.id
		if n := seen[t]; n > 1 {
			sign += string(rune('A' + n - 1))
		}
		out = append(out, fireline.Unit{
			ID:        prefix + "-" + sign,
			Name:      fmt.Sprintf("%s %s (%s %s)", en, sign, s.zh, zh),
			Type:      t,
			Status:    fireline.UnitAvailable,
			StationID: s.id,
			Point:     s.point,
		})
	}
	return out
}

// label returns the call-sign prefix and the English and Chinese names of a unit type.
func label(t fireline.UnitType) (prefix, en, zh string) {
	switch t {
	case fireline.UnitEngine:
		return "E", "Engine", "水罐消防车"
	case fireline.UnitLadder:
		return "L", "Ladder", "登高平台车"
	case fireline.UnitRescue:
		return "R", "Rescue", "抢险救援车"
	case fireline.UnitHazmat:
		return "HM", "Hazmat", "防化洗消车"
	case fireline.UnitTanker:
		return "T", "Tanker", "供水消防车"
	case fireline.UnitCommand:
		return "CMD", "Command", "通信指挥车"
	}
	return "U", "Unit", "消防车"
}
