package api

import (
	"net/http"

	"github.com/fireline/fireline"
)

// findings answers GET /incidents/{id}/findings: the review's findings in the order recorded.
func (s *Server) findings(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.store.Findings(r.Context(), id)
	answerList(s, w, r, "findings", list, err)
}

type findingRequest struct {
	Category fireline.FindingCategory `json:"category"`
	Text     string                   `json:"text"`
	// Corrects is an earlier finding of the incident that this one corrects.
	Corrects int64 `json:"corrects"`
}

// addFinding answers POST /incidents/{id}/findings: a finding recorded by the signed-in user,
// 201 with the finding as stored. There is no way to change or remove one: a correction is a
// new finding naming the one it corrects.
func (s *Server) addFinding(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req findingRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	user := userFrom(r.Context())
	f := fireline.Finding{IncidentID: id, Category: req.Category, Text: req.Text, Corrects: req.Corrects,
		Author: user.Username, AuthorRole: user.Role, At: s.now()}
	if err := f.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	stored, err := s.store.AddFinding(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, stored)
}
