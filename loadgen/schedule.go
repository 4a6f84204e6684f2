// Package loadgen drives a running Fireline over its public HTTP API the way the real world
// does on a bad day: alarms from 119 calls, the public's reports and buildings' panels, some
// callers reporting an emergency already reported, then operators dispatching and crews moving
// their units. It plans a load (a synthetic surge, or a replay of real dispatch records mapped
// onto the sample city), runs it against one loopback stack, and measures what the centre felt:
// acknowledgement latency, alarm → recommendation latency (server times), lost alarms and
// double dispatches. It speaks only HTTP; it imports the root package for the API's JSON shapes
// and the sample city for its stations and panels, nothing that touches storage or Temporal.
package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// Alarm is one planned alarm: when it is sent and what it says.
type Alarm struct {
	// At is when the alarm is first sent, measured from the run's start.
	At time.Duration `json:"at"`
	// Source picks the endpoint: call (POST /alarms/call as the operator's 119 intake),
	// public (POST /alarms/public) or iot (POST /alarms/iot from a registered panel).
	Source fireline.AlarmSource `json:"source"`
	// SourceID is the source's own id (source_id, report_id or event_id); a retry sends the same.
	SourceID string                `json:"source_id"`
	Type     fireline.IncidentType `json:"type"`
	// Point is where the alarm is (WGS-84); for an IoT alarm its panel's position.
	Point fireline.Point `json:"point"`
	// DeviceID is the panel of an IoT alarm (a sample-city "FAP-…" id).
	DeviceID string `json:"device_id,omitempty"`
	// DuplicateOf is the index in the plan of the alarm this one reports again (a second
	// caller), -1 when it is a first report.
	DuplicateOf int `json:"duplicate_of"`
}

// Mix is the share of each alarm source in a synthetic surge; the shares sum to 1.
type Mix map[fireline.AlarmSource]float64

// ParseMix reads "call=0.7,public=0.2,iot=0.1": call, public and iot sources, non-negative
// shares, normalised to sum to 1.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	total := 0.0
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return nil, fmt.Errorf("source mix %q: want source=share, comma-separated", s)
		}
		src := fireline.AlarmSource(k)
		if src != fireline.SourceCall && src != fireline.SourcePublic && src != fireline.SourceIoT {
			return nil, fmt.Errorf("source mix %q: source %q is not call, public or iot", s, k)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("source mix %q: share %q is not a non-negative number", s, v)
		}
		m[src] += x
		total += x
	}
	if total <= 0 {
		return nil, fmt.Errorf("source mix %q: the shares sum to 0", s)
	}
	for k := range m {
		m[k] /= total
	}
	return m, nil
}

// SurgeConfig is a synthetic surge: N alarms spread evenly over Over.
type SurgeConfig struct {
	N    int
	Over time.Duration
	// Duplicates is the share (0 to <1) of the N alarms that are a second caller for an alarm
	// already sent: same place and type, another source id, a few seconds later.
	Duplicates float64
	Mix        Mix
	// Seed makes the plan repeatable: the same seed gives the same alarms.
	Seed uint64
	// RunID prefixes every source id, so two runs against one database never collide.
	RunID string
}

// incidentTypes are the synthetic alarms' types and their weights: mostly fires in buildings,
// then road accidents and vehicle fires, a few outdoor fires.
var incidentTypes = []struct {
	t fireline.IncidentType
	w float64
}{
	{fireline.TypeStructureFire, 0.5},
	{fireline.TypeTrafficAccident, 0.2},
	{fireline.TypeVehicleFire, 0.2},
	{fireline.TypeWildlandFire, 0.1},
}

