package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// incidentView is an incident as the console sees it: the stored projection, its joint-agency
// tasks and escalations, plus what only the running workflow knows (alternates, replacements,
// the assessment, a PAR due).
type incidentView struct {
	fireline.Incident
	Alternates []fireline.Recommendation `json:"alternates"`
	Short      []fireline.PlanSlot       `json:"short"`
	// Replacements are units recommended in place of units that did not acknowledge.
	Replacements []fireline.Recommendation `json:"replacements"`
	AssessedAt   *time.Time                `json:"assessed_at,omitempty"`
	AssessedBy   string                    `json:"assessed_by,omitempty"`
	PARDueAt     *time.Time                `json:"par_due_at,omitempty"`
	AgencyTasks  []fireline.AgencyTask     `json:"agency_tasks"`
	Escalations  []fireline.Escalation     `json:"escalations"`
}

func (s *Server) view(ctx context.Context, id int64) (incidentView, error) {
	inc, err := s.store.Incident(ctx, id)
	if err != nil {
		return incidentView{}, err
	}
	v := incidentView{Incident: inc, Alternates: []fireline.Recommendation{}, Short: []fireline.PlanSlot{},
		Replacements: []fireline.Recommendation{}}
	if v.AgencyTasks, err = s.store.AgencyTasks(ctx, id); err != nil {
		return incidentView{}, err
	}
	if v.Escalations, err = s.store.Escalations(ctx, fireline.EscalationFilter{IncidentID: id}); err != nil {
		return incidentView{}, err
	}
	if inc.Recommendation == nil {
		v.Recommendation = []fireline.Recommendation{}
	}
	if inc.Assignments == nil {
		v.Assignments = []fireline.Assignment{}
	}
	return v, nil
}

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
	v, err := s.view(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
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
	if len(req.UnitIDs) == 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "unit_ids: name at least one unit"))
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
	if err := s.incidents.Dispatch(r.Context(), id, fireline.DispatchOrder{UnitIDs: req.UnitIDs, Actor: userFrom(r.Context()).Username}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerIncident(w, r, id)
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
	if len(req.Reason) > 1024 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "reason: longer than 1024 bytes"))
		return
	}
	if _, err := s.store.Incident(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.incidents.Close(r.Context(), id, fireline.CloseOrder{Actor: userFrom(r.Context()).Username, Reason: req.Reason}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerIncident(w, r, id)
}

func (s *Server) answerIncident(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.view(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
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

// crewMayRead lets a field user read only the incident its unit is on; every other role that
// reached the handler may read any incident.
func (s *Server) crewMayRead(r *http.Request, id int64) error {
	user := userFrom(r.Context())
	if user.Role != fireline.RoleField {
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
