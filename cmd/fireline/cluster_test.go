package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fireline/fireline/devstack/pgcluster"
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
