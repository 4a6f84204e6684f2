package fireline_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		id     string
		detail string // "" when valid
	}{
		{"E-DCF-1", ""},
		{"H-DCF-1-01", ""},
		{"s1.north_B", ""},
		{strings.Repeat("a", fireline.MaxIDLen), ""},
		{"", "id: required"},
		{strings.Repeat("a", fireline.MaxIDLen+1), "id: longer than 64 bytes"},
		{"-E1", "must start with a letter or digit"},
		{".", "must start with a letter or digit"},
		{"E 1", "may hold only letters"},
		{"E/1", "may hold only letters"},
		{"消防站", "may hold only letters"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			wantDetail(t, fireline.ValidateID("id", tt.id), tt.detail)
		})
	}
}

func TestReferenceValidation(t *testing.T) {
	at := fireline.Point{Lat: 36.45, Lng: 115.98}
	station := func(f func(*fireline.Station)) error {
		s := fireline.Station{ID: "S1", Name: "Station One", Point: at}
		f(&s)
		return s.Validate()
	}
	unit := func(f func(*fireline.Unit)) error {
		u := fireline.Unit{ID: "E1", Name: "Engine 1", Type: fireline.UnitEngine, StationID: "S1"}
		f(&u)
		return u.ValidateRecord()
	}
	water := func(f func(*fireline.WaterSource)) error {
		w := fireline.WaterSource{ID: "H1", Kind: fireline.WaterHydrant, FlowLPM: 1200, Status: fireline.WaterWorking, Point: at}
		f(&w)
		return w.Validate()
	}
	premise := func(f func(*fireline.Premise)) error {
		p := fireline.Premise{ID: "P1", Name: "Chemical Works", Kind: "chemical_plant", Point: at, Hazards: []string{"chlorine"}}
		f(&p)
		return p.Validate()
	}
	plan := func(f func(*fireline.ResponsePlan)) error {
		p := fireline.ResponsePlan{IncidentType: fireline.TypeStructureFire, Level: 2,
			Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}, {Type: fireline.UnitLadder, Count: 1}}}
		f(&p)
		return p.Validate()
	}
	tests := []struct {
		name   string
		err    error
		detail string
	}{
		{"station good", station(func(*fireline.Station) {}), ""},
		{"station id", station(func(s *fireline.Station) { s.ID = "" }), "id: required"},
		{"station name", station(func(s *fireline.Station) { s.Name = "  " }), "name: required"},
		{"station district", station(func(s *fireline.Station) { s.District = strings.Repeat("x", 257) }), "district: longer than 256 bytes"},
		{"station address NUL", station(func(s *fireline.Station) { s.Address = "a\x00b" }), "address: not valid UTF-8 text"},
		{"station no position", station(func(s *fireline.Station) { s.Point = fireline.Point{} }), "location: position 0,0 is not a fix"},
		{"station lat", station(func(s *fireline.Station) { s.Point.Lat = 91 }), "location: lat 91 is outside -90..90"},

		{"unit good", unit(func(*fireline.Unit) {}), ""},
		{"unit type", unit(func(u *fireline.Unit) { u.Type = "spaceship" }), `type: "spaceship" is not a unit type (engine, ladder`},
		{"unit without station", unit(func(u *fireline.Unit) { u.StationID = "" }), "station_id: required"},
		{"unit station id", unit(func(u *fireline.Unit) { u.StationID = "S 1" }), "station_id: \"S 1\" may hold only"},
		{"unit name", unit(func(u *fireline.Unit) { u.Name = "" }), "name: required"},

		{"hydrant good", water(func(*fireline.WaterSource) {}), ""},
		{"pond good", water(func(w *fireline.WaterSource) { w.Kind, w.FlowLPM = fireline.WaterPond, 0 }), ""},
		{"water kind", water(func(w *fireline.WaterSource) { w.Kind = "well" }), `kind: "well" is not a water source kind (hydrant, pond, river_intake, cistern)`},
		{"water status", water(func(w *fireline.WaterSource) { w.Status = "dry" }), `status: "dry" is not working or out_of_service`},
		{"hydrant without flow", water(func(w *fireline.WaterSource) { w.FlowLPM = 0 }), "flow_lpm: 0 is outside 1..20000"},
		{"hydrant flow too big", water(func(w *fireline.WaterSource) { w.FlowLPM = 50000 }), "flow_lpm: 50000 is outside"},
		{"cistern with flow", water(func(w *fireline.WaterSource) { w.Kind = fireline.WaterCistern }), "flow_lpm: a cistern has no rated flow"},
		{"water position", water(func(w *fireline.WaterSource) { w.Point.Lng = 181 }), "location: lng 181 is outside"},

		{"premises good", premise(func(*fireline.Premise) {}), ""},
		{"premises kind", premise(func(p *fireline.Premise) { p.Kind = "" }), "kind: required"},
		{"premises hazard blank", premise(func(p *fireline.Premise) { p.Hazards = []string{"LPG", " "} }), "hazards[1]: required"},
		{"premises too many hazards", premise(func(p *fireline.Premise) { p.Hazards = make([]string, 33) }), "hazards: 33 listed, at most 32"},
		{"premises pre-plan", premise(func(p *fireline.Premise) { p.PrePlan = strings.Repeat("x", 16<<10+1) }), "pre_plan: longer than 16384 bytes"},

		{"plan good", plan(func(*fireline.ResponsePlan) {}), ""},
		{"plan type", plan(func(p *fireline.ResponsePlan) { p.IncidentType = "Picnic" }), `incident_type: "Picnic" is not an incident type code`},
		{"plan level 0", plan(func(p *fireline.ResponsePlan) { p.Level = 0 }), "level: 0 is outside 1..5"},
		{"plan level 6", plan(func(p *fireline.ResponsePlan) { p.Level = 6 }), "level: 6 is outside 1..5"},
		{"plan without slots", plan(func(p *fireline.ResponsePlan) { p.Slots = nil }), "slots: a run card needs at least one slot"},
		{"plan slot type", plan(func(p *fireline.ResponsePlan) { p.Slots[1].Type = "boat" }), `slots[1].type: "boat" is not a unit type`},
		{"plan slot count", plan(func(p *fireline.ResponsePlan) { p.Slots[0].Count = 0 }), "slots[0].count: 0 is outside 1..100"},
		{"plan slot repeated", plan(func(p *fireline.ResponsePlan) { p.Slots[1].Type = fireline.UnitEngine }), "slots[1].type: engine is already in slots[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantDetail(t, tt.err, tt.detail) })
	}
}

