// Package media is Fireline's selective forwarding unit: field units publish their cameras with
// WHIP (RFC 9725), consoles play them with WHEP. One room per incident; a stream per publishing
// unit. It is the only importer of pion: the HTTP layer calls the methods of Server, which
// satisfies fireline.MediaService, and sees only strings, the root's media types and
// *fireline.Error.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"

	"github.com/fireline/fireline"
)

// Server is the media service the API calls.
var _ fireline.MediaService = (*Server)(nil)

// Defaults, in one place.
const (
	// DefaultTrackWait is how long Play waits for a just-started publisher's tracks: a console
	// often opens the stream the moment the publish is announced, before the first packet.
	DefaultTrackWait = 5 * time.Second
	// DefaultConnectTimeout ends a session whose peer never completes ICE and DTLS, so a client
	// that took its answer and vanished does not hold the stream name forever.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultPeerTimeout is how long a peer may be silent before its session ends. ICE's own
	// default (30 s) leaves consoles staring at a frozen picture; a phone that lost its
	// network for longer than this publishes again, and its stream name is free by then.
	DefaultPeerTimeout = 10 * time.Second
	// gatherTimeout caps ICE gathering for the non-trickle answer; host candidates take
	// milliseconds, so hitting it means the machine's network is broken.
	gatherTimeout = 10 * time.Second
	// pliInterval throttles keyframe requests forwarded from viewers: a keyframe costs many
	// packets and browsers ask again on every decode hiccup.
	pliInterval = 300 * time.Millisecond
	maxNameLen  = 128
)

// Config configures a Server. The zero value (plus a Logger) works on one machine: loopback
// candidates are gathered and mDNS is off, so a browser on the same host connects with no
// STUN or TURN.
type Config struct {
	Logger *slog.Logger
	// NAT1To1IPs are the host IPs to advertise instead of the interfaces' own, for a media node
	// behind 1:1 NAT (a cloud VM's public address).
	NAT1To1IPs []string
	// ICEServers are the STUN/TURN servers advertised to clients (api puts them in Link
	// headers); the server itself does not use them. May be empty.
	ICEServers []fireline.ICEServer
	// UDPPortMin and UDPPortMax bound the ports of ICE candidates, so a firewall can open a
	// fixed range. Both zero: any ephemeral port.
	UDPPortMin, UDPPortMax uint16
	// TrackWait is how long Play waits for the publisher's tracks; 0 means DefaultTrackWait.
	TrackWait time.Duration
	// ConnectTimeout ends sessions that never connect; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// PeerTimeout ends a session whose peer has been silent this long (no ICE keepalives):
	// its phone lost network or its tab closed without a DELETE. 0 means DefaultPeerTimeout.
	PeerTimeout time.Duration
	// Sinks, if set, opens a sink per published track (recording).
	Sinks SinkFactory
}

// WithOwner records who opens the session, so that the HTTP layer can let only them (or a
// supervisor) end it.
func WithOwner(user string) fireline.MediaOption { return fireline.MediaOption{Owner: user} }

// WithLayer makes a viewer watch one simulcast layer rather than the one its link can take.
// It has no effect on a publisher, or on a stream without simulcast.
func WithLayer(l Layer) fireline.MediaOption { return fireline.MediaOption{Layer: string(l)} }

// Layer names a simulcast layer a viewer may ask for.
type Layer string

// The layers a viewer may ask for; LayerAuto picks from the viewer's link.
const (
	LayerAuto Layer = ""
	LayerLow  Layer = "low"
	LayerMid  Layer = "mid"
	LayerHigh Layer = "high"
)

// ParseLayer reads a layer name: low, mid, high, or empty for automatic.
func ParseLayer(s string) (Layer, error) {
	switch l := Layer(s); l {
	case LayerAuto, LayerLow, LayerMid, LayerHigh:
		return l, nil
	}
	return "", errInvalid("layer %q: want low, mid or high", s)
}

