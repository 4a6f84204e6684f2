// Package api is Fireline's HTTP boundary: the JSON API under /api/v1, Server-Sent Events,
// WHIP/WHEP signalling, authentication, RFC 9457 problem answers, and the console's assets.
// It is the only importer of chi.
package api

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/fireline/fireline"
)

// Config tunes the API.
type Config struct {
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// StaleAfter is how old a unit's AVL fix may grow before the unit is shown at its home
	// station; give the recommender's index the same (resources.WithStaleAfter).
	StaleAfter time.Duration
	// TicketKey signs the URLs that play recordings; nil means a random key, good for this
	// node only.
	TicketKey []byte
	// MediaOnly serves only what a media node needs (serve --roles media without api): the
	// media routes, /metrics, /healthz and /readyz.
	MediaOnly bool
	// LoginRate is how many login attempts a minute one client address may make on this
	// node; 0 allows any number.
	LoginRate int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For the audit log believes;
	// from any other peer the connection's address is the client's.
	TrustedProxies []netip.Prefix
}

// DefaultConfig is the standard configuration.
func DefaultConfig() Config {
	return Config{SessionTTL: 12 * time.Hour, StaleAfter: fireline.DefaultStaleAfter, LoginRate: 10}
}

// Server is the HTTP API. Build it with New and serve it as an http.Handler.
type Server struct {
	cfg       Config
	store     fireline.Store
	incidents Incidents
	intake    fireline.IntakeService
	admin     fireline.AdminStore
	locator   Locator
	media     fireline.MediaService
	nodes     fireline.MediaRegistry
	// nodeID is this process's media node id, empty when it runs no media server.
	nodeID string
	cover  Cover
	travel TravelModel
	assets fs.FS
	hub    *hub
	log    *slog.Logger
	router chi.Router
	now    func() time.Time

	recordings fireline.RecordingLibrary
	ticketKey  []byte
	basemap    *Basemap

	// logins limits login attempts per client address (Config.LoginRate).
	logins         *addrLimiter
	directory      Directory
	directoryUsers fireline.DirectoryUsers
	// auditLog, if set, gets an entry for every unsafe request (recordAudit); auditFailures
	// counts the entries it could not take.
	auditLog      fireline.AuditLog
	auditFailures atomic.Int64
}

// Deps are the API's collaborators: postgres.DB is the Store, the AdminStore and the
// MediaNodes registry, intake.Desk the Intake, media.Server the Media, workflows.Client the
// Incidents. Media may be nil (a node without the media role), and so may Intake (a media
// node) and Cover and Travel (a node that keeps no unit index or travel-time model).
type Deps struct {
	Store     fireline.Store
	Incidents Incidents
	// Intake takes the alarm sources' payloads and the CAP feeds' warnings.
	Intake fireline.IntakeService
	Admin  fireline.AdminStore
	// Locator places unit fixes and stations on the grid; nil means geo's H3 grid.
	Locator Locator
	Media   fireline.MediaService
	// MediaNodes, if set, says which media node holds each incident's room, and MediaNodeID
	// is this process's own node (empty when it runs no media server). Without it this
	// node's media server, if any, holds every room.
	MediaNodes  fireline.MediaRegistry
	MediaNodeID string
	Cover       Cover
	Travel      TravelModel
	// Assets are the console's static files (web.Assets()).
	Assets fs.FS
	Logger *slog.Logger

	// Recordings may be nil: a node that cannot read the recordings' folder.
	Recordings fireline.RecordingLibrary
	// Basemap is the base map's tiles (--basemap); nil: the map draws on a plain background.
	Basemap *Basemap

	// Directory, if set, signs people in through the centre's directory (OpenID Connect), and
	// DirectoryUsers keeps the users it signs in (postgres.DB).
	Directory      Directory
	DirectoryUsers fireline.DirectoryUsers
	// AuditLog keeps the audit log (postgres.DB); nil records nothing and serves no /audit.
	AuditLog fireline.AuditLog
}

