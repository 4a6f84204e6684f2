package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// roomOf is the media room of an incident.
func roomOf(incidentID int64) string { return "incident:" + strconv.FormatInt(incidentID, 10) }

// whip lets the crew of a unit dispatched to the incident publish its camera (RFC 9725): an
// application/sdp offer in, 201 Created with the answer and the session's Location out. The
// stream id is the publishing unit's id.
func (s *Server) whip(w http.ResponseWriter, r *http.Request) {
	id, offer, ok := s.mediaRequest(w, r)
	if !ok {
		return
	}
	user := userFrom(r.Context())
	if user.Role != fireline.RoleField || user.UnitID == "" {
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "only the crew of a dispatched unit may publish video"))
		return
	}
	inc, err := s.store.Incident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !inc.Status.Open() {
		s.writeError(w, r, fireline.Errorf(fireline.ECONFLICT, "incident %d is %s: no new video", id, inc.Status))
		return
	}
	dispatched := false
	for _, a := range inc.Assignments {
		if a.UnitID == user.UnitID && a.ClearedAt == nil {
			dispatched = true
		}
	}
	if !dispatched {
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "unit %s is not dispatched to incident %d", user.UnitID, id))
		return
	}
	sess, err := s.media.Publish(r.Context(), roomOf(id), user.UnitID, offer)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("video published", "incident", id, "unit", user.UnitID, "session", sess.ID)
	s.answerSDP(w, r, "/api/v1/media/incidents/"+strconv.FormatInt(id, 10)+"/whip/"+sess.ID, sess.Answer)
}

// whep lets a console play one stream of the incident.
func (s *Server) whep(w http.ResponseWriter, r *http.Request) {
	id, offer, ok := s.mediaRequest(w, r)
	if !ok {
		return
	}
	sess, err := s.media.Play(r.Context(), roomOf(id), chi.URLParam(r, "stream"), offer)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerSDP(w, r, "/api/v1/media/incidents/"+strconv.FormatInt(id, 10)+"/whep/"+sess.ID, sess.Answer)
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.media == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node has no media server"))
		return
	}
	if err := s.media.End(roomOf(id), chi.URLParam(r, "session")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) streams(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.media == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node has no media server"))
		return
	}
	streams := s.media.Streams(roomOf(id))
	if streams == nil {
		streams = []StreamInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"streams": streams})
}

// mediaRequest checks what WHIP and WHEP share: an incident id, application/sdp, a bounded body.
func (s *Server) mediaRequest(w http.ResponseWriter, r *http.Request) (int64, string, bool) {
	id, err := incidentID(r)
	if err == nil && s.media == nil {
		err = fireline.Errorf(fireline.EUNAVAILABLE, "this node has no media server")
	}
	if err == nil {
		err = requireType(r, "application/sdp")
	}
	if err != nil {
		s.writeError(w, r, err)
		return 0, "", false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSDPBody))
	if err != nil {
		s.writeError(w, r, fireline.Errorf(fireline.ETOOLARGE, "SDP offer larger than %d bytes", maxSDPBody))
		return 0, "", false
	}
	if len(body) == 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "SDP offer is empty"))
		return 0, "", false
	}
	return id, string(body), true
}

func (s *Server) answerSDP(w http.ResponseWriter, r *http.Request, location, answer string) {
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}
