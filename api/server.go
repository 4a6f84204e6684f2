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
	// TrustedProxies are the reverse proxies whose X-Forwarded-For the audit log believes;
	// from any other peer the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// RateLimits are each client's request budgets; the zero value limits nothing.
	RateLimits RateLimits
	// MediaOrigins are the origins (https://host:port) of other media nodes the pages are
	// redirected to for WHIP and WHEP, allowed in the pages' connect-src.
	MediaOrigins []string
	// DeviceOfflineAfter is how long a building's transmission device may be silent before its
	// board shows it offline; zero means fireline.DefaultDeviceOfflineAfter.
	DeviceOfflineAfter time.Duration
}

// DefaultConfig is the standard configuration.
func DefaultConfig() Config {
	return Config{SessionTTL: 12 * time.Hour, StaleAfter: fireline.DefaultStaleAfter, RateLimits: DefaultRateLimits()}
}

// Server is the HTTP API. Build it with New and serve it as an http.Handler.
type Server struct {
	cfg       Config
	store     fireline.Store
	incidents Incidents
	intake    fireline.IntakeService
	admin     fireline.AdminStore
	keys      fireline.APIKeyStore
	types     fireline.IncidentTypeStore
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
	// recording is this node's recorder's health, for /readyz; nil without the media role.
	recording fireline.RecordingHealth
	ticketKey []byte
	basemap   *Basemap

	directory      Directory
	directoryUsers fireline.DirectoryUsers
	// auditLog, if set, gets an entry for every unsafe request (recordAudit); auditFailures
	// counts the entries it could not take.
	auditLog      fireline.AuditLog
	auditFailures atomic.Int64
	// guarded are the routes registered through a routeSet, behind their access rows' guards
	// ("GET /api/v1/units"), for the test that checks the router against the table.
	guarded map[string]bool
	limiter *limiter
	csp     string
	roster  fireline.RosterStore

	// analytics computes the response-time analytics; nil answers them unavailable.
	analytics fireline.AnalyticsService
	risk      fireline.RiskService
	// eido writes incidents as NENA EIDO documents; nil answers its route unavailable.
	eido fireline.EIDOExporter
	// importer loads other dispatch systems' exports (imports.go); nil answers 503.
	importer fireline.RecordImporter
	// alerts publishes the public alerts (CAP) and serves their feed; nil answers 503.
	alerts fireline.PublicAlertService
	// buildings keeps the buildings' boards and their devices' registry; nil answers 503.
	buildings fireline.BuildingStore
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
	// APIKeys keeps the alarm sources' keys; nil: this node takes none.
	APIKeys fireline.APIKeyStore
	// Types are the incident types (postgres.DB); nil answers their routes unavailable.
	Types fireline.IncidentTypeStore
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
	// Recording is this node's recorder (media.Recorder), whose suspension for want of disk
	// space /readyz reports; nil on a node without the media role.
	Recording fireline.RecordingHealth
	// Basemap is the base map's tiles (--basemap); nil: the map draws on a plain background.
	Basemap *Basemap

	// Directory, if set, signs people in through the centre's directory (OpenID Connect), and
	// DirectoryUsers keeps the users it signs in (postgres.DB).
	Directory      Directory
	DirectoryUsers fireline.DirectoryUsers
	// AuditLog keeps the audit log (postgres.DB); nil records nothing and serves no /audit.
	AuditLog fireline.AuditLog
	// Roster is the duty roster; nil: no roster routes.
	Roster fireline.RosterStore

	// Analytics computes the response-time analytics (postgres.Analytics); nil answers them
	// unavailable.
	Analytics fireline.AnalyticsService
	// Risk is the fire-risk grid (resources.RiskGrid); nil answers its route unavailable.
	Risk fireline.RiskService
	// EIDO writes incidents as NENA EIDO documents (exchange.EIDO); nil: its route answers 503.
	EIDO fireline.EIDOExporter
	// Importer loads other dispatch systems' exports (importer.Importer); nil: the import
	// route answers 503.
	Importer fireline.RecordImporter
	// PublicAlerts publishes public alerts about incidents and serves their CAP feed
	// (exchange.Publisher); nil answers their routes 503.
	PublicAlerts fireline.PublicAlertService
	// Buildings keeps the buildings' fire-safety boards and the registry of their transmission
	// devices (postgres.DB); nil answers their routes 503.
	Buildings fireline.BuildingStore
}

