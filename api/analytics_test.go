package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// fakeAnalytics answers a fixed report for any valid query, recording the query.
type fakeAnalytics struct{ got fireline.IntervalQuery }

func (f *fakeAnalytics) IntervalReport(_ context.Context, q fireline.IntervalQuery) (fireline.IntervalReport, error) {
	if err := q.Validate(); err != nil {
		return fireline.IntervalReport{}, err
	}
	f.got = q
	p50, p90, frac := 42.5, 61.0, 0.875
	rep := fireline.IntervalReport{Query: q, Incidents: 3, Live: 1, Imported: 2, TimeZone: "Asia/Shanghai",
		Targets:        fireline.DefaultIntervalTargets(),
		CallProcessing: fireline.IntervalStats{N: 2, P50: &p50, P90: &p90, Missing: 1, Histogram: []fireline.Bucket{}},
		Compliance: []fireline.Compliance{{Measure: "call_processing", Standard: "=NFPA 1225", TargetS: 60, Percentile: 90, N: 8,
			Within: 7, Fraction: &frac, ObservedS: &p90, Met: false}}}
	return rep, nil
}

func newAnalyticsServer(t *testing.T) (*Server, *fakeAnalytics) {
	t.Helper()
	_, f := newRoleServer(t)
	an := &fakeAnalytics{}
	log := slog.New(slog.DiscardHandler)
	s := New(DefaultConfig(), Deps{Store: f, Admin: f, Incidents: f, Locator: fakeLocator{}, Logger: log, Analytics: an})
	return s, an
}

func TestIntervalsAnswer(t *testing.T) {
	s, an := newAnalyticsServer(t)
	get := func(path, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer risk")
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	w := get("/api/v1/analytics/intervals?from=2026-12-01&to=2026-12-07&type=structure_fire&station=S1&cell=872A10089FFFFFF&unit_type=engine&origin=live", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	want := fireline.IntervalQuery{From: "2026-12-01", To: "2026-12-07", Type: "structure_fire", StationArea: "S1",
		Cell: "872a10089ffffff", UnitType: fireline.UnitEngine, Origin: fireline.OriginLive}
	if an.got != want {
		t.Errorf("query %+v, want %+v", an.got, want)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	cp, _ := body["call_processing_s"].(map[string]any)
	if body["incidents"] != 3.0 || cp["n"] != 2.0 || cp["p50"] != 42.5 || cp["missing"] != 1.0 {
		t.Errorf("answer %v", body)
	}
	if tr, _ := body["turnout_s"].(map[string]any); tr["p50"] != nil || tr["n"] != 0.0 {
		t.Errorf("turnout without intervals %v, want n 0 and p50 null", tr)
	}

	for _, how := range []struct{ path, accept string }{
		{"/api/v1/analytics/intervals?from=2026-12-01&to=2026-12-07", "text/csv"},
		{"/api/v1/analytics/intervals?from=2026-12-01&to=2026-12-07&format=csv", ""},
	} {
		w := get(how.path, how.accept)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %s", how.path, w.Code, w.Header().Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := map[string][]string{}
		for _, r := range rows {
			found[r[0]+" "+r[1]] = r
		}
		if r := found["interval call_processing_s"]; r == nil || r[2] != "2" || r[3] != "42.5" || r[4] != "61" || r[5] != "1" {
			t.Errorf("call processing row %v", r)
		}
		if r := found["compliance call_processing"]; r == nil || r[7] != "'=NFPA 1225" || r[11] != "0.875" || r[13] != "missed" {
			t.Errorf("compliance row %v (a formula-like standard is defused)", r)
		}
		if r := found["count incidents"]; r == nil || r[2] != "3" {
			t.Errorf("count row %v", r)
		}
	}

	for _, bad := range []struct{ query, detail string }{
		{"to=2026-12-07", "from: a date"},
		{"from=2026-12-01&to=7+Dec", `to: "7 Dec" is not a date`},
		{"from=2026-12-08&to=2026-12-07", "from 2026-12-08 is after to 2026-12-07"},
		{"from=2010-01-01&to=2026-12-07", "more than 3660 days"},
		{"from=2026-12-01&to=2026-12-07&unit_type=boat", `unit_type: "boat" is not one of`},
		{"from=2026-12-01&to=2026-12-07&cell=8928308280fffff&origin=both", `origin: "both"`},
		{"from=2026-12-01&to=2026-12-07&cell=832a10fffffffff", "not 5 to 9"},
		{"from=2026-12-01&to=2026-12-07&format=xlsx", `format: "xlsx"`},
	} {
		w := get("/api/v1/analytics/intervals?"+bad.query, "")
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != 400 || !strings.Contains(p.Detail, bad.detail) {
			t.Errorf("%s: %d %s, want 400 saying %q", bad.query, w.Code, w.Body, bad.detail)
		}
	}
}

func TestIntervalsUnavailableWithoutAnalytics(t *testing.T) {
	s, _ := newRoleServer(t)
	s.analytics = nil
	r := httptest.NewRequest("GET", "/api/v1/analytics/intervals?from=2026-12-01&to=2026-12-01", nil)
	r.Header.Set("Authorization", "Bearer admin")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 503 {
		t.Fatalf("%d %s, want 503", w.Code, w.Body)
	}
}
