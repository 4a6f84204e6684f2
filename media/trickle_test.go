package media_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v3"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// TestTrickle publishes with an offer that carries no candidates, as a trickling WHIP client
// (GStreamer's) sends it, and hands the candidates over afterwards as an SDP fragment.
func TestTrickle(t *testing.T) {
	srv := newServer(t, media.Config{})
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "E-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	full := offer(t, pc)
	var bare, cands []string
	for _, line := range strings.Split(full, "\r\n") {
		switch {
		case strings.HasPrefix(line, "a=candidate:"):
			cands = append(cands, line)
		case line == "a=end-of-candidates":
		default:
			bare = append(bare, line)
		}
	}
	if len(cands) == 0 {
		t.Fatal("the client gathered no candidates")
	}
	sess, err := srv.Publish(context.Background(), room, "E-1", strings.Join(bare, "\r\n"), media.WithOwner("crew-E-1"))
	if err != nil {
		t.Fatalf("Publish without candidates: %v", err)
	}
	if sess.ETag == "" || !strings.HasPrefix(sess.ETag, `"`) {
		t.Errorf("ETag = %q, want a quoted entity tag", sess.ETag)
	}
	// Watched from before the answer is applied: the client has the server's candidates, so
	// the server can learn the client's address from its checks (peer-reflexive) and the
	// connection may come up before the candidates are trickled.
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	accept(t, pc, sess.AnswerSDP)
	info, err := srv.Session(room, sess.ID)
	if err != nil || info.Owner != "crew-E-1" || !info.Publisher || info.ETag != sess.ETag {
		t.Fatalf("Session = %+v, %v", info, err)
	}

	ufrag, pwd := attr(full, "ice-ufrag"), attr(full, "ice-pwd")
	tests := []struct {
		name string
		frag string
		code string
	}{
		{"garbage", "hello\r\n", fireline.EINVALID},
		{"not a fragment line", "v=0\r\n", fireline.EINVALID},
		{"empty", "\r\n", fireline.EINVALID},
		{"bad candidate", "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:nonsense\r\n", fireline.EINVALID},
		{"ICE restart", "a=ice-ufrag:someoneelse\r\na=ice-pwd:0123456789abcdef0123456789\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n", fireline.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := srv.Trickle(room, sess.ID, tt.frag); fireline.ErrorCode(err) != tt.code {
				t.Fatalf("Trickle = %v, want %s", err, tt.code)
			}
		})
	}
	if err := srv.Trickle(room, "nope", "a=end-of-candidates\r\n"); fireline.ErrorCode(err) != fireline.ENOTFOUND {
		t.Errorf("Trickle(unknown session) = %v, want ENOTFOUND", err)
	}

	frag := "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		strings.Join(cands, "\r\n") + "\r\na=end-of-candidates\r\n"
	if err := srv.Trickle(room, sess.ID, frag); err != nil {
		t.Fatalf("Trickle: %v", err)
	}
	select {
	case <-connected:
	case <-time.After(waitFor):
		t.Fatal("no connection after trickling the candidates")
	}
}

func attr(sdp, key string) string {
	for _, line := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(line, "a="+key+":"); ok {
			return v
		}
	}
	return ""
}

// TestRTXNegotiated: a publisher that offers RTX, as browsers do, gets it in the answer.
func TestRTXNegotiated(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publish(t, srv, room, "E-1") // pion's default codecs include rtx with apt
	var rtx bool
	for _, line := range strings.Split(pub.session.AnswerSDP, "\r\n") {
		if strings.Contains(line, "rtx/90000") {
			rtx = true
		}
	}
	if !rtx {
		t.Errorf("answer negotiates no RTX:\n%s", pub.session.AnswerSDP)
	}
}

// TestKeyframeRequestIsPrompt: a viewer's join asks the publisher for a keyframe at once, not
// when the viewer's decoder gives up waiting.
func TestKeyframeRequestIsPrompt(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publish(t, srv, room, "E-1")
	eventually(t, "the publisher's track", func() bool {
		info, ok := findStream(srv, room, "E-1")
		return ok && info.Packets > 10
	})
	time.Sleep(pliIntervalPast)
	before := pub.plis.Load()
	v := play(t, srv, room, "E-1")
	// Counted from the viewer's connection, not its answer: ICE and DTLS take their time on a
	// loaded machine (the race detector, other test packages), and no server can ask for a
	// keyframe for a viewer it cannot reach yet.
	eventually(t, "the viewer's connection", func() bool {
		return v.pc.ConnectionState() == webrtc.PeerConnectionStateConnected || pub.plis.Load() != before
	})
	connected := time.Now()
	for pub.plis.Load() == before {
		if time.Since(connected) > time.Second {
			t.Fatal("no keyframe request reached the publisher within 1 s of the viewer's connection")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("keyframe request at the publisher %v after the viewer connected", time.Since(connected).Round(time.Millisecond))
	v.waitPacket(t, webrtc.MimeTypeVP8)
}

const pliIntervalPast = 400 * time.Millisecond
