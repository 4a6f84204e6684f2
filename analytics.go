package fireline

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"
)

// Response-time analytics: the intervals of many incidents, live and imported, measured by one
// definition (NFPA 1710 and 1225 usage) and held to the standards' targets. The same definition
// writes a live incident's review (ResponseIntervals), so an incident's review and the analytics
// that count it can never disagree.

// Origins of the incidents the analytics read.
const (
	// OriginLive is an incident Fireline itself handled, read from the read model.
	OriginLive = "live"
	// OriginImported is a record imported from the CAD system a centre is leaving.
	OriginImported = "imported"
)

// DefaultCentreTimeZone is the zone whose calendar dates a live incident's alarm falls on, unless
// the centre configures its own (--time-zone).
const DefaultCentreTimeZone = "Asia/Shanghai"

// CheckTimeZone reports whether name is an IANA time zone the analytics can count calendar
// dates in. Go's "Local" is refused: it is this host's zone, not a name PostgreSQL knows, and a
// record stored with it would fail every analytics query that reads it.
func CheckTimeZone(name string) error {
	if name == "" || name == "Local" {
		return Errorf(EINVALID, "time zone %q: want an IANA zone such as Asia/Shanghai", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return Errorf(EINVALID, "time zone %q: not an IANA zone (%v)", name, err)
	}
	return nil
}

// MaxIntervalDays bounds the date range of one analytics query: ten years of records.
const MaxIntervalDays = 3660

// IntervalQuery selects the incidents whose intervals the analytics measure.
type IntervalQuery struct {
	// From and To are calendar dates (YYYY-MM-DD), both inclusive, of the alarm received time in
	// each incident's own time zone: an imported record's time_zone, the centre's for a live one.
	From string `json:"from"`
	To   string `json:"to"`
	// Type is an incident type code; empty: every type.
	Type IncidentType `json:"type,omitempty"`
	// StationArea is the first-due station's id (an imported record names it; for a live
	// incident it is the station nearest the incident); empty: every area.
	StationArea string `json:"station,omitempty"`
	// Cell is an H3 cell of resolution 5 to 9 (hex): only incidents inside it.
	Cell string `json:"cell,omitempty"`
	// UnitType keeps only units of that type: the per-unit intervals are theirs, the
	// per-incident ones use the first dispatch and first arrival among them, and an incident
	// without one is not counted.
	UnitType UnitType `json:"unit_type,omitempty"`
	// Origin is OriginLive, OriginImported, or empty for both.
	Origin string `json:"origin,omitempty"`
}

// Validate checks a query as a user enters it, naming the first bad field.
func (q IntervalQuery) Validate() error {
	from, to, err := q.Dates()
	if err != nil {
		return err
	}
	if to.Sub(from) > MaxIntervalDays*24*time.Hour {
		return Errorf(EINVALID, "from %s to %s is more than %d days: ask for a shorter range", q.From, q.To, MaxIntervalDays)
	}
	if q.Type != "" {
		if err := q.Type.Check(); err != nil {
			return err
		}
	}
	if len(q.StationArea) > 64 {
		return Errorf(EINVALID, "station: at most 64 characters")
	}
	if q.Cell != "" {
		if _, err := CellResolution(q.Cell); err != nil {
			return err
		}
		if r, _ := CellResolution(q.Cell); r < 5 || r > 9 {
			return Errorf(EINVALID, "cell: %s is of resolution %d, not 5 to 9", q.Cell, r)
		}
	}
	if q.UnitType != "" && !q.UnitType.Valid() {
		return Errorf(EINVALID, "unit_type: %q is not one of %s", q.UnitType, joinNames(UnitTypes))
	}
	switch q.Origin {
	case "", OriginLive, OriginImported:
	default:
		return Errorf(EINVALID, "origin: %q is not %s or %s (or empty for both)", q.Origin, OriginLive, OriginImported)
	}
	return nil
}

// Dates parses From and To as calendar dates (midnight UTC stands for the date); EINVALID when
// either is not a YYYY-MM-DD date or From is after To.
func (q IntervalQuery) Dates() (from, to time.Time, err error) {
	for _, f := range []struct {
		name, v string
		out     *time.Time
	}{{"from", q.From, &from}, {"to", q.To, &to}} {
		if f.v == "" {
			return from, to, Errorf(EINVALID, "%s: a date (YYYY-MM-DD) is required", f.name)
		}
		d, perr := time.Parse(time.DateOnly, f.v)
		if perr != nil {
			return from, to, Errorf(EINVALID, "%s: %q is not a date (YYYY-MM-DD)", f.name, f.v)
		}
		*f.out = d
	}
	if from.After(to) {
		return from, to, Errorf(EINVALID, "from %s is after to %s", q.From, q.To)
	}
	return from, to, nil
}

// CellResolution reads the resolution of an H3 cell index written in hex, checking its header
// (a cell, not an edge or vertex, of resolution 0 to 15). It reads bits only: geo holds H3.
func CellResolution(cell string) (int, error) {
	v, err := strconv.ParseUint(cell, 16, 64)
	if err != nil || len(cell) > 16 {
		return 0, Errorf(EINVALID, "cell: %q is not an H3 cell in hex", cell)
	}
	if v>>63 != 0 || (v>>59)&0xF != 1 {
		return 0, Errorf(EINVALID, "cell: %q is not an H3 cell index", cell)
	}
	return int((v >> 52) & 0xF), nil
}

// Target is one response-time target: a standard's limit, met when the percentile of the
// intervals is within it.
type Target struct {
	Standard string `json:"standard"`
	// Seconds is the limit.
	Seconds float64 `json:"target_s"`
	// Percentile is the share (0 < p ≤ 100) of intervals that must be within the limit.
	Percentile float64 `json:"percentile"`
}

// IntervalTargets are the targets the analytics hold the intervals to.
type IntervalTargets struct {
	// CallProcessing is alarm received → first dispatch, per incident (NFPA 1225).
	CallProcessing Target `json:"call_processing"`
	// TurnoutQuick is dispatched → en route of units on incidents whose category turns out
	// quickly (IncidentCategory.QuickTurnout: EMS and alike); TurnoutFire the others'.
	TurnoutQuick Target `json:"turnout_ems"`
	TurnoutFire  Target `json:"turnout_fire"`
	// TravelFirstEngine is en route → on scene of the first engine to arrive, per incident.
	TravelFirstEngine Target `json:"travel_first_engine"`
	// TravelFullAlarm is the first en route of the initial full alarm → the last of it on
	// scene, per incident.
	TravelFullAlarm Target `json:"travel_full_alarm"`
	// FullAlarmWindowS defines the initial full alarm: the units dispatched within this many
	// seconds of the incident's first dispatch.
	FullAlarmWindowS float64 `json:"full_alarm_window_s"`
}

// DefaultIntervalTargets are NFPA 1225 (2022) and NFPA 1710 (2020) §4.1.2.1, each at the 90th
// percentile. The review's page holds one incident to the same numbers (web/src/review/standards.js).
func DefaultIntervalTargets() IntervalTargets {
	return IntervalTargets{
		CallProcessing:    Target{Standard: "NFPA 1225", Seconds: 60, Percentile: 90},
		TurnoutQuick:      Target{Standard: "NFPA 1710", Seconds: QuickTurnoutSeconds, Percentile: 90},
		TurnoutFire:       Target{Standard: "NFPA 1710", Seconds: 80, Percentile: 90},
		TravelFirstEngine: Target{Standard: "NFPA 1710", Seconds: 240, Percentile: 90},
		TravelFullAlarm:   Target{Standard: "NFPA 1710", Seconds: 480, Percentile: 90},
		FullAlarmWindowS:  60,
	}
}

// Validate checks targets as a centre configures them.
func (t IntervalTargets) Validate() error {
	for _, f := range []struct {
		name string
		t    Target
	}{
		{"call_processing", t.CallProcessing}, {"turnout_ems", t.TurnoutQuick}, {"turnout_fire", t.TurnoutFire},
		{"travel_first_engine", t.TravelFirstEngine}, {"travel_full_alarm", t.TravelFullAlarm},
	} {
		if !(f.t.Seconds > 0) || f.t.Seconds > MaxTimerSeconds {
			return Errorf(EINVALID, "%s.target_s: %v is outside (0, %d]", f.name, f.t.Seconds, MaxTimerSeconds)
		}
		if !(f.t.Percentile > 0) || f.t.Percentile > 100 {
			return Errorf(EINVALID, "%s.percentile: %v is outside (0, 100]", f.name, f.t.Percentile)
		}
	}
	if t.FullAlarmWindowS < 0 || t.FullAlarmWindowS > MaxTimerSeconds {
		return Errorf(EINVALID, "full_alarm_window_s: %v is outside [0, %d]", t.FullAlarmWindowS, MaxTimerSeconds)
	}
	return nil
}

// IntervalReport is the analytics' answer: how many incidents, the four intervals, and how
// they stand against the targets.
type IntervalReport struct {
	Query IntervalQuery `json:"query"`
	// Incidents counts the incidents selected; Live and Imported split it by origin.
	Incidents int `json:"incidents"`
	Live      int `json:"live"`
	Imported  int `json:"imported"`
	// CallProcessing is first dispatch − alarm received, per incident.
	CallProcessing IntervalStats `json:"call_processing_s"`
	// Turnout is en route − dispatched, per unit.
	Turnout IntervalStats `json:"turnout_s"`
	// Travel is on scene − en route, per unit.
	Travel IntervalStats `json:"travel_s"`
	// AlarmToFirstOnScene is the earliest on scene − alarm received, per incident.
	AlarmToFirstOnScene IntervalStats   `json:"alarm_to_first_on_scene_s"`
	Compliance          []Compliance    `json:"compliance"`
	Targets             IntervalTargets `json:"targets"`
	// TimeZone is the centre's zone, whose dates the live incidents fall on.
	TimeZone string `json:"time_zone"`
}

// IntervalStats summarises one interval over the incidents or units selected.
type IntervalStats struct {
	// N counts the intervals measured: neither missing nor negative.
	N int `json:"n"`
	// P50 and P90 are nearest-rank percentiles in seconds, nil when N is 0.
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
	// Missing counts intervals whose later step was never reached (or earlier never recorded);
	// Negative those whose steps are out of order. Neither is in N.
	Missing   int      `json:"missing"`
	Negative  int      `json:"negative"`
	Histogram []Bucket `json:"histogram"`
}

// Bucket is one bar of a histogram: intervals of FromS ≤ s < ToS seconds; the last bucket has
// no ToS and counts everything from FromS up.
type Bucket struct {
	FromS float64  `json:"from_s"`
	ToS   *float64 `json:"to_s"`
	Count int      `json:"count"`
}

// Compliance is one target and how the intervals stand against it.
type Compliance struct {
	// Measure names the interval: call_processing, turnout_ems, turnout_fire,
	// travel_first_engine, travel_full_alarm.
	Measure    string  `json:"measure"`
	Standard   string  `json:"standard"`
	TargetS    float64 `json:"target_s"`
	Percentile float64 `json:"percentile"`
	N          int     `json:"n"`
	// Within counts the intervals at or under the target; Fraction is Within/N, nil when N is 0.
	Within   int      `json:"within"`
	Fraction *float64 `json:"fraction"`
	// ObservedS is the Percentile-th nearest-rank percentile, nil when N is 0.
	ObservedS *float64 `json:"observed_s"`
	// Met is whether ObservedS is within the target; false without intervals.
	Met bool `json:"met"`
}

// AnalyticsService computes the interval analytics (postgres.Analytics).
type AnalyticsService interface {
	IntervalReport(ctx context.Context, q IntervalQuery) (IntervalReport, error)
}

// IncidentTimes is one incident's record as the intervals are measured from it: a live
// incident's read model or an imported record alike.
type IncidentTimes struct {
	// Received is when the incident's first alarm was received.
	Received time.Time
	Category IncidentCategory
	Units    []UnitTimes
}

// UnitTimes are the step times of one unit sent to an incident, nil where it never reached
// the step.
type UnitTimes struct {
	UnitID     string
	Type       UnitType
	Dispatched *time.Time
	EnRoute    *time.Time
	OnScene    *time.Time
}

// UnitIntervals are one unit's intervals in seconds, nil where a step is missing. A negative
// value is kept as measured: the analytics count it apart, the review shows it.
type UnitIntervals struct {
	Turnout *float64
	Travel  *float64
}

// Intervals measures u: turnout = en route − dispatched, travel = on scene − en route.
func (u UnitTimes) Intervals() UnitIntervals {
	return UnitIntervals{Turnout: between(u.Dispatched, u.EnRoute), Travel: between(u.EnRoute, u.OnScene)}
}

// IncidentIntervals are one incident's intervals in seconds, nil where missing.
type IncidentIntervals struct {
	// CallProcessing is the first dispatch − received.
	CallProcessing *float64
	// AlarmToFirstOnScene is the earliest on scene − received.
	AlarmToFirstOnScene *float64
	// FirstEngineTravel is the travel of the first engine on scene.
	FirstEngineTravel *float64
	// FullAlarmTravel is the last on scene of the initial full alarm (units dispatched within
	// the window of the first dispatch, as long as they arrived) − the first en route of them.
	FullAlarmTravel *float64
	// Units are the units' own intervals, in the order of IncidentTimes.Units.
	Units []UnitIntervals
}

// ResponseIntervals measures an incident by the one definition the review and the analytics
// share. window is the initial full alarm's (IntervalTargets.FullAlarmWindowS).
func ResponseIntervals(in IncidentTimes, window time.Duration) IncidentIntervals {
	var out IncidentIntervals
	var firstDispatch, firstOnScene, engineOnScene *time.Time
	var engine *UnitTimes
	for i := range in.Units {
		u := &in.Units[i]
		out.Units = append(out.Units, u.Intervals())
		firstDispatch = earlier(firstDispatch, u.Dispatched)
		firstOnScene = earlier(firstOnScene, u.OnScene)
		if u.Type == UnitEngine && u.OnScene != nil && (engineOnScene == nil || u.OnScene.Before(*engineOnScene)) {
			engineOnScene, engine = u.OnScene, u
		}
	}
	received := &in.Received
	out.CallProcessing = between(received, firstDispatch)
	out.AlarmToFirstOnScene = between(received, firstOnScene)
	if engine != nil {
		out.FirstEngineTravel = between(engine.EnRoute, engine.OnScene)
	}
	if firstDispatch != nil {
		var firstEnRoute, lastOnScene *time.Time
		for _, u := range in.Units {
			if u.Dispatched == nil || u.Dispatched.Sub(*firstDispatch) > window || u.OnScene == nil {
				continue
			}
			firstEnRoute = earlier(firstEnRoute, u.EnRoute)
			if lastOnScene == nil || u.OnScene.After(*lastOnScene) {
				lastOnScene = u.OnScene
			}
		}
		out.FullAlarmTravel = between(firstEnRoute, lastOnScene)
	}
	return out
}

// between is to − from in seconds, nil when either is missing. Both are taken at the
// microsecond, the read model's precision (PostgreSQL keeps no finer): a review computed from the
// workflow's own clock and the analytics computed from the stored times agree to the last digit.
func between(from, to *time.Time) *float64 {
	if from == nil || to == nil {
		return nil
	}
	s := to.Truncate(time.Microsecond).Sub(from.Truncate(time.Microsecond)).Seconds()
	return &s
}

func earlier(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted values: the value of
// rank ⌈p/100 · n⌉. ok is false for no values.
func Percentile(sorted []float64, p float64) (v float64, ok bool) {
	n := len(sorted)
	if n == 0 {
		return 0, false
	}
	// p·n/100 computed in that order keeps whole ranks whole (90·10/100 is 9, not 9.000…2).
	rank := int(math.Ceil(p * float64(n) / 100))
	rank = min(max(rank, 1), n)
	return sorted[rank-1], true
}

// IntervalSample gathers one interval's values, counting the missing and negative apart.
type IntervalSample struct {
	values   []float64
	missing  int
	negative int
}

// Add counts one interval: nil is missing, a negative value is out of order.
func (s *IntervalSample) Add(v *float64) {
	switch {
	case v == nil:
		s.missing++
	case *v < 0:
		s.negative++
	default:
		s.values = append(s.values, *v)
	}
}

// Stats summarises the sample, with a histogram of buckets width seconds wide (at most 20,
// the last open-ended).
func (s *IntervalSample) Stats(width float64) IntervalStats {
	slices.Sort(s.values)
	st := IntervalStats{N: len(s.values), Missing: s.missing, Negative: s.negative, Histogram: []Bucket{}}
	if v, ok := Percentile(s.values, 50); ok {
		st.P50 = &v
	}
	if v, ok := Percentile(s.values, 90); ok {
		st.P90 = &v
	}
	if st.N == 0 {
		return st
	}
	const maxBuckets = 20
	top := int(s.values[st.N-1]/width) + 1
	buckets := min(top, maxBuckets)
	for i := range buckets {
		b := Bucket{FromS: float64(i) * width}
		if i < buckets-1 || top <= maxBuckets {
			to := float64(i+1) * width
			b.ToS = &to
		}
		st.Histogram = append(st.Histogram, b)
	}
	for _, v := range s.values {
		st.Histogram[min(int(v/width), buckets-1)].Count++
	}
	return st
}

// Comply holds the sample to target t.
func (s *IntervalSample) Comply(measure string, t Target) Compliance {
	slices.Sort(s.values)
	c := Compliance{Measure: measure, Standard: t.Standard, TargetS: t.Seconds, Percentile: t.Percentile, N: len(s.values)}
	for _, v := range s.values {
		if v <= t.Seconds {
			c.Within++
		}
	}
	if c.N > 0 {
		f := float64(c.Within) / float64(c.N)
		c.Fraction = &f
	}
	if v, ok := Percentile(s.values, t.Percentile); ok {
		c.ObservedS = &v
		c.Met = v <= t.Seconds
	}
	return c
}

// Histogram bucket widths, in seconds: the short intervals in quarter minutes, the long ones in
// half minutes.
const (
	ShortBucketS = 15
	LongBucketS  = 30
)

// IntervalReportOf measures the incidents by the one definition and holds them to the targets.
// unitType, when set, keeps only units of that type and incidents that had one. origins, when
// given, names each incident's origin (OriginLive or OriginImported) for the counts.
func IntervalReportOf(q IntervalQuery, incidents []IncidentTimes, origins []string, t IntervalTargets) IntervalReport {
	var call, turnout, travel, firstOn, turnQuick, turnFire, engine, full IntervalSample
	rep := IntervalReport{Query: q, Targets: t}
	window := time.Duration(t.FullAlarmWindowS * float64(time.Second))
	for i, in := range incidents {
		if q.UnitType != "" {
			in.Units = slices.DeleteFunc(slices.Clone(in.Units), func(u UnitTimes) bool { return u.Type != q.UnitType })
			if len(in.Units) == 0 {
				continue
			}
		}
		rep.Incidents++
		if i < len(origins) {
			switch origins[i] {
			case OriginLive:
				rep.Live++
			case OriginImported:
				rep.Imported++
			}
		}
		iv := ResponseIntervals(in, window)
		call.Add(iv.CallProcessing)
		firstOn.Add(iv.AlarmToFirstOnScene)
		engine.Add(iv.FirstEngineTravel)
		full.Add(iv.FullAlarmTravel)
		for _, u := range iv.Units {
			turnout.Add(u.Turnout)
			travel.Add(u.Travel)
			if in.Category.QuickTurnout() {
				turnQuick.Add(u.Turnout)
			} else {
				turnFire.Add(u.Turnout)
			}
		}
	}
	rep.CallProcessing = call.Stats(ShortBucketS)
	rep.Turnout = turnout.Stats(ShortBucketS)
	rep.Travel = travel.Stats(LongBucketS)
	rep.AlarmToFirstOnScene = firstOn.Stats(LongBucketS)
	rep.Compliance = []Compliance{
		call.Comply("call_processing", t.CallProcessing),
		turnQuick.Comply("turnout_ems", t.TurnoutQuick),
		turnFire.Comply("turnout_fire", t.TurnoutFire),
		engine.Comply("travel_first_engine", t.TravelFirstEngine),
		full.Comply("travel_full_alarm", t.TravelFullAlarm),
	}
	return rep
}