// Surge plans a synthetic surge over the city's main districts: each first report lies 300 m to
// 5 km from one of the city's stations (where people live and work), an IoT alarm at one of its
// registered panels (each panel used once before any is used again). The i-th alarm is sent at
// i·Over/N; a duplicate repeats a first report sent 2 to 10 s earlier where there is one (the
// latest earlier one otherwise).
func Surge(cfg SurgeConfig, city fireline.City) ([]Alarm, error) {
	if cfg.N < 1 {
		return nil, fmt.Errorf("surge: %d alarms, want at least 1", cfg.N)
	}
	if cfg.Over < 0 {
		return nil, fmt.Errorf("surge: negative duration %s", cfg.Over)
	}
	if cfg.Duplicates < 0 || cfg.Duplicates >= 1 {
		return nil, fmt.Errorf("surge: duplicate share %v, want 0 ≤ share < 1", cfg.Duplicates)
	}
	if len(city.Stations) == 0 {
		return nil, fmt.Errorf("surge: the city has no stations to place alarms near")
	}
	if cfg.Mix[fireline.SourceIoT] > 0 && len(city.Devices) == 0 {
		return nil, fmt.Errorf("surge: IoT alarms asked for, but the city has no registered panels")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6c6f616467656e))
	devices := slices.Clone(city.Devices)
	rng.Shuffle(len(devices), func(i, j int) { devices[i], devices[j] = devices[j], devices[i] })
	nextDevice := 0

	// Which slots are duplicates: a fixed count, the first slot never.
	dups := int(math.Round(cfg.Duplicates * float64(cfg.N)))
	dups = min(dups, cfg.N-1)
	isDup := make([]bool, cfg.N)
	for _, i := range rng.Perm(cfg.N - 1)[:dups] {
		isDup[i+1] = true
	}
	plan := make([]Alarm, cfg.N)
	var firsts []int
	for i := range plan {
		at := time.Duration(0)
		if cfg.N > 1 {
			at = time.Duration(float64(cfg.Over) * float64(i) / float64(cfg.N))
		}
		if isDup[i] {
			j := pickEarlier(plan, firsts, at, rng)
			a := plan[j]
			a.At, a.DuplicateOf = at, j
			a.SourceID = fmt.Sprintf("%s-%d-dup", cfg.RunID, i)
			plan[i] = a
			continue
		}
		a := Alarm{At: at, Source: pickSource(cfg.Mix, rng), SourceID: fmt.Sprintf("%s-%d", cfg.RunID, i), DuplicateOf: -1}
		if a.Source == fireline.SourceIoT {
			d := devices[nextDevice%len(devices)]
			nextDevice++
			a.DeviceID, a.Point, a.Type = d.ID, d.Point, fireline.TypeStructureFire
		} else {
			st := city.Stations[rng.IntN(len(city.Stations))]
			a.Point = Offset(st.Point, 300+rng.Float64()*4700, rng.Float64()*2*math.Pi)
			a.Type = pickType(rng)
		}
		plan[i] = a
		firsts = append(firsts, i)
	}
	return plan, nil
}

// pickEarlier picks a first report sent 2 to 10 s before at, else the latest one sent before.
func pickEarlier(plan []Alarm, firsts []int, at time.Duration, rng *rand.Rand) int {
	var near []int
	for _, j := range firsts {
		if d := at - plan[j].At; d >= 2*time.Second && d <= 10*time.Second {
			near = append(near, j)
		}
	}
	if len(near) > 0 {
		return near[rng.IntN(len(near))]
	}
	return firsts[len(firsts)-1]
}

func pickSource(m Mix, rng *rand.Rand) fireline.AlarmSource {
	x := rng.Float64()
	for _, s := range []fireline.AlarmSource{fireline.SourceCall, fireline.SourcePublic, fireline.SourceIoT} {
		if x < m[s] {
			return s
		}
		x -= m[s]
	}
	return fireline.SourceCall
}

func pickType(rng *rand.Rand) fireline.IncidentType {
	x := rng.Float64()
	for _, t := range incidentTypes {
		if x < t.w {
			return t.t
		}
		x -= t.w
	}
	return fireline.TypeStructureFire
}

// earthRadius is the mean Earth radius in metres, enough for offsets of a few kilometres.
const earthRadius = 6_371_000.0

// Offset is the point d metres from p on the given bearing (radians from north).
func Offset(p fireline.Point, d, bearing float64) fireline.Point {
	dLat := d * math.Cos(bearing) / earthRadius
	dLng := d * math.Sin(bearing) / (earthRadius * math.Cos(p.Lat*math.Pi/180))
	return fireline.Point{Lat: p.Lat + dLat*180/math.Pi, Lng: p.Lng + dLng*180/math.Pi}
}
