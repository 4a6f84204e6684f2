package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// mediaStore knows two incidents: 1 is open with E-1 on it, 2 is closed with E-1 cleared...
// still assigned. Tokens are "role:unit"; "bad" is an expired one.
type mediaStore struct{ *fakeStore }

func (mediaStore) SessionUser(_ context.Context, token string) (fireline.User, error) {
	if token == "bad" {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "session expired")
	}
	role, unit, _ := strings.Cut(token, ":")
	return fireline.User{Username: token, Role: fireline.Role(role), UnitID: unit}, nil
}

func (mediaStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	on := []fireline.Assignment{{UnitID: "E-1"}}
	switch id {
	case 1:
		return fireline.Incident{ID: 1, Status: fireline.IncidentActive, Assignments: on}, nil
	case 2:
		return fireline.Incident{ID: 2, Status: fireline.IncidentClosed, Assignments: on}, nil
	}
	return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
}

// fakeMedia is a media server that answers every offer and keeps sessions by id.
type fakeMedia struct {
	sessions map[string]fireline.MediaSessionInfo
	frags    []string
	layers   []string
	n        int
}

func (f *fakeMedia) open(owner string) fireline.MediaSession {
	f.n++
	id := fmt.Sprintf("s%d", f.n)
	f.sessions[id] = fireline.MediaSessionInfo{Owner: owner, ETag: `"tag-` + id + `"`}
	return fireline.MediaSession{ID: id, AnswerSDP: "v=0\r\n", ETag: `"tag-` + id + `"`}
}

// option is the one option the API gives Publish and Play.
func option(opts []fireline.MediaOption) fireline.MediaOption {
	if len(opts) != 1 {
		panic(fmt.Sprintf("%d media options", len(opts)))
	}
	return opts[0]
}

func (f *fakeMedia) Publish(_ context.Context, _, _, _ string, opts ...fireline.MediaOption) (fireline.MediaSession, error) {
	return f.open(option(opts).Owner), nil
}

func (f *fakeMedia) Play(_ context.Context, _, stream, _ string, opts ...fireline.MediaOption) (fireline.MediaSession, error) {
	if stream != "E-1" {
		return fireline.MediaSession{}, fireline.Errorf(fireline.ENOTFOUND, "no live stream %q", stream)
	}
	f.layers = append(f.layers, option(opts).Layer)
	return f.open(option(opts).Owner), nil
}

func (f *fakeMedia) Session(_, id string) (fireline.MediaSessionInfo, error) {
	s, ok := f.sessions[id]
	if !ok {
		return fireline.MediaSessionInfo{}, fireline.Errorf(fireline.ENOTFOUND, "no media session %q", id)
	}
	return s, nil
}

func (f *fakeMedia) Trickle(_, _, frag string) error {
	f.frags = append(f.frags, frag)
	return nil
}

func (f *fakeMedia) End(_, id string) error { delete(f.sessions, id); return nil }

func (f *fakeMedia) Streams(room string) []fireline.StreamInfo {
	return []fireline.StreamInfo{{Stream: "E-1", Viewers: 1, Bitrate: 900_000}}
}

func (f *fakeMedia) ICEServers() []fireline.ICEServer {
	return []fireline.ICEServer{{URL: "stun:stun.example.net:3478"}, {URL: "turn:turn.example.net:3478?transport=udp", Username: "crew", Credential: "s3cret"}}
}

func (f *fakeMedia) WriteMetrics(w io.Writer) error {
	_, err := io.WriteString(w, "fireline_media_rooms 1\n")
	return err
}

// fakeNodes is a registry in which incident 3's room is on another node.
type fakeNodes struct {
	fireline.MediaRegistry
	self fireline.MediaNode
}

var otherNode = fireline.MediaNode{ID: "media-b", URL: "http://media-b.example:8080"}

func (f fakeNodes) AssignMediaRoom(_ context.Context, id int64, _ time.Duration) (fireline.MediaNode, error) {
	if id == 3 {
		return otherNode, nil
	}
	return f.self, nil
}

