package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/activities"
	"github.com/fireline/fireline/api"
	"github.com/fireline/fireline/devstack"
	"github.com/fireline/fireline/devstack/pgcluster"
	"github.com/fireline/fireline/exchange"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/importer"
	"github.com/fireline/fireline/intake"
	"github.com/fireline/fireline/media"
	"github.com/fireline/fireline/oidc"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/resources"
	"github.com/fireline/fireline/samplecity"
	"github.com/fireline/fireline/web"
	"github.com/fireline/fireline/workflows"
)

// Main is the running program: Run starts it, Close stops it in reverse order. Tests start the
// real program through it.
type Main struct {
	Config Config
	// Dev starts the embedded PostgreSQL and Temporal and loads the sample city.
	Dev    bool
	Stdout io.Writer

	// HTTPAddr is the address the API listens on, known after Run.
	HTTPAddr string
	// GB26875Addr is the address the transmission devices' listener listens on, known after
	// Run when it runs.
	GB26875Addr string
	// MediaURL is the public URL of this node's media server and MetricsAddr the metrics
	// listener's address, known after Run when they run.
	MediaURL    string
	MetricsAddr string

	log     *slog.Logger
	closers []func() error
	basemap *api.Basemap
	// recorder is the media role's recorder, whose health /readyz reports.
	recorder *media.Recorder
	// desk is the intake desk of the api role, which the devices' listener hands its alarms to.
	desk *intake.Desk
}

// NewMain returns a program with the given configuration.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, log: log, Stdout: io.Discard}
}

func (m *Main) onClose(name string, f func() error) {
	m.closers = append(m.closers, func() error {
		if err := f(); err != nil {
			return fmt.Errorf("close %s: %w", name, err)
		}
		return nil
	})
}

// listen binds addr for the named server; the listener closes with Main unless a server has
// taken it over (and closed it) by then.
func (m *Main) listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s (%s): %w", addr, name, err)
	}
	m.onClose(name+" listener", func() error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	return ln, nil
}

// Close stops everything Run started, newest first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// Run starts the configured roles and returns once they serve. It only wires: each part is
// built by a step below, and the change feed is connected to the parts that follow it.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	// A wrong base map file is refused before anything starts.
	if err := m.openBasemap(cfg); err != nil {
		return err
	}
	// The listeners are bound before anything else starts: a port clash fails at once, and the
	// many connections the embedded servers open while starting cannot take a port first.
	httpLn, metricsLn, err := m.bind(cfg)
	if err != nil {
		return err
	}
	gbLn, err := m.bindGB26875(cfg)
	if err != nil {
		return err
	}
	if _, err := m.servePprof(cfg.PprofAddr); err != nil {
		return err
	}
	var temporalUI string
	if m.Dev {
		if temporalUI, err = m.startDevStack(ctx, &cfg); err != nil {
			return err
		}
	}
	db, err := m.openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	units, err := m.loadUnits(ctx, db)
	if err != nil {
		return err
	}
	mediaSrv, err := m.startMedia(cfg)
	if err != nil {
		return err
	}
	tc, err := m.dialTemporal(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.has("worker") {
		if err := m.startWorker(tc, db, units, mediaSrv); err != nil {
			return err
		}
		m.startStarter(tc, db, cfg)
		if err := m.schedulePurge(ctx, tc, cfg.PersonalDataRetention); err != nil {
			return err
		}
		if err := m.scheduleRisk(ctx, tc, cfg.RiskInterval); err != nil {
			return err
		}
	}
	var node *media.Node
	var self fireline.MediaNode
	if mediaSrv != nil {
		self = m.mediaNode(cfg)
		node = media.NewNode(mediaSrv, db, db, self, m.log)
	}
	apiSrv := m.newAPI(ctx, cfg, db, tc, units, mediaSrv, self.ID)

	// Each notice goes to the parts in this order: a closed incident's room closes and the unit
	// index is current before the consoles hear of the change and read again.
	var followers []func(context.Context, fireline.Change)
	if node != nil {
		followers = append(followers, node.Follow)
	}
	followers = append(followers, units.fleet.Follow)
	if apiSrv != nil {
		followers = append(followers, func(_ context.Context, c fireline.Change) { apiSrv.Publish(c) })
	}
	m.followChanges(db, followers...)

	if node != nil {
		if err := m.runMediaNode(ctx, node); err != nil {
			return err
		}
	}
	if apiSrv != nil {
		m.serve("http server", httpLn, apiSrv)
		if metricsLn != nil {
			mux := http.NewServeMux()
			mux.Handle("GET /metrics", apiSrv.MetricsHandler())
			m.serve("metrics server", metricsLn, mux)
		}
	}
	if gbLn != nil {
		if err := m.serveGB26875(cfg, gbLn, db); err != nil {
			return err
		}
	}
	m.banner(cfg, temporalUI)
	return nil
}

