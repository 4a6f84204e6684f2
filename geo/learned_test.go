package geo_test

import (
	"cmp"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// Points of the sample city for the synthetic trips. dcf1, dcf3 and dcf4 lie in different
// resolution-7 cells of one resolution-5 cell, 3 km apart; linqingStation and linqingEast are
// another district, 45 km away.
var (
	dcf1           = fireline.Point{Lat: 36.4575, Lng: 115.9640}
	dcf3           = fireline.Point{Lat: 36.4800, Lng: 115.9850}
	dcf4           = fireline.Point{Lat: 36.4300, Lng: 115.9800}
	linqingStation = fireline.Point{Lat: 36.8380, Lng: 115.7050}
	linqingEast    = fireline.Point{Lat: 36.8600, Lng: 115.7400}
)

func newLearned(t *testing.T, opts ...geo.LearnedOption) *geo.LearnedModel {
	t.Helper()
	m, err := geo.NewLearnedModel(geo.DefaultTravelModel(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTravelModelEstimate(t *testing.T) {
	m := geo.DefaultTravelModel()
	var e geo.Estimator = m
	got := e.Estimate(dcf1, dcf4, fireline.UnitLadder)
	s, d := m.ETA(dcf1, dcf4, fireline.UnitLadder)
	if want := (geo.Estimate{Seconds: s, Meters: d, Model: "distance-v1"}); got != want {
		t.Errorf("Estimate = %+v, want %+v", got, want)
	}
}

func TestLearnedStartsAsDistanceModel(t *testing.T) {
	m := newLearned(t)
	var _ geo.Estimator = m
	got := m.Estimate(dcf1, dcf4, fireline.UnitEngine)
	if want := geo.DefaultTravelModel().Estimate(dcf1, dcf4, fireline.UnitEngine); got != want {
		t.Errorf("untrained Estimate = %+v, want the distance model's %+v", got, want)
	}
	if m.Name() != "learned-v1" {
		t.Errorf("Name() = %q", m.Name())
	}
}

// trueTrip is a trip whose true duration is factor × the distance model's, with ±10%
// multiplicative noise: real drives scatter around their typical time.
func trueTrip(rng *rand.Rand, from, to fireline.Point, ut fireline.UnitType, factor float64) geo.Trip {
	base, _ := geo.DefaultTravelModel().ETA(from, to, ut)
	return geo.Trip{From: from, To: to, Type: ut, Seconds: base * factor * math.Exp(0.1*(2*rng.Float64()-1))}
}

func TestLearnedConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 7))
	m := newLearned(t)
	base := geo.DefaultTravelModel().Estimate(dcf1, dcf4, fireline.UnitEngine).Seconds
	var errs []float64
	for n := 1; n <= 40; n++ {
		if err := m.Observe(trueTrip(rng, dcf1, dcf4, fireline.UnitEngine, 1.5)); err != nil {
			t.Fatal(err)
		}
		got := m.Estimate(dcf1, dcf4, fireline.UnitEngine)
		errs = append(errs, math.Abs(got.Seconds/(1.5*base)-1))
	}
	got := m.Estimate(dcf1, dcf4, fireline.UnitEngine)
	if got.Model != "learned-v1:pair-r7" || got.Samples != 40 {
		t.Errorf("after 40 trips: model %q with %d samples, want learned-v1:pair-r7 with 40", got.Model, got.Samples)
	}
	// Shrinkage keeps the first trips from jumping all the way; by 20 trips the estimate is
	// within 10% of the truth and stays there.
	for n := 20; n <= 40; n++ {
		if e := errs[n-1]; e > 0.10 {
			t.Errorf("after %d trips the estimate is %.1f%% off the true 1.5× base, want within 10%%", n, 100*e)
		}
	}
	if errs[0] < errs[39] {
		t.Errorf("error grew from %.3f to %.3f", errs[0], errs[39])
	}
	t.Logf("base %.0f s, truth %.0f s, error after 1/5/20/40 trips: %.1f%% %.1f%% %.1f%% %.1f%%",
		base, 1.5*base, 100*errs[0], 100*errs[4], 100*errs[19], 100*errs[39])
}

func TestLearnedFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newLearned(t)
	for range 12 {
		if err := m.Observe(trueTrip(rng, dcf1, dcf4, fireline.UnitEngine, 1.5)); err != nil {
			t.Fatal(err)
		}
	}
	// Two trips on a neighbouring fine pair of the same coarse pair: too few to trust alone.
	for range 2 {
		if err := m.Observe(trueTrip(rng, dcf1, dcf3, fireline.UnitEngine, 3)); err != nil {
			t.Fatal(err)
		}
	}
	base := func(from, to fireline.Point, ut fireline.UnitType) float64 {
		return geo.DefaultTravelModel().Estimate(from, to, ut).Seconds
	}
	tests := []struct {
		name     string
		from, to fireline.Point
		ut       fireline.UnitType
		model    string
		samples  int
		basis    string
	}{
		{"observed pair", dcf1, dcf4, fireline.UnitEngine, "learned-v1:pair-r7", 12, "learned from 12 trips between these neighbourhoods"},
		{"two trips: coarse pair", dcf1, dcf3, fireline.UnitEngine, "learned-v1:pair-r5", 14, "learned from 14 trips between these districts"},
		{"reverse direction: unobserved fine pair, same coarse cell", dcf4, dcf1, fireline.UnitEngine, "learned-v1:pair-r5", 14, "learned from 14 trips between these districts"},
		{"other district: type", linqingStation, linqingEast, fireline.UnitEngine, "learned-v1:type", 14, "learned from 14 trips of this unit type"},
		{"unobserved type: distance", dcf1, dcf4, fireline.UnitLadder, "distance-v1", 0, "distance model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Estimate(tt.from, tt.to, tt.ut)
			if got.Model != tt.model || got.Samples != tt.samples {
				t.Errorf("model %q with %d samples, want %q with %d", got.Model, got.Samples, tt.model, tt.samples)
			}
			if got.Basis() != tt.basis {
				t.Errorf("basis %q, want %q", got.Basis(), tt.basis)
			}
			b := base(tt.from, tt.to, tt.ut)
			if tt.model == "distance-v1" && got.Seconds != b {
				t.Errorf("seconds %v, want the base %v", got.Seconds, b)
			}
			// Every trip was 1.5× base but two at 3×: shrinkage keeps those two from claiming
			// their pair, so every learned level answers between.
			if tt.model != "distance-v1" && (got.Seconds < 1.3*b || got.Seconds > 2*b) {
				t.Errorf("seconds %.0f, want 1.3–2× the base %.0f", got.Seconds, b)
			}
		})
	}
}

