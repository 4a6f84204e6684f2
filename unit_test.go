package fireline_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestCanMoveTo checks every pair of statuses, for a crew and for a dispatcher, against the
// table written out by hand: who may move a unit where.
func TestCanMoveTo(t *testing.T) {
	const (
		av = fireline.UnitAvailable
		di = fireline.UnitDispatched
		ak = fireline.UnitAcknowledged
		er = fireline.UnitEnRoute
		os = fireline.UnitOnScene
		tr = fireline.UnitTransporting
		re = fireline.UnitReturning
		oo = fireline.UnitOutOfService
	)
	crew := map[fireline.UnitStatus][]fireline.UnitStatus{
		av: {oo},
		di: {av, ak, er, os},
		ak: {av, er, os},
		er: {av, os, re},
		os: {av, tr, re},
		tr: {av, re},
		re: {av},
		oo: {av},
	}
	dispatcher := map[fireline.UnitStatus][]fireline.UnitStatus{
		av: {oo},
		di: {av, ak, er, os, tr, re},
		ak: {av, er, os, tr, re},
		er: {av, ak, os, tr, re},
		os: {av, ak, er, tr, re},
		tr: {av, ak, er, os, re},
		re: {av, ak, er, os, tr},
		oo: {av},
	}
	if len(crew) != len(fireline.UnitStatuses) || len(dispatcher) != len(fireline.UnitStatuses) {
		t.Fatalf("the tables miss a status of %v", fireline.UnitStatuses)
	}
	for _, role := range []struct {
		name         string
		byDispatcher bool
		allowed      map[fireline.UnitStatus][]fireline.UnitStatus
	}{{"crew", false, crew}, {"dispatcher", true, dispatcher}} {
		for _, from := range fireline.UnitStatuses {
			if got := from.Moves(role.byDispatcher); !slices.Equal(got, role.allowed[from]) {
				t.Errorf("%s: Moves from %s = %v, want %v", role.name, from, got, role.allowed[from])
			}
			for _, to := range fireline.UnitStatuses {
				t.Run(role.name+"/"+string(from)+"→"+string(to), func(t *testing.T) {
					err := from.CanMoveTo(to, role.byDispatcher)
					want := from == to || slices.Contains(role.allowed[from], to)
					switch {
					case want && err != nil:
						t.Fatalf("refused: %v", err)
					case !want && fireline.ErrorCode(err) != fireline.ECONFLICT:
						t.Fatalf("error %v, want a conflict", err)
					case !want:
						msg := fireline.ErrorMessage(err)
						if !strings.Contains(msg, "from "+string(from)+" to "+string(to)) {
							t.Errorf("message %q does not name the move", msg)
						}
						for _, s := range role.allowed[from] {
							if !strings.Contains(msg, string(s)) {
								t.Errorf("message %q does not name the allowed %s", msg, s)
							}
						}
					}
				})
			}
		}
	}
}

func TestCanMoveToExplains(t *testing.T) {
	tests := []struct {
		from, to     fireline.UnitStatus
		byDispatcher bool
		code, msg    string
	}{
		{fireline.UnitOnScene, fireline.UnitOutOfService, true, fireline.ECONFLICT, "clear the unit from its incident first"},
		{fireline.UnitAvailable, fireline.UnitDispatched, true, fireline.ECONFLICT, "only a dispatch order"},
		{fireline.UnitAvailable, fireline.UnitEnRoute, false, fireline.ECONFLICT, "not on an incident"},
		{fireline.UnitOnScene, fireline.UnitEnRoute, false, fireline.ECONFLICT, "from on_scene its crew may set available, transporting or returning"},
		{fireline.UnitReturning, fireline.UnitOnScene, false, fireline.ECONFLICT, "its crew may set available"},
		{fireline.UnitAvailable, "asleep", false, fireline.EINVALID, `"asleep" is not a unit status`},
	}
	for _, tt := range tests {
		err := tt.from.CanMoveTo(tt.to, tt.byDispatcher)
		if fireline.ErrorCode(err) != tt.code || !strings.Contains(fireline.ErrorMessage(err), tt.msg) {
			t.Errorf("%s → %s: %v, want %s containing %q", tt.from, tt.to, err, tt.code, tt.msg)
		}
	}
}

func TestCommittedAndFieldStatuses(t *testing.T) {
	for _, s := range fireline.UnitStatuses {
		want := s != fireline.UnitAvailable && s != fireline.UnitOutOfService
		if s.Committed() != want {
			t.Errorf("%s.Committed() = %v, want %v", s, s.Committed(), want)
		}
	}
	// Every field status is a move a crew can make from some committed status.
	for _, f := range fireline.FieldStatuses {
		ok := false
		for _, s := range fireline.UnitStatuses {
			ok = ok || (s.Committed() && s != f && s.CanMoveTo(f, false) == nil)
		}
		if !ok {
			t.Errorf("field status %s is unreachable for a crew", f)
		}
	}
}

func TestPlaced(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	fix := fireline.Point{Lat: 36.47, Lng: 115.99}
	home := fireline.Point{Lat: 36.48, Lng: 115.985}
	at := func(age time.Duration) *time.Time { t := now.Add(-age); return &t }
	tests := []struct {
		name   string
		u      fireline.Unit
		point  fireline.Point
		source fireline.PositionSource
		stale  bool
	}{
		{"no fix", fireline.Unit{Point: home, Home: &home}, home, fireline.PositionStation, false},
		{"fresh fix", fireline.Unit{Point: fix, Home: &home, PositionAt: at(12 * time.Second)}, fix, fireline.PositionAVL, false},
		{"exactly at the limit", fireline.Unit{Point: fix, Home: &home, PositionAt: at(30 * time.Minute)}, fix, fireline.PositionAVL, false},
		{"stale fix", fireline.Unit{Point: fix, Cell: "89", Home: &home, PositionAt: at(45 * time.Minute)}, home, fireline.PositionStation, true},
		{"stale fix, no station", fireline.Unit{Point: fix, PositionAt: at(45 * time.Minute)}, fix, fireline.PositionAVL, true},
		{"fix from the future", fireline.Unit{Point: fix, Home: &home, PositionAt: at(-time.Minute)}, fix, fireline.PositionAVL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stale := tt.u.Placed(now, fireline.DefaultStaleAfter)
			if got.Point != tt.point || got.PositionSource != tt.source || stale != tt.stale {
				t.Fatalf("Placed = %v %s stale=%v, want %v %s stale=%v", got.Point, got.PositionSource, stale, tt.point, tt.source, tt.stale)
			}
			if got.Point != tt.u.Point && got.Cell != "" {
				t.Errorf("moved to the station but kept the fix's cell %q", got.Cell)
			}
			if got.PositionAt != tt.u.PositionAt {
				t.Errorf("PositionAt changed: the fix's age must still show")
			}
		})
	}
}
