package loadgen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// Affine maps a point of another city onto the sample city: lat' = A·lat + B·lng + C,
// lng' = D·lat + E·lng + F (degrees, WGS-84). The transforms below translate the other city's
// centre onto Liaocheng's and scale longitude by the ratio of the two latitudes' cosines, so
// distances and bearings on the ground are kept (to within a fraction of a per cent over a
// city): a street grid 2 km across stays 2 km across.
type Affine struct {
	A, B, C float64
	D, E, F float64
}

// Apply maps p.
func (t Affine) Apply(p fireline.Point) fireline.Point {
	return fireline.Point{Lat: t.A*p.Lat + t.B*p.Lng + t.C, Lng: t.D*p.Lat + t.E*p.Lng + t.F}
}

// Liaocheng's centre, the drum tower of the old town in Dongchangfu: where both cities' centres
// land.
var liaocheng = fireline.Point{Lat: 36.4570, Lng: 115.9855}

// KeepDistances is the affine map that moves from onto to keeping ground distances.
func KeepDistances(from, to fireline.Point) Affine {
	k := math.Cos(from.Lat*math.Pi/180) / math.Cos(to.Lat*math.Pi/180)
	return Affine{A: 1, C: to.Lat - from.Lat, E: k, F: to.Lng - k*from.Lng}
}

// The fixed transforms of the two real data sets: San Francisco's City Hall (37.7793,
// -122.4193) and Seattle's Pioneer Square (47.6062, -122.3321) each land on Liaocheng's centre.
var (
	SanFrancisco = KeepDistances(fireline.Point{Lat: 37.7793, Lng: -122.4193}, liaocheng)
	Seattle      = KeepDistances(fireline.Point{Lat: 47.6062, Lng: -122.3321}, liaocheng)
)

// Record is one real call: when it was received, where, and what it was.
type Record struct {
	At    time.Time
	Point fireline.Point
	Type  fireline.IncidentType
	// ID is the other system's call or incident number.
	ID string
}

// ReadRecords reads a San Francisco "Calls for Service" export (one row per unit per call: a
// call counts once, at its Received DtTm) or a Seattle "Real Time Fire 911 Calls" export, told
// apart by their headers, maps each position with the data set's fixed transform, and returns
// the calls in time order. Rows without a position are skipped.
func ReadRecords(r io.Reader) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("replay: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	var parse func([]string) (Record, bool, error)
	switch {
	case has(col, "Call Number", "Received DtTm", "Location", "Call Type"):
		sf, err := time.LoadLocation("America/Los_Angeles")
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		seen := map[string]bool{}
		parse = func(row []string) (Record, bool, error) {
			id := row[col["Call Number"]]
			if seen[id] {
				return Record{}, false, nil
			}
			seen[id] = true
			at, err := time.ParseInLocation("01/02/2006 03:04:05 PM", row[col["Received DtTm"]], sf)
			if err != nil {
				return Record{}, false, fmt.Errorf("call %s: Received DtTm: %w", id, err)
			}
			p, ok := pointOf(row[col["Location"]])
			return Record{At: at, Point: SanFrancisco.Apply(p), Type: sfType(row[col["Call Type"]]), ID: id}, ok, nil
		}
	case has(col, "Datetime", "Latitude", "Longitude", "Incident Number"):
		parse = func(row []string) (Record, bool, error) {
			id := row[col["Incident Number"]]
			at, err := seattleTime(row[col["Datetime"]])
			if err != nil {
				return Record{}, false, fmt.Errorf("incident %s: Datetime: %w", id, err)
			}
			lat, err1 := strconv.ParseFloat(row[col["Latitude"]], 64)
			lng, err2 := strconv.ParseFloat(row[col["Longitude"]], 64)
			if err1 != nil || err2 != nil || (lat == 0 && lng == 0) {
				return Record{}, false, nil
			}
			return Record{At: at, Point: Seattle.Apply(fireline.Point{Lat: lat, Lng: lng}), Type: fireline.TypeTrafficAccident, ID: id}, true, nil
		}
	default:
		return nil, errors.New("replay: neither a San Francisco calls-for-service nor a Seattle 911-calls export (header not recognised)")
	}
	var out []Record
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("replay: line %d: %w", line, err)
		}
		if len(row) < len(head) {
			return nil, fmt.Errorf("replay: line %d: %d fields, want %d", line, len(row), len(head))
		}
		rec, ok, err := parse(row)
		if err != nil {
			return nil, fmt.Errorf("replay: line %d: %w", line, err)
		}
		if ok {
			out = append(out, rec)
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.At.Compare(b.At) })
	return out, nil
}

