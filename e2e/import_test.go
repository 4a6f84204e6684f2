package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestAdminImportsRecords: an administrator posts San Francisco's real export to the running
// system as CSV; it lands as 1,800 imported incidents with 3,786 unit rows, the same file again
// adds nothing, no live incident (no workflow) comes of it, a risk officer may not import, and
// the analytics for its dates equal what the test computes from the CSV by itself.
func TestAdminImportsRecords(t *testing.T) {
	sf := filepath.Join("..", "..", "shared", "data", "sf", "fire_calls_2016-12-31_to_2017-01-03.csv")
	file, err := os.ReadFile(sf)
	if err != nil {
		t.Skipf("the shared data folder is absent (%v): this test imports its real export", err)
	}
	s := newStack(t)
	s.start()
	admin, risk := s.login("admin"), s.login("risk")

	post := func(token string) (int, fireline.ImportSummary, []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "POST", s.base+"/api/v1/admin/imports?format=sf-calls", bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var sum fireline.ImportSummary
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(raw, &sum); err != nil {
				t.Fatalf("summary %s: %v", raw, err)
			}
		}
		return resp.StatusCode, sum, raw
	}

	if code, _, raw := post(risk); code != http.StatusForbidden {
		t.Errorf("a risk officer's import: %d %s, want 403", code, raw)
	}
	code, sum, raw := post(admin)
	if code != http.StatusOK || sum.Rows != 3786 || sum.IncidentsAdded != 1800 || sum.UnitsAdded != 3786 || sum.BadRows != 0 {
		t.Fatalf("import: %d %s", code, raw)
	}
	t.Logf("imported %d rows in %.2f s (%.0f rows/s)", sum.Rows, sum.Seconds, sum.RowsPerSecond)
	code, sum, raw = post(admin)
	if code != http.StatusOK || sum.IncidentsAdded != 0 || sum.UnitsAdded != 0 || sum.IncidentsPresent != 1800 || sum.UnitsPresent != 3786 {
		t.Errorf("re-import: %d %s, want nothing added", code, raw)
	}
	var live struct {
		Incidents []fireline.Incident `json:"incidents"`
	}
	s.must(http.StatusOK, "GET", "/api/v1/incidents", admin, nil, &live)
	if len(live.Incidents) != 0 {
		t.Errorf("%d live incidents after the import, want none: imported records start no workflow", len(live.Incidents))
	}

	// The analytics over the imported dates, and over one day of San Francisco's calendar,
	// equal what this test computes from the CSV on its own (intervals_csv_test.go).
	for _, days := range [][2]string{{"2016-12-31", "2017-01-03"}, {"2017-01-01", "2017-01-01"}} {
		want := recompute(t, sf, days[0], days[1])
		var got figures
		s.must(http.StatusOK, "GET", "/api/v1/analytics/intervals?from="+days[0]+"&to="+days[1], risk, nil, &got)
		if show(got) != show(want) {
			t.Errorf("analytics %s..%s:\n got %s\nwant %s", days[0], days[1], show(got), show(want))
		} else {
			t.Logf("analytics %s..%s match the CSV: %s", days[0], days[1], show(got))
		}
	}
	if all := recompute(t, sf, "2016-12-31", "2017-01-03"); all.Incidents != 1800 {
		t.Errorf("the recomputation finds %d incidents in the file's dates, want 1800", all.Incidents)
	}
}