// index is the layer's index among n layers ranked low to high; -1 for automatic.
func (l Layer) index(n int) int {
	switch l {
	case LayerLow:
		return 0
	case LayerMid:
		return n / 2
	case LayerHigh:
		return n - 1
	}
	return -1
}

// Server is the SFU. It is safe for concurrent use.
type Server struct {
	log *slog.Logger
	// api makes publishers' connections, viewerAPI viewers'. They differ in congestion
	// control: publishers get transport-wide feedback (TWCC), with which browsers estimate
	// their uplink; viewers get none, so a browser viewer falls back to estimating what it
	// receives itself and tells us (REMB), and that estimate steers its simulcast layer.
	api            *webrtc.API
	viewerAPI      *webrtc.API
	iceServers     []fireline.ICEServer
	trackWait      time.Duration
	connectTimeout time.Duration
	sinks          SinkFactory
	stopSampler    chan struct{}
	samplerDone    chan struct{}

	// Packets and bytes sent to viewers since start by sessions that have ended; live ones
	// keep their own count.
	retiredPackets atomic.Uint64
	retiredBytes   atomic.Uint64
	statsMu        sync.Mutex
	forwarded      [2]uint64 // packets and bytes last reported by Stats

	mu       sync.Mutex
	closed   bool
	streams  map[streamKey]*stream
	sessions map[string]session // by session id: publishers and viewers alike
}

type streamKey struct{ room, stream string }

// session is what End, Session and Trickle need of a publisher or a viewer.
type session interface {
	roomName() string
	info() fireline.MediaSessionInfo
	iceState() *iceSession
	peer() *webrtc.PeerConnection
}

// New returns a Server ready to take publishers and viewers.
func New(cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "media")

	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, fmt.Errorf("media codecs: %w", err)
	}
	// Simulcast layers are told apart by their mid and rid header extensions (RFC 8852).
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, fmt.Errorf("media header extensions: %w", err)
	}
	// Default interceptors give NACK responder and generator, RTCP reports and TWCC, so
	// a lossy cellular uplink is repaired hop by hop.
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("media interceptors: %w", err)
	}
	// Viewers: the same without TWCC (see Server.viewerAPI).
	vm := &webrtc.MediaEngine{}
	if err := registerCodecs(vm); err != nil {
		return nil, fmt.Errorf("media codecs: %w", err)
	}
	vir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(vm, vir); err != nil {
		return nil, fmt.Errorf("media interceptors: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(vir); err != nil {
		return nil, fmt.Errorf("media interceptors: %w", err)
	}

	se := webrtc.SettingEngine{LoggerFactory: pionLogs{log: log}}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	peerTimeout := cfg.PeerTimeout
	if peerTimeout <= 0 {
		peerTimeout = DefaultPeerTimeout
	}
	// ICE reports disconnected after 40% of the silence and failed at the full timeout;
	// keepalives every second keep a healthy idle path from tripping it.
	se.SetICETimeouts(peerTimeout*2/5, peerTimeout-peerTimeout*2/5, time.Second)
	for _, ip := range cfg.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("media config: NAT 1:1 address %q is not an IP", ip)
		}
	}
	if len(cfg.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(cfg.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("media config: UDP ports %d-%d: %w", cfg.UDPPortMin, cfg.UDPPortMax, err)
		}
	}
	for _, u := range cfg.ICEServers {
		turn := strings.HasPrefix(u.URL, "turn:") || strings.HasPrefix(u.URL, "turns:")
		if !turn && !strings.HasPrefix(u.URL, "stun:") {
			return nil, fmt.Errorf("media config: ICE server %q is not a stun:, turn: or turns: URL", u.URL)
		}
		if turn && (u.Username == "" || u.Credential == "") {
			return nil, fmt.Errorf("media config: TURN server %q needs a username and a credential", u.URL)
		}
		if strings.ContainsAny(u.URL+u.Username+u.Credential, "\"<>\r\n") {
			return nil, fmt.Errorf("media config: ICE server %q: quotes, angle brackets and line breaks cannot go in a Link header", u.URL)
		}
	}

	s := &Server{
		log:            log,
		api:            webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		viewerAPI:      webrtc.NewAPI(webrtc.WithMediaEngine(vm), webrtc.WithInterceptorRegistry(vir), webrtc.WithSettingEngine(se)),
		iceServers:     slices.Clone(cfg.ICEServers),
		trackWait:      cfg.TrackWait,
		connectTimeout: cfg.ConnectTimeout,
		sinks:          cfg.Sinks,
		streams:        map[streamKey]*stream{},
		sessions:       map[string]session{},
		stopSampler:    make(chan struct{}),
		samplerDone:    make(chan struct{}),
	}
	if s.trackWait <= 0 {
		s.trackWait = DefaultTrackWait
	}
	if s.connectTimeout <= 0 {
		s.connectTimeout = DefaultConnectTimeout
	}
	go s.sampler()
	return s, nil
}

