package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) {
	status := fireline.UnitStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "status: %q is not a unit status", status))
		return
	}
	f := fireline.UnitFilter{Status: status}
	if v := r.URL.Query().Get("updated_since"); v != "" {
		// An unencoded "+" in a query string arrives as a space; an RFC 3339 time has none.
		t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "updated_since: %q is not an RFC 3339 time", v))
			return
		}
		f.UpdatedSince = t
	}
	units, err := s.store.Units(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if units == nil {
		units = []fireline.Unit{}
	}
	now := s.now()
	for i := range units {
		units[i] = s.placed(units[i], now)
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": units})
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.Unit(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.placed(u, s.now()))
}

// placed shows a unit where the recommender takes it to be: at its home station once its AVL
// fix is stale, with position_source saying so and position_at still showing the fix's age.
func (s *Server) placed(u fireline.Unit, now time.Time) fireline.Unit {
	p, _ := u.Placed(now, s.cfg.StaleAfter)
	if p.Cell == "" {
		// The station's cell; a map without it still has the point, so a failure only logs.
		c, err := s.locator.Cell(p.Point)
		if err != nil {
			s.log.Warn("unit home cell", "unit", u.ID, "error", err)
		}
		p.Cell = c
	}
	return p
}

type unitStatusRequest struct {
	Status fireline.UnitStatus `json:"status"`
}

// unitStatus takes a crew's or dispatcher's status change, checked against the unit state
// machine (fireline.UnitStatus.CanMoveTo): a refused move is a 409 naming from, to and the moves
// allowed. On an incident the change goes to the incident's workflow (which keeps the
// intervals and checks the move again in the order reports arrive); otherwise only available
// and out of service exist, set straight in PostgreSQL. Field users move only their own unit;
// risk officers read only. A repeat of the current status is accepted and changes nothing.
func (s *Server) unitStatus(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r.Context())
	unitID := chi.URLParam(r, "id")
	byDispatcher := fireline.Can(user.Role, fireline.ActionMoveUnit)
	switch {
	case byDispatcher:
	case !fireline.Can(user.Role, fireline.ActionMoveOwnUnit):
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not change unit status", user.Role))
		return
	case user.UnitID != unitID:
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "crew of %s may not set the status of %s", user.UnitID, unitID))
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
	if err := u.Status.CanMoveTo(req.Status, byDispatcher); err != nil {
		if fireline.ErrorCode(err) == fireline.ECONFLICT {
			err = fireline.Errorf(fireline.ECONFLICT, "unit %s: %s", unitID, fireline.ErrorMessage(err))
		}
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	switch {
	case u.IncidentID != 0 && req.Status != u.Status:
		report := fireline.UnitStatusReport{UnitID: unitID, Status: req.Status, At: now, Actor: user.Username, ByDispatcher: byDispatcher}
		err := s.send(r.Context(), func(ctx context.Context) error { return s.incidents.UnitStatus(ctx, u.IncidentID, report) })
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	case u.IncidentID == 0:
		if _, err := s.store.SetUnitStatusBy(r.Context(), unitID, 0, req.Status, now, user.Username); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	answer := map[string]any{"unit_id": unitID, "status": req.Status}
	if u.IncidentID != 0 {
		answer["incident_id"] = u.IncidentID
	}
	writeJSON(w, http.StatusAccepted, answer)
}

func (s *Server) stations(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Stations(r.Context(), fireline.RefFilter{})
	answerList(s, w, r, "stations", v, err)
}

func (s *Server) waterSources(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.WaterSources(r.Context(), fireline.RefFilter{})
	answerList(s, w, r, "water_sources", v, err)
}

func (s *Server) premises(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Premises(r.Context(), fireline.RefFilter{})
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
