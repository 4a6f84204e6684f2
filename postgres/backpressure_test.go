package postgres_test

import (
	"context"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

// A statement that runs past the server's statement_timeout is the database being too slow,
// which the caller answers as unavailable (503 and Retry-After at the API), not as our bug.
func TestStatementTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := cityDB(t)
	slow, err := postgres.Open(ctx, appURL(t, url)+"&statement_timeout=200", quietLog())
	must(t, err)
	t.Cleanup(slow.Close)

	// Another session holds the incidents table, so storing an alarm cannot finish.
	conn := sqlConn(t, url)
	tx, err := conn.Begin(ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE")
	must(t, err)

	_, err = slow.ReceiveAlarm(ctx, alarm(cellA), fireline.DedupeRule{Cells: []string{cellA}})
	if fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Fatalf("store past the statement timeout: %v (code %q), want EUNAVAILABLE", err, fireline.ErrorCode(err))
	}
}
