package fireline_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestIncidentTypeCode(t *testing.T) {
	for _, good := range []fireline.IncidentType{"gas_leak", "structure_fire", "a", "medical2"} {
		if err := good.Check(); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []fireline.IncidentType{"", "Gas_leak", "_gas", "2gas", "gas-leak", "gas leak", "燃气", fireline.IncidentType(strings.Repeat("a", 41)), "x'; DROP TABLE incidents;--"} {
		if bad.Valid() {
			t.Errorf("%q passed as a type code", bad)
		}
	}
}

// TestBuiltinTypesKeepTheOldRules: the seeded types carry the behaviour that was code before:
// the agency tasks of AgencyRules, the quick turnout of the rescues and the call for help.
func TestBuiltinTypesKeepTheOldRules(t *testing.T) {
	defs := fireline.BuiltinTypes()
	if len(defs) != len(fireline.IncidentTypes) {
		t.Fatalf("%d built-in types, want %d", len(defs), len(fireline.IncidentTypes))
	}
	quick := []fireline.IncidentType{fireline.TypeTrafficAccident, fireline.TypeWaterRescue, fireline.TypeBuildingCollapse, fireline.TypeHelpRequested}
	for _, d := range defs {
		if err := d.Validate(); err != nil {
			t.Errorf("%s: %v", d.Code, err)
		}
		if got := d.Category.QuickTurnout(); got != slices.Contains(quick, d.Code) {
			t.Errorf("%s: quick turnout %v", d.Code, got)
		}
		for level := fireline.MinLevel; level <= fireline.MaxLevel; level++ {
			want := fireline.TasksFor(fireline.AgencyRules(), d.Code, level)
			got := d.TasksAt(level)
			if len(got) != len(want) {
				t.Fatalf("%s level %d: %d tasks, want %d", d.Code, level, len(got), len(want))
			}
			for i := range got {
				if got[i].Agency != want[i].Agency || got[i].Task != want[i].Task || got[i].Within() != want[i].Within {
					t.Errorf("%s level %d task %d: %+v, want %+v", d.Code, level, i, got[i], want[i])
				}
			}
		}
	}
}

func TestTypeDefinitionValidate(t *testing.T) {
	good := fireline.TypeDefinition{Code: "gas_leak", NameZH: "燃气泄漏", NameEN: "Gas leak", Category: fireline.CategoryHazmat,
		AgencyTasks: []fireline.TypeTask{{MinLevel: 1, Agency: fireline.AgencyGas, Task: "isolate the gas supply", WithinS: 600}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field  string
		change func(*fireline.TypeDefinition)
	}{
		{"code", func(d *fireline.TypeDefinition) { d.Code = "Gas" }},
		{"name_zh", func(d *fireline.TypeDefinition) { d.NameZH = " " }},
		{"name_en", func(d *fireline.TypeDefinition) { d.NameEN = strings.Repeat("x", 81) }},
		{"category", func(d *fireline.TypeDefinition) { d.Category = "gas" }},
		{"timers.turnout_s", func(d *fireline.TypeDefinition) { d.Timers.TurnoutS = -1 }},
		{"agency_tasks[0].agency", func(d *fireline.TypeDefinition) { d.AgencyTasks[0].Agency = "army" }},
		{"agency_tasks[0].min_level", func(d *fireline.TypeDefinition) { d.AgencyTasks[0].MinLevel = 6 }},
		{"agency_tasks[0].within_s", func(d *fireline.TypeDefinition) { d.AgencyTasks[0].WithinS = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			d := good
			d.AgencyTasks = slices.Clone(good.AgencyTasks)
			tt.change(&d)
			err := d.Validate()
			if fireline.ErrorCode(err) != fireline.EINVALID || !strings.HasPrefix(fireline.ErrorMessage(err), tt.field+":") {
				t.Fatalf("error %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
	if got := good.TasksAt(1)[0].Within(); got != 10*time.Minute {
		t.Errorf("within %s", got)
	}
}
