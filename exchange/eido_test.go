package exchange_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/exchange"
	"github.com/fireline/fireline/internal/eidoschema"
)

// readModel is the read model of one command centre, in memory: the incidents, their
// timelines and their alarms, as the exporter reads them through the root's contracts. The
// embedded nil interfaces panic if the exporter reaches for anything else.
type readModel struct {
	fireline.IncidentStore
	fireline.AlarmStore
	incidents map[int64]fireline.Incident
	timelines map[int64][]fireline.TimelineEvent
	alarms    map[int64][]fireline.Alarm
}

func (m *readModel) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	inc, ok := m.incidents[id]
	if !ok {
		return inc, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	return inc, nil
}

func (m *readModel) Timeline(_ context.Context, id int64) ([]fireline.TimelineEvent, error) {
	return m.timelines[id], nil
}

func (m *readModel) IncidentAlarms(_ context.Context, id int64) ([]fireline.Alarm, error) {
	return m.alarms[id], nil
}

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func at(sec int) time.Time   { return t0.Add(time.Duration(sec) * time.Second) }
func atp(sec int) *time.Time { t := at(sec); return &t }

// busyNight is a structure fire in Liaocheng (incident 42) that took a 119 call, a panel's
// alarm and a public report; engine E1 went through every step, ladder L1 was stood down and
// sent again, tanker T1 came as a reinforcement and has cleared; police and EMS were asked for tasks;
// incident 43 (a duplicate call) was merged into it and one alarm was split out into 44.
func busyNight() *readModel {
	trapped := 2
	inc := fireline.Incident{
		ID: 42, Type: fireline.TypeStructureFire, Level: 2, Status: fireline.IncidentActive,
		Point: fireline.Point{Lat: 36.456789, Lng: 115.985432}, Address: "Dongchang Rd 18 & Liuyuan St <north gate>",
		Cell: "8931aa5a8c3ffff", CreatedAt: at(0), Priority: 1, AlarmCount: 3, AssessedAt: atp(40), AssessedBy: "op.wang",
		Assignments: []fireline.Assignment{
			{UnitID: "E1", Type: fireline.UnitEngine, Status: fireline.UnitOnScene, DispatchedAt: at(60),
				AckAt: atp(70), EnRouteAt: atp(120), OnSceneAt: atp(400)},
			{UnitID: "L1", Type: fireline.UnitLadder, Status: fireline.UnitAvailable, DispatchedAt: at(60), AckAt: atp(90), ClearedAt: atp(300)},
			{UnitID: "T1", Type: fireline.UnitTanker, Status: fireline.UnitReturning, DispatchedAt: at(600),
				AckAt: atp(610), EnRouteAt: atp(650), OnSceneAt: atp(900), ClearedAt: atp(1500)},
			// L1, stood down at first, is sent again.
			{UnitID: "L1", Type: fireline.UnitLadder, Status: fireline.UnitAcknowledged, DispatchedAt: at(700), AckAt: atp(710)},
		},
		AgencyTasks: []fireline.AgencyTask{
			{IncidentID: 42, Agency: fireline.AgencyPolice, Task: "traffic control and cordon at the scene", Status: fireline.TaskAcknowledged,
				RequestedAt: at(45), DueAt: at(645), UpdatedAt: at(200), Actor: "op.wang", Note: "two cars on the way"},
			{IncidentID: 42, Agency: fireline.AgencyEMS, Task: "ambulance standing by at the scene", Status: fireline.TaskRequested,
				RequestedAt: at(45), DueAt: at(645), UpdatedAt: at(45)},
			{IncidentID: 42, Agency: fireline.AgencyEmergency, Task: "activate the emergency management duty officer", Status: fireline.TaskDone,
				RequestedAt: at(45), DueAt: at(945), UpdatedAt: at(700), Actor: "sup.li"},
		},
		UpdatedAt: at(1500),
	}
	merged := fireline.Incident{
		ID: 43, Type: fireline.TypeStructureFire, Level: 1, Status: fireline.IncidentMerged, Outcome: fireline.IncidentMerged,
		MergedInto: 42, Point: inc.Point, Address: "Dongchang Rd 18", CreatedAt: at(20), ClosedAt: atp(300),
		Assignments: []fireline.Assignment{}, AgencyTasks: []fireline.AgencyTask{}, UpdatedAt: at(300),
	}
	split := fireline.Incident{
		ID: 44, Type: fireline.TypeStructureFire, Level: 1, Status: fireline.IncidentReceived, Point: fireline.Point{Lat: 36.47, Lng: 115.99},
		CreatedAt: at(500), Assignments: []fireline.Assignment{}, AgencyTasks: []fireline.AgencyTask{}, UpdatedAt: at(500),
	}
	merge := map[string]any{"from": float64(43), "into": float64(42), "alarms": []any{float64(2)}, "units": []any{}}
	return &readModel{
		incidents: map[int64]fireline.Incident{42: inc, 43: merged, 44: split},
		timelines: map[int64][]fireline.TimelineEvent{
			42: {
				{ID: 1, IncidentID: 42, Key: "alarm:1", At: at(0), Kind: fireline.EventAlarmReceived, Detail: "119 call"},
				{ID: 2, IncidentID: 42, Key: "assessed:1", At: at(40), Kind: fireline.EventAssessed, Actor: "op.wang",
					Detail: "structure_fire, level 2, priority 1", Data: map[string]any{"level": float64(2)}},
				{ID: 3, IncidentID: 42, Key: "dispatch:1", At: at(60), Kind: fireline.EventDispatched, Actor: "op.wang",
					Detail: "dispatched [E1 L1]", Data: map[string]any{"units": []any{"E1", "L1"}, "round": float64(1)}},
				{ID: 4, IncidentID: 42, Key: "escalation:turnout:L1", At: at(150), Kind: fireline.EventEscalation, Detail: "L1 turnout overdue"},
				{ID: 5, IncidentID: 42, Key: "merged-from:43", At: at(300), Kind: fireline.EventIncidentMerged, Actor: "op.wang",
					Detail: "incident 43 merged in: 1 alarms, units []", Data: merge},
				{ID: 6, IncidentID: 42, Key: "split:9", At: at(500), Kind: fireline.EventAlarmSplit, Actor: "op.wang",
					Detail: "alarm 9 (public P-9) split out into incident 44", Data: map[string]any{"alarm": float64(9), "from": float64(42), "incident": float64(44)}},
				{ID: 7, IncidentID: 42, Key: "reinforcement:2", At: at(600), Kind: fireline.EventReinforced, Actor: "sup.li",
					Detail: "reinforcement [T1]", Data: map[string]any{"units": []any{"T1"}, "round": float64(2)}},
				{ID: 10, IncidentID: 42, Key: "reinforcement:3", At: at(700), Kind: fireline.EventReinforced, Actor: "op.zhao",
					Detail: "reinforcement [L1]", Data: map[string]any{"units": []any{"L1"}, "round": float64(3)}},
				{ID: 8, IncidentID: 42, Key: "par:1:confirmed", At: at(800), Kind: fireline.EventPAR, Actor: "sup.li", Detail: "PAR confirmed: 9 of 9"},
			},
			44: {
				{ID: 11, IncidentID: 44, Key: "alarm:9", At: at(500), Kind: fireline.EventAlarmSplit, Actor: "op.wang",
					Detail: "split out of incident 42: public alarm P-9", Data: map[string]any{"alarm": float64(9), "from": float64(42), "incident": float64(44)}},
			},
			43: {
				{ID: 9, IncidentID: 43, Key: "merged-into:42", At: at(300), Kind: fireline.EventIncidentMerged, Actor: "op.wang",
					Detail: "merged into incident 42 with 1 alarms and units []", Data: merge},
			},
		},
		alarms: map[int64][]fireline.Alarm{
			42: {
				{ID: 1, Source: fireline.SourceCall, SourceID: "CALL-1", Type: fireline.TypeStructureFire, Point: inc.Point,
					Address: inc.Address, Description: "smoke from the third floor, <b>people</b> at the windows", Caller: "Zhang",
					ReportedAt: at(-30), ReceivedAt: at(0), IncidentID: 42,
					Details: fireline.AlarmDetails{CallerNumber: "+86 138-1234-5678", PeopleTrapped: &trapped, Hazards: []string{"gas cylinders"}}},
				{ID: 2, Source: fireline.SourceCall, SourceID: "CALL-2", Type: fireline.TypeStructureFire, Point: inc.Point,
					ReportedAt: at(15), ReceivedAt: at(20), IncidentID: 42, Details: fireline.AlarmDetails{CallerNumber: fireline.Purged}},
				{ID: 3, Source: fireline.SourceIoT, SourceID: "FAP-7:EV-1", Type: fireline.TypeStructureFire, Point: inc.Point,
					ReportedAt: at(5), ReceivedAt: at(6), IncidentID: 42, Kind: fireline.KindFireAlarm, DeviceID: "FAP-7",
					PremiseID: "KP-3", Details: fireline.AlarmDetails{PremiseName: "Liuyuan Mall", Floor: "3", Zone: "east stair"}},
				{ID: 4, Source: fireline.SourcePublic, SourceID: "P-4", Type: fireline.TypeStructureFire, Point: inc.Point,
					ReportedAt: at(25), ReceivedAt: at(26), IncidentID: 42, ConfirmedBy: "op.zhao", ConfirmedAt: atp(35),
					Details: fireline.AlarmDetails{Channel: "sms", CallerNumber: "13900001111"}},
			},
		},
	}
}

