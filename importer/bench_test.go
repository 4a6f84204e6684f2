package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/importer"
)

// sfCopies makes the San Francisco export about 100,000 rows long: 26 copies, each with its own
// incident numbers and row ids, so every copy is new to the database.
const sfCopies = 26

// replicatedSF is the San Francisco export repeated sfCopies times with distinct numbers, and
// its number of data rows.
func replicatedSF(b *testing.B) ([]byte, int) {
	b.Helper()
	src, err := os.ReadFile(sfFile)
	if err != nil {
		b.Skipf("the shared data folder is absent (%v): the benchmark imports its real export", err)
	}
	rd := csv.NewReader(bytes.NewReader(src))
	recs, err := rd.ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.Write(recs[0])
	rows := 0
	for k := range sfCopies {
		for _, rec := range recs[1:] {
			r := append([]string(nil), rec...)
			r[2] = fmt.Sprintf("%s-%02d", r[2], k)   // Incident Number
			r[33] = fmt.Sprintf("%s-%02d", r[33], k) // RowID
			_ = w.Write(r)
			rows++
		}
	}
	w.Flush()
	return out.Bytes(), rows
}

// BenchmarkImport imports the San Francisco export replicated to 98,436 rows (46,800 incidents,
// 98,436 unit rows) into a real PostgreSQL, reporting rows per second:
//
//   - copy: the importer as it runs, batches of 5,000 rows COPYed into staging tables and moved
//     by one INSERT … SELECT … ON CONFLICT each;
//   - reimport: the same file again, into the database that holds it (nothing is written);
//   - insert: the baseline, the same parsed batches written one INSERT … ON CONFLICT per row
//     (prepared, one round trip each) in one transaction per batch;
//   - parse: reading and checking the rows only, the store discarding them: the ceiling.
//
// Every variant's first run is checked to write exactly the rows it should.
func BenchmarkImport(b *testing.B) {
	file, rows := replicatedSF(b)
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	want := fireline.ImportSummary{Rows: rows, IncidentsAdded: 1800 * sfCopies, UnitsAdded: rows}
	run := func(b *testing.B, store fireline.ImportStore, conn *pgx.Conn, fresh bool, want fireline.ImportSummary) {
		im := importer.New(store, nil)
		checked := false
		var total time.Duration
		for b.Loop() {
			if fresh && conn != nil {
				b.StopTimer()
				if _, err := conn.Exec(ctx, `TRUNCATE imported_units, imported_incidents`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			began := time.Now()
			sum, err := im.Import(ctx, m, bytes.NewReader(file), importer.Options{})
			total += time.Since(began)
			if err != nil {
				b.Fatal(err)
			}
			if !checked {
				if sum.Rows != want.Rows || sum.IncidentsAdded != want.IncidentsAdded || sum.UnitsAdded != want.UnitsAdded || sum.BadRows != 0 {
					b.Fatalf("summary %+v, want %d rows, %d incidents and %d unit rows added", sum, want.Rows, want.IncidentsAdded, want.UnitsAdded)
				}
				checked = true
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
		b.ReportMetric(0, "ns/op") // the rows/s is the figure; one op is a whole file
	}
	b.Run("copy", func(b *testing.B) {
		db, conn := newStore(b)
		var version string
		if err := conn.QueryRow(ctx, `SHOW server_version`).Scan(&version); err != nil {
			b.Fatal(err)
		}
		b.Logf("file: %d rows; server: PostgreSQL %s, a throwaway cluster", rows, strings.Fields(version)[0])
		run(b, db, conn, true, want)
	})
	b.Run("reimport", func(b *testing.B) {
		db, conn := newStore(b)
		if _, err := importer.New(db, nil).Import(ctx, m, bytes.NewReader(file), importer.Options{}); err != nil {
			b.Fatal(err)
		}
		run(b, db, conn, false, fireline.ImportSummary{Rows: rows})
	})
	b.Run("insert", func(b *testing.B) {
		_, conn := newStore(b)
		run(b, insertStore{conn: conn}, conn, true, want)
	})
	b.Run("parse", func(b *testing.B) {
		run(b, discardStore{}, nil, false, fireline.ImportSummary{Rows: rows})
	})
}

// discardStore keeps nothing: the import's reading and checking alone.
type discardStore struct{}

func (discardStore) ImportRecords(context.Context, fireline.ImportBatch) (fireline.ImportCounts, error) {
	return fireline.ImportCounts{}, nil
}

// insertStore is the baseline: the obvious store, one INSERT per row.
type insertStore struct{ conn *pgx.Conn }

func (s insertStore) ImportRecords(ctx context.Context, bt fireline.ImportBatch) (fireline.ImportCounts, error) {
	var c fireline.ImportCounts
	err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		for _, in := range bt.Incidents {
			var lat, lng any
			if in.Point != nil {
				lat, lng = in.Point.Lat, in.Point.Lng
			}
			var inserted bool
			err := tx.QueryRow(ctx, `INSERT INTO imported_incidents (dataset, number, received_at, time_zone, type, category, source_type,
					priority, station_area, address, lat, lng, cell, line)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (dataset, number) DO UPDATE SET received_at = excluded.received_at, line = excluded.line
					WHERE excluded.received_at < imported_incidents.received_at
				RETURNING (xmax = 0)`,
				bt.Dataset, in.Number, in.ReceivedAt, in.TimeZone, string(in.Type), string(in.Category), in.SourceType,
				in.Priority, in.StationArea, in.Address, lat, lng, in.Cell, in.Line).Scan(&inserted)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return err
			case inserted:
				c.IncidentsAdded++
			default:
				c.IncidentsEarlier++
			}
		}
		for _, u := range bt.Units {
			tag, err := tx.Exec(ctx, `INSERT INTO imported_units (incident_id, row_key, unit_id, unit_type, source_unit_type,
					dispatched_at, en_route_at, on_scene_at, available_at, line)
				SELECT id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM imported_incidents WHERE dataset = $1 AND number = $2
				ON CONFLICT (incident_id, row_key) DO NOTHING`,
				bt.Dataset, u.Number, u.RowKey, u.UnitID, string(u.UnitType), u.SourceUnitType,
				null(u.DispatchedAt), null(u.EnRouteAt), null(u.OnSceneAt), null(u.AvailableAt), u.Line)
			if err != nil {
				return err
			}
			c.UnitsAdded += int(tag.RowsAffected())
		}
		return nil
	})
	return c, err
}

func null(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
