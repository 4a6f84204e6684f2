package media_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
	pionmedia "github.com/pion/webrtc/v3/pkg/media"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// The tests run real pion peers against a real Server over loopback UDP: the publisher and
// viewer are what a field phone and a console browser would be, minus the camera.

const (
	room    = "incident:1"
	waitFor = 10 * time.Second // generous: -race on a shared 2-core machine
)

// testLog sends the server's log to t.Log until the test ends; pion goroutines may still log
// during shutdown, and t.Log after the end would panic.
type testLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func newServer(t *testing.T, cfg media.Config) *media.Server {
	t.Helper()
	w := &testLog{t: t}
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := media.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return srv
}

// clientAPI is a browser-like pion stack: default codecs (or only the given video codecs) and
// interceptors, loopback only, short ICE timeouts so a dead server is noticed quickly.
func clientAPI(t *testing.T, codecs ...webrtc.RTPCodecParameters) *webrtc.API {
	t.Helper()
	return clientAPIWith(t, nil, codecs...)
}

// clientAPIWith is clientAPI with extra interceptors.
func clientAPIWith(t *testing.T, extra []interceptor.Factory, codecs ...webrtc.RTPCodecParameters) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if len(codecs) == 0 {
		if err := m.RegisterDefaultCodecs(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	for _, f := range extra {
		ir.Add(f)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICETimeouts(2*time.Second, 4*time.Second, 500*time.Millisecond)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// offer returns pc's complete (non-trickle) offer.
func offer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(waitFor):
		t.Fatal("client ICE gathering timed out")
	}
	return pc.LocalDescription().SDP
}

func accept(t *testing.T, pc *webrtc.PeerConnection, answer string) {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatalf("client SetRemoteDescription: %v", err)
	}
}

// publisher is a field unit's camera: VP8 frames of junk every 33 ms.
type publisher struct {
	pc      *webrtc.PeerConnection
	session fireline.MediaSession
	plis    atomic.Int64 // keyframe requests received from the server
}

func publish(t *testing.T, srv *media.Server, room, stream string) *publisher {
	t.Helper()
	p, err := tryPublish(t, srv, room, stream, pubOpts{})
	if err != nil {
		t.Fatalf("Publish(%s, %s): %v", room, stream, err)
	}
	return p
}

type pubOpts struct {
	codecs []string // MIME types, one track each; default VP8 only
	silent bool     // negotiate but never send a frame
}

func tryPublish(t *testing.T, srv *media.Server, room, stream string, o pubOpts) (*publisher, error) {
	t.Helper()
	if len(o.codecs) == 0 {
		o.codecs = []string{webrtc.MimeTypeVP8}
	}
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	p := &publisher{pc: pc}
	var tracks []*webrtc.TrackLocalStaticSample
	for _, mime := range o.codecs {
		kind := strings.Split(mime, "/")[0]
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: mime}, kind, stream)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, track)
		go func() {
			for {
				pkts, _, err := tr.Sender().ReadRTCP()
				if err != nil {
					return
				}
				for _, pkt := range pkts {
					if _, ok := pkt.(*rtcp.PictureLossIndication); ok {
						p.plis.Add(1)
					}
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	p.session, err = srv.Publish(ctx, room, stream, offer(t, pc))
	if err != nil {
		return nil, err
	}
	accept(t, pc, p.session.AnswerSDP)
	if o.silent {
		return p, nil
	}

	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		// Junk is fine: the SFU forwards packets and never decodes. H.264 needs a NAL start
		// code for pion's payloader to find a unit.
		frame := append([]byte{0, 0, 0, 1, 0x65}, make([]byte, 600)...)
		for i := 5; i < len(frame); i++ {
			frame[i] = byte(i) | 1
		}
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, track := range tracks {
					// Errors before ICE connects and after the server hangs up are expected.
					_ = track.WriteSample(pionmedia.Sample{Data: frame, Duration: 33 * time.Millisecond})
				}
			}
		}
	}()
	return p, nil
}

// viewer is a console: it offers to receive video and audio and reports what arrives.
type viewer struct {
	pc      *webrtc.PeerConnection
	session fireline.MediaSession
	packets chan received
	ended   chan struct{} // closed when the video track stops or the connection dies
	endOnce sync.Once
}

