package resources_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// firstStore is PostgreSQL as the first recommendation sees it: taken units, key premises
// and the recommendation held on each incident.
type firstStore struct {
	taken    map[string]bool
	premises map[string]fireline.Premise
	held     map[int64]fireline.HeldRecommendation
}

func (s *firstStore) Unavailable(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if s.taken[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *firstStore) Premise(_ context.Context, id string) (fireline.Premise, error) {
	p, ok := s.premises[id]
	if !ok {
		return p, fireline.Errorf(fireline.ENOTFOUND, "premises %q not found", id)
	}
	return p, nil
}

func (s *firstStore) HoldRecommendation(_ context.Context, id int64, h fireline.HeldRecommendation) error {
	s.held[id] = h
	return nil
}

// TestRecommendFirst: intake recommends as the incident's workflow would start it — the
// alarm's type at the first level, or a key premises' pre-plan type and level for its fire
// alarm — never a unit PostgreSQL holds as taken, holds what is short when no unit of a type
// is there, and holds nothing when no run card covers the incident.
func TestRecommendFirst(t *testing.T) {
	x := resources.NewIndex()
	if err := x.Replace(recommendUnits()); err != nil {
		t.Fatal(err)
	}
	rec := resources.NewRecommender(x, plans{
		"structure_fire/1": {{Type: fireline.UnitEngine, Count: 2}},
		"hazmat/3":         {{Type: fireline.UnitEngine, Count: 1}, {Type: fireline.UnitLadder, Count: 1}},
		"vehicle_fire/1":   {{Type: fireline.UnitTanker, Count: 1}},
	})
	st := &firstStore{taken: map[string]bool{"e1": true}, held: map[int64]fireline.HeldRecommendation{},
		premises: map[string]fireline.Premise{"P1": {ID: "P1", PlanType: fireline.TypeHazmat, PlanLevel: 3}}}
	first := resources.NewFirstResponder(rec, st, slog.New(slog.DiscardHandler))
	ctx := context.Background()

	recs, err := first.RecommendFirst(ctx, 1, fireline.Alarm{Type: fireline.TypeStructureFire, Point: centre})
	if err != nil || !slices.Equal(recIDs(recs), []string{"e2", "e3"}) || st.held[1].Level != 1 || !slices.Equal(recIDs(st.held[1].Units), []string{"e2", "e3"}) {
		t.Errorf("a call: %v, %v, held %+v; want e2, e3 (e1 is taken) held for level 1", recIDs(recs), err, st.held[1])
	}
	recs, err = first.RecommendFirst(ctx, 2, fireline.Alarm{Type: fireline.TypeStructureFire, Kind: fireline.KindFireAlarm, PremiseID: "P1", Point: centre})
	if err != nil || !slices.Equal(recIDs(recs), []string{"l1", "e2"}) || st.held[2].Type != fireline.TypeHazmat || st.held[2].Level != 3 {
		t.Errorf("a panel at a pre-planned premises: %v, %v, held %+v; want l1, e2 (fastest first) for the pre-plan's hazmat level 3", recIDs(recs), err, st.held[2])
	}
	if _, err := first.RecommendFirst(ctx, 3, fireline.Alarm{Type: fireline.TypeStructureFire, Kind: fireline.KindFireAlarm, PremiseID: "P9", Point: centre}); err != nil || st.held[3].Level != 1 {
		t.Errorf("a panel at an unknown premises: %v, held %+v; want the alarm's type at level 1", err, st.held[3])
	}
	if _, err := first.RecommendFirst(ctx, 4, fireline.Alarm{Type: fireline.TypeWaterRescue, Point: centre}); fireline.ErrorCode(err) != fireline.ENOTFOUND {
		t.Errorf("no run card: %v, want ENOTFOUND", err)
	}
	if recs, err := first.RecommendFirst(ctx, 5, fireline.Alarm{Type: fireline.TypeVehicleFire, Point: centre}); err != nil || len(recs) != 0 {
		t.Errorf("no tanker in the fleet: %v, %v; want nothing", recs, err)
	}
	if _, ok := st.held[4]; ok {
		t.Error("held a recommendation for an incident no run card covers")
	}
	// Every tanker out is the operators' recommendation too: short of one, held from now.
	if h, ok := st.held[5]; !ok || len(h.Units) != 0 || !slices.Equal(h.Short, []fireline.PlanSlot{{Type: fireline.UnitTanker, Count: 1}}) {
		t.Errorf("held %+v (%v) with no tanker in the fleet, want short of one tanker", h, ok)
	}

	// While the index is still loading nothing is held: its empty answer is not the fleet's.
	loading := resources.NewFirstResponder(resources.NewRecommender(resources.NewIndex(), plans{
		"structure_fire/1": {{Type: fireline.UnitEngine, Count: 2}}}), st, slog.New(slog.DiscardHandler))
	if recs, err := loading.RecommendFirst(ctx, 6, fireline.Alarm{Type: fireline.TypeStructureFire, Point: centre}); err != nil || recs != nil {
		t.Errorf("index loading: %v, %v; want nothing", recs, err)
	}
	if _, ok := st.held[6]; ok {
		t.Error("held a recommendation from an index still loading")
	}
}
