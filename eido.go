package fireline

import (
	"context"
	"encoding/json"
)

// EIDOExporter writes an incident as a NENA Emergency Incident Data Object (NENA-STA-021), the
// JSON document a command centre hands to a neighbouring centre or agency: the incident, the
// agencies on it, its units, location, notes, calls and alarms, and the incidents merged into it.
// exchange.EIDO implements it.
type EIDOExporter interface {
	// IncidentEIDO is the incident's EIDO as the read model holds it now, as JSON, with what
	// content allows; ENOTFOUND when there is no such incident.
	IncidentEIDO(ctx context.Context, incidentID int64, content EIDOContent) (json.RawMessage, error)
}

// EIDOContent is how much of what callers said an EIDO carries.
type EIDOContent int

const (
	// EIDOWhole is the whole incident, callers' numbers and words included: for whoever reads
	// the incident's alarms (ActionReadIncidents).
	EIDOWhole EIDOContent = iota
	// EIDOWithoutCallers leaves out callers' numbers and their words (the alarms' free text),
	// keeping what the source reported as facts (people trapped, hazards, the device): for a
	// crew, who reads its incident but not its alarms.
	EIDOWithoutCallers
)