type received struct {
	mime      string
	wantPT    uint8 // the payload type negotiated for the track
	gotPT     uint8
	timestamp uint32
}

func play(t *testing.T, srv *media.Server, room, stream string) *viewer {
	t.Helper()
	v, err := tryPlay(t, srv, room, stream)
	if err != nil {
		t.Fatalf("Play(%s, %s): %v", room, stream, err)
	}
	return v
}

func tryPlay(t *testing.T, srv *media.Server, room, stream string) (*viewer, error) {
	t.Helper()
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	v := &viewer{pc: pc, packets: make(chan received, 1024), ended: make(chan struct{})}
	end := func() { v.endOnce.Do(func() { close(v.ended) }) }
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			end()
		}
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		defer end()
		for {
			pkt, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			select {
			case v.packets <- received{mime: track.Codec().MimeType, wantPT: uint8(track.Codec().PayloadType), gotPT: pkt.PayloadType, timestamp: pkt.Timestamp}:
			default: // the test reads only a few
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()
	v.session, err = srv.Play(ctx, room, stream, offer(t, pc))
	if err != nil {
		return nil, err
	}
	accept(t, pc, v.session.AnswerSDP)
	return v, nil
}

// waitPacket waits for an RTP packet of the given MIME type.
func (v *viewer) waitPacket(t *testing.T, mime string) received {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case r := <-v.packets:
			if strings.EqualFold(r.mime, mime) {
				return r
			}
		case <-deadline:
			t.Fatalf("viewer got no %s packet within %v", mime, waitFor)
		}
	}
}

func (v *viewer) waitEnded(t *testing.T) {
	t.Helper()
	select {
	case <-v.ended:
	case <-time.After(2 * waitFor):
		t.Fatalf("viewer's track still running %v after its stream ended", 2*waitFor)
	}
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func findStream(srv *media.Server, room, stream string) (fireline.StreamInfo, bool) {
	for _, s := range srv.Streams(room) {
		if s.Stream == stream {
			return s, true
		}
	}
	return fireline.StreamInfo{}, false
}

func TestPublishPlayForwards(t *testing.T) {
	tests := []struct {
		name   string
		codecs []string
	}{
		{"VP8", []string{webrtc.MimeTypeVP8}},
		{"H.264", []string{webrtc.MimeTypeH264}},
		{"VP8 and Opus", []string{webrtc.MimeTypeVP8, webrtc.MimeTypeOpus}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, media.Config{})
			pub, err := tryPublish(t, srv, room, "E-1", pubOpts{codecs: tt.codecs})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if pub.session.ID == "" || pub.session.Room != room || pub.session.Stream != "E-1" {
				t.Fatalf("publish session = %+v", pub.session)
			}
			if !strings.Contains(pub.session.AnswerSDP, "a=candidate:") {
				t.Fatalf("answer has no ICE candidates (must be non-trickle):\n%s", pub.session.AnswerSDP)
			}
			// The viewer joins at once, before the publisher's first packet: Play must wait
			// for every track, or the viewer would miss the ones that arrive later.
			v := play(t, srv, room, "E-1")
			for _, mime := range tt.codecs {
				r := v.waitPacket(t, mime)
				if r.gotPT != r.wantPT {
					t.Errorf("viewer got %s with payload type %d, negotiated as %d", mime, r.gotPT, r.wantPT)
				}
			}

			eventually(t, "stream stats", func() bool {
				info, ok := findStream(srv, room, "E-1")
				return ok && info.Packets > 0 && info.Bytes > 0
			})
			info, _ := findStream(srv, room, "E-1")
			if got, want := strings.ToLower(strings.Join(slices.Sorted(slices.Values(info.Tracks)), ",")),
				strings.ToLower(strings.Join(slices.Sorted(slices.Values(tt.codecs)), ",")); got != want {
				t.Errorf("Tracks = %s, want %s", got, want)
			}
			if info.Viewers != 1 {
				t.Errorf("Viewers = %d, want 1", info.Viewers)
			}
			if info.StartedAt.IsZero() || time.Since(info.StartedAt) > time.Minute {
				t.Errorf("StartedAt = %v", info.StartedAt)
			}
		})
	}
}

