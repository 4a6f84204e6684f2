package resources_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// plans is an in-memory run-card store.
type plans map[string][]fireline.PlanSlot

func (p plans) ResponsePlan(_ context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error) {
	slots, ok := p[fmt.Sprintf("%s/%d", t, level)]
	if !ok {
		return fireline.ResponsePlan{}, fireline.Errorf(fireline.ENOTFOUND, "no response plan for %s level %d", t, level)
	}
	return fireline.ResponsePlan{IncidentType: t, Level: level, Slots: slots}, nil
}

// east returns the point m metres east of the scene.
func east(m float64) fireline.Point {
	return fireline.Point{Lat: centre.Lat, Lng: centre.Lng + m/(111195.08*math.Cos(centre.Lat*math.Pi/180))}
}

func recommendUnits() []fireline.Unit {
	return []fireline.Unit{
		{ID: "e0", Type: fireline.UnitEngine, Status: fireline.UnitDispatched, IncidentID: 3, Point: east(100)},
		unit("e1", fireline.UnitEngine, east(500)),
		unit("e2", fireline.UnitEngine, east(1000)),
		unit("e3", fireline.UnitEngine, east(1500)),
		unit("e4", fireline.UnitEngine, east(2000)),
		unit("e5", fireline.UnitEngine, east(3000)),
		unit("l1", fireline.UnitLadder, east(800)),
		unit("l2", fireline.UnitLadder, east(4000)),
		unit("r1", fireline.UnitRescue, east(1200)),
		// Farther than r1 but faster: the command car arrives first.
		unit("c1", fireline.UnitCommand, east(1300)),
	}
}

func recIDs(recs []fireline.Recommendation) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.UnitID
	}
	return out
}

func TestRecommend(t *testing.T) {
	p := plans{
		"structure_fire/1":   {{Type: fireline.UnitEngine, Count: 2}, {Type: fireline.UnitLadder, Count: 1}, {Type: fireline.UnitRescue, Count: 1}},
		"hazmat/1":           {{Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitTanker, Count: 2}, {Type: fireline.UnitLadder, Count: 3}},
		"traffic_accident/1": {{Type: fireline.UnitRescue, Count: 1}, {Type: fireline.UnitCommand, Count: 1}},
		"high_rise_fire/2":   {{Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitLadder, Count: 1}, {Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitHazmat, Count: 0}},
		"vehicle_fire/1":     {},
	}
	tests := []struct {
		name       string
		req        resources.Request
		units      []string // fastest first
		alternates []string // slot by slot
		short      []fireline.PlanSlot
	}{
		{
			name:       "mixed plan",
			req:        resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1},
			units:      []string{"e1", "l1", "e2", "r1"}, // by ETA: 61 s, 114 s, 123 s, 141 s
			alternates: []string{"e3", "e4", "l2"},
			short:      []fireline.PlanSlot{},
		},
		{
			name:       "exclude",
			req:        resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1, Exclude: []string{"e1", "l1", "nobody"}},
			units:      []string{"e2", "r1", "e3", "l2"}, // 123 s, 141 s, 184 s, 568 s
			alternates: []string{"e4", "e5"},
			short:      []fireline.PlanSlot{},
		},
		{
			name:       "short: a missing type and too few of another",
			req:        resources.Request{Point: centre, Type: fireline.TypeHazmat, Level: 1},
			units:      []string{"e1", "l1", "l2"},
			alternates: []string{"e2", "e3"},
			short:      []fireline.PlanSlot{{Type: fireline.UnitTanker, Count: 2}, {Type: fireline.UnitLadder, Count: 1}},
		},
		{
			name:       "a faster type farther away arrives first",
			req:        resources.Request{Point: centre, Type: fireline.TypeTrafficAccident, Level: 1},
			units:      []string{"c1", "r1"},
			alternates: []string{},
			short:      []fireline.PlanSlot{},
		},
		{
			name:       "slots of one type merged, empty slots ignored",
			req:        resources.Request{Point: centre, Type: fireline.TypeHighRiseFire, Level: 2},
			units:      []string{"e1", "l1", "e2"},
			alternates: []string{"e3", "e4", "l2"},
			short:      []fireline.PlanSlot{},
		},
		{
			name:       "empty plan",
			req:        resources.Request{Point: centre, Type: fireline.TypeVehicleFire, Level: 1},
			units:      []string{},
			alternates: []string{},
			short:      []fireline.PlanSlot{},
		},
	}
	x := newIndex(t, recommendUnits())
	model := geo.DefaultTravelModel()
	r := resources.NewRecommender(x, p)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Recommend(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := recIDs(res.Units); !slices.Equal(got, tt.units) {
				t.Errorf("units %v, want %v", got, tt.units)
			}
			if got := recIDs(res.Alternates); !slices.Equal(got, tt.alternates) {
				t.Errorf("alternates %v, want %v", got, tt.alternates)
			}
			if !slices.Equal(res.Short, tt.short) {
				t.Errorf("short %v, want %v", res.Short, tt.short)
			}
			all := slices.Concat(recIDs(res.Units), recIDs(res.Alternates))
			if len(slices.Compact(slices.Sorted(slices.Values(all)))) != len(all) {
				t.Errorf("a unit appears twice: %v", all)
			}
			for i, rec := range res.Units {
				if i > 0 && rec.ETASeconds < res.Units[i-1].ETASeconds {
					t.Errorf("units not fastest first: %v", recIDs(res.Units))
				}
			}
			for _, rec := range slices.Concat(res.Units, res.Alternates) {
				if slices.Contains(tt.req.Exclude, rec.UnitID) {
					t.Errorf("excluded %s recommended", rec.UnitID)
				}
				var u fireline.Unit
				for _, c := range recommendUnits() {
					if c.ID == rec.UnitID {
						u = c
					}
				}
				eta, dist := model.ETA(u.Point, centre, u.Type)
				want := fireline.Recommendation{UnitID: u.ID, Type: u.Type, ETASeconds: eta, DistanceMeters: dist, StationID: u.StationID,
					Model: "distance-v1", PositionSource: fireline.PositionStation}
				if !strings.Contains(rec.Reason, string(u.Type)+" by ETA") || !strings.HasSuffix(rec.Reason, "(no AVL fix)") {
					t.Errorf("reason %q, want the rank by ETA and no AVL fix", rec.Reason)
				}
				rec.Reason = ""
				if rec != want {
					t.Errorf("recommendation %+v, want %+v", rec, want)
				}
			}
		})
	}
}

