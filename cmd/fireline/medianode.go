package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
	"github.com/fireline/fireline/postgres"
)

// A media node beats every mediaBeat, and a node silent for mediaTTL is taken for dead: its
// rooms go to a live node on their next publish. The beat also reports each live room's
// streams, which is what the consoles' live statistics are made of.
const (
	mediaBeat = 2 * time.Second
	mediaTTL  = 10 * time.Second
)

// mediaNode keeps this process's media server registered in PostgreSQL and its rooms
// reported, and closes a room when its incident closes, whichever node's worker closed it.
type mediaNode struct {
	db   *postgres.DB
	srv  *media.Server
	node fireline.MediaNode
	log  *slog.Logger
	// reported are the rooms reported live at the last beat: a room that empties is reported
	// once more, empty, so the consoles see its last stream go.
	reported map[int64]bool
}

func newMediaNode(db *postgres.DB, srv *media.Server, node fireline.MediaNode, log *slog.Logger) *mediaNode {
	return &mediaNode{db: db, srv: srv, node: node, log: log.With("component", "media-node", "node", node.ID), reported: map[int64]bool{}}
}

// run beats until ctx is done.
func (n *mediaNode) run(ctx context.Context) {
	tick := time.NewTicker(mediaBeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := n.beat(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("media heartbeat", "error", err)
			}
		}
	}
}

// beat renews the node's registration with its load and reports its rooms.
func (n *mediaNode) beat(ctx context.Context) error {
	st := n.srv.Stats()
	if err := n.db.MediaBeat(ctx, n.node, fireline.MediaLoad{Publishers: st.Publishers, Viewers: st.Viewers}); err != nil {
		return err
	}
	byRoom := map[int64][]fireline.StreamInfo{}
	for _, rs := range st.Streams {
		if id, ok := incidentOfRoom(rs.Room); ok {
			byRoom[id] = append(byRoom[id], rs.StreamInfo)
		}
	}
	for id := range n.reported {
		if _, live := byRoom[id]; !live {
			byRoom[id] = []fireline.StreamInfo{}
		}
	}
	for id, streams := range byRoom {
		raw, err := json.Marshal(streams)
		if err != nil {
			return err
		}
		if err := n.db.ReportMediaRoom(ctx, n.node.ID, id, raw); err != nil {
			return err
		}
		if len(streams) == 0 {
			delete(n.reported, id)
		} else {
			n.reported[id] = true
		}
	}
	return nil
}

// incidentChanged closes the incident's room here if it has live streams and the incident is
// no longer open. The worker that closed it may run on another node, without this media
// server. (The heartbeat lets go of closed incidents' rooms in the registry.)
func (n *mediaNode) incidentChanged(ctx context.Context, id int64) {
	room := "incident:" + strconv.FormatInt(id, 10)
	if len(n.srv.Streams(room)) == 0 {
		return // most notices: nothing of the incident here, so no need to read it
	}
	inc, err := n.db.Incident(ctx, id)
	if err != nil || inc.Status.Open() {
		return
	}
	n.log.Info("incident closed: closing its media room", "incident", id, "status", inc.Status)
	n.srv.CloseRoom(room)
	if err := n.db.ReleaseMediaRoom(ctx, n.node.ID, id); err != nil && ctx.Err() == nil {
		n.log.Warn("release media room", "incident", id, "error", err)
	}
}

// leave unregisters the node on a clean stop, so its rooms move at once.
func (n *mediaNode) leave() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.db.MediaLeave(ctx, n.node.ID)
}

func incidentOfRoom(room string) (int64, bool) {
	s, ok := strings.CutPrefix(room, "incident:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}
