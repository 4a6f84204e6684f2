package api

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// typesFake keeps incident types in memory with the store's rules the handlers pass on:
// duplicates, unknown codes and retired types. actions lists the changes made, by whom.
type typesFake struct {
	defs    map[fireline.IncidentType]fireline.TypeDefinition
	actions []string
}

func (f *typesFake) IncidentTypeDefs(_ context.Context, rf fireline.RefFilter) ([]fireline.TypeDefinition, error) {
	out := fireline.BuiltinTypes()
	for _, d := range f.defs {
		if d.RetiredAt == nil || rf.IncludeRetired {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *typesFake) IncidentTypeDef(_ context.Context, code fireline.IncidentType) (fireline.TypeDefinition, error) {
	d, ok := f.defs[code]
	if !ok {
		return d, fireline.Errorf(fireline.ENOTFOUND, "incident type %s does not exist", code)
	}
	return d, nil
}

func (f *typesFake) CreateIncidentType(_ context.Context, d fireline.TypeDefinition, actor string) (fireline.TypeDefinition, error) {
	if _, ok := f.defs[d.Code]; ok {
		return d, fireline.Errorf(fireline.ECONFLICT, "incident type %s already exists", d.Code)
	}
	f.defs[d.Code] = d
	f.actions = append(f.actions, "create "+string(d.Code)+" by "+actor)
	return d, nil
}

func (f *typesFake) UpdateIncidentType(_ context.Context, d fireline.TypeDefinition, actor string) (fireline.TypeDefinition, error) {
	before, ok := f.defs[d.Code]
	switch {
	case !ok:
		return d, fireline.Errorf(fireline.ENOTFOUND, "incident type %s does not exist", d.Code)
	case before.RetiredAt != nil:
		return d, fireline.Errorf(fireline.ECONFLICT, "incident type %s was retired", d.Code)
	}
	f.defs[d.Code] = d
	f.actions = append(f.actions, "update "+string(d.Code)+" by "+actor)
	return d, nil
}

func (f *typesFake) RetireIncidentType(_ context.Context, code fireline.IncidentType, actor string) (fireline.TypeDefinition, error) {
	d, ok := f.defs[code]
	if !ok {
		return d, fireline.Errorf(fireline.ENOTFOUND, "incident type %s does not exist", code)
	}
	at := now
	d.RetiredAt = &at
	f.defs[code] = d
	f.actions = append(f.actions, "retire "+string(code)+" by "+actor)
	return d, nil
}

func (f *typesFake) IncidentTypeSnapshot(context.Context, fireline.IncidentType) (fireline.TypeSnapshot, error) {
	panic("the API takes no snapshots")
}

func newTypesServer(t *testing.T) (*Server, *typesFake) {
	t.Helper()
	f := newAdminFake()
	types := &typesFake{defs: map[fireline.IncidentType]fireline.TypeDefinition{}}
	s := New(DefaultConfig(), Deps{Store: f, Admin: f, Types: types, Incidents: &fakeIncidents{}, Locator: fakeLocator{},
		Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, types
}

const gasLeak = `{"code":"gas_leak","name_zh":"燃气泄漏","name_en":"Gas leak","category":"hazmat",
	"timers":{"turnout_s":70},"agency_tasks":[{"min_level":1,"agency":"gas","task":"isolate the gas supply","within_s":600}]}`

func TestIncidentTypesAccess(t *testing.T) {
	s, _ := newTypesServer(t)
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/incident-types", ""},
		{"POST", "/api/v1/admin/incident-types", gasLeak},
		{"GET", "/api/v1/admin/incident-types/hazmat", ""},
		{"PATCH", "/api/v1/admin/incident-types/hazmat", `{"name_en":"Chemicals"}`},
		{"POST", "/api/v1/admin/incident-types/hazmat/retire", ""},
	} {
		for _, tt := range []struct {
			token string
			code  int
		}{{"", 401}, {"operator", 403}, {"supervisor", 403}, {"risk", 403}, {"field:E2", 403}, {"gateway", 403}} {
			t.Run(req.method+" "+req.path+" as "+tt.token, func(t *testing.T) {
				if code, _, body := adminCall(t, s, tt.token, req.method, req.path, req.body); code != tt.code {
					t.Fatalf("%d %v, want %d", code, body, tt.code)
				}
			})
		}
	}
	// Every page names types: whoever reads incidents, or their own, reads the list.
	for _, tt := range []struct {
		token string
		code  int
	}{{"", 401}, {"gateway", 403}, {"operator", 200}, {"risk", 200}, {"field:E2", 200}, {"admin", 200}} {
		t.Run("GET /incident-types as "+tt.token, func(t *testing.T) {
			code, _, body := adminCall(t, s, tt.token, "GET", "/api/v1/incident-types", "")
			if code != tt.code {
				t.Fatalf("%d %v, want %d", code, body, tt.code)
			}
			if code == 200 && len(body["incident_types"].([]any)) != 10 {
				t.Fatalf("%v, want the ten built-in types", body)
			}
		})
	}
}

func TestIncidentTypesAdmin(t *testing.T) {
	s, f := newTypesServer(t)
	code, h, body := adminCall(t, s, "admin", "POST", "/api/v1/admin/incident-types", gasLeak)
	if code != 201 || h.Get("Location") != "/api/v1/admin/incident-types/gas_leak" || body["name_zh"] != "燃气泄漏" {
		t.Fatalf("create: %d %s %v", code, h.Get("Location"), body)
	}
	if code, _, body := adminCall(t, s, "admin", "POST", "/api/v1/admin/incident-types", gasLeak); code != 409 {
		t.Fatalf("duplicate: %d %v", code, body)
	}

	// A rename in both languages keeps the rest of the definition.
	code, _, body = adminCall(t, s, "admin", "PATCH", "/api/v1/admin/incident-types/gas_leak", `{"name_zh":"天然气泄漏","name_en":"Natural gas leak"}`)
	if code != 200 || body["name_zh"] != "天然气泄漏" || body["name_en"] != "Natural gas leak" || body["category"] != "hazmat" ||
		len(body["agency_tasks"].([]any)) != 1 {
		t.Fatalf("rename: %d %v", code, body)
	}
	if d := f.defs["gas_leak"]; d.Timers.TurnoutS != 70 || d.NameEN != "Natural gas leak" {
		t.Fatalf("stored %+v", d)
	}
	code, _, body = adminCall(t, s, "admin", "GET", "/api/v1/admin/incident-types/gas_leak", "")
	if code != 200 || body["name_en"] != "Natural gas leak" {
		t.Fatalf("get: %d %v", code, body)
	}

	code, _, body = adminCall(t, s, "admin", "POST", "/api/v1/admin/incident-types/gas_leak/retire", "")
	if code != 200 || body["retired_at"] == nil {
		t.Fatalf("retire: %d %v", code, body)
	}
	// The pages name past incidents too: a retired type is listed to them, marked so.
	if code, _, body := adminCall(t, s, "operator", "GET", "/api/v1/incident-types", ""); code != 200 || len(body["incident_types"].([]any)) != 11 {
		t.Fatalf("the pages' types %v, want the retired gas_leak among them", body)
	}
	if code, _, body := adminCall(t, s, "admin", "GET", "/api/v1/admin/incident-types", ""); code != 200 || len(body["incident_types"].([]any)) != 10 {
		t.Fatalf("types in force %v, want the ten built-in ones", body)
	}
	if code, _, body := adminCall(t, s, "admin", "GET", "/api/v1/admin/incident-types?include_retired=true", ""); code != 200 || len(body["incident_types"].([]any)) != 11 {
		t.Fatalf("include_retired: %v", body)
	}
	want := []string{"create gas_leak by admin", "update gas_leak by admin", "retire gas_leak by admin"}
	if len(f.actions) != len(want) {
		t.Fatalf("changes %v, want %v", f.actions, want)
	}
	for i := range want {
		if f.actions[i] != want[i] {
			t.Fatalf("changes %v, want %v", f.actions, want)
		}
	}

	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"bad code", "POST", "/api/v1/admin/incident-types", `{"code":"Gas Leak","name_zh":"燃气","name_en":"Gas","category":"hazmat"}`, 400, `code: "Gas Leak" may hold only lowercase letters`},
		{"no name", "POST", "/api/v1/admin/incident-types", `{"code":"flood","name_en":"Flood","category":"rescue"}`, 400, "name_zh: required"},
		{"category", "POST", "/api/v1/admin/incident-types", `{"code":"flood","name_zh":"洪涝","name_en":"Flood","category":"water"}`, 400, `category: "water" is not one of fire, ems, rescue, hazmat, other`},
		{"agency", "POST", "/api/v1/admin/incident-types", `{"code":"flood","name_zh":"洪涝","name_en":"Flood","category":"rescue","agency_tasks":[{"min_level":1,"agency":"navy","task":"boats","within_s":60}]}`, 400, `agency_tasks[0].agency: "navy" is not one of`},
		{"timer", "POST", "/api/v1/admin/incident-types", `{"code":"flood","name_zh":"洪涝","name_en":"Flood","category":"rescue","timers":{"turnout_s":-5}}`, 400, "timers.turnout_s: -5 is outside"},
		{"unknown field", "POST", "/api/v1/admin/incident-types", `{"code":"flood","colour":"blue"}`, 400, `unknown field "colour"`},
		{"code changes", "PATCH", "/api/v1/admin/incident-types/gas_leak", `{"code":"gas"}`, 400, "a type's code never changes"},
		{"patch unknown", "PATCH", "/api/v1/admin/incident-types/flood", `{"name_en":"Flood"}`, 404, "incident type flood does not exist"},
		{"patch retired", "PATCH", "/api/v1/admin/incident-types/gas_leak", `{"name_en":"Gas"}`, 409, "was retired"},
		{"retire unknown", "POST", "/api/v1/admin/incident-types/flood/retire", "", 404, "incident type flood does not exist"},
		{"bad code in path", "GET", "/api/v1/admin/incident-types/Flood", "", 400, "code:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := adminCall(t, s, "admin", tt.method, tt.path, tt.body)
			detail, _ := body["detail"].(string)
			if code != tt.status || !strings.Contains(detail, tt.detail) {
				t.Fatalf("%d %q, want %d with %q", code, detail, tt.status, tt.detail)
			}
		})
	}
}
