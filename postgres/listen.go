package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// changeChannel is the NOTIFY channel the schema's triggers write to.
const changeChannel = "fireline_changes"

// Listen calls fn with every change committed to incidents, units and timelines, in commit
// order, until ctx is done; then it returns nil. fn runs on Listen's goroutine, so a slow fn
// delays later notices (PostgreSQL queues them meanwhile).
//
// Listen outlives database restarts: a lost connection is re-established with backoff. Notices
// sent while it was down are lost, so after a reconnect fn is called once for every unit, which
// brings an index of units back in step; incidents and timelines are read fresh by consoles.
func (db *DB) Listen(ctx context.Context, fn func(fireline.Change)) error {
	const minBackoff, maxBackoff = 100 * time.Millisecond, 5 * time.Second
	backoff := minBackoff
	first := true
	for {
		connected, err := db.listen(ctx, fn, !first)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			first = false
			backoff = minBackoff
		}
		db.log.Warn("change feed lost; reconnecting", "error", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen runs one connection's worth of the change feed. connected reports whether it got as
// far as listening, which resets the backoff.
func (db *DB) listen(ctx context.Context, fn func(fireline.Change), replay bool) (connected bool, err error) {
	// A dedicated connection: LISTEN is session state, and a pooled connection would carry it
	// to its next user.
	conn, err := db.dedicatedConn(ctx, "fireline-listen")
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return false, translate("listen", err)
	}
	if replay {
		// Listening first, then reading: a change in between is delivered twice, never lost.
		rows, _ := conn.Query(ctx, "SELECT id, coalesce(incident_id, 0) FROM units ORDER BY id")
		changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.Change, error) {
			c := fireline.Change{Kind: "unit"}
			err := r.Scan(&c.ID, &c.IncidentID)
			return c, err
		})
		if err != nil {
			return true, translate("listen: replay units", err)
		}
		for _, c := range changes {
			fn(c)
		}
		db.log.Info("change feed reconnected", "units_replayed", len(changes))
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, translate("listen", err)
		}
		var p struct {
			Kind       string `json:"kind"`
			ID         string `json:"id"`
			IncidentID int64  `json:"incident_id"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			// A notice we cannot read is somebody else's bug; the feed goes on.
			db.log.Error("change feed: bad payload", "payload", n.Payload, "error", fmt.Errorf("decode: %w", err))
			continue
		}
		fn(fireline.Change{Kind: p.Kind, ID: p.ID, IncidentID: p.IncidentID})
	}
}
