package importer

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	// A mapping names its zones; a server without the system's zoneinfo must still load them.
	_ "time/tzdata"

	"github.com/fireline/fireline"
)

// builtins are the formats compiled in, by name: the JSON files are the same format a user's
// mapping file has, so each is also an example of one.
//
//go:embed formats/sf-calls.json
var builtins embed.FS

var builtinFiles = map[string]string{
	"sf-calls": "formats/sf-calls.json",
}

// Builtins lists the built-in format names, sorted.
func Builtins() []string {
	names := make([]string, 0, len(builtinFiles))
	for n := range builtinFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Mapping says how the rows of one CSV export become imported incidents and units: which
// column holds what, how its times are written and in which zone, and how its call and unit
// types translate into ours. It is read from JSON (formats/sf-calls.json is an example).
type Mapping struct {
	// Dataset names the records in the database; an incident is keyed by it and its number.
	Dataset string `json:"dataset"`
	// About describes the source, for people reading the file.
	About   string  `json:"about,omitempty"`
	Columns Columns `json:"columns"`
	// NumberFallback, if set, names the columns whose values, joined, key a row whose
	// incident number is empty (prefixed with "~" so they never collide with real numbers).
	NumberFallback []string `json:"number_fallback,omitempty"`
	// RowKey names the columns whose values, joined, are a unit row's own key; by default the
	// unit id and its dispatch time.
	RowKey []string `json:"row_key,omitempty"`
	// TimeLayouts are Go time layouts tried in order (01/02/2006 03:04:05 PM).
	TimeLayouts []string `json:"time_layouts"`
	// TimesIn is the IANA zone of times written without an offset.
	TimesIn string `json:"times_in"`
	// TimeZone is the IANA zone whose calendar dates the analytics use for these incidents.
	TimeZone string `json:"time_zone"`
	// CallTypes maps the source's call types to ours; an unmapped one is kept as the source
	// type with no type of ours and the category other.
	CallTypes map[string]CallType `json:"call_types,omitempty"`
	// UnitTypes maps the source's unit types to ours; an unmapped one is '' (and kept as the
	// source unit type).
	UnitTypes map[string]fireline.UnitType `json:"unit_types,omitempty"`
}

// Columns names the header of each column the import reads; empty where the export has none.
// Number and Received are required; the unit's columns need UnitID; the position is either
// Lat and Lng or one Location column written "(lat, lon)".
type Columns struct {
	Number      string `json:"number"`
	Received    string `json:"received"`
	Dispatched  string `json:"dispatched,omitempty"`
	EnRoute     string `json:"en_route,omitempty"`
	OnScene     string `json:"on_scene,omitempty"`
	Available   string `json:"available,omitempty"`
	UnitID      string `json:"unit_id,omitempty"`
	UnitType    string `json:"unit_type,omitempty"`
	CallType    string `json:"call_type,omitempty"`
	Priority    string `json:"priority,omitempty"`
	StationArea string `json:"station_area,omitempty"`
	Address     string `json:"address,omitempty"`
	Lat         string `json:"lat,omitempty"`
	Lng         string `json:"lng,omitempty"`
	Location    string `json:"location,omitempty"`
}

// CallType is what a source's call type becomes.
type CallType struct {
	// Type is our incident type code; '' when none fits (the category still counts).
	Type     fireline.IncidentType     `json:"type"`
	Category fireline.IncidentCategory `json:"category"`
}

// Builtin returns the built-in format of that name.
func Builtin(name string) (*Mapping, error) {
	file, ok := builtinFiles[name]
	if !ok {
		return nil, fireline.Errorf(fireline.EINVALID, "format: %q is not one of %s", name, strings.Join(Builtins(), ", "))
	}
	b, err := builtins.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	return ParseMapping(b)
}

// LoadMapping returns the built-in format named nameOrPath, or else the mapping in that file.
func LoadMapping(nameOrPath string) (*Mapping, error) {
	if _, ok := builtinFiles[nameOrPath]; ok {
		return Builtin(nameOrPath)
	}
	b, err := os.ReadFile(nameOrPath) // #nosec G304 -- the operator names the mapping file to read
	if errors.Is(err, os.ErrNotExist) {
		return nil, fireline.Errorf(fireline.EINVALID, "format: %q is neither a built-in format (%s) nor a mapping file", nameOrPath, strings.Join(Builtins(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	m, err := ParseMapping(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return m, nil
}

// ParseMapping decodes a mapping (unknown fields refused) and validates it.
func ParseMapping(b []byte) (*Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fireline.Errorf(fireline.EINVALID, "mapping: %v", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate reports the first thing wrong with m, naming the field.
func (m *Mapping) Validate() error {
	c := m.Columns
	unitCols := []string{c.Dispatched, c.EnRoute, c.OnScene, c.Available, c.UnitType}
	switch {
	case m.Dataset == "":
		return fireline.Errorf(fireline.EINVALID, "mapping: dataset: required")
	case c.Number == "":
		return fireline.Errorf(fireline.EINVALID, "mapping: columns.number: required")
	case c.Received == "":
		return fireline.Errorf(fireline.EINVALID, "mapping: columns.received: required")
	case (c.Lat == "") != (c.Lng == ""):
		return fireline.Errorf(fireline.EINVALID, "mapping: columns.lat and columns.lng: give both or neither")
	case c.Lat != "" && c.Location != "":
		return fireline.Errorf(fireline.EINVALID, "mapping: give columns.lat and columns.lng or columns.location, not both")
	case c.UnitID == "" && slices.ContainsFunc(unitCols, func(s string) bool { return s != "" }):
		return fireline.Errorf(fireline.EINVALID, "mapping: a unit's times and type need columns.unit_id")
	case c.UnitID == "" && len(m.RowKey) > 0:
		return fireline.Errorf(fireline.EINVALID, "mapping: row_key keys unit rows and needs columns.unit_id")
	case len(m.TimeLayouts) == 0:
		return fireline.Errorf(fireline.EINVALID, "mapping: time_layouts: give at least one Go layout, e.g. 01/02/2006 03:04:05 PM")
	}
	for _, z := range []struct{ field, zone string }{{"times_in", m.TimesIn}, {"time_zone", m.TimeZone}} {
		if z.zone == "" {
			return fireline.Errorf(fireline.EINVALID, "mapping: %s: required (an IANA zone such as America/Los_Angeles)", z.field)
		}
		if fireline.CheckTimeZone(z.zone) != nil {
			return fireline.Errorf(fireline.EINVALID, "mapping: %s: %q is not an IANA time zone", z.field, z.zone)
		}
	}
	for src, ct := range m.CallTypes {
		if ct.Type != "" {
			if err := ct.Type.Check(); err != nil {
				return fireline.Errorf(fireline.EINVALID, "mapping: call_types[%q].type: %s", src, fireline.ErrorMessage(err))
			}
		}
		if !ct.Category.Valid() {
			return fireline.Errorf(fireline.EINVALID, "mapping: call_types[%q].category: %q is not one of fire, ems, rescue, hazmat, other", src, ct.Category)
		}
	}
	for src, ut := range m.UnitTypes {
		if ut != "" && !ut.Valid() {
			return fireline.Errorf(fireline.EINVALID, "mapping: unit_types[%q]: %q is not one of our unit types", src, ut)
		}
	}
	return nil
}

// WithTimeZone returns a copy of m whose local times are in zone and whose incidents' calendar
// is zone's: an export of the same shape from another city. Times written with an offset keep it.
func (m *Mapping) WithTimeZone(zone string) (*Mapping, error) {
	c := *m
	c.TimesIn, c.TimeZone = zone, zone
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
