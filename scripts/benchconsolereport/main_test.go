package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/results.json is a short run's results (3 s idle, 5 s loaded, 4 clicks), trimmed.
func sample(t *testing.T) results {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParse(t *testing.T) {
	r := sample(t)
	if r.Browser.Loaded.Frames.P95 != 416.6 || r.Browser.Clicks.Open.N != 4 || r.Load.AVL.Sent != 4305 {
		t.Errorf("parsed %+v", r)
	}
	if got := r.Browser.Loaded.Requests["/api/v1/units"].Count; got != 6 {
		t.Errorf("units requests under load = %d, want 6", got)
	}
	for _, bad := range []string{`{}`, `{"browser":{"idle":{"frames":{"n":1}},"load":{"frames":{"n":1}}}}`, `not json`} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%s) succeeded", bad)
		}
	}
}

func TestRender(t *testing.T) {
	out := render(sample(t), meta{"date": "2026-12-04 20:00 UTC", "cpu": "AMD EPYC (2 logical CPUs)"}, "make bench-console")
	for _, want := range []string{
		beginMarker, endMarker, "Reproduce with `make bench-console`.",
		"| CPU | AMD EPYC (2 logical CPUs) |",
		"#### Acceptance: 200 open incidents, 500 units moving (one AVL fix each per 5 s)",
		// 416.6 / 16.8 = 24.8.
		"| **frame time p95** | **16.8 ms** | **417 ms** | **×24.8** |",
		"| frames over 50 ms | 0.0% | 30.0% | |",
		"| **click → panel open** (`#incident-detail[data-incident-id]` shows it) | 2,886 ms | **4,371 ms** | 4,371 ms |",
		"frame times are pessimistic",
		// 4,305 fixes in 43.1 s.
		"| AVL fixes | 4,305 in 43.1 s: **99.9 a second** (target 100), 0 failed, at most 197 ms behind schedule |",
		// Six units fetches in 5.18 s, 1.31 MB: the busiest endpoint first.
		"| `/api/v1/units` | 0 | 6 | 1.16 | 253 | 120 ms | 18 |",
		"| live events (SSE) | 0 | 485 unit | 93.6 | | | 2,261 unit |",
		"| `web/src/console/main.js:186 async units() {` | 44.1% | 0.0% |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(out, "`/api/v1/units`"), strings.Index(out, "`/api/v1/coverage`"); i < 0 || j < i {
		t.Error("endpoints not sorted by bytes under load")
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestRunReplaces: a second run replaces its section and leaves the rest of the file alone.
func TestRunReplaces(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(doc, []byte("# Benchmarks\n\nby hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join("testdata", "results.json")
	for range 2 {
		if err := run(in, doc, "make bench-console", meta{}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Count(s, beginMarker) != 1 || !strings.HasPrefix(s, "# Benchmarks\n\nby hand\n\n"+beginMarker) {
		t.Errorf("after two runs:\n%s", s)
	}
}
