package media

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
)

// stream is one publisher (a WHIP session) and the tracks it forwards to its viewers.
type stream struct {
	s         *Server
	id        string
	room      string
	name      string
	pc        *webrtc.PeerConnection
	log       *slog.Logger
	startedAt time.Time
	done      chan struct{} // closed when the stream ends
	closeOnce sync.Once

	packets atomic.Uint64
	bytes   atomic.Uint64

	mu      sync.Mutex
	want    int // tracks the answer accepted; Play waits for this many
	tracks  []*forward
	changed chan struct{} // closed and replaced whenever want or tracks change
	viewers map[string]*viewer
	ended   bool
	lastPLI time.Time
}

// forward is one published track: the publisher's remote track and the local track every
// viewer's sender is bound to. TrackLocalStaticRTP does the fan-out, rewriting SSRC and
// payload type per viewer.
type forward struct {
	local *webrtc.TrackLocalStaticRTP
	kind  webrtc.RTPCodecType
	ssrc  webrtc.SSRC // the publisher's SSRC, which keyframe requests name
	codec string
}

func newStream(s *Server, room, name string) (*stream, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new publisher peer connection: %w", err)
	}
	id := newID()
	st := &stream{
		s:         s,
		id:        id,
		room:      room,
		name:      name,
		pc:        pc,
		log:       s.log.With("room", room, "stream", name, "session", id, "role", "publisher"),
		startedAt: time.Now(),
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
		viewers:   map[string]*viewer{},
	}
	pc.OnTrack(st.onTrack)
	return st, nil
}

func (st *stream) roomName() string { return st.room }

// negotiate answers the publisher's offer and starts watching its connection.
func (st *stream) negotiate(ctx context.Context, offer webrtc.SessionDescription) (string, error) {
	st.s.watchConnection(st.pc, func(reason string) { st.s.endStream(st, reason) })
	ans, err := answer(ctx, st.pc, offer)
	if err != nil {
		return "", err
	}
	want := sendingSections(*st.pc.LocalDescription(), false)
	if want == 0 {
		return "", errInvalid("offer has no audio or video in a supported codec (VP8, H.264 packetization-mode=1, Opus)")
	}
	st.mu.Lock()
	st.want = want
	st.notifyLocked()
	st.mu.Unlock()
	return ans, nil
}

func (st *stream) expected() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.want
}

func (st *stream) notifyLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// onTrack forwards one of the publisher's tracks until it ends.
func (st *stream) onTrack(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	codec := remote.Codec()
	id := remote.ID()
	if id == "" {
		id = remote.Kind().String()
	}
	log := st.log.With("track", id, "codec", codec.MimeType)
	local, err := webrtc.NewTrackLocalStaticRTP(codec.RTPCodecCapability, id, st.name)
	if err != nil {
		log.Error("cannot forward track", "err", err)
		return
	}
	f := &forward{local: local, kind: remote.Kind(), ssrc: remote.SSRC(), codec: codec.MimeType}
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return
	}
	st.tracks = append(st.tracks, f)
	st.notifyLocked()
	st.mu.Unlock()
	log.Info("track started")

	sink := st.openSink(remote, log)
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			break // the publisher's connection closed
		}
		st.packets.Add(1)
		st.bytes.Add(uint64(len(pkt.Payload)))
		// A write error means some viewer's transport is closing; the others still get the
		// packet, and the closing viewer is removed by its own state change.
		_ = local.WriteRTP(pkt)
		if sink != nil {
			if err := sink.WriteRTP(pkt); err != nil {
				log.Error("track sink failed; forwarding continues without it", "err", err)
				_ = sink.Close()
				sink = nil
			}
		}
	}
	if sink != nil {
		if err := sink.Close(); err != nil {
			log.Error("close track sink", "err", err)
		}
	}
	log.Info("track ended")
}

func (st *stream) openSink(remote *webrtc.TrackRemote, log *slog.Logger) TrackSink {
	if st.s.sinks == nil {
		return nil
	}
	c := remote.Codec()
	sink, err := st.s.sinks(Track{Room: st.room, Stream: st.name, Kind: remote.Kind().String(), Codec: c.MimeType, ClockRate: c.ClockRate})
	if err != nil {
		log.Error("open track sink; forwarding without it", "err", err)
		return nil
	}
	return sink
}

// waitTracks returns the stream's tracks once every accepted track has sent its first packet,
// or whatever has arrived when d runs out.
func (st *stream) waitTracks(ctx context.Context, d time.Duration) ([]*forward, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		st.mu.Lock()
		tracks, want, changed := slices.Clone(st.tracks), st.want, st.changed
		st.mu.Unlock()
		if len(tracks) > 0 && len(tracks) >= want {
			return tracks, nil
		}
		select {
		case <-changed:
		case <-st.done:
			return nil, errNoStream(st.room, st.name)
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for tracks: %w", ctx.Err())
		case <-timer.C:
			if len(tracks) > 0 {
				return tracks, nil
			}
			return nil, errNoMedia(st.room, st.name)
		}
	}
}