// openBasemap opens the --basemap file for the api role, checking that it is a PMTiles archive
// of vector tiles.
func (m *Main) openBasemap(cfg Config) error {
	if cfg.Basemap == "" || !cfg.has("api") {
		return nil
	}
	b, err := api.OpenBasemap(cfg.Basemap)
	if err != nil {
		return err
	}
	m.onClose("basemap", b.Close)
	m.basemap = b
	h := b.Header()
	m.log.Info("base map", "file", cfg.Basemap, "zooms", fmt.Sprintf("%d-%d", h.MinZoom, h.MaxZoom),
		"bounds", fmt.Sprintf("%g,%g,%g,%g", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat))
	return nil
}

// bind binds the API's listener, and the metrics listener when asked for, if this process
// serves HTTP at all (the api or media role).
func (m *Main) bind(cfg Config) (httpLn, metricsLn net.Listener, err error) {
	if !cfg.has("api") && !cfg.has("media") {
		return nil, nil, nil
	}
	if httpLn, err = m.listen("http", cfg.HTTPAddr); err != nil {
		return nil, nil, err
	}
	m.HTTPAddr = httpLn.Addr().String()
	if cfg.TLSCert != "" {
		if httpLn, err = listenTLS(httpLn, cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, nil, err
		}
	}
	if cfg.MetricsAddr != "" {
		if metricsLn, err = m.listen("metrics", cfg.MetricsAddr); err != nil {
			return nil, nil, err
		}
		m.MetricsAddr = metricsLn.Addr().String()
	}
	return httpLn, metricsLn, nil
}

// startDevStack starts the embedded PostgreSQL and Temporal under the data folder and points
// cfg at them. It returns the Temporal UI's URL.
func (m *Main) startDevStack(ctx context.Context, cfg *Config) (temporalUI string, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil { // #nosec G301 -- run as root, the embedded PostgreSQL runs as postgres and must traverse it
		return "", fmt.Errorf("data dir: %w", err)
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	m.log.Info("starting embedded PostgreSQL", "dir", filepath.Join(abs, "postgres"))
	pg, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(abs, "postgres"), Durable: true, Logger: m.log})
	if err != nil {
		return "", fmt.Errorf("embedded postgres: %w", err)
	}
	m.onClose("postgres cluster", pg.Close)
	cfg.RecordingsDir = filepath.Join(abs, "recordings")
	// The superuser owns the schema and migrates; the program runs as the application's role.
	cfg.MigrateDatabaseURL = pg.URL("fireline")
	cfg.DatabaseURL = pg.AppURL("fireline")

	m.log.Info("starting embedded Temporal", "port", cfg.TemporalPort)
	tmp, err := devstack.StartTemporal(ctx, devstack.TemporalConfig{
		DataDir: filepath.Join(abs, "temporal"), Port: cfg.TemporalPort, UIPort: cfg.UIPort,
		Namespace: cfg.Namespace, Logger: m.log,
	})
	if err != nil {
		return "", fmt.Errorf("embedded temporal: %w", err)
	}
	m.onClose("temporal", tmp.Close)
	cfg.TemporalAddress = tmp.Address()
	return tmp.UIURL(), nil
}

