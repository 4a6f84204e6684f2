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
	// IncidentEIDO is the incident's EIDO as the read model holds it now, as JSON; ENOTFOUND
	// when there is no such incident.
	IncidentEIDO(ctx context.Context, incidentID int64) (json.RawMessage, error)
}