// requestKeyframe asks the publisher for a keyframe on every video track. Forced requests (a
// viewer's track just bound) always go; requests forwarded from viewers are throttled.
func (st *stream) requestKeyframe(force bool) {
	st.mu.Lock()
	if st.ended || (!force && time.Since(st.lastPLI) < pliInterval) {
		st.mu.Unlock()
		return
	}
	st.lastPLI = time.Now()
	var pkts []rtcp.Packet
	for _, f := range st.tracks {
		if f.kind == webrtc.RTPCodecTypeVideo {
			pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: uint32(f.ssrc)})
		}
	}
	st.mu.Unlock()
	if len(pkts) == 0 {
		return
	}
	if err := st.pc.WriteRTCP(pkts); err != nil {
		st.log.Debug("keyframe request not sent", "err", err)
	}
}

// addViewer registers v; false if the stream or the viewer has already ended.
func (st *stream) addViewer(v *viewer) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || v.ended.Load() {
		return false
	}
	st.viewers[v.id] = v
	return true
}

func (st *stream) removeViewer(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.viewers, id)
}

// takeViewers marks the stream ended and hands over its viewers for closing.
func (st *stream) takeViewers() []*viewer {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ended = true
	vs := slices.Collect(maps.Values(st.viewers))
	st.viewers = map[string]*viewer{}
	return vs
}

// close closes the publisher's connection, which ends its read loops and so every viewer's
// copy of its tracks. It reports whether this call did it.
func (st *stream) close() bool {
	first := false
	st.closeOnce.Do(func() {
		first = true
		close(st.done)
		if err := st.pc.Close(); err != nil {
			st.log.Warn("close publisher peer connection", "err", err)
		}
	})
	return first
}

func (st *stream) info() StreamInfo {
	st.mu.Lock()
	defer st.mu.Unlock()
	tracks := make([]string, 0, len(st.tracks))
	for _, f := range st.tracks {
		tracks = append(tracks, f.codec)
	}
	return StreamInfo{
		Stream:    st.name,
		Tracks:    tracks,
		Viewers:   len(st.viewers),
		StartedAt: st.startedAt,
		Packets:   st.packets.Load(),
		Bytes:     st.bytes.Load(),
	}
}

// viewer is one WHEP session.
type viewer struct {
	id        string
	st        *stream
	pc        *webrtc.PeerConnection
	log       *slog.Logger
	ended     atomic.Bool
	closeOnce sync.Once
}

func (v *viewer) roomName() string { return v.st.room }

// newViewer negotiates a viewer's connection carrying tracks and returns it with its answer.
func newViewer(ctx context.Context, s *Server, st *stream, tracks []*forward, offer webrtc.SessionDescription) (*viewer, string, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("new viewer peer connection: %w", err)
	}
	id := newID()
	v := &viewer{
		id:  id,
		st:  st,
		pc:  pc,
		log: s.log.With("room", st.room, "stream", st.name, "session", id, "role", "viewer"),
	}
	for _, f := range tracks {
		track := webrtc.TrackLocal(f.local)
		if f.kind == webrtc.RTPCodecTypeVideo {
			// The moment this viewer's sender binds is the moment it can use a keyframe.
			track = &keyframeOnBind{TrackLocalStaticRTP: f.local, onBind: func() { st.requestKeyframe(true) }}
		}
		sender, err := pc.AddTrack(track)
		if err != nil {
			v.close()
			return nil, "", fmt.Errorf("add %s track: %w", f.codec, err)
		}
		go v.readRTCP(sender)
	}
	s.watchConnection(pc, func(reason string) { s.endViewer(v, reason) })
	ans, err := answer(ctx, pc, offer)
	if err != nil {
		v.close()
		return nil, "", err
	}
	return v, ans, nil
}

// readRTCP drains the viewer's RTCP for one sender (the interceptors need it read) and turns
// the viewer's keyframe requests into PLIs to the publisher. It ends when the sender stops.
func (v *viewer) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				v.st.requestKeyframe(false)
			}
		}
	}
}

// close closes the viewer's connection; it reports whether this call did it.
func (v *viewer) close() bool {
	first := false
	v.closeOnce.Do(func() {
		first = true
		v.ended.Store(true)
		if err := v.pc.Close(); err != nil {
			v.log.Warn("close viewer peer connection", "err", err)
		}
	})
	return first
}

// keyframeOnBind is a viewer's handle on a shared video track that asks the publisher for a
// keyframe when the viewer's sender binds, so the picture starts at once instead of at the
// publisher's next periodic keyframe.
type keyframeOnBind struct {
	*webrtc.TrackLocalStaticRTP
	onBind func()
}

// Bind binds the shared track to the viewer's sender, then asks for a keyframe.
func (k *keyframeOnBind) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := k.TrackLocalStaticRTP.Bind(c)
	if err == nil {
		go k.onBind() // Bind runs under pion's locks; the PLI write must not
	}
	return p, err
}
