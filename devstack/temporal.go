// Package devstack runs the embedded default stack behind `fireline dev`: an
// in-process Temporal server that keeps its state in a SQLite file, with the
// Temporal Web UI beside it. It is the only importer of go.temporal.io/server;
// production points the same binary at an external Temporal cluster instead.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqlstore "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	// DefaultNamespace is the namespace registered when TemporalConfig.Namespace is empty.
	DefaultNamespace = "default"

	// DefaultRetention is how long closed workflows stay in the dev server when
	// TemporalConfig.Retention is zero: long enough to look back over a week of
	// incidents in the UI, short enough that load generation does not grow the
	// SQLite file without bound.
	DefaultRetention = 7 * 24 * time.Hour

	// DefaultStartTimeout bounds how long StartTemporal waits for the server
	// to answer when the caller's context has no earlier deadline. A cold
	// start on a busy 2-core machine takes several seconds.
	DefaultStartTimeout = 2 * time.Minute

	dbFileName = "temporal.db"
	// visFileName holds the visibility store (the workflow lists the UI and the search
	// attributes read) apart from the executions: each SQLite file has a connection of its own,
	// so the visibility writes a surge of incidents makes (a record per start, one per upsert)
	// no longer queue behind the executions' on the one connection. A data directory made
	// before it has its visibility inside temporal.db and keeps it there.
	visFileName  = "temporal-visibility.db"
	visStoreName = "sqlite-visibility"
	lockFileName = "temporal.lock"
	storeName    = "sqlite-default"
	clusterName  = "active"
)

// TemporalConfig says where and how to run the embedded Temporal server.
type TemporalConfig struct {
	// DataDir holds the SQLite database (temporal.db) and a lock file. It is
	// created if missing; reusing it on the next start keeps every workflow.
	DataDir string
	// Port is the frontend gRPC port on 127.0.0.1; 0 picks a free port. The
	// other services listen on free loopback ports of their own.
	Port int
	// UIPort is the Web UI's HTTP port on 127.0.0.1; 0 picks a free port and
	// a negative value disables the UI.
	UIPort int
	// Namespace is registered on start if it does not exist; empty means
	// DefaultNamespace.
	Namespace string
	// Retention is how long closed workflows are kept; zero means
	// DefaultRetention. It only applies when the namespace is first created.
	Retention time.Duration
	// SearchAttributes are custom search attributes (name to type) registered
	// on the namespace if missing. The SQLite visibility store has fixed
	// slots: 10 Keyword and 3 of every other type.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's warnings and errors with a
	// component=temporal attribute; nil means slog.Default().
	Logger *slog.Logger
}

// Temporal is a running embedded Temporal server. Close stops it.
type Temporal struct {
	server    temporal.Server
	ui        *webUI // nil when the UI is disabled
	lock      *dirLock
	address   string
	log       *slog.Logger
	serverLog serverLogger // the server's view of log, silenced on Close

	closeOnce sync.Once
	closeErr  error
}