func TestPlayOfSilentStream(t *testing.T) {
	srv := newServer(t, media.Config{TrackWait: 300 * time.Millisecond})
	if _, err := tryPublish(t, srv, room, "E-1", pubOpts{silent: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := tryPlay(t, srv, room, "E-1")
	if fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Fatalf("Play of a stream with no media = %v, want EUNAVAILABLE", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("Play gave up after %v, before TrackWait", waited)
	}
}

func TestLateViewerGetsKeyframeRequest(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publish(t, srv, room, "E-1")
	eventually(t, "the publisher's track", func() bool {
		info, ok := findStream(srv, room, "E-1")
		return ok && info.Packets > 10
	})
	before := pub.plis.Load()
	v := play(t, srv, room, "E-1")
	v.waitPacket(t, webrtc.MimeTypeVP8)
	eventually(t, "a PLI at the publisher after the viewer joined", func() bool { return pub.plis.Load() > before })
}

func TestViewerPLIReachesPublisher(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publish(t, srv, room, "E-1")
	v := play(t, srv, room, "E-1")
	v.waitPacket(t, webrtc.MimeTypeVP8)
	time.Sleep(500 * time.Millisecond) // past the server's PLI throttle after the join PLI
	before := pub.plis.Load()
	var mediaSSRC uint32
	for _, tr := range v.pc.GetTransceivers() {
		if tr.Kind() == webrtc.RTPCodecTypeVideo && tr.Receiver() != nil && tr.Receiver().Track() != nil {
			mediaSSRC = uint32(tr.Receiver().Track().SSRC())
		}
	}
	if mediaSSRC == 0 {
		t.Fatal("viewer has no video track")
	}
	if err := v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: mediaSSRC}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the viewer's PLI forwarded to the publisher", func() bool { return pub.plis.Load() > before })
}

func TestErrors(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publish(t, srv, room, "E-1")

	// A recvonly offer is a viewer's offer sent to the publish endpoint.
	viewerPC, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = viewerPC.Close() })
	if _, err := viewerPC.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	recvOffer := offer(t, viewerPC)

	// A camera that speaks only VP9, which the server does not forward.
	vp9 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}, PayloadType: 98}
	vp9PC, err := clientAPI(t, vp9).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vp9PC.Close() })
	vp9Track, err := webrtc.NewTrackLocalStaticSample(vp9.RTPCodecCapability, "video", "E-3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vp9PC.AddTransceiverFromTrack(vp9Track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	vp9Offer := offer(t, vp9PC)

	ctx := context.Background()
	tests := []struct {
		name string
		do   func() error
		code string
		msg  string // part of the message users see
	}{
		{"second publish of a live stream", func() error {
			_, err := tryPublish(t, srv, room, "E-1", pubOpts{})
			return err
		}, fireline.ECONFLICT, `"E-1"`},
		{"same stream in another room is fine", func() error {
			_, err := tryPublish(t, srv, "incident:2", "E-1", pubOpts{})
			return err
		}, "", ""},
		{"play of unknown stream", func() error {
			_, err := tryPlay(t, srv, room, "E-99")
			return err
		}, fireline.ENOTFOUND, `"E-99"`},
		{"play in unknown room", func() error {
			_, err := tryPlay(t, srv, "incident:404", "E-1")
			return err
		}, fireline.ENOTFOUND, "incident:404"},
		{"garbage SDP to publish", func() error {
			_, err := srv.Publish(ctx, room, "E-2", "hello, I am not SDP")
			return err
		}, fireline.EINVALID, "SDP offer"},
		{"garbage SDP to play", func() error {
			_, err := srv.Play(ctx, room, "E-1", "v=0\r\nnonsense\r\n")
			return err
		}, fireline.EINVALID, "SDP offer"},
		{"empty SDP", func() error {
			_, err := srv.Publish(ctx, room, "E-2", "")
			return err
		}, fireline.EINVALID, "empty"},
		{"publish of a receive-only offer", func() error {
			_, err := srv.Publish(ctx, room, "E-2", recvOffer)
			return err
		}, fireline.EINVALID, "sends no audio or video"},
		{"publish in an unsupported codec", func() error {
			_, err := srv.Publish(ctx, room, "E-3", vp9Offer)
			return err
		}, fireline.EINVALID, "supported codec"},
		{"empty stream name", func() error {
			_, err := srv.Publish(ctx, room, "", recvOffer)
			return err
		}, fireline.EINVALID, "stream"},
		{"end of unknown session", func() error { return srv.End(room, "nope") }, fireline.ENOTFOUND, "nope"},
		{"end of a session in the wrong room", func() error { return srv.End("incident:2", pub.session.ID) }, fireline.ENOTFOUND, pub.session.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if got := fireline.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if msg := fireline.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not mention %q", msg, tt.msg)
			}
		})
	}
	// The failed attempts must not have left half-made streams behind.
	if got := srv.Streams(room); len(got) != 1 || got[0].Stream != "E-1" {
		t.Errorf("Streams(%s) = %+v, want only E-1", room, got)
	}
}