// registerCodecs registers the codecs field phones and console browsers all share: VP8 and
// constrained-baseline H.264 for video, Opus for audio. Each video codec has its RTX (RFC
// 4588) partner, so a publisher that offers retransmission on a stream of its own gets it
// negotiated, and pion reads its repairs back into the track. Towards viewers pion v3 resends
// lost packets on the original stream instead (the NACK responder), which browsers accept.
func registerCodecs(m *webrtc.MediaEngine) error {
	fb := []webrtc.RTCPFeedback{
		{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"},
	}
	video := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}, PayloadType: 96},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"}, PayloadType: 97},
		{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: fb,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		}, PayloadType: 102},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeRTX, ClockRate: 90000, SDPFmtpLine: "apt=102"}, PayloadType: 103},
	}
	for _, c := range video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}
	return m.RegisterCodec(opus, webrtc.RTPCodecTypeAudio)
}

const mimeRTX = "video/rtx"

// ICEServers returns the STUN/TURN servers to advertise to clients.
func (s *Server) ICEServers() []fireline.ICEServer { return slices.Clone(s.iceServers) }

// Publish accepts a WHIP offer for stream in room and returns the complete answer. One
// publisher per stream: a second publish of a live stream is ECONFLICT. A simulcast offer
// (a=simulcast with rids) is accepted with all its layers.
func (s *Server) Publish(ctx context.Context, room, stream, offerSDP string, opts ...fireline.MediaOption) (fireline.MediaSession, error) {
	o := optionsOf(opts)
	if err := checkNames(room, stream); err != nil {
		return fireline.MediaSession{}, err
	}
	offer, err := parseOffer(offerSDP)
	if err != nil {
		return fireline.MediaSession{}, err
	}
	if sendingSections(offer, true) == 0 {
		return fireline.MediaSession{}, errInvalid("offer sends no audio or video: a WHIP offer needs a sendonly or sendrecv audio or video section")
	}

	key := streamKey{room, stream}
	if err := s.publishable(key); err != nil {
		return fireline.MediaSession{}, err
	}
	st, err := newStream(s, room, stream, o.owner)
	if err != nil {
		return fireline.MediaSession{}, err
	}
	// Reserve the name before negotiating, so two racing publishers cannot both win.
	s.mu.Lock()
	err = s.publishableLocked(key)
	if err == nil {
		s.streams[key] = st
		s.sessions[st.id] = st
	}
	s.mu.Unlock()
	if err != nil {
		st.close()
		return fireline.MediaSession{}, err
	}

	answer, err := st.negotiate(ctx, offer)
	if err != nil {
		s.endStream(st, "negotiation failed")
		return fireline.MediaSession{}, err
	}
	var layers []string
	for _, t := range st.trackList() {
		for _, l := range t.layers {
			if l.rid != "" {
				layers = append(layers, l.rid)
			}
		}
	}
	st.log.Info("publisher joined", "tracks_expected", len(st.trackList()), "simulcast_layers", layers)
	return fireline.MediaSession{ID: st.id, Room: room, Stream: stream, AnswerSDP: answer, ETag: st.ice.etag()}, nil
}

