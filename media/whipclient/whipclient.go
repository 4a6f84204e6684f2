// Package whipclient is a WHIP (RFC 9725) and WHEP client over pion: what an OBS-style
// encoder or a field app does, in Go. Fireline's own tests publish and play through it
// against the real HTTP endpoints; it lives inside media/ because media is the only package
// that imports pion.
//
// A session follows redirects itself (RFC 9725 §4.5), so its bearer token goes with the
// offer to whichever media node holds the room; it reads the answer's Location, ETag and
// Link ice-server headers, and trickles its ICE candidates with PATCH
// (application/trickle-ice-sdpfrag, If-Match the ETag) unless told to put them in the offer.
package whipclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
	pionmedia "github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
)

// Client talks WHIP and WHEP to one server with one bearer token.
type Client struct {
	// HTTP sends the requests; nil means a client with a 10 s timeout. Its own redirect
	// policy is overridden: the session follows redirects itself.
	HTTP *http.Client
	// Token is the bearer token; empty sends none.
	Token string
	// NoTrickle puts every candidate in the offer instead of sending them with PATCH.
	NoTrickle bool
	// LoopbackOnly gathers loopback candidates only, for tests on one machine.
	LoopbackOnly bool
}

// Session is one WHIP or WHEP session.
type Session struct {
	c        *Client
	pc       *webrtc.PeerConnection
	Location *url.URL // the session's URL, for PATCH and DELETE
	ETag     string
	// ICEServers are what the server advertised in Link headers.
	ICEServers []webrtc.ICEServer
	// Redirects counts the 3xx hops the offer took to the node that answered.
	Redirects int

	mu        sync.Mutex
	pending   []string // candidates gathered before the answer came
	answered  bool
	trickleWG sync.WaitGroup
	patchErr  error
	connected chan struct{}
}

// Publisher is a WHIP session sending one VP8 video track.
type Publisher struct {
	*Session
	track *webrtc.TrackLocalStaticSample
	plis  atomic.Int64
}

// Player is a WHEP session receiving whatever the stream carries.
type Player struct {
	*Session
	packets atomic.Int64
	codecs  sync.Map // MIME type → true
}

func (c *Client) api() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if c.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// Publish opens a WHIP session at endpoint sending one VP8 video track; SendFrames feeds it.
func (c *Client) Publish(ctx context.Context, endpoint string) (*Publisher, error) {
	api, err := c.api()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "whipclient")
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	p := &Publisher{track: track}
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
	p.Session, err = c.open(ctx, endpoint, pc)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// SendFrames sends a 30 frames/s VP8 stream of synthetic frames until ctx is done: a keyframe
// when the server asks for one and every two seconds, inter frames between. The SFU forwards
// without decoding, so the frames need only VP8's frame tag.
func (p *Publisher) SendFrames(ctx context.Context) {
	tick := time.NewTicker(33 * time.Millisecond)
	defer tick.Stop()
	lastPLI := p.plis.Load()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		frame := make([]byte, 800)
		frame[0] = 1 // inter frame
		if pli := p.plis.Load(); pli != lastPLI || n%60 == 0 {
			frame[0], lastPLI = 0, pli // key frame
		}
		_ = p.track.WriteSample(pionmedia.Sample{Data: frame, Duration: 33 * time.Millisecond})
	}
}

// SendIVF sends the VP8 frames of an IVF file (what `ffmpeg -c:v libvpx out.ivf` writes) in
// real time, as a camera would, until the file ends or ctx is done: unlike SendFrames' frames,
// these decode, so what the server records plays.
func (p *Publisher) SendIVF(ctx context.Context, r io.Reader) error {
	ivf, h, err := ivfreader.NewWith(r)
	if err != nil {
		return fmt.Errorf("ivf: %w", err)
	}
	if h.FourCC != "VP80" || h.TimebaseDenominator == 0 {
		return fmt.Errorf("ivf: %q at timebase %d/%d: want VP8 (VP80) with a timebase", h.FourCC, h.TimebaseNumerator, h.TimebaseDenominator)
	}
	// ffmpeg gives each frame one tick of the timebase: 1/30 s at 30 frames/s.
	frameTime := time.Second * time.Duration(h.TimebaseNumerator) / time.Duration(h.TimebaseDenominator)
	tick := time.NewTicker(frameTime)
	defer tick.Stop()
	for {
		frame, _, err := ivf.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ivf: %w", err)
		}
		if err := p.track.WriteSample(pionmedia.Sample{Data: frame, Duration: frameTime}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// KeyframeRequests is how many PLIs the server has sent.
func (p *Publisher) KeyframeRequests() int64 { return p.plis.Load() }

// Play opens a WHEP session at endpoint receiving video and audio.
func (c *Client) Play(ctx context.Context, endpoint string) (*Player, error) {
	api, err := c.api()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			_ = pc.Close()
			return nil, err
		}
	}
	p := &Player{}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.codecs.Store(t.Codec().MimeType, true)
		for {
			if _, _, err := t.ReadRTP(); err != nil {
				return
			}
			p.packets.Add(1)
		}
	})
	p.Session, err = c.open(ctx, endpoint, pc)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Packets is how many RTP packets have arrived.
func (p *Player) Packets() int64 { return p.packets.Load() }

