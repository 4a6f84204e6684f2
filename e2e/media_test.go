package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media/whipclient"
)

// TestMedia runs the live video of issue 5 on the real stack: who may publish and view, an
// encoder-style WHIP client (pion) and GStreamer's, a second media node holding rooms that the
// first redirects to, the room closing with its incident, the metrics, and in headless
// Chromium a field page publishing while consoles play, one of them late, and a simulcast
// camera whose low layer a viewer asks for.
func TestMedia(t *testing.T) {
	s := newStack(t)
	metrics := freePort(t)
	s.flags = []string{"--metrics", fmt.Sprintf("127.0.0.1:%d", metrics)}
	// A TURN credential is a secret: the environment carries it, never a flag (ps shows those).
	s.env = []string{"FIRELINE_ICE_SERVERS=stun:stun.example.net:3478 turn:turn.example.net:3478?transport=udp;username=crew;credential=s3cret"}
	s.start()
	op := s.login("operator")

	// Three incidents a few kilometres apart, so intake does not merge them, each with units
	// dispatched; a fourth, cancelled.
	camA, unitsA := dispatchedIncident(t, s, op, "e2e-media-a", fireline.Point{Lat: 36.4560, Lng: 115.9850})
	camB, unitsB := dispatchedIncident(t, s, op, "e2e-media-b", fireline.Point{Lat: 36.4300, Lng: 115.9500})
	cancelled := openIncident(t, s, op, "e2e-media-c", fireline.Point{Lat: 36.4900, Lng: 116.0200})
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/cancel", cancelled), op, map[string]string{"reason": "e2e: a false alarm"}, nil)
	crewA := s.login("crew-" + unitsA[0])
	whipA := fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, camA)

	t.Run("unauthorised publish and view are refused", func(t *testing.T) {
		var notDispatched string
		var avail struct{ Units []fireline.Unit }
		s.must(http.StatusOK, "GET", "/api/v1/units?status=available", op, nil, &avail)
		notDispatched = avail.Units[0].ID
		whep := fmt.Sprintf("/api/v1/media/incidents/%d/streams/%s/whep", camA, unitsA[0])
		tests := []struct {
			name, path, token string
			status            int
		}{
			{"publish without a token", whipA, "", 401},
			{"publish with a forged token", whipA, "forged", 401},
			{"publish by a crew not dispatched", whipA, s.login("crew-" + notDispatched), 403},
			{"publish by the risk officer", whipA, s.login("risk"), 403},
			{"publish to a cancelled incident", fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, cancelled), crewA, 409},
			{"view by a crew", s.base + whep, crewA, 403},
			{"view without a token", s.base + whep, "", 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, hdr, body := postSDP(t, tt.path, tt.token, "v=0\r\n")
				if code != tt.status {
					t.Fatalf("%d %s, want %d", code, body, tt.status)
				}
				if code == 401 && hdr.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
	})

	t.Run("a pion WHIP client publishes and a WHEP client plays", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		pub, err := (&whipclient.Client{Token: crewA, LoopbackOnly: true}).Publish(ctx, whipA)
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		go pub.SendFrames(ctx)
		if len(pub.ICEServers) != 2 || pub.ICEServers[1].Username != "crew" || pub.ETag == "" {
			t.Errorf("ICE servers %+v, ETag %q: want the configured STUN and TURN servers and an entity tag", pub.ICEServers, pub.ETag)
		}
		if err := pub.Connected(ctx); err != nil {
			t.Fatal(err)
		}
		if err := pub.TrickleErr(); err != nil {
			t.Fatalf("trickled candidates refused: %v", err)
		}
		// Another crew may not end it; its own may.
		if code := deleteSession(t, pub.Location.String(), s.login("crew-"+unitsA[1])); code != 403 {
			t.Errorf("DELETE by another crew: %d, want 403", code)
		}
		play, err := (&whipclient.Client{Token: op, LoopbackOnly: true}).Play(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/streams/%s/whep", s.base, camA, unitsA[0]))
		if err != nil {
			t.Fatalf("play: %v", err)
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			return play.Packets() > 30, fmt.Sprintf("the viewer got %d packets", play.Packets())
		})
		var streams struct{ Streams []streamInfo }
		eventually(t, 10*time.Second, func() (bool, string) {
			s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/media/incidents/%d/streams", camA), op, nil, &streams)
			ok := len(streams.Streams) == 1 && streams.Streams[0].Bitrate > 0 && streams.Streams[0].Viewers == 1
			return ok, fmt.Sprintf("streams %+v: want %s with a bitrate and one viewer", streams.Streams, unitsA[0])
		})
		// The consoles' event stream carries the room's statistics every few seconds.
		ev := mediaEvent(t, s, op, camA)
		if len(ev.Streams) != 1 || ev.Streams[0].Stream != unitsA[0] {
			t.Errorf("media event %+v: want the stream of %s", ev, unitsA[0])
		}
		t.Logf("pion publisher: %d bit/s, jitter %.2f ms, %d lost; viewer got %d packets",
			streams.Streams[0].Bitrate, streams.Streams[0].TrackStats[0].JitterMS, streams.Streams[0].PacketsLost, play.Packets())

		body := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics))
		for _, want := range []string{"fireline_media_publishers 1", "fireline_media_viewers 1",
			fmt.Sprintf(`fireline_media_stream_viewers{room="incident:%d",stream="%s"} 1`, camA, unitsA[0])} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
		if code, _ := s.call("GET", "/metrics", "", nil, nil); code != 401 {
			t.Errorf("/metrics on the API listener without a token: %d, want 401", code)
		}
		if err := play.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := pub.Close(ctx); err != nil {
			t.Error(err)
		}
	})

	t.Run("GStreamer publishes over WHIP", func(t *testing.T) {
		gstreamerPublishes(t, s, op, camA, unitsA[1])
	})

	t.Run("a second media node holds rooms; the first redirects to it", func(t *testing.T) {
		secondMediaNode(t, s, op, camB, unitsB[0])
	})

	t.Run("browser: field page publishes, consoles play, one late; simulcast", func(t *testing.T) {
		browserMedia(t, s, camA, unitsA[0], unitsA[1])
	})
}

