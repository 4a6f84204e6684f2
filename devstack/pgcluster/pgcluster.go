// Package pgcluster runs a throwaway PostgreSQL cluster from the machine's own PostgreSQL
// binaries: the database of `fireline dev` and of every test that touches storage.
//
// It uses the standard library only and talks to the server through the PostgreSQL client
// binaries (psql), so that the postgres package stays the only importer of pgx.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fireline/fireline/internal/freeport"
)

// Errors callers may want to tell apart.
var (
	// ErrNoBinaries means no PostgreSQL server binaries were found on this machine.
	ErrNoBinaries = errors.New("no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH)")
	// ErrDataDirInUse means another live Cluster (in this or another process) owns the data dir.
	ErrDataDirInUse = errors.New("data directory is in use by another cluster")
)

// Config says where and how to run the cluster.
type Config struct {
	// DataDir holds the cluster (PGDATA). It is created and initialised when it has none.
	DataDir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Durable keeps the server's crash safety. False turns off fsync, synchronous_commit and
	// full_page_writes: several times faster, and fine for tests whose data dies with them.
	Durable bool
	// Logger receives start and stop messages; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running PostgreSQL server owned by this process.
type Cluster struct {
	bin     string // directory of the server and client binaries
	dataDir string // absolute
	port    int
	log     *slog.Logger
	owner   *account // nil: run the binaries as ourselves
	lock    io.Closer
	proc    *os.Process
	exited  chan struct{} // closed when the postmaster has exited
	waitErr error         // the postmaster's exit status, set before exited closes

	closeOnce sync.Once
	closeErr  error
}

// Start starts the cluster in cfg.DataDir, initialising it first when the directory holds no
// cluster, waits until it accepts connections and makes sure the database "fireline" and the
// application's login role (AppRole) exist.
// An existing (durable) cluster is simply started again, whatever its last run left behind: a
// stale postmaster.pid or an orphaned server. Run as root, the server runs as the postgres
// system account, which is given the data dir. One Cluster at a time may use a data dir
// (ErrDataDirInUse).
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "pgcluster")
	if cfg.DataDir == "" {
		return nil, errors.New("pgcluster: data dir is required")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data dir: %w", err)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	owner, err := serverAccount()
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	// Parents we create are open to the server account, which must walk through them; the
	// data dir itself is private to it.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("pgcluster: data dir: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("pgcluster: data dir: %w", err)
	}
	if err := reachable(dir, owner); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %s: %w", dir, err)
	}
	c := &Cluster{bin: bin, dataDir: dir, log: log, owner: owner, lock: lock, exited: make(chan struct{})}
	if err := c.start(ctx, cfg); err != nil {
		_ = c.lock.Close()
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.CreateDatabase(ctx, "fireline"); err != nil {
		_ = c.Close()
		return nil, err
	}
	if err := c.createAppRole(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// AppRole is the login role the application connects as (AppURL), apart from the postgres
// superuser that owns the schema and runs the migrations (URL). The migrations grant it what
// the application needs and no more: it may read the audit log and add to it, never change it.
const AppRole = "fireline_app"

// createAppRole creates AppRole unless it exists, and lets it log in either way: a restore
// into a new cluster creates the roles its dump grants to without a login. Like postgres, it
// needs no password: the cluster trusts loopback connections.
func (c *Cluster) createAppRole(ctx context.Context) error {
	const script = `SELECT format('CREATE ROLE %I LOGIN', :'name')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN', :'name') \gexec
`
	out, err := c.psql(ctx, "postgres", script, "name="+AppRole)
	if err != nil && !strings.Contains(out, "already exists") {
		return fmt.Errorf("pgcluster: create role %s: %w", AppRole, err)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context, cfg Config) error {
	if err := chownTree(c.dataDir, c.owner); err != nil {
		return fmt.Errorf("give data dir to the server account: %w", err)
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx, cfg.Durable); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := c.clearStale(ctx); err != nil {
		return err
	}
	port := cfg.Port
	if port == 0 {
		p, err := freeport.One()
		if err != nil {
			return err
		}
		port = p
	}
	c.port = port
	return c.launch(ctx, cfg.Durable)
}

// initdb creates a cluster whose only role, postgres, needs no password: it listens on
// loopback only and lives as long as a developer's session or a test run.
func (c *Cluster) initdb(ctx context.Context, durable bool) error {
	c.log.Info("initialising PostgreSQL cluster", "dir", c.dataDir)
	args := []string{"-D", c.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"}
	if !durable {
		args = append(args, "--no-sync")
	}
	out, err := c.command(ctx, "initdb", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, tail(out, 2048))
	}
	return nil
}

// clearStale removes what a killed run left behind. A postmaster.pid whose process is gone, or
// whose pid now belongs to some unrelated process (pids are reused quickly in containers),
// would make the server refuse to start. A postmaster that still runs on this data dir is an
// orphan of a killed parent (the data dir lock proves no live Cluster owns it), so it is
// stopped.
func (c *Cluster) clearStale(ctx context.Context) error {
	pidFile := filepath.Join(c.dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid > 0 && isPostmasterOf(pid, c.dataDir) {
		c.log.Warn("stopping orphaned PostgreSQL server", "pid", pid, "dir", c.dataDir)
		if err := stopOrphan(ctx, pid, c.dataDir); err != nil {
			return fmt.Errorf("stop orphaned server %d: %w", pid, err)
		}
	} else if !canInspectProcesses() {
		// Without /proc we cannot tell a stale file from a live server; the server itself
		// checks the pid and refuses to start only when it is alive.
		return nil
	}
	// A fast shutdown removes the file; a killed server leaves it behind.
	if err := os.Remove(pidFile); err == nil {
		c.log.Info("removed stale postmaster.pid", "pid", pid)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale postmaster.pid: %w", err)
	}
	// The socket lock files carry the same pid and fail the same way.
	locks, _ := filepath.Glob(filepath.Join(c.dataDir, ".s.PGSQL.*"))
	for _, l := range locks {
		_ = os.Remove(l)
	}
	return nil
}

// launch runs the postmaster directly rather than through pg_ctl: no shell quoting of the data
// dir, an exact exit status when start-up fails, and the server becomes our child so it is
// told to shut down when this process dies (see procAttr).
func (c *Cluster) launch(ctx context.Context, durable bool) error {
	logPath := filepath.Join(c.dataDir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	if err := chownTree(logPath, c.owner); err != nil {
		return fmt.Errorf("server log: %w", err)
	}
	args := []string{"-D", c.dataDir, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + c.socketDir()}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := c.command(context.Background(), "postgres", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile

	// Pdeathsig fires when the OS thread that started the child exits, not the process, so
	// the start and the wait share one locked thread that lives as long as the server.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(c.exited)
			return
		}
		c.proc = cmd.Process
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.log.Info("PostgreSQL starting", "port", c.port, "dir", c.dataDir, "durable", durable)
	if err := c.waitReady(ctx, logPath); err != nil {
		c.stop(10 * time.Second)
		return err
	}
	c.log.Info("PostgreSQL ready", "url", c.URL("fireline"))
	return nil
}

// socketDir is where the server puts its unix socket: the data dir when the socket's path
// fits the kernel's limit (about 107 bytes), otherwise nowhere, and clients use TCP.
func (c *Cluster) socketDir() string {
	const maxSocketPath = 100 // sun_path is 108 bytes with its NUL; leave some slack
	if len(filepath.Join(c.dataDir, ".s.PGSQL."+strconv.Itoa(c.port))) <= maxSocketPath {
		return c.dataDir
	}
	return ""
}

// waitReady waits until the postmaster says it accepts connections (the status line of
// postmaster.pid, which pg_ctl -w reads too) and a TCP connection succeeds.
func (c *Cluster) waitReady(ctx context.Context, logPath string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pidFile := filepath.Join(c.dataDir, "postmaster.pid")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up (%v); server log:\n%s", c.waitErr, logTail(logPath))
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w; server log:\n%s", ctx.Err(), logTail(logPath))
		case <-tick.C:
		}
		if !pidFileReady(pidFile) {
			continue
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		_ = conn.Close()
		return nil
	}
}

// pidFileReady reports whether postmaster.pid's eighth line, the postmaster status, is
// "ready".
func pidFileReady(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	return len(lines) >= 8 && strings.TrimSpace(lines[7]) == "ready"
}

// URL is the connection URL of database db on this cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// AppURL is the connection URL of database db for the application's role, AppRole.
func (c *Cluster) AppURL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", AppRole, c.port, db)
}

// Port is the TCP port the cluster listens on (on 127.0.0.1).
func (c *Cluster) Port() int { return c.port }

// DataDir is the absolute path of the cluster's data directory.
func (c *Cluster) DataDir() string { return c.dataDir }

// CreateDatabase creates database name unless it exists. The name is passed to the server as a
// psql variable and quoted there, so any name is safe.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("pgcluster: create database: name is required")
	}
	const script = `SELECT format('CREATE DATABASE %I', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
`
	out, err := c.psql(ctx, "postgres", script, "name="+name)
	// Two callers racing to create the same database: the loser's error is the winner's success.
	if err != nil && !strings.Contains(out, "already exists") {
		return fmt.Errorf("pgcluster: create database %s: %w", name, err)
	}
	return nil
}

// psql runs script on database db through psql, stopping at the first error, and returns the
// combined output. vars are name=value psql variables.
func (c *Cluster) psql(ctx context.Context, db, script string, vars ...string) (string, error) {
	args := []string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", db}
	for _, v := range vars {
		args = append(args, "-v", v)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "psql"), args...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("psql: %w: %s", err, tail(out, 2048))
	}
	return string(out), nil
}

