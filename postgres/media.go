package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// MediaBeat registers the node, or renews its heartbeat, with its current load. It also lets
// go of the node's rooms whose incidents are no longer open: a room is closed when its
// incident closes, but nobody need be watching for its row to go.
func (db *DB) MediaBeat(ctx context.Context, n fireline.MediaNode, load fireline.MediaLoad) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO media_nodes (id, url, publishers, viewers) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, heartbeat_at = now(),
			publishers = EXCLUDED.publishers, viewers = EXCLUDED.viewers`,
		n.ID, n.URL, load.Publishers, load.Viewers)
	if err != nil {
		return translate("media heartbeat", err)
	}
	_, err = db.pool.Exec(ctx, `
		DELETE FROM media_rooms r USING incidents i
		WHERE r.node_id = $1 AND i.id = r.incident_id AND i.status <> ALL ($2)`, n.ID, openStatuses())
	return translate("media heartbeat: release closed rooms", err)
}

// MediaLeave removes a stopping node and with it the rooms it held, which go to a live node on
// their next publish.
func (db *DB) MediaLeave(ctx context.Context, nodeID string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM media_nodes WHERE id = $1`, nodeID)
	return translate("media leave", err)
}

// AssignMediaRoom returns the live node holding the incident's room. When no live node holds
// it (a first publish, or its node stopped beating for longer than ttl), it goes to the live
// node with the least load: its publishers and viewers at its last beat, and the rooms it
// holds, which counts assignments made since. EUNAVAILABLE when no node is live.
func (db *DB) AssignMediaRoom(ctx context.Context, incidentID int64, ttl time.Duration) (fireline.MediaNode, error) {
	var n fireline.MediaNode
	err := db.inTx(ctx, "assign media room", func(tx pgx.Tx) error {
		// One assignment per room at a time: racing first publishes agree on the node.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('media_room:' || $1::bigint, 0))`, incidentID); err != nil {
			return translate("assign media room: lock", err)
		}
		err := tx.QueryRow(ctx, `
			SELECT n.id, n.url FROM media_rooms r JOIN media_nodes n ON n.id = r.node_id
			WHERE r.incident_id = $1 AND n.heartbeat_at > now() - $2::interval`,
			incidentID, ttl).Scan(&n.ID, &n.URL)
		if err == nil {
			return nil
		}
		if !noRows(err) {
			return translate("assign media room", err)
		}
		err = tx.QueryRow(ctx, `
			SELECT n.id, n.url FROM media_nodes n
			WHERE n.heartbeat_at > now() - $1::interval
			ORDER BY n.publishers + n.viewers + (SELECT count(*) FROM media_rooms r WHERE r.node_id = n.id), n.id
			LIMIT 1`, ttl).Scan(&n.ID, &n.URL)
		if noRows(err) {
			return fireline.Errorf(fireline.EUNAVAILABLE, "no media node is running: video cannot be published now")
		}
		if err != nil {
			return translate("assign media room: pick node", err)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO media_rooms (incident_id, node_id) VALUES ($1, $2)
			ON CONFLICT (incident_id) DO UPDATE SET node_id = EXCLUDED.node_id, assigned_at = now(),
				streams = '[]', reported_at = NULL`, incidentID, n.ID)
		return translate("assign media room", err)
	})
	if err != nil {
		return fireline.MediaNode{}, err
	}
	return n, nil
}

// MediaRoomNode returns the live node holding the incident's room; false when none does.
func (db *DB) MediaRoomNode(ctx context.Context, incidentID int64, ttl time.Duration) (fireline.MediaNode, bool, error) {
	var n fireline.MediaNode
	err := db.pool.QueryRow(ctx, `
		SELECT n.id, n.url FROM media_rooms r JOIN media_nodes n ON n.id = r.node_id
		WHERE r.incident_id = $1 AND n.heartbeat_at > now() - $2::interval`, incidentID, ttl).Scan(&n.ID, &n.URL)
	if noRows(err) {
		return fireline.MediaNode{}, false, nil
	}
	if err != nil {
		return fireline.MediaNode{}, false, translate("media room", err)
	}
	return n, true, nil
}

// ReportMediaRoom stores the room's streams as its node sees them (a JSON array) and tells every
// API node on the change feed (kind "media"), which passes them on to the consoles.
func (db *DB) ReportMediaRoom(ctx context.Context, nodeID string, incidentID int64, streams []byte) error {
	if !json.Valid(streams) {
		return fireline.Errorf(fireline.EINVALID, "media room %d: streams are not JSON", incidentID)
	}
	notice, err := json.Marshal(map[string]any{"kind": "media", "id": "incident:" + strconv.FormatInt(incidentID, 10), "incident_id": incidentID})
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `
		WITH reported AS (
			UPDATE media_rooms SET streams = $3::jsonb, reported_at = now()
			WHERE incident_id = $2 AND node_id = $1
		)
		SELECT pg_notify('`+changeChannel+`', $4)`, nodeID, incidentID, string(streams), string(notice))
	return translate("report media room", err)
}

// MediaRoomStreams returns the room's streams as its node last reported them; an empty array
// when no node holds the room.
func (db *DB) MediaRoomStreams(ctx context.Context, incidentID int64) ([]byte, error) {
	var raw []byte
	err := db.pool.QueryRow(ctx, `SELECT streams FROM media_rooms WHERE incident_id = $1`, incidentID).Scan(&raw)
	if noRows(err) {
		return []byte("[]"), nil
	}
	return raw, translate("media room streams", err)
}

// ReleaseMediaRoom gives up the node's hold on the incident's room: the incident has closed.
func (db *DB) ReleaseMediaRoom(ctx context.Context, nodeID string, incidentID int64) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM media_rooms WHERE incident_id = $1 AND node_id = $2`, incidentID, nodeID)
	return translate("release media room", err)
}
