package api

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/fireline/fireline"
)

// riskCells is GET /risk/cells: the fire-risk grid's cells ranked highest first, each with its
// score, level and the factors that make it (weight, value, what the value is made of) and its
// centre. limit keeps the highest (default fireline.DefaultRiskLimit), min_score the cells
// scoring at least that, bbox=west,south,east,north the cells whose centre lies within it;
// shapes=true adds outlines. format=geojson answers a GeoJSON FeatureCollection of the cells'
// outlines with the same properties, for a map.
func (s *Server) riskCells(w http.ResponseWriter, r *http.Request) {
	if s.risk == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "the risk grid is not served by this node"))
		return
	}
	q, geojson, err := riskQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	layer, err := s.risk.Layer(r.Context(), q, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if geojson {
		w.Header().Set("Content-Type", "application/geo+json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(riskFeatures(layer))
		return
	}
	writeJSON(w, http.StatusOK, layer)
}

// riskQuery reads the query of GET /risk/cells.
func riskQuery(r *http.Request) (fireline.RiskQuery, bool, error) {
	v := r.URL.Query()
	var q fireline.RiskQuery
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, false, fireline.Errorf(fireline.EINVALID, "limit %q: want a whole number from 1 to %d", s, fireline.MaxRiskLimit)
		}
		q.Limit = n
	}
	if s := v.Get("min_score"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return q, false, fireline.Errorf(fireline.EINVALID, "min_score %q: want a number from 0 to 100", s)
		}
		q.MinScore = f
	}
	if s := v.Get("bbox"); s != "" {
		parts := strings.Split(s, ",")
		var b [4]float64
		if len(parts) != 4 {
			return q, false, fireline.Errorf(fireline.EINVALID, "bbox %q: want west,south,east,north", s)
		}
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return q, false, fireline.Errorf(fireline.EINVALID, "bbox %q: want four numbers, west,south,east,north", s)
			}
			b[i] = f
		}
		q.BBox = &b
	}
	var err error
	if q.Shapes, err = boolParam(r, "shapes"); err != nil {
		return q, false, err
	}
	var geojson bool
	switch f := v.Get("format"); f {
	case "", "json":
	case "geojson":
		geojson, q.Shapes = true, true
	default:
		return q, false, fireline.Errorf(fireline.EINVALID, "format %q: want json or geojson", f)
	}
	return q, geojson, q.Validate()
}

// riskFeature is one cell of the grid as a GeoJSON feature: its outline, and its score and
// explanation as properties.
type riskFeature struct {
	Type       string            `json:"type"`
	Geometry   riskGeometry      `json:"geometry"`
	Properties riskFeatureFields `json:"properties"`
}

type riskGeometry struct {
	Type        string         `json:"type"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

type riskFeatureFields struct {
	Cell      string                `json:"cell"`
	Score     float64               `json:"score"`
	Level     fireline.RiskLevel    `json:"level"`
	LevelName string                `json:"level_name"`
	Factors   []fireline.RiskFactor `json:"factors"`
}

// riskFeatures is the layer as a GeoJSON FeatureCollection (RFC 7946: longitude first, rings
// closed, counter-clockwise as H3 gives them).
func riskFeatures(l fireline.RiskLayer) map[string]any {
	features := make([]riskFeature, 0, len(l.Cells))
	for _, c := range l.Cells {
		ring := make([][2]float64, 0, len(c.Boundary)+1)
		for _, p := range c.Boundary {
			ring = append(ring, [2]float64{p.Lng, p.Lat})
		}
		if len(ring) > 0 {
			ring = append(ring, ring[0])
		}
		features = append(features, riskFeature{Type: "Feature",
			Geometry:   riskGeometry{Type: "Polygon", Coordinates: [][][2]float64{ring}},
			Properties: riskFeatureFields{Cell: c.Cell, Score: c.Score, Level: c.Level, LevelName: c.LevelName, Factors: c.Factors}})
	}
	return map[string]any{"type": "FeatureCollection", "computed_at": l.ComputedAt, "next_change_at": l.NextChangeAt, "features": features}
}
