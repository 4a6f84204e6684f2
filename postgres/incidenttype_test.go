package postgres_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestIncidentTypesSeeded: the migration stores the ten types that were code, with the
// behaviour the code gave them.
func TestIncidentTypesSeeded(t *testing.T) {
	t.Parallel()
	db, _ := newDB(t)
	got, err := db.IncidentTypeDefs(context.Background(), fireline.RefFilter{})
	must(t, err)
	want := fireline.BuiltinTypes()
	slices.SortFunc(want, func(a, b fireline.TypeDefinition) int { return cmpString(string(a.Code), string(b.Code)) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seeded types:\n got %+v\nwant %+v", got, want)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestAdminIncidentTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	gas := fireline.TypeDefinition{Code: "gas_leak", NameZH: "燃气泄漏", NameEN: "Gas leak", Category: fireline.CategoryHazmat,
		Timers:      fireline.TypeTimers{TurnoutS: 70},
		AgencyTasks: []fireline.TypeTask{{MinLevel: 1, Agency: fireline.AgencyGas, Task: "isolate the gas supply", WithinS: 600}}}

	// Before the type exists, nothing may name it.
	_, err := db.CreatePlan(ctx, fireline.ResponsePlan{IncidentType: "gas_leak", Level: 1, Slots: []fireline.PlanSlot{{Type: fireline.UnitHazmat, Count: 1}}}, admin)
	wantError(t, err, fireline.EINVALID, `incident_type: "gas_leak" is not an incident type`)
	a := alarm(cellA)
	a.Type = "gas_leak"
	_, err = db.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: []string{cellA}})
	wantError(t, err, fireline.EINVALID, `type: "gas_leak" is not an incident type`)

	created, err := db.CreateIncidentType(ctx, gas, admin)
	must(t, err)
	if !reflect.DeepEqual(created, gas) {
		t.Fatalf("CreateIncidentType = %+v, want %+v", created, gas)
	}
	_, err = db.CreateIncidentType(ctx, gas, admin)
	wantError(t, err, fireline.ECONFLICT, "incident type gas_leak already exists")
	_, err = db.CreateIncidentType(ctx, fireline.TypeDefinition{Code: "Gas"}, admin)
	wantCode(t, err, fireline.EINVALID)

	card := fireline.ResponsePlan{IncidentType: "gas_leak", Level: 1, Slots: []fireline.PlanSlot{{Type: fireline.UnitHazmat, Count: 1}, {Type: fireline.UnitEngine, Count: 1}}}
	_, err = db.CreatePlan(ctx, card, admin)
	must(t, err)
	snap, err := db.IncidentTypeSnapshot(ctx, "gas_leak")
	must(t, err)
	if !reflect.DeepEqual(snap.Definition, gas) || len(snap.Plans) != fireline.MaxLevel {
		t.Fatalf("snapshot %+v", snap)
	}
	for level := fireline.MinLevel; level <= fireline.MaxLevel; level++ {
		if !slices.Equal(snap.Slots(level), card.Slots) {
			t.Errorf("level %d slots %v, want the level-1 card's %v", level, snap.Slots(level), card.Slots)
		}
	}

	// An alarm of the new type opens an incident; a help call nearby joins it, a hazmat alarm
	// (another type of the same category) does not.
	rc, err := db.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: []string{cellA}, Window: 30 * time.Minute})
	must(t, err)
	h := alarm(cellA)
	h.Type = fireline.TypeHazmat
	other, err := db.ReceiveAlarm(ctx, h, fireline.DedupeRule{Cells: []string{cellA}, Window: 30 * time.Minute})
	must(t, err)
	if other.Merged {
		t.Errorf("a hazmat alarm joined the gas leak %d", rc.IncidentID)
	}
	help := alarm(cellA)
	help.Type = fireline.TypeHelpRequested
	joined, err := db.ReceiveAlarm(ctx, help, fireline.DedupeRule{Cells: []string{cellA}, Window: 30 * time.Minute})
	must(t, err)
	if !joined.Merged {
		t.Errorf("a call for help beside two incidents opened incident %d", joined.IncidentID)
	}

	// Rename in both languages; a repeat changes nothing and writes nothing.
	renamed := gas
	renamed.NameZH, renamed.NameEN = "天然气泄漏", "Natural gas leak"
	got, err := db.UpdateIncidentType(ctx, renamed, admin)
	must(t, err)
	if got.NameZH != "天然气泄漏" || got.NameEN != "Natural gas leak" {
		t.Fatalf("UpdateIncidentType = %+v", got)
	}
	_, err = db.UpdateIncidentType(ctx, renamed, admin)
	must(t, err)
	_, err = db.UpdateIncidentType(ctx, fireline.TypeDefinition{Code: "meteor", NameZH: "陨石", NameEN: "Meteor", Category: fireline.CategoryOther}, admin)
	wantCode(t, err, fireline.ENOTFOUND)

	retired, err := db.RetireIncidentType(ctx, "gas_leak", admin)
	must(t, err)
	if retired.RetiredAt == nil {
		t.Fatalf("RetireIncidentType = %+v", retired)
	}
	_, err = db.RetireIncidentType(ctx, "gas_leak", admin)
	must(t, err)
	_, err = db.UpdateIncidentType(ctx, renamed, admin)
	wantError(t, err, fireline.ECONFLICT, "was retired on")
	_, err = db.CreateIncidentType(ctx, gas, admin)
	wantError(t, err, fireline.ECONFLICT, "never reused")
	_, err = db.IncidentTypeSnapshot(ctx, "gas_leak")
	wantError(t, err, fireline.EINVALID, "incident type gas_leak was retired")
	card.Slots = card.Slots[:1]
	_, err = db.UpdatePlan(ctx, card, admin)
	wantError(t, err, fireline.EINVALID, "was retired")
	a2 := alarm(cellA)
	a2.Type = "gas_leak"
	_, err = db.ReceiveAlarm(ctx, a2, fireline.DedupeRule{Cells: []string{cellA}})
	wantError(t, err, fireline.EINVALID, "incident type gas_leak was retired")

	inForce, err := db.IncidentTypeDefs(ctx, fireline.RefFilter{})
	must(t, err)
	all, err := db.IncidentTypeDefs(ctx, fireline.RefFilter{IncludeRetired: true})
	must(t, err)
	if len(inForce) != 10 || len(all) != 11 {
		t.Errorf("%d types in force and %d in all, want 10 and 11", len(inForce), len(all))
	}
	if a := actions(trail(t, db, fireline.EntityIncidentType, "gas_leak")); a != "create,update,retire" {
		t.Errorf("gas_leak's trail %s, want create,update,retire", a)
	}
}
