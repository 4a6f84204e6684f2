package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// roomOf is the media room of an incident.
func roomOf(incidentID int64) string { return "incident:" + strconv.FormatInt(incidentID, 10) }

// mediaRoutes are WHIP (RFC 9725) and WHEP under /api/v1/media/incidents/{id}. They answer
// browsers on other origins too (CORS): a console served by an API node publishes and plays on
// whichever media node holds the room, with its bearer token, never cookies.
func (s *Server) mediaRoutes(v1 routeSet) {
	v1.r.Route("/media/incidents/{id}", func(r chi.Router) {
		r.Use(s.cors)
		m := v1.under(r, "/media/incidents/{id}")
		// OPTIONS needs no token: a browser's preflight cannot send one (the ICE servers are
		// only told to a request that does, see mediaOptions).
		m.options("/whip", s.mediaOptions("OPTIONS, POST"))
		m.options("/streams/{stream}/whep", s.mediaOptions("OPTIONS, POST"))
		m.options("/whip/{session}", s.mediaOptions("OPTIONS, PATCH, DELETE"))
		m.options("/whep/{session}", s.mediaOptions("OPTIONS, PATCH, DELETE"))
		m.get("/", s.mediaRoom)
		m.post("/whip", s.whip)
		m.patch("/whip/{session}", s.patchSession)
		m.delete("/whip/{session}", s.endSession)
		m.get("/streams", s.streams)
		m.post("/streams/{stream}/whep", s.whep)
		m.patch("/whep/{session}", s.patchSession)
		m.delete("/whep/{session}", s.endSession)
	})
}

// cors lets pages of any origin call the media routes. That is safe because what another
// site's page cannot send is what they authenticate by: a bearer token the page must hold, or
// the session cookie, which is SameSite=Strict (never on another site's requests), is not
// allowed by these CORS answers (no Allow-Credentials), and on a change must come with the
// CSRF token only our pages can read. A page signed in by cookie (through the directory)
// therefore plays and publishes video on its own origin's media node only.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", "Location, Link, ETag, Accept-Patch, Accept-Post")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "OPTIONS, POST, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// mediaOptions answers OPTIONS on a WHIP/WHEP endpoint or session. A request that carries a
// valid token also gets the ICE servers (RFC 9725 §4.6): TURN credentials are not for anyone
// who asks.
func (s *Server) mediaOptions(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		if strings.Contains(allow, "POST") {
			w.Header().Set("Accept-Post", "application/sdp")
		} else {
			w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
		}
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.media != nil {
			if _, err := s.store.SessionUser(r.Context(), token); err == nil {
				s.linkICEServers(w)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// linkICEServers advertises the configured STUN and TURN servers as Link headers (RFC 9725
// §4.6), TURN with its long-term credentials.
func (s *Server) linkICEServers(w http.ResponseWriter) {
	for _, ice := range s.media.ICEServers() {
		v := "<" + ice.URL + `>; rel="ice-server"`
		if ice.Username != "" {
			v += `; username="` + ice.Username + `"; credential="` + ice.Credential + `"; credential-type="password"`
		}
		w.Header().Add("Link", v)
	}
}

// whip lets the crew of a unit dispatched to the incident publish its camera (RFC 9725): an
// application/sdp offer in, 201 Created with the answer and the session's Location out. The
// stream id is the publishing unit's id. Another node's room is a 307 to that node.
func (s *Server) whip(w http.ResponseWriter, r *http.Request) {
	id, ok := s.mediaIncident(w, r)
	if !ok {
		return
	}
	user := userFrom(r.Context())
	if !fireline.Can(user.Role, fireline.ActionPublishVideo) || user.UnitID == "" {
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "only the crew of a dispatched unit may publish video; role %s may not", user.Role))
		return
	}
	if err := s.dispatchedTo(r.Context(), id, user.UnitID, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	offer, ok := s.sdpBody(w, r)
	if !ok {
		return
	}
	if !s.routeMedia(w, r, id, true) {
		return
	}
	sess, err := s.media.Publish(r.Context(), roomOf(id), user.UnitID, offer, fireline.MediaOption{Owner: user.Username})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("video published", "incident", id, "unit", user.UnitID, "session", sess.ID)
	s.answerSDP(w, r, "/api/v1/media/incidents/"+strconv.FormatInt(id, 10)+"/whip/"+sess.ID, sess)
}

// dispatchedTo checks that unit is on the incident and, for a publish, that it is open.
func (s *Server) dispatchedTo(ctx context.Context, id int64, unit string, publish bool) error {
	inc, err := s.store.Incident(ctx, id)
	if err != nil {
		return err
	}
	if publish && !inc.Status.Open() {
		return fireline.Errorf(fireline.ECONFLICT, "incident %d is %s: no new video", id, inc.Status)
	}
	for _, a := range inc.Assignments {
		if a.UnitID == unit && a.ClearedAt == nil {
			return nil
		}
	}
	return fireline.Errorf(fireline.EFORBIDDEN, "unit %s is not dispatched to incident %d", unit, id)
}

// whep lets a console play one stream of the incident; ?layer=low|mid|high picks a simulcast
// layer instead of the one the viewer's link can take.
func (s *Server) whep(w http.ResponseWriter, r *http.Request) {
	id, ok := s.mediaIncident(w, r)
	if !ok {
		return
	}
	layer := r.URL.Query().Get("layer")
	switch layer {
	case "", "low", "mid", "high":
	default:
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "layer %q: want low, mid or high", layer))
		return
	}
	offer, ok := s.sdpBody(w, r)
	if !ok {
		return
	}
	if !s.routeMedia(w, r, id, false) {
		return
	}
	user := userFrom(r.Context())
	sess, err := s.media.Play(r.Context(), roomOf(id), chi.URLParam(r, "stream"), offer, fireline.MediaOption{Owner: user.Username, Layer: layer})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerSDP(w, r, "/api/v1/media/incidents/"+strconv.FormatInt(id, 10)+"/whep/"+sess.ID, sess)
}

