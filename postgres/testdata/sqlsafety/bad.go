// Package sqlsafety holds the statements TestSQLCheckerFindsBuiltSQL must find: each query
// below marked bad is built at run time, each marked good is constant.
package sqlsafety

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

const good = `SELECT id FROM incidents WHERE id = $1`

func statements(ctx context.Context, tx pgx.Tx, name string) {
	_, _ = tx.Exec(ctx, fmt.Sprintf("DELETE FROM units WHERE id = '%s'", name)) // bad
	q := `SELECT id FROM units WHERE name = '`
	_, _ = tx.Query(ctx, q+name+`'`) // bad
	_ = tx.QueryRow(ctx, q)          // bad: a variable
	var b strings.Builder
	b.WriteString("SELECT 1")
	_, _ = tx.Exec(ctx, b.String()) // bad
	where := "WHERE " + name
	batch := &pgx.Batch{}
	batch.Queue(where) // bad
	table := name
	_, _ = tx.CopyFrom(ctx, pgx.Identifier{table}, []string{"id"}, nil)   // bad
	_, _ = tx.Exec(ctx, good, name)                                       // good
	_, _ = tx.Query(ctx, good+` AND level = $2`, name, 1)                 // good
	batch.Queue(`INSERT INTO units (id) VALUES ($1)`, name)               // good
	_, _ = tx.CopyFrom(ctx, pgx.Identifier{"units"}, []string{"id"}, nil) // good
}

// byID is called with a constant suffix: good.
func byID(ctx context.Context, tx pgx.Tx, id, suffix string) {
	_ = tx.QueryRow(ctx, `SELECT id FROM units WHERE id = $1 `+suffix, id)
}

// filtered is also called with a caller's input: bad.
func filtered(ctx context.Context, tx pgx.Tx, suffix string) {
	_ = tx.QueryRow(ctx, "SELECT id FROM units "+suffix)
}

func Helpers(ctx context.Context, tx pgx.Tx, input string) {
	byID(ctx, tx, "E1", "FOR UPDATE")
	byID(ctx, tx, "E1", "")
	filtered(ctx, tx, "WHERE true")
	filtered(ctx, tx, "WHERE name = '"+input+"'")
}
