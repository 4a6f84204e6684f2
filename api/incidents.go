package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	open := r.URL.Query().Get("open") == "true"
	incs, err := s.store.Incidents(r.Context(), fireline.IncidentFilter{OpenOnly: open, Limit: 200})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if incs == nil {
		incs = []fireline.Incident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": incs})
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
	if _, err := s.store.Incident(r.Context(), id); err != nil {
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
