package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// fakeCover answers a fixed coverage and one suggestion, and evaluates any move of an
// available unit to a known station.
type fakeCover struct{}

func (fakeCover) Coverage(context.Context) (resources.Coverage, error) {
	return resources.Coverage{
		Cells:    []resources.CoverageCell{{Cell: "872830828ffffff", Seconds: 300, UnitID: "E-2", Gap: true, Weight: 50}},
		UnitType: fireline.UnitEngine, TargetSeconds: 240, GapCells: 1, Weight: 50, GapWeight: 50,
	}, nil
}

func (fakeCover) Shapes(context.Context) ([]resources.CellShape, error) {
	return []resources.CellShape{{Cell: "872830828ffffff", Boundary: []fireline.Point{{Lat: 36.4, Lng: 115.9}}}}, nil
}

func (c fakeCover) MoveUps(ctx context.Context) ([]fireline.MoveUp, error) {
	m, err := c.EvaluateMoveUp(ctx, "E-2", "S-2")
	return []fireline.MoveUp{m}, err
}

func (fakeCover) EvaluateMoveUp(_ context.Context, unitID, stationID string) (fireline.MoveUp, error) {
	switch {
	case stationID != "S-1" && stationID != "S-2":
		return fireline.MoveUp{}, fireline.Errorf(fireline.ENOTFOUND, "station %s does not exist", stationID)
	case unitID != "E-2":
		return fireline.MoveUp{}, fireline.Errorf(fireline.ECONFLICT, "unit %s is not available: only an available unit moves up", unitID)
	}
	return fireline.MoveUp{UnitID: unitID, Type: fireline.UnitEngine, FromStationID: "S-1", ToStationID: stationID,
		TravelSeconds: 500, GapCellsBefore: 1, GapWeightBefore: 50}, nil
}

// moveUpStore is the units' fake store that also records the move-up decisions it is given.
type moveUpStore struct {
	*fakeStore
	posted  []fireline.MoveUp
	cells   []string
	ignored []fireline.MoveUp
}

func (f *moveUpStore) Stations(context.Context, fireline.RefFilter) ([]fireline.Station, error) {
	return []fireline.Station{{ID: "S-1", Point: fireline.Point{Lat: 36.48, Lng: 115.985}}, {ID: "S-2", Point: fireline.Point{Lat: 36.5, Lng: 116}}}, nil
}

func (f *moveUpStore) PostUnit(_ context.Context, m fireline.MoveUp, cell string, at time.Time, actor string) (fireline.MoveUp, fireline.Unit, error) {
	m.ID, m.Decision, m.Actor, m.At = int64(len(f.posted)+1), fireline.MoveUpAccepted, actor, &at
	f.posted, f.cells = append(f.posted, m), append(f.cells, cell)
	u := f.units[m.UnitID]
	u.PostStationID = m.ToStationID
	return m, u, nil
}

func (f *moveUpStore) IgnoreMoveUp(_ context.Context, m fireline.MoveUp, at time.Time, actor string) (fireline.MoveUp, error) {
	m.ID, m.Decision, m.Actor, m.At = int64(len(f.ignored)+100), fireline.MoveUpIgnored, actor, &at
	f.ignored = append(f.ignored, m)
	return m, nil
}

func (f *moveUpStore) MoveUps(context.Context, time.Time, int) ([]fireline.MoveUp, error) {
	return append(append([]fireline.MoveUp{}, f.ignored...), f.posted...), nil
}

func newCoverServer(t *testing.T) (*Server, *moveUpStore) {
	t.Helper()
	base, units, _ := newTestServer(t)
	st := &moveUpStore{fakeStore: units}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: base.incidents, Locator: fakeLocator{}, Cover: fakeCover{},
		Logger: slog.New(slog.DiscardHandler)})
	s.now = base.now
	return s, st
}

func TestCoverageEndpoint(t *testing.T) {
	s, _ := newCoverServer(t)
	code, body := call(t, s, "operator", "GET", "/api/v1/coverage", "")
	if code != http.StatusOK || body["gap_cells"] != 1.0 || len(body["cells"].([]any)) != 1 || body["shapes"] != nil {
		t.Errorf("coverage: %d %v", code, body)
	}
	code, body = call(t, s, "risk", "GET", "/api/v1/coverage?shapes=true", "")
	if code != http.StatusOK || len(body["shapes"].([]any)) != 1 {
		t.Errorf("coverage with shapes: %d %v", code, body)
	}
	code, body = call(t, s, "operator", "GET", "/api/v1/coverage?shapes=perhaps", "")
	if code != http.StatusBadRequest || !strings.Contains(body["detail"].(string), "shapes") {
		t.Errorf("bad shapes flag: %d %v", code, body)
	}
	if code, _ := call(t, s, "field:E-1", "GET", "/api/v1/coverage", ""); code != http.StatusForbidden {
		t.Errorf("crew reading coverage: %d, want 403", code)
	}
	s.cover = nil
	if code, _ := call(t, s, "operator", "GET", "/api/v1/coverage", ""); code != http.StatusServiceUnavailable {
		t.Errorf("node without an index: %d, want 503", code)
	}
}

