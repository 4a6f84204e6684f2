package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline/migrations"
)

// migrationLock is the key of the session advisory lock Migrate holds: "FIRELINE" in ASCII,
// far from the hashed keys the intake takes per cell.
const migrationLock int64 = 0x4649_5245_4c49_4e45

// Migrate applies the migrations not yet recorded in schema_migrations, in order, each in its
// own transaction. Processes starting together (several API and worker nodes) queue on an
// advisory lock, so each file runs exactly once; a database already up to date is left alone.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := migrations.All()
	if err != nil {
		return err
	}
	// A dedicated connection: a session lock must never go back to the pool, and closing the
	// connection releases it whatever happens below.
	conn, err := db.dedicatedConn(ctx, "fireline-migrate")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return translate("migrate: lock", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return translate("migrate: create schema_migrations", err)
	}
	rows, _ := conn.Query(ctx, "SELECT version FROM schema_migrations")
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return translate("migrate: read schema_migrations", err)
	}
	applied := make(map[int]bool, len(versions))
	newest := 0
	for _, v := range versions {
		applied[v] = true
		newest = max(newest, v)
	}
	if len(all) > 0 && newest > all[len(all)-1].Version {
		// An older binary against a newer schema: migrations only add, so carry on, but say so.
		db.log.Warn("database schema is newer than this binary", "database_version", newest, "binary_version", all[len(all)-1].Version)
	}
	for _, m := range all {
		if applied[m.Version] {
			continue
		}
		if m.Version < newest {
			// A reserved version (migrations.Reserved) arrived after a later file ran here. Running
			// it now would apply the two in an order nobody tested.
			return fmt.Errorf("migrate: %s is not applied but version %d is: the files would run out of order; "+
				"recreate this database, or apply %s by hand once it is checked against the later files", m.Name, newest, m.Name)
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends the file with the simple protocol, several statements at once.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return translate("migrate: "+m.Name, err)
		}
		db.log.Info("migration applied", "migration", m.Name)
	}
	return nil
}
