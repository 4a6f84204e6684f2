package api

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// listIncidents answers GET /incidents: the incidents the query keeps, newest first. The
// console asks for the open ones (?open=true); the review searches (incidentFilter).
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	f, err := incidentFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	incs, err := s.store.Incidents(r.Context(), f)
	answerList(s, w, r, "incidents", incs, err)
}

// defaultIncidentList is how many incidents GET /incidents answers without a limit.
const defaultIncidentList = 200

// searchParams are the query parameters GET /incidents takes; any other is refused, so a
// misspelt filter is not silently ignored.
var searchParams = []string{"open", "status", "from", "to", "type", "level", "near", "radius_m", "limit"}

// incidentFilter reads GET /incidents' query: status (open, finished or any; open=true is the
// console's older spelling of status=open), from and to (calendar dates, taken as whole UTC
// days, or RFC 3339 times; from included, to excluded), type, level, near=lat,lng with
// radius_m, and limit (1..1000, 200 by default). It names the first parameter at fault.
func incidentFilter(q url.Values) (fireline.IncidentFilter, error) {
	f := fireline.IncidentFilter{Limit: defaultIncidentList}
	for name := range q {
		if !slices.Contains(searchParams, name) {
			return f, fireline.Errorf(fireline.EINVALID, "%s: not a search parameter; use %s", name, strings.Join(searchParams, ", "))
		}
	}
	switch v := q.Get("open"); v {
	case "", "false":
	case "true":
		f.OpenOnly = true
	default:
		return f, fireline.Errorf(fireline.EINVALID, "open: %q is not true or false", v)
	}
	switch v := q.Get("status"); v {
	case "", "any":
	case "open":
		f.OpenOnly = true
	case "finished":
		f.FinishedOnly = true
	default:
		return f, fireline.Errorf(fireline.EINVALID, "status: %q is not open, finished or any", v)
	}
	var err error
	if f.From, err = timeBound("from", q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = timeBound("to", q.Get("to"), true); err != nil {
		return f, err
	}
	f.Type = fireline.IncidentType(q.Get("type"))
	if v := q.Get("level"); v != "" {
		if f.Level, err = strconv.Atoi(v); err != nil {
			return f, fireline.Errorf(fireline.EINVALID, "level: %q is not a whole number", v)
		}
	}
	near, radius := q.Get("near"), q.Get("radius_m")
	switch {
	case near != "" && radius == "":
		return f, fireline.Errorf(fireline.EINVALID, "radius_m: required with near (metres, at most %d)", fireline.MaxSearchRadius)
	case near == "" && radius != "":
		return f, fireline.Errorf(fireline.EINVALID, "near: required with radius_m (lat,lng in decimal degrees)")
	case near != "":
		lat, lng, ok := strings.Cut(near, ",")
		var errLat, errLng error
		f.Near.Lat, errLat = strconv.ParseFloat(strings.TrimSpace(lat), 64)
		f.Near.Lng, errLng = strconv.ParseFloat(strings.TrimSpace(lng), 64)
		if !ok || errLat != nil || errLng != nil {
			return f, fireline.Errorf(fireline.EINVALID, "near: %q is not lat,lng in decimal degrees", near)
		}
		f.RadiusMeters, err = strconv.ParseFloat(radius, 64)
		if err != nil || !(f.RadiusMeters > 0) || math.IsInf(f.RadiusMeters, 0) {
			return f, fireline.Errorf(fireline.EINVALID, "radius_m: %q is not a distance in metres above 0", radius)
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > fireline.MaxIncidentList {
			return f, fireline.Errorf(fireline.EINVALID, "limit: %q is not a whole number in 1..%d", v, fireline.MaxIncidentList)
		}
		f.Limit = n
	}
	return f, f.Validate()
}

// timeBound reads a search bound: an RFC 3339 time, or a calendar date taken as a UTC day
// (its start for from, the start of the next day for to, which is excluded). Pages that know
// the user's time zone send RFC 3339 times at the user's own midnight.
func timeBound(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	// An unencoded "+" in a query string arrives as a space; an RFC 3339 time has none.
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1)); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fireline.Errorf(fireline.EINVALID, "%s: %q is neither a calendar date (2026-12-01) nor an RFC 3339 time (2026-12-01T08:00:00+08:00)", name, v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.crewMayRead(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerIncident(w, r, http.StatusOK, id)
}

type dispatchRequest struct {
	UnitIDs []string `json:"unit_ids"`
}

// dispatch checks the units against PostgreSQL for a precise answer, then sends the order to
// the workflow, whose ReserveUnits transaction is what really decides.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req dispatchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	order := fireline.DispatchOrder{UnitIDs: req.UnitIDs, Actor: userFrom(r.Context()).Username}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	inc, err := s.store.Incident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, uid := range req.UnitIDs {
		u, err := s.store.Unit(r.Context(), uid)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if u.IncidentID != 0 && u.IncidentID != id {
			if slices.Contains(fireline.RecommendedUnits(inc.Recommendation), uid) {
				// The incident's own recommendation has gone stale: the workflow refuses the
				// order as well, and recommends afresh before it answers.
				continue
			}
			s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "unit %s is committed to incident %d", uid, u.IncidentID))
			return
		}
		if u.RetiredAt != nil {
			s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "unit %s is retired", uid))
			return
		}
		if u.Status == fireline.UnitOutOfService {
			s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "unit %s is out of service", uid))
			return
		}
	}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.Dispatch(ctx, id, order) }))
}

type closeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req closeRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	order := fireline.CloseOrder{Actor: userFrom(r.Context()).Username, Reason: req.Reason}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.Incident(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.Close(ctx, id, order) }))
}

// answerIncident answers the incident whole, as PostgreSQL holds it: after an order, what the
// order's activities wrote before the workflow answered.
func (s *Server) answerIncident(w http.ResponseWriter, r *http.Request, status int, id int64) {
	inc, err := s.store.Incident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, inc)
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	incidentList(s, w, r, "events", s.store.Timeline)
}

// incidentList answers GET /incidents/{id}/<something>: {name: fetch's list} for an incident
// that exists (404 otherwise), an empty list as [].
func incidentList[T any](s *Server, w http.ResponseWriter, r *http.Request, name string, fetch func(context.Context, int64) ([]T, error)) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.Incident(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := fetch(r.Context(), id)
	answerList(s, w, r, name, list, err)
}

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	inc, err := s.store.Incident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if inc.Review == nil {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "incident %d has no review yet (status %s); it is written when the incident closes", id, inc.Status))
		return
	}
	writeJSON(w, http.StatusOK, inc.Review)
}

// crewMayRead lets a role that reads every incident read this one, and one that reads only its
// own (a crew) read it only when its unit is on it; the route let no other role in.
func (s *Server) crewMayRead(r *http.Request, id int64) error {
	user := userFrom(r.Context())
	if fireline.Can(user.Role, fireline.ActionReadIncidents) {
		return nil
	}
	u, err := s.store.Unit(r.Context(), user.UnitID)
	if err != nil {
		return err
	}
	if u.IncidentID != id {
		return fireline.Errorf(fireline.EFORBIDDEN, "crew of %s may read only the incident the unit is on", user.UnitID)
	}
	return nil
}

func incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fireline.Errorf(fireline.EINVALID, "incident id %q is not a positive integer", chi.URLParam(r, "id"))
	}
	return id, nil
}