func TestAuditFilter(t *testing.T) {
	tests := []struct {
		f      fireline.AuditFilter
		detail string
	}{
		{fireline.AuditFilter{Limit: 1}, ""},
		{fireline.AuditFilter{Entity: fireline.EntityUnit, EntityID: "E1", BeforeID: 9, Limit: fireline.MaxAuditEntries}, ""},
		{fireline.AuditFilter{Limit: 0}, "limit: 0 is outside 1..500"},
		{fireline.AuditFilter{Limit: 501}, "limit: 501 is outside 1..500"},
		{fireline.AuditFilter{Entity: "user", Limit: 1}, `entity: "user" is not one of station, unit`},
		{fireline.AuditFilter{EntityID: "E1", Limit: 1}, "entity_id: needs entity too"},
		{fireline.AuditFilter{BeforeID: -1, Limit: 1}, "before: -1 is negative"},
	}
	for _, tt := range tests {
		wantDetail(t, tt.f.Validate(), tt.detail)
	}
}

// wantDetail checks that err is nil when detail is empty, and otherwise an EINVALID whose
// message contains detail.
func wantDetail(t *testing.T, err error, detail string) {
	t.Helper()
	switch {
	case detail == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case detail == "":
	case fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(fireline.ErrorMessage(err), detail):
		t.Fatalf("error %v, want invalid with %q", err, detail)
	}
}