// streamInfo is what the API says of a live stream.
type streamInfo struct {
	Stream      string   `json:"stream"`
	Viewers     int      `json:"viewers"`
	Bitrate     uint64   `json:"bitrate_bps"`
	Packets     uint64   `json:"packets"`
	PacketsLost int64    `json:"packets_lost"`
	Layers      []string `json:"layers"`
	TrackStats  []struct {
		Layer    string  `json:"layer"`
		Bitrate  uint64  `json:"bitrate_bps"`
		JitterMS float64 `json:"jitter_ms"`
	} `json:"track_stats"`
}

// mediaEvent waits on the event stream for a media notice of the incident's room.
func mediaEvent(t *testing.T, s *stack, token string, incident int64) (ev struct {
	IncidentID int64        `json:"incident_id"`
	Streams    []streamInfo `json:"streams"`
}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/api/v1/events?token="+token, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	media := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "event: media":
			media = true
		case media && strings.HasPrefix(line, "data: "):
			media = false
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err == nil && ev.IncidentID == incident {
				return ev
			}
		}
	}
	t.Fatalf("no media event for incident %d within 15 s", incident)
	return ev
}

// openIncident reports an alarm and waits for its recommendation.
func openIncident(t *testing.T, s *stack, op, sourceID string, at fireline.Point) int64 {
	t.Helper()
	var receipt struct {
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
		"source": "call", "source_id": sourceID, "type": "structure_fire", "lat": at.Lat, "lng": at.Lng,
		"reported_at": time.Now().UTC().Format(time.RFC3339),
	}, &receipt)
	return receipt.IncidentID
}

// dispatchedIncident opens an incident, assesses it and dispatches its recommendation.
func dispatchedIncident(t *testing.T, s *stack, op, sourceID string, at fireline.Point) (int64, []string) {
	t.Helper()
	id := openIncident(t, s, op, sourceID, at)
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	var inc fireline.Incident
	eventually(t, 30*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return len(inc.Recommendation) >= 2, "a recommendation of two units or more on " + path
	})
	s.must(http.StatusOK, "POST", path+"/assess", op, map[string]any{"type": "structure_fire", "level": 1, "priority": 2}, nil)
	var units []string
	for _, r := range inc.Recommendation {
		units = append(units, r.UnitID)
	}
	s.must(http.StatusOK, "POST", path+"/dispatch", op, map[string]any{"unit_ids": units}, nil)
	return id, units
}