func exporter(m *readModel) *exchange.EIDO {
	return exchange.NewEIDO(m, m, nil, exchange.DefaultEIDOConfig())
}

// TestIncidentEIDOValidates: a busy incident's export — calls, a panel, a public report, units
// with step times, joint agencies' tasks, a merged and a split incident, notes — passes NENA's
// definition, names only members the definition declares, and every reference in it leads to a
// component of the document.
func TestIncidentEIDOValidates(t *testing.T) {
	for _, id := range []int64{42, 43, 44} {
		raw, err := exporter(busyNight()).IncidentEIDO(context.Background(), id, fireline.EIDOWhole)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateEIDO(t, raw); err != nil {
			t.Fatalf("incident %d's EIDO is refused: %v\n%s", id, err, raw)
		}
		if extra, err := eidoValidator(t).Undeclared(raw); err != nil || len(extra) > 0 {
			t.Errorf("incident %d's EIDO has members the definition does not declare: %v %v", id, extra, err)
		}
		if dangling, twice, err := eidoschema.Dangling(raw); err != nil || len(dangling)+len(twice) > 0 {
			t.Errorf("incident %d: references that lead to no component %v, ids given twice %v, %v", id, dangling, twice, err)
		}
	}
}

// TestIncidentEIDOSays reads the busy incident's document for what a neighbouring centre needs.
func TestIncidentEIDOSays(t *testing.T) {
	doc, err := exporter(busyNight()).Document(context.Background(), 42, fireline.EIDOWhole)
	if err != nil {
		t.Fatal(err)
	}
	const track = "urn:emergency:uid:incidentid:42:fire.liaocheng.example"
	if doc.ID != track || doc.Version != "1.0" || !doc.LastUpdate.Equal(at(1500)) {
		t.Errorf("document: %s version %s at %s", doc.ID, doc.Version, doc.LastUpdate)
	}
	in := doc.Incident
	if in.TypeCommon != "FSTRU" || in.TypeInternalCode != "structure_fire" || in.TypeInternalText != "Structure fire" ||
		in.PriorityNumber != 1 || !strings.Contains(in.PriorityInternal, "level 2") || !slices.Equal(in.StatusInternal, []string{"active"}) {
		t.Errorf("incident component: %+v", in)
	}

	// Merges: 43 merged in (REPLACING), 44 split out (SPLIT).
	var merges []string
	for _, m := range doc.Merges {
		merges = append(merges, m.Direction+" "+m.TrackingID)
	}
	if want := []string{"REPLACING urn:emergency:uid:incidentid:43:fire.liaocheng.example", "SPLIT urn:emergency:uid:incidentid:44:fire.liaocheng.example"}; !slices.Equal(merges, want) {
		t.Errorf("merges %q, want %q", merges, want)
	}
	merged, err := exporter(busyNight()).Document(context.Background(), 43, fireline.EIDOWhole)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Merges) != 1 || merged.Merges[0].Direction != "REPLACED" || merged.Merges[0].TrackingID != track {
		t.Errorf("incident 43's merges: %+v, want REPLACED by 42", merged.Merges)
	}

	split, err := exporter(busyNight()).Document(context.Background(), 44, fireline.EIDOWhole)
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Merges) != 1 || split.Merges[0].Direction != "SPLIT" || split.Merges[0].TrackingID != track {
		t.Errorf("incident 44's merges: %+v, want SPLIT from 42", split.Merges)
	}

	// Units: status, type and step times; the cleared tanker has no destination any more.
	notes := map[string]string{}
	for _, n := range doc.Notes {
		notes[n.ID] = n.Text
	}
	byName := map[string]exchange.Resource{}
	for _, r := range doc.Resources {
		byName[r.Name] = r
	}
	e1 := byName["E1"]
	if e1.PrimaryStatus != "OnScene" || e1.TypeCommon != "Engine" || e1.Destination == nil || !e1.LastUpdate.Equal(at(400)) {
		t.Errorf("E1: %+v", e1)
	}
	if steps := notes[e1.Notes[0].ID]; !strings.Contains(steps, "dispatched 2026-12-05T08:01:00Z") || !strings.Contains(steps, "on scene 2026-12-05T08:06:40Z") {
		t.Errorf("E1's steps: %q", steps)
	}
	if len(doc.Resources) != 3 || byName["L1"].PrimaryStatus != "Dispatched" || byName["L1"].Destination == nil ||
		byName["T1"].Destination != nil || byName["T1"].PrimaryStatus != "Returning" {
		t.Errorf("resources: L1 %+v, T1 %+v; want L1 sent again and T1 returning", byName["L1"], byName["T1"])
	}
	if steps := notes[byName["L1"].Notes[0].ID]; !strings.Contains(steps, "cleared 2026-12-05T08:05:00Z; then dispatched 2026-12-05T08:11:40Z") {
		t.Errorf("L1's steps: %q", steps)
	}
	dispatchers := map[string][]string{}
	for _, d := range doc.Dispatches {
		if len(d.Resources) == 1 && d.Agent != nil {
			dispatchers[d.Resources[0].ID] = append(dispatchers[d.Resources[0].ID], d.Agent.ID)
		}
	}
	if !slices.Equal(dispatchers[e1.ID], []string{"op.wang@fire.liaocheng.example"}) ||
		!slices.Equal(dispatchers[byName["T1"].ID], []string{"sup.li@fire.liaocheng.example"}) ||
		!slices.Equal(dispatchers[byName["L1"].ID], []string{"op.wang@fire.liaocheng.example", "op.zhao@fire.liaocheng.example"}) {
		t.Errorf("dispatchers %v", dispatchers)
	}

	// Agencies: the centre owns the incident; police, EMS and emergency management were asked.
	var agencies []string
	for _, a := range doc.Agencies {
		agencies = append(agencies, a.ID+" "+strings.Join(a.Types, ",")+" "+strings.Join(a.Roles, ","))
	}
	want := []string{"fire.liaocheng.example psap,fire CallReceiving,Dispatching", "police.liaocheng.example police Responding",
		"ems.liaocheng.example ems Responding", "emergency-management.liaocheng.example other Responding"}
	if !slices.Equal(agencies, want) || !doc.Agencies[0].Owning || doc.Agencies[1].Owning {
		t.Errorf("agencies %q, want %q", agencies, want)
	}
	if task := notes[doc.Agencies[1].Notes[0].ID]; !strings.Contains(task, "traffic control") || !strings.Contains(task, "acknowledged") {
		t.Errorf("police task note %q", task)
	}

	// Calls: two 119 calls and the public report; the purged number gives no callback; the
	// panel is an alarm. The caller's words are escaped for HTML.
	if len(doc.Calls) != 3 || len(doc.Alarms) != 1 || len(doc.Callbacks) != 2 {
		t.Fatalf("%d calls, %d alarms, %d callbacks; want 3, 1, 2", len(doc.Calls), len(doc.Alarms), len(doc.Callbacks))
	}
	first := doc.Calls[0]
	if first.ID != "urn:emergency:uid:callid:1:fire.liaocheng.example" || first.Callback == nil || doc.Calls[1].Callback != nil ||
		doc.Callbacks[0].URIs[0] != "tel:+8613812345678" || !first.Start.Equal(at(-30)) {
		t.Errorf("first call %+v, callbacks %+v", first, doc.Callbacks)
	}
	said := notes[first.Notes[0].ID]
	if !strings.Contains(said, "&lt;b&gt;people&lt;/b&gt;") || !strings.Contains(said, "2 people trapped") || !strings.Contains(said, "gas cylinders") {
		t.Errorf("first call's note %q", said)
	}
	if panel := notes[doc.Alarms[0].Notes[0].ID]; !strings.Contains(panel, "Liuyuan Mall") || !strings.Contains(panel, "device FAP-7") {
		t.Errorf("panel's note %q", panel)
	}

	// Notes: the incident's times, then from the timeline the assessment, the merge, the split, the reinforcement and the
	// PAR; not the escalation or the dispatch (the units say it).
	var kinds []string
	for _, r := range in.Notes {
		kinds = append(kinds, strings.SplitN(notes[r.ID], ":", 2)[0])
	}
	if want := []string{"times", "assessed", "incident merged", "alarm split", "reinforced", "reinforced", "par"}; !slices.Equal(kinds, want) {
		t.Errorf("incident notes %q, want %q", kinds, want)
	}

	if times := notes[in.Notes[0].ID]; !strings.Contains(times, "opened 2026-12-05T08:00:00Z") || !strings.Contains(times, "assessed 2026-12-05T08:00:40Z by op.wang") {
		t.Errorf("times note %q", times)
	}
	if i := slices.IndexFunc(merged.Notes, func(n exchange.Note) bool { return n.ID == merged.Incident.Notes[0].ID }); i < 0 ||
		!strings.Contains(merged.Notes[i].Text, "ended 2026-12-05T08:05:00Z (merged)") {
		t.Errorf("incident 43's notes %+v: want its times, ended when merged", merged.Notes)
	}

	// Location: the point and the address, in a PIDF-LO that parses.
	var pidf struct {
		Pos  string `xml:"device>geopriv>location-info>Point>pos"`
		LOC  string `xml:"device>geopriv>location-info>civicAddress>LOC"`
		Ctry string `xml:"device>geopriv>location-info>civicAddress>country"`
	}
	if err := xml.Unmarshal([]byte(doc.Locations[0].PIDFLO), &pidf); err != nil {
		t.Fatalf("PIDF-LO: %v\n%s", err, doc.Locations[0].PIDFLO)
	}
	if pidf.Pos != "36.456789 115.985432" || pidf.LOC != "Dongchang Rd 18 & Liuyuan St <north gate>" || pidf.Ctry != "CN" {
		t.Errorf("PIDF-LO says %+v", pidf)
	}
}

