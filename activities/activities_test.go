package activities_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/resources"
)

// store is PostgreSQL as the activities see it: which units are taken, and the recommendation
// saved on the incident. The embedded nil Store panics if anything else is reached for.
type store struct {
	activities.Store
	taken  map[string]bool
	checks int
	saved  []fireline.Recommendation
	// alternates and short are what the last save stored beside saved; saves counts them.
	alternates []fireline.Recommendation
	short      []fireline.PlanSlot
	saves      int
	// assessedBy and assessedAt are what the last assessment gave the store.
	assessedBy string
	assessedAt time.Time
	// held is the recommendation intake held on the incident.
	held *fireline.HeldRecommendation
	// events are the timeline events appended, in order.
	events []fireline.TimelineEvent
}

func (s *store) Unavailable(_ context.Context, ids []string) ([]string, error) {
	s.checks++
	var out []string
	for _, id := range ids {
		if s.taken[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *store) SaveRecommendation(_ context.Context, _ int64, recs, alternates []fireline.Recommendation, short []fireline.PlanSlot) error {
	s.saved, s.alternates, s.short = recs, alternates, short
	s.saves++
	return nil
}

func (s *store) AssessIncident(_ context.Context, _ int64, _ fireline.IncidentType, _ int, _ fireline.Priority, by string, at time.Time) error {
	s.assessedBy, s.assessedAt = by, at
	return nil
}

func (s *store) AppendEvent(_ context.Context, e fireline.TimelineEvent) error {
	s.events = append(s.events, e)
	return nil
}

// HoldRecommendation keeps what intake recommended, as PostgreSQL's incident row does, dated
// by the store's clock.
func (s *store) HoldRecommendation(_ context.Context, _ int64, h fireline.HeldRecommendation) error {
	h.At = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	s.held = &h
	return nil
}

func (s *store) HeldRecommendation(context.Context, int64) (fireline.HeldRecommendation, bool, error) {
	if s.held == nil {
		return fireline.HeldRecommendation{}, false, nil
	}
	return *s.held, true, nil
}

func (s *store) Premise(_ context.Context, id string) (fireline.Premise, error) {
	return fireline.Premise{}, fireline.Errorf(fireline.ENOTFOUND, "premises %q not found", id)
}

type plans struct{}

func (plans) ResponsePlan(_ context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error) {
	return fireline.ResponsePlan{IncidentType: t, Level: level, Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}}}, nil
}

// TestRecommendNeverOffersATakenUnit: the index still holds E1 and E2 as available (the change
// feed has not caught up), but another incident reserved E1 a moment ago. The recommendation
// must not offer it, as a unit or as an alternate.
func TestRecommendNeverOffersATakenUnit(t *testing.T) {
	scene := fireline.Point{Lat: 36.456, Lng: 115.985}
	var units []fireline.Unit
	for i, id := range []string{"E1", "E2", "E3", "E4", "E5"} {
		units = append(units, fireline.Unit{ID: id, Type: fireline.UnitEngine, Status: fireline.UnitAvailable,
			Point: fireline.Point{Lat: scene.Lat + 0.005*float64(i+1), Lng: scene.Lng}})
	}
	x := resources.NewIndex()
	if err := x.Replace(units); err != nil {
		t.Fatal(err)
	}
	st := &store{taken: map[string]bool{"E1": true, "E3": true}}
	a := activities.New(st, resources.NewRecommender(x, plans{}), nil, slog.New(slog.DiscardHandler))
	res, err := a.Recommend(context.Background(), activities.RecommendInput{IncidentID: 2, Point: scene, Type: fireline.TypeStructureFire, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(recs []fireline.Recommendation) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.UnitID)
		}
		return out
	}
	if got := ids(res.Units); !slices.Equal(got, []string{"E2", "E4"}) {
		t.Errorf("units %v, want the nearest two that are not taken", got)
	}
	if got := ids(res.Alternates); !slices.Equal(got, []string{"E5"}) {
		t.Errorf("alternates %v, want E5 alone", got)
	}
	if !slices.Equal(ids(st.saved), ids(res.Units)) || st.checks != 2 {
		t.Errorf("saved %v after %d checks, want the checked units after one retry", ids(st.saved), st.checks)
	}

	// Everything taken behind the index's back: the plan comes back short rather than offer a
	// taken unit.
	for _, u := range units {
		st.taken[u.ID] = true
	}
	res, err = a.Recommend(context.Background(), activities.RecommendInput{IncidentID: 3, Point: scene, Type: fireline.TypeStructureFire, Level: 1})
	if err != nil || len(res.Units)+len(res.Alternates) != 0 || len(res.Short) != 1 || res.Short[0].Count != 2 {
		t.Errorf("every unit taken: %+v, %v; want the plan short of two engines", res, err)
	}
}