func TestRecommendWithTravelModel(t *testing.T) {
	m := geo.DefaultTravelModel()
	m.SpeedMPS = map[fireline.UnitType]float64{fireline.UnitRescue: 20}
	r := resources.NewRecommender(newIndex(t, recommendUnits()),
		plans{"traffic_accident/1": {{Type: fireline.UnitRescue, Count: 1}, {Type: fireline.UnitCommand, Count: 1}}},
		resources.WithTravelModel(m))
	res, err := r.Recommend(context.Background(), resources.Request{Point: centre, Type: fireline.TypeTrafficAccident, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(res.Units); !slices.Equal(got, []string{"r1", "c1"}) {
		t.Errorf("units %v, want the now faster rescue first", got)
	}
	if want := geo.DistanceMeters(east(1200), centre) * m.RoadFactor / 20; math.Abs(res.Units[0].ETASeconds-want) > 1e-9 {
		t.Errorf("rescue ETA %v, want %v", res.Units[0].ETASeconds, want)
	}
}

func TestRecommendErrors(t *testing.T) {
	x := newIndex(t, recommendUnits())
	p := plans{
		"structure_fire/1": {{Type: fireline.UnitEngine, Count: 1}},
		"structure_fire/2": {{Type: "fireboat", Count: 1}},
		"structure_fire/3": {{Type: fireline.UnitEngine, Count: -1}},
	}
	broken := geo.DefaultTravelModel()
	broken.RoadFactor = 0
	ok := resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1}
	with := func(edit func(*resources.Request)) resources.Request {
		r := ok
		edit(&r)
		return r
	}
	tests := []struct {
		name string
		r    *resources.Recommender
		req  resources.Request
		code string
	}{
		{"valid", resources.NewRecommender(x, p), ok, ""},
		{"no position", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Point = fireline.Point{} }), fireline.EINVALID},
		{"malformed type", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Type = "Alien landing" }), fireline.EINVALID},
		{"level 0", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Level = 0 }), fireline.EINVALID},
		{"level 6", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Level = 6 }), fireline.EINVALID},
		{"no plan", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Level = 4 }), fireline.ENOTFOUND},
		{"plan with an unknown unit type", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Level = 2 }), fireline.EINTERNAL},
		{"plan with a negative count", resources.NewRecommender(x, p), with(func(r *resources.Request) { r.Level = 3 }), fireline.EINTERNAL},
		{"broken travel model", resources.NewRecommender(x, p, resources.WithTravelModel(broken)), ok, fireline.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.r.Recommend(context.Background(), tt.req)
			if code := fireline.ErrorCode(err); code != tt.code {
				t.Errorf("error %v (code %q), want code %q", err, code, tt.code)
			}
		})
	}
}

