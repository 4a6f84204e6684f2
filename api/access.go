package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// Who may call each route: one row per method and path (as chi.Walk names it), for every route
// the server registers — the API, WHIP/WHEP, recordings, metrics, health, the base map and the
// pages. The router takes each route's guard from its row (routeSet), so the table cannot say
// one thing while a route does another; a route registered without a row refuses every
// request, and TestAccessTableCoversTheRouter names it. Who may take each action is the
// policy's (fireline.Can); this table says which actions a route needs.
//
// The handlers keep their narrower checks: a crew reads only the incident its unit is on, and
// moves, reports and reads the history of only its own unit; a media session is changed only by
// whoever opened it or a supervisor. A row that names a pair (ActionMoveUnit, ActionMoveOwnUnit)
// lets both roles through to that check.
//
// To add a route, add its row here and register it through a routeSet.
var accessTable = []accessRow{
	// Health and metrics.
	{"GET", "/healthz", public("load balancers and orchestrators probe it without credentials; it says only ok")},
	{"GET", "/readyz", public("load balancers probe it without credentials; it names only the dependencies' state")},
	// /metrics names incidents (room labels). A Prometheus server, which cannot sign in,
	// scrapes the unauthenticated listener that serve --metrics opens on a monitoring network.
	{"GET", "/metrics", can(fireline.ActionReadIncidents)},

	// Signing in, and what a gateway vendor reads before it has credentials.
	{"POST", "/api/v1/auth/login", public("it is how a user gets credentials")},
	{"GET", "/api/v1/openapi.json", public("gateway vendors read the intake API's description before they have a key")},
	{"GET", "/api/v1/auth/options", public("the sign-in forms ask which ways in there are before anyone is signed in")},
	{"GET", "/api/v1/auth/oidc/login", public("it sends the browser to the directory to sign in")},
	{"GET", "/api/v1/auth/oidc/callback", public("the directory sends the browser back here; the signed pending cookie, the state and the ID token are the credentials")},
	// People end their own sessions and change their own passwords. Gateways read nothing
	// and change nothing but alarms: a key is revoked by an administrator, and a gateway
	// login's password is reset by one.
	{"POST", "/api/v1/auth/logout", can(fireline.ActionReadUnits)},
	{"POST", "/api/v1/auth/logout-all", can(fireline.ActionReadUnits)},
	{"POST", "/api/v1/auth/password", can(fireline.ActionReadUnits)},
	{"GET", "/api/v1/auth/me", signedIn("every signed-in user, a gateway too, may ask who it is signed in as")},

	// Alarm intake. Gateways (with a per-source API key, or the demo gateway login) post their
	// sources' formats; dispatchers post the same by hand. The intake desk checks a key's
	// source and source-id prefix (fireline.AlarmGrant).
	{"POST", "/api/v1/alarms", can(fireline.ActionPostAlarm)},
	{"POST", "/api/v1/alarms/call", can(fireline.ActionPostAlarm)},
	{"POST", "/api/v1/alarms/iot", can(fireline.ActionPostDeviceAlarm)},
	{"POST", "/api/v1/alarms/lamppost", can(fireline.ActionPostDeviceAlarm)},
	{"POST", "/api/v1/alarms/public", can(fireline.ActionPostDeviceAlarm)},
	{"POST", "/api/v1/alarms/{id}/confirm", can(fireline.ActionPostAlarm)},
	{"POST", "/api/v1/warnings", can(fireline.ActionPostDeviceAlarm)},

	// The command centre's picture.
	{"GET", "/api/v1/warnings", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/readiness", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents/{id}", can(fireline.ActionReadIncidents, fireline.ActionReadOwnIncident)},
	{"GET", "/api/v1/incidents/{id}/alarms", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents/{id}/timeline", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents/{id}/review", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents/{id}/findings", can(fireline.ActionReadIncidents)},
	{"POST", "/api/v1/incidents/{id}/findings", can(fireline.ActionWriteFindings)},
	{"GET", "/api/v1/incidents/{id}/agency-tasks", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/incidents/{id}/nearby", can(fireline.ActionReadIncidents, fireline.ActionReadOwnIncident)},
	{"GET", "/api/v1/escalations", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/premises", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/nearby", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/coverage", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/move-ups", can(fireline.ActionReadIncidents)},
	{"GET", "/api/v1/travel-model", can(fireline.ActionReadIncidents)},

	// Incident types: every page names types its catalogues lack, crews' pages too.
	{"GET", "/api/v1/incident-types", can(fireline.ActionReadIncidents, fireline.ActionReadOwnIncident)},

	// The duty roster: who is on which unit this shift. Supervisors change it on the floor.
	{"GET", "/api/v1/roster", can(fireline.ActionReadIncidents)},
	{"POST", "/api/v1/roster", can(fireline.ActionManageRoster)},
	{"DELETE", "/api/v1/roster/{rid}", can(fireline.ActionManageRoster)},

	// The fire-risk grid: whoever reads the command centre's picture (operators, supervisors,
	// risk officers, administrators).
	{"GET", "/api/v1/risk/cells", can(fireline.ActionReadIncidents)},
	// An incident as a NENA EIDO document: what reads the incident reads its EIDO, a crew only
	// that of the incident its unit is on (incidentEIDO).
	{"GET", "/api/v1/incidents/{id}/eido", can(fireline.ActionReadIncidents, fireline.ActionReadOwnIncident)},
	// Other dispatch systems' exports, loaded as imported incidents: administrators only.
	{"POST", "/api/v1/admin/imports", can(fireline.ActionImportRecords)},

	// The audit log: administrators and risk officers read and export it.
	{"GET", "/api/v1/audit", can(fireline.ActionReadAudit)},
	{"GET", "/api/v1/audit/export", can(fireline.ActionReadAudit)},

	// Response-time analytics: risk officers, supervisors and administrators.
	{"GET", "/api/v1/analytics/intervals", can(fireline.ActionReadAnalytics)},
	// The buildings' fire-safety boards: whoever reads them (operators, supervisors, risk
	// officers, administrators).
	{"GET", "/api/v1/buildings", can(fireline.ActionReadBuildings)},
	{"GET", "/api/v1/buildings/{premise_id}", can(fireline.ActionReadBuildings)},
	// Public alerts (CAP 1.2): operators and supervisors warn the public about an incident;
	// the feed and the documents are for anyone, as a public warning is.
	{"GET", "/api/v1/incidents/{id}/alerts", can(fireline.ActionReadIncidents)},
	{"POST", "/api/v1/incidents/{id}/alerts", can(fireline.ActionPublishAlerts)},
	{"POST", "/api/v1/alerts/{identifier}/update", can(fireline.ActionPublishAlerts)},
	{"POST", "/api/v1/alerts/{identifier}/cancel", can(fireline.ActionPublishAlerts)},
	{"GET", "/cap/feed.atom", public("public alerts are published for anyone to poll: the feed holds only what was sent to the public")},
	{"GET", "/cap/alerts/{name}", public("a public alert's CAP document, as sent to the public")},

	// Orders.
	{"POST", "/api/v1/incidents/{id}/dispatch", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/close", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/assess", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/controlled", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/cancel", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/merge", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/split", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/par", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/incidents/{id}/agency-tasks/{agency}", can(fireline.ActionDispatch)},
	{"POST", "/api/v1/escalations/{eid}/ack", can(fireline.ActionAckEscalation)},
	{"POST", "/api/v1/move-ups", can(fireline.ActionMoveUnit)},
	{"POST", "/api/v1/move-ups/ignore", can(fireline.ActionMoveUnit)},

	// Units, stations and water: what every person sees.
	{"GET", "/api/v1/units", can(fireline.ActionReadUnits)},
	{"GET", "/api/v1/units/{id}", can(fireline.ActionReadUnits)},
	{"POST", "/api/v1/units/{id}/status", can(fireline.ActionMoveUnit, fireline.ActionMoveOwnUnit)},
	// Vehicle trackers sign in as dispatchers for now (unitPosition).
	{"POST", "/api/v1/units/{id}/position", can(fireline.ActionMoveUnit, fireline.ActionMoveOwnUnit)},
	{"GET", "/api/v1/units/{id}/history", can(fireline.ActionReadUnitHistory, fireline.ActionReadOwnUnitHistory)},
	{"GET", "/api/v1/stations", can(fireline.ActionReadUnits)},
	{"GET", "/api/v1/water-sources", can(fireline.ActionReadUnits)},
	{"GET", "/api/v1/events", can(fireline.ActionReadUnits)},

	// Recordings. A <video> cannot send a bearer token, so the file route also takes the signed
	// ticket the list hands out (recordingTicket), which opens that one file until it expires.
	{"GET", "/api/v1/incidents/{id}/recordings", can(fireline.ActionReadRecordings)},
	{"GET", "/api/v1/incidents/{id}/recordings/{name}", ticketOr(fireline.ActionReadRecordings)},
	{"HEAD", "/api/v1/incidents/{id}/recordings/{name}", ticketOr(fireline.ActionReadRecordings)},

	// Live video: WHIP (publish) and WHEP (watch). A browser's CORS preflight cannot send a
	// token; the ICE servers are told only to a request that does (mediaOptions).
	{"OPTIONS", "/api/v1/media/incidents/{id}/whip", public("a browser's CORS preflight cannot carry a token")},
	{"OPTIONS", "/api/v1/media/incidents/{id}/streams/{stream}/whep", public("a browser's CORS preflight cannot carry a token")},
	{"OPTIONS", "/api/v1/media/incidents/{id}/whip/{session}", public("a browser's CORS preflight cannot carry a token")},
	{"OPTIONS", "/api/v1/media/incidents/{id}/whep/{session}", public("a browser's CORS preflight cannot carry a token")},
	// Consoles ask where any room is; a crew only that of an incident its unit is on.
	{"GET", "/api/v1/media/incidents/{id}/", can(fireline.ActionWatchVideo, fireline.ActionPublishVideo)},
	{"POST", "/api/v1/media/incidents/{id}/whip", can(fireline.ActionPublishVideo)},
	// Whoever opened a session changes it, or a supervisor (ownSession).
	{"PATCH", "/api/v1/media/incidents/{id}/whip/{session}", can(fireline.ActionPublishVideo, fireline.ActionManageVideo)},
	{"DELETE", "/api/v1/media/incidents/{id}/whip/{session}", can(fireline.ActionPublishVideo, fireline.ActionManageVideo)},
	{"GET", "/api/v1/media/incidents/{id}/streams", can(fireline.ActionWatchVideo)},
	{"POST", "/api/v1/media/incidents/{id}/streams/{stream}/whep", can(fireline.ActionWatchVideo)},
	{"PATCH", "/api/v1/media/incidents/{id}/whep/{session}", can(fireline.ActionWatchVideo)},
	{"DELETE", "/api/v1/media/incidents/{id}/whep/{session}", can(fireline.ActionWatchVideo)},

	// Administration of the reference data.
	{"GET", "/api/v1/admin/stations", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/stations", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/stations/{id}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/stations/{id}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/stations/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/units", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/units", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/units/{id}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/units/{id}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/units/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/water-sources", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/water-sources", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/water-sources/{id}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/water-sources/{id}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/water-sources/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/premises", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/premises", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/premises/{id}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/premises/{id}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/premises/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/response-plans", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/response-plans", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/response-plans/{type}/{level}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/response-plans/{type}/{level}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/response-plans/{type}/{level}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/audit", can(fireline.ActionAdmin)},
	// The alarm sources' API keys (apikeys.go).
	{"GET", "/api/v1/admin/api-keys", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/api-keys", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/api-keys/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/users", can(fireline.ActionManageUsers)},
	{"POST", "/api/v1/admin/users", can(fireline.ActionManageUsers)},
	{"GET", "/api/v1/admin/users/{name}", can(fireline.ActionManageUsers)},
	{"PATCH", "/api/v1/admin/users/{name}", can(fireline.ActionManageUsers)},
	{"POST", "/api/v1/admin/users/{name}/password", can(fireline.ActionManageUsers)},
	{"GET", "/api/v1/admin/users/{name}/sessions", can(fireline.ActionManageUsers)},
	{"DELETE", "/api/v1/admin/users/{name}/sessions", can(fireline.ActionManageUsers)},
	{"GET", "/api/v1/admin/incident-types", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/incident-types", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/incident-types/{code}", can(fireline.ActionAdmin)},
	{"PATCH", "/api/v1/admin/incident-types/{code}", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/incident-types/{code}/retire", can(fireline.ActionAdmin)},
	// The buildings' transmission devices (GB/T 26875.3) and the addresses heard unregistered.
	{"GET", "/api/v1/admin/devices", can(fireline.ActionAdmin)},
	{"POST", "/api/v1/admin/devices", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/devices/{id}", can(fireline.ActionAdmin)},
	{"PUT", "/api/v1/admin/devices/{id}", can(fireline.ActionAdmin)},
	{"DELETE", "/api/v1/admin/devices/{id}", can(fireline.ActionAdmin)},
	{"GET", "/api/v1/admin/unregistered-devices", can(fireline.ActionAdmin)},

	// The offline base map and the pages. They hold no data of any incident, and the sign-in
	// form is itself a page, so they must load before anyone has signed in.
	{"GET", basemapInfoPath, public("the base map is the city's streets, drawn before sign-in")},
	{"GET", basemapTilesPath, public("the base map is the city's streets, drawn before sign-in")},
	{"HEAD", basemapTilesPath, public("the base map is the city's streets, drawn before sign-in")},
	{"GET", "/field", public("a page: the sign-in form and code, no data")},
	{"GET", "/review", public("a page: the sign-in form and code, no data")},
	// The console (/, index.html) and every bundled asset.
	{"GET", "/*", public("the pages' code, styles and the console (/): no data")},
}

// accessRow is one route of the table.
type accessRow struct {
	Method, Path string
	Who          rule
}

// ruleKind is how a route lets callers in.
type ruleKind int

const (
	// kindActions: a signed-in user whose role may take any of the rule's actions.
	kindActions ruleKind = iota
	// kindPublic: anyone, without credentials; the rule says why.
	kindPublic
	// kindSignedIn: any signed-in user, whatever the role; the rule says why.
	kindSignedIn
	// kindTicket: a signed ticket in the URL for that one resource, or a signed-in user whose
	// role may take any of the actions.
	kindTicket
)

// rule is who may call a route.
type rule struct {
	kind    ruleKind
	actions []fireline.Action
	why     string
}

// can lets in the roles that may take any of the actions.
func can(actions ...fireline.Action) rule { return rule{kind: kindActions, actions: actions} }

// public lets anyone in; why says what makes that safe.
func public(why string) rule { return rule{kind: kindPublic, why: why} }

// signedIn lets in anyone signed in; why says what makes that safe.
func signedIn(why string) rule { return rule{kind: kindSignedIn, why: why} }

// ticketOr lets in a valid ticket for the resource, or the roles that may take the actions.
func ticketOr(actions ...fireline.Action) rule { return rule{kind: kindTicket, actions: actions} }

// String is the rule as the tests and the logs show it.
func (r rule) String() string {
	names := make([]string, len(r.actions))
	for i, a := range r.actions {
		names[i] = string(a)
	}
	switch r.kind {
	case kindPublic:
		return "public"
	case kindSignedIn:
		return "signed in"
	case kindTicket:
		return "ticket or " + strings.Join(names, " or ")
	}
	return strings.Join(names, " or ")
}

// accessRules is the table by method and path; a duplicate row is a mistake the coverage test
// names.
var accessRules = func() map[string]rule {
	m := make(map[string]rule, len(accessTable))
	for _, row := range accessTable {
		m[row.Method+" "+row.Path] = row.Who
	}
	return m
}()

// guard is the middleware that enforces a rule.
func (s *Server) guard(r rule) []func(http.Handler) http.Handler {
	switch r.kind {
	case kindPublic:
		return nil
	case kindSignedIn:
		return []func(http.Handler) http.Handler{s.authenticate, s.limitUser}
	case kindTicket:
		return []func(http.Handler) http.Handler{s.ticketOr(s.may(r.actions...))}
	}
	// Each user's request budget follows them across addresses (limitUser), right after
	// they are known.
	return []func(http.Handler) http.Handler{s.authenticate, s.limitUser, s.may(r.actions...)}
}

// routeSet registers handlers under prefix on a router, each behind the guard of its row in the
// access table.
type routeSet struct {
	s      *Server
	r      chi.Router
	prefix string
}

// handle registers h for method and pattern (relative to the set's prefix) behind its row's
// guard, after the middleware use (CORS, compression), which authorizes nothing. A route
// without a row refuses every request: a forgotten row closes a route rather than opening it.
func (rs routeSet) handle(method, pattern string, h http.HandlerFunc, use ...func(http.Handler) http.Handler) {
	path := rs.prefix + pattern
	rs.s.guarded[method+" "+path] = true
	who, ok := accessRules[method+" "+path]
	guard := rs.s.guard(who)
	if !ok {
		guard = []func(http.Handler) http.Handler{func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rs.s.writeError(w, r, fmt.Errorf("route %s %s has no row in the access table (api/access.go)", method, path))
			})
		}}
	}
	rs.r.With(slices.Concat(use, guard)...).Method(method, pattern, h)
}

// The methods, for short.
func (rs routeSet) get(p string, h http.HandlerFunc, use ...func(http.Handler) http.Handler) {
	rs.handle(http.MethodGet, p, h, use...)
}
func (rs routeSet) head(p string, h http.HandlerFunc) { rs.handle(http.MethodHead, p, h) }
func (rs routeSet) post(p string, h http.HandlerFunc) { rs.handle(http.MethodPost, p, h) }
func (rs routeSet) put(p string, h http.HandlerFunc)  { rs.handle(http.MethodPut, p, h) }
func (rs routeSet) patch(p string, h http.HandlerFunc) {
	rs.handle(http.MethodPatch, p, h)
}
func (rs routeSet) delete(p string, h http.HandlerFunc) { rs.handle(http.MethodDelete, p, h) }
func (rs routeSet) options(p string, h http.HandlerFunc) {
	rs.handle(http.MethodOptions, p, h)
}

// under is the set of routes below sub, on r (a chi sub-router mounted there).
func (rs routeSet) under(r chi.Router, sub string) routeSet {
	return routeSet{s: rs.s, r: r, prefix: rs.prefix + sub}
}