// StartTemporal starts a Temporal server on cfg.DataDir and returns once its
// frontend answers and the namespace (and search attributes) exist, and the
// Web UI answers when enabled. The context bounds the wait; see
// DefaultStartTimeout.
func StartTemporal(ctx context.Context, cfg TemporalConfig) (*Temporal, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultStartTimeout)
	defer cancel()

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("devstack: create data dir: %w", err)
	}
	lock, err := lockDir(filepath.Join(cfg.DataDir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	t := &Temporal{lock: lock, log: cfg.Logger, serverLog: newServerLogger(cfg.Logger)}
	if err := t.start(ctx, cfg); err != nil {
		// Close's own errors already carry the prefix.
		return nil, errors.Join(fmt.Errorf("devstack: %w", err), t.Close())
	}
	return t, nil
}

func (cfg TemporalConfig) withDefaults() (TemporalConfig, error) {
	if cfg.DataDir == "" {
		return cfg, errors.New("data dir is required")
	}
	if cfg.Port < 0 || cfg.Port > 65535 || cfg.UIPort > 65535 {
		return cfg, fmt.Errorf("invalid port (temporal %d, ui %d)", cfg.Port, cfg.UIPort)
	}
	if cfg.Port != 0 && cfg.Port == cfg.UIPort {
		return cfg, fmt.Errorf("temporal and ui ports are both %d", cfg.Port)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg, fmt.Errorf("data dir: %w", err)
	}
	cfg.DataDir = abs
	return cfg, nil
}

// start brings everything up; on error the caller closes whatever started.
func (t *Temporal) start(ctx context.Context, cfg TemporalConfig) error {
	ports, err := assignPorts(cfg.Port, cfg.UIPort)
	if err != nil {
		return err
	}
	t.address = net.JoinHostPort(loopback, strconv.Itoa(ports.frontend))

	sqlCfg := sqliteConfig(filepath.Join(cfg.DataDir, dbFileName))
	visCfg, err := visibilityConfig(cfg.DataDir)
	if err != nil {
		return err
	}
	if visCfg == nil {
		visCfg = sqlCfg
	}
	if err := prepareDatabase(ctx, sqlCfg, cfg.Namespace, cfg.Retention); err != nil {
		return err
	}
	if visCfg != sqlCfg {
		if err := prepareVisibility(visCfg); err != nil {
			return err
		}
	}

	srv, err := temporal.NewServer(
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(serverConfig(sqlCfg, visCfg, ports)),
		temporal.WithLogger(t.serverLog),
		// Loopback only and for one developer: no authentication.
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return fmt.Errorf("build temporal server: %w", err)
	}
	// Without InterruptOn, Start returns once every service has started.
	if err := srv.Start(); err != nil {
		// Stop whatever services did start; the start error is the one to report.
		_ = srv.Stop()
		return fmt.Errorf("start temporal server: %w", err)
	}
	t.server = srv

	if err := t.waitReady(ctx, cfg); err != nil {
		return err
	}
	t.serverLog.setPhase(phaseRunning)
	if ports.ui > 0 {
		ui, err := startUI(ctx, t.address, ports.ui, cfg.Namespace)
		if err != nil {
			return err
		}
		t.ui = ui
	}
	return nil
}

// Address is the frontend's host:port for SDK clients, e.g. "127.0.0.1:7233".
func (t *Temporal) Address() string { return t.address }

// UIURL is the Web UI's base URL, or "" when the UI is disabled.
func (t *Temporal) UIURL() string {
	if t.ui == nil {
		return ""
	}
	return t.ui.url
}

// Close stops the UI and the server and releases the data directory, so a new
// StartTemporal on it, in this process or another, finds every workflow. It
// is safe to call more than once; later calls return the first result.
//
// The server's SQLite plugin keeps one connection per database path open for
// the life of the process and hands it to the next server on that path. So
// while this process lives on, do not delete or replace temporal.db: a later
// StartTemporal here would keep using the old file.
func (t *Temporal) Close() error {
	t.closeOnce.Do(func() {
		var errs []error
		if t.ui != nil {
			t.ui.stop()
		}
		if t.server != nil {
			t.serverLog.setPhase(phaseStopping)
			if err := t.server.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("devstack: stop temporal server: %w", err))
			}
			t.serverLog.setPhase(phaseClosed)
		}
		if err := t.lock.unlock(); err != nil {
			errs = append(errs, fmt.Errorf("devstack: unlock data dir: %w", err))
		}
		t.closeErr = errors.Join(errs...)
	})
	return t.closeErr
}

// servicePorts are the loopback ports of one server instance.
type servicePorts struct {
	frontend     int
	frontendHTTP int // Temporal's HTTP API; without it the server warns that Nexus is off
	ui           int // 0 when the UI is disabled
	// gRPC and membership (ringpop) ports of the internal services.
	historyGRPC, matchingGRPC, workerGRPC                                       int
	frontendMembership, historyMembership, matchingMembership, workerMembership int
}

// assignPorts checks the requested ports and picks free ones for everything
// else. Internal ports are never derived from the frontend port: two
// instances started with neighbouring --temporal-port values would collide.
func assignPorts(frontend, ui int) (servicePorts, error) {
	var p servicePorts
	need := 8
	if frontend == 0 {
		need++
	}
	if ui == 0 {
		need++
	}
	free, err := freePorts(need)
	if err != nil {
		return p, err
	}
	next := func() int {
		port := free[0]
		free = free[1:]
		return port
	}
	p.frontendHTTP = next()
	p.historyGRPC, p.matchingGRPC, p.workerGRPC = next(), next(), next()
	p.frontendMembership, p.historyMembership, p.matchingMembership, p.workerMembership = next(), next(), next(), next()

	switch frontend {
	case 0:
		p.frontend = next()
	default:
		if p.frontend, err = checkPort(frontend); err != nil {
			return p, fmt.Errorf("temporal port: %w", err)
		}
	}
	switch {
	case ui == 0:
		p.ui = next()
	case ui > 0:
		// ui-server exits the process when it cannot bind, so a clash must
		// be caught here.
		if p.ui, err = checkPort(ui); err != nil {
			return p, fmt.Errorf("ui port: %w", err)
		}
	}
	return p, nil
}