// TestIncidentEIDOOfNoIncident: an incident that does not exist is ENOTFOUND, as the store said.
func TestIncidentEIDOOfNoIncident(t *testing.T) {
	_, err := exporter(busyNight()).IncidentEIDO(context.Background(), 99, fireline.EIDOWhole)
	var fe *fireline.Error
	if !errors.As(err, &fe) || fe.Code != fireline.ENOTFOUND {
		t.Fatalf("err %v, want ENOTFOUND", err)
	}
}

// TestEIDOConfigValidate: the agency id must be a domain name with a parent.
func TestEIDOConfigValidate(t *testing.T) {
	for id, ok := range map[string]bool{"fire.liaocheng.example": true, "liaocheng": false, "fire..example": false, "fire.liao cheng.cn": false} {
		cfg := exchange.DefaultEIDOConfig()
		cfg.AgencyID = id
		if err := cfg.Validate(); (err == nil) != ok {
			t.Errorf("%q: %v", id, err)
		}
	}
}

// TestUndeclaredMembersAreCaught: the closed-world check above names a misspelt member, at top
// level and inside a component, which the definition alone would let through; and the
// reference check names a reference to nothing.
func TestUndeclaredMembersAreCaught(t *testing.T) {
	raw, err := exporter(busyNight()).IncidentEIDO(context.Background(), 42, fireline.EIDOWhole)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["eidoversion"] = "1.0"
	m["incidentComponent"].(map[string]any)["incidentTypeComonRegistryText"] = "FSTRU"
	b, _ := json.Marshal(m)
	if err := validateEIDO(t, b); err != nil {
		t.Fatalf("the definition refuses a misspelt member (%v): the closed-world check is not needed", err)
	}
	got, err := eidoValidator(t).Undeclared(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/eidoversion", "/incidentComponent/incidentTypeComonRegistryText"}; !slices.Equal(got, want) {
		t.Errorf("undeclared %q, want %q", got, want)
	}
	m["incidentComponent"].(map[string]any)["locationReference"] = []any{map[string]any{"$ref": "nowhere"}}
	m["incidentComponent"].(map[string]any)["$id"] = m["$id"]
	b, _ = json.Marshal(m)
	if dangling, twice, err := eidoschema.Dangling(b); err != nil || !slices.Equal(dangling, []string{"nowhere"}) || !slices.Equal(twice, []string{m["$id"].(string)}) {
		t.Errorf("dangling %q, twice %q, %v; want [nowhere] and the document's id", dangling, twice, err)
	}
}

