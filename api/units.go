package api

import (
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/workflows"
)

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) {
	status := fireline.UnitStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "status: %q is not a unit status", status))
		return
	}
	units, err := s.store.Units(r.Context(), status)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if units == nil {
		units = []fireline.Unit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": units})
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.Unit(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

type unitStatusRequest struct {
	Status fireline.UnitStatus `json:"status"`
}

// unitStatus takes a crew's or operator's status change. On an incident it goes to the
// incident's workflow (which keeps the intervals); otherwise only available and out of service
// may be set, straight in PostgreSQL. Field users move only their own unit; risk officers
// read only.
func (s *Server) unitStatus(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r.Context())
	unitID := chi.URLParam(r, "id")
	switch {
	case user.Role == fireline.RoleField && user.UnitID != unitID:
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "crew of %s may not set the status of %s", user.UnitID, unitID))
		return
	case user.Role != fireline.RoleField && !user.Role.Dispatches():
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not change unit status", user.Role))
		return
	}
	var req unitStatusRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !req.Status.Valid() {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "status: %q is not a unit status", req.Status))
		return
	}
	u, err := s.store.Unit(r.Context(), unitID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	if u.IncidentID != 0 {
		if !slices.Contains(fireline.FieldStatuses, req.Status) {
			s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "unit %s is on incident %d: status must be one of %v", unitID, u.IncidentID, fireline.FieldStatuses))
			return
		}
		err := s.incidents.UnitStatus(r.Context(), u.IncidentID, workflows.UnitStatusSignal{UnitID: unitID, Status: req.Status, At: now, Actor: user.Username})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"unit_id": unitID, "status": req.Status, "incident_id": u.IncidentID})
		return
	}
	if req.Status != fireline.UnitAvailable && req.Status != fireline.UnitOutOfService {
		s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "unit %s is not on an incident: status may only be available or out_of_service", unitID))
		return
	}
	if _, err := s.store.SetUnitStatus(r.Context(), unitID, 0, req.Status, now); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"unit_id": unitID, "status": req.Status})
}

func (s *Server) stations(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Stations(r.Context())
	answerList(s, w, r, "stations", v, err)
}

func (s *Server) waterSources(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.WaterSources(r.Context())
	answerList(s, w, r, "water_sources", v, err)
}

func (s *Server) premises(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Premises(r.Context())
	answerList(s, w, r, "premises", v, err)
}

func answerList[T any](s *Server, w http.ResponseWriter, r *http.Request, name string, v []T, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v == nil {
		v = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{name: v})
}
