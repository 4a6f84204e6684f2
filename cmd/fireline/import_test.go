package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline/postgres"
)

// TestImportCommand: fireline import loads the real San Francisco export into a real
// PostgreSQL and prints its summary; run again it adds nothing; a spoilt row is reported with
// its line and does not fail the command; a file of another shape does.
func TestImportCommand(t *testing.T) {
	sf := filepath.Join("..", "..", "..", "shared", "data", "sf", "fire_calls_2016-12-31_to_2017-01-03.csv")
	if _, err := os.Stat(sf); err != nil {
		t.Skipf("the shared data folder is absent (%v): this test imports its real export", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster := startCluster(ctx, t, "imports")
	owner, err := postgres.Open(ctx, cluster.URL("imports"), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = owner.Migrate(ctx)
	owner.Close()
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": cluster.AppURL("imports")}[k]
	}
	importFile := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := run(ctx, append([]string{"import"}, args...), env, &out, &errs)
		return out.String() + errs.String(), err
	}

	out, err := importFile("--format", "sf-calls", sf)
	if err != nil || !strings.Contains(out, "as sf-calls (dataset sf-calls): 3786 rows") ||
		!strings.Contains(out, "incidents: 1800 added, 0 already present") || !strings.Contains(out, "unit rows: 3786 added, 0 already present") ||
		!strings.Contains(out, "bad rows:  0, skipped") || !strings.Contains(out, "import progress") {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	out, err = importFile("--format", "sf-calls", "--time-zone", "America/Los_Angeles", sf)
	if err != nil || !strings.Contains(out, "incidents: 0 added, 1800 already present") || !strings.Contains(out, "unit rows: 0 added, 3786 already present") {
		t.Errorf("re-import: %v\n%s", err, out)
	}

	src, err := os.ReadFile(sf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	lines[3] = strings.Replace(lines[3], "12/31/2016 11:52:01 PM", "12/32/2016 11:52:01 PM", 1) // line 4, its received time
	spoilt := filepath.Join(t.TempDir(), "spoilt.csv")
	if err := os.WriteFile(spoilt, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = importFile("--format", "sf-calls", spoilt)
	if err != nil || !strings.Contains(out, "bad rows:  1, skipped\n    line 4: Received DtTm: \"12/32/2016") {
		t.Errorf("a spoilt row: %v\n%s", err, out)
	}
	out, err = importFile("--format", filepath.Join("..", "..", "importer", "formats", "seattle-911.json"), sf)
	if err == nil || !strings.Contains(err.Error(), `no column "Datetime"`) {
		t.Errorf("the San Francisco file as Seattle's: %v\n%s", err, out)
	}
	if _, err := importFile("--format", "chicago", sf); err == nil || !strings.Contains(err.Error(), "neither a built-in format") {
		t.Errorf("an unknown format: %v", err)
	}
	if _, err := importFile("--format", "sf-calls", "--time-zone", "Mars/Olympus", sf); err == nil || !strings.Contains(err.Error(), "--time-zone") {
		t.Errorf("an unknown zone: %v", err)
	}
}