// TestIncidentEIDOWithoutCallers: a crew's EIDO leaves out the callers' numbers and words and
// keeps the facts; it still passes the definition.
func TestIncidentEIDOWithoutCallers(t *testing.T) {
	raw, err := exporter(busyNight()).IncidentEIDO(context.Background(), 42, fireline.EIDOWithoutCallers)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEIDO(t, raw); err != nil {
		t.Fatalf("refused: %v", err)
	}
	for _, said := range []string{"callbackComponent", "tel:", "13812345678", "13900001111", "people&lt;/b&gt;", "third floor", "Zhang"} {
		if strings.Contains(string(raw), said) {
			t.Errorf("the crew's EIDO carries %q", said)
		}
	}
	for _, fact := range []string{"2 people trapped", "gas cylinders", "Liuyuan Mall", "callid:1:"} {
		if !strings.Contains(string(raw), fact) {
			t.Errorf("the crew's EIDO lacks %q", fact)
		}
	}
	whole, _ := exporter(busyNight()).IncidentEIDO(context.Background(), 42, fireline.EIDOWhole)
	if !strings.Contains(string(whole), "tel:+8613812345678") || !strings.Contains(string(whole), "third floor") || strings.Contains(string(whole), "Zhang") {
		t.Errorf("the whole EIDO should carry the callers' numbers and words, and no caller's name")
	}
}

