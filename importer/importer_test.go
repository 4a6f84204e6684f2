package importer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/devstack/pgcluster"
	"github.com/fireline/fireline/importer"
	"github.com/fireline/fireline/postgres"
)

// The real exports of ../shared/data (see its README).
var (
	sfFile      = filepath.Join("..", "..", "shared", "data", "sf", "fire_calls_2016-12-31_to_2017-01-03.csv")
	seattleFile = filepath.Join("..", "..", "shared", "data", "seattle", "fire_911_calls.csv")
)

var (
	cluster *pgcluster.Cluster
	dbSeq   atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "fireline-import-")
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
	return m.Run()
}

// newStore is a fresh migrated database, opened as the application's role as the product runs,
// and a connection as the owner for looking behind the store's back.
func newStore(t testing.TB) (*postgres.DB, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("imp%d", dbSeq.Add(1))
	if err := cluster.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	owner, err := postgres.Open(ctx, cluster.URL(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = owner.Migrate(ctx)
	owner.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, cluster.AppURL(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	conn, err := pgx.Connect(ctx, cluster.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return db, conn
}

func needFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the shared data folder is absent (%v): these tests read its real exports", err)
	}
}

func importFile(t testing.TB, im *importer.Importer, m *importer.Mapping, path string) fireline.ImportSummary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := im.Import(context.Background(), m, f, importer.Options{})
	if err != nil {
		t.Fatalf("import %s: %v (summary %+v)", path, err, sum)
	}
	return sum
}

func count(t testing.TB, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportSF: the real San Francisco export loads whole (3,786 rows: 1,800 incidents, 3,786
// unit rows, its times read as Pacific local time on a 12-hour clock), and importing it again
// writes nothing.
func TestImportSF(t *testing.T) {
	needFile(t, sfFile)
	db, conn := newStore(t)
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		t.Fatal(err)
	}
	im := importer.New(db, nil)
	im.BatchSize = 1000 // incidents straddle batches
	sum := importFile(t, im, m, sfFile)
	if sum.Rows != 3786 || sum.IncidentsAdded != 1800 || sum.UnitsAdded != 3786 || sum.BadRows != 0 ||
		sum.IncidentsPresent != 0 || sum.UnitsPresent != 0 || sum.Dataset != "sf-calls" {
		t.Fatalf("first import: %+v", sum)
	}
	if n := count(t, conn, `SELECT count(*) FROM imported_incidents WHERE dataset = 'sf-calls' AND cell <> '' AND time_zone = 'America/Los_Angeles'`); n != 1800 {
		t.Errorf("%d incidents with a cell in the Pacific calendar, want 1800", n)
	}
	if n := count(t, conn, `SELECT count(*) FROM imported_units`); n != 3786 {
		t.Errorf("%d unit rows, want 3786", n)
	}
	// The file's first row: E39 to 16146990, received 12/31/2016 11:57:56 PM, en route
	// 01/01/2017 12:01:47 AM (Response DtTm), on scene 12:04:18 AM, Pacific Standard Time.
	var received, enRoute, onScene time.Time
	var unitType, sourceType, category, cell string
	err = conn.QueryRow(context.Background(), `SELECT i.received_at, u.en_route_at, u.on_scene_at, u.unit_type, i.source_type, i.category, i.cell
		FROM imported_incidents i JOIN imported_units u ON u.incident_id = i.id
		WHERE i.number = '16146990' AND u.row_key = '163664050-E39'`).Scan(&received, &enRoute, &onScene, &unitType, &sourceType, &category, &cell)
	if err != nil {
		t.Fatal(err)
	}
	pst := time.FixedZone("PST", -8*3600)
	if !received.Equal(time.Date(2016, 12, 31, 23, 57, 56, 0, pst)) || !enRoute.Equal(time.Date(2017, 1, 1, 0, 1, 47, 0, pst)) ||
		!onScene.Equal(time.Date(2017, 1, 1, 0, 4, 18, 0, pst)) || unitType != "engine" || sourceType != "Citizen Assist / Service Call" ||
		category != "other" || len(cell) != 15 {
		t.Errorf("first row: received %v, en route %v, on scene %v, %q %q %q cell %q", received, enRoute, onScene, unitType, sourceType, category, cell)
	}
	if n := count(t, conn, `SELECT count(*) FROM imported_units WHERE unit_type = '' AND source_unit_type = 'MEDIC'`); n != 1185 {
		t.Errorf("%d MEDIC rows kept with no type of ours, want 1185", n)
	}

	checkStepsAgainstCSV(t, conn)

	var before string
	if err := conn.QueryRow(context.Background(), `SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM imported_incidents`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	again := importFile(t, im, m, sfFile)
	if again.Rows != 3786 || again.IncidentsAdded != 0 || again.UnitsAdded != 0 || again.IncidentsEarlier != 0 ||
		again.IncidentsPresent != 1800 || again.UnitsPresent != 3786 {
		t.Errorf("re-import: %+v, want nothing added, everything present", again)
	}
	var after string
	if err := conn.QueryRow(context.Background(), `SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM imported_incidents`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Error("the re-import rewrote incident rows")
	}
}

// TestImportSFCorrupted: a copy of the San Francisco export with five rows spoilt in five ways
// reports exactly those lines, with reasons, and loads every other row.
func TestImportSFCorrupted(t *testing.T) {
	needFile(t, sfFile)
	spoil := map[int]struct {
		change func(rec []string) []string
		reason string
	}{
		10:   {func(rec []string) []string { return rec[:20] }, "20 fields where the header has 34"},
		100:  {func(rec []string) []string { rec[6] = "13/45/2016 11:57:56 PM"; return rec }, `Received DtTm: "13/45/2016 11:57:56 PM" is not a time (month out of range)`},
		500:  {func(rec []string) []string { rec[32] = "(137.7, -122.4)"; return rec }, "Location: lat 137.7 is outside -90..90"},
		1000: {func(rec []string) []string { rec[8] = "01/01/2016 12:00:00 AM"; return rec }, "Dispatch DtTm 01/01/2016 12:00:00 AM is more than 24h0m0s before Received DtTm"},
		2000: {func(rec []string) []string { rec[2] = ""; return rec }, "Incident Number: missing"},
	}
	src, err := os.ReadFile(sfFile)
	if err != nil {
		t.Fatal(err)
	}
	// The file has no quoted field that spans lines, so its line n is its record n.
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	kept := map[string]bool{} // incident numbers of the rows left whole
	unitRows := 0
	for line := 1; sc.Scan(); line++ {
		rec, err := csv.NewReader(strings.NewReader(sc.Text())).Read()
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if s, ok := spoil[line]; ok {
			rec = s.change(rec)
		} else if line > 1 {
			kept[rec[2]] = true
			unitRows++
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "spoilt.csv")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	db, conn := newStore(t)
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		t.Fatal(err)
	}
	sum := importFile(t, importer.New(db, nil), m, path)
	if sum.Rows != 3786 || sum.BadRows != 5 || sum.IncidentsAdded != len(kept) || sum.UnitsAdded != unitRows || unitRows != 3781 {
		t.Errorf("summary %+v; want 3786 rows, 5 bad, %d incidents, %d unit rows", sum, len(kept), unitRows)
	}
	var lines []int
	for _, b := range sum.Bad {
		lines = append(lines, b.Line)
		if !strings.HasPrefix(b.Reason, spoil[b.Line].reason) {
			t.Errorf("line %d: reason %q, want %q", b.Line, b.Reason, spoil[b.Line].reason)
		}
	}
	if want := []int{10, 100, 500, 1000, 2000}; !reflect.DeepEqual(lines, want) {
		t.Errorf("bad lines %v, want %v", lines, want)
	}
	if n := count(t, conn, `SELECT count(*) FROM imported_units WHERE line = ANY($1)`, []int32{10, 100, 500, 1000, 2000}); n != 0 {
		t.Errorf("%d unit rows of bad lines were written", n)
	}
}

// TestImportSeattle: the Seattle export, of another shape (calls only, UTC times with +0000,
// separate latitude and longitude), loads through its mapping file. Its 25 rows whose time has
// an hour 24 are reported; rows without an incident number are keyed by time, address and type.
func TestImportSeattle(t *testing.T) {
	needFile(t, seattleFile)
	db, conn := newStore(t)
	m, err := importer.LoadMapping(filepath.Join("formats", "seattle-911.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := importFile(t, importer.New(db, nil), m, seattleFile)
	if sum.Rows != 13771 || sum.BadRows != 25 || sum.IncidentsAdded != 13240 || sum.UnitsAdded != 0 || sum.UnitsPresent != 0 {
		t.Errorf("summary %+v; want 13771 rows, 25 bad, 13240 incidents, no units", sum)
	}
	if len(sum.Bad) != fireline.MaxBadRowsListed || sum.Bad[0].Line != 146 || !strings.Contains(sum.Bad[0].Reason, "hour out of range") {
		t.Errorf("bad rows %+v", sum.Bad)
	}
	if n := count(t, conn, `SELECT count(*) FROM imported_incidents WHERE dataset = 'seattle-911' AND type = 'traffic_accident' AND category = 'rescue' AND time_zone = 'America/Los_Angeles'`); n != 13240 {
		t.Errorf("%d Seattle incidents stored as traffic accidents in the Pacific calendar, want 13240", n)
	}
	// The file's first row: F110104134, 11/09/2011 10:04:00 PM +0000.
	var received time.Time
	err = conn.QueryRow(context.Background(), `SELECT received_at FROM imported_incidents WHERE number = 'F110104134'`).Scan(&received)
	if err != nil || !received.Equal(time.Date(2011, 11, 9, 22, 4, 0, 0, time.UTC)) {
		t.Errorf("F110104134 received %v, %v", received, err)
	}
	// 25 rows have no coordinates; one of them, F140049350, has a second row that does.
	if n := count(t, conn, `SELECT count(*) FROM imported_incidents WHERE lat IS NULL`); n != 24 {
		t.Errorf("%d incidents without a position, want 24", n)
	}
}

// TestMappingErrors: a mapping that cannot work is refused before any row is read, naming the
// field; a file without a column the mapping reads is refused, naming the column.
func TestMappingErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"dataset": "x"}`, "columns.number: required"},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r"}, "time_layouts": ["2006"], "times_in": "Mars/Olympus", "time_zone": "UTC"}`, `times_in: "Mars/Olympus" is not an IANA time zone`},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r"}, "time_layouts": ["2006"], "times_in": "UTC", "time_zone": "Local"}`, `time_zone: "Local" is not an IANA time zone`},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r", "lat": "y"}, "time_layouts": ["2006"], "times_in": "UTC", "time_zone": "UTC"}`, "give both or neither"},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r", "dispatched": "d"}, "time_layouts": ["2006"], "times_in": "UTC", "time_zone": "UTC"}`, "need columns.unit_id"},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r"}, "time_layouts": ["2006"], "times_in": "UTC", "time_zone": "UTC", "call_types": {"A": {"category": "arson"}}}`, `call_types["A"].category`},
		{`{"dataset": "x", "columns": {"number": "n", "received": "r"}, "time_layouts": ["2006"], "times_in": "UTC", "time_zone": "UTC", "unit_types": {"MEDIC": "ambulance"}}`, `unit_types["MEDIC"]`},
		{`{"dataset": "x", "colums": {}}`, "unknown field"},
	} {
		_, err := importer.ParseMapping([]byte(tc.json))
		if fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.json, err, tc.want)
		}
	}
	if _, err := importer.LoadMapping("chicago-calls"); err == nil || !strings.Contains(err.Error(), "neither a built-in format (sf-calls)") {
		t.Errorf("an unknown format: %v", err)
	}
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		t.Fatal(err)
	}
	im := importer.New(nil, slog.New(slog.DiscardHandler))
	_, err = im.Import(context.Background(), m, strings.NewReader("Incident Number,Received DtTm\n1,2\n"), importer.Options{})
	if fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(err.Error(), `no column "Dispatch DtTm"`) {
		t.Errorf("a file of another shape: %v", err)
	}
	if _, err := im.Import(context.Background(), m, io.MultiReader(), importer.Options{}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("an empty file: %v", err)
	}
}