// Close stops the server with a fast shutdown (open sessions are ended, data is checkpointed)
// and releases the data dir. It is safe to call more than once.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.stop(60 * time.Second)
		if err := c.lock.Close(); err != nil && c.closeErr == nil {
			c.closeErr = fmt.Errorf("pgcluster: unlock data dir: %w", err)
		}
		c.log.Info("PostgreSQL stopped", "dir", c.dataDir)
	})
	return c.closeErr
}

// stop asks the postmaster for a fast shutdown (SIGINT, what pg_ctl stop -m fast sends) and,
// past timeout, an immediate one.
func (c *Cluster) stop(timeout time.Duration) error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	if err := c.proc.Signal(os.Interrupt); err != nil {
		_ = c.proc.Kill()
	}
	select {
	case <-c.exited:
		return nil
	case <-time.After(timeout):
	}
	c.log.Warn("PostgreSQL did not stop in time; killing it", "dir", c.dataDir)
	_ = c.proc.Kill()
	<-c.exited
	return fmt.Errorf("pgcluster: server did not stop within %s", timeout)
}

// command runs a server binary as the server account.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = procAttr(c.owner)
	cmd.Dir = c.dataDir
	// The server account may not be able to read the caller's working directory or home;
	// LC_ALL=C keeps messages and initdb's defaults independent of the caller's locale.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if c.owner != nil {
		cmd.Env = append(cmd.Env, "HOME="+c.dataDir)
	}
	return cmd
}