// typeStore is the administrators' incident types: a gas leak they added, and the structure fire
// renamed.
type typeStore struct{ fireline.IncidentTypeStore }

func (typeStore) IncidentTypeDef(_ context.Context, code fireline.IncidentType) (fireline.TypeDefinition, error) {
	switch code {
	case "gas_leak":
		return fireline.TypeDefinition{Code: code, NameEN: "Gas leak", Category: fireline.CategoryHazmat}, nil
	case fireline.TypeStructureFire:
		return fireline.TypeDefinition{Code: code, NameEN: "Building fire", Category: fireline.CategoryFire}, nil
	}
	return fireline.TypeDefinition{}, fireline.Errorf(fireline.ENOTFOUND, "no incident type %s", code)
}

// TestIncidentEIDOOfAdministratorsTypes: the type's name is the administrators', and a type
// the common list cannot know takes its category's common type; without the types store the
// built-in names serve, and an unknown type is its code.
func TestIncidentEIDOOfAdministratorsTypes(t *testing.T) {
	m := busyNight()
	leak := m.incidents[44]
	leak.Type = "gas_leak"
	m.incidents[44] = leak
	for _, tt := range []struct {
		types            fireline.IncidentTypeStore
		id               int64
		name, code, text string
	}{
		{typeStore{}, 42, "renamed", "FSTRU", "Building fire"},
		{typeStore{}, 44, "added", "HAZMAT", "Gas leak"},
		{nil, 42, "built in", "FSTRU", "Structure fire"},
		{nil, 44, "unknown", "TROUBLE", "gas_leak"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := exchange.NewEIDO(m, m, tt.types, exchange.DefaultEIDOConfig()).Document(context.Background(), tt.id, fireline.EIDOWhole)
			if err != nil {
				t.Fatal(err)
			}
			if in := doc.Incident; in.TypeCommon != tt.code || in.TypeInternalText != tt.text {
				t.Errorf("type %s %q, want %s %q", in.TypeCommon, in.TypeInternalText, tt.code, tt.text)
			}
		})
	}
}