// TestImportLines: a quoted field spanning lines does not shift the lines reported after it;
// a bare quote, a row of too few fields and text that is not UTF-8 are reported at the line
// they begin on; the rows around them load.
func TestImportLines(t *testing.T) {
	m, err := importer.ParseMapping([]byte(`{"dataset": "t", "columns": {"number": "n", "received": "r", "address": "a",
		"lat": "lat", "lng": "lng"}, "time_layouts": ["2006-01-02 15:04"], "times_in": "Asia/Shanghai", "time_zone": "Asia/Shanghai"}`))
	if err != nil {
		t.Fatal(err)
	}
	file := "n,r,a,lat,lng\n" + // 1
		"1,2026-12-01 08:00,\"Dongchang Rd\nnear the\nbridge\",36.45,115.98\n" + // 2–4
		"2,2026-12-01 08:0x,Gucheng,36.45,115.98\n" + // 5: a bad time
		"3,2026-12-01 08:10,Gu\"cheng,36.45,115.98\n" + // 6: a bare quote
		"4,2026-12-01 08:20,Gucheng\n" + // 7: too few fields
		"5,2026-12-01 08:30,\xff\xfe,36.45,115.98\n" + // 8: not UTF-8
		"6,2026-12-01 08:40,Gucheng,,\n" + // 9: no position
		"7,2026-12-01 08:50,Gucheng,36.45,195\n" // 10: off the globe
	store := &memStore{}
	sum, err := importer.New(store, nil).Import(context.Background(), m, strings.NewReader(file), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []fireline.BadRow{
		{Line: 5, Reason: `r: "2026-12-01 08:0x" is not a time`},
		{Line: 6, Reason: `bare " in non-quoted-field`},
		{Line: 7, Reason: "3 fields where the header has 5"},
		{Line: 8, Reason: "a: not UTF-8 text"},
		{Line: 10, Reason: "lat/lng: lng 195 is outside -180..180"},
	}
	if sum.Rows != 7 || sum.BadRows != len(want) || len(sum.Bad) != len(want) {
		t.Fatalf("summary %+v", sum)
	}
	for i, b := range sum.Bad {
		if b.Line != want[i].Line || !strings.HasPrefix(b.Reason, want[i].Reason) {
			t.Errorf("bad row %d: %+v, want %+v", i, b, want[i])
		}
	}
	if len(store.incidents) != 2 || store.incidents[0].Number != "1" || store.incidents[0].Line != 2 ||
		store.incidents[0].Address != "Dongchang Rd\nnear the\nbridge" || store.incidents[0].Cell == "" ||
		store.incidents[1].Number != "6" || store.incidents[1].Point != nil || store.incidents[1].Line != 9 {
		t.Errorf("stored %+v", store.incidents)
	}
	if got := store.incidents[0].ReceivedAt; !got.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("08:00 in Shanghai read as %v", got)
	}
}