// openDatabase migrates as the schema's owner when given its URL (always in dev), then
// connects as the application's role; in dev it also loads the sample city.
func (m *Main) openDatabase(ctx context.Context, cfg Config) (*postgres.DB, error) {
	if cfg.MigrateDatabaseURL != "" {
		if err := migrateDatabase(ctx, cfg.MigrateDatabaseURL, m.log); err != nil {
			return nil, err
		}
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, m.log)
	if err != nil {
		return nil, err
	}
	m.onClose("database pool", func() error { db.Close(); return nil })
	if ok, err := db.AuditProtected(ctx); err != nil {
		m.log.Warn("cannot tell whether the database role may rewrite the audit log", "error", err)
	} else if !ok {
		m.log.Warn("DATABASE_URL connects as a superuser or the schema's owner, which could rewrite the audit log; " +
			"connect as fireline_app and migrate with FIRELINE_MIGRATE_DATABASE_URL")
	}
	if m.Dev {
		if err := loadSampleCity(ctx, db, cfg.DemoPassword, m.log); err != nil {
			return nil, err
		}
	} else if cfg.has("api") && cfg.OIDC.Issuer == "" {
		// Somebody must be able to sign in and create the other users. With a directory, its
		// administrators become users on their first sign-in, so none need exist beforehand.
		if err := ensureAdmin(ctx, db, cfg, m.Stdout); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// liveUnits is this process's picture of the units: the index the recommender and the coverage
// map search, the learned travel-time model their ETAs come from, and the fleet that keeps
// both current.
type liveUnits struct {
	index   *resources.Index
	model   *geo.LearnedModel
	learner *resources.Learner
	fleet   *resources.Fleet
}

// loadUnits fills the unit index from PostgreSQL and trains the travel-time model, which starts
// from the distance model, on every trip in the units' histories.
func (m *Main) loadUnits(ctx context.Context, db *postgres.DB) (liveUnits, error) {
	model, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	if err != nil {
		return liveUnits{}, err
	}
	u := liveUnits{index: resources.NewIndex(), model: model, learner: resources.NewLearner(model)}
	u.fleet = resources.NewFleet(u.index, u.learner, db, m.log)
	return u, u.fleet.Load(ctx)
}

// startMedia starts the media server and its recorder if this process has the media role;
// otherwise it returns nil.
func (m *Main) startMedia(cfg Config) (*media.Server, error) {
	if !cfg.has("media") {
		return nil, nil
	}
	ice, err := iceServers(cfg.ICEServers)
	if err != nil {
		return nil, err
	}
	// The recorder closes after the media server: it finishes the files the streams leave.
	// A node is known by its public URL, or its listen address: stable across its restarts,
	// and different for nodes that share the recordings' folder.
	// Below the reserve, or at a full disk, it cuts recordings short and waits for space;
	// live video goes on.
	rec, err := media.NewRecorder(media.RecorderConfig{Dir: cfg.RecordingsDir, Logger: m.log, Node: cmp.Or(cfg.MediaURL, cfg.HTTPAddr),
		MinFree: cfg.RecordingsMinFree, CheckEvery: cfg.RecordingsCheck})
	if err != nil {
		return nil, err
	}
	m.onClose("recorder", rec.Close)
	m.recorder = rec
	srv, err := media.New(media.Config{Logger: m.log, ICEServers: ice, Sinks: rec.Sink})
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	m.onClose("media", srv.Close)
	return srv, nil
}

// recordingHealth is the recorder's health for /readyz, nil (not a nil pointer in an
// interface) without the media role.
func (m *Main) recordingHealth() fireline.RecordingHealth {
	if m.recorder == nil {
		return nil
	}
	return m.recorder
}

// dialTemporal connects to Temporal for the api and worker roles. A media node alone needs no
// Temporal (nil): it checks tokens and incidents in PostgreSQL.
func (m *Main) dialTemporal(ctx context.Context, cfg Config) (client.Client, error) {
	if !cfg.has("api") && !cfg.has("worker") {
		return nil, nil
	}
	tc, err := client.DialContext(ctx, client.Options{
		HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace,
		Logger: tlog.NewStructuredLogger(m.log.With("component", "temporal-sdk")),
	})
	if err != nil {
		return nil, fmt.Errorf("temporal client: %w", err)
	}
	m.onClose("temporal client", func() error { tc.Close(); return nil })
	return tc, nil
}

// startWorker runs the incident workflow and its activities. Without a media server here,
// closing an incident's room is left to the media node that holds it (media.Node.Follow).
func (m *Main) startWorker(tc client.Client, db *postgres.DB, units liveUnits, mediaSrv *media.Server) error {
	var rooms activities.Rooms
	if mediaSrv != nil {
		rooms = mediaSrv
	}
	w := worker.New(tc, workflows.TaskQueue, workflows.WorkerOptions())
	w.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
	w.RegisterActivity(activities.New(db, m.recommender(db, units), rooms, m.log))
	w.RegisterWorkflowWithOptions(workflows.PurgePersonalData, workflows.PurgeOptions())
	w.RegisterActivity(activities.NewPurger(db, m.log))
	w.RegisterWorkflowWithOptions(workflows.RiskGrid, workflows.RiskOptions())
	w.RegisterActivity(activities.NewRisk(m.riskGrid(db)))
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	m.onClose("worker", func() error { w.Stop(); return nil })
	return nil
}

// recommender fills run cards from this process's unit index: the workflow's recommendations
// and intake's first one are made the same way.
func (m *Main) recommender(db *postgres.DB, units liveUnits) *resources.Recommender {
	return resources.NewRecommender(units.index, db, resources.WithEstimator(units.model),
		resources.WithUnderstaffed(m.Config.Understaffed))
}

// mediaNode is this process's media node as other nodes reach it: its public URL, or failing
// that its listen address, which is also its id. It is recorded in MediaURL.
func (m *Main) mediaNode(cfg Config) fireline.MediaNode {
	url := strings.TrimSuffix(cfg.MediaURL, "/")
	if url == "" {
		url = cfg.scheme() + "://" + m.HTTPAddr
		if host, _, _ := net.SplitHostPort(m.HTTPAddr); net.ParseIP(host).IsUnspecified() {
			m.log.Warn("media node listens on every address and knows no public URL: other nodes cannot redirect clients to it; set --media-url", "url", url)
		}
	}
	m.MediaURL = url
	return fireline.MediaNode{ID: url, URL: url}
}

// newAPI builds the HTTP API of the api role or, on a media node without it, the WHIP and
// WHEP endpoints with the same token and incident checks; nil when this process serves no
// HTTP. mediaNodeID is this process's media node, so that it serves its own rooms rather
// than redirecting.
func (m *Main) newAPI(ctx context.Context, cfg Config, db *postgres.DB, tc client.Client, units liveUnits, mediaSrv *media.Server, mediaNodeID string) *api.Server {
	if !cfg.has("api") {
		if mediaSrv == nil {
			return nil
		}
		acfg := api.DefaultConfig()
		acfg.MediaOnly = true
		acfg.TrustedProxies, _ = trustedProxies(cfg.TrustedProxies) // checked by validate
		acfg.MediaOrigins = mediaOrigins(cfg)
		acfg.RateLimits = rateLimits(cfg)
		return api.New(acfg, api.Deps{Store: db, Media: mediaSrv, MediaNodes: db, MediaNodeID: mediaNodeID, Logger: m.log, AuditLog: db,
			Recording: m.recordingHealth()})
	}
	policy := workflows.DefaultTimerPolicy()
	policy.Default = cfg.Timers
	incidents := workflows.NewClient(tc, policy)
	// The Temporal UI filters incidents by type, level, status and cell once the namespace
	// has these search attributes; without them incidents run all the same.
	if err := incidents.EnsureSearchAttributes(ctx, cfg.Namespace); err != nil {
		m.log.Warn("incident search attributes unavailable; the Temporal UI cannot filter incidents by them", "error", err)
	}
	cover := resources.NewCover(units.index, db, resources.CoverConfig{Grid: resources.GridConfig{Estimator: units.model}})
	// The panel and pole registries are PostgreSQL's; a CAP warning maps onto the coverage
	// grid's service area.
	desk := intake.NewDesk(intake.New(db, cover, nil), db, db, incidents, intake.DefaultDeskConfig(), m.log)
	// An alarm stored while the engine is away is acknowledged; the worker nodes' starter
	// hands it on (startStarter).
	desk.RecoverHandoffs(db)
	// The first recommendation is made here, from this node's own index, before the alarm is
	// answered; the incident's workflow takes it over.
	desk.RecommendFirst(resources.NewFirstResponder(m.recommender(db, units), db, m.log))
	m.desk = desk
	if err := web.Built(); err != nil {
		m.log.Error("the console cannot load", "error", err)
	}
	deps := api.Deps{
		Store: db, Incidents: incidents, Admin: db, APIKeys: db, Types: db, Intake: desk,
		MediaNodes: db, MediaNodeID: mediaNodeID,
		Cover: cover, Travel: units.learner,
		Assets: web.Assets(), Logger: m.log,
		Recordings: media.NewLibrary(cfg.RecordingsDir),
		Recording:  m.recordingHealth(),
		Basemap:    m.basemap,
		AuditLog:   db,
		Roster:     db,
		Risk:       m.riskGrid(db),

		// Incidents handed to neighbouring centres as NENA EIDO documents, from the read model.
		EIDO: exchange.NewEIDO(db, db, db, cfg.EIDO),

		// Imports of other dispatch systems' records (POST /admin/imports).
		Importer: importer.New(db, m.log),

		// Public alerts (CAP) about incidents, from the read model, into their own table.
		PublicAlerts: exchange.NewPublisher(cfg.CAP, db, db, m.log),

		// The buildings' fire-safety boards and the registry of their transmission devices.
		Buildings: db,
	}
	// The zone and targets were validated with the config; an error here leaves the
	// analytics unavailable, not the API.
	if an, err := postgres.NewAnalytics(db, cfg.TimeZone, cfg.AnalyticsTargets); err != nil {
		m.log.Error("analytics unavailable", "error", err)
	} else {
		deps.Analytics = an
	}
	if mediaSrv != nil {
		deps.Media = mediaSrv
	}
	if cfg.OIDC.Issuer != "" {
		dir, err := oidc.New(ctx, cfg.OIDC)
		if err != nil {
			// Password sign-in still works; the pages offer the directory only when it answered.
			m.log.Error("directory sign-in unavailable", "issuer", cfg.OIDC.Issuer, "error", err)
		} else {
			deps.Directory, deps.DirectoryUsers = dir, db
		}
	}
	acfg := api.DefaultConfig()
	acfg.TicketKey = []byte(cfg.RecordingKey)
	acfg.TrustedProxies, _ = trustedProxies(cfg.TrustedProxies) // checked by validate
	acfg.MediaOrigins = mediaOrigins(cfg)
	acfg.RateLimits = rateLimits(cfg)
	acfg.DeviceOfflineAfter = cfg.DeviceOfflineAfter
	return api.New(acfg, deps)
}

// followChanges connects PostgreSQL's change feed to the parts that follow it, each notice
// to each in turn, until Main closes.
func (m *Main) followChanges(db *postgres.DB, followers ...func(context.Context, fireline.Change)) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := db.Listen(ctx, func(c fireline.Change) {
			for _, follow := range followers {
				follow(ctx, c)
			}
		})
		if err != nil && ctx.Err() == nil {
			m.log.Error("change feed stopped", "error", err)
		}
	}()
	m.onClose("change feed", func() error { stop(); <-done; return nil })
}

