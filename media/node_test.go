package media_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// registry records what a media node tells the media-node registry.
type registry struct {
	fireline.MediaRegistry
	mu       sync.Mutex
	loads    []fireline.MediaLoad
	reports  map[int64][]string // JSON arrays of streams, in the order reported
	released []int64
	left     bool
}

func (r *registry) MediaBeat(_ context.Context, _ fireline.MediaNode, load fireline.MediaLoad) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads = append(r.loads, load)
	return nil
}

func (r *registry) ReportMediaRoom(_ context.Context, _ string, id int64, streams []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports[id] = append(r.reports[id], string(streams))
	return nil
}

func (r *registry) ReleaseMediaRoom(_ context.Context, _ string, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.released = append(r.released, id)
	return nil
}

func (r *registry) MediaLeave(context.Context, string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left = true
	return nil
}

// incidents has incident 5 in the status the test sets; reads counts the incidents read.
type incidents struct {
	fireline.IncidentStore
	status fireline.IncidentStatus
	reads  int
}

func (s *incidents) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	s.reads++
	return fireline.Incident{ID: id, Status: s.status}, nil
}

// TestNode: each beat renews the node with its load and reports its rooms' streams, a room
// that empties once more as empty; a notice that the incident closed closes its room here and
// releases it in the registry, and a notice about an incident with no video here reads nothing.
func TestNode(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, media.Config{})
	reg := &registry{reports: map[int64][]string{}}
	inc := &incidents{status: fireline.IncidentActive}
	node := media.NewNode(srv, reg, inc, fireline.MediaNode{ID: "media-a", URL: "http://media-a:8080"}, slog.New(slog.DiscardHandler))

	publish(t, srv, "incident:5", "E-1")
	if err := node.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	var streams []fireline.StreamInfo
	if len(reg.loads) != 1 || reg.loads[0].Publishers != 1 || len(reg.reports[5]) != 1 {
		t.Fatalf("first beat: loads %+v, reports %v", reg.loads, reg.reports)
	}
	if err := json.Unmarshal([]byte(reg.reports[5][0]), &streams); err != nil || len(streams) != 1 || streams[0].Stream != "E-1" {
		t.Fatalf("room 5 reported as %s (%v)", reg.reports[5][0], err)
	}

	node.Follow(ctx, fireline.Change{Kind: "incident", ID: "6", IncidentID: 6})
	node.Follow(ctx, fireline.Change{Kind: "unit", ID: "E-1", IncidentID: 5})
	if inc.reads != 0 {
		t.Fatalf("notices about other incidents and units read %d incidents", inc.reads)
	}
	node.Follow(ctx, fireline.Change{Kind: "incident", ID: "5", IncidentID: 5})
	if len(srv.Streams("incident:5")) != 1 || len(reg.released) != 0 {
		t.Fatal("the room of an open incident closed")
	}
	inc.status = fireline.IncidentClosed
	node.Follow(ctx, fireline.Change{Kind: "incident", ID: "5", IncidentID: 5})
	eventually(t, "the closed incident's room to empty", func() bool { return len(srv.Streams("incident:5")) == 0 })
	if len(reg.released) != 1 || reg.released[0] != 5 {
		t.Fatalf("released %v, want room 5", reg.released)
	}

	for range 2 {
		if err := node.Beat(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := reg.reports[5]; len(got) != 2 || got[1] != "[]" {
		t.Fatalf("room 5 reported as %q, want its streams, then once empty", got)
	}
	if err := node.Leave(ctx); err != nil || !reg.left {
		t.Fatalf("leave: %v", err)
	}
}
