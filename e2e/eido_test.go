package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/internal/eidoschema"
)

// TestIncidentEIDOFromLiveIncident drives a live incident — a call, an assessment, a dispatch,
// a crew through its steps, the police's task acknowledged, a duplicate incident merged in — and
// exports it as a NENA EIDO document through the running stack: the document passes NENA's
// definition, names only declared members, references only its own components, and says what
// happened. A crew reads the EIDO of its own incident only.
func TestIncidentEIDOFromLiveIncident(t *testing.T) {
	schema, err := eidoschema.Load(filepath.FromSlash("../../shared/data/eido/openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t)
	s.start()
	op := s.login("operator")

	id, units := dispatchedIncident(t, s, op, "e2e-eido-0001", scene)
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	// A second call 3 km north opens its own incident; the operator finds it is the same fire.
	var receipt struct {
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms/call", op, map[string]any{
		"call_id": "e2e-eido-0002", "line": "119", "type": "structure_fire", "lat": scene.Lat + 0.027, "lng": scene.Lng,
		"caller_number": "13800138000", "description": "flames seen across the river from the bridge",
	}, &receipt)
	dup := receipt.IncidentID
	if dup == id {
		t.Fatalf("the second call joined incident %d; want an incident of its own to merge", id)
	}
	// Its workflow has run once it has recommended units; the merge is an order to it.
	waitIncident(t, s, op, fmt.Sprintf("/api/v1/incidents/%d", dup), "a recommendation", func(inc fireline.Incident) bool {
		return len(inc.Recommendation) > 0
	})
	if code, raw := s.call("POST", fmt.Sprintf("/api/v1/incidents/%d/merge", dup), op, map[string]any{"into": id}, nil); code != http.StatusOK {
		t.Fatalf("merge %d into %d: %d %s\n%s", dup, id, code, raw, s.logTail())
	}

	first := units[0]
	crew := s.login("crew-" + first)
	for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene} {
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+first+"/status", crew, map[string]string{"status": string(st)}, nil)
	}
	if code, raw := s.call("POST", path+"/agency-tasks/police", op, map[string]any{"status": "acknowledged", "note": "two cars on the way"}, nil); code != http.StatusOK {
		t.Fatalf("police task: %d %s", code, raw)
	}
	waitIncident(t, s, op, path, first+" on scene and the police acknowledged", func(inc fireline.Incident) bool {
		onScene := slices.ContainsFunc(inc.Assignments, func(a fireline.Assignment) bool { return a.UnitID == first && a.OnSceneAt != nil })
		acked := slices.ContainsFunc(inc.AgencyTasks, func(a fireline.AgencyTask) bool {
			return a.Agency == fireline.AgencyPolice && a.Status == fireline.TaskAcknowledged
		})
		return onScene && acked
	})

	req, _ := http.NewRequest("GET", s.base+path+"/eido", nil)
	req.Header.Set("Authorization", "Bearer "+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s/eido: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	raw := s.must(http.StatusOK, "GET", path+"/eido", op, nil, nil)
	if err := schema.Validate(raw); err != nil {
		t.Fatalf("the live incident's EIDO is refused: %v\n%s", err, raw)
	}
	if extra, err := schema.Undeclared(raw); err != nil || len(extra) > 0 {
		t.Errorf("members the definition does not declare: %v %v", extra, err)
	}
	if dangling, twice, err := eidoschema.Dangling(raw); err != nil || len(dangling)+len(twice) > 0 {
		t.Errorf("references that lead to no component %v, ids given twice %v, %v", dangling, twice, err)
	}

	var doc struct {
		ID     string `json:"$id"`
		Merges []struct {
			TrackingID string `json:"incidentTrackingIdentifier"`
			Direction  string `json:"incidentMergeDirectionCode"`
		} `json:"mergeComponent"`
		Incident struct {
			TypeCommon string `json:"incidentTypeCommonRegistryText"`
		} `json:"incidentComponent"`
		Resources []struct {
			Name   string `json:"emergencyResourceName"`
			Status string `json:"primaryUnitStatusRegistryText"`
		} `json:"emergencyResourceComponent"`
		Agencies []struct {
			ID string `json:"$id"`
		} `json:"agencyComponent"`
		Calls []json.RawMessage `json:"callComponent"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	track := func(n int64) string { return fmt.Sprintf("urn:emergency:uid:incidentid:%d:fire.liaocheng.example", n) }
	if doc.ID != track(id) || doc.Incident.TypeCommon != "FSTRU" {
		t.Errorf("document %s, type %s; want %s, FSTRU", doc.ID, doc.Incident.TypeCommon, track(id))
	}
	if len(doc.Merges) != 1 || doc.Merges[0].Direction != "REPLACING" || doc.Merges[0].TrackingID != track(dup) {
		t.Errorf("merges %+v, want incident %d REPLACING", doc.Merges, dup)
	}
	var names []string
	for _, r := range doc.Resources {
		names = append(names, r.Name)
		if r.Name == first && r.Status != "OnScene" {
			t.Errorf("%s is %s, want OnScene", first, r.Status)
		}
	}
	slices.Sort(names)
	sorted := slices.Sorted(slices.Values(units))
	if !slices.Equal(names, sorted) {
		t.Errorf("resources %v, want the dispatched units %v", names, sorted)
	}
	var agencies []string
	for _, a := range doc.Agencies {
		agencies = append(agencies, a.ID)
	}
	if !slices.Contains(agencies, "fire.liaocheng.example") || !slices.Contains(agencies, "police.liaocheng.example") {
		t.Errorf("agencies %v, want the centre and the police", agencies)
	}
	// Both calls: the merge moved the duplicate's alarm here.
	if len(doc.Calls) != 2 {
		t.Errorf("%d calls, want 2", len(doc.Calls))
	}

	dupRaw := s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/eido", dup), op, nil, nil)
	if err := schema.Validate(dupRaw); err != nil {
		t.Fatalf("the merged incident's EIDO is refused: %v", err)
	}
	if !strings.Contains(string(dupRaw), `"incidentMergeDirectionCode":"REPLACED"`) {
		t.Errorf("the merged incident's EIDO does not say it was replaced: %s", dupRaw)
	}

	// The caller's number and words went along with the merged call; the crew's EIDO leaves them out.
	for _, said := range []string{"tel:13800138000", "across the river"} {
		if !strings.Contains(string(raw), said) {
			t.Errorf("the operator's EIDO lacks %q", said)
		}
	}
	crewRaw := s.must(http.StatusOK, "GET", path+"/eido", crew, nil, nil)
	if err := schema.Validate(crewRaw); err != nil {
		t.Fatalf("the crew's EIDO is refused: %v", err)
	}
	for _, said := range []string{"13800138000", "across the river"} {
		if strings.Contains(string(crewRaw), said) {
			t.Errorf("the crew's EIDO carries %q", said)
		}
	}
	if code, raw := s.call("GET", fmt.Sprintf("/api/v1/incidents/%d/eido", dup), crew, nil, nil); code != http.StatusForbidden {
		t.Errorf("crew of %s reads the EIDO of incident %d, which its unit is not on: %d %s", first, dup, code, raw)
	}
}