// runMediaNode registers the media node and keeps it beating until Main closes; a clean stop
// unregisters it, so its rooms move at once.
func (m *Main) runMediaNode(ctx context.Context, node *media.Node) error {
	if err := node.Beat(ctx); err != nil {
		return fmt.Errorf("register media node: %w", err)
	}
	beatCtx, stopBeat := context.WithCancel(context.Background())
	beatDone := make(chan struct{})
	go func() { defer close(beatDone); node.Run(beatCtx) }()
	m.onClose("media node", func() error {
		stopBeat()
		<-beatDone
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return node.Leave(ctx)
	})
	m.log.Info("media node registered", "url", m.MediaURL)
	return nil
}

// serve serves h on ln until Main closes, then shuts down gracefully.
func (m *Main) serve(name string, ln net.Listener, h http.Handler) {
	// Request headers are a few hundred bytes from a browser or gateway: 64 KiB leaves room
	// for long cookies and tokens, and none for a megabyte of header (Go's default).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error(name, "error", err)
		}
	}()
	m.onClose(name, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
}

func (m *Main) banner(cfg Config, temporalUI string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nFireline is running (roles: %s)\n", strings.Join(cfg.Roles, ", "))
	if m.HTTPAddr != "" && cfg.has("api") {
		base := cfg.scheme() + "://" + m.HTTPAddr
		fmt.Fprintf(&b, "  console      %s/\n  field page   %s/field\n  API          %s/api/v1\n", base, base, base)
	}
	if m.MediaURL != "" {
		fmt.Fprintf(&b, "  media node   %s (WHIP/WHEP)\n", m.MediaURL)
	}
	if m.MetricsAddr != "" {
		fmt.Fprintf(&b, "  metrics      http://%s/metrics\n", m.MetricsAddr)
	}
	if m.GB26875Addr != "" {
		fmt.Fprintf(&b, "  GB/T 26875.3 %s (buildings' transmission devices, TCP)\n", m.GB26875Addr)
	}
	if temporalUI != "" {
		fmt.Fprintf(&b, "  Temporal UI  %s\n", temporalUI)
	}
	if cfg.TemporalAddress != "" {
		fmt.Fprintf(&b, "  Temporal     %s (namespace %s)\n", cfg.TemporalAddress, cfg.Namespace)
	}
	if m.Dev {
		fmt.Fprintf(&b, "  logins       operator, supervisor, risk, admin, gateway, crew-<unit id> (e.g. crew-%s)\n", samplecity.Liaocheng().Units[0].ID)
		// The default is no secret; a password of the operator's own choosing is not printed.
		if cfg.DemoPassword == DefaultConfig().DemoPassword {
			fmt.Fprintf(&b, "  password     %q (FIRELINE_DEMO_PASSWORD)\n", cfg.DemoPassword)
		} else {
			fmt.Fprintf(&b, "  password     the one in FIRELINE_DEMO_PASSWORD\n")
		}
		fmt.Fprintf(&b, "  data         %s\n", cfg.DataDir)
	}
	fmt.Fprint(&b, "Press Ctrl-C to stop.\n")
	fmt.Fprint(m.Stdout, b.String())
}