func TestLearnedRejectsFaults(t *testing.T) {
	far := fireline.Point{Lat: dcf1.Lat + 0.09, Lng: dcf1.Lng} // 10 km north
	tests := []struct {
		name string
		trip geo.Trip
		want string
	}{
		{"zero seconds", geo.Trip{From: dcf1, To: dcf4, Type: fireline.UnitEngine, Seconds: 0}, "positive"},
		{"negative seconds", geo.Trip{From: dcf1, To: dcf4, Type: fireline.UnitEngine, Seconds: -30}, "positive"},
		{"NaN seconds", geo.Trip{From: dcf1, To: dcf4, Type: fireline.UnitEngine, Seconds: math.NaN()}, "positive"},
		{"infinite seconds", geo.Trip{From: dcf1, To: dcf4, Type: fireline.UnitEngine, Seconds: math.Inf(1)}, "positive"},
		{"10 km in 100 s", geo.Trip{From: dcf1, To: far, Type: fireline.UnitEngine, Seconds: 100}, "GPS or clock fault"},
		{"10 km in 3 hours", geo.Trip{From: dcf1, To: far, Type: fireline.UnitEngine, Seconds: 3 * 3600}, "late status report"},
		{"no fix", geo.Trip{From: fireline.Point{}, To: dcf4, Type: fireline.UnitEngine, Seconds: 300}, "origin"},
		{"bad destination", geo.Trip{From: dcf1, To: fireline.Point{Lat: 91, Lng: 1}, Type: fireline.UnitEngine, Seconds: 300}, "destination"},
		{"unknown type", geo.Trip{From: dcf1, To: dcf4, Type: "hovercraft", Seconds: 300}, "unit type"},
	}
	m := newLearned(t, geo.WithMinSamples(1))
	before := m.Estimate(dcf1, far, fireline.UnitEngine)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Observe(tt.trip)
			if fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Observe = %v, want an EINVALID error mentioning %q", err, tt.want)
			}
		})
	}
	if after := m.Estimate(dcf1, far, fireline.UnitEngine); after != before {
		t.Errorf("rejected trips changed the estimate: %+v → %+v", before, after)
	}
	// A short trip is plausible but says nothing about roads: accepted, not learned.
	short := geo.Trip{From: dcf1, To: fireline.Point{Lat: dcf1.Lat + 0.001, Lng: dcf1.Lng}, Type: fireline.UnitEngine, Seconds: 400}
	if err := m.Observe(short); err != nil {
		t.Errorf("short slow trip rejected: %v", err)
	}
	want := geo.LearnedStats{Rejected: len(tests), Skipped: 1}
	if got := m.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	n, first := m.Replay([]geo.Trip{tests[0].trip, {From: dcf1, To: dcf4, Type: fireline.UnitEngine, Seconds: 400}, tests[4].trip})
	if n != 2 || fireline.ErrorCode(first) != fireline.EINVALID || !strings.Contains(first.Error(), "positive") {
		t.Errorf("Replay = %d, %v; want 2 rejected, the first for its duration", n, first)
	}
	if got := m.Stats().Learned; got != 1 {
		t.Errorf("Replay learned %d trips, want the 1 good one", got)
	}
}