// TestRecommendStoresWhatTheConsoleShows: a recommendation is stored with its alternates and
// the slots no unit could fill; a probe for a replacement stores nothing.
func TestRecommendStoresWhatTheConsoleShows(t *testing.T) {
	scene := fireline.Point{Lat: 36.456, Lng: 115.985}
	x := resources.NewIndex()
	if err := x.Replace([]fireline.Unit{
		{ID: "E1", Type: fireline.UnitEngine, Status: fireline.UnitAvailable, Point: fireline.Point{Lat: scene.Lat + 0.01, Lng: scene.Lng}},
	}); err != nil {
		t.Fatal(err)
	}
	st := &store{taken: map[string]bool{}}
	a := activities.New(st, resources.NewRecommender(x, plans{}), nil, slog.New(slog.DiscardHandler))
	res, err := a.Recommend(context.Background(), activities.RecommendInput{IncidentID: 2, Point: scene, Type: fireline.TypeStructureFire, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.saves != 1 || len(st.saved) != 1 || len(res.Short) != 1 || !slices.Equal(st.short, res.Short) || !slices.Equal(st.alternates, res.Alternates) {
		t.Errorf("stored %v / %v / %v, want the result %+v", st.saved, st.alternates, st.short, res)
	}
	if _, err := a.Recommend(context.Background(), activities.RecommendInput{IncidentID: 2, Point: scene, Type: fireline.TypeStructureFire,
		Level: 1, Probe: true, Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	if st.saves != 1 {
		t.Errorf("a probe stored a recommendation (%d saves)", st.saves)
	}
}

// TestAssessedBy: the store is told who the first assessment counts as; an incident whose
// workflow predates AssessedBy counts it as the event's actor's.
func TestAssessedBy(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, by, actor, want string
	}{
		{"pre-plan", "pre-plan", "pre-plan", "pre-plan"},
		{"at dispatch", "dispatch", "operator", "dispatch"},
		{"before AssessedBy existed", "", "operator", "operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			a := activities.New(st, nil, nil, slog.New(slog.DiscardHandler))
			err := a.AssessIncident(context.Background(), activities.AssessInput{IncidentID: 2, Type: fireline.TypeStructureFire, Level: 1,
				Priority: 2, AssessedBy: tt.by, Event: fireline.TimelineEvent{IncidentID: 2, Key: "assessed:1", At: at, Kind: fireline.EventAssessed, Actor: tt.actor}})
			if err != nil {
				t.Fatal(err)
			}
			if st.assessedBy != tt.want || !st.assessedAt.Equal(at) {
				t.Errorf("stored by %q at %s, want %q at %s", st.assessedBy, st.assessedAt, tt.want, at)
			}
		})
	}
}

// TestWorkflowTakesOverTheRecommendationMadeAtIntake: intake recommends E1 and E2 the moment
// the alarm is stored; the workflow's first recommendation takes them over, dated when intake
// stored them, without storing them again. Once E1 is taken by another incident, the held
// recommendation no longer stands and the workflow recommends afresh; a held recommendation
// made for another level is not taken over either.
func TestWorkflowTakesOverTheRecommendationMadeAtIntake(t *testing.T) {
	scene := fireline.Point{Lat: 36.456, Lng: 115.985}
	x := resources.NewIndex()
	var units []fireline.Unit
	for i, id := range []string{"E1", "E2", "E3"} {
		units = append(units, fireline.Unit{ID: id, Type: fireline.UnitEngine, Status: fireline.UnitAvailable,
			Point: fireline.Point{Lat: scene.Lat + 0.005*float64(i+1), Lng: scene.Lng}})
	}
	if err := x.Replace(units); err != nil {
		t.Fatal(err)
	}
	st := &store{taken: map[string]bool{}}
	rec := resources.NewRecommender(x, plans{})
	first := resources.NewFirstResponder(rec, st, slog.New(slog.DiscardHandler))
	alarm := fireline.Alarm{ID: 7, Type: fireline.TypeStructureFire, Point: scene}
	recs, err := first.RecommendFirst(context.Background(), 2, alarm)
	if err != nil || len(recs) != 2 || recs[0].UnitID != "E1" || recs[1].UnitID != "E2" || st.held == nil || st.held.Level != fireline.MinLevel {
		t.Fatalf("recommended at intake %+v (held %+v), %v; want E1, E2 held for level 1", recs, st.held, err)
	}

	a := activities.New(st, rec, nil, slog.New(slog.DiscardHandler))
	in := activities.RecommendInput{IncidentID: 2, Point: scene, Type: fireline.TypeStructureFire, Level: 1, Held: true}
	res, err := a.Recommend(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.HeldAt == nil || !res.HeldAt.Equal(st.held.At) || len(res.Units) != 2 || res.Units[0].UnitID != "E1" || st.saves != 0 {
		t.Errorf("took over %+v after %d saves, want intake's E1, E2 dated %s and nothing stored again", res, st.saves, st.held.At)
	}

	// An alternate taken since is dropped; the recommendation still stands.
	st.taken["E3"] = true
	res, err = a.Recommend(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.HeldAt == nil || len(res.Units) != 2 || len(res.Alternates) != 0 || st.saves != 1 || len(st.alternates) != 0 {
		t.Errorf("alternate E3 taken since intake: %+v after %d saves (alternates stored %v), want intake's E1, E2 without E3", res, st.saves, st.alternates)
	}
	delete(st.taken, "E3")

	st.taken["E1"] = true
	res, err = a.Recommend(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.HeldAt != nil || len(res.Units) != 2 || res.Units[0].UnitID != "E2" || st.saves != 2 {
		t.Errorf("E1 taken since intake: %+v after %d saves, want a fresh E2, E3 stored", res, st.saves)
	}
	// The operators had intake's E1, E2 until then: the timeline says so, dated when intake
	// stored it, and why it did not stand.
	if len(st.events) != 1 || !supersededEvent(st.events[0], st.held.At, "[E1] taken") || !slices.Equal(st.events[0].Data["taken"].([]string), []string{"E1"}) {
		t.Errorf("events %+v, want intake's recommendation recorded as superseded by E1 taken", st.events)
	}

	delete(st.taken, "E1")
	in.Level = 2
	if res, err = a.Recommend(context.Background(), in); err != nil || res.HeldAt != nil {
		t.Errorf("held for level 1, asked for level 2: %+v, %v; want a fresh recommendation", res, err)
	}
	if len(st.events) != 2 || !supersededEvent(st.events[1], st.held.At, "made for structure_fire level 1, assessed since as structure_fire level 2") {
		t.Errorf("events %+v, want intake's recommendation recorded as superseded by the new level", st.events)
	}

	// Every engine was out at intake: "short of two" was the operators' until now.
	in.Level = 1
	st.held.Units, st.held.Short = nil, []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}}
	if res, err = a.Recommend(context.Background(), in); err != nil || res.HeldAt != nil || len(res.Units) != 2 {
		t.Errorf("held without units: %+v, %v; want a fresh E1, E2", res, err)
	}
	if e := st.events[len(st.events)-1]; len(st.events) != 3 || e.Key != "recommended:intake" || !strings.Contains(e.Detail, "short of [{engine 2}]; superseded: no unit of the plan was available then") {
		t.Errorf("events %+v, want intake's short recommendation recorded as superseded", st.events)
	}
}

// supersededEvent says whether e records intake's recommendation, dated at, as superseded for
// a reason containing why.
func supersededEvent(e fireline.TimelineEvent, at time.Time, why string) bool {
	reason, _ := e.Data["superseded"].(string)
	return e.Key == "recommended:intake" && e.Kind == fireline.EventRecommended && e.At.Equal(at) && e.Data["at_intake"] == true &&
		strings.Contains(reason, why) && strings.Contains(e.Detail, "[E1 E2]")
}
