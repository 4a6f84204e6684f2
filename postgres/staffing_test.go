package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/resources"
)

// TestRosterReachesRecommendation follows a roster from PostgreSQL to a recommendation the way
// a running worker does: the unit index loads the units with their shifts, the change feed
// carries a roster change to it (Fleet.Follow), and the recommender flags or skips a unit below
// its minimum staffing, as configured.
func TestRosterReachesRecommendation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, url := cityDB(t)
	now := time.Now()
	put := func(unit string, names ...string) {
		t.Helper()
		for _, n := range names {
			_, err := db.AddRosterEntry(ctx, fireline.RosterEntry{UnitID: unit, Name: n, From: now.Add(-time.Hour), To: now.Add(8 * time.Hour)}, "supervisor")
			must(t, err)
		}
	}
	// The structure fire's run card at level 1 is two engines: E1 and E2 are the only ones in
	// service. E1 has three of an engine's four seats filled.
	put("E1", "王伟", "李强", "张磊")
	put("E2", "刘军", "陈勇", "杨杰", "赵涛")

	model, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	must(t, err)
	index := resources.NewIndex()
	fleet := resources.NewFleet(index, resources.NewLearner(model), db, quietLog())
	must(t, fleet.Load(ctx))
	followed := make(chan struct{}, 100)
	go func() {
		_ = db.Listen(ctx, func(c fireline.Change) {
			fleet.Follow(ctx, c)
			if c.Kind == "unit" && c.ID == "E1" {
				followed <- struct{}{}
			}
		})
	}()

	// A change made before the feed listens is not delivered.
	conn := sqlConn(t, url)
	waitFor(t, func() bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n)
		return n == 1
	})

	req := resources.Request{Point: fireline.Point{Lat: 36.45, Lng: 115.98}, Type: fireline.TypeStructureFire, Level: 1}
	recommend := func(p fireline.Understaffed) resources.Result {
		t.Helper()
		res, err := resources.NewRecommender(index, db, resources.WithUnderstaffed(p)).Recommend(ctx, req)
		must(t, err)
		return res
	}

	flagged := recommend(fireline.UnderstaffedFlag)
	if got := recIDs(flagged.Units); !slices.Equal(got, []string{"E1", "E2"}) {
		t.Fatalf("flag: units %v, want E1 and E2", got)
	}
	for _, r := range flagged.Units {
		if want := r.UnitID == "E1"; r.Understaffed != want || strings.Contains(r.Reason, "understaffed: 3 of 4 seats filled") != want {
			t.Errorf("flag: %s understaffed %v, reason %q", r.UnitID, r.Understaffed, r.Reason)
		}
	}

	skipped := recommend(fireline.UnderstaffedSkip)
	if got := recIDs(append(skipped.Units, skipped.Alternates...)); !slices.Equal(got, []string{"E2"}) ||
		!slices.Equal(skipped.Short, []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 1}}) {
		t.Fatalf("skip: units and alternates %v, short %v; want E2 alone and one engine short", got, skipped.Short)
	}

	// The fourth firefighter reports for duty: the change feed brings E1 back.
	put("E1", "黄斌")
	deadline := time.After(10 * time.Second)
	for {
		if got := recIDs(recommend(fireline.UnderstaffedSkip).Units); slices.Contains(got, "E1") {
			break
		}
		select {
		case <-followed:
		case <-deadline:
			t.Fatal("E1 fully crewed is still skipped 10 s after the roster change")
		}
	}
}

func recIDs(recs []fireline.Recommendation) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.UnitID
	}
	return out
}
