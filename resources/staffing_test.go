package resources_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// crewed gives u a minimum staffing of min and n people on duty from..to.
func crewed(u fireline.Unit, min, n int, from, to time.Time) fireline.Unit {
	u.MinStaff = min
	for i := range n {
		u.Shifts = append(u.Shifts, fireline.RosterEntry{UnitID: u.ID, Name: u.ID + "-" + string(rune('a'+i)), From: from, To: to})
	}
	return u
}

// TestRecommendUnderstaffed: a unit below its minimum staffing is recommended and flagged, with
// the shortfall in its reason, or skipped for the next suitable unit, as configured; staffing is
// judged at the index's clock, so a shift change takes effect with no notice.
func TestRecommendUnderstaffed(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := at
	shiftEnd := at.Add(time.Hour)
	units := []fireline.Unit{
		// e1 is nearest but has three of four seats filled until the shift change, when a full
		// crew of four comes on.
		crewed(unit("e1", fireline.UnitEngine, east(500)), 4, 3, at.Add(-time.Hour), shiftEnd),
		crewed(unit("e2", fireline.UnitEngine, east(1000)), 4, 4, at.Add(-time.Hour), shiftEnd.Add(24*time.Hour)),
		crewed(unit("e3", fireline.UnitEngine, east(1500)), 4, 4, at.Add(-time.Hour), shiftEnd.Add(24*time.Hour)),
	}
	for i := range 4 {
		units[0].Shifts = append(units[0].Shifts, fireline.RosterEntry{UnitID: "e1", Name: "next-" + string(rune('a'+i)), From: shiftEnd, To: shiftEnd.Add(24 * time.Hour)})
	}
	x := resources.NewIndex(resources.WithClock(func() time.Time { return clock }))
	if err := x.Replace(units); err != nil {
		t.Fatal(err)
	}
	p := plans{"structure_fire/1": {{Type: fireline.UnitEngine, Count: 1}}}
	req := resources.Request{Point: centre, Type: fireline.TypeStructureFire, Level: 1}
	recommend := func(t *testing.T, policy fireline.Understaffed) resources.Result {
		t.Helper()
		res, err := resources.NewRecommender(x, p, resources.WithUnderstaffed(policy)).Recommend(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("flag", func(t *testing.T) {
		res := recommend(t, fireline.UnderstaffedFlag)
		if got := recIDs(res.Units); !slices.Equal(got, []string{"e1"}) {
			t.Fatalf("units %v, want e1", got)
		}
		e1 := res.Units[0]
		if !e1.Understaffed || !strings.Contains(e1.Reason, "understaffed: 3 of 4 seats filled") {
			t.Errorf("e1: understaffed %v, reason %q; want flagged with its shortfall", e1.Understaffed, e1.Reason)
		}
		for _, a := range res.Alternates {
			if a.Understaffed || strings.Contains(a.Reason, "understaffed") {
				t.Errorf("alternate %s flagged: %q", a.UnitID, a.Reason)
			}
		}
	})
	t.Run("default is flag", func(t *testing.T) {
		res, err := resources.NewRecommender(x, p).Recommend(context.Background(), req)
		if err != nil || len(res.Units) != 1 || !res.Units[0].Understaffed {
			t.Fatalf("default recommender: %+v, %v; want e1 flagged", res.Units, err)
		}
	})
	t.Run("skip", func(t *testing.T) {
		res := recommend(t, fireline.UnderstaffedSkip)
		if got, alts := recIDs(res.Units), recIDs(res.Alternates); !slices.Equal(got, []string{"e2"}) || !slices.Equal(alts, []string{"e3"}) {
			t.Fatalf("units %v, alternates %v; want e2, then e3, and e1 left out", got, alts)
		}
		if res.Units[0].Understaffed || len(res.Short) != 0 {
			t.Errorf("e2 %+v, short %v", res.Units[0], res.Short)
		}
	})
	t.Run("shift change", func(t *testing.T) {
		clock = shiftEnd
		defer func() { clock = at }()
		res := recommend(t, fireline.UnderstaffedSkip)
		if got := recIDs(res.Units); !slices.Equal(got, []string{"e1"}) || res.Units[0].Understaffed {
			t.Fatalf("after the shift change: units %v (%+v), want e1 fully crewed", got, res.Units)
		}
	})
	t.Run("skip leaves the slot short", func(t *testing.T) {
		only := resources.NewIndex(resources.WithClock(func() time.Time { return at }))
		if err := only.Replace(units[:1]); err != nil {
			t.Fatal(err)
		}
		res, err := resources.NewRecommender(only, p, resources.WithUnderstaffed(fireline.UnderstaffedSkip)).Recommend(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Units) != 0 || !slices.Equal(res.Short, []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 1}}) {
			t.Errorf("units %v, short %v; want none and one engine short", recIDs(res.Units), res.Short)
		}
	})
}

// TestUnitWithoutMinimum: a unit with no minimum and no required qualification is never
// understaffed, whoever is rostered (units loaded without staffing, the benchmarks' fleets).
func TestUnitWithoutMinimum(t *testing.T) {
	u := unit("e1", fireline.UnitEngine, east(500))
	if u.BelowMinimumAt(time.Now()) || u.StaffingAt(time.Now()).BelowMinimum {
		t.Errorf("unit without a minimum is below it: %+v", u.StaffingAt(time.Now()))
	}
}
