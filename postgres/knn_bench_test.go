package postgres_test

// Issue 4's PostGIS side: the nearest-unit query of resources.Index.Nearest answered by
// PostGIS KNN (`<->` on a GiST index), from Go through pgx, over the same units and scenes
// (samplecity.Fleet and samplecity.Scenes) as resources/bench_test.go. scripts/bench.sh
// (`make bench`) runs both in one run and writes BENCHMARKS.md.

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/internal/latency"
	"github.com/fireline/fireline/samplecity"
)

// knnDB is the database of the PostGIS benchmarks, on the package's throwaway cluster.
const knnDB = "knn_bench"

// knnPool opens a pool on knnDB with PostGIS created, or skips the benchmark when this
// machine's PostgreSQL has no PostGIS.
func knnPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	ctx := context.Background()
	if err := cluster.CreateDatabase(ctx, knnDB); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, cluster.URL(knnDB))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	var available bool
	var major int
	err = pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'postgis'),
		current_setting('server_version_num')::int / 10000`).Scan(&available, &major)
	if err != nil {
		b.Fatal(err)
	}
	if !available {
		// Printed as well as logged: go test shows a benchmark's skip reason only with -v.
		fmt.Fprintf(os.Stderr, "BenchmarkNearestPostGIS: PostGIS is not installed for PostgreSQL %d: skipped\n", major)
		b.Skipf("PostGIS is not installed for PostgreSQL %d, so PostGIS KNN is not measured: "+
			"apt-get install postgresql-%d-postgis-3, or run make bench, which installs it", major, major)
	}
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
		b.Fatal(err)
	}
	var server, postgis string
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version'), postgis_lib_version()`).Scan(&server, &postgis); err != nil {
		b.Fatal(err)
	}
	// scripts/benchreport reads this line into BENCHMARKS.md.
	b.Logf("server: PostgreSQL %s, PostGIS %s", server, postgis)
	return pool
}

