package exchange

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// The registries an EIDO's "…RegistryText" fields take their values from. Each field keeps the
// centre's own code beside it (the "…Internal…" fields), so a receiver that knows Fireline loses
// nothing to the mapping, and one that does not still reads a common term.

// commonIncidentTypes maps the built-in incident types to the common incident type codes of
// APCO ANS 2.103.1 (Public Safety Communications Common Incident Types for Data Exchange, the
// list NIEM carries as apco:IncidentCategoryCodeSimpleType), the common list CAD systems map
// their own codes to for exchange.
var commonIncidentTypes = map[fireline.IncidentType]string{
	fireline.TypeStructureFire:    "FSTRU",    // Fire Structure
	fireline.TypeHighRiseFire:     "FHIRIS",   // Fire Hi Rise (6 or more floors)
	fireline.TypeIndustrialFire:   "FBLDG",    // Fire Building
	fireline.TypeVehicleFire:      "FVEH",     // Fire Vehicle
	fireline.TypeWildlandFire:     "FBRUSH",   // Fire Brush
	fireline.TypeHazmat:           "HAZMAT",   // Hazardous materials
	fireline.TypeTrafficAccident:  "MVA",      // Motor vehicle accident
	fireline.TypeWaterRescue:      "WATER",    // Water rescue
	fireline.TypeBuildingCollapse: "BLDCLPSE", // Building collapse
	fireline.TypeHelpRequested:    "CITASST",  // Citizen assist
}

// CommonIncidentType is the common incident type code of an incident type; for an
// administrator's own type, which the list cannot know, its category's: "FOTHER" (fire, other),
// "HAZMAT", "RESCUE", or "TROUBLE" (unknown type trouble) for EMS and other incidents. The
// type's own code and name travel beside it.
func CommonIncidentType(t fireline.IncidentType, c fireline.IncidentCategory) string {
	if code, ok := commonIncidentTypes[t]; ok {
		return code
	}
	switch c {
	case fireline.CategoryFire:
		return "FOTHER"
	case fireline.CategoryHazmat:
		return "HAZMAT"
	case fireline.CategoryRescue:
		return "RESCUE"
	}
	return "TROUBLE"
}

// CommonResourceType is the emergency resource type of a unit type.
func CommonResourceType(t fireline.UnitType) string {
	switch t {
	case fireline.UnitEngine:
		return "Engine"
	case fireline.UnitLadder:
		return "Ladder"
	case fireline.UnitRescue:
		return "Rescue"
	case fireline.UnitHazmat:
		return "HazMat"
	case fireline.UnitTanker:
		return "Tanker"
	case fireline.UnitCommand:
		return "Command"
	}
	return "Other"
}

// CommonUnitStatus is the primary unit status of a unit's status.
func CommonUnitStatus(s fireline.UnitStatus) string {
	switch s {
	case fireline.UnitDispatched, fireline.UnitAcknowledged:
		return "Dispatched"
	case fireline.UnitEnRoute:
		return "Enroute"
	case fireline.UnitOnScene:
		return "OnScene"
	case fireline.UnitTransporting:
		return "Transporting"
	case fireline.UnitReturning:
		return "Returning"
	case fireline.UnitAvailable:
		return "Available"
	}
	return "OutOfService"
}

// CommonAgencyType is a joint agency's type, as the IANA urn:emergency:service:responder
// registry names responders (without that prefix). The registry has no utilities: gas, power
// and water companies, the emergency management bureau and the environment bureau are "other",
// and the agency's own name goes in its note.
func CommonAgencyType(a fireline.Agency) string {
	switch a {
	case fireline.AgencyPolice:
		return "police"
	case fireline.AgencyEMS:
		return "ems"
	}
	return "other"
}

// PIDFLO is a place as a PIDF-LO document (RFC 4119, RFC 5491): a WGS-84 point (GML,
// EPSG:4326, latitude first) and a civic address (RFC 5139) of the configured country, region
// and city with the free-text address as LOC. entity names the incident; at is when the
// location was known.
func PIDFLO(cfg EIDOConfig, entity string, p fireline.Point, address string, at time.Time) string {
	esc := func(s string) string {
		var sb strings.Builder
		_ = xml.EscapeText(&sb, []byte(s))
		return sb.String()
	}
	var civic strings.Builder
	for _, f := range []struct{ el, v string }{{"country", cfg.Country}, {"A1", cfg.Region}, {"A3", cfg.City}, {"LOC", address}} {
		if f.v != "" {
			fmt.Fprintf(&civic, "<ca:%s>%s</ca:%s>", f.el, esc(f.v), f.el)
		}
	}
	return `<?xml version="1.0" encoding="UTF-8"?>` +
		`<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"` +
		` xmlns:gml="http://www.opengis.net/gml" xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"` +
		` xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="` + esc("pres:"+entity) + `">` +
		`<dm:device id="incident"><gp:geopriv><gp:location-info>` +
		fmt.Sprintf(`<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>%.6f %.6f</gml:pos></gml:Point>`, p.Lat, p.Lng) +
		`<ca:civicAddress>` + civic.String() + `</ca:civicAddress>` +
		`</gp:location-info><gp:usage-rules/></gp:geopriv>` +
		`<dm:timestamp>` + at.UTC().Format(time.RFC3339) + `</dm:timestamp></dm:device></presence>`
}
