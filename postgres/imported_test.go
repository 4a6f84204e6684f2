package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestImportRecords: a batch lands once; the same batch again writes no row (counts and the
// rows' own xmin say so); an earlier received time for a stored incident replaces it and a
// later one does not; unit rows keyed by the source's row key are kept apart.
func TestImportRecords(t *testing.T) {
	ctx := context.Background()
	db, owner := newDB(t)
	conn := sqlConn(t, owner)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	batch := fireline.ImportBatch{
		Dataset: "sf-calls",
		Incidents: []fireline.ImportedIncident{
			{Number: "16146990", ReceivedAt: at("2016-12-31T23:57:56-08:00"), TimeZone: "America/Los_Angeles",
				Category: fireline.CategoryOther, SourceType: "Citizen Assist / Service Call", Priority: "3", StationArea: "39",
				Address: "0 Block of BALCETA AVE", Point: &fireline.Point{Lat: 37.745858648581, Lng: -122.456664252061}, Cell: "892830828a3ffff", Line: 2},
			{Number: "16146989", ReceivedAt: at("2016-12-31T23:52:01-08:00"), TimeZone: "America/Los_Angeles",
				Type: fireline.TypeStructureFire, Category: fireline.CategoryFire, Line: 3},
		},
		Units: []fireline.ImportedUnit{
			{Number: "16146990", RowKey: "163664050-E39", UnitID: "E39", UnitType: fireline.UnitEngine, SourceUnitType: "ENGINE",
				DispatchedAt: at("2016-12-31T23:59:42-08:00"), EnRouteAt: at("2017-01-01T00:01:47-08:00"), OnSceneAt: at("2017-01-01T00:04:18-08:00"), Line: 2},
			{Number: "16146989", RowKey: "163664036-E38", UnitID: "E38", SourceUnitType: "MEDIC", DispatchedAt: at("2016-12-31T23:55:20-08:00"), Line: 3},
			{Number: "16146989", RowKey: "163664036-E38b", UnitID: "E38", SourceUnitType: "MEDIC", Line: 4},
		},
	}
	got, err := db.ImportRecords(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fireline.ImportCounts{IncidentsAdded: 2, UnitsAdded: 3}); got != want {
		t.Fatalf("first import: %+v, want %+v", got, want)
	}
	versions := func() string {
		var v string
		err := conn.QueryRow(ctx, `SELECT string_agg(xmin::text, ',' ORDER BY id) FROM imported_incidents`).Scan(&v)
		if err != nil {
			t.Fatal(err)
		}
		var u string
		if err := conn.QueryRow(ctx, `SELECT string_agg(xmin::text, ',' ORDER BY row_key) FROM imported_units`).Scan(&u); err != nil {
			t.Fatal(err)
		}
		return v + "/" + u
	}
	before := versions()
	got, err = db.ImportRecords(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if got != (fireline.ImportCounts{}) {
		t.Errorf("re-import: %+v, want nothing written", got)
	}
	if after := versions(); after != before {
		t.Errorf("re-import rewrote rows: %s, then %s", before, after)
	}

	// A later record of the first incident changes nothing; an earlier one moves its received time.
	later := fireline.ImportBatch{Dataset: "sf-calls", Incidents: []fireline.ImportedIncident{batch.Incidents[0]}}
	later.Incidents[0].ReceivedAt = later.Incidents[0].ReceivedAt.Add(time.Minute)
	later.Incidents[0].Line = 9
	if got, err := db.ImportRecords(ctx, later); err != nil || got != (fireline.ImportCounts{}) {
		t.Errorf("a later received time: %+v, %v; want nothing written", got, err)
	}
	earlier := later
	earlier.Incidents = []fireline.ImportedIncident{batch.Incidents[0]}
	earlier.Incidents[0].ReceivedAt = batch.Incidents[0].ReceivedAt.Add(-30 * time.Second)
	earlier.Incidents[0].Line = 10
	if got, err := db.ImportRecords(ctx, earlier); err != nil || got != (fireline.ImportCounts{IncidentsEarlier: 1}) {
		t.Errorf("an earlier received time: %+v, %v; want one incident moved", got, err)
	}
	var received time.Time
	var line int
	var lat *float64
	err = conn.QueryRow(ctx, `SELECT received_at, line, lat FROM imported_incidents WHERE dataset = 'sf-calls' AND number = '16146990'`).Scan(&received, &line, &lat)
	if err != nil {
		t.Fatal(err)
	}
	if !received.Equal(earlier.Incidents[0].ReceivedAt) || line != 10 || lat == nil || *lat != 37.745858648581 {
		t.Errorf("incident 16146990: received %v line %d lat %v; want the earliest, %v, line 10", received, line, lat, earlier.Incidents[0].ReceivedAt)
	}

	// The same number in another dataset is another incident; units without steps keep NULLs.
	other := fireline.ImportBatch{Dataset: "seattle-911", Incidents: []fireline.ImportedIncident{batch.Incidents[1]}}
	if got, err := db.ImportRecords(ctx, other); err != nil || got.IncidentsAdded != 1 {
		t.Errorf("another dataset: %+v, %v", got, err)
	}
	var nulls int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM imported_units WHERE dispatched_at IS NULL AND en_route_at IS NULL AND unit_type = ''`).Scan(&nulls); err != nil || nulls != 1 {
		t.Errorf("unit rows without steps: %d, %v", nulls, err)
	}
	if _, err := db.ImportRecords(ctx, fireline.ImportBatch{Incidents: batch.Incidents}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("a batch without a dataset: %v", err)
	}
}
