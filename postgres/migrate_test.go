package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fireline/fireline/migrations"
	"github.com/fireline/fireline/postgres"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all, err := migrations.All()
	must(t, err)
	applied := func(t *testing.T, url string) int {
		var n int
		must(t, sqlConn(t, url).QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n))
		return n
	}

	t.Run("twice", func(t *testing.T) {
		url := newDatabase(t, false)
		db, err := postgres.Open(ctx, url, quietLog())
		must(t, err)
		defer db.Close()
		must(t, db.Migrate(ctx))
		must(t, db.Migrate(ctx))
		if n := applied(t, url); n != len(all) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
		}
	})

	t.Run("out of order", func(t *testing.T) {
		// A database that ran a later file before an earlier one arrived (a reserved version,
		// migrations.Reserved) refuses to run the earlier one behind it.
		url := newDatabase(t, false)
		db, err := postgres.Open(ctx, url, quietLog())
		must(t, err)
		defer db.Close()
		must(t, db.Migrate(ctx))
		_, err = sqlConn(t, url).Exec(ctx, "DELETE FROM schema_migrations WHERE version = 2")
		must(t, err)
		err = db.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "out of order") {
			t.Fatalf("Migrate = %v, want an out-of-order refusal", err)
		}
	})

	t.Run("concurrently", func(t *testing.T) {
		// Several nodes starting at once, each with its own pool as separate processes would.
		url := newDatabase(t, false)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				db, err := postgres.Open(ctx, url, quietLog())
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				errs[i] = db.Migrate(ctx)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate %d: %v", i, err)
			}
		}
		if n := applied(t, url); n != len(all) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
		}
	})
}
