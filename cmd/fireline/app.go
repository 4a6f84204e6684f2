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
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
	"github.com/fireline/fireline/media"
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
	// MediaURL is the public URL of this node's media server and MetricsAddr the metrics
	// listener's address, known after Run when they run.
	MediaURL    string
	MetricsAddr string

	log     *slog.Logger
	closers []func() error
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

// Run starts the configured roles and returns once they serve.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	// The listeners are bound before anything else starts: a port clash fails at once, and the
	// many connections the embedded servers open while starting cannot take a port first.
	var httpLn, metricsLn net.Listener
	if cfg.has("api") || cfg.has("media") {
		ln, err := m.listen("http", cfg.HTTPAddr)
		if err != nil {
			return err
		}
		httpLn, m.HTTPAddr = ln, ln.Addr().String()
		if cfg.MetricsAddr != "" {
			ln, err := m.listen("metrics", cfg.MetricsAddr)
			if err != nil {
				return err
			}
			metricsLn, m.MetricsAddr = ln, ln.Addr().String()
		}
	}
	var temporalUI string
	if m.Dev {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		abs, err := filepath.Abs(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		m.log.Info("starting embedded PostgreSQL", "dir", filepath.Join(abs, "postgres"))
		pg, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(abs, "postgres"), Durable: true, Logger: m.log})
		if err != nil {
			return fmt.Errorf("embedded postgres: %w", err)
		}
		m.onClose("postgres cluster", pg.Close)
		cfg.RecordingsDir = filepath.Join(abs, "recordings")
		cfg.DatabaseURL = pg.URL("fireline")

		m.log.Info("starting embedded Temporal", "port", cfg.TemporalPort)
		tmp, err := devstack.StartTemporal(ctx, devstack.TemporalConfig{
			DataDir: filepath.Join(abs, "temporal"), Port: cfg.TemporalPort, UIPort: cfg.UIPort,
			Namespace: cfg.Namespace, Logger: m.log,
		})
		if err != nil {
			return fmt.Errorf("embedded temporal: %w", err)
		}
		m.onClose("temporal", tmp.Close)
		cfg.TemporalAddress = tmp.Address()
		temporalUI = tmp.UIURL()
	}

	db, err := postgres.Open(ctx, cfg.DatabaseURL, m.log)
	if err != nil {
		return err
	}
	m.onClose("database pool", func() error { db.Close(); return nil })
	if m.Dev {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		if err := loadSampleCity(ctx, db, cfg.DemoPassword, m.log); err != nil {
			return err
		}
	}

	// Live state: the unit index follows PostgreSQL's change notices, so every process sees
	// every other's status changes; reservation itself stays a PostgreSQL transaction.
	index := resources.NewIndex()
	units, err := db.Units(ctx, fireline.UnitFilter{})
	if err != nil {
		return err
	}
	if err := index.Replace(units); err != nil {
		return err
	}
	// The learned travel-time model starts from the distance model and replays every trip in
	// the units' histories; from then on it learns each trip as its unit clears (below).
	model, err := geo.NewLearnedModel(geo.DefaultTravelModel())
	if err != nil {
		return err
	}
	learner := resources.NewLearner(model)
	start := time.Now()
	trips, err := db.Trips(ctx)
	if err != nil {
		return err
	}
	_, rejected, firstRejection := learner.Learn(trips...)
	st := model.Stats()
	m.log.Info("travel-time model trained from unit histories", "trips", len(trips), "learned", st.Learned,
		"too_short", st.Skipped, "rejected", rejected, "pairs", st.FinePairs, "duration_ms", time.Since(start).Milliseconds())
	if firstRejection != nil {
		m.log.Warn("trips rejected by the travel-time model", "count", rejected, "first", firstRejection)
	}
	var mediaSrv *media.Server
	if cfg.has("media") {
		ice, err := iceServers(cfg.ICEServers)
		if err != nil {
			return err
		}
		// The recorder closes after the media server: it finishes the files the streams leave.
		// A node is known by its public URL, or its listen address: stable across its restarts,
		// and different for nodes that share the recordings' folder.
		rec, err := media.NewRecorder(media.RecorderConfig{Dir: cfg.RecordingsDir, Logger: m.log, Node: cmp.Or(cfg.MediaURL, cfg.HTTPAddr)})
		if err != nil {
			return err
		}
		m.onClose("recorder", rec.Close)
		mediaSrv, err = media.New(media.Config{Logger: m.log, ICEServers: ice, Sinks: rec.Sink})
		if err != nil {
			return fmt.Errorf("media: %w", err)
		}
		m.onClose("media", mediaSrv.Close)
	}

	// A media node alone needs no Temporal: it checks tokens and incidents in PostgreSQL.
	var tc client.Client
	if cfg.has("api") || cfg.has("worker") {
		tc, err = client.DialContext(ctx, client.Options{
			HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace,
			Logger: tlog.NewStructuredLogger(m.log.With("component", "temporal-sdk")),
		})
		if err != nil {
			return fmt.Errorf("temporal client: %w", err)
		}
		m.onClose("temporal client", func() error { tc.Close(); return nil })
	}

	if cfg.has("worker") {
		var rooms activities.Rooms
		if mediaSrv != nil {
			rooms = mediaSrv
		}
		w := worker.New(tc, workflows.TaskQueue, worker.Options{})
		w.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
		w.RegisterActivity(activities.New(db, resources.NewRecommender(index, db, resources.WithEstimator(model)), rooms, m.log))
		if err := w.Start(); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		m.onClose("worker", func() error { w.Stop(); return nil })
	}

	var apiSrv *api.Server
	if cfg.has("api") {
		policy := workflows.DefaultTimerPolicy()
		policy.Default = cfg.Timers
		incidents := workflows.NewClient(tc, policy)
		// The Temporal UI filters incidents by type, level, status and cell once the namespace
		// has these search attributes; without them incidents run all the same.
		if err := incidents.EnsureSearchAttributes(ctx, cfg.Namespace); err != nil {
			m.log.Warn("incident search attributes unavailable; the Temporal UI cannot filter incidents by them", "error", err)
		}
		cover := resources.NewCover(index, db, resources.CoverConfig{Grid: resources.GridConfig{Estimator: model}})
		deps := api.Deps{
			Store: db, Incidents: incidents, Admin: db,
			// The panel and pole registries are PostgreSQL's; a CAP warning maps onto the
			// coverage grid's service area.
			Intake: intake.NewDesk(intake.New(db, cover, nil), db, db, incidents, intake.DefaultDeskConfig(), m.log),
			Cover:  cover, Travel: learner,
			Assets: web.Assets(), Logger: m.log,
		}
		if mediaSrv != nil {
			deps.Media = mediaSrv
		}
		deps.Recordings = media.NewLibrary(cfg.RecordingsDir)
		deps.MediaNodes = db
		apiCfg := api.DefaultConfig()
		apiCfg.TicketKey = []byte(cfg.RecordingKey)
		apiSrv = api.New(apiCfg, deps)
	} else if mediaSrv != nil {
		// A media node: WHIP and WHEP with the same token and incident checks as the API.
		acfg := api.DefaultConfig()
		acfg.MediaOnly = true
		apiSrv = api.New(acfg, api.Deps{Store: db, Media: mediaSrv, MediaNodes: db, Logger: m.log})
	}
	// The media node registers once its address is known (below); the API must already
	// know which node it is, so that it serves its own rooms rather than redirecting.
	var node *mediaNode
	if mediaSrv != nil {
		node = newMediaNode(db, mediaSrv, fireline.MediaNode{}, m.log)
	}

	listenCtx, stopListening := context.WithCancel(context.Background())
	listenDone := make(chan struct{})
	go func() {
		defer close(listenDone)
		err := db.Listen(listenCtx, func(c fireline.Change) {
			if c.Kind == "incident" && node != nil && c.IncidentID != 0 {
				node.incidentChanged(listenCtx, c.IncidentID)
			}
			if c.Kind == "unit" {
				// A new unit enters the index, a retired one (out of service for good) leaves it.
				switch u, err := db.Unit(listenCtx, c.ID); {
				case err == nil:
					if err := index.Upsert(u); err != nil {
						m.log.Warn("unit index update", "unit", c.ID, "error", err)
					}
					if c.IncidentID != 0 && u.IncidentID == 0 {
						learnTrip(listenCtx, db, learner, u.ID, m.log)
					}
				case fireline.ErrorCode(err) == fireline.ENOTFOUND:
					index.Remove(c.ID)
				case listenCtx.Err() == nil:
					m.log.Warn("unit index update", "unit", c.ID, "error", err)
				}
			}
			if apiSrv != nil {
				apiSrv.Publish(c)
			}
		})
		if err != nil && listenCtx.Err() == nil {
			m.log.Error("change feed stopped", "error", err)
		}
	}()
	m.onClose("change feed", func() error { stopListening(); <-listenDone; return nil })

	if apiSrv != nil {
		ln := httpLn
		if node != nil {
			node.node = fireline.MediaNode{URL: strings.TrimSuffix(cfg.MediaURL, "/")}
			if node.node.URL == "" {
				node.node.URL = "http://" + m.HTTPAddr
				if host, _, _ := net.SplitHostPort(m.HTTPAddr); net.ParseIP(host).IsUnspecified() {
					m.log.Warn("media node listens on every address and knows no public URL: other nodes cannot redirect clients to it; set --media-url", "url", node.node.URL)
				}
			}
			node.node.ID = node.node.URL
			m.MediaURL = node.node.URL
			apiSrv.SetMediaNode(node.node.ID)
			if err := node.beat(ctx); err != nil {
				return fmt.Errorf("register media node: %w", err)
			}
			beatCtx, stopBeat := context.WithCancel(context.Background())
			beatDone := make(chan struct{})
			go func() { defer close(beatDone); node.run(beatCtx) }()
			m.onClose("media node", func() error { stopBeat(); <-beatDone; return node.leave() })
			m.log.Info("media node registered", "url", node.node.URL)
		}
		srv := &http.Server{Handler: apiSrv, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.log.Error("http server", "error", err)
			}
		}()
		m.onClose("http server", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(ctx)
		})
	}
	if metricsLn != nil && apiSrv != nil {
		ln := metricsLn
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", apiSrv.MetricsHandler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.log.Error("metrics server", "error", err)
			}
		}()
		m.onClose("metrics server", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(ctx)
		})
	}
	m.banner(cfg, temporalUI)
	return nil
}