func TestMoveUpEndpoints(t *testing.T) {
	s, d := newCoverServer(t)
	code, body := call(t, s, "supervisor", "GET", "/api/v1/move-ups", "")
	if code != http.StatusOK || len(body["suggestions"].([]any)) != 1 || len(body["recent"].([]any)) != 0 {
		t.Fatalf("move-ups: %d %v", code, body)
	}

	tests := []struct {
		name, token, path, body string
		code                    int
		detail                  string
	}{
		{"risk officers read only", "risk", "/api/v1/move-ups", `{"unit_id":"E-2","station_id":"S-2"}`, 403, "may not"},
		{"crews do not move units", "field:E-2", "/api/v1/move-ups", `{"unit_id":"E-2","station_id":"S-2"}`, 403, "may not"},
		{"no unit", "operator", "/api/v1/move-ups", `{"station_id":"S-2"}`, 400, "unit_id: required"},
		{"no station", "operator", "/api/v1/move-ups/ignore", `{"unit_id":"E-2"}`, 400, "station_id: required"},
		{"hostile id", "operator", "/api/v1/move-ups", `{"unit_id":"E-2'; DROP TABLE units;--","station_id":"S-2"}`, 400, "unit_id: "},
		{"unknown field", "operator", "/api/v1/move-ups", `{"unit_id":"E-2","station_id":"S-2","force":true}`, 400, "force"},
		{"not JSON", "operator", "/api/v1/move-ups", `unit=E-2`, 400, "malformed JSON"},
		{"oversized", "operator", "/api/v1/move-ups", `{"unit_id":"` + strings.Repeat("E", 1<<20) + `"}`, 413, "larger than"},
		{"busy unit", "operator", "/api/v1/move-ups", `{"unit_id":"E-1","station_id":"S-2"}`, 409, "only an available unit"},
		{"ignoring a suggestion overtaken by events", "operator", "/api/v1/move-ups/ignore", `{"unit_id":"E-1","station_id":"S-2"}`, 409, "nothing to ignore"},
		{"unknown station", "operator", "/api/v1/move-ups/ignore", `{"unit_id":"E-2","station_id":"S-9"}`, 404, "S-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, s, tt.token, "POST", tt.path, tt.body)
			if code != tt.code || !strings.Contains(body["detail"].(string), tt.detail) {
				t.Errorf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
		})
	}
	if len(d.posted)+len(d.ignored) != 0 {
		t.Fatalf("refused requests stored decisions: %+v", d)
	}

	code, body = call(t, s, "operator", "POST", "/api/v1/move-ups/ignore", `{"unit_id":"E-2","station_id":"S-2"}`)
	if code != http.StatusCreated || len(d.ignored) != 1 || d.ignored[0].Actor != "operator" || d.ignored[0].TravelSeconds != 500 {
		t.Errorf("ignore: %d %v, stored %+v", code, body, d.ignored)
	}
	code, body = call(t, s, "supervisor", "POST", "/api/v1/move-ups", `{"unit_id":"E-2","station_id":"S-2"}`)
	if code != http.StatusCreated || len(d.posted) != 1 || d.posted[0].Actor != "supervisor" || !d.posted[0].At.Equal(now) {
		t.Fatalf("accept: %d %v, stored %+v", code, body, d.posted)
	}
	if want := "cell(36.500000,116.000000)"; d.cells[0] != want {
		t.Errorf("posted with cell %q, want the station's %q", d.cells[0], want)
	}
	if u := body["unit"].(map[string]any); u["post_station_id"] != "S-2" {
		t.Errorf("answer's unit %v, want its post", u)
	}
	code, body = call(t, s, "operator", "GET", "/api/v1/move-ups", "")
	if code != http.StatusOK || len(body["recent"].([]any)) != 2 {
		t.Errorf("recent decisions: %d %v", code, body)
	}
}

// TestMoveUpContentType: a form post is refused before anything is read.
func TestMoveUpContentType(t *testing.T) {
	s, d := newCoverServer(t)
	r := httptest.NewRequest("POST", "/api/v1/move-ups", strings.NewReader("unit_id=E-2&station_id=S-2"))
	r.Header.Set("Authorization", "Bearer operator")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusUnsupportedMediaType || len(d.posted) != 0 {
		t.Errorf("form post: %d %s", w.Code, w.Body)
	}
}

func TestCoverageIsCompressed(t *testing.T) {
	s, _ := newCoverServer(t)
	r := httptest.NewRequest("GET", "/api/v1/coverage?shapes=true", nil)
	r.Header.Set("Authorization", "Bearer operator")
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("%d, Content-Encoding %q; want gzip", w.Code, w.Header().Get("Content-Encoding"))
	}
}

type fakeTravel struct{}

func (fakeTravel) Stats() resources.LearnerStats {
	return resources.LearnerStats{Model: "learned-v1", Trips: 12, Learned: 10, TooShort: 1, Rejected: 1, FinePairs: 4, CoarsePairs: 2}
}

func TestTravelModelEndpoint(t *testing.T) {
	s, _ := newCoverServer(t)
	if code, _ := call(t, s, "operator", "GET", "/api/v1/travel-model", ""); code != http.StatusServiceUnavailable {
		t.Errorf("node without a model: %d, want 503", code)
	}
	s.travel = fakeTravel{}
	code, body := call(t, s, "risk", "GET", "/api/v1/travel-model", "")
	if code != http.StatusOK || body["learned"] != 10.0 || body["rejected"] != 1.0 || body["model"] != "learned-v1" {
		t.Errorf("travel model: %d %v", code, body)
	}
	if code, _ := call(t, s, "field:E-1", "GET", "/api/v1/travel-model", ""); code != http.StatusForbidden {
		t.Errorf("crew: %d, want 403", code)
	}
}
