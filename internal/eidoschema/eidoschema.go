// Package eidoschema is the yardstick the tests hold EIDO documents to: NENA's own OpenAPI 3.0
// definition of the Emergency Incident Data Object (NENA-STA-021, from the NENA911/EIDO-JSON
// repository), loaded with kin-openapi, and its EmergencyIncidentDataObjectType schema as a
// validator. Only tests import it; the binary does not link it.
//
// The definition does not load as published, so Load works around its faults in memory (the
// shared file stays as NENA wrote it), each asserted to be present so a fixed upstream copy
// fails loudly and its workaround can go:
//
//  1. AgentType.agentRoleRegistryText has "minItems: 1," — the trailing comma makes the value
//     the string "1,", which no loader accepts as an integer. Read as minItems: 1.
//  2. Five "$ref"s point at NIEM component files the definition does not include
//     (NIEMComponents/nc.yaml: ncPersonType, ncOrganizationType, ncVehicleType, ncItemType;
//     j.yaml: jCommercialVehicleType, whose path is misspelt "NIEMComponents//j.yaml" with a
//     doubled slash). Each becomes an open object ({type: object}): what a NIEM person or
//     vehicle holds is NIEM's to say.
//  3. ReferenceType has no "type: object", so JSON Schema applies its required "$ref" only to
//     objects and a bare string passes where every reference must be {"$ref": …}. Typed as
//     the object it is (NENA's sample uses objects throughout).
//  4. AlternateValuesType's Alternate items require "TimeStamp" and "Value", but their
//     properties are spelt "Timestamp" and "OtherValue": no document could satisfy both. The
//     required names are read as the properties'. (No EIDO component list holds alternate
//     values, so this changes nothing a document is checked against; it makes the definition
//     whole.)
//  5. ExternalInformationSourceType spells its property "externalSourceAcessString". Left as
//     published: documents in the wild carry that spelling.
//
// kin-openapi checks "date-time" strings but not "uri"; Load defines the uri format (an
// absolute URI, with a scheme, as RFC 3986 requires) so a malformed URL is refused too.
package eidoschema

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Fault is one published fault of the definition that Load works around.
type Fault struct {
	Name, Published, Read string
}

// Faults are the workarounds 1, 3 and 4 of the package comment; 2 is niemRef's.
var Faults = []Fault{
	{"minItems with a trailing comma", "minItems: 1,\n", "minItems: 1\n"},
	{"ReferenceType without a type", "    ReferenceType:\n      title: Reference\n", "    ReferenceType:\n      title: Reference\n      type: object\n"},
	{"AlternateValuesType requires TimeStamp and Value", "              - TimeStamp\n              - Value\n", "              - Timestamp\n              - OtherValue\n"},
}

// niemRef matches the unresolved NIEM references (workaround 2).
var niemRef = regexp.MustCompile(`\$ref: 'NIEMComponents/[^']*'`)

// Schema is EmergencyIncidentDataObjectType, ready to check documents.
type Schema struct {
	s *openapi3.Schema
}

var defineURI sync.Once

// Load reads the definition at path (openapi.yaml), works around its faults and returns the
// EIDO schema; it fails when a fault it knows is not there, or the definition does not load.
func Load(path string) (*Schema, error) {
	raw, err := os.ReadFile(path) // #nosec G304 -- a test names the definition it checks against
	if err != nil {
		return nil, err
	}
	text := string(raw)
	for _, f := range Faults {
		if n := strings.Count(text, f.Published); n != 1 {
			return nil, fmt.Errorf("EIDO definition: fault %q found %d times, want once: has the definition changed?", f.Name, n)
		}
		text = strings.Replace(text, f.Published, f.Read, 1)
	}
	refs := niemRef.FindAllString(text, -1)
	if len(refs) != 5 || !slices.Contains(refs, "$ref: 'NIEMComponents//j.yaml#/components/schemas/jCommercialVehicleType'") {
		return nil, fmt.Errorf("EIDO definition: NIEM references %q, want the five known ones", refs)
	}
	text = niemRef.ReplaceAllString(text, "type: object")

	defineURI.Do(func() {
		openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			u, err := url.Parse(s)
			if err != nil {
				return err
			}
			if u.Scheme == "" {
				return fmt.Errorf("%q is not an absolute URI", s)
			}
			return nil
		}))
	})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("EIDO definition: load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("EIDO definition: %w", err)
	}
	ref := doc.Components.Schemas["EmergencyIncidentDataObjectType"]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("EIDO definition: no EmergencyIncidentDataObjectType")
	}
	return &Schema{s: ref.Value}, nil
}

// LoadPublished loads the definition as published, with no workaround: the tests show it fails.
func LoadPublished(path string) error {
	raw, err := os.ReadFile(path) // #nosec G304 -- a test names the definition it checks against
	if err != nil {
		return err
	}
	_, err = openapi3.NewLoader().LoadFromData(raw)
	return err
}

// Validate checks a JSON document against EmergencyIncidentDataObjectType.
func (s *Schema) Validate(doc []byte) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.s.VisitJSON(v)
}

// Undeclared lists, by JSON pointer, the members of a document its schema does not declare.
// The definition lets any object carry members it does not name (OpenAPI's default), so a
// misspelt member passes Validate unseen; a document Fireline writes is held to the declared
// names. An open object (a NIEM component) declares none and is not looked into.
func (s *Schema) Undeclared(doc []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	out := undeclared("", s.s, v)
	sort.Strings(out)
	return out, nil
}

func undeclared(path string, s *openapi3.Schema, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.Schema{}
		var collect func(*openapi3.Schema)
		collect = func(s *openapi3.Schema) {
			for n, p := range s.Properties {
				props[n] = p.Value
			}
			for _, a := range s.AllOf {
				collect(a.Value)
			}
		}
		collect(s)
		if len(props) == 0 {
			return nil
		}
		for k, child := range v {
			p, ok := props[k]
			if !ok {
				out = append(out, path+"/"+k)
				continue
			}
			out = append(out, undeclared(path+"/"+k, p, child)...)
		}
	case []any:
		if s.Items != nil {
			for i, child := range v {
				out = append(out, undeclared(fmt.Sprintf("%s/%d", path, i), s.Items.Value, child)...)
			}
		}
	}
	return out
}

// Dangling lists the references ({"$ref": id}) of a document that lead to no "$id" in it,
// and the "$id"s it gives twice: every component, agency and agent an EIDO names must be in it,
// once.
func Dangling(doc []byte) (dangling, twice []string, err error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, nil, fmt.Errorf("not JSON: %w", err)
	}
	ids, refs := map[string]int{}, []string{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				switch s, _ := child.(string); k {
				case "$id":
					ids[s]++
				case "$ref":
					refs = append(refs, s)
				default:
					walk(child)
				}
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(v)
	for _, r := range refs {
		if ids[r] == 0 {
			dangling = append(dangling, r)
		}
	}
	for id, n := range ids {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	sort.Strings(dangling)
	sort.Strings(twice)
	return dangling, twice, nil
}
