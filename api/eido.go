package api

import (
	"net/http"

	"github.com/fireline/fireline"
)

// incidentEIDO answers GET /incidents/{id}/eido: the incident as a NENA EIDO document, for a
// neighbouring centre or agency taking it over or helping with it. Whoever may read the
// incident may read its EIDO; a crew only that of the incident its unit is on, without the
// callers' numbers and words, as it reads no alarms.
func (s *Server) incidentEIDO(w http.ResponseWriter, r *http.Request) {
	if s.eido == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "EIDO export is not served on this node"))
		return
	}
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.crewMayRead(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	// A crew reads its incident but not its alarms: its EIDO leaves out what callers said.
	content := fireline.EIDOWhole
	if !fireline.Can(userFrom(r.Context()).Role, fireline.ActionReadIncidents) {
		content = fireline.EIDOWithoutCallers
	}
	doc, err := s.eido.IncidentEIDO(r.Context(), id, content)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}
