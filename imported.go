package fireline

import (
	"context"
	"io"
	"time"
)

// ImportedIncident is one incident of a dispatch system a centre is leaving, read from its
// records: history for the analytics and the risk grid, never a live incident (no workflow
// runs for it). Dataset and Number are its key: importing the same record again changes nothing.
type ImportedIncident struct {
	// Dataset is the import format's name (sf-calls, seattle-911).
	Dataset string `json:"dataset"`
	// Number is the source's own incident number.
	Number string `json:"number"`
	// ReceivedAt is when the alarm was received: the start of call processing.
	ReceivedAt time.Time `json:"received_at"`
	// TimeZone is the IANA zone whose calendar dates the analytics use for it.
	TimeZone string `json:"time_zone"`
	// Type is our incident type code, '' when the format maps the source's type to none.
	Type IncidentType `json:"type"`
	// Category is the type's category; CategoryOther when unmapped.
	Category IncidentCategory `json:"category"`
	// SourceType is the type as the record says it ("Structure Fire").
	SourceType  string `json:"source_type"`
	Priority    string `json:"priority"`
	StationArea string `json:"station_area"`
	Address     string `json:"address"`
	// Point is the position (WGS-84), nil when the record has none.
	Point *Point `json:"point,omitempty"`
	// Cell is the resolution-9 H3 cell of Point as hex, '' without a position.
	Cell string `json:"cell"`
	// Line is the file line the record was read from (its first line, when quoted fields span
	// several).
	Line int `json:"line"`
}

// ImportedUnit is one unit's part in an imported incident, with the times of its steps (zero
// where the step did not happen).
type ImportedUnit struct {
	// Number is the incident's number in its dataset.
	Number string `json:"number"`
	// RowKey is the source's own key for the row, so a unit sent twice to one incident keeps
	// both rows and a re-import finds each again.
	RowKey string `json:"row_key"`
	UnitID string `json:"unit_id"`
	// UnitType is our unit type, '' when the format maps the source's to none.
	UnitType UnitType `json:"unit_type"`
	// SourceUnitType is the type as the record says it (ENGINE, MEDIC, …).
	SourceUnitType string    `json:"source_unit_type"`
	DispatchedAt   time.Time `json:"dispatched_at"`
	EnRouteAt      time.Time `json:"en_route_at"`
	OnSceneAt      time.Time `json:"on_scene_at"`
	AvailableAt    time.Time `json:"available_at"`
	Line           int       `json:"line"`
}

// ImportBatch is a batch of validated records of one dataset, written together. An incident may
// appear more than once (one row per unit): the earliest received time wins.
type ImportBatch struct {
	Dataset   string
	Incidents []ImportedIncident
	Units     []ImportedUnit
}

// ImportCounts says what a batch wrote. Rows already present write nothing and are not counted.
type ImportCounts struct {
	// IncidentsAdded are incidents that were not stored before.
	IncidentsAdded int
	// IncidentsEarlier are stored incidents whose received time a record of this batch moved
	// earlier.
	IncidentsEarlier int
	// UnitsAdded are unit rows that were not stored before.
	UnitsAdded int
}

// ImportStore keeps imported records (postgres.DB).
type ImportStore interface {
	// ImportRecords writes a batch in one transaction, leaving every record already stored as
	// it is, except that an incident's received time moves to an earlier one.
	ImportRecords(ctx context.Context, b ImportBatch) (ImportCounts, error)
}

// BadRow is a record an import skipped, and why.
type BadRow struct {
	// Line is the file line the record began on (1 is the header).
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// ImportSummary is what an import did, for the command's last lines and the API's answer.
type ImportSummary struct {
	Format  string `json:"format"`
	Dataset string `json:"dataset"`
	// Rows are the data rows read, good and bad.
	Rows             int `json:"rows"`
	IncidentsAdded   int `json:"incidents_added"`
	IncidentsPresent int `json:"incidents_present"`
	// IncidentsEarlier are stored incidents whose received time moved earlier.
	IncidentsEarlier int `json:"incidents_earlier"`
	UnitsAdded       int `json:"units_added"`
	UnitsPresent     int `json:"units_present"`
	BadRows          int `json:"bad_rows"`
	// Bad lists the first bad rows (at most MaxBadRowsListed).
	Bad           []BadRow `json:"bad"`
	Seconds       float64  `json:"seconds"`
	RowsPerSecond float64  `json:"rows_per_second"`
}

// MaxBadRowsListed is how many bad rows a summary names; the rest are only counted.
const MaxBadRowsListed = 20

// RecordImporter imports a CSV export of another dispatch system in a format it knows by name
// (importer.Importer).
type RecordImporter interface {
	// ImportCSV reads r to its end in the named built-in format. Bad rows are reported in the
	// summary, not as an error; an error means nothing could be read or the store failed.
	ImportCSV(ctx context.Context, format string, r io.Reader) (ImportSummary, error)
}