// open negotiates pc at endpoint.
func (c *Client) open(ctx context.Context, endpoint string, pc *webrtc.PeerConnection) (*Session, error) {
	s := &Session{c: c, pc: pc, connected: make(chan struct{})}
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(s.connected) })
		}
	})
	if !c.NoTrickle {
		pc.OnICECandidate(s.onCandidate)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		_ = pc.Close()
		return nil, err
	}
	sdp := offer.SDP // without candidates: they trickle
	if c.NoTrickle {
		select {
		case <-gathered:
		case <-ctx.Done():
			_ = pc.Close()
			return nil, ctx.Err()
		}
		sdp = pc.LocalDescription().SDP
	}
	answer, err := s.post(ctx, endpoint, sdp)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("whip: answer: %w", err)
	}
	s.mu.Lock()
	s.answered = true
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(pending) > 0 {
		s.patch(pending...)
	}
	return s, nil
}

// post sends the offer, following redirects with the token, and reads the 201.
func (s *Session) post(ctx context.Context, endpoint, offer string) (string, error) {
	hc := *s.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(offer))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/sdp")
		s.authorize(req)
		resp, err := hc.Do(req)
		if err != nil {
			return "", fmt.Errorf("whip: POST %s: %w", target, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("whip: POST %s: %w", target, err)
		}
		switch {
		case resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect:
			if hops >= 5 {
				return "", fmt.Errorf("whip: POST %s: too many redirects", endpoint)
			}
			next, err := target.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", fmt.Errorf("whip: redirect from %s: %w", target, err)
			}
			target = next
			s.Redirects++
			continue
		case resp.StatusCode != http.StatusCreated:
			return "", &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))}
		}
		loc, err := target.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return "", fmt.Errorf("whip: 201 from %s without a usable Location", target)
		}
		s.Location, s.ETag = loc, resp.Header.Get("ETag")
		s.ICEServers = ParseLinks(resp.Header)
		return string(body), nil
	}
}

// StatusError is a refusal from the server, with its problem body.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("whip: server answered %d: %s", e.Code, e.Body)
}

// onCandidate trickles a gathered candidate, or the end of them, as an SDP fragment.
func (s *Session) onCandidate(c *webrtc.ICECandidate) {
	line := "a=end-of-candidates"
	if c != nil {
		line = "a=" + c.ToJSON().Candidate
	}
	s.mu.Lock()
	if !s.answered {
		s.pending = append(s.pending, line)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.patch(line)
}

// patch sends candidate lines in one fragment (RFC 8840 §9): the ICE credentials, the first
// (bundled) media section, its candidates.
func (s *Session) patch(lines ...string) {
	local := s.pc.LocalDescription()
	if local == nil {
		return
	}
	parsed, err := local.Unmarshal()
	if err != nil || len(parsed.MediaDescriptions) == 0 {
		return
	}
	md := parsed.MediaDescriptions[0]
	ufrag, _ := md.Attribute("ice-ufrag")
	pwd, _ := md.Attribute("ice-pwd")
	mid, _ := md.Attribute("mid")
	var b strings.Builder
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=%s 9 %s %s\r\na=mid:%s\r\n", ufrag, pwd,
		md.MediaName.Media, strings.Join(md.MediaName.Protos, "/"), strings.Join(md.MediaName.Formats, " "), mid)
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	s.trickleWG.Add(1)
	go func() {
		defer s.trickleWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, s.Location.String(), strings.NewReader(b.String()))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
		if s.ETag != "" {
			req.Header.Set("If-Match", s.ETag)
		}
		s.authorize(req)
		resp, err := s.httpClient().Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				err = &StatusError{Code: resp.StatusCode}
			}
		}
		if err != nil {
			s.mu.Lock()
			s.patchErr = errors.Join(s.patchErr, fmt.Errorf("whip: PATCH %s: %w", s.Location, err))
			s.mu.Unlock()
		}
	}()
}

// TrickleErr waits for the PATCHes sent so far and returns their errors.
func (s *Session) TrickleErr() error {
	s.trickleWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.patchErr
}

// Connected waits until the media connection is up.
func (s *Session) Connected(ctx context.Context) error {
	select {
	case <-s.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("whip: not connected: %w", ctx.Err())
	}
}

// ConnectionState is the peer connection's state.
func (s *Session) ConnectionState() string { return s.pc.ConnectionState().String() }

// Close ends the session (DELETE) and the peer connection.
func (s *Session) Close(ctx context.Context) error {
	defer s.pc.Close()
	s.trickleWG.Wait()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.Location.String(), nil)
	if err != nil {
		return err
	}
	s.authorize(req)
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("whip: DELETE %s: %w", s.Location, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &StatusError{Code: resp.StatusCode, Body: string(bytes.TrimSpace(body))}
	}
	return nil
}

func (s *Session) authorize(r *http.Request) {
	if s.c.Token != "" {
		r.Header.Set("Authorization", "Bearer "+s.c.Token)
	}
}

func (s *Session) httpClient() *http.Client {
	if s.c.HTTP != nil {
		return s.c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// ParseLinks reads the ice-server Link headers of a response (RFC 9725 §4.6).
func ParseLinks(h http.Header) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, v := range h.Values("Link") {
		for _, link := range splitLinks(v) {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			srv := webrtc.ICEServer{URLs: []string{strings.Trim(target, "<>")}}
			rel := false
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				val = strings.Trim(val, `"`)
				switch strings.ToLower(k) {
				case "rel":
					rel = val == "ice-server"
				case "username":
					srv.Username = val
				case "credential":
					srv.Credential = val
				}
			}
			if rel {
				out = append(out, srv)
			}
		}
	}
	return out
}

// splitLinks splits a Link header value at the commas between links, not those inside
// quotes or angle brackets.
func splitLinks(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '<':
			depth++
		case r == '>':
			depth--
		case r == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}
