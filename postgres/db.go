// Package postgres stores Fireline's durable state in PostgreSQL: reference data, alarms,
// incidents and their projections, the append-only timeline, users and sessions, and the
// LISTEN/NOTIFY change feed. It is the only package that imports pgx; everything it returns
// speaks the domain's types and error codes.
//
// The invariants that keep people safe are enforced by PostgreSQL itself, not by the callers'
// good behaviour: an alarm is stored once per source id, concurrent duplicate alarms make one
// incident, and a unit is never committed to two incidents.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fireline/fireline"
)

// DB is what the API, the intake desk and the media nodes read and write: the assertions keep
// its methods and the root's contracts from drifting apart.
var (
	_ fireline.Store         = (*DB)(nil)
	_ fireline.AdminStore    = (*DB)(nil)
	_ fireline.MediaRegistry = (*DB)(nil)
)

// DB is Fireline's PostgreSQL store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// login is how failed logins lock a username out (SetLoginPolicy).
	login fireline.LoginPolicy
}

// DefaultMaxConns is the pool's size when the database URL does not set pool_max_conns. pgx's
// own default, four on a small machine, is shared by intake, the API, the audit log and the
// workflows' store writes: under a surge of alarms the writes took every connection and intake
// waited. Sixteen a process leaves room for several nodes within PostgreSQL's default 100.
const DefaultMaxConns = 16

// Open connects to the database at url (a postgres:// URL or key=value string; pool settings
// such as pool_max_conns go in it too) and checks that it answers. It does not migrate.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, translate("postgres: connect", err)
	}
	return &DB{pool: pool, log: log.With("component", "postgres"), login: fireline.DefaultLoginPolicy()}, nil
}

// poolConfig reads the pool's settings from url: the application's name unless it names one,
// and DefaultMaxConns unless it sets pool_max_conns.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password in this error.
		return nil, fmt.Errorf("postgres: database url: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "fireline"
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	return cfg, nil
}

// Close closes every connection of the pool, waiting for those in use to be returned.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database answers; EUNAVAILABLE when it does not.
func (db *DB) Ping(ctx context.Context) error {
	return translate("ping", db.pool.Ping(ctx))
}

// dedicatedConn opens a connection outside the pool, for work that holds session state (an
// advisory lock, a LISTEN) which must die with the connection rather than be handed to the
// next user of a pooled one.
func (db *DB) dedicatedConn(ctx context.Context, app string) (*pgx.Conn, error) {
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, translate("connect", err)
	}
	return conn, nil
}

// inTx runs fn in a read-committed transaction and commits it when fn returns nil; fn's errors
// come back as they are, so fn translates its own. Read committed is deliberate: the intake's
// advisory locks rely on each statement seeing what the transactions before it committed.
func (db *DB) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return translate(op, err)
	}
	// After a commit this is a no-op; after a failure it must run even if ctx is done.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	return translate(op, tx.Commit(ctx))
}

// querier is what helpers shared by pool and transaction code need.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// nullTime turns the zero time into SQL NULL, so that queries can say coalesce($n, now()) and
// take the database's clock when the caller has none.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
