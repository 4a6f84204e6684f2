package exchange_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fireline/fireline/internal/eidoschema"
)

// The EIDO definition is NENA's own, kept unedited in the shared data beside the checkout;
// internal/eidoschema loads it with kin-openapi, working around its published faults (its
// package comment lists them), and checks documents against EmergencyIncidentDataObjectType.
const (
	eidoDefinition = "../../shared/data/eido/openapi.yaml"
	nenaSample     = "../../shared/data/eido/sample_call_transfer.json"
)

var (
	eidoOnce   sync.Once
	eidoSchema *eidoschema.Schema
	eidoErr    error
)

// eidoValidator loads the definition once.
func eidoValidator(t *testing.T) *eidoschema.Schema {
	t.Helper()
	eidoOnce.Do(func() { eidoSchema, eidoErr = eidoschema.Load(filepath.FromSlash(eidoDefinition)) })
	if eidoErr != nil {
		t.Fatal(eidoErr)
	}
	return eidoSchema
}

// validateEIDO checks a JSON document against EmergencyIncidentDataObjectType.
func validateEIDO(t *testing.T, doc []byte) error {
	t.Helper()
	return eidoValidator(t).Validate(doc)
}

// TestEIDODefinitionFaults: the definition as published does not load (fault 1), and the
// loader's reading of it does, with every schema valid OpenAPI 3.0.
func TestEIDODefinitionFaults(t *testing.T) {
	if err := eidoschema.LoadPublished(filepath.FromSlash(eidoDefinition)); err == nil || !strings.Contains(err.Error(), "minItems") {
		t.Errorf("the published definition loaded (%v): has NENA fixed minItems: 1,? Drop that workaround", err)
	}
	eidoValidator(t)
}

// TestNENASampleValidates: NENA's own sample call-transfer EIDO passes the validator, so the
// validator accepts real EIDOs.
func TestNENASampleValidates(t *testing.T) {
	sample, err := os.ReadFile(filepath.FromSlash(nenaSample))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEIDO(t, sample); err != nil {
		t.Fatalf("NENA's sample EIDO is refused: %v", err)
	}
}

// TestValidatorRefusesBadEIDOs: documents with one wrong member are refused, naming it — the
// validator can fail, and fails where it should.
func TestValidatorRefusesBadEIDOs(t *testing.T) {
	sample, err := os.ReadFile(filepath.FromSlash(nenaSample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"priority as a string", func(m map[string]any) {
			m["incidentComponent"] = map[string]any{"$id": "i1", "lastUpdateTimeStamp": "2021-04-30T14:43:49Z",
				"updatedByAgencyReference": map[string]any{"$ref": "state.pa.us"}, "incidentTypeCommonRegistryText": "FSTRU",
				"incidentCommonPriorityNumber": "1"}
		}, "incidentCommonPriorityNumber"},
		{"agencies as an object", func(m map[string]any) { m["agencyComponent"] = map[string]any{} }, "agencyComponent"},
		{"no agencies", func(m map[string]any) { delete(m, "agencyComponent") }, "agencyComponent"},
		{"version 2.0", func(m map[string]any) { m["eidoVersion"] = "2.0" }, "eidoVersion"},
		{"a time that is not one", func(m map[string]any) { m["lastUpdateTimeStamp"] = "yesterday" }, "lastUpdateTimeStamp"},
		{"a reference as a bare string", func(m map[string]any) { m["updatedByAgencyReference"] = "state.pa.us" }, "updatedByAgencyReference"},
		{"a call going sideways", func(m map[string]any) {
			m["callComponent"].([]any)[0].(map[string]any)["direction"] = "sideways"
		}, "direction"},
		{"a location URL without a scheme", func(m map[string]any) {
			m["locationComponent"].([]any)[1].(map[string]any)["locationByReferenceUrl"] = "lrf.osp.com/location"
		}, "locationByReferenceUrl"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(sample, &m); err != nil {
				t.Fatal(err)
			}
			tt.change(m)
			doc, _ := json.Marshal(m)
			err := validateEIDO(t, doc)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("refused for %v; want it to name %s", err, tt.want)
			}
		})
	}
}
