package main

import (
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline/internal/benchdoc"
)

// sample is go test -bench -v output as scripts/bench-import.sh produces it, two runs of each.
const sample = `goos: linux
cpu: Some CPU
BenchmarkImport
    bench_test.go:70: file: 98436 rows; server: PostgreSQL 15.14, a throwaway cluster
BenchmarkImport/copy
BenchmarkImport/copy-2         	       1	         0 ns/op	     40000 rows/s
BenchmarkImport/copy-2         	       1	         0 ns/op	     36000 rows/s
BenchmarkImport/reimport-2     	       1	         0 ns/op	     60000 rows/s
BenchmarkImport/insert-2       	       1	         0 ns/op	      5000 rows/s
BenchmarkImport/insert-2       	       1	         0 ns/op	      4000 rows/s
BenchmarkImport/parse-2        	       1	         0 ns/op	    130000 rows/s
PASS
`

func TestReport(t *testing.T) {
	r, err := parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.runs["copy"]) != 2 || r.rows != 98436 || r.server != "PostgreSQL 15.14" || r.cpu != "Some CPU" {
		t.Fatalf("parsed %+v", r)
	}
	got := render(r, benchdoc.Meta{"elapsed": "90 s"}, "go test -bench BenchmarkImport ./importer/", time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC))
	for _, want := range []string{
		beginMarker, endMarker, "Run 2026-12-05 02:00 UTC",
		"98,436 rows, imported into an empty database: **38,000 rows/s** (median of 2 runs), met.",
		"| **importer** (COPY to staging, one INSERT … SELECT per batch) | 38,000 | 36,000 | 40,000 | 2.6 | ×8.4 |",
		"| baseline: one INSERT … ON CONFLICT per row | 4,500 | 4,000 | 5,000 | 21.9 | — |",
		"| run time | 90 s |", "`go test -bench BenchmarkImport ./importer/`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the section lacks %q:\n%s", want, got)
		}
	}
	if _, err := parse([]byte("BenchmarkImport/copy-2 1 0 ns/op\n--- FAIL: BenchmarkImport\n")); err == nil {
		t.Error("a failed run was reported")
	}
}
