package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dataDir returns a fresh data dir path the server account can reach when the tests run as
// root (t.TempDir makes its directories 0700).
func dataDir(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(tmp, "pg")
}

func start(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func query(t *testing.T, c *Cluster, db, sql string) string {
	t.Helper()
	out, err := c.psql(context.Background(), db, sql)
	if err != nil {
		t.Fatalf("psql %q: %v", sql, err)
	}
	return strings.TrimSpace(out)
}

func TestStartCreateClose(t *testing.T) {
	dir := dataDir(t)
	c := start(t, Config{DataDir: dir})

	want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/fireline?sslmode=disable", c.Port())
	if got := c.URL("fireline"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if got := query(t, c, "fireline", "SHOW fsync"); got != "off" {
		t.Errorf("fsync = %q on a non-durable cluster, want off", got)
	}
	if got := query(t, c, "fireline", "SELECT current_user"); got != "postgres" {
		t.Errorf("current_user = %q, want postgres", got)
	}

	ctx := context.Background()
	for range 2 { // the second call finds the database and does nothing
		if err := c.CreateDatabase(ctx, `odd "name"`); err != nil {
			t.Fatalf("CreateDatabase: %v", err)
		}
	}
	if got := query(t, c, "postgres", `SELECT count(*) FROM pg_database WHERE datname = 'odd "name"'`); got != "1" {
		t.Errorf("databases named odd \"name\": %s, want 1", got)
	}

	if _, err := Start(ctx, Config{DataDir: dir}); !errors.Is(err, ErrDataDirInUse) {
		t.Errorf("second Start on the same dir: %v, want ErrDataDirInUse", err)
	}

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port())), time.Second); err == nil {
		conn.Close()
		t.Errorf("server still accepts connections after Close")
	}
}

// TestRestart covers the dev stack's life: a durable cluster keeps its data across restarts,
// a stale postmaster.pid (its pid reused by an unrelated process) does not block start, nor
// does a server orphaned by a parent that died without stopping it.
func TestRestart(t *testing.T) {
	dir := dataDir(t)
	c := start(t, Config{DataDir: dir, Durable: true})
	query(t, c, "fireline", "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	t.Run("stale pid file", func(t *testing.T) {
		sleeper := exec.Command("sleep", "60")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
		stale := fmt.Sprintf("%d\n%s\n0\n5432\n\n\n0 0\nready   \n", sleeper.Process.Pid, dir)
		if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
			t.Fatal(err)
		}
		c := start(t, Config{DataDir: dir, Durable: true})
		if got := query(t, c, "fireline", "SELECT n FROM kept"); got != "42" {
			t.Errorf("kept row = %q, want 42", got)
		}
		if got := query(t, c, "fireline", "SHOW fsync"); got != "on" {
			t.Errorf("fsync = %q on a durable cluster, want on", got)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})

	t.Run("orphaned server", func(t *testing.T) {
		orphan := start(t, Config{DataDir: dir, Durable: true})
		// Forget the cluster as a killed parent would: the lock goes, the server stays.
		if err := orphan.lock.Close(); err != nil {
			t.Fatal(err)
		}
		c := start(t, Config{DataDir: dir, Durable: true})
		select {
		case <-orphan.exited:
		case <-time.After(10 * time.Second):
			t.Fatal("orphaned server still running after a new Start")
		}
		if got := query(t, c, "fireline", "SELECT n FROM kept"); got != "42" {
			t.Errorf("kept row = %q, want 42", got)
		}
	})
}

func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Config{}); err == nil {
		t.Error("Start without a data dir succeeded")
	}

	if os.Geteuid() == 0 {
		// The server account cannot walk through a 0700 directory of root's.
		private := t.TempDir() // its parent is 0700
		_, err := Start(ctx, Config{DataDir: filepath.Join(private, "pg")})
		if err == nil || !strings.Contains(err.Error(), "cannot reach") {
			t.Errorf("Start under a private dir: %v, want a 'cannot reach' error", err)
		}
	}

	// A port already taken: the error carries the server's own explanation.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(ctx, Config{DataDir: dataDir(t), Port: port})
	if err == nil || !strings.Contains(err.Error(), "server log") {
		t.Errorf("Start on a taken port: %v, want an error with the server log", err)
	}
}

// TestParentDeath kills a process that started a cluster, without any chance to clean up, and
// expects the server to shut itself down rather than linger as an orphan.
func TestParentDeath(t *testing.T) {
	if dir := os.Getenv("PGCLUSTER_HELPER_DIR"); dir != "" {
		c, err := Start(context.Background(), Config{DataDir: dir})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("port", c.Port())
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := dataDir(t)
	helper := exec.Command(os.Args[0], "-test.run=^TestParentDeath$")
	helper.Env = append(os.Environ(), "PGCLUSTER_HELPER_DIR="+dir)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Fscanf(out, "port %d\n", &port); err != nil {
		_ = helper.Process.Kill()
		t.Fatalf("helper did not start a cluster: %v", err)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(dir, "postmaster.pid"))
		if errors.Is(err, os.ErrNotExist) {
			return // the server shut down and removed its pid file
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on port %d still running after its parent was killed", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