// knnTable loads units into a table of their own with a GiST index on their position, unless
// an earlier run of the benchmark (-count) already did: the table is created in one
// transaction, so if it exists it is complete.
func knnTable(b *testing.B, pool *pgxpool.Pool, layout samplecity.Layout, units []fireline.Unit) string {
	b.Helper()
	ctx := context.Background()
	// Our own names (layout and size), not input: safe to format into the statements.
	table := fmt.Sprintf("units_%s_%d", layout, len(units))
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if exists {
		return table
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	exec := func(sql string) {
		if _, err := tx.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	exec(fmt.Sprintf(`CREATE TABLE %s (id text PRIMARY KEY, type text NOT NULL, geog geography(Point, 4326) NOT NULL)`, table))
	// pgx has no codec for geography: copy plain coordinates, then let PostGIS build the points.
	exec(`CREATE TEMP TABLE knn_load (id text, type text, lng float8, lat float8) ON COMMIT DROP`)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"knn_load"}, []string{"id", "type", "lng", "lat"},
		pgx.CopyFromSlice(len(units), func(i int) ([]any, error) {
			u := units[i]
			return []any{u.ID, string(u.Type), u.Point.Lng, u.Point.Lat}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	exec(fmt.Sprintf(`INSERT INTO %s SELECT id, type, ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography FROM knn_load`, table))
	exec(fmt.Sprintf(`CREATE INDEX ON %s USING gist (geog)`, table))
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	// Statistics for the planner, and the visibility map and hint bits set before timing.
	if _, err := pool.Exec(ctx, fmt.Sprintf(`VACUUM ANALYZE %s`, table)); err != nil {
		b.Fatal(err)
	}
	return table
}

// knnQuery is the PostGIS form of Index.Nearest: the k nearest units of a type and their
// distances. On geography, `<->` is the great-circle distance on PostGIS's sphere, the ranking
// the index uses (haversine); on geometry it would rank by planar degrees, a different answer.
func knnQuery(table string) string {
	return fmt.Sprintf(`SELECT id, geog <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography FROM %s
WHERE type = $1 ORDER BY geog <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography LIMIT $4`, table)
}

// knnRow is one unit of a KNN answer.
type knnRow struct {
	ID     string
	Meters float64
}

func knnNearest(ctx context.Context, pool *pgxpool.Pool, query string, p fireline.Point, k int) ([]knnRow, error) {
	rows, err := pool.Query(ctx, query, string(fireline.UnitEngine), p.Lng, p.Lat, k)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[knnRow])
}

// BenchmarkNearestPostGIS is BenchmarkNearest of the resources package done by PostGIS: the k
// nearest engines to a scene, over the same units, the same scenes and in the same run, so
// the three can be compared. Each query is a round trip to the server on this machine, as the
// application would make it (a pooled connection, a prepared statement).
func BenchmarkNearestPostGIS(b *testing.B) {
	ctx := context.Background()
	pool := knnPool(b)
	for _, layout := range []samplecity.Layout{samplecity.Uniform, samplecity.Centred} {
		scenes := samplecity.Scenes(layout, 1024)
		for _, n := range []int{1_000, 10_000, 100_000} {
			units := samplecity.Fleet(layout, n)
			query := knnQuery(knnTable(b, pool, layout, units))
			for _, k := range []int{3, 10} {
				checked := false // once, not on every -count
				b.Run(fmt.Sprintf("%s/n=%d/k=%d/postgis", layout, n, k), func(b *testing.B) {
					if !checked {
						checkPlan(b, pool, query, scenes[0], k)
						checkKNN(b, pool, query, units, scenes, k)
						checked = true
					}
					lat := latency.NewRecorder()
					i := 0
					for b.Loop() {
						t0 := time.Now()
						rows, err := knnNearest(ctx, pool, query, scenes[i%len(scenes)], k)
						lat.Add(time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						if len(rows) != k {
							b.Fatalf("%d units, want %d", len(rows), k)
						}
						i++
					}
					lat.Report(b)
				})
			}
		}
	}
}

// checkPlan fails the benchmark unless the server answers the query by walking the GiST index
// in distance order (KNN), both as planned for a prepared statement's first executions (custom
// plans) and as it may be planned after them (a generic plan), so the benchmark measures KNN
// and not a sort of the whole table.
func checkPlan(b *testing.B, pool *pgxpool.Pool, query string, p fireline.Point, k int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	exec := func(sql string) {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	exec("PREPARE knn_plan (text, float8, float8, int8) AS " + query)
	defer exec("DEALLOCATE knn_plan")
	defer exec("RESET plan_cache_mode")
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		exec("SET plan_cache_mode = " + mode)
		// Our own values, formatted into the statement: EXPLAIN EXECUTE takes no parameters.
		explain := fmt.Sprintf("EXPLAIN EXECUTE knn_plan('%s', %v, %v, %d)", fireline.UnitEngine, p.Lng, p.Lat, k)
		rows, err := conn.Query(ctx, explain, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "Index Scan using") || !strings.Contains(text, "Order By: (geog <->") {
			b.Fatalf("%s: the plan does not walk the GiST index in distance order:\n%s", mode, text)
		}
	}
}

// checkKNN makes sure, before timing, that PostGIS answers every scene as the index does: the
// k nearest engines by great-circle distance (equal distances may come in either order), at
// distances that agree with our haversine.
func checkKNN(b *testing.B, pool *pgxpool.Pool, query string, units []fireline.Unit, scenes []fireline.Point, k int) {
	b.Helper()
	ctx := context.Background()
	var engines []fireline.Point
	for _, u := range units {
		if u.Type == fireline.UnitEngine {
			engines = append(engines, u.Point)
		}
	}
	want := make([]float64, len(engines))
	for _, p := range scenes {
		rows, err := knnNearest(ctx, pool, query, p, k)
		if err != nil {
			b.Fatal(err)
		}
		for i, e := range engines {
			want[i] = haversine(p, e)
		}
		slices.Sort(want)
		if len(rows) != min(k, len(want)) {
			b.Fatalf("at %v: %d units, want %d", p, len(rows), k)
		}
		for i, r := range rows {
			j, err := strconv.Atoi(strings.TrimPrefix(r.ID, "u"))
			if err != nil || j < 0 || j >= len(units) || units[j].Type != fireline.UnitEngine {
				b.Fatalf("at %v: unit %q is not an engine of the fleet", p, r.ID)
			}
			got := haversine(p, units[j].Point)
			// A millimetre: the same rank, up to rounding and ties.
			if math.Abs(got-want[i]) > 0.001 {
				b.Fatalf("at %v: #%d is %s at %.3f m, want one at %.3f m", p, i, r.ID, got, want[i])
			}
			// PostGIS's sphere (radius (2a+b)/3 of WGS-84, 6,371,008.77 m) against ours
			// (6,371,008.8 m): a few parts in a billion, plus its own rounding.
			if math.Abs(r.Meters-got) > 1e-6*got+0.001 {
				b.Fatalf("at %v: PostGIS puts %s at %.4f m, haversine at %.4f m", p, r.ID, r.Meters, got)
			}
		}
	}
}

// haversine is geo.DistanceMeters, which this package may not import (geo brings h3).
func haversine(a, b fireline.Point) float64 {
	const rad = math.Pi / 180
	lat1, lat2 := a.Lat*rad, b.Lat*rad
	dLat, dLng := lat2-lat1, (b.Lng-a.Lng)*rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLng/2)
	h := s1*s1 + math.Cos(lat1)*math.Cos(lat2)*s2*s2
	return 2 * 6371008.8 * math.Asin(math.Sqrt(min(h, 1)))
}

// BenchmarkPostgresRoundTrip is the floor under every PostGIS figure: the same kind of pool
// and prepared statement, a query that reads no table and returns one row.
func BenchmarkPostgresRoundTrip(b *testing.B) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, cluster.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	const query = `SELECT $1::int`
	var got int
	if err := pool.QueryRow(ctx, query, 1).Scan(&got); err != nil {
		b.Fatal(err)
	}
	lat := latency.NewRecorder()
	i := 0
	for b.Loop() {
		t0 := time.Now()
		rows, err := pool.Query(ctx, query, i)
		var n []int
		if err == nil {
			n, err = pgx.CollectRows(rows, pgx.RowTo[int])
		}
		lat.Add(time.Since(t0))
		if err != nil || len(n) != 1 {
			b.Fatalf("%v, %d rows", err, len(n))
		}
		i++
	}
	lat.Report(b)
}