func TestEnd(t *testing.T) {
	t.Run("viewer", func(t *testing.T) {
		srv := newServer(t, media.Config{})
		publish(t, srv, room, "E-1")
		v1 := play(t, srv, room, "E-1")
		v2 := play(t, srv, room, "E-1")
		v1.waitPacket(t, webrtc.MimeTypeVP8)
		v2.waitPacket(t, webrtc.MimeTypeVP8)
		if info, _ := findStream(srv, room, "E-1"); info.Viewers != 2 {
			t.Fatalf("Viewers = %d, want 2", info.Viewers)
		}
		if err := srv.End(room, v1.session.ID); err != nil {
			t.Fatalf("End(viewer): %v", err)
		}
		v1.waitEnded(t)
		if info, _ := findStream(srv, room, "E-1"); info.Viewers != 1 {
			t.Errorf("Viewers after End = %d, want 1", info.Viewers)
		}
		v2.waitPacket(t, webrtc.MimeTypeVP8) // the other viewer still watches
		if err := srv.End(room, v1.session.ID); fireline.ErrorCode(err) != fireline.ENOTFOUND {
			t.Errorf("second End = %v, want ENOTFOUND", err)
		}
	})
	t.Run("publisher", func(t *testing.T) {
		srv := newServer(t, media.Config{})
		pub := publish(t, srv, room, "E-1")
		v := play(t, srv, room, "E-1")
		v.waitPacket(t, webrtc.MimeTypeVP8)
		if err := srv.End(room, pub.session.ID); err != nil {
			t.Fatalf("End(publisher): %v", err)
		}
		v.waitEnded(t)
		if got := srv.Streams(room); len(got) != 0 {
			t.Errorf("Streams after End = %+v, want none", got)
		}
		if err := srv.End(room, v.session.ID); fireline.ErrorCode(err) != fireline.ENOTFOUND {
			t.Errorf("End(viewer of ended stream) = %v, want ENOTFOUND", err)
		}
		// The name is free again: the crew may reconnect.
		publish(t, srv, room, "E-1")
	})
	t.Run("publisher hangs up", func(t *testing.T) {
		// Without a DELETE the server learns of it only from ICE going silent.
		srv := newServer(t, media.Config{PeerTimeout: 3 * time.Second})
		pub := publish(t, srv, room, "E-1")
		v := play(t, srv, room, "E-1")
		v.waitPacket(t, webrtc.MimeTypeVP8)
		if err := pub.pc.Close(); err != nil {
			t.Fatal(err)
		}
		v.waitEnded(t)
		eventually(t, "the stream to be removed", func() bool { return len(srv.Streams(room)) == 0 })
	})
}