// ownSession finds the session of the request and checks the user may change it: whoever
// opened it, or a supervisor or administrator.
func (s *Server) ownSession(w http.ResponseWriter, r *http.Request) (room, session string, info fireline.MediaSessionInfo, ok bool) {
	id, ok := s.mediaIncident(w, r)
	if !ok {
		return "", "", fireline.MediaSessionInfo{}, false
	}
	if s.media == nil {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no media session %q here: this node has no media server", chi.URLParam(r, "session")))
		return "", "", fireline.MediaSessionInfo{}, false
	}
	room, session = roomOf(id), chi.URLParam(r, "session")
	info, err := s.media.Session(room, session)
	if err != nil {
		s.writeError(w, r, err)
		return "", "", fireline.MediaSessionInfo{}, false
	}
	user := userFrom(r.Context())
	if info.Owner != user.Username && !fireline.Can(user.Role, fireline.ActionManageVideo) {
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "media session %s is %s's; only they or a supervisor may change it", session, info.Owner))
		return "", "", fireline.MediaSessionInfo{}, false
	}
	return room, session, info, true
}

// patchSession takes trickled ICE candidates (RFC 9725 §4.3, RFC 8840): 204 on success. An
// ICE restart (If-Match: *) is 422, as this server does not support them; a stale entity tag
// is 412.
func (s *Server) patchSession(w http.ResponseWriter, r *http.Request) {
	room, session, info, ok := s.ownSession(w, r)
	if !ok {
		return
	}
	if err := requireType(r, "application/trickle-ice-sdpfrag"); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch im := strings.TrimSpace(r.Header.Get("If-Match")); {
	case im == "*":
		s.writeError(w, r, &fireline.Error{Code: errUnprocessable,
			Message: "ICE restarts are not supported: end this session (DELETE) and start a new one"})
		return
	case im != "" && !etagListHas(im, info.ETag):
		s.writeError(w, r, &fireline.Error{Code: errPreconditionFailed,
			Message: "If-Match " + im + " does not name this session's current entity tag " + info.ETag})
		return
	}
	body, err := sdpText(w, r, "application/trickle-ice-sdpfrag", maxSDPFragBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.media.Trickle(room, session, body); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// etagListHas reports whether an If-Match list names etag (weak tags never match: RFC 9110
// §13.1.1 uses the strong comparison).
func etagListHas(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == etag {
			return true
		}
	}
	return false
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	room, session, _, ok := s.ownSession(w, r)
	if !ok {
		return
	}
	if err := s.media.End(room, session); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// mediaRoomInfo tells a client where an incident's video is: the node holding its room and
// the WHIP and WHEP addresses there.
type mediaRoomInfo struct {
	IncidentID int64  `json:"incident_id"`
	Room       string `json:"room"`
	// Node holds the room; null before the first publish.
	Node *fireline.MediaNode `json:"node"`
	// WHIP is where to publish; WHEP where to play, with {stream} for the stream (unit) id.
	WHIP    string                `json:"whip"`
	WHEP    string                `json:"whep"`
	Streams []fireline.StreamInfo `json:"streams"`
}

// mediaRoom answers GET /media/incidents/{id}: which node holds the room. Consoles may ask, and
// the crews of the units on the incident.
func (s *Server) mediaRoom(w http.ResponseWriter, r *http.Request) {
	id, ok := s.mediaIncident(w, r)
	if !ok {
		return
	}
	user := userFrom(r.Context())
	if !fireline.Can(user.Role, fireline.ActionWatchVideo) {
		if !fireline.Can(user.Role, fireline.ActionPublishVideo) || user.UnitID == "" {
			s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not read media rooms", user.Role))
			return
		}
		if err := s.dispatchedTo(r.Context(), id, user.UnitID, false); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	info := mediaRoomInfo{IncidentID: id, Room: roomOf(id)}
	base := ""
	if s.nodes != nil {
		node, held, err := s.nodes.MediaRoomNode(r.Context(), id, fireline.MediaNodeTTL)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if held {
			info.Node, base = &node, node.URL
		}
	}
	path := "/api/v1/media/incidents/" + strconv.FormatInt(id, 10)
	info.WHIP, info.WHEP = base+path+"/whip", base+path+"/streams/{stream}/whep"
	streams, err := s.roomStreams(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	info.Streams = streams
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) streams(w http.ResponseWriter, r *http.Request) {
	id, ok := s.mediaIncident(w, r)
	if !ok {
		return
	}
	streams, err := s.roomStreams(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"streams": streams})
}

// roomStreams describes the room's live streams: from this node's media server when it holds
// the room, else as its holder last reported them (every few seconds).
func (s *Server) roomStreams(ctx context.Context, id int64) ([]fireline.StreamInfo, error) {
	if s.nodes != nil {
		node, held, err := s.nodes.MediaRoomNode(ctx, id, fireline.MediaNodeTTL)
		if err != nil {
			return nil, err
		}
		if held && (s.media == nil || node.ID != s.selfNode()) {
			raw, err := s.nodes.MediaRoomStreams(ctx, id)
			if err != nil {
				return nil, err
			}
			var streams []fireline.StreamInfo
			if len(raw) > 0 {
				if err := json.Unmarshal(raw, &streams); err != nil {
					return nil, fireline.Errorf(fireline.EINTERNAL, "media room %d: streams reported by %s: %v", id, node.ID, err)
				}
			}
			if streams == nil {
				streams = []fireline.StreamInfo{}
			}
			return streams, nil
		}
	}
	if s.media == nil {
		return nil, fireline.Errorf(fireline.EUNAVAILABLE, "this node has no media server")
	}
	streams := s.media.Streams(roomOf(id))
	if streams == nil {
		streams = []fireline.StreamInfo{}
	}
	return streams, nil
}

// routeMedia decides where a WHIP or WHEP POST is served. With a node registry, the room's
// holder serves it (a publish assigns the room to the least loaded live node if none holds
// it); any other node answers 307 Temporary Redirect to the holder, which RFC 9725 §4.5
// allows and WHIP clients follow with the same method and body. It reports whether to go on
// here.
func (s *Server) routeMedia(w http.ResponseWriter, r *http.Request, id int64, publish bool) bool {
	if s.nodes != nil {
		var (
			node fireline.MediaNode
			held = true
			err  error
		)
		if publish {
			node, err = s.nodes.AssignMediaRoom(r.Context(), id, fireline.MediaNodeTTL)
		} else {
			node, held, err = s.nodes.MediaRoomNode(r.Context(), id, fireline.MediaNodeTTL)
		}
		switch {
		case err != nil:
			s.writeError(w, r, err)
			return false
		case !held && s.media == nil:
			s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no live video for incident %d", id))
			return false
		case held && (s.media == nil || node.ID != s.selfNode()):
			w.Header().Set("Location", node.URL+r.URL.RequestURI())
			w.WriteHeader(http.StatusTemporaryRedirect)
			return false
		}
	}
	if s.media == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node has no media server"))
		return false
	}
	return true
}

// mediaIncident reads the incident id of a media route.
func (s *Server) mediaIncident(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return 0, false
	}
	return id, true
}

// sdpBody reads a WHIP or WHEP offer: application/sdp, bounded, not empty.
func (s *Server) sdpBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, err := sdpText(w, r, "application/sdp", maxSDPBody)
	if err == nil && len(strings.TrimSpace(body)) == 0 {
		err = fireline.Errorf(fireline.EINVALID, "SDP offer is empty")
	}
	if err != nil {
		s.writeError(w, r, err)
		return "", false
	}
	return body, true
}