// TestImportStepBeforeReceived: a unit dispatched seconds before the call was received is two
// clocks disagreeing: the row is kept, for the analytics to count its interval as negative. A
// step a day and more before it belongs to another call, and the row is bad.
func TestImportStepBeforeReceived(t *testing.T) {
	m, err := importer.ParseMapping([]byte(`{"dataset": "t", "columns": {"number": "n", "received": "r",
		"dispatched": "d", "unit_id": "u"}, "time_layouts": ["2006-01-02 15:04:05"], "times_in": "UTC", "time_zone": "UTC"}`))
	if err != nil {
		t.Fatal(err)
	}
	file := "n,r,d,u\n" +
		"1,2026-12-01 08:00:00,2026-12-01 07:59:55,E1\n" + // 2: five seconds early
		"2,2026-12-01 08:00:00,2026-11-30 07:59:59,E2\n" // 3: a day and a second early
	store := &memStore{}
	sum, err := importer.New(store, nil).Import(context.Background(), m, strings.NewReader(file), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.BadRows != 1 || len(sum.Bad) != 1 || sum.Bad[0].Line != 3 || !strings.Contains(sum.Bad[0].Reason, "more than 24h0m0s before") {
		t.Errorf("bad rows %+v, want line 3 only", sum.Bad)
	}
	if len(store.units) != 1 || store.units[0].UnitID != "E1" ||
		!store.units[0].DispatchedAt.Equal(time.Date(2026, 12, 1, 7, 59, 55, 0, time.UTC)) {
		t.Errorf("stored units %+v, want E1 dispatched at 07:59:55", store.units)
	}
}

// TestImportStoreFails: when the store fails, the import stops and says so, with what the
// batches before it added.
func TestImportStoreFails(t *testing.T) {
	needFile(t, sfFile)
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{failAt: 2}
	im := importer.New(store, nil)
	im.BatchSize = 500
	f, err := os.Open(sfFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := im.Import(context.Background(), m, f, importer.Options{})
	if fireline.ErrorCode(err) != fireline.EUNAVAILABLE || sum.UnitsAdded != 500 || sum.Rows >= 3786 {
		t.Errorf("a failing store: %v, summary %+v", err, sum)
	}
}

// memStore keeps batches in memory and fails the failAt-th (1-based; 0: never).
type memStore struct {
	incidents []fireline.ImportedIncident
	units     []fireline.ImportedUnit
	batches   int
	failAt    int
}

func (s *memStore) ImportRecords(_ context.Context, b fireline.ImportBatch) (fireline.ImportCounts, error) {
	s.batches++
	if s.batches == s.failAt {
		return fireline.ImportCounts{}, fireline.Errorf(fireline.EUNAVAILABLE, "the database is unavailable; try again")
	}
	s.incidents = append(s.incidents, b.Incidents...)
	s.units = append(s.units, b.Units...)
	return fireline.ImportCounts{IncidentsAdded: len(b.Incidents), UnitsAdded: len(b.Units)}, nil
}

// checkStepsAgainstCSV reads the San Francisco file again, on its own, and finds every row's
// step intervals (seconds from received to dispatch, to en route, to on scene, to available)
// stored exactly: what the analytics will compute from.
func checkStepsAgainstCSV(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	f, err := os.Open(sfFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	want := map[string][4]int64{} // RowID → seconds from received to each step, -1 without it
	for _, r := range recs[1:] {
		received, err := time.ParseInLocation("01/02/2006 03:04:05 PM", r[col["Received DtTm"]], la)
		if err != nil {
			t.Fatal(err)
		}
		var steps [4]int64
		for i, c := range []string{"Dispatch DtTm", "Response DtTm", "On Scene DtTm", "Available DtTm"} {
			steps[i] = -1
			if v := r[col[c]]; v != "" {
				at, err := time.ParseInLocation("01/02/2006 03:04:05 PM", v, la)
				if err != nil {
					t.Fatal(err)
				}
				steps[i] = int64(at.Sub(received) / time.Second)
			}
		}
		want[r[col["RowID"]]] = steps
	}
	rows, err := conn.Query(context.Background(), `SELECT u.row_key,
		coalesce(extract(epoch FROM u.dispatched_at - i.received_at)::bigint, -1),
		coalesce(extract(epoch FROM u.en_route_at - i.received_at)::bigint, -1),
		coalesce(extract(epoch FROM u.on_scene_at - i.received_at)::bigint, -1),
		coalesce(extract(epoch FROM u.available_at - i.received_at)::bigint, -1)
		FROM imported_units u JOIN imported_incidents i ON i.id = u.incident_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][4]int64{}
	for rows.Next() {
		var key string
		var s [4]int64
		if err := rows.Scan(&key, &s[0], &s[1], &s[2], &s[3]); err != nil {
			t.Fatal(err)
		}
		got[key] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d unit rows stored, the file has %d", len(got), len(want))
	}
	diffs := 0
	for k, w := range want {
		if got[k] != w {
			if diffs++; diffs <= 5 {
				t.Errorf("row %s: steps %v s after received, the file says %v", k, got[k], w)
			}
		}
	}
}
