package media

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/fireline/fireline"
)

// Node is this process's media server as one node of the media role: it keeps the server
// registered with its load, reports its rooms' streams at every beat, and closes a room when
// its incident closes, whichever node's worker closed it.
type Node struct {
	srv       *Server
	reg       fireline.MediaRegistry
	incidents fireline.IncidentStore
	self      fireline.MediaNode
	log       *slog.Logger
	// reported are the rooms reported live at the last beat: a room that empties is reported
	// once more, empty, so the consoles see its last stream go. Only Beat uses it, and beats
	// do not overlap.
	reported map[int64]bool
}

// NewNode returns srv as the node self of the registry. The incidents tell it which rooms to
// close.
func NewNode(srv *Server, reg fireline.MediaRegistry, incidents fireline.IncidentStore, self fireline.MediaNode, log *slog.Logger) *Node {
	return &Node{srv: srv, reg: reg, incidents: incidents, self: self,
		log: log.With("component", "media-node", "node", self.ID), reported: map[int64]bool{}}
}

// Run beats every fireline.MediaNodeBeat until ctx is done. Beat once before, so that the
// node is registered by the time it serves.
func (n *Node) Run(ctx context.Context) {
	tick := time.NewTicker(fireline.MediaNodeBeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := n.Beat(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("media heartbeat", "error", err)
			}
		}
	}
}

// Beat renews the node's registration with its load and reports its rooms.
func (n *Node) Beat(ctx context.Context) error {
	st := n.srv.Stats()
	if err := n.reg.MediaBeat(ctx, n.self, fireline.MediaLoad{Publishers: st.Publishers, Viewers: st.Viewers}); err != nil {
		return err
	}
	byRoom := map[int64][]fireline.StreamInfo{}
	for _, rs := range st.Streams {
		if id := incidentOfRoom(rs.Room); id != 0 {
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
		if err := n.reg.ReportMediaRoom(ctx, n.self.ID, id, raw); err != nil {
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

// Follow takes a notice from the change feed: when an incident with live streams here is no
// longer open, its room closes here. The worker that closed it may run on another node,
// without this media server. (The heartbeat lets go of closed incidents' rooms in the
// registry.)
func (n *Node) Follow(ctx context.Context, c fireline.Change) {
	if c.Kind != "incident" || c.IncidentID == 0 {
		return
	}
	room := "incident:" + strconv.FormatInt(c.IncidentID, 10)
	if len(n.srv.Streams(room)) == 0 {
		return // most notices: nothing of the incident here, so no need to read it
	}
	inc, err := n.incidents.Incident(ctx, c.IncidentID)
	if err != nil || inc.Status.Open() {
		return
	}
	n.log.Info("incident closed: closing its media room", "incident", c.IncidentID, "status", inc.Status)
	n.srv.CloseRoom(room)
	if err := n.reg.ReleaseMediaRoom(ctx, n.self.ID, c.IncidentID); err != nil && ctx.Err() == nil {
		n.log.Warn("release media room", "incident", c.IncidentID, "error", err)
	}
}

// Leave unregisters the node on a clean stop, so its rooms move to a live node at once.
func (n *Node) Leave(ctx context.Context) error {
	return n.reg.MediaLeave(ctx, n.self.ID)
}
