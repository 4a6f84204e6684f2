package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/fireline/fireline"
)

// rosterRoutes are the duty roster's (值班): whoever reads incidents reads who is on duty where
// and what their unit is doing; supervisors and administrators put people on duty and end
// their shifts (fireline.ActionManageRoster). Without a roster store they answer 503.
func (s *Server) rosterRoutes(r routeSet) {
	r.get("/roster", s.rosterList)
	r.post("/roster", s.addRosterEntry)
	r.delete("/roster/{rid}", s.endRosterEntry)
}

// rosterList answers who is on duty at ?at= (RFC 3339; default now), on ?unit= or every unit,
// each with their unit's status and incident.
func (s *Server) rosterList(w http.ResponseWriter, r *http.Request) {
	if s.roster == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "the duty roster is not kept on this node"))
		return
	}
	f := fireline.RosterFilter{UnitID: r.URL.Query().Get("unit")}
	if v := r.URL.Query().Get("at"); v != "" {
		// An unencoded "+" in a query string arrives as a space; an RFC 3339 time has none.
		t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "at: %q is not an RFC 3339 time", v))
			return
		}
		f.At = t
	}
	if f.UnitID != "" {
		if err := fireline.ValidateID("unit", f.UnitID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	entries, err := s.roster.Roster(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if entries == nil {
		entries = []fireline.RosterEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"roster": entries})
}

// rosterRequest is a person put on duty on a unit for a shift.
type rosterRequest struct {
	UnitID         string                   `json:"unit_id"`
	Name           string                   `json:"name"`
	Username       string                   `json:"username"`
	Qualifications []fireline.Qualification `json:"qualifications"`
	From           time.Time                `json:"from"`
	To             time.Time                `json:"to"`
}

// addRosterEntry puts a person on duty: 201 with the entry as stored.
func (s *Server) addRosterEntry(w http.ResponseWriter, r *http.Request) {
	if s.roster == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "the duty roster is not kept on this node"))
		return
	}
	var req rosterRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := fireline.RosterEntry{UnitID: req.UnitID, Name: req.Name, Username: req.Username, Qualifications: req.Qualifications,
		From: req.From, To: req.To}
	if err := e.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	actor := userFrom(r.Context()).Username
	out, err := s.roster.AddRosterEntry(r.Context(), e, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("roster change", "actor", actor, "action", "add", "entry", out.ID, "unit", out.UnitID,
		"request_id", middleware.GetReqID(r.Context()))
	w.Header().Set("Location", "/api/v1/roster/"+strconv.FormatInt(out.ID, 10))
	writeJSON(w, http.StatusCreated, out)
}

// endRosterEntry ends a shift now, as at a shift change (a shift not yet begun is taken off
// the roster): 200 with the entry as it now stands.
func (s *Server) endRosterEntry(w http.ResponseWriter, r *http.Request) {
	if s.roster == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "the duty roster is not kept on this node"))
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "rid"), 10, 64)
	if err != nil || id < 1 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "id: %q is not a roster entry number", chi.URLParam(r, "rid")))
		return
	}
	actor := userFrom(r.Context()).Username
	out, err := s.roster.EndRosterEntry(r.Context(), id, time.Time{}, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("roster change", "actor", actor, "action", "end", "entry", out.ID, "unit", out.UnitID,
		"request_id", middleware.GetReqID(r.Context()))
	writeJSON(w, http.StatusOK, out)
}
