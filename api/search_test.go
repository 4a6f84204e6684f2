package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// searchStore answers the incident search, keeping the filter it was given.
type searchStore struct {
	*fakeStore
	filter fireline.IncidentFilter
}

func (f *searchStore) Incidents(_ context.Context, filter fireline.IncidentFilter) ([]fireline.Incident, error) {
	f.filter = filter
	return nil, nil
}

func newSearchServer(t *testing.T) (*Server, *searchStore) {
	t.Helper()
	_, units, inc := newTestServer(t)
	st := &searchStore{fakeStore: units}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: inc, Locator: fakeLocator{}, Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, st
}

// TestIncidentSearchQuery: each search parameter reaches the store as the filter it means, and
// a bad one is refused with a problem that names it. The console's ?open=true still works.
func TestIncidentSearchQuery(t *testing.T) {
	s, st := newSearchServer(t)
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		query string
		want  fireline.IncidentFilter
	}{
		{"", fireline.IncidentFilter{Limit: 200}},
		{"open=true", fireline.IncidentFilter{OpenOnly: true, Limit: 200}},
		{"status=open", fireline.IncidentFilter{OpenOnly: true, Limit: 200}},
		{"status=finished&limit=50", fireline.IncidentFilter{FinishedOnly: true, Limit: 50}},
		{"status=any&open=false", fireline.IncidentFilter{Limit: 200}},
		// Calendar dates are whole UTC days: to includes its day.
		{"from=2026-12-01&to=2026-12-01", fireline.IncidentFilter{From: day, To: day.AddDate(0, 0, 1), Limit: 200}},
		// The page sends the user's own midnight; "+" unencoded arrives as a space and still reads.
		{"from=2026-12-01T00:00:00%2B08:00&to=2026-12-02T00:00:00+08:00", fireline.IncidentFilter{
			From: day.Add(-8 * time.Hour), To: day.Add(16 * time.Hour), Limit: 200}},
		{"type=hazmat&level=3", fireline.IncidentFilter{Type: fireline.TypeHazmat, Level: 3, Limit: 200}},
		{"near=36.45,115.98&radius_m=2500", fireline.IncidentFilter{Near: fireline.Point{Lat: 36.45, Lng: 115.98}, RadiusMeters: 2500, Limit: 200}},
	}
	for _, tt := range tests {
		st.filter = fireline.IncidentFilter{}
		code, body := call(t, s, "risk", "GET", "/api/v1/incidents?"+tt.query, "")
		if code != http.StatusOK {
			t.Errorf("?%s: %d %v", tt.query, code, body)
			continue
		}
		if _, ok := body["incidents"].([]any); !ok {
			t.Errorf("?%s: %v, want an incidents list (empty, not null)", tt.query, body)
		}
		got := st.filter
		if !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("?%s: from %s to %s, want %s to %s", tt.query, got.From, got.To, tt.want.From, tt.want.To)
		}
		got.From, got.To, tt.want.From, tt.want.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got != tt.want {
			t.Errorf("?%s: filter %+v, want %+v", tt.query, got, tt.want)
		}
	}

	refusals := []struct{ query, detail string }{
		{"status=burning", `status: "burning" is not open, finished or any`},
		{"open=yes", `open: "yes" is not true or false`},
		{"open=true&status=finished", "status: an incident is open or finished, not both"},
		{"from=yesterday", `from: "yesterday" is neither a calendar date (2026-12-01) nor an RFC 3339 time`},
		{"to=2026-13-01", `to: "2026-13-01" is neither`},
		{"from=2026-12-02&to=2026-12-01", "from: 2026-12-02T00:00:00Z is not before to: 2026-12-02T00:00:00Z"},
		{"type=Meteor", `type: "Meteor" is not an incident type code`},
		{"level=high", `level: "high" is not a whole number`},
		{"level=0", ""}, // 0 keeps every level, as no level does
		{"level=7", "level: 7 is outside 1..5"},
		{"near=36.45,115.98", "radius_m: required with near"},
		{"radius_m=500", "near: required with radius_m"},
		{"near=36.45&radius_m=500", `near: "36.45" is not lat,lng in decimal degrees`},
		{"near=north,115.98&radius_m=500", `near: "north,115.98" is not lat,lng`},
		{"near=95,115.98&radius_m=500", "near: lat 95 is outside -90..90"},
		{"near=36.45,115.98&radius_m=-5", `radius_m: "-5" is not a distance in metres above 0`},
		// NaN fails every comparison, so it would slip past a range check and drop the area.
		{"near=36.45,115.98&radius_m=NaN", `radius_m: "NaN" is not a distance in metres above 0`},
		{"near=36.45,115.98&radius_m=Inf", `radius_m: "Inf" is not a distance in metres above 0`},
		{"near=36.45,115.98&radius_m=60000", "radius_m: 60000 is outside 0..50000 metres"},
		{"limit=0", `limit: "0" is not a whole number in 1..1000`},
		{"limit=5000", `limit: "5000" is not a whole number in 1..1000`},
		{"radius=500", "radius: not a search parameter; use open, status, from, to, type, level, near, radius_m, limit"},
	}
	for _, tt := range refusals {
		code, body := call(t, s, "risk", "GET", "/api/v1/incidents?"+tt.query, "")
		if tt.detail == "" {
			if code != http.StatusOK {
				t.Errorf("?%s: %d %v, want 200", tt.query, code, body)
			}
			continue
		}
		detail, _ := body["detail"].(string)
		if code != http.StatusBadRequest || body["code"] != fireline.EINVALID || !strings.Contains(detail, tt.detail) ||
			body["type"] != "urn:fireline:problem:invalid" {
			t.Errorf("?%s: %d %v, want a 400 problem with %q", tt.query, code, body, tt.detail)
		}
	}
	if code, _ := call(t, s, "field:E-1", "GET", "/api/v1/incidents?status=open", ""); code != http.StatusForbidden {
		t.Errorf("a crew searched the incidents: %d", code)
	}
}
