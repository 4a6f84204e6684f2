package api

import (
	_ "embed"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
)

// intakeAlarm serves the endpoint of alarms in one format: the body (JSON, at most
// intake.MaxJSONBytes) goes to the intake desk, which answers once the alarm is stored and
// handed to its incident.
func (s *Server) intakeAlarm(format fireline.AlarmFormat) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.intake == nil {
			s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "alarm intake is not served by this node"))
			return
		}
		body, err := readBody(w, r, "application/json", intake.MaxJSONBytes)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rc, err := s.intake.ReceiveAlarm(r.Context(), format, body)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, alarmResponse{AlarmID: rc.Alarm.ID, IncidentID: rc.IncidentID, Merged: rc.Merged,
			RecordedOnly: rc.RecordedOnly, RelatedIncidentID: rc.RelatedIncidentID, Repeat: rc.Repeat, Handoff: rc.Handoff,
			Recommendation: rc.Recommendation})
	}
}

// alarmResponse is the answer to every alarm source: the stored alarm's id, the incident it
// opened or joined (0 when it opens none), whether it merged, and whether it was only recorded
// (a panel's fault, supervisory event or reset). A reset names the open incident its device's
// fire alarm opened, whose workflow was told. Handoff "pending" says the alarm is stored but
// its incident's workflow has not heard of it yet (the engine did not answer): the system
// hands it on by itself, and the source need not retry. Recommendation, for an alarm that
// opened an incident, is the units recommended for it the moment it was stored.
type alarmResponse struct {
	AlarmID           int64  `json:"alarm_id"`
	IncidentID        int64  `json:"incident_id"`
	Merged            bool   `json:"merged"`
	RecordedOnly      bool   `json:"recorded_only"`
	RelatedIncidentID int64  `json:"related_incident_id,omitempty"`
	Repeat            bool   `json:"repeat,omitempty"`
	Handoff           string `json:"handoff,omitempty"`

	Recommendation []fireline.Recommendation `json:"recommendation,omitempty"`
}

// readBody reads a request body of the given media type (415 otherwise) and at most limit bytes
// (413 beyond). A charset other than UTF-8 is refused as a media type the API does not take.
func readBody(w http.ResponseWriter, r *http.Request, mediaType string, limit int64) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != mediaType {
		return nil, &fireline.Error{Code: errUnsupportedMedia, Message: "Content-Type must be " + mediaType}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, &fireline.Error{Code: errUnsupportedMedia, Message: "Content-Type charset must be utf-8, not " + cs}
	}
	if r.ContentLength > limit {
		return nil, fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", maxErr.Limit)
	case err != nil:
		return nil, fireline.Errorf(fireline.EINVALID, "body: could not be read: %v", err)
	}
	return body, nil
}

// confirmAlarm is POST /alarms/{id}/confirm: an operator confirms an unverified public report.
// Confirming it again answers the first confirmation.
func (s *Server) confirmAlarm(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "alarm id %q is not a positive integer", chi.URLParam(r, "id")))
		return
	}
	a, err := s.store.ConfirmAlarm(r.Context(), id, userFrom(r.Context()).Username, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("public report confirmed", "alarm", a.ID, "incident", a.IncidentID, "actor", a.ConfirmedBy)
	writeJSON(w, http.StatusOK, a)
}

// incidentAlarms is GET /incidents/{id}/alarms: what every source reported of the incident.
func (s *Server) incidentAlarms(w http.ResponseWriter, r *http.Request) {
	incidentList(s, w, r, "alarms", s.store.IncidentAlarms)
}

// warningResponse is the answer to a CAP feed: the stored warning, how many service-area cells
// it covers, whether it covers any, and when it runs out.
type warningResponse struct {
	WarningID     int64              `json:"warning_id"`
	Cells         int                `json:"cells"`
	InServiceArea bool               `json:"in_service_area"`
	Expires       time.Time          `json:"expires"`
	Readiness     fireline.Readiness `json:"readiness"`
	Repeat        bool               `json:"repeat,omitempty"`
	Superseded    []int64            `json:"superseded,omitempty"`
}

// receiveWarning is POST /warnings: a CAP 1.2 alert (application/cap+xml, at most
// intake.MaxCAPBytes) goes to the intake desk, which maps it onto the service area and stores
// it. It opens no incident.
func (s *Server) receiveWarning(w http.ResponseWriter, r *http.Request) {
	if s.intake == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "warning intake is not served by this node"))
		return
	}
	body, err := readBody(w, r, "application/cap+xml", intake.MaxCAPBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := s.intake.ReceiveWarning(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st := rc.Warning
	writeJSON(w, http.StatusAccepted, warningResponse{WarningID: st.ID, Cells: len(st.Cells), InServiceArea: st.InServiceArea,
		Expires: st.Expires, Readiness: st.Readiness, Repeat: rc.Repeat, Superseded: rc.Superseded})
}

// maxWarningsListed bounds GET /warnings.
const maxWarningsListed = 200

// warnings is GET /warnings: the newest warnings, or with active=true those in force now.
func (s *Server) warnings(w http.ResponseWriter, r *http.Request) {
	active, err := boolParam(r, "active")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var at time.Time
	if active {
		at = s.now()
	}
	ws, err := s.store.Warnings(r.Context(), fireline.WarningFilter{ActiveAt: at, Limit: maxWarningsListed})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ws == nil {
		ws = []fireline.Warning{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"warnings": ws})
}

// readinessCell is one cell whose readiness warnings raise, with its outline when asked for.
type readinessCell struct {
	fireline.WarningCell
	Boundary []fireline.Point `json:"boundary,omitempty"`
}

// readiness is GET /readiness: the cells whose readiness the warnings in force raise, for the
// console's map and for risk scoring; shapes=true adds each cell's outline.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	shapes, err := boolParam(r, "shapes")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cells, err := s.store.Readiness(r.Context(), s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]readinessCell, len(cells))
	for i, c := range cells {
		out[i].WarningCell = c
		if !shapes {
			continue
		}
		cell, err := geo.ParseCell(c.Cell)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if out[i].Boundary, err = cell.Boundary(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cells": out})
}

// openAPIDoc describes the intake endpoints: OpenAPI 3.1, written by hand (api/openapi.json).
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI is GET /openapi.json, served without sign-in so gateway vendors can read it.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}