// New builds the API.
func New(cfg Config, d Deps) *Server {
	s := &Server{
		cfg: cfg, store: d.Store, incidents: d.Incidents, intake: d.Intake, admin: d.Admin, keys: d.APIKeys, types: d.Types, locator: d.Locator, media: d.Media, cover: d.Cover,
		nodes:  d.MediaNodes,
		travel: d.Travel, assets: d.Assets,
		hub: newHub(), log: d.Logger.With("component", "api"), now: time.Now,
		recordings: d.Recordings, recording: d.Recording, ticketKey: cfg.TicketKey, basemap: d.Basemap,
		directory: d.Directory, directoryUsers: d.DirectoryUsers,
		auditLog: d.AuditLog,
		roster:   d.Roster,

		analytics: d.Analytics,
		risk:      d.Risk,
		eido:      d.EIDO,
		importer:  d.Importer,
		alerts:    d.PublicAlerts,
		buildings: d.Buildings,
	}
	if len(s.ticketKey) == 0 {
		s.ticketKey = newTicketKey()
	}
	if s.locator == nil {
		s.locator = grid{}
	}
	s.nodeID = d.MediaNodeID
	s.guarded = map[string]bool{}
	s.limiter = newLimiter(cfg.RateLimits, time.Now)
	s.csp = contentSecurityPolicy(cfg.MediaOrigins)
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

// routes builds the router. Every route is registered through a routeSet, which puts it
// behind the guard of its row in the access table (access.go).
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// No RealIP: it would take the client's address from X-Forwarded-For whoever sent it, and
	// a spoofed address in the logs of a dispatch system is worse than a proxy's.
	r.Use(middleware.RequestID, s.logRequests, middleware.Recoverer, s.secureHeaders, s.limitAddress)
	root := routeSet{s: s, r: r}

	root.get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	root.get("/readyz", s.ready)
	root.get("/metrics", s.metrics)

	if s.cfg.MediaOnly {
		// A media node serves the media routes, /metrics and the health checks.
		r.Route("/api/v1", func(r chi.Router) {
			r.Use(s.recordAudit)
			s.mediaRoutes(root.under(r, "/api/v1"))
			r.NotFound(func(w http.ResponseWriter, r *http.Request) {
				s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no media endpoint %s %s: this is a media node", r.Method, r.URL.Path))
			})
		})
		return r
	}

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.recordAudit, s.orderKey)
		v1 := root.under(r, "/api/v1")
		v1.post("/auth/login", s.login)
		// Directory sign-in: the browser comes and goes by redirects, without a token.
		v1.get("/auth/options", s.authOptions)
		v1.get("/auth/oidc/login", s.oidcLogin)
		v1.get(strings.TrimPrefix(oidcCallbackPath, "/api/v1"), s.oidcCallback)
		v1.get("/openapi.json", s.openAPI)
		v1.get("/auth/me", s.me)
		v1.get("/incidents/{id}/recordings/{name}", s.recordingFile)
		v1.head("/incidents/{id}/recordings/{name}", s.recordingFile)
		s.mediaRoutes(v1)
		s.sessionRoutes(v1)

		v1.post("/alarms", s.intakeAlarm(fireline.FormatAlarm))
		v1.post("/alarms/call", s.intakeAlarm(fireline.FormatCall))
		v1.post("/alarms/iot", s.intakeAlarm(fireline.FormatIoT))
		v1.post("/alarms/lamppost", s.intakeAlarm(fireline.FormatLampPost))
		v1.post("/alarms/public", s.intakeAlarm(fireline.FormatPublic))
		v1.post("/alarms/{id}/confirm", s.confirmAlarm)
		v1.post("/warnings", s.receiveWarning)

		s.peopleRoutes(v1)
		s.analyticsRoutes(v1)
		r.Route("/admin", func(r chi.Router) {
			admin := v1.under(r, "/admin")
			s.adminRoutes(admin)
			s.apiKeyRoutes(admin)
			s.incidentTypeAdminRoutes(admin)
			s.userRoutes(admin)
			s.importRoutes(admin)
			s.deviceRoutes(admin)
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

	root.get(basemapInfoPath, s.basemapInfo)
	root.get(basemapTilesPath, s.basemapTiles)
	root.head(basemapTilesPath, s.basemapTiles)

	// Public alerts (CAP 1.2) for anyone to poll: publicalerts.go.
	s.capRoutes(root)

	if s.assets != nil {
		files := http.FileServerFS(s.assets)
		root.get("/field", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, s.assets, "field.html")
		})
		root.get("/review", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, s.assets, "review.html")
		})
		root.get("/*", files.ServeHTTP)
	}
	return r
}