// sdpText reads an SDP body of the media type, at most limit bytes: UTF-8 text (RFC 8866
// §5) without NUL or other control characters but line ends and tabs, which no SDP parser
// downstream should have to meet.
func sdpText(w http.ResponseWriter, r *http.Request, mediaType string, limit int64) (string, error) {
	body, err := readBody(w, r, mediaType, limit)
	if err != nil {
		return "", err
	}
	return checkSDP(body)
}

// checkSDP checks that body is SDP text.
func checkSDP(body []byte) (string, error) {
	if !utf8.Valid(body) {
		return "", fireline.Errorf(fireline.EINVALID, "SDP: not valid UTF-8")
	}
	if i := bytes.IndexFunc(body, func(c rune) bool { return c < 0x20 && c != '\r' && c != '\n' && c != '\t' || c == 0x7f }); i >= 0 {
		return "", fireline.Errorf(fireline.EINVALID, "SDP: control character 0x%02x at byte %d", body[i], i)
	}
	return string(body), nil
}

// answerSDP answers a WHIP or WHEP POST: 201 Created, the answer, the session's Location, its
// entity tag, the ICE servers and the PATCH format the session takes.
func (s *Server) answerSDP(w http.ResponseWriter, _ *http.Request, location string, sess fireline.MediaSession) {
	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", location)
	if sess.ETag != "" {
		h.Set("ETag", sess.ETag)
	}
	h.Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	s.linkICEServers(w)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, sess.AnswerSDP)
}

// metrics serves the Prometheus text exposition of this node's media server.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if s.auditLog != nil {
		fmt.Fprintf(w, "# HELP fireline_audit_write_failures_total Requests served whose audit log entry could not be written.\n"+
			"# TYPE fireline_audit_write_failures_total counter\nfireline_audit_write_failures_total %d\n", s.auditFailures.Load())
	}
	if s.media == nil {
		return // a node without media has no media metrics: an empty exposition
	}
	if err := s.media.WriteMetrics(w); err != nil {
		s.log.Warn("write metrics", "error", err)
	}
}

// MetricsHandler serves the metrics without authentication, for a listener of their own on
// an address only the monitoring network reaches (serve --metrics).
func (s *Server) MetricsHandler() http.Handler { return http.HandlerFunc(s.metrics) }
