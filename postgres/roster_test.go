package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestRoster: people put on duty show in the unit's staffing and in the roster with their
// unit's status; overlapping shifts of one person conflict; ending a shift cuts it short, or
// takes off a shift not yet begun; every change touches the unit for the change feed.
func TestRoster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	shift := func(unit, name string, qs ...fireline.Qualification) fireline.RosterEntry {
		return fireline.RosterEntry{UnitID: unit, Name: name, Qualifications: qs, From: now.Add(-time.Hour), To: now.Add(7 * time.Hour)}
	}

	before, err := db.Unit(ctx, "E1")
	must(t, err)
	if before.MinStaff != fireline.DefaultMinStaff(fireline.UnitEngine) || before.Staffing == nil ||
		before.Staffing.Filled != 0 || !before.Staffing.BelowMinimum {
		t.Fatalf("E1 before any roster: min %d, staffing %+v; want the engine default, nobody, below minimum", before.MinStaff, before.Staffing)
	}

	var ids []int64
	for _, e := range []fireline.RosterEntry{
		shift("E1", "王伟", fireline.QualCommander), shift("E1", "李强", fireline.QualDriver),
		shift("E1", "张磊", fireline.QualFirefighter, fireline.QualEMT),
	} {
		got, err := db.AddRosterEntry(ctx, e, "supervisor")
		must(t, err)
		if got.ID == 0 || got.CreatedBy != "supervisor" || !got.From.Equal(e.From) || got.UnitStatus != fireline.UnitAvailable {
			t.Fatalf("AddRosterEntry = %+v", got)
		}
		ids = append(ids, got.ID)
	}
	// Tomorrow's shift counts for planning later, not now.
	next := shift("E1", "刘军", fireline.QualHazmat)
	next.From, next.To = now.Add(7*time.Hour), now.Add(31*time.Hour)
	later, err := db.AddRosterEntry(ctx, next, "supervisor")
	must(t, err)

	u, err := db.Unit(ctx, "E1")
	must(t, err)
	want := fireline.Staffing{Filled: 3, Minimum: 4, BelowMinimum: true,
		Qualifications: []fireline.Qualification{fireline.QualDriver, fireline.QualFirefighter, fireline.QualEMT, fireline.QualCommander},
		Crew:           []string{"王伟", "李强", "张磊"}}
	if u.Staffing == nil || u.Staffing.Filled != want.Filled || u.Staffing.Minimum != want.Minimum || !u.Staffing.BelowMinimum ||
		!slices.Equal(u.Staffing.Qualifications, want.Qualifications) || !slices.Equal(u.Staffing.Crew, want.Crew) {
		t.Errorf("E1 staffing %+v, want %+v", u.Staffing, want)
	}
	if len(u.Shifts) != 4 {
		t.Errorf("E1 shifts %+v, want the three on duty and the one coming up", u.Shifts)
	}
	if !u.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("E1 updated_at %s not after %s: the change feed would not announce the roster", u.UpdatedAt, before.UpdatedAt)
	}
	if st := u.StaffingAt(now.Add(8 * time.Hour)); st.Filled != 1 || !slices.Equal(st.Crew, []string{"刘军"}) {
		t.Errorf("E1 staffing after the shift change %+v, want 刘军 alone", st)
	}

	t.Run("overlap", func(t *testing.T) {
		_, err := db.AddRosterEntry(ctx, shift("L1", "李强", fireline.QualDriver), "supervisor")
		wantCode(t, err, fireline.ECONFLICT)
	})
	t.Run("invalid", func(t *testing.T) {
		for _, e := range []fireline.RosterEntry{
			shift("NOPE", "赵斌"),
			shift("L1", ""),
			shift("L1", "赵斌", "astronaut"),
			{UnitID: "L1", Name: "赵斌", From: now, To: now.Add(-time.Hour)},
			{UnitID: "L1", Name: "赵斌", From: now, To: now.Add(72 * time.Hour)},
		} {
			_, err := db.AddRosterEntry(ctx, e, "supervisor")
			wantCode(t, err, fireline.EINVALID)
		}
		_, err := db.AddRosterEntry(ctx, shift("L1", "赵斌"), "")
		wantCode(t, err, fireline.EINVALID)
	})

	t.Run("crew follows the unit", func(t *testing.T) {
		inc := openIncident(t, db, cellA)
		_, err := db.ReserveUnits(ctx, inc, []string{"E1"}, time.Time{})
		must(t, err)
		crew, err := db.Roster(ctx, fireline.RosterFilter{UnitID: "E1"})
		must(t, err)
		if len(crew) != 3 {
			t.Fatalf("roster of E1 now: %+v, want the three on duty", crew)
		}
		for _, e := range crew {
			if e.UnitStatus != fireline.UnitDispatched || e.IncidentID != inc {
				t.Errorf("%s: unit status %s, incident %d; want dispatched to %d", e.Name, e.UnitStatus, e.IncidentID, inc)
			}
		}
		tomorrow, err := db.Roster(ctx, fireline.RosterFilter{At: now.Add(8 * time.Hour)})
		must(t, err)
		if len(tomorrow) != 1 || tomorrow[0].ID != later.ID {
			t.Errorf("roster at the next shift: %+v, want 刘军's", tomorrow)
		}
	})

	t.Run("end", func(t *testing.T) {
		ended, err := db.EndRosterEntry(ctx, ids[2], time.Time{}, "supervisor")
		must(t, err)
		if !ended.To.Before(now.Add(time.Minute)) || ended.To.Before(now.Add(-time.Minute)) {
			t.Errorf("ended shift to %s, want about now (%s)", ended.To, now)
		}
		u, err := db.Unit(ctx, "E1")
		must(t, err)
		if u.Staffing.Filled != 2 || slices.Contains(u.Staffing.Crew, "张磊") {
			t.Errorf("E1 staffing after 张磊 went home: %+v", u.Staffing)
		}
		// Again: an ended shift stays as it is.
		again, err := db.EndRosterEntry(ctx, ids[2], time.Time{}, "supervisor")
		must(t, err)
		if !again.To.Equal(ended.To) {
			t.Errorf("ending again moved the end from %s to %s", ended.To, again.To)
		}
		// A shift not yet begun leaves the roster.
		if _, err := db.EndRosterEntry(ctx, later.ID, time.Time{}, "supervisor"); err != nil {
			t.Fatal(err)
		}
		_, err = db.EndRosterEntry(ctx, later.ID, time.Time{}, "supervisor")
		wantCode(t, err, fireline.ENOTFOUND)
		u, err = db.Unit(ctx, "E1")
		must(t, err)
		if len(u.Shifts) != 2 {
			t.Errorf("E1 shifts after the changes: %+v, want the two still on duty", u.Shifts)
		}
	})
}