// sqliteConfig describes the server's one SQLite file, used for both the
// default and the visibility store.
func sqliteConfig(path string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// WAL with synchronous=NORMAL commits without an fsync per
			// transaction: a process crash loses nothing, only an OS crash may
			// drop the last moments. That is the right trade for a dev stack
			// asked to absorb surges of alarms.
			"journal_mode": "wal",
			"synchronous":  "NORMAL",
		},
	}
}

// visibilityConfig is the visibility store's SQLite file, or nil for temporal.db itself: in a
// data directory whose temporal.db was made before visibility had a file apart.
func visibilityConfig(dir string) (*config.SQL, error) {
	vis := sqliteConfig(filepath.Join(dir, visFileName))
	_, mainErr := os.Stat(filepath.Join(dir, dbFileName))
	_, visErr := os.Stat(vis.DatabaseName)
	switch {
	case mainErr == nil && errors.Is(visErr, os.ErrNotExist):
		return nil, nil
	case mainErr != nil && !errors.Is(mainErr, os.ErrNotExist):
		return nil, fmt.Errorf("stat database: %w", mainErr)
	}
	return vis, nil
}

// prepareVisibility creates the visibility file's schema on first use. The server's SQLite
// schema comes whole (executions and visibility); the executions' tables stay empty here.
func prepareVisibility(visCfg *config.SQL) error {
	_, err := os.Stat(visCfg.DatabaseName)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := sqliteschema.SetupSchema(visCfg); err != nil {
			_ = os.Remove(visCfg.DatabaseName)
			return fmt.Errorf("create sqlite visibility schema: %w", err)
		}
	case err != nil:
		return fmt.Errorf("stat visibility database: %w", err)
	}
	return nil
}

// prepareDatabase creates the schema on first use and registers the namespace
// if it is missing, writing straight to the database before the server
// starts (as the Temporal CLI's dev server does): the namespace is then usable
// the moment the frontend answers, with no wait for namespace caches.
func prepareDatabase(ctx context.Context, sqlCfg *config.SQL, namespace string, retention time.Duration) error {
	_, err := os.Stat(sqlCfg.DatabaseName)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
			// Leave no half-made database behind: the next start would take
			// it for a complete one.
			_ = os.Remove(sqlCfg.DatabaseName)
			return fmt.Errorf("create sqlite schema: %w", err)
		}
	case err != nil:
		return fmt.Errorf("stat database: %w", err)
	}

	if err := forgetMembers(ctx, sqlCfg); err != nil {
		return err
	}

	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return fmt.Errorf("namespace %q: %w", namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return fmt.Errorf("register namespace: %w", err)
	}
	return nil
}

// forgetMembers deletes the cluster membership rows left by the previous
// run. Ringpop seeds itself from rows whose heartbeat is under 20s old; on a
// quick restart those point at the dead ports of the last run, and the join
// retries until MaxJoinDuration (30s) before the services find each other,
// so matching is unreachable for most of a minute. The data-dir lock
// guarantees no live instance uses this database, so every row is stale.
func forgetMembers(ctx context.Context, sqlCfg *config.SQL) error {
	db, err := sqlstore.NewSQLDB(sqlplugin.DbKindMain, sqlCfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer func() { _ = db.Close() }()
	everything := time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)
	if _, err := db.PruneClusterMembership(ctx, &sqlplugin.PruneClusterMembershipFilter{
		PruneRecordsBefore: everything,
	}); err != nil {
		return fmt.Errorf("forget cluster members: %w", err)
	}
	return nil
}