// options are the options of one Publish or Play, the later ones' non-empty fields winning.
type options struct {
	owner string
	layer Layer
}

func optionsOf(opts []fireline.MediaOption) options {
	var o options
	for _, opt := range opts {
		if opt.Owner != "" {
			o.owner = opt.Owner
		}
		if opt.Layer != "" {
			o.layer = Layer(opt.Layer)
		}
	}
	return o
}

func (s *Server) publishable(key streamKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishableLocked(key)
}

func (s *Server) publishableLocked(key streamKey) error {
	switch {
	case s.closed:
		return ErrClosed
	case s.streams[key] != nil:
		return errStreamLive(key.room, key.stream)
	}
	return nil
}

// Play accepts a WHEP offer for stream in room and returns the complete answer; the viewer gets
// the stream's video and audio. A viewer that arrives before the publisher's first packets
// waits for them up to the configured TrackWait. Of a simulcast track the viewer gets one
// layer: the one WithLayer names, else the one its link can take.
func (s *Server) Play(ctx context.Context, room, stream, offerSDP string, opts ...fireline.MediaOption) (fireline.MediaSession, error) {
	o := optionsOf(opts)
	if err := checkNames(room, stream); err != nil {
		return fireline.MediaSession{}, err
	}
	if _, err := ParseLayer(string(o.layer)); err != nil {
		return fireline.MediaSession{}, err
	}
	offer, err := parseOffer(offerSDP)
	if err != nil {
		return fireline.MediaSession{}, err
	}
	if sendingSections(offer, false) == 0 {
		return fireline.MediaSession{}, errInvalid("offer receives no audio or video: a WHEP offer needs a recvonly or sendrecv audio or video section")
	}
	s.mu.Lock()
	closed, st := s.closed, s.streams[streamKey{room, stream}]
	s.mu.Unlock()
	switch {
	case closed:
		return fireline.MediaSession{}, ErrClosed
	case st == nil:
		return fireline.MediaSession{}, errNoStream(room, stream)
	}
	tracks, err := st.waitTracks(ctx, s.trackWait)
	if err != nil {
		return fireline.MediaSession{}, err
	}
	v, answer, err := newViewer(ctx, s, st, tracks, offer, o.owner, o.layer)
	if err != nil {
		return fireline.MediaSession{}, err
	}

	// The stream may have ended while we negotiated; then the viewer has nothing to watch.
	s.mu.Lock()
	live := !s.closed && s.streams[streamKey{room, stream}] == st && st.addViewer(v)
	if live {
		s.sessions[v.id] = v
	}
	s.mu.Unlock()
	if !live {
		v.close()
		return fireline.MediaSession{}, errNoStream(room, stream)
	}
	v.attach()
	v.log.Info("viewer joined", "tracks", len(tracks), "layer", o.layer)
	return fireline.MediaSession{ID: v.id, Room: room, Stream: stream, AnswerSDP: answer, ETag: v.ice.etag()}, nil
}

// Session describes the session id of room: whose it is, and its entity tag.
func (s *Server) Session(room, sessionID string) (fireline.MediaSessionInfo, error) {
	sess, err := s.session(room, sessionID)
	if err != nil {
		return fireline.MediaSessionInfo{}, err
	}
	info := sess.info()
	info.ETag = sess.iceState().etag()
	return info, nil
}

func (s *Server) session(room, sessionID string) (session, error) {
	s.mu.Lock()
	sess := s.sessions[sessionID]
	s.mu.Unlock()
	if sess == nil || sess.roomName() != room {
		return nil, errNoSession(room, sessionID)
	}
	return sess, nil
}

