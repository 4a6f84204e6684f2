package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// The lifecycle's operator orders. Each is checked by its own Validate, the rule the
// workflow's Update validator applies too, and against PostgreSQL where that gives a precise
// answer (the incident exists, the merge target is open); then the incident's workflow decides
// against its own state and the handler answers with the incident as PostgreSQL holds it after.

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
	order := fireline.AssessOrder{Type: req.Type, Level: req.Level, Priority: req.Priority, Actor: userFrom(r.Context()).Username}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.Assess(ctx, id, order) }))
}

func (s *Server) controlIncident(w http.ResponseWriter, r *http.Request) {
	id, ok := s.order(w, r, &struct{}{}, false)
	if !ok {
		return
	}
	order := fireline.StageOrder{Actor: userFrom(r.Context()).Username}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.Controlled(ctx, id, order) }))
}

func (s *Server) confirmPAR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.order(w, r, &struct{}{}, false)
	if !ok {
		return
	}
	order := fireline.StageOrder{Actor: userFrom(r.Context()).Username}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.ConfirmPAR(ctx, id, order) }))
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
	order := fireline.CancelOrder{Actor: userFrom(r.Context()).Username, Reason: req.Reason}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerOrder(w, r, id, s.send(r.Context(), func(ctx context.Context) error { return s.incidents.Cancel(ctx, id, order) }))
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
	order := fireline.MergeOrder{Into: req.Into, Actor: userFrom(r.Context()).Username}
	if err := order.Validate(id); err != nil {
		s.writeError(w, r, err)
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
	if err := s.send(r.Context(), func(ctx context.Context) error { return s.incidents.MergeInto(ctx, id, order) }); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("incidents merged", "incident", id, "into", req.Into, "actor", order.Actor)
	s.answerIncident(w, r, http.StatusOK, req.Into)
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
	order := fireline.SplitOrder{AlarmID: req.AlarmID, Actor: userFrom(r.Context()).Username}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var newID int64
	err := s.send(r.Context(), func(ctx context.Context) (err error) {
		newID, err = s.incidents.SplitAlarm(ctx, id, order)
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("alarm split", "incident", id, "alarm", req.AlarmID, "new_incident", newID)
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(newID, 10))
	s.answerIncident(w, r, http.StatusCreated, newID)
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
	order := fireline.AgencyTaskOrder{Agency: fireline.Agency(chi.URLParam(r, "agency")), Status: req.Status, Note: req.Note,
		Actor: userFrom(r.Context()).Username}
	if err := order.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var t fireline.AgencyTask
	err := s.send(r.Context(), func(ctx context.Context) (err error) {
		t, err = s.incidents.AgencyTask(ctx, id, order)
		return err
	})
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

// orderKey reads a request's Idempotency-Key header into its context: an order sent again
// with the same key is carried out once (fireline.WithOrderKey). A malformed key is refused.
func (s *Server) orderKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := r.Header["Idempotency-Key"]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) != 1 {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "Idempotency-Key: given %d times, want once", len(key)))
			return
		}
		if err := fireline.ValidOrderKey(key[0]); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(fireline.WithOrderKey(r.Context(), key[0])))
	})
}

// engineCheck bounds how long an order waits to learn that the workflow engine is down.
const engineCheck = 2 * time.Second

// send hands an order to the incident service once the service says it takes orders. With the
// workflow engine down an order is answered 503 within engineCheck, not when the order's own
// timeout runs out; reads go on answering from PostgreSQL meanwhile.
func (s *Server) send(ctx context.Context, order func(context.Context) error) error {
	check, cancel := context.WithTimeout(ctx, engineCheck)
	defer cancel()
	if err := s.incidents.Ready(check); err != nil {
		return fmt.Errorf("%w (%v)", errEngineDown, err)
	}
	return order(ctx)
}

// errEngineDown is what an order meets while the workflow engine does not answer.
var errEngineDown = fireline.Errorf(fireline.EUNAVAILABLE,
	"the workflow engine is not answering: orders must wait until it is back; incidents show their last recorded state")

func (s *Server) answerOrder(w http.ResponseWriter, r *http.Request, id int64, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerIncident(w, r, http.StatusOK, id)
}