// seattleTime reads the Seattle export's "11/09/2011 10:04:00 PM +0000", and the ISO form a
// few of its rows have instead (" 2011-10-24T24:22:00+0000", where hour 24 is the next day's 0).
func seattleTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	at, err := time.Parse("01/02/2006 03:04:05 PM -0700", s)
	if err == nil {
		return at, nil
	}
	iso := "2006-01-02T15:04:05-0700"
	if day, rest, ok := strings.Cut(s, "T24:"); ok {
		next, err2 := time.Parse(iso, day+"T00:"+rest)
		if err2 == nil {
			return next.AddDate(0, 0, 1), nil
		}
	}
	if at, err2 := time.Parse(iso, s); err2 == nil {
		return at, nil
	}
	return time.Time{}, err
}

func has(col map[string]int, names ...string) bool {
	for _, n := range names {
		if _, ok := col[n]; !ok {
			return false
		}
	}
	return true
}

// pointOf reads San Francisco's "(lat, lon)"; (0, 0) and empty cells are no position.
func pointOf(s string) (fireline.Point, bool) {
	a, b, ok := strings.Cut(strings.Trim(strings.TrimSpace(s), "()"), ",")
	if !ok {
		return fireline.Point{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || (lat == 0 && lng == 0) {
		return fireline.Point{}, false
	}
	return fireline.Point{Lat: lat, Lng: lng}, true
}

// sfType maps San Francisco's call types onto Fireline's; the many medical and service calls
// become requests for help, which a Chinese fire service also answers.
func sfType(t string) fireline.IncidentType {
	switch {
	case strings.Contains(t, "Structure Fire"):
		return fireline.TypeStructureFire
	case strings.Contains(t, "Vehicle Fire"):
		return fireline.TypeVehicleFire
	case strings.Contains(t, "Outside Fire"):
		return fireline.TypeWildlandFire
	case strings.Contains(t, "Traffic Collision"):
		return fireline.TypeTrafficAccident
	case strings.Contains(t, "HazMat"), strings.Contains(t, "Gas Leak"):
		return fireline.TypeHazmat
	case strings.Contains(t, "Water Rescue"):
		return fireline.TypeWaterRescue
	}
	return fireline.TypeHelpRequested
}

// Replay plans the records as 119 calls: inter-arrival times divided by speed (> 0), the
// first call at 0, at most max calls (0: all).
func Replay(recs []Record, speed float64, max int, runID string) ([]Alarm, error) {
	if speed <= 0 || math.IsInf(speed, 0) || math.IsNaN(speed) {
		return nil, fmt.Errorf("replay: speed %v, want a positive factor", speed)
	}
	if len(recs) == 0 {
		return nil, errors.New("replay: no records with a position")
	}
	if max > 0 && len(recs) > max {
		recs = recs[:max]
	}
	plan := make([]Alarm, len(recs))
	for i, r := range recs {
		plan[i] = Alarm{At: time.Duration(float64(r.At.Sub(recs[0].At)) / speed), Source: fireline.SourceCall,
			SourceID: fmt.Sprintf("%s-%s-%d", runID, r.ID, i), Type: r.Type, Point: r.Point, DuplicateOf: -1}
	}
	return plan, nil
}
