package activities_test

import (
	"context"
	"log/slog"
	"slices"
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

func (s *store) AppendEvent(context.Context, fireline.TimelineEvent) error { return nil }

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