func postSDP(t *testing.T, url, token, sdp string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(sdp))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func deleteSession(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("DELETE", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// gstreamerPublishes publishes a GStreamer test pattern over WHIP. Debian 12's GStreamer 1.22
// has no whipsink or whipclientsink element (they are in gst-plugins-rs, which Debian does not
// package); its simple-whip-client aborts before its first request, linking libsoup 2.4 while
// libnice, which webrtcbin uses, links libsoup 3. So after trying those, the test publishes
// with e2e/gstreamer/whip.py: GStreamer's webrtcbin driven through its Python bindings.
func gstreamerPublishes(t *testing.T, s *stack, op string, incident int64, unit string) {
	var tried []string
	for _, el := range []string{"whipclientsink", "whipsink"} {
		if exec.Command("gst-inspect-1.0", el).Run() == nil {
			tried = append(tried, "element "+el+" (present, not driven by this test)")
		} else {
			tried = append(tried, "element "+el+" (gst-inspect-1.0: no such element)")
		}
	}
	crew := s.login("crew-" + unit)
	endpoint := fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, incident)
	pipeline := "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! queue ! " +
		"vp8enc deadline=1 target-bitrate=300000 ! rtpvp8pay pt=96 ssrc=2 ! queue ! application/x-rtp,media=video,encoding-name=VP8,payload=96"
	clients := []struct {
		name string
		args []string
	}{
		{"simple-whip-client", []string{"whip-client", "-u", endpoint, "-t", crew, "-l", "4", "-o", "-V", pipeline}},
		{"webrtcbin (e2e/gstreamer/whip.py)", []string{"/usr/bin/python3", "gstreamer/whip.py", endpoint, crew, "60"}},
	}
	for _, c := range clients {
		if _, err := exec.LookPath(c.args[0]); err != nil {
			tried = append(tried, c.name+" (not installed: run `make deps`)")
			continue
		}
		if c.args[0] == "/usr/bin/python3" && exec.Command(c.args[0], "-c", "import gi; gi.require_version('GstWebRTC', '1.0')").Run() != nil {
			tried = append(tried, c.name+" (python3-gst-1.0 or gir1.2-gst-plugins-bad-1.0 missing: run `make deps`)")
			continue
		}
		ok, why := gstreamerClient(t, s, op, incident, unit, c.args)
		if ok {
			t.Logf("GStreamer published with %s; tried before it: %s", c.name, strings.Join(tried, "; "))
			return
		}
		tried = append(tried, c.name+" ("+why+")")
	}
	t.Skipf("no GStreamer WHIP client could publish on this machine; tried: %s", strings.Join(tried, "; "))
}

// gstreamerClient runs one WHIP client until the SFU has its packets. It fails the test if the
// client ran but the SFU got nothing; it reports false with the reason if the client could not
// run at all here.
func gstreamerClient(t *testing.T, s *stack, op string, incident int64, unit string, args []string) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return false, err.Error()
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT) // both clients end their session on SIGINT
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", args[0], out)
		}
	}()
	var streams struct{ Streams []streamInfo }
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			if strings.Contains(out.String(), "libsoup2 symbols detected") {
				return false, "aborts at start: it links libsoup 2.4, webrtcbin's libnice links libsoup 3"
			}
			t.Fatalf("%s exited before publishing:\n%s", args[0], out)
		default:
		}
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/media/incidents/%d/streams", incident), op, nil, &streams)
		for _, st := range streams.Streams {
			if st.Stream == unit && st.Packets > 50 {
				t.Logf("%s published %d packets at %d bit/s", args[0], st.Packets, st.Bitrate)
				return true, ""
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SFU has no packets from %s after 30 s: %+v\n%s", args[0], streams.Streams, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// syncBuffer is a strings.Builder safe for a process's output and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var pgPort = regexp.MustCompile(`PostgreSQL starting.* port=(\d+)`)

// secondMediaNode starts `fireline serve --roles media` against the stack's PostgreSQL, puts a
// room on it and plays it through the first node, which must redirect; then the incident's
// closing, done by the first node's worker, must end the stream on the second.
func secondMediaNode(t *testing.T, s *stack, op string, incident int64, unit string) {
	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := pgPort.FindSubmatch(log)
	if m == nil {
		t.Fatalf("no PostgreSQL port in the stack's log")
	}
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	logPath := filepath.Join(s.dir, "media-b.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(binary(t), "serve", "--roles", "media", "--http", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), fmt.Sprintf("DATABASE_URL=postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", m[1]))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("media node did not exit cleanly: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("media node still running 30 s after SIGINT")
		}
	}
	defer func() {
		stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("media node log:\n%s", b)
		}
	}()
	eventually(t, 30*time.Second, func() (bool, string) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return resp.StatusCode == 200, "media node /healthz"
		}
		return false, "media node up: " + err.Error()
	})
	if code, _, _ := postSDP(t, url+"/api/v1/alarms", op, "{}"); code != 404 {
		t.Errorf("an API route on the media node: %d, want 404", code)
	}

	// The room goes to the less loaded node: the idle second one, unless the first has shed
	// the earlier subtests' rooms; either way one node holds it and the other redirects.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	crewA := s.login("crew-" + unit)
	busy, err := (&whipclient.Client{Token: crewA, LoopbackOnly: true}).Publish(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, incident))
	if err != nil {
		t.Fatalf("publish through the first node: %v", err)
	}
	go busy.SendFrames(ctx)
	if err := busy.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	var room struct {
		Node *struct{ ID, URL string } `json:"node"`
		WHIP string                    `json:"whip"`
	}
	s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/media/incidents/%d", incident), op, nil, &room)
	if room.Node == nil || room.WHIP != room.Node.URL+fmt.Sprintf("/api/v1/media/incidents/%d/whip", incident) {
		t.Fatalf("room of incident %d: %+v", incident, room)
	}
	holder := room.Node.URL
	other := s.base
	if holder == s.base {
		other = url
	} else if holder != url {
		t.Fatalf("room on %s, neither node", holder)
	}
	if busy.Redirects != map[bool]int{true: 0, false: 1}[holder == s.base] || !strings.HasPrefix(busy.Location.String(), holder+"/") {
		t.Errorf("publish took %d redirects to %s; the room is on %s", busy.Redirects, busy.Location, holder)
	}
	t.Logf("room of incident %d on %s (published with %d redirect)", incident, holder, busy.Redirects)

	// A console asking the node without the room is sent to the one with it.
	play, err := (&whipclient.Client{Token: op, LoopbackOnly: true}).Play(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/streams/%s/whep?layer=low", other, incident, unit))
	if err != nil {
		t.Fatalf("play through %s: %v", other, err)
	}
	if play.Redirects != 1 || !strings.HasPrefix(play.Location.String(), holder+"/") {
		t.Errorf("play took %d redirects to %s, want 1 to %s", play.Redirects, play.Location, holder)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		return play.Packets() > 30, fmt.Sprintf("the viewer got %d packets", play.Packets())
	})
	if holder != s.base {
		// The console, served by the first node, follows the redirect to the second.
		runBrowser(t, s, map[string]string{"FIRELINE_MODE": "redirect", "FIRELINE_INCIDENT": fmt.Sprint(incident), "FIRELINE_UNIT": unit})
	}
	// Every API node knows the room's streams, reported by its node through PostgreSQL.
	var streams struct{ Streams []streamInfo }
	eventually(t, 15*time.Second, func() (bool, string) {
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/media/incidents/%d/streams", incident), op, nil, &streams)
		return len(streams.Streams) == 1 && streams.Streams[0].Viewers == 1, fmt.Sprintf("streams %+v", streams.Streams)
	})

	// The incident closes (its units clear first): the room closes wherever it is.
	path := fmt.Sprintf("/api/v1/incidents/%d", incident)
	var inc fireline.Incident
	s.must(http.StatusOK, "GET", path, op, nil, &inc)
	for _, a := range inc.Assignments {
		crew := s.login("crew-" + a.UnitID)
		for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene, fireline.UnitAvailable} {
			s.must(http.StatusAccepted, "POST", "/api/v1/units/"+a.UnitID+"/status", crew, map[string]string{"status": string(st)}, nil)
		}
	}
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.ClearedAt != nil }, "every unit cleared")
	s.must(http.StatusOK, "POST", path+"/close", op, map[string]string{"reason": "e2e: fire out"}, nil)
	eventually(t, 30*time.Second, func() (bool, string) {
		st := busy.ConnectionState()
		return st == "closed" || st == "failed" || st == "disconnected", "the publisher's connection after the incident closed: " + st
	})
	eventually(t, 15*time.Second, func() (bool, string) {
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/media/incidents/%d/streams", incident), op, nil, &streams)
		return len(streams.Streams) == 0, fmt.Sprintf("streams after close: %+v", streams.Streams)
	})
	if code, _, body := postSDP(t, fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", holder, incident), crewA, "v=0\r\n"); code != 409 {
		t.Errorf("publish to the closed incident: %d %s, want 409", code, body)
	}
	_ = busy.Close(context.Background())
	_ = play.Close(context.Background())
	stop()
}

// browserMedia runs e2e/browser/media.test.mjs.
func browserMedia(t *testing.T, s *stack, incident int64, unit, simulcastUnit string) {
	runBrowser(t, s, map[string]string{"FIRELINE_INCIDENT": fmt.Sprint(incident), "FIRELINE_UNIT": unit, "FIRELINE_SIMULCAST_UNIT": simulcastUnit})
}

// runBrowser runs e2e/browser/media.test.mjs with the stack's address and env, and logs what
// it measured.
func runBrowser(t *testing.T, s *stack, env map[string]string) {
	t.Helper()
	script := browserScript(t, "media.test.mjs")
	out := runScript(t, s, script, artifactsDir(t), 3*time.Minute, env)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			var res map[string]any
			if err := json.Unmarshal([]byte(r), &res); err == nil {
				t.Logf("measured: %v", res)
			}
		}
	}
}