// Trickle adds the remote ICE candidates of an application/trickle-ice-sdpfrag body (RFC 8840,
// RFC 9725 §4.3) to the session id of room; a=end-of-candidates is accepted. A fragment with
// other ICE credentials than the session's is an ICE restart, which is not supported:
// ECONFLICT, and the client starts a new session.
func (s *Server) Trickle(room, sessionID, frag string) error {
	sess, err := s.session(room, sessionID)
	if err != nil {
		return err
	}
	f, err := parseSDPFrag(frag)
	if err != nil {
		return err
	}
	return trickle(sess.peer(), sess.iceState(), room, sessionID, f)
}

// End ends the publish or play session id of room (WHIP/WHEP DELETE). Ending a publisher ends
// its stream and every viewer of it.
func (s *Server) End(room, sessionID string) error {
	sess, err := s.session(room, sessionID)
	if err != nil {
		return err
	}
	switch x := sess.(type) {
	case *stream:
		s.endStream(x, "ended by client")
	case *viewer:
		s.endViewer(x, "ended by client")
	}
	return nil
}

// CloseRoom ends every stream and viewer of room; the incident has closed.
func (s *Server) CloseRoom(room string) {
	s.mu.Lock()
	var ending []*stream
	for k, st := range s.streams {
		if k.room == room {
			ending = append(ending, st)
		}
	}
	s.mu.Unlock()
	for _, st := range ending {
		s.endStream(st, "room closed")
	}
	// Viewers always belong to a stream, so they went with it.
}

// Rooms lists the rooms with at least one live stream, sorted.
func (s *Server) Rooms() []string {
	s.mu.Lock()
	var rooms []string
	for k := range s.streams {
		if !slices.Contains(rooms, k.room) {
			rooms = append(rooms, k.room)
		}
	}
	s.mu.Unlock()
	slices.Sort(rooms)
	return rooms
}

// Streams describes the live streams of room, ordered by stream name.
func (s *Server) Streams(room string) []fireline.StreamInfo {
	s.mu.Lock()
	var sts []*stream
	for k, st := range s.streams {
		if k.room == room {
			sts = append(sts, st)
		}
	}
	s.mu.Unlock()
	out := make([]fireline.StreamInfo, 0, len(sts))
	for _, st := range sts {
		out = append(out, st.stats())
	}
	slices.SortFunc(out, func(a, b fireline.StreamInfo) int { return strings.Compare(a.Stream, b.Stream) })
	return out
}

// Close ends every session and refuses new ones.
func (s *Server) Close() error {
	s.mu.Lock()
	wasClosed := s.closed
	s.closed = true
	ending := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		ending = append(ending, st)
	}
	s.mu.Unlock()
	if !wasClosed {
		close(s.stopSampler)
		<-s.samplerDone
	}
	for _, st := range ending {
		s.endStream(st, "server closing")
	}
	return nil
}

// endStream removes st and its viewers from the server and closes their peer connections. It
// is idempotent: ICE failure, End and CloseRoom may race to end the same stream.
func (s *Server) endStream(st *stream, reason string) {
	s.mu.Lock()
	if s.streams[streamKey{st.room, st.name}] == st {
		delete(s.streams, streamKey{st.room, st.name})
	}
	delete(s.sessions, st.id)
	viewers := st.takeViewers()
	for _, v := range viewers {
		delete(s.sessions, v.id)
	}
	s.mu.Unlock()
	// Close outside the lock: closing a peer connection waits on pion's goroutines, and
	// their callbacks take s.mu.
	if st.close() {
		st.log.Info("stream ended", "reason", reason, "viewers", len(viewers))
	}
	for _, v := range viewers {
		v.close()
	}
}

