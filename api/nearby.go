package api

import (
	"net/http"
	"strconv"

	"github.com/fireline/fireline"
)

// nearbyAnswer is what a first-arriving officer needs around a point: working water sources
// with their flow, and key premises with their hazards and pre-plans, nearest first.
type nearbyAnswer struct {
	Location     fireline.Point             `json:"location"`
	WaterSources []fireline.WaterSourceNear `json:"water_sources"`
	Premises     []fireline.PremiseNear     `json:"premises"`
	// Limits say how far and how many were searched, so an empty list is not mistaken for
	// "none anywhere".
	WaterRadiusMeters   float64 `json:"water_radius_m"`
	PremiseRadiusMeters float64 `json:"premise_radius_m"`
}

// nearbyPoint answers GET /nearby?lat=&lng=[&water_radius_m=][&premise_radius_m=].
func (s *Server) nearbyPoint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var p fireline.Point
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"lat", &p.Lat}, {"lng", &p.Lng}} {
		v, err := strconv.ParseFloat(q.Get(f.name), 64)
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "%s: %q is not a number", f.name, q.Get(f.name)))
			return
		}
		*f.dst = v
	}
	if err := p.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerNearby(w, r, p)
}

// nearbyIncident answers GET /incidents/{id}/nearby: the same search around the incident. A
// crew may ask about the incident its unit is on.
func (s *Server) nearbyIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.crewMayRead(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	inc, err := s.store.Incident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerNearby(w, r, inc.Point)
}

// maxNearbyRadius bounds a search: beyond 5 km a water source is no help to a first alarm, and
// an unbounded radius would scan the whole city.
const maxNearbyRadius = 5000

func (s *Server) answerNearby(w http.ResponseWriter, r *http.Request, p fireline.Point) {
	lim := fireline.DefaultNearbyLimits()
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"water_radius_m", &lim.WaterRadiusMeters}, {"premise_radius_m", &lim.PremiseRadiusMeters}} {
		if !q.Has(f.name) {
			continue
		}
		v, err := strconv.ParseFloat(q.Get(f.name), 64)
		if err != nil || v <= 0 || v > maxNearbyRadius {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "%s: %q is not a radius in metres between 0 and %d", f.name, q.Get(f.name), maxNearbyRadius))
			return
		}
		*f.dst = v
	}
	water, err := s.store.NearbyWater(r.Context(), p, lim.WaterRadiusMeters, lim.WaterCount)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	premises, err := s.store.NearbyPremises(r.Context(), p, lim.PremiseRadiusMeters, lim.PremiseCount)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nearbyAnswer{Location: p, WaterSources: water, Premises: premises,
		WaterRadiusMeters: lim.WaterRadiusMeters, PremiseRadiusMeters: lim.PremiseRadiusMeters})
}
