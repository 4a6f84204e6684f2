package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// Incident types as data. Everyone who reads incidents reads the types, with their
// names in both languages, so that a page can name a type its catalogues do not know; the
// administrators add, change (PATCH: only the fields given) and retire them, audited like the
// rest of the reference data. A change reaches the next incidents of the type: running ones
// keep the definition they started with.

// incidentTypeAdminRoutes are mounted under /admin, behind ActionAdmin.
func (s *Server) incidentTypeAdminRoutes(r routeSet) {
	r.get("/incident-types", s.adminIncidentTypes)
	r.post("/incident-types", s.createIncidentType)
	r.get("/incident-types/{code}", s.adminIncidentType)
	r.patch("/incident-types/{code}", s.patchIncidentType)
	r.post("/incident-types/{code}/retire", s.retireIncidentType)
}

// typeStore is the incident types' store, or EUNAVAILABLE on a server built without one.
func (s *Server) typeStore() (fireline.IncidentTypeStore, error) {
	if s.types == nil {
		return nil, fireline.Errorf(fireline.EUNAVAILABLE, "incident types are not served here")
	}
	return s.types, nil
}

func incidentTypeRef(v fireline.TypeDefinition) (string, string) {
	return string(v.Code), adminPath("incident-types", string(v.Code))
}

// incidentTypes answers GET /incident-types: every type by code, the retired ones too (with
// retired_at), since the pages name the incidents of the past by them.
func (s *Server) incidentTypes(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := st.IncidentTypeDefs(r.Context(), fireline.RefFilter{IncludeRetired: true})
	answerList(s, w, r, "incident_types", v, err)
}

func (s *Server) adminIncidentTypes(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := st.IncidentTypeDefs(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "incident_types", v, err)
}

// typeCode reads the type the path names.
func typeCode(r *http.Request) (fireline.IncidentType, error) {
	t := fireline.IncidentType(chi.URLParam(r, "code"))
	return t, t.Check()
}

func (s *Server) adminIncidentType(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := typeCode(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := st.IncidentTypeDef(r.Context(), t)
	answerRecord(s, w, r, v, err)
}

// incidentTypeRequest is a type as an administrator enters it: the whole definition for a
// create; for a PATCH, only the fields given change.
type incidentTypeRequest struct {
	Code        fireline.IncidentType      `json:"code"`
	NameZH      *string                    `json:"name_zh"`
	NameEN      *string                    `json:"name_en"`
	Category    *fireline.IncidentCategory `json:"category"`
	Timers      *fireline.TypeTimers       `json:"timers"`
	AgencyTasks *[]fireline.TypeTask       `json:"agency_tasks"`
}

// onto applies the request's fields to d.
func (req incidentTypeRequest) onto(d fireline.TypeDefinition) fireline.TypeDefinition {
	if req.NameZH != nil {
		d.NameZH = *req.NameZH
	}
	if req.NameEN != nil {
		d.NameEN = *req.NameEN
	}
	if req.Category != nil {
		d.Category = *req.Category
	}
	if req.Timers != nil {
		d.Timers = *req.Timers
	}
	if req.AgencyTasks != nil {
		d.AgencyTasks = *req.AgencyTasks
	}
	if d.AgencyTasks == nil {
		d.AgencyTasks = []fireline.TypeTask{}
	}
	return d
}

func (req incidentTypeRequest) definition(r *http.Request) (fireline.TypeDefinition, error) {
	d := req.onto(fireline.TypeDefinition{Code: req.Code})
	return d, d.Validate()
}

func (s *Server) createIncidentType(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityIncidentType, incidentTypeRequest.definition, st.CreateIncidentType, incidentTypeRef)
}

// patchIncidentType renames a type (in either language or both), or changes its category,
// timers or agency tasks: the fields the body gives, over the type as stored.
func (s *Server) patchIncidentType(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	patch := func(req incidentTypeRequest, r *http.Request) (fireline.TypeDefinition, error) {
		t, err := typeCode(r)
		switch {
		case err != nil:
			return fireline.TypeDefinition{}, err
		case req.Code != "" && req.Code != t:
			return fireline.TypeDefinition{}, fireline.Errorf(fireline.EINVALID, "code: the body says %q but the path says %q; a type's code never changes", req.Code, t)
		}
		stored, err := st.IncidentTypeDef(r.Context(), t)
		if err != nil {
			return fireline.TypeDefinition{}, err
		}
		d := req.onto(stored)
		d.RetiredAt = nil
		return d, d.Validate()
	}
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityIncidentType, patch, st.UpdateIncidentType, incidentTypeRef)
}

func (s *Server) retireIncidentType(w http.ResponseWriter, r *http.Request) {
	st, err := s.typeStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	retire := func(r *http.Request, actor string) (fireline.TypeDefinition, error) {
		t, err := typeCode(r)
		if err != nil {
			return fireline.TypeDefinition{}, err
		}
		return st.RetireIncidentType(r.Context(), t, actor)
	}
	retireRecord(s, w, r, fireline.EntityIncidentType, retire, incidentTypeRef)
}