// serverConfig is a single-node cluster, all on loopback, in SQLite files: executions in
// sqlCfg's, visibility in visCfg's (the same, for a data directory made before).
func serverConfig(sqlCfg, visCfg *config.SQL, p servicePorts) *config.Config {
	stores := map[string]config.DataStore{storeName: {SQL: sqlCfg}}
	visStore := storeName
	if visCfg != sqlCfg {
		visStore = visStoreName
		stores[visStoreName] = config.DataStore{SQL: visCfg}
	}
	frontend := net.JoinHostPort(loopback, strconv.Itoa(p.frontend))
	service := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort:       grpcPort,
			MembershipPort: membershipPort,
			BindOnIP:       loopback,
		}}
	}
	frontendService := service(p.frontend, p.frontendMembership)
	frontendService.RPC.HTTPPort = p.frontendHTTP
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{
				MaxJoinDuration:  30 * time.Second,
				BroadcastAddress: loopback,
			},
		},
		Persistence: config.Persistence{
			DefaultStore:    storeName,
			VisibilityStore: visStore,
			// SQLite has one writer anyway; one shard keeps start-up quick.
			// The count is fixed when the database is created.
			NumHistoryShards: 1,
			DataStores:       stores,
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					// Rewritten in the database on every start, so a restart
					// on another port is fine.
					RPCAddress:  frontend,
					HTTPAddress: net.JoinHostPort(loopback, strconv.Itoa(p.frontendHTTP)),
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": frontendService,
			"history":  service(p.historyGRPC, p.historyMembership),
			"matching": service(p.matchingGRPC, p.matchingMembership),
			"worker":   service(p.workerGRPC, p.workerMembership),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The system worker service reaches the frontend through this.
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// dynamicConfig pins the settings Fireline relies on instead of trusting
// server defaults, which change between releases.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Operator actions (dispatch, upgrade level) are Workflow Updates.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		// Search attributes added at start are usable at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
	}
}

// waitReady polls through the SDK until the frontend, matching and history
// all answer for the namespace, then registers missing search attributes.
func (t *Temporal) waitReady(ctx context.Context, cfg TemporalConfig) error {
	c, err := t.dial(ctx, cfg.Namespace)
	if err != nil {
		return err
	}
	defer c.Close()

	// The frontend answers before matching and history have joined the
	// membership ring; a workflow started then would stall. Each probe
	// goes through to one service.
	probes := []struct {
		name string
		call func() error
	}{
		{"frontend", func() error {
			_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{
				Namespace: cfg.Namespace,
			})
			return err
		}},
		{"matching", func() error {
			_, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: cfg.Namespace,
				TaskQueue: &taskqueuepb.TaskQueue{Name: "devstack-readiness", Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			})
			return err
		}},
		{"history", func() error {
			_, err := c.WorkflowService().DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
				Namespace: cfg.Namespace,
				Execution: &commonpb.WorkflowExecution{WorkflowId: "devstack-readiness"},
			})
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return nil // history owns the shard and looked: that is ready
			}
			return err
		}},
	}
	for _, p := range probes {
		if err := retry(ctx, p.call); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrNotReady, p.name, err)
		}
	}
	if len(cfg.SearchAttributes) == 0 {
		return nil
	}
	return addSearchAttributes(ctx, c, cfg.Namespace, cfg.SearchAttributes)
}

func (t *Temporal) dial(ctx context.Context, namespace string) (client.Client, error) {
	var c client.Client
	err := retry(ctx, func() error {
		var err error
		c, err = client.DialContext(ctx, client.Options{
			HostPort:  t.address,
			Namespace: namespace,
			Logger:    sdklog.NewStructuredLogger(slog.New(warnHandler{t.log.Handler()})),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %w", ErrNotReady, t.address, err)
	}
	return c, nil
}

// addSearchAttributes registers the attributes the namespace lacks. Adding
// an existing one is an error on the SQL visibility store, so list first.
func addSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := make(map[string]enumspb.IndexedValueType)
	for name, typ := range want {
		have, ok := list.GetCustomAttributes()[name]
		if !ok {
			missing[name] = typ
			continue
		}
		if have != typ {
			return fmt.Errorf("search attribute %s is %s, want %s", name, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// retry calls f until it succeeds or ctx ends, returning f's last error.
func retry(ctx context.Context, f func() error) error {
	const pause = 100 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last error: %w", ctx.Err(), err)
		case <-time.After(pause):
		}
	}
}