// peopleRoutes are the routes of the console, the field page and the review.
func (s *Server) peopleRoutes(v1 routeSet) {
	v1.get("/warnings", s.warnings)
	v1.get("/readiness", s.readiness)
	v1.get("/incidents/{id}/alarms", s.incidentAlarms)
	v1.get("/incidents", s.listIncidents)
	v1.get("/incidents/{id}", s.getIncident)
	v1.get("/incidents/{id}/timeline", s.timeline)
	v1.get("/incidents/{id}/review", s.review)
	v1.get("/incidents/{id}/findings", s.findings)
	v1.post("/incidents/{id}/findings", s.addFinding)
	v1.get("/incidents/{id}/recordings", s.listRecordings)
	v1.post("/incidents/{id}/dispatch", s.dispatch)
	v1.post("/incidents/{id}/close", s.closeIncident)
	v1.post("/incidents/{id}/assess", s.assessIncident)
	v1.post("/incidents/{id}/controlled", s.controlIncident)
	v1.post("/incidents/{id}/cancel", s.cancelIncident)
	v1.post("/incidents/{id}/merge", s.mergeIncident)
	v1.post("/incidents/{id}/split", s.splitAlarm)
	v1.post("/incidents/{id}/par", s.confirmPAR)
	v1.get("/incidents/{id}/agency-tasks", s.agencyTasks)
	v1.post("/incidents/{id}/agency-tasks/{agency}", s.updateAgencyTask)
	v1.get("/escalations", s.escalations)
	v1.post("/escalations/{eid}/ack", s.ackEscalation)

	v1.get("/units", s.listUnits)
	v1.get("/units/{id}", s.getUnit)
	v1.post("/units/{id}/status", s.unitStatus)
	v1.post("/units/{id}/position", s.unitPosition)
	v1.get("/units/{id}/history", s.unitHistory)
	v1.get("/stations", s.stations)
	v1.get("/water-sources", s.waterSources)
	v1.get("/premises", s.premises)
	v1.get("/nearby", s.nearbyPoint)
	v1.get("/incidents/{id}/nearby", s.nearbyIncident)
	// The coverage map is thousands of cells (more with their outlines): gzip takes it
	// from about 600 kB to a tenth.
	v1.get("/coverage", s.coverage, middleware.Compress(5, "application/json"))
	v1.get("/move-ups", s.moveUps)
	v1.get("/travel-model", s.travelModel)
	v1.post("/move-ups", s.acceptMoveUp)
	v1.post("/move-ups/ignore", s.ignoreMoveUp)
	v1.get("/events", s.events)

	// Duty roster: GET /roster (read incidents), POST /roster and DELETE /roster/{rid}
	// (manage the roster). See rosterRoutes.
	s.rosterRoutes(v1)

	// The audit log (auditlog.go): administrators and risk officers read and export it.
	v1.get("/audit", s.auditEvents)
	v1.get("/audit/export", s.exportAudit)

	// The fire-risk grid (risk.go): ranked cells, or their outlines as GeoJSON.
	v1.get("/risk/cells", s.riskCells, middleware.Compress(5, "application/json", "application/geo+json"))

	// Incident types (incidenttypes.go): read by whoever reads incidents, crews included, so
	// every page can name a type its catalogues lack; administered under /admin.
	v1.get("/incident-types", s.incidentTypes)

	// An incident as a NENA EIDO document (eido.go), for neighbouring centres and agencies.
	v1.get("/incidents/{id}/eido", s.incidentEIDO)
	// Public alerts (CAP 1.2) about incidents: publicalerts.go.
	s.publicAlertRoutes(v1)
	// The buildings' fire-safety boards (buildings.go); their devices' registry is under /admin.
	s.buildingRoutes(v1)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// ?require=postgres[,temporal] says which dependencies the asker needs (all by default). A
	// load balancer asks for PostgreSQL alone: a node that reaches it keeps every alarm it
	// acknowledges, and the hand-off queue starts them once Temporal is back, so the node
	// stays in service while Temporal is away.
	required := map[string]bool{"postgres": true, "temporal": true}
	if q := r.URL.Query().Get("require"); q != "" {
		required = map[string]bool{}
		for _, name := range strings.Split(q, ",") {
			if name != "postgres" && name != "temporal" {
				s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "require: %q is not a dependency (postgres, temporal)", name))
				return
			}
			required[name] = true
		}
	}
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		checks["postgres"] = err.Error()
		if required["postgres"] {
			status = http.StatusServiceUnavailable
		}
	}
	if s.incidents == nil {
		delete(checks, "temporal") // a media node needs no Temporal
	} else if err := s.incidents.Ready(ctx); err != nil {
		checks["temporal"] = err.Error()
		if required["temporal"] {
			status = http.StatusServiceUnavailable
		}
	}
	// A full recordings disk is reported but never takes the node out of service: live video
	// and everything else go on without recording.
	if s.recording != nil {
		checks["recordings"] = "ok"
		if st := s.recording.RecordingStatus(); st.Suspended {
			checks["recordings"] = "suspended (" + st.Reason + "): " + st.Detail
		}
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