func TestNewLearnedModelValidates(t *testing.T) {
	tests := []struct {
		name string
		opt  geo.LearnedOption
	}{
		{"pair resolution 16", geo.WithPairResolution(16)},
		{"fallback not coarser", geo.WithFallbackResolution(7)},
		{"negative fallback", geo.WithFallbackResolution(-1)},
		{"zero samples", geo.WithMinSamples(0)},
		{"negative prior", geo.WithPriorWeight(-1)},
		{"NaN prior", geo.WithPriorWeight(math.NaN())},
		{"no memory", geo.WithMemory(0.5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := geo.NewLearnedModel(geo.DefaultTravelModel(), tt.opt); fireline.ErrorCode(err) != fireline.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
	if _, err := geo.NewLearnedModel(geo.TravelModel{RoadFactor: 0.5}); err == nil {
		t.Error("an invalid base model was accepted")
	}
	if _, err := geo.NewLearnedModel(geo.DefaultTravelModel(), geo.WithPairResolution(8), geo.WithFallbackResolution(6)); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}

// TestLearnedDeterministicAndConcurrent replays the same trips into two models, one of them
// while readers estimate concurrently (run with -race), and expects the same answers.
func TestLearnedDeterministicAndConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	ends := []fireline.Point{dcf1, dcf3, dcf4, linqingStation, linqingEast}
	var trips []geo.Trip
	for range 300 {
		a, b := ends[rng.IntN(len(ends))], ends[rng.IntN(len(ends))]
		if a == b || geo.DistanceMeters(a, b) > 20000 {
			continue
		}
		trips = append(trips, trueTrip(rng, a, b, fireline.UnitTypes[rng.IntN(2)], 1+rng.Float64()))
	}
	serial, concurrent := newLearned(t), newLearned(t)
	if n, err := serial.Replay(trips); n != 0 {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					concurrent.Estimate(dcf1, dcf4, fireline.UnitEngine)
					concurrent.Stats()
				}
			}
		})
	}
	for _, tr := range trips {
		if err := concurrent.Observe(tr); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	for _, a := range ends {
		for _, b := range ends {
			for _, ut := range fireline.UnitTypes {
				if x, y := serial.Estimate(a, b, ut), concurrent.Estimate(a, b, ut); x != y {
					t.Errorf("%s → %s %s: %+v and %+v", a, b, ut, x, y)
				}
			}
		}
	}
}

// sfCalls is the San Francisco Fire Department's calls for service, 31 Dec 2016 – 3 Jan 2017
// (DataSF, "Fire Department Calls for Service"), one row per unit per call.
// The project's shared data sits beside the checkout (../shared/data from the module root), so
// the test looks for it relative to this package's folder, never at an absolute path.
const sfCalls = "../../shared/data/sf/fire_calls_2016-12-31_to_2017-01-03.csv"

// sfTrip is one en-route → on-scene drive of the SF data, with its en-route time for ordering.
type sfTrip struct {
	geo.Trip
	enRoute time.Time
	row     string
}