// New builds the API.
func New(cfg Config, d Deps) *Server {
	s := &Server{
		cfg: cfg, store: d.Store, incidents: d.Incidents, intake: d.Intake, admin: d.Admin, locator: d.Locator, media: d.Media, cover: d.Cover,
		nodes:  d.MediaNodes,
		travel: d.Travel, assets: d.Assets,
		hub: newHub(), log: d.Logger.With("component", "api"), now: time.Now,
		recordings: d.Recordings, ticketKey: cfg.TicketKey, basemap: d.Basemap,
		directory: d.Directory, directoryUsers: d.DirectoryUsers,
		auditLog: d.AuditLog,
	}
	if len(s.ticketKey) == 0 {
		s.ticketKey = newTicketKey()
	}
	if s.locator == nil {
		s.locator = grid{}
	}
	s.nodeID = d.MediaNodeID
	s.logins = newAddrLimiter(cfg.LoginRate, time.Now)
	s.router = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Publish tells every live event stream that something changed. A media notice (a room's
// streams changed, or their statistics) goes out with the room's streams, read once here
// rather than by every console.
func (s *Server) Publish(c fireline.Change) {
	n := notice{Change: c}
	if c.Kind == "media" && c.IncidentID != 0 {
		streams, err := s.roomStreams(context.Background(), c.IncidentID)
		if err != nil {
			s.log.Warn("media notice: read the room's streams", "incident", c.IncidentID, "error", err)
		}
		n.Streams = streams
	}
	s.hub.publish(n)
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// No RealIP: it would take the client's address from X-Forwarded-For whoever sent it, and
	// a spoofed address in the logs of a dispatch system is worse than a proxy's.
	r.Use(middleware.RequestID, s.logRequests, middleware.Recoverer)

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.ready)

	if s.cfg.MediaOnly {
		// A media node: its metrics are on its own listener or behind a console token, the
		// same as on an API node (see below).
		r.Route("/api/v1", func(r chi.Router) {
			r.Use(s.recordAudit)
			s.mediaRoutes(r)
			r.NotFound(func(w http.ResponseWriter, r *http.Request) {
				s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no media endpoint %s %s: this is a media node", r.Method, r.URL.Path))
			})
		})
		r.With(s.authenticate, s.may(fireline.ActionReadIncidents)).Get("/metrics", s.metrics)
		return r
	}
	// /metrics names incidents (room labels), so on the API's listener it takes a token of a
	// role that reads incidents. A Prometheus server, which cannot sign in, scrapes the
	// unauthenticated listener that serve --metrics opens on an address of the monitoring
	// network.
	r.With(s.authenticate, s.may(fireline.ActionReadIncidents)).Get("/metrics", s.metrics)

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.recordAudit)
		r.Post("/auth/login", s.login)
		// Directory sign-in: the browser comes and goes by redirects, without a token.
		r.Get("/auth/options", s.authOptions)
		r.Get("/auth/oidc/login", s.oidcLogin)
		r.Get(strings.TrimPrefix(oidcCallbackPath, "/api/v1"), s.oidcCallback)
		r.Get("/openapi.json", s.openAPI)
		// A <video> plays a recording with a ticket in its URL, without a bearer token: the
		// handler checks either (recordingTicket).
		r.Get("/incidents/{id}/recordings/{name}", s.recordingFile)
		r.Head("/incidents/{id}/recordings/{name}", s.recordingFile)
		s.mediaRoutes(r)
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate)
			r.Get("/auth/me", s.me)
			s.sessionRoutes(r)

			// Device sources post through their gateways, which sign in with the gateway role;
			// dispatchers may post the same by hand (a report phoned in from a panel company).
			byHand, byDevice := s.may(fireline.ActionPostAlarm), s.may(fireline.ActionPostDeviceAlarm)
			r.With(byHand).Post("/alarms", s.intakeAlarm(fireline.FormatAlarm))
			r.With(byHand).Post("/alarms/call", s.intakeAlarm(fireline.FormatCall))
			r.With(byDevice).Post("/alarms/iot", s.intakeAlarm(fireline.FormatIoT))
			r.With(byDevice).Post("/alarms/lamppost", s.intakeAlarm(fireline.FormatLampPost))
			r.With(byDevice).Post("/alarms/public", s.intakeAlarm(fireline.FormatPublic))
			r.With(byHand).Post("/alarms/{id}/confirm", s.confirmAlarm)
			r.With(byDevice).Post("/warnings", s.receiveWarning)

			// A gateway reads nothing: every other route is for people, who all read the units.
			r.Group(func(r chi.Router) {
				r.Use(s.may(fireline.ActionReadUnits))
				s.peopleRoutes(r)
			})
		})
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, Problem{Type: "urn:fireline:problem:method_not_allowed", Title: "Method Not Allowed",
				Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed on " + r.URL.Path,
				Instance: r.URL.Path, Code: "method_not_allowed"})
		})
	})

	r.Get(basemapInfoPath, s.basemapInfo)
	r.Get(basemapTilesPath, s.basemapTiles)
	r.Head(basemapTilesPath, s.basemapTiles)

	if s.assets != nil {
		files := http.FileServerFS(s.assets)
		r.Get("/field", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, s.assets, "field.html")
		})
		r.Get("/review", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, s.assets, "review.html")
		})
		r.Get("/*", files.ServeHTTP)
	}
	return r
}