// migrate applies the migrations to an external database as its owner:
// FIRELINE_MIGRATE_DATABASE_URL, or DATABASE_URL when that is the owner's too.
func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	url := cmp.Or(cfg.MigrateDatabaseURL, cfg.DatabaseURL)
	if err := migrateDatabase(ctx, url, log); err != nil {
		return err
	}
	log.Info("migrations applied")
	return nil
}

// migrateDatabase connects as the schema's owner, applies the migrations and disconnects.
func migrateDatabase(ctx context.Context, ownerURL string, log *slog.Logger) error {
	db, err := postgres.Open(ctx, ownerURL, log)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// loadSampleCity loads Liaocheng on first start (an empty database) and (re)seeds the demo
// logins. A restart must not reset units that are out on incidents, so the city is imported once.
func loadSampleCity(ctx context.Context, db *postgres.DB, password string, log *slog.Logger) error {
	// Retired stations count: a city whose stations were all retired is not an empty database.
	stations, err := db.Stations(ctx, fireline.RefFilter{IncludeRetired: true})
	if err != nil {
		return err
	}
	city := samplecity.Liaocheng()
	if len(stations) == 0 {
		for i := range city.Units {
			c, err := geo.CellOf(city.Units[i].Point, geo.Resolution)
			if err != nil {
				return fmt.Errorf("sample unit %s: %w", city.Units[i].ID, err)
			}
			city.Units[i].Cell = c.String()
		}
		if err := db.ImportCity(ctx, city); err != nil {
			return fmt.Errorf("import sample city: %w", err)
		}
		log.Info("sample city loaded", "city", city.Name, "stations", len(city.Stations), "units", len(city.Units),
			"water_sources", len(city.WaterSources), "premises", len(city.Premises), "plans", len(city.Plans))
	}
	seeds := []postgres.UserSeed{
		{Username: "operator", Password: password, Role: fireline.RoleOperator},
		{Username: "supervisor", Password: password, Role: fireline.RoleSupervisor},
		{Username: "risk", Password: password, Role: fireline.RoleRisk},
		{Username: "admin", Password: password, Role: fireline.RoleAdmin},
		// One login for the sample city's gateways: panel network, lamp posts, app and SMS, CAP.
		// It posts for any source; a real gateway gets an API key scoped to its own source
		// (fireline keys create), which posts only that source's alarms.
		{Username: "gateway", Password: password, Role: fireline.RoleGateway},
	}
	for _, u := range city.Units {
		seeds = append(seeds, postgres.UserSeed{Username: "crew-" + u.ID, Password: password, Role: fireline.RoleField, UnitID: u.ID})
	}
	if err := db.SeedUsers(ctx, seeds); err != nil {
		return err
	}
	return seedRoster(ctx, db, city, log)
}

// seedRoster puts the sample city's crews on duty for the shift that covers now, unless
// somebody already is (a restart within the shift, or a roster the supervisor keeps).
func seedRoster(ctx context.Context, db *postgres.DB, city fireline.City, log *slog.Logger) error {
	now := time.Now()
	on, err := db.Roster(ctx, fireline.RosterFilter{At: now})
	if err != nil || len(on) > 0 {
		return err
	}
	entries := samplecity.Roster(city.Units, now)
	for _, e := range entries {
		if _, err := db.AddRosterEntry(ctx, e, "samplecity"); err != nil {
			return fmt.Errorf("sample roster: %w", err)
		}
	}
	log.Info("sample duty roster loaded", "people", len(entries), "short_staffed", samplecity.Short())
	return nil
}