// findBinaries returns the directory of the newest PostgreSQL server binaries: the highest
// /usr/lib/postgresql/<version>/bin (Debian's layout), else wherever postgres is on PATH.
func findBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if executable(filepath.Join(d, "postgres")) && executable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		d := filepath.Dir(p)
		if executable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

// version is the numeric major version in a /usr/lib/postgresql/<version>/bin path.
func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// logTail returns the end of the server log, where start-up failures are explained.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	return tail(b, 4096)
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Binaries is the directory of the PostgreSQL binaries Start runs (the newest Debian
// /usr/lib/postgresql/<version>/bin, else PATH's): the same pg_dump, pg_restore and psql
// serve backups, whose pg_dump must be at least as new as the server it reads.
func Binaries() (string, error) {
	return findBinaries()
}

// RunningURL is the connection URL of database db on the cluster that a live Cluster, in
// this process or another (a running `fireline dev`), serves from dataDir: the port is the
// fourth line of its postmaster.pid. It fails when no server there is ready.
func RunningURL(dataDir, db string) (string, error) {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if !pidFileReady(pidFile) {
		return "", fmt.Errorf("pgcluster: no running server in %s", dataDir)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil || port <= 0 {
		return "", fmt.Errorf("pgcluster: %s: no port on its fourth line", pidFile)
	}
	return (&Cluster{port: port}).URL(db), nil
}
