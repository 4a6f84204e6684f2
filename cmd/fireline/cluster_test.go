package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/fireline/fireline/devstack/pgcluster"
	"github.com/fireline/fireline/postgres"
)

// startCluster starts a throwaway PostgreSQL cluster with one database, name, stopped and
// removed when the test ends. The server runs as the postgres account when the tests run as
// root, so its folder is made outside t.TempDir, whose parent (mode 0700) it could not reach.
func startCluster(ctx context.Context, t *testing.T, name string) *pgcluster.Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "fireline-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	if err := cluster.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	return cluster
}

// migratedDB starts a throwaway cluster with database name, migrates it, and returns the store
// (closed when the test ends) and the database's URL.
func migratedDB(ctx context.Context, t *testing.T, name string) (*postgres.DB, string) {
	t.Helper()
	url := startCluster(ctx, t, name).URL(name)
	db, err := postgres.Open(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db, url
}
