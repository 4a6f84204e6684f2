package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// The lifecycle's operator orders. Each checks its input here for a precise answer, then the
// incident's workflow decides against its own state (its Update validators) and answers with
// the incident as it is after.

type assessRequest struct {
	Type     fireline.IncidentType `json:"type"`
	Level    int                   `json:"level"`
	Priority fireline.Priority     `json:"priority"`
}

func (s *Server) assessIncident(w http.ResponseWriter, r *http.Request) {
	var req assessRequest
	id, ok := s.order(w, r, &req, true)
	if !ok {
		return
	}
	switch {
	case !req.Type.Valid():
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "type: %q is not a known incident type", req.Type))
		return
	case req.Level < fireline.MinLevel || req.Level > fireline.MaxLevel:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "level: %d is outside %d..%d", req.Level, fireline.MinLevel, fireline.MaxLevel))
		return
	case !req.Priority.Valid():
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "priority: %d is outside %d..%d (1 is most urgent)", req.Priority, fireline.PriorityImmediate, fireline.PriorityRoutine))
		return
	}
	err := s.incidents.Assess(r.Context(), id, fireline.AssessOrder{Type: req.Type, Level: req.Level, Priority: req.Priority, Actor: userFrom(r.Context()).Username})
	s.answerOrder(w, r, id, err)
}

func (s *Server) controlIncident(w http.ResponseWriter, r *http.Request) {
	id, ok := s.order(w, r, &struct{}{}, false)
	if !ok {
		return
	}
	err := s.incidents.Controlled(r.Context(), id, fireline.StageOrder{Actor: userFrom(r.Context()).Username})
	s.answerOrder(w, r, id, err)
}

func (s *Server) confirmPAR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.order(w, r, &struct{}{}, false)
	if !ok {
		return
	}
	err := s.incidents.ConfirmPAR(r.Context(), id, fireline.StageOrder{Actor: userFrom(r.Context()).Username})
	s.answerOrder(w, r, id, err)
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelIncident(w http.ResponseWriter, r *http.Request) {
	var req cancelRequest
	id, ok := s.order(w, r, &req, true)
	if !ok {
		return
	}
	switch reason := strings.TrimSpace(req.Reason); {
	case reason == "":
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "reason: say why the incident is cancelled"))
		return
	case len(reason) > 1024:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "reason: longer than 1024 bytes"))
		return
	}
	err := s.incidents.Cancel(r.Context(), id, fireline.CancelOrder{Actor: userFrom(r.Context()).Username, Reason: req.Reason})
	s.answerOrder(w, r, id, err)
}

type mergeRequest struct {
	Into int64 `json:"into"`
}

// mergeIncident merges the incident of the path into the one named in the body.
func (s *Server) mergeIncident(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	id, ok := s.order(w, r, &req, true)
	if !ok {
		return
	}
	switch {
	case req.Into <= 0:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "into: name the incident to merge into"))
		return
	case req.Into == id:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "into: an incident cannot be merged into itself"))
		return
	}
	into, err := s.store.Incident(r.Context(), req.Into)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !into.Status.Open() {
		s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "incident %d is %s: merge into an open incident", req.Into, into.Status))
		return
	}
	err = s.incidents.MergeInto(r.Context(), id, fireline.MergeOrder{Into: req.Into, Actor: userFrom(r.Context()).Username})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("incidents merged", "incident", id, "into", req.Into, "actor", userFrom(r.Context()).Username)
	s.answerIncident(w, r, req.Into)
}

type splitRequest struct {
	AlarmID int64 `json:"alarm_id"`
}

// splitAlarm moves an alarm of the incident into an incident of its own and answers that one.
func (s *Server) splitAlarm(w http.ResponseWriter, r *http.Request) {
	var req splitRequest
	id, ok := s.order(w, r, &req, true)
	if !ok {
		return
	}
	if req.AlarmID <= 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "alarm_id: name the alarm to split out"))
		return
	}
	newID, err := s.incidents.SplitAlarm(r.Context(), id, fireline.SplitOrder{AlarmID: req.AlarmID, Actor: userFrom(r.Context()).Username})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("alarm split", "incident", id, "alarm", req.AlarmID, "new_incident", newID)
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(newID, 10))
	v, err := s.view(r.Context(), newID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

type agencyTaskRequest struct {
	Status fireline.AgencyTaskStatus `json:"status"`
	Note   string                    `json:"note"`
}

func (s *Server) updateAgencyTask(w http.ResponseWriter, r *http.Request) {
	var req agencyTaskRequest
	id, ok := s.order(w, r, &req, true)
	if !ok {
		return
	}
	agency := fireline.Agency(chi.URLParam(r, "agency"))
	switch {
	case !agency.Valid():
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no agency %q", agency))
		return
	case !req.Status.Valid() || req.Status == fireline.TaskRequested:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "status: %q is not acknowledged, done or cancelled", req.Status))
		return
	case len(req.Note) > 1024:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "note: longer than 1024 bytes"))
		return
	}
	t, err := s.incidents.AgencyTask(r.Context(), id, fireline.AgencyTaskOrder{Agency: agency, Status: req.Status, Note: req.Note, Actor: userFrom(r.Context()).Username})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) agencyTasks(w http.ResponseWriter, r *http.Request) {
	incidentList(s, w, r, "agency_tasks", s.store.AgencyTasks)
}

// escalations is GET /escalations: the supervisors' queue, open ones by default
// (?all=true for taken ones too), newest first; ?incident= narrows it to one incident.
func (s *Server) escalations(w http.ResponseWriter, r *http.Request) {
	all, err := boolParam(r, "all")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var incident int64
	if v := r.URL.Query().Get("incident"); v != "" {
		if incident, err = strconv.ParseInt(v, 10, 64); err != nil || incident <= 0 {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "incident: %q is not a positive integer", v))
			return
		}
	}
	list, err := s.store.Escalations(r.Context(), fireline.EscalationFilter{OpenOnly: !all, IncidentID: incident})
	answerList(s, w, r, "escalations", list, err)
}

// ackEscalation is POST /escalations/{eid}/ack: a supervisor takes the escalation.
func (s *Server) ackEscalation(w http.ResponseWriter, r *http.Request) {
	eid, err := strconv.ParseInt(chi.URLParam(r, "eid"), 10, 64)
	if err != nil || eid <= 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "escalation id %q is not a positive integer", chi.URLParam(r, "eid")))
		return
	}
	e, err := s.store.AckEscalation(r.Context(), eid, userFrom(r.Context()).Username, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// order reads an order's incident id and, when body is true or a body was sent, its JSON into
// v; it checks the incident exists. It answers the error itself and reports whether to go on.
func (s *Server) order(w http.ResponseWriter, r *http.Request, v any, body bool) (int64, bool) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return 0, false
	}
	if body || r.ContentLength != 0 {
		if err := decodeJSON(w, r, v); err != nil {
			s.writeError(w, r, err)
			return 0, false
		}
	}
	if _, err := s.store.Incident(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return 0, false
	}
	return id, true
}

func (s *Server) answerOrder(w http.ResponseWriter, r *http.Request, id int64, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerIncident(w, r, id)
}