func TestCloseRoom(t *testing.T) {
	srv := newServer(t, media.Config{})
	publish(t, srv, room, "E-1")
	publish(t, srv, room, "L-1")
	publish(t, srv, "incident:2", "E-1")
	v1 := play(t, srv, room, "E-1")
	v2 := play(t, srv, room, "L-1")
	other := play(t, srv, "incident:2", "E-1")
	for _, v := range []*viewer{v1, v2, other} {
		v.waitPacket(t, webrtc.MimeTypeVP8)
	}
	if got := srv.Streams(room); len(got) != 2 || got[0].Stream != "E-1" || got[1].Stream != "L-1" {
		t.Fatalf("Streams before = %+v, want E-1 and L-1", got)
	}

	srv.CloseRoom(room)
	v1.waitEnded(t)
	v2.waitEnded(t)
	if got := srv.Streams(room); len(got) != 0 {
		t.Errorf("Streams after CloseRoom = %+v, want none", got)
	}
	for _, id := range []string{v1.session.ID, v2.session.ID} {
		if err := srv.End(room, id); fireline.ErrorCode(err) != fireline.ENOTFOUND {
			t.Errorf("End(%s) after CloseRoom = %v, want ENOTFOUND", id, err)
		}
	}
	// Other incidents are untouched.
	other.waitPacket(t, webrtc.MimeTypeVP8)
	if got := srv.Streams("incident:2"); len(got) != 1 || got[0].Viewers != 1 {
		t.Errorf("Streams(incident:2) = %+v, want E-1 with 1 viewer", got)
	}
}

func TestClose(t *testing.T) {
	srv := newServer(t, media.Config{})
	publish(t, srv, room, "E-1")
	v := play(t, srv, room, "E-1")
	v.waitPacket(t, webrtc.MimeTypeVP8)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	v.waitEnded(t)
	if _, err := tryPublish(t, srv, room, "E-2", pubOpts{}); fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Errorf("Publish after Close = %v, want EUNAVAILABLE", err)
	}
}

// countingSink stands in for the recorder of issue 5: it proves the seam sees every track.
type countingSink struct {
	packets atomic.Int64
	closed  atomic.Bool
}

func (c *countingSink) WriteRTP(*rtp.Packet) error { c.packets.Add(1); return nil }
func (c *countingSink) Close() error               { c.closed.Store(true); return nil }

func TestSinkSeesTrack(t *testing.T) {
	var (
		mu    sync.Mutex
		sinks []*countingSink
		seen  []media.Track
	)
	srv := newServer(t, media.Config{Sinks: func(tr media.Track) (media.TrackSink, error) {
		mu.Lock()
		defer mu.Unlock()
		s := &countingSink{}
		sinks, seen = append(sinks, s), append(seen, tr)
		return s, nil
	}})
	pub := publish(t, srv, room, "E-1")
	eventually(t, "packets in the sink", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sinks) == 1 && sinks[0].packets.Load() > 5
	})
	mu.Lock()
	got := fmt.Sprintf("%s %s %s %s %d", seen[0].Room, seen[0].Stream, seen[0].Kind, strings.ToLower(seen[0].Codec), seen[0].ClockRate)
	mu.Unlock()
	if want := "incident:1 E-1 video video/vp8 90000"; got != want {
		t.Errorf("sink track = %q, want %q", got, want)
	}
	if err := srv.End(room, pub.session.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sink to be closed", func() bool { return sinks[0].closed.Load() })
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  media.Config
	}{
		{"NAT IP", media.Config{NAT1To1IPs: []string{"not-an-ip"}}},
		{"ICE server", media.Config{ICEServers: []fireline.ICEServer{{URL: "http://example.com"}}}},
		{"TURN without credentials", media.Config{ICEServers: []fireline.ICEServer{{URL: "turn:turn.example.com:3478"}}}},
		{"quote in a credential", media.Config{ICEServers: []fireline.ICEServer{{URL: "turn:turn.example.com", Username: "u", Credential: `a"b`}}}},
		{"port range", media.Config{UDPPortMin: 50000, UDPPortMax: 40000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := media.New(tt.cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
	srv, err := media.New(media.Config{ICEServers: []fireline.ICEServer{{URL: "stun:stun.example.com:3478"}}, UDPPortMin: 40000, UDPPortMax: 40100})
	if err != nil {
		t.Fatalf("New(good config): %v", err)
	}
	defer srv.Close()
	if got := srv.ICEServers(); len(got) != 1 || got[0].URL != "stun:stun.example.com:3478" {
		t.Errorf("ICEServers = %v", got)
	}
}
