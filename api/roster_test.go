package api

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// rosterFake keeps the roster in memory with the store's rule the handlers pass on (an unknown
// entry is ENOTFOUND) and records who changed it.
type rosterFake struct {
	entries []fireline.RosterEntry
	actors  []string
}

func (f *rosterFake) Roster(_ context.Context, rf fireline.RosterFilter) ([]fireline.RosterEntry, error) {
	at := rf.At
	if at.IsZero() {
		at = now
	}
	var out []fireline.RosterEntry
	for _, e := range f.entries {
		if (rf.UnitID == "" || e.UnitID == rf.UnitID) && e.OnDuty(at) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *rosterFake) AddRosterEntry(_ context.Context, e fireline.RosterEntry, actor string) (fireline.RosterEntry, error) {
	e.ID, e.CreatedBy = int64(len(f.entries)+1), actor
	f.entries = append(f.entries, e)
	f.actors = append(f.actors, actor)
	return e, nil
}

func (f *rosterFake) EndRosterEntry(_ context.Context, id int64, _ time.Time, actor string) (fireline.RosterEntry, error) {
	for i := range f.entries {
		if f.entries[i].ID == id {
			f.entries[i].To = now
			f.actors = append(f.actors, actor)
			return f.entries[i], nil
		}
	}
	return fireline.RosterEntry{}, fireline.Errorf(fireline.ENOTFOUND, "roster entry %d does not exist", id)
}

func newRosterServer(t *testing.T) (*Server, *rosterFake) {
	t.Helper()
	f, roster := newAdminFake(), &rosterFake{}
	var logs bytes.Buffer
	s := New(DefaultConfig(), Deps{Store: f, Admin: f, Incidents: &fakeIncidents{}, Locator: fakeLocator{}, Roster: roster,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.now = func() time.Time { return now }
	return s, roster
}

// TestRosterAccess: supervisors and administrators change the roster; operators, risk officers
// and crews are refused and change nothing; whoever reads incidents reads it.
func TestRosterAccess(t *testing.T) {
	entry := `{"unit_id":"E2","name":"王伟","qualifications":["commander","driver"],"from":"2026-11-22T08:00:00+08:00","to":"2026-11-23T08:00:00+08:00"}`
	for _, tt := range []struct {
		token     string
		add, read int
	}{
		{"", 401, 401},
		{"operator", 403, 200},
		{"risk", 403, 200},
		{"field:E2", 403, 403},
		{"supervisor", 201, 200},
		{"admin", 201, 200},
	} {
		t.Run(tt.token, func(t *testing.T) {
			s, roster := newRosterServer(t)
			code, h, body := adminCall(t, s, tt.token, "POST", "/api/v1/roster", entry)
			if code != tt.add {
				t.Fatalf("POST /roster: %d %v, want %d", code, body, tt.add)
			}
			if code != 201 {
				if len(roster.entries) != 0 {
					t.Fatalf("refused POST changed the roster: %+v", roster.entries)
				}
				if code, _, _ := adminCall(t, s, tt.token, "DELETE", "/api/v1/roster/1", ""); code != tt.add {
					t.Errorf("DELETE /roster/1: %d, want %d", code, tt.add)
				}
			} else {
				if h.Get("Location") != "/api/v1/roster/1" || body["created_by"] != tt.token || body["name"] != "王伟" {
					t.Errorf("created %v at %q", body, h.Get("Location"))
				}
				code, _, body := adminCall(t, s, tt.token, "DELETE", "/api/v1/roster/1", "")
				if code != 200 || roster.actors[1] != tt.token {
					t.Errorf("DELETE /roster/1: %d %v, actors %v", code, body, roster.actors)
				}
			}
			if code, _, body := adminCall(t, s, tt.token, "GET", "/api/v1/roster?unit=E2&at=2026-11-22T10:00:00%2B08:00", ""); code != tt.read {
				t.Errorf("GET /roster: %d %v, want %d", code, body, tt.read)
			}
		})
	}
}

// TestRosterValidation: the roster's requests name what is wrong.
func TestRosterValidation(t *testing.T) {
	s, roster := newRosterServer(t)
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"no name", "POST", "/api/v1/roster", `{"unit_id":"E2","from":"2026-11-22T08:00:00Z","to":"2026-11-22T20:00:00Z"}`, 400, "name: required"},
		{"backwards", "POST", "/api/v1/roster", `{"unit_id":"E2","name":"王伟","from":"2026-11-22T20:00:00Z","to":"2026-11-22T08:00:00Z"}`, 400, "is not after from"},
		{"qualification", "POST", "/api/v1/roster", `{"unit_id":"E2","name":"王伟","qualifications":["pilot"],"from":"2026-11-22T08:00:00Z","to":"2026-11-22T20:00:00Z"}`, 400, `qualifications[0]: "pilot" is not a qualification`},
		{"unknown field", "POST", "/api/v1/roster", `{"unit_id":"E2","name":"王伟","seat":3}`, 400, `unknown field "seat"`},
		{"bad at", "GET", "/api/v1/roster?at=yesterday", "", 400, `at: "yesterday" is not an RFC 3339 time`},
		{"bad id", "DELETE", "/api/v1/roster/x", "", 400, `"x" is not a roster entry number`},
		{"unknown entry", "DELETE", "/api/v1/roster/42", "", 404, "roster entry 42 does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := adminCall(t, s, "supervisor", tt.method, tt.path, tt.body)
			detail, _ := body["detail"].(string)
			if code != tt.status || !strings.Contains(detail, tt.detail) {
				t.Errorf("%d %q, want %d with %q", code, detail, tt.status, tt.detail)
			}
		})
	}
	if len(roster.entries) != 0 {
		t.Errorf("invalid requests changed the roster: %+v", roster.entries)
	}
}