// TestRecommendStaleAVL: a unit whose fix has gone stale is recommended from its home station,
// and the recommendation says so; once it reports again it is back at its fix.
func TestRecommendStaleAVL(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := now
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	home := east(6000)
	units := []fireline.Unit{
		// Fresh fix 1 km out, station far away.
		{ID: "e1", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, StationID: "DCF-3", Point: east(1000), PositionAt: ago(12 * time.Second), Home: &home},
		// Stale fix 500 m out: from its station, 6 km out.
		{ID: "e2", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, StationID: "DCF-1", Point: east(500), PositionAt: ago(45 * time.Minute), Home: &home},
		// Never reported: at its station, 2 km out.
		{ID: "e3", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, StationID: "DCF-2", Point: east(2000), Home: ptr(east(2000))},
		// Stale and homeless: the old fix is all there is.
		{ID: "e4", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, Point: east(3000), PositionAt: ago(3 * time.Hour)},
	}
	x := resources.NewIndex(resources.WithClock(func() time.Time { return clock }))
	if err := x.Replace(units); err != nil {
		t.Fatal(err)
	}
	r := resources.NewRecommender(x, plans{"structure_fire/1": {{Type: fireline.UnitEngine, Count: 4}}})
	res, err := r.Recommend(context.Background(), resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     string
		source fireline.PositionSource
		stale  bool
		reason string
	}{
		{"e1", fireline.PositionAVL, false, "nearest engine by ETA, 1.0 km, 2:03, of station DCF-3 (AVL 12 s old)"},
		{"e3", fireline.PositionStation, false, "2nd-nearest engine by ETA, 2.0 km, 4:05 from home station DCF-2 (no AVL fix)"},
		{"e4", fireline.PositionAVL, true, "3rd-nearest engine by ETA, 3.0 km, 6:08 from its last AVL fix (stale 3 h; no home station)"},
		{"e2", fireline.PositionStation, true, "4th-nearest engine by ETA, 6.0 km, 12:16 from home station DCF-1 (AVL stale 45 min)"},
	}
	if len(res.Units) != len(want) {
		t.Fatalf("units %v, want %d", recIDs(res.Units), len(want))
	}
	for i, w := range want {
		got := res.Units[i]
		if got.UnitID != w.id || got.PositionSource != w.source || got.PositionStale != w.stale || got.Reason != w.reason {
			t.Errorf("#%d: %s %s stale=%v %q\nwant %s %s stale=%v %q", i, got.UnitID, got.PositionSource, got.PositionStale, got.Reason,
				w.id, w.source, w.stale, w.reason)
		}
	}

	// e1 goes quiet: 31 minutes later its fix is stale too, with nobody touching the index.
	clock = now.Add(31 * time.Minute)
	res, err = r.Recommend(context.Background(), resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(res.Units); !slices.Equal(got, []string{"e3", "e4", "e1", "e2"}) {
		t.Errorf("after e1's fix aged out: %v, want e3 e4 e1 e2", got)
	}
	for _, rec := range res.Units {
		if rec.UnitID == "e1" && (!rec.PositionStale || rec.PositionSource != fireline.PositionStation) {
			t.Errorf("e1 after 31 min: %+v, want from its station", rec)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestRecommendWithLearnedModel: history that shows the roads from the nearer engine's area to be
// slow (a closed bridge, say) puts the farther engine first, and the recommendation names the
// model, its trips and the history in its reason.
func TestRecommendWithLearnedModel(t *testing.T) {
	near, far := east(1500), east(-2500)
	m, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		for _, tr := range []struct {
			from   fireline.Point
			factor float64
		}{{near, 3}, {far, 1}} {
			base, _ := geo.DefaultTravelModel().ETA(tr.from, centre, fireline.UnitEngine)
			if err := m.Observe(geo.Trip{From: tr.from, To: centre, Type: fireline.UnitEngine, Seconds: base * tr.factor}); err != nil {
				t.Fatal(err)
			}
		}
	}
	units := []fireline.Unit{unit("near", fireline.UnitEngine, near), unit("far", fireline.UnitEngine, far)}
	p := plans{"structure_fire/1": {{Type: fireline.UnitEngine, Count: 1}}}
	ctx := context.Background()
	req := resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1}

	plain, err := resources.NewRecommender(newIndex(t, units), p).Recommend(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(plain.Units); !slices.Equal(got, []string{"near"}) {
		t.Fatalf("distance model sends %v, want the nearer engine", got)
	}
	res, err := resources.NewRecommender(newIndex(t, units), p, resources.WithEstimator(m)).Recommend(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(res.Units); !slices.Equal(got, []string{"far"}) {
		t.Fatalf("learned model sends %v, want the engine whose roads are faster", got)
	}
	rec := res.Units[0]
	want := m.Estimate(far, centre, fireline.UnitEngine)
	if rec.ETASeconds != want.Seconds || rec.Model != "learned-v1:pair-r7" || rec.ModelSamples != 10 {
		t.Errorf("recommendation %+v, want ETA %v from learned-v1:pair-r7 with 10 trips", rec, want.Seconds)
	}
	if !strings.HasSuffix(rec.Reason, "; ETA learned from 10 trips between these neighbourhoods") {
		t.Errorf("reason %q does not name the history behind the ETA", rec.Reason)
	}
	if alt := res.Alternates; len(alt) != 1 || alt[0].UnitID != "near" || alt[0].ETASeconds <= rec.ETASeconds {
		t.Errorf("alternates %+v, want the slower nearer engine", alt)
	}
}

// TestRecommendDifference: an incident that already has units of the plan is recommended only
// what it still lacks, as a level upgrade needs.
func TestRecommendDifference(t *testing.T) {
	p := plans{"structure_fire/3": {{Type: fireline.UnitEngine, Count: 3}, {Type: fireline.UnitLadder, Count: 1}, {Type: fireline.UnitRescue, Count: 1}}}
	r := resources.NewRecommender(newIndex(t, recommendUnits()), p)
	res, err := r.Recommend(context.Background(), resources.Request{
		Point: centre, Type: fireline.TypeStructureFire, Level: 3, Exclude: []string{"e1", "e2"},
		Have: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}, {Type: fireline.UnitLadder, Count: 1}, {Type: fireline.UnitHazmat, Count: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(res.Units); !slices.Equal(got, []string{"r1", "e3"}) { // by ETA
		t.Errorf("units %v, want the one more engine and the rescue the incident lacks", got)
	}
	if len(res.Short) != 0 {
		t.Errorf("short %v", res.Short)
	}
}

// TestRecommendSlots: explicit slots are filled instead of the run card, as a replacement for a
// silent unit asks for one unit of its type.
func TestRecommendSlots(t *testing.T) {
	r := resources.NewRecommender(newIndex(t, recommendUnits()), plans{})
	res, err := r.Recommend(context.Background(), resources.Request{
		Point: centre, Type: fireline.TypeStructureFire, Level: 4, Exclude: []string{"l1"},
		Slots: []fireline.PlanSlot{{Type: fireline.UnitLadder, Count: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := recIDs(res.Units); !slices.Equal(got, []string{"l2"}) || len(res.Alternates) != 0 {
		t.Errorf("units %v alternates %v, want the one other ladder and no run card needed", got, recIDs(res.Alternates))
	}
}