// loadSFTrips reads the engine and truck drives of the SF data.
//
// The data give the scene ("Location") but not where the unit was when it went en route. Most
// engines and trucks leave from quarters, and SF names them after their station (E39 and T39
// live at station 39), so the origin of a drive is its unit's station. Station positions are not
// in the data either: each is estimated as the median position of the calls in its station area
// (one per call, not per unit), since stations are sited near the middle of their first-due
// area. The estimate is off by a few hundred metres and a unit that is already out on the road
// leaves from elsewhere: noise both models suffer alike, which the learned one must see through.
// Medic, chief and private ambulance units are left out: they are posted around the city, not
// housed at a station we could place.
func loadSFTrips(t *testing.T) []sfTrip {
	t.Helper()
	f, err := os.Open(sfCalls)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("SF data not found at %s (CI has it): skipping the replay test", sfCalls)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, h := range []string{"Call Number", "Unit ID", "Response DtTm", "On Scene DtTm", "Station Area", "Unit Type", "Location", "RowID"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("SF data has no column %q", h)
		}
	}
	type row struct {
		unit, unitType, area, call, id string
		enRoute, onScene               string
		at                             fireline.Point
	}
	var rows []row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		at, ok := parseSFLocation(rec[col["Location"]])
		if !ok {
			continue
		}
		rows = append(rows, row{
			unit: rec[col["Unit ID"]], unitType: rec[col["Unit Type"]], area: rec[col["Station Area"]],
			call: rec[col["Call Number"]], id: rec[col["RowID"]],
			enRoute: rec[col["Response DtTm"]], onScene: rec[col["On Scene DtTm"]], at: at,
		})
	}
	// Station positions: the median call of each station area.
	lats, lngs, seen := map[string][]float64{}, map[string][]float64{}, map[string]bool{}
	for _, r := range rows {
		if seen[r.call] || r.area == "" {
			continue
		}
		seen[r.call] = true
		lats[r.area] = append(lats[r.area], r.at.Lat)
		lngs[r.area] = append(lngs[r.area], r.at.Lng)
	}
	var trips []sfTrip
	for _, r := range rows {
		ut, prefix := fireline.UnitEngine, "E"
		if r.unitType == "TRUCK" {
			ut, prefix = fireline.UnitLadder, "T"
		} else if r.unitType != "ENGINE" {
			continue
		}
		station := strings.TrimPrefix(r.unit, prefix)
		if len(lats[station]) == 0 || r.enRoute == "" || r.onScene == "" {
			continue
		}
		// Local time (America/Los_Angeles, no DST change in these days): only differences matter.
		const layout = "01/02/2006 03:04:05 PM"
		from, err1 := time.Parse(layout, r.enRoute)
		to, err2 := time.Parse(layout, r.onScene)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %s: bad times %q, %q", r.id, r.enRoute, r.onScene)
		}
		trips = append(trips, sfTrip{
			Trip: geo.Trip{
				From:    fireline.Point{Lat: median(lats[station]), Lng: median(lngs[station])},
				To:      r.at,
				Type:    ut,
				Seconds: to.Sub(from).Seconds(),
			},
			enRoute: from, row: r.id,
		})
	}
	// Replay in the order the trips happened, as the service does from PostgreSQL.
	slices.SortStableFunc(trips, func(a, b sfTrip) int {
		return cmp.Or(a.enRoute.Compare(b.enRoute), cmp.Compare(a.row, b.row))
	})
	return trips
}