// TestUnitsCarryStaffing: the console's unit list shows each unit's staffing.
func TestUnitsCarryStaffing(t *testing.T) {
	s, _ := newRosterServer(t)
	f := s.store.(*adminFake)
	u := f.units["E2"]
	u.MinStaff = 4
	u.Shifts = []fireline.RosterEntry{{Name: "王伟", From: now.Add(-time.Hour), To: now.Add(time.Hour)}}
	st := u.StaffingAt(now)
	u.Staffing = &st
	f.units["E2"] = u
	code, _, body := adminCall(t, s, "operator", "GET", "/api/v1/units/E2", "")
	staffing, _ := body["staffing"].(map[string]any)
	if code != 200 || staffing["filled"] != float64(1) || staffing["minimum"] != float64(4) || staffing["below_minimum"] != true {
		t.Fatalf("GET /units/E2: %d staffing %v", code, staffing)
	}
	if _, leaked := body["shifts"]; leaked {
		t.Errorf("the unit's shifts leaked into its JSON: %v", body)
	}
}

// TestAdminUnitMinStaff: an administrator sets a unit's minimum staffing and required
// qualifications, or leaves the minimum to its type's default.
func TestAdminUnitMinStaff(t *testing.T) {
	s, _ := newRosterServer(t)
	code, _, body := adminCall(t, s, "admin", "POST", "/api/v1/admin/units", `{"id":"L3","name":"Ladder 3","type":"ladder","station_id":"S1"}`)
	if code != 201 || body["min_staff"] != float64(fireline.DefaultMinStaff(fireline.UnitLadder)) {
		t.Fatalf("create without a minimum: %d %v", code, body)
	}
	code, _, body = adminCall(t, s, "admin", "PUT", "/api/v1/admin/units/L3",
		`{"name":"Ladder 3","type":"ladder","station_id":"S1","min_staff":2,"required_qualifications":["aerial"]}`)
	if req, _ := body["required_qualifications"].([]any); code != 200 || body["min_staff"] != float64(2) || len(req) != 1 || req[0] != "aerial" {
		t.Fatalf("update with a minimum: %d %v", code, body)
	}
	for _, bad := range []struct{ body, detail string }{
		{`{"name":"Ladder 3","type":"ladder","station_id":"S1","min_staff":13}`, "min_staff: 13 is outside 0..12"},
		{`{"name":"Ladder 3","type":"ladder","station_id":"S1","required_qualifications":["aerial","aerial"]}`, `required_qualifications[1]: "aerial" is listed twice`},
	} {
		code, _, body := adminCall(t, s, "admin", "PUT", "/api/v1/admin/units/L3", bad.body)
		if detail, _ := body["detail"].(string); code != 400 || !strings.Contains(detail, bad.detail) {
			t.Errorf("%s: %d %q, want 400 with %q", bad.body, code, detail, bad.detail)
		}
	}
}