// peopleRoutes are the routes of the console, the field page and administration. The group
// they are in lets through only roles that read the units (ActionReadUnits).
func (s *Server) peopleRoutes(r chi.Router) {
	read, dispatch := s.may(fireline.ActionReadIncidents), s.may(fireline.ActionDispatch)
	// Crews read the one incident their unit is on (the handler checks which).
	readOne := s.may(fireline.ActionReadIncidents, fireline.ActionReadOwnIncident)
	r.With(read).Get("/warnings", s.warnings)
	r.With(read).Get("/readiness", s.readiness)
	r.With(read).Get("/incidents/{id}/alarms", s.incidentAlarms)
	r.With(read).Get("/incidents", s.listIncidents)
	r.With(readOne).Get("/incidents/{id}", s.getIncident)
	r.With(read).Get("/incidents/{id}/timeline", s.timeline)
	r.With(read).Get("/incidents/{id}/review", s.review)
	r.With(read).Get("/incidents/{id}/findings", s.findings)
	r.With(s.may(fireline.ActionWriteFindings)).Post("/incidents/{id}/findings", s.addFinding)
	r.With(s.may(fireline.ActionReadRecordings)).Get("/incidents/{id}/recordings", s.listRecordings)
	r.With(dispatch).Post("/incidents/{id}/dispatch", s.dispatch)
	r.With(dispatch).Post("/incidents/{id}/close", s.closeIncident)
	r.With(dispatch).Post("/incidents/{id}/assess", s.assessIncident)
	r.With(dispatch).Post("/incidents/{id}/controlled", s.controlIncident)
	r.With(dispatch).Post("/incidents/{id}/cancel", s.cancelIncident)
	r.With(dispatch).Post("/incidents/{id}/merge", s.mergeIncident)
	r.With(dispatch).Post("/incidents/{id}/split", s.splitAlarm)
	r.With(dispatch).Post("/incidents/{id}/par", s.confirmPAR)
	r.With(read).Get("/incidents/{id}/agency-tasks", s.agencyTasks)
	r.With(dispatch).Post("/incidents/{id}/agency-tasks/{agency}", s.updateAgencyTask)
	r.With(read).Get("/escalations", s.escalations)
	r.With(s.may(fireline.ActionAckEscalation)).Post("/escalations/{eid}/ack", s.ackEscalation)

	// Every role here reads the units; the handlers of a unit's status, position and history
	// check the role and, for a crew, that the unit is its own.
	r.Get("/units", s.listUnits)
	r.Get("/units/{id}", s.getUnit)
	r.Post("/units/{id}/status", s.unitStatus)
	// Crews report their own unit; trackers sign in as dispatchers for now (unitPosition).
	r.Post("/units/{id}/position", s.unitPosition)
	r.Get("/units/{id}/history", s.unitHistory)
	r.Get("/stations", s.stations)
	r.Get("/water-sources", s.waterSources)
	r.With(read).Get("/premises", s.premises)
	r.With(read).Get("/nearby", s.nearbyPoint)
	r.With(readOne).Get("/incidents/{id}/nearby", s.nearbyIncident)
	// The coverage map is thousands of cells (more with their outlines): gzip takes it
	// from about 600 kB to a tenth.
	r.With(read, middleware.Compress(5, "application/json")).Get("/coverage", s.coverage)
	r.With(read).Get("/move-ups", s.moveUps)
	r.With(read).Get("/travel-model", s.travelModel)
	r.With(s.may(fireline.ActionMoveUnit)).Post("/move-ups", s.acceptMoveUp)
	r.With(s.may(fireline.ActionMoveUnit)).Post("/move-ups/ignore", s.ignoreMoveUp)
	r.Get("/events", s.events)

	r.Route("/admin", func(r chi.Router) {
		r.Use(s.may(fireline.ActionAdmin))
		s.adminRoutes(r)
		s.userRoutes(r)
	})

	// The audit log (auditlog.go): administrators and risk officers read and export it.
	r.With(s.may(fireline.ActionReadAudit)).Get("/audit", s.auditEvents)
	r.With(s.may(fireline.ActionReadAudit)).Get("/audit/export", s.exportAudit)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		checks["postgres"], status = err.Error(), http.StatusServiceUnavailable
	}
	if s.incidents == nil {
		delete(checks, "temporal") // a media node needs no Temporal
	} else if err := s.incidents.Ready(ctx); err != nil {
		checks["temporal"], status = err.Error(), http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

// logRequests logs each request once, after it is answered.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		level := slog.LevelDebug
		if ww.Status() >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", ww.Status(),
			"duration_ms", time.Since(start).Milliseconds(), "request_id", middleware.GetReqID(r.Context()))
	})
}

func (s *Server) selfNode() string { return s.nodeID }
