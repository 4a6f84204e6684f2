package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// fakeRisk is a risk grid of one cell, recording the query it was asked.
type fakeRisk struct{ asked *fireline.RiskQuery }

func (f fakeRisk) Layer(_ context.Context, q fireline.RiskQuery, _ time.Time) (fireline.RiskLayer, error) {
	if err := q.Validate(); err != nil {
		return fireline.RiskLayer{}, err
	}
	if f.asked != nil {
		*f.asked = q
	}
	c := fireline.RiskCell{Cell: "872830828ffffff", Score: 73.2, Level: 4, LevelName: "very_high",
		Factors: []fireline.RiskFactor{{Kind: fireline.RiskWarnings, Value: 3, Weight: 12, Cap: 36, Points: 36}},
		Center:  fireline.Point{Lat: 36.45, Lng: 115.98}}
	if q.Shapes {
		c.Boundary = []fireline.Point{{Lat: 36.44, Lng: 115.97}, {Lat: 36.44, Lng: 115.99}, {Lat: 36.46, Lng: 115.98}}
	}
	return fireline.RiskLayer{Model: fireline.DefaultRiskModel().Weights(), Cells: []fireline.RiskCell{c}}, nil
}

func (fakeRisk) Recompute(context.Context, time.Time) (fireline.RiskRunResult, error) {
	return fireline.RiskRunResult{}, nil
}

func TestRiskCells(t *testing.T) {
	var asked fireline.RiskQuery
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Risk: fakeRisk{asked: &asked}, Logger: slog.New(slog.DiscardHandler)})
	get := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer risk")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	w := get("/api/v1/risk/cells?limit=10&min_score=20&bbox=115.9,36.4,116.1,36.5")
	if w.Code != http.StatusOK {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	if asked.Limit != 10 || asked.MinScore != 20 || asked.BBox == nil || *asked.BBox != [4]float64{115.9, 36.4, 116.1, 36.5} || asked.Shapes {
		t.Errorf("query %+v", asked)
	}
	var list struct {
		Cells []struct {
			Cell      string
			LevelName string `json:"level_name"`
			Score     float64
			Factors   []fireline.RiskFactor
			Center    fireline.Point
		}
		Weights fireline.RiskWeights
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Cells) != 1 || list.Cells[0].Score != 73.2 ||
		list.Cells[0].LevelName != "very_high" || list.Cells[0].Factors[0].Weight != 12 || list.Cells[0].Center.Lat != 36.45 ||
		list.Weights.HistoryCap != 40 {
		t.Errorf("list %s (%v)", w.Body, err)
	}

	w = get("/api/v1/risk/cells?format=geojson")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/geo+json" || !asked.Shapes {
		t.Fatalf("geojson: %d %s %q, shapes %v", w.Code, w.Body, w.Header().Get("Content-Type"), asked.Shapes)
	}
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
			Properties struct {
				Cell  string
				Score float64
				Level int
			}
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("geojson %s (%v)", w.Body, err)
	}
	ring := fc.Features[0].Geometry.Coordinates[0]
	if fc.Features[0].Geometry.Type != "Polygon" || len(ring) != 4 || ring[0] != ring[3] || ring[0] != [2]float64{115.97, 36.44} ||
		fc.Features[0].Properties.Level != 4 {
		t.Errorf("feature %+v: want a closed ring, longitude first", fc.Features[0])
	}

	for _, bad := range []string{"limit=0", "limit=x", "limit=6000", "min_score=NaN", "min_score=101", "bbox=1,2,3", "bbox=10,10,5,20", "format=kml", "shapes=maybe"} {
		if w := get("/api/v1/risk/cells?" + bad); w.Code != http.StatusBadRequest || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s, want a 400 problem", bad, w.Code, w.Body)
		}
	}

	none := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	r := httptest.NewRequest("GET", "/api/v1/risk/cells", nil)
	r.Header.Set("Authorization", "Bearer operator")
	rec := httptest.NewRecorder()
	none.ServeHTTP(rec, r)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without a grid: %d, want 503", rec.Code)
	}
}
