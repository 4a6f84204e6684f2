package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/devstack/pgcluster"
	"github.com/fireline/fireline/postgres"
)

// One throwaway cluster serves the whole package; every test gets its own database, copied
// from a template that was migrated once.
var (
	cluster *pgcluster.Cluster
	dbSeq   atomic.Int64
)

const templateDB = "fireline_template"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "fireline-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The server runs as the postgres account when we are root; it must reach the dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cluster, err = pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(dir, "pg")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cluster.Close()
	if err := cluster.CreateDatabase(ctx, templateDB); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db, err := postgres.Open(ctx, cluster.URL(templateDB), quietLog())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newDatabase creates an empty database, or a migrated one when migrated is set, and returns
// its URL.
func newDatabase(t *testing.T, migrated bool) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	template := "template0"
	if migrated {
		template = templateDB
	}
	conn, err := pgx.Connect(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Names are ours (t<n>), not input: safe to format into the statement.
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", name, template)); err != nil {
		t.Fatal(err)
	}
	return cluster.URL(name)
}

// newDB opens a fresh, migrated database as the application's role, as the product runs, and
// returns it with the owner's URL, for looking behind the store's back.
func newDB(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	url := newDatabase(t, true)
	db, err := postgres.Open(context.Background(), appURL(t, url), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, url
}

// appURL is ownerURL with the application's role (pgcluster.AppRole) in place of the owner.
func appURL(t *testing.T, ownerURL string) string {
	t.Helper()
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(pgcluster.AppRole)
	return u.String()
}

// sqlConn opens a plain connection for looking behind the store's back.
func sqlConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := fireline.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Cells of the fixture: made-up resolution-9 H3 hex strings; the store only compares them.
const (
	cellA  = "8940c8a0003ffff"
	cellA2 = "8940c8a0007ffff" // a neighbour of cellA
	cellB  = "8940c8a00b3ffff" // far from both
)

// city is a tiny fixture: two stations, five units (one out of service), run cards for
// structure fires at levels 1 and 3 and for hazmat at level 1.
func city() fireline.City {
	p := func(lat, lng float64) fireline.Point { return fireline.Point{Lat: lat, Lng: lng} }
	return fireline.City{
		Name: "Testville",
		Stations: []fireline.Station{
			{ID: "S1", Name: "Station One", District: "East", Address: "1 Main St", Point: p(36.45, 115.98)},
			{ID: "S2", Name: "Station Two", District: "West", Address: "2 Main St", Point: p(36.46, 115.90)},
		},
		Units: []fireline.Unit{
			{ID: "E1", Name: "Engine 1", Type: fireline.UnitEngine, StationID: "S1", Point: p(36.45, 115.98), Cell: cellA},
			{ID: "E2", Name: "Engine 2", Type: fireline.UnitEngine, StationID: "S1", Point: p(36.45, 115.98), Cell: cellA},
			{ID: "L1", Name: "Ladder 1", Type: fireline.UnitLadder, StationID: "S2", Point: p(36.46, 115.90), Cell: cellB},
			{ID: "R1", Name: "Rescue 1", Type: fireline.UnitRescue, StationID: "S2", Point: p(36.46, 115.90), Cell: cellB},
			{ID: "X1", Name: "Engine 9", Type: fireline.UnitEngine, StationID: "S2", Point: p(36.46, 115.90), Cell: cellB,
				Status: fireline.UnitOutOfService},
		},
		WaterSources: []fireline.WaterSource{
			{ID: "W1", Kind: "hydrant", FlowLPM: 1200, Status: "working", Point: p(36.451, 115.981)},
			{ID: "W2", Kind: "pond", Point: p(36.452, 115.982)},
		},
		Premises: []fireline.Premise{
			{ID: "P1", Name: "Chemical Works", Kind: "industrial", Address: "9 River Rd", Point: p(36.44, 115.97),
				Hazards: []string{"chlorine", "LPG"}, PrePlan: "Approach from upwind."},
			{ID: "P2", Name: "Library", Kind: "public", Point: p(36.443, 115.973)},
		},
		Population: []fireline.PopulationArea{
			{Name: "Eastville", Point: p(36.45, 115.98), People: 120_000, RadiusMeters: 3000},
			{Name: "Westhamlet", Point: p(36.46, 115.90), People: 8_000, RadiusMeters: 1500},
		},
		Plans: []fireline.ResponsePlan{
			{IncidentType: fireline.TypeStructureFire, Level: 1, Slots: []fireline.PlanSlot{{Type: fireline.UnitEngine, Count: 2}}},
			{IncidentType: fireline.TypeStructureFire, Level: 3, Slots: []fireline.PlanSlot{
				{Type: fireline.UnitEngine, Count: 3}, {Type: fireline.UnitLadder, Count: 1}}},
			{IncidentType: fireline.TypeHazmat, Level: 1, Slots: []fireline.PlanSlot{{Type: fireline.UnitHazmat, Count: 1}}},
		},
	}
}

// cityDB is a fresh database with the fixture city imported.
func cityDB(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	db, url := newDB(t)
	must(t, db.ImportCity(context.Background(), city()))
	return db, url
}

var alarmSeq atomic.Int64

// alarm is a structure-fire call in cell, received at the database's clock.
func alarm(cell string) fireline.Alarm {
	return fireline.Alarm{
		Source: fireline.SourceCall, SourceID: fmt.Sprintf("119-%d", alarmSeq.Add(1)), Type: fireline.TypeStructureFire,
		Point: fireline.Point{Lat: 36.45, Lng: 115.98}, Address: "5 Main St", Description: "smoke from a window",
		Caller: "Li", ReportedAt: time.Now().Add(-time.Minute), Cell: cell,
	}
}

// openIncident stores an alarm in cell and returns its new incident's id.
func openIncident(t *testing.T, db *postgres.DB, cell string) int64 {
	t.Helper()
	rc, err := db.ReceiveAlarm(context.Background(), alarm(cell), fireline.DedupeRule{Cells: []string{cell}})
	must(t, err)
	return rc.IncidentID
}
