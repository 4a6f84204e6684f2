package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample is go test -bench -v output as scripts/bench.sh produces it, two runs of each.
const sample = `goos: linux
cpu: Some CPU
BenchmarkNearest/uniform/n=10000/k=3/index
BenchmarkNearest/uniform/n=10000/k=3/index-2   	    3000	     10000 ns/op	      9000 p50-ns	     40000 p99-ns	    1500 B/op	      15 allocs/op
BenchmarkNearest/uniform/n=10000/k=3/index-2   	    3000	     12000 ns/op	     11000 p50-ns	     60000 p99-ns	    1500 B/op	      15 allocs/op
BenchmarkNearest/uniform/n=10000/k=3/scan-2    	    3000	    500000 ns/op	    400000 p50-ns	   1000000 p99-ns	      24 B/op	       1 allocs/op
BenchmarkNearest/uniform/n=10000/k=3/scan-2    	    3000	    500000 ns/op	    400000 p50-ns	   1000000 p99-ns	      24 B/op	       1 allocs/op
    knn_bench_test.go:60: server: PostgreSQL 15.14, PostGIS 3.3.2
BenchmarkNearestPostGIS/uniform/n=10000/k=3/postgis-2   	 3000	    300000 ns/op	    250000 p50-ns	   500000 p99-ns	    2000 B/op	      30 allocs/op
BenchmarkNearestPostGIS/uniform/n=10000/k=3/postgis-2   	 3000	    300000 ns/op	    250000 p50-ns	   500000 p99-ns	    2000 B/op	      30 allocs/op
--- SKIP: BenchmarkSomething
PASS
`

func TestReport(t *testing.T) {
	res, err := parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.runs["BenchmarkNearest/uniform/n=10000/k=3/index"]); got != 2 {
		t.Fatalf("%d runs of the index, want 2", got)
	}
	if res.server != "PostgreSQL 15.14, PostGIS 3.3.2" || res.failed || len(res.skipped) != 1 {
		t.Fatalf("server %q, failed %v, skipped %v", res.server, res.failed, res.skipped)
	}
	section := render(res, machine{cmd: "go test -bench ."}, []byte(sample))
	for _, want := range []string{
		// p99 median of 40 and 60 µs, its worst run, PostGIS 500 µs (×10), scan 1 ms (×20).
		"| uniform | 3 | 50.0 µs | 60.0 µs | 500 µs | ×10.0 | 1.00 ms | ×20.0 | met |",
		"PostgreSQL 15.14, PostGIS 3.3.2",
		"go test -bench .",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("report lacks %q:\n%s", want, section)
		}
	}

	// The generated section replaces the old one and leaves the rest of the file alone.
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	doc := "# Benchmarks\n\nBy hand.\n\n" + beginMarker + "\nold\n" + endMarker + "\n\nAlso by hand.\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := splice(path, section); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if strings.Contains(got, "\nold\n") || !strings.HasPrefix(got, "# Benchmarks\n\nBy hand.\n\n"+beginMarker) ||
		!strings.HasSuffix(got, endMarker+"\n\nAlso by hand.\n") {
		t.Errorf("spliced file:\n%s", got)
	}
}