// endViewer removes v from its stream and the server and closes its peer connection.
func (s *Server) endViewer(v *viewer, reason string) {
	s.mu.Lock()
	delete(s.sessions, v.id)
	v.st.removeViewer(v.id)
	s.mu.Unlock()
	if v.close() {
		v.log.Info("viewer left", "reason", reason)
	}
}

// retire adds an ended viewer track's counts to the server's totals.
func (s *Server) retire(d *downTrack) {
	s.retiredPackets.Add(d.sentPackets.Load())
	s.retiredBytes.Add(d.sentBytes.Load())
}

// watchConnection ends a session when its peer connection fails or closes, or never connects
// within the connect timeout, and calls connected (if not nil) when it connects. Disconnected is left alone: ICE may recover from it, and if it
// does not the state moves on to failed.
func (s *Server) watchConnection(pc *webrtc.PeerConnection, end func(reason string), connected func()) {
	timer := time.AfterFunc(s.connectTimeout, func() {
		if pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			end("never connected")
		}
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		switch state {
		case webrtc.PeerConnectionStateConnected:
			timer.Stop()
			if connected != nil {
				connected()
			}
		case webrtc.PeerConnectionStateFailed:
			timer.Stop()
			end("connection failed")
		case webrtc.PeerConnectionStateClosed:
			timer.Stop()
			end("connection closed")
		}
	})
}

// answer applies offer to pc and returns the answer once ICE gathering is complete: WHIP and
// WHEP clients get every candidate in the one HTTP response.
func answer(ctx context.Context, pc *webrtc.PeerConnection, offer webrtc.SessionDescription) (string, error) {
	if err := pc.SetRemoteDescription(offer); err != nil {
		return "", errInvalid("SDP offer rejected: %v", err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", errInvalid("cannot answer the SDP offer: %v", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	timer := time.NewTimer(gatherTimeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("ice gathering: %w", ctx.Err())
	case <-timer.C:
		return "", errors.New("ice gathering: timed out")
	}
	return pc.LocalDescription().SDP, nil
}

// parseOffer checks that sdp is a parsable offer, so garbage is EINVALID with the parser's
// reason rather than a confusing negotiation error.
func parseOffer(sdp string) (webrtc.SessionDescription, error) {
	if strings.TrimSpace(sdp) == "" {
		return webrtc.SessionDescription{}, errInvalid("SDP offer is empty")
	}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}
	parsed, err := offer.Unmarshal()
	if err != nil {
		return webrtc.SessionDescription{}, errInvalid("SDP offer does not parse: %v", err)
	}
	if len(parsed.MediaDescriptions) == 0 {
		return webrtc.SessionDescription{}, errInvalid("SDP offer has no media sections")
	}
	return offer, nil
}

// sendingSections counts the audio and video sections of desc that send media (send=true) or
// receive it (send=false), from desc's author's point of view.
func sendingSections(desc webrtc.SessionDescription, send bool) int {
	parsed, err := desc.Unmarshal()
	if err != nil {
		return 0
	}
	n := 0
	for _, md := range parsed.MediaDescriptions {
		if kind := md.MediaName.Media; (kind != "audio" && kind != "video") || md.MediaName.Port.Value == 0 {
			continue
		}
		dir := "sendrecv" // RFC 4566: the default when no direction attribute is present
		for _, a := range md.Attributes {
			switch a.Key {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				dir = a.Key
			}
		}
		if dir == "sendrecv" || (send && dir == "sendonly") || (!send && dir == "recvonly") {
			n++
		}
	}
	return n
}

func checkNames(room, stream string) error {
	switch {
	case room == "":
		return errInvalid("room is empty")
	case stream == "":
		return errInvalid("stream is empty")
	case len(room) > maxNameLen:
		return errInvalid("room is longer than %d bytes", maxNameLen)
	case len(stream) > maxNameLen:
		return errInvalid("stream is longer than %d bytes", maxNameLen)
	}
	return nil
}

// newID returns an unguessable session id: knowing it lets a client end the session.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