func (f fakeNodes) MediaRoomNode(_ context.Context, id int64, _ time.Duration) (fireline.MediaNode, bool, error) {
	switch id {
	case 1:
		return f.self, true, nil
	case 3:
		return otherNode, true, nil
	}
	return fireline.MediaNode{}, false, nil
}

func (f fakeNodes) MediaRoomStreams(_ context.Context, id int64) ([]byte, error) {
	return []byte(`[{"stream":"L-9","tracks":["video/VP8"],"viewers":2,"bitrate_bps":1200000}]`), nil
}

func newMediaServer(t *testing.T, cfg Config, nodes fireline.MediaRegistry) (*Server, *fakeMedia) {
	t.Helper()
	m := &fakeMedia{sessions: map[string]fireline.MediaSessionInfo{}}
	d := Deps{Store: mediaStore{&fakeStore{}}, Media: m, Logger: slog.New(slog.DiscardHandler)}
	if nodes != nil {
		d.MediaNodes, d.MediaNodeID = nodes, "media-a"
	}
	return New(cfg, d), m
}

type req struct {
	method, path, token, ctype, body string
	header                           map[string]string
}

func do(t *testing.T, s http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, hr)
	return w
}

func problemOf(t *testing.T, w *httptest.ResponseRecorder) Problem {
	t.Helper()
	var p Problem
	if w.Code >= 400 {
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%d answered as %s: %s", w.Code, ct, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

const offerSDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

func TestWHIPAndWHEPRefusals(t *testing.T) {
	s, _ := newMediaServer(t, DefaultConfig(), nil)
	const whip, whep = "/api/v1/media/incidents/1/whip", "/api/v1/media/incidents/1/streams/E-1/whep"
	tests := []struct {
		name   string
		r      req
		status int
		detail string
	}{
		{"publish without a token", req{method: "POST", path: whip, ctype: "application/sdp", body: offerSDP}, 401, "sign in"},
		{"publish with an expired token", req{method: "POST", path: whip, token: "bad", ctype: "application/sdp", body: offerSDP}, 401, "expired"},
		{"the risk role publishes", req{method: "POST", path: whip, token: "risk", ctype: "application/sdp", body: offerSDP}, 403, "role risk may not POST"},
		{"an operator publishes", req{method: "POST", path: whip, token: "operator", ctype: "application/sdp", body: offerSDP}, 403, "role operator may not POST"},
		{"a gateway publishes", req{method: "POST", path: whip, token: "gateway", ctype: "application/sdp", body: offerSDP}, 403, "gateway"},
		{"a crew not dispatched", req{method: "POST", path: whip, token: "field:L-2", ctype: "application/sdp", body: offerSDP}, 403, "not dispatched"},
		{"publish to a closed incident", req{method: "POST", path: "/api/v1/media/incidents/2/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP}, 409, "closed"},
		{"publish to no incident", req{method: "POST", path: "/api/v1/media/incidents/99/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP}, 404, "99"},
		{"publish as JSON", req{method: "POST", path: whip, token: "field:E-1", ctype: "application/json", body: "{}"}, 415, "application/sdp"},
		{"publish nothing", req{method: "POST", path: whip, token: "field:E-1", ctype: "application/sdp", body: " "}, 400, "empty"},
		{"publish a huge offer", req{method: "POST", path: whip, token: "field:E-1", ctype: "application/sdp", body: strings.Repeat("a", maxSDPBody+1)}, 413, "larger"},
		{"view without a token", req{method: "POST", path: whep, ctype: "application/sdp", body: offerSDP}, 401, "sign in"},
		{"a crew views", req{method: "POST", path: whep, token: "field:E-1", ctype: "application/sdp", body: offerSDP}, 403, "role field"},
		{"view an unknown layer", req{method: "POST", path: whep + "?layer=ultra", token: "operator", ctype: "application/sdp", body: offerSDP}, 400, "low, mid or high"},
		{"view an unknown stream", req{method: "POST", path: "/api/v1/media/incidents/1/streams/X-9/whep", token: "operator", ctype: "application/sdp", body: offerSDP}, 404, "X-9"},
		{"end without a token", req{method: "DELETE", path: whip + "/s1"}, 401, "sign in"},
		{"patch without a token", req{method: "PATCH", path: whip + "/s1", ctype: "application/trickle-ice-sdpfrag", body: "a=end-of-candidates"}, 401, "sign in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, tt.r)
			p := problemOf(t, w)
			if w.Code != tt.status || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("%d %q, want %d with %q", w.Code, p.Detail, tt.status, tt.detail)
			}
			if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestWHIPSession(t *testing.T) {
	s, m := newMediaServer(t, DefaultConfig(), nil)
	w := do(t, s, req{method: "POST", path: "/api/v1/media/incidents/1/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP})
	if w.Code != http.StatusCreated || w.Header().Get("Content-Type") != "application/sdp" {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	loc, etag := w.Header().Get("Location"), w.Header().Get("ETag")
	if loc != "/api/v1/media/incidents/1/whip/s1" || etag != `"tag-s1"` {
		t.Errorf("Location %q, ETag %q", loc, etag)
	}
	links := w.Header().Values("Link")
	want := []string{`<stun:stun.example.net:3478>; rel="ice-server"`,
		`<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="crew"; credential="s3cret"; credential-type="password"`}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Errorf("Link headers:\n%s\nwant\n%s", strings.Join(links, "\n"), strings.Join(want, "\n"))
	}
	if w.Header().Get("Accept-Patch") != "application/trickle-ice-sdpfrag" {
		t.Errorf("Accept-Patch = %q", w.Header().Get("Accept-Patch"))
	}

	frag := "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 10.0.0.5 50000 typ host\r\n"
	tests := []struct {
		name   string
		r      req
		status int
	}{
		{"patch by another crew", req{token: "field:L-1", ctype: "application/trickle-ice-sdpfrag", body: frag}, 403},
		{"patch as JSON", req{token: "field:E-1", ctype: "application/json", body: "{}"}, 415},
		{"ICE restart", req{token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: frag, header: map[string]string{"If-Match": "*"}}, 422},
		{"stale entity tag", req{token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: frag, header: map[string]string{"If-Match": `"old"`}}, 412},
		{"huge fragment", req{token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: strings.Repeat("a", maxSDPFragBody+1)}, 413},
		{"candidates with the entity tag", req{token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: frag, header: map[string]string{"If-Match": etag}}, 204},
		{"end of candidates, no If-Match", req{token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: "a=end-of-candidates\r\n"}, 204},
		{"a supervisor's patch", req{token: "supervisor", ctype: "application/trickle-ice-sdpfrag", body: "a=end-of-candidates\r\n"}, 204},
		{"unknown session", req{path: "/api/v1/media/incidents/1/whip/nope", token: "field:E-1", ctype: "application/trickle-ice-sdpfrag", body: frag}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.method, tt.r.path = "PATCH", cmpOr(tt.r.path, loc)
			w := do(t, s, tt.r)
			problemOf(t, w)
			if w.Code != tt.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.status)
			}
		})
	}
	if len(m.frags) != 3 || m.frags[0] != frag {
		t.Errorf("fragments passed on: %q", m.frags)
	}
	if w := do(t, s, req{method: "DELETE", path: loc, token: "field:L-1"}); w.Code != 403 {
		t.Errorf("DELETE by another crew: %d", w.Code)
	}
	if w := do(t, s, req{method: "DELETE", path: loc, token: "field:E-1"}); w.Code != 200 {
		t.Errorf("DELETE by its crew: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, req{method: "DELETE", path: loc, token: "field:E-1"}); w.Code != 404 {
		t.Errorf("second DELETE: %d", w.Code)
	}

	// A console plays, asking for the low layer; a supervisor may end anyone's session.
	w = do(t, s, req{method: "POST", path: "/api/v1/media/incidents/1/streams/E-1/whep?layer=low", token: "risk", ctype: "application/sdp", body: offerSDP})
	if w.Code != 201 || len(m.layers) != 1 || m.layers[0] != "low" {
		t.Fatalf("play: %d %s, layers %v", w.Code, w.Body, m.layers)
	}
	viewer := w.Header().Get("Location")
	if w := do(t, s, req{method: "DELETE", path: viewer, token: "operator"}); w.Code != 403 {
		t.Errorf("DELETE of the risk officer's viewer by an operator: %d", w.Code)
	}
	if w := do(t, s, req{method: "DELETE", path: viewer, token: "supervisor"}); w.Code != 200 {
		t.Errorf("DELETE by a supervisor: %d %s", w.Code, w.Body)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestMediaOptionsAndCORS(t *testing.T) {
	s, _ := newMediaServer(t, DefaultConfig(), nil)
	// A browser's preflight: no token, CORS headers, no ICE servers.
	w := do(t, s, req{method: "OPTIONS", path: "/api/v1/media/incidents/1/whip",
		header: map[string]string{"Origin": "http://console.example", "Access-Control-Request-Method": "POST"}})
	h := w.Header()
	if w.Code != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") || len(h.Values("Link")) != 0 {
		t.Errorf("preflight: %d %v", w.Code, h)
	}
	// A WHIP client's OPTIONS with its token learns the ICE servers.
	w = do(t, s, req{method: "OPTIONS", path: "/api/v1/media/incidents/1/whip", token: "field:E-1"})
	if w.Code != 204 || len(w.Header().Values("Link")) != 2 || w.Header().Get("Accept-Post") != "application/sdp" {
		t.Errorf("OPTIONS with a token: %d %v", w.Code, w.Header())
	}
	w = do(t, s, req{method: "OPTIONS", path: "/api/v1/media/incidents/1/whip"})
	if w.Code != 204 || len(w.Header().Values("Link")) != 0 {
		t.Errorf("OPTIONS without a token told the ICE servers: %v", w.Header())
	}
	// A cross-origin POST can read the Location.
	w = do(t, s, req{method: "POST", path: "/api/v1/media/incidents/1/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP,
		header: map[string]string{"Origin": "http://console.example"}})
	if w.Code != 201 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("cross-origin publish: %d %v", w.Code, w.Header())
	}
}

func TestMediaRouting(t *testing.T) {
	self := fireline.MediaNode{ID: "media-a", URL: "http://media-a.example:8080"}
	s, m := newMediaServer(t, DefaultConfig(), fakeNodes{self: self})
	// The room of incident 1 is here; that of 3 is on media-b.
	w := do(t, s, req{method: "POST", path: "/api/v1/media/incidents/1/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP})
	if w.Code != 201 {
		t.Fatalf("publish to the local room: %d %s", w.Code, w.Body)
	}
	s3 := func(id int64) (fireline.Incident, error) {
		return fireline.Incident{ID: id, Status: fireline.IncidentActive, Assignments: []fireline.Assignment{{UnitID: "E-1"}}}, nil
	}
	s.store = incidentStore{mediaStore{&fakeStore{}}, s3}
	w = do(t, s, req{method: "POST", path: "/api/v1/media/incidents/3/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP})
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != otherNode.URL+"/api/v1/media/incidents/3/whip" {
		t.Fatalf("publish to media-b's room: %d %v", w.Code, w.Header())
	}
	w = do(t, s, req{method: "POST", path: "/api/v1/media/incidents/3/streams/L-9/whep?layer=low", token: "operator", ctype: "application/sdp", body: offerSDP})
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != otherNode.URL+"/api/v1/media/incidents/3/streams/L-9/whep?layer=low" {
		t.Fatalf("play from media-b's room: %d %v", w.Code, w.Header())
	}
	if m.n != 1 {
		t.Errorf("sessions opened here: %d, want 1", m.n)
	}
	// Unauthorised requests are refused here, not sent on.
	if w := do(t, s, req{method: "POST", path: "/api/v1/media/incidents/3/whip", token: "risk", ctype: "application/sdp", body: offerSDP}); w.Code != 403 {
		t.Errorf("risk publish to a remote room: %d", w.Code)
	}

	var info mediaRoomInfo
	w = do(t, s, req{method: "GET", path: "/api/v1/media/incidents/3", token: "operator"})
	if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil || w.Code != 200 {
		t.Fatalf("room info: %d %s", w.Code, w.Body)
	}
	if info.Node == nil || *info.Node != otherNode || info.WHIP != otherNode.URL+"/api/v1/media/incidents/3/whip" ||
		info.WHEP != otherNode.URL+"/api/v1/media/incidents/3/streams/{stream}/whep" || len(info.Streams) != 1 || info.Streams[0].Stream != "L-9" {
		t.Errorf("room info = %+v", info)
	}
	w = do(t, s, req{method: "GET", path: "/api/v1/media/incidents/7", token: "operator"})
	info = mediaRoomInfo{}
	if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil || info.Node != nil || info.WHIP != "/api/v1/media/incidents/7/whip" {
		t.Errorf("room info of an unassigned room: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, req{method: "GET", path: "/api/v1/media/incidents/3", token: "field:L-2"}); w.Code != 403 {
		t.Errorf("room info for a crew not on the incident: %d", w.Code)
	}
	if w := do(t, s, req{method: "GET", path: "/api/v1/media/incidents/3", token: "field:E-1"}); w.Code != 200 {
		t.Errorf("room info for a crew on the incident: %d %s", w.Code, w.Body)
	}
	// The streams of a remote room are those its node reported.
	w = do(t, s, req{method: "GET", path: "/api/v1/media/incidents/3/streams", token: "operator"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"L-9"`) {
		t.Errorf("streams of a remote room: %d %s", w.Code, w.Body)
	}
}

type incidentStore struct {
	mediaStore
	incident func(int64) (fireline.Incident, error)
}

func (s incidentStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	return s.incident(id)
}

func TestMediaOnlyNode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MediaOnly = true
	s, _ := newMediaServer(t, cfg, nil)
	if w := do(t, s, req{method: "GET", path: "/api/v1/incidents", token: "operator"}); w.Code != 404 || !strings.Contains(w.Body.String(), "media node") {
		t.Errorf("API route on a media node: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, req{method: "GET", path: "/healthz"}); w.Code != 200 {
		t.Errorf("/healthz: %d", w.Code)
	}
	if w := do(t, s, req{method: "POST", path: "/api/v1/media/incidents/1/whip", token: "field:E-1", ctype: "application/sdp", body: offerSDP}); w.Code != 201 {
		t.Errorf("publish on a media node: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, req{method: "GET", path: "/metrics"}); w.Code != 401 {
		t.Errorf("/metrics without a token: %d", w.Code)
	}
	if w := do(t, s, req{method: "GET", path: "/metrics", token: "field:E-1"}); w.Code != 403 {
		t.Errorf("/metrics for a crew: %d", w.Code)
	}
	w := do(t, s, req{method: "GET", path: "/metrics", token: "supervisor"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") || w.Body.String() != "fireline_media_rooms 1\n" {
		t.Errorf("/metrics: %d %v %q", w.Code, w.Header(), w.Body)
	}
	w = do(t, s.MetricsHandler(), req{method: "GET", path: "/metrics"})
	if w.Code != 200 || w.Body.String() != "fireline_media_rooms 1\n" {
		t.Errorf("metrics listener: %d %q", w.Code, w.Body)
	}
}

func TestMediaEventCarriesStreams(t *testing.T) {
	s, _ := newMediaServer(t, DefaultConfig(), nil)
	ch := s.hub.subscribe()
	defer s.hub.unsubscribe(ch)
	s.Publish(fireline.Change{Kind: "media", ID: "incident:1", IncidentID: 1})
	c := <-ch
	if c.Kind != "media" || len(c.Streams) != 1 || c.Streams[0].Stream != "E-1" || c.Streams[0].Bitrate != 900_000 {
		t.Errorf("media notice = %+v", c)
	}
}
