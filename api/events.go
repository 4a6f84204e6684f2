package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/fireline/fireline"
)

// notice is a change as the consoles are told of it: a media notice carries the room's live
// streams with their statistics.
type notice struct {
	fireline.Change
	Streams []fireline.StreamInfo `json:"streams,omitempty"`
}

// hub fans changes out to the live event streams. A slow client's buffer fills and it misses
// notices rather than slowing the others; it refetches on its next notice anyway.
type hub struct {
	mu   sync.Mutex
	subs map[chan notice]struct{}
}

func newHub() *hub { return &hub{subs: map[chan notice]struct{}{}} }

func (h *hub) subscribe() chan notice {
	ch := make(chan notice, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *hub) unsubscribe(ch chan notice) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

func (h *hub) publish(c notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// events streams changes as Server-Sent Events: `event: incident|unit|timeline`, data the
// notice as JSON. A comment line every 15 s keeps proxies from closing the stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch := s.hub.subscribe()
	defer s.hub.unsubscribe(ch)
	_, _ = fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			_, _ = fmt.Fprint(w, ": keepalive\n\n")
		case c := <-ch:
			data, _ := json.Marshal(c)
			kind := c.Kind
			if kind == "event" {
				kind = "timeline"
			}
			_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