// TestUnitMinimumStaffing: an administrator's minimum and required qualifications are stored
// and judged against the roster.
func TestUnitMinimumStaffing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	u, err := db.Unit(ctx, "R1")
	must(t, err)
	u.MinStaff, u.RequiredQualifications = 1, []fireline.Qualification{fireline.QualEMT}
	got, err := db.UpdateUnit(ctx, u, "admin")
	must(t, err)
	if got.MinStaff != 1 || !slices.Equal(got.RequiredQualifications, u.RequiredQualifications) {
		t.Fatalf("UpdateUnit = min %d, required %v", got.MinStaff, got.RequiredQualifications)
	}
	now := time.Now()
	_, err = db.AddRosterEntry(ctx, fireline.RosterEntry{UnitID: "R1", Name: "陈杰", Qualifications: []fireline.Qualification{fireline.QualDriver},
		From: now.Add(-time.Minute), To: now.Add(time.Hour)}, "supervisor")
	must(t, err)
	got, err = db.Unit(ctx, "R1")
	must(t, err)
	if !got.Staffing.BelowMinimum || !slices.Equal(got.Staffing.Missing, []fireline.Qualification{fireline.QualEMT}) ||
		got.Staffing.Shortfall() != "no emt" {
		t.Errorf("R1 staffing %+v (%q), want below minimum for want of an EMT", got.Staffing, got.Staffing.Shortfall())
	}
}