func (m *Main) banner(cfg Config, temporalUI string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nFireline is running (roles: %s)\n", strings.Join(cfg.Roles, ", "))
	if m.HTTPAddr != "" && cfg.has("api") {
		fmt.Fprintf(&b, "  console      http://%s/\n  field page   http://%s/field\n  API          http://%s/api/v1\n", m.HTTPAddr, m.HTTPAddr, m.HTTPAddr)
	}
	if m.MediaURL != "" {
		fmt.Fprintf(&b, "  media node   %s (WHIP/WHEP)\n", m.MediaURL)
	}
	if m.MetricsAddr != "" {
		fmt.Fprintf(&b, "  metrics      http://%s/metrics\n", m.MetricsAddr)
	}
	if temporalUI != "" {
		fmt.Fprintf(&b, "  Temporal UI  %s\n", temporalUI)
	}
	if cfg.TemporalAddress != "" {
		fmt.Fprintf(&b, "  Temporal     %s (namespace %s)\n", cfg.TemporalAddress, cfg.Namespace)
	}
	if m.Dev {
		fmt.Fprintf(&b, "  logins       operator, supervisor, risk, admin, gateway, crew-<unit id> (e.g. crew-%s)\n", samplecity.Liaocheng().Units[0].ID)
		fmt.Fprintf(&b, "  password     %q (FIRELINE_DEMO_PASSWORD)\n", cfg.DemoPassword)
		fmt.Fprintf(&b, "  data         %s\n", cfg.DataDir)
	}
	fmt.Fprint(&b, "Press Ctrl-C to stop.\n")
	fmt.Fprint(m.Stdout, b.String())
}

// migrate applies the migrations to an external database.
func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	log.Info("migrations applied")
	return nil
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
		{Username: "gateway", Password: password, Role: fireline.RoleGateway},
	}
	for _, u := range city.Units {
		seeds = append(seeds, postgres.UserSeed{Username: "crew-" + u.ID, Password: password, Role: fireline.RoleField, UnitID: u.ID})
	}
	return db.SeedUsers(ctx, seeds)
}

// learnTrip teaches the travel-time model the drive of the unit's assignment that just cleared,
// if it made one (en route, then on scene).
func learnTrip(ctx context.Context, db *postgres.DB, l *resources.Learner, unitID string, log *slog.Logger) {
	trip, ok, err := db.LatestTrip(ctx, unitID)
	if err != nil {
		log.Warn("travel-time model: read trip", "unit", unitID, "error", err)
		return
	}
	if !ok {
		return
	}
	if fresh, _, err := l.Learn(trip); err != nil {
		log.Info("travel-time model rejected a trip", "unit", unitID, "incident", trip.IncidentID, "reason", err)
	} else if fresh > 0 {
		log.Debug("travel-time model learned a trip", "unit", unitID, "incident", trip.IncidentID, "seconds", trip.Seconds())
	}
}
