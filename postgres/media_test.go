package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestMediaRooms(t *testing.T) {
	t.Parallel()
	db, url := newDB(t)
	ctx := context.Background()
	const ttl = 10 * time.Second
	a := fireline.MediaNode{ID: "media-a", URL: "http://10.0.0.1:8080"}
	b := fireline.MediaNode{ID: "media-b", URL: "http://10.0.0.2:8080"}

	if _, err := db.AssignMediaRoom(ctx, 1, ttl); fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Fatalf("assign with no node = %v, want EUNAVAILABLE", err)
	}
	if err := db.MediaBeat(ctx, fireline.MediaNode{ID: "bad", URL: "10.0.0.3"}, fireline.MediaLoad{}); err == nil {
		t.Error("a node with a URL that is no http(s) base URL registered")
	}
	must(t, db.MediaBeat(ctx, a, fireline.MediaLoad{Publishers: 2, Viewers: 3}))
	must(t, db.MediaBeat(ctx, b, fireline.MediaLoad{Publishers: 1}))

	// The least loaded node gets the room, and keeps it.
	n, err := db.AssignMediaRoom(ctx, 1, ttl)
	must(t, err)
	if n != b {
		t.Fatalf("room 1 went to %+v, want the idle %s", n, b.ID)
	}
	must(t, db.MediaBeat(ctx, b, fireline.MediaLoad{Publishers: 9, Viewers: 9}))
	if n, err := db.AssignMediaRoom(ctx, 1, ttl); err != nil || n != b {
		t.Fatalf("room 1 again = %+v, %v; want it to stay on %s", n, err, b.ID)
	}
	if n, ok, err := db.MediaRoomNode(ctx, 1, ttl); err != nil || !ok || n != b {
		t.Fatalf("MediaRoomNode(1) = %+v %v %v", n, ok, err)
	}
	if _, ok, err := db.MediaRoomNode(ctx, 2, ttl); err != nil || ok {
		t.Fatalf("MediaRoomNode(2) = %v %v, want no node", ok, err)
	}

	// Racing first publishes of one room agree on its node.
	var wg sync.WaitGroup
	got := make([]fireline.MediaNode, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = db.AssignMediaRoom(ctx, 5, ttl)
		}()
	}
	wg.Wait()
	for _, n := range got {
		if n != got[0] || n.ID == "" {
			t.Fatalf("racing assignments of room 5: %+v", got)
		}
	}

	// The node reports its room's streams; the change feed tells of it.
	changes := make(chan fireline.Change, 100)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = db.Listen(lctx, func(c fireline.Change) { changes <- c }) }()
	conn := sqlConn(t, url)
	waitFor(t, func() bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fireline-listen' AND datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n)
		return n == 1
	})
	must(t, db.ReportMediaRoom(ctx, b.ID, 1, []byte(`[{"stream":"E-1"}]`)))
	select {
	case c := <-changes:
		if c != (fireline.Change{Kind: "media", ID: "incident:1", IncidentID: 1}) {
			t.Errorf("notice = %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no media notice")
	}
	if raw, err := db.MediaRoomStreams(ctx, 1); err != nil || string(raw) != `[{"stream": "E-1"}]` {
		t.Errorf("MediaRoomStreams(1) = %s, %v", raw, err)
	}
	// Another node's report does not overwrite the holder's.
	must(t, db.ReportMediaRoom(ctx, a.ID, 1, []byte(`[]`)))
	if raw, _ := db.MediaRoomStreams(ctx, 1); string(raw) != `[{"stream": "E-1"}]` {
		t.Errorf("streams after another node's report = %s", raw)
	}
	if raw, err := db.MediaRoomStreams(ctx, 404); err != nil || string(raw) != "[]" {
		t.Errorf("MediaRoomStreams(404) = %s, %v", raw, err)
	}

	// A node that stops beating loses its rooms to a live one on their next publish.
	if _, err := db.AssignMediaRoom(ctx, 1, time.Nanosecond); fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Errorf("assign with every node silent = %v, want EUNAVAILABLE", err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, ok, _ := db.MediaRoomNode(ctx, 1, 300*time.Millisecond); ok {
		t.Error("a room on a node silent for longer than the ttl still has a node")
	}
	must(t, db.MediaBeat(ctx, a, fireline.MediaLoad{}))
	if n, err := db.AssignMediaRoom(ctx, 1, 300*time.Millisecond); err != nil || n != a {
		t.Errorf("room 1 after its node went silent = %+v, %v; want %s", n, err, a.ID)
	}

	// Release and leave.
	must(t, db.ReleaseMediaRoom(ctx, a.ID, 1))
	if _, ok, _ := db.MediaRoomNode(ctx, 1, ttl); ok {
		t.Error("a released room still has a node")
	}
	must(t, db.MediaLeave(ctx, got[0].ID))
	if _, ok, _ := db.MediaRoomNode(ctx, 5, ttl); ok {
		t.Error("a room of a node that left still has a node")
	}
}

// TestMediaBeatReleasesClosedRooms: a node's heartbeat lets go of the rooms of incidents that
// closed, whether or not it saw the notice.
func TestMediaBeatReleasesClosedRooms(t *testing.T) {
	t.Parallel()
	db, url := cityDB(t)
	ctx := context.Background()
	rc, err := db.ReceiveAlarm(ctx, alarm(cellA), fireline.DedupeRule{Cells: []string{cellA}})
	must(t, err)
	node := fireline.MediaNode{ID: "media-a", URL: "http://10.0.0.1:8080"}
	must(t, db.MediaBeat(ctx, node, fireline.MediaLoad{}))
	if _, err := db.AssignMediaRoom(ctx, rc.IncidentID, time.Minute); err != nil {
		t.Fatal(err)
	}
	must(t, db.MediaBeat(ctx, node, fireline.MediaLoad{}))
	if _, ok, _ := db.MediaRoomNode(ctx, rc.IncidentID, time.Minute); !ok {
		t.Fatal("the open incident's room was let go")
	}
	if _, err := sqlConn(t, url).Exec(ctx, `UPDATE incidents SET status = 'cancelled', closed_at = now(), outcome = 'cancelled' WHERE id = $1`, rc.IncidentID); err != nil {
		t.Fatal(err)
	}
	must(t, db.MediaBeat(ctx, node, fireline.MediaLoad{}))
	if _, ok, _ := db.MediaRoomNode(ctx, rc.IncidentID, time.Minute); ok {
		t.Error("the cancelled incident's room is still held")
	}
}