// parseSFLocation parses "(37.745858648581, -122.456664252061)".
func parseSFLocation(s string) (fireline.Point, bool) {
	lat, lng, ok := strings.Cut(strings.Trim(s, "()"), ",")
	if !ok {
		return fireline.Point{}, false
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	ln, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
	p := fireline.Point{Lat: la, Lng: ln}
	return p, err1 == nil && err2 == nil && p.Validate() == nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// TestLearnedSFReplay is acceptance 4: replaying recorded en-route → on-scene trips moves
// estimates toward observations. The first three quarters of the drives (in time) train the
// model; the last quarter, never seen, is predicted by the distance model and by the learned
// one.
func TestLearnedSFReplay(t *testing.T) {
	all := loadSFTrips(t)
	// Only drives the model can learn from are scored: faulty ones are rejected, and drives of
	// MinTripMeters or less (a call beside the estimated station) measure our station guess, not
	// the roads.
	var trips []sfTrip
	faulty := 0
	for _, tr := range all {
		switch {
		case tr.Validate() != nil:
			faulty++
		case geo.DistanceMeters(tr.From, tr.To) > geo.MinTripMeters:
			trips = append(trips, tr)
		}
	}
	if len(trips) < 500 {
		t.Fatalf("only %d usable SF drives; the data file changed?", len(trips))
	}
	split := len(trips) * 3 / 4
	train, test := trips[:split], trips[split:]

	// typeOnly learns at resolution-15 pairs (a square metre), which never repeat: it shows how
	// much of the gain is one speed correction per type and how much the pairs add.
	m, typeOnly := newLearned(t), newLearned(t, geo.WithPairResolution(15), geo.WithFallbackResolution(14))
	for _, tr := range train {
		if err := m.Observe(tr.Trip); err != nil {
			t.Fatal(err)
		}
		if err := typeOnly.Observe(tr.Trip); err != nil {
			t.Fatal(err)
		}
	}
	dist := geo.DefaultTravelModel()
	var baseAbs, learnedAbs, typeAbs, baseLog, learnedLog, typeLog float64
	levels := map[string]int{}
	for _, tr := range test {
		b := dist.Estimate(tr.From, tr.To, tr.Type)
		l := m.Estimate(tr.From, tr.To, tr.Type)
		ty := typeOnly.Estimate(tr.From, tr.To, tr.Type)
		levels[l.Model]++
		baseAbs += math.Abs(b.Seconds - tr.Seconds)
		learnedAbs += math.Abs(l.Seconds - tr.Seconds)
		typeAbs += math.Abs(ty.Seconds - tr.Seconds)
		baseLog += math.Abs(math.Log(b.Seconds / tr.Seconds))
		learnedLog += math.Abs(math.Log(l.Seconds / tr.Seconds))
		typeLog += math.Abs(math.Log(ty.Seconds / tr.Seconds))
	}
	n := float64(len(test))
	t.Logf("%d drives (%d faulty rejected, %d too short), %d trained, %d held out; levels used on held-out: %v",
		len(all), faulty, len(all)-faulty-len(trips), len(train), len(test), levels)
	t.Logf("held-out mean absolute error: distance-v1 %.0f s, type ratio only %.0f s, learned-v1 %.0f s", baseAbs/n, typeAbs/n, learnedAbs/n)
	t.Logf("held-out mean |ln(estimate/observed)|: distance-v1 %.3f, type ratio only %.3f, learned-v1 %.3f", baseLog/n, typeLog/n, learnedLog/n)
	if learnedAbs >= baseAbs {
		t.Errorf("learned mean absolute error %.0f s is not below the distance model's %.0f s", learnedAbs/n, baseAbs/n)
	}
	if learnedLog >= baseLog {
		t.Errorf("learned mean log error %.3f is not below the distance model's %.3f", learnedLog/n, baseLog/n)
	}
	if learnedLog >= typeLog {
		t.Errorf("learned mean log error %.3f is not below the type ratio's %.3f: the pairs add nothing", learnedLog/n, typeLog/n)
	}

	// The most observed fine pair: its estimate moves from the distance model toward the
	// pair's observed median.
	type key struct {
		ut       fireline.UnitType
		from, to geo.Cell
	}
	groups := map[key][]sfTrip{}
	for _, tr := range train {
		a, err1 := geo.CellOf(tr.From, 7)
		b, err2 := geo.CellOf(tr.To, 7)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		k := key{tr.Type, a, b}
		groups[k] = append(groups[k], tr)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(-cmp.Compare(len(groups[a]), len(groups[b])), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to), cmp.Compare(a.ut, b.ut))
	})
	busiest := groups[keys[0]]
	var observed, baseSec, learnedSec, ratios []float64
	var model string
	for _, tr := range busiest {
		b := dist.Estimate(tr.From, tr.To, tr.Type).Seconds
		l := m.Estimate(tr.From, tr.To, tr.Type)
		model = l.Model
		observed, baseSec, learnedSec = append(observed, tr.Seconds), append(baseSec, b), append(learnedSec, l.Seconds)
		ratios = append(ratios, tr.Seconds/b)
	}
	mo, mb, ml := median(observed), median(baseSec), median(learnedSec)
	t.Logf("busiest pair (%s, %s → %s, %d drives, %s): median observed %.0f s, distance-v1 %.0f s, learned %.0f s; observed/base ratio median %.2f, learned %.2f",
		keys[0].ut, keys[0].from, keys[0].to, len(busiest), model, mo, mb, ml, median(ratios), median(learnedSec)/mb)
	if model != "learned-v1:pair-r7" {
		t.Errorf("busiest pair answered by %q, want its own pair level", model)
	}
	if math.Abs(ml-mo) >= math.Abs(mb-mo) {
		t.Errorf("busiest pair: learned median %.0f s is no closer to the observed %.0f s than the distance model's %.0f s", ml, mo, mb)
	}
	if r := median(ratios); math.Abs(math.Log(ml/mb)-math.Log(r)) > 0.5*math.Abs(math.Log(r)) {
		t.Errorf("busiest pair: learned ratio %.2f did not cover half the way from 1 to the observed %.2f", ml/mb, r)
	}
}
