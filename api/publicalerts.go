package api

import (
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// publicAlertRoutes are the console's public alerts (CAP 1.2): operators and supervisors
// publish, update and cancel them (fireline.ActionPublishAlerts); whoever reads incidents
// lists an incident's. Without a publisher they answer 503.
func (s *Server) publicAlertRoutes(v1 routeSet) {
	v1.get("/incidents/{id}/alerts", s.incidentAlerts)
	v1.post("/incidents/{id}/alerts", s.publishAlert)
	v1.post("/alerts/{identifier}/update", s.updateAlert)
	v1.post("/alerts/{identifier}/cancel", s.cancelAlert)
}

// capRoutes are what the public and other agencies poll, without credentials: the Atom feed
// of the messages and each message's CAP document.
func (s *Server) capRoutes(root routeSet) {
	root.get("/cap/feed.atom", s.alertFeed)
	root.get("/cap/alerts/{name}", s.alertDocument)
}

// capIdentifier is what Fireline's CAP identifiers look like; anything else names no alert.
var capIdentifier = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func alertIdentifier(s string) (string, error) {
	if !capIdentifier.MatchString(s) {
		return "", fireline.Errorf(fireline.EINVALID, "identifier: %q is not a public alert's identifier", s)
	}
	return s, nil
}

func (s *Server) alertsUnavailable(w http.ResponseWriter, r *http.Request) bool {
	if s.alerts == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "public alerts are not published from this node"))
		return true
	}
	return false
}

// incidentAlerts lists an incident's public alert messages, newest first.
func (s *Server) incidentAlerts(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.alerts.IncidentAlerts(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
}

// publishAlert sends a new public alert about an incident: 201 with the message, its CAP
// document at Location.
func (s *Server) publishAlert(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var p fireline.PublicAlertParams
	if err := decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.alerts.PublishAlert(r.Context(), id, p, userFrom(r.Context()).Username)
	s.writeAlert(w, r, a, err)
}

// updateAlert sends an Update of the alert's thread; what the body leaves out stays.
func (s *Server) updateAlert(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	identifier, err := alertIdentifier(chi.URLParam(r, "identifier"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var p fireline.PublicAlertParams
	if err := decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.alerts.UpdateAlert(r.Context(), identifier, p, userFrom(r.Context()).Username)
	s.writeAlert(w, r, a, err)
}

// alertCancelRequest is why an alert is cancelled; an empty body says nothing.
type alertCancelRequest struct {
	Note string `json:"note"`
}

// cancelAlert sends the Cancel that ends the alert's thread.
func (s *Server) cancelAlert(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	identifier, err := alertIdentifier(chi.URLParam(r, "identifier"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req alertCancelRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	a, err := s.alerts.CancelAlert(r.Context(), identifier, req.Note, userFrom(r.Context()).Username)
	s.writeAlert(w, r, a, err)
}

func (s *Server) writeAlert(w http.ResponseWriter, r *http.Request, a fireline.PublicAlert, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/cap/alerts/"+a.Identifier+".xml")
	writeJSON(w, http.StatusCreated, a)
}

// alertFeed is the Atom feed of the latest messages, for anyone to poll.
func (s *Server) alertFeed(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	b, err := s.alerts.AlertFeed(r.Context(), s.requestScheme(r)+"://"+r.Host)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=30")
	_, _ = w.Write(b) // #nosec G705 -- Atom XML we wrote with encoding/xml (texts escaped), served as application/atom+xml with nosniff, never as HTML
}

// requestScheme is the scheme the client asked with: https on a TLS connection, or when a
// trusted proxy (Config.TrustedProxies) that terminated TLS says so in X-Forwarded-Proto. A
// client's own X-Forwarded-Proto is never believed.
func (s *Server) requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err == nil && s.trusted(peer.Unmap()) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return "https"
	}
	return "http"
}

// alertDocument is one message's CAP document, as sent; it never changes.
func (s *Server) alertDocument(w http.ResponseWriter, r *http.Request) {
	if s.alertsUnavailable(w, r) {
		return
	}
	name, ok := strings.CutSuffix(chi.URLParam(r, "name"), ".xml")
	if !ok {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no CAP document %s: the documents end in .xml", chi.URLParam(r, "name")))
		return
	}
	identifier, err := alertIdentifier(name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.alerts.AlertDocument(r.Context(), identifier)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	_, _ = w.Write(b) // #nosec G705 -- a CAP document we wrote with encoding/xml, served as application/cap+xml with nosniff, never as HTML
}
