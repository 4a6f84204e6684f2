package media

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v3"

	"github.com/fireline/fireline"
)

// stream is one publisher (a WHIP session) and the tracks it forwards to its viewers.
type stream struct {
	s         *Server
	id        string
	room      string
	name      string
	owner     string
	pc        *webrtc.PeerConnection
	log       *slog.Logger
	startedAt time.Time
	done      chan struct{} // closed when the stream ends
	closeOnce sync.Once
	ice       iceSession

	mu      sync.Mutex
	tracks  []*track // by the answer's media sections, known once negotiated
	changed chan struct{}
	viewers map[string]*viewer
	ended   bool
}

// track is one published track (one media section of the offer) and its layers: one for a
// plain track, one per RTP stream id for simulcast.
type track struct {
	st     *stream
	mid    string
	id     string // the publisher's track id, once its first packet has arrived
	kind   webrtc.RTPCodecType
	layers []*layer // lowest quality first

	drain sync.Once

	mu    sync.Mutex
	codec webrtc.RTPCodecParameters // set by the first layer to arrive
	// downs are the viewers' copies, read by the layers' loops on every packet: replaced
	// whole under mu, read without it.
	downs atomic.Pointer[[]*downTrack]
}

// layer is one RTP stream of a track: the whole track, or one simulcast encoding.
type layer struct {
	t       *track
	index   int
	rid     string // "" for a plain track
	ssrc    atomic.Uint32
	running atomic.Bool
	stats   rtpStats
	rate    rateMeter
	lastPLI atomic.Int64 // Unix ns of the last keyframe request sent for it
	lastKey atomic.Int64 // Unix ns of its last keyframe
}

func newStream(s *Server, room, name, owner string) (*stream, error) {
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
		owner:     owner,
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

func (st *stream) roomName() string             { return st.room }
func (st *stream) peer() *webrtc.PeerConnection { return st.pc }
func (st *stream) info() fireline.MediaSessionInfo {
	return fireline.MediaSessionInfo{ID: st.id, Room: st.room, Stream: st.name, Owner: st.owner, Publisher: true}
}
func (st *stream) iceState() *iceSession { return &st.ice }

// negotiate answers the publisher's offer and starts watching its connection.
func (st *stream) negotiate(ctx context.Context, offer webrtc.SessionDescription) (string, error) {
	st.s.watchConnection(st.pc, func(reason string) { st.s.endStream(st, reason) }, nil)
	ans, err := answer(ctx, st.pc, offer)
	if err != nil {
		return "", err
	}
	tracks := st.tracksOf(*st.pc.LocalDescription())
	if len(tracks) == 0 {
		return "", errInvalid("offer has no audio or video in a supported codec (VP8, H.264 packetization-mode=1, Opus)")
	}
	st.ice.set(offer, *st.pc.LocalDescription())
	st.mu.Lock()
	st.tracks = tracks
	st.notifyLocked()
	st.mu.Unlock()
	return ans, nil
}

// tracksOf lists the tracks our answer accepted, with their simulcast layers ranked.
func (st *stream) tracksOf(answer webrtc.SessionDescription) []*track {
	parsed, err := answer.Unmarshal()
	if err != nil {
		return nil
	}
	var out []*track
	for _, md := range parsed.MediaDescriptions {
		kind := md.MediaName.Media
		if (kind != "audio" && kind != "video") || md.MediaName.Port.Value == 0 || direction(md) != "recvonly" && direction(md) != "sendrecv" {
			continue
		}
		mid, _ := md.Attribute("mid")
		t := &track{st: st, mid: mid, kind: webrtc.NewRTPCodecType(kind)}
		t.downs.Store(&[]*downTrack{})
		for i, rid := range rankLayers(simulcastRIDs(md)) {
			t.layers = append(t.layers, &layer{t: t, index: i, rid: rid})
		}
		if len(t.layers) == 0 {
			t.layers = []*layer{{t: t}}
		}
		out = append(out, t)
	}
	return out
}

func direction(md *sdp.MediaDescription) string {
	for _, a := range md.Attributes {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return a.Key
		}
	}
	return "sendrecv"
}

// simulcastRIDs returns the RTP stream ids of a section's a=simulcast attribute, in its order;
// paused streams (~rid) and alternatives (a,b) count once each.
func simulcastRIDs(md *sdp.MediaDescription) []string {
	v, ok := md.Attribute("simulcast")
	if !ok {
		return nil
	}
	fields := strings.Fields(v)
	var out []string
	for i := 0; i+1 < len(fields); i += 2 {
		for _, alt := range strings.Split(fields[i+1], ";") {
			for _, rid := range strings.Split(alt, ",") {
				if rid = strings.TrimPrefix(rid, "~"); rid != "" && !slices.Contains(out, rid) {
					out = append(out, rid)
				}
			}
		}
	}
	return out
}

// rankLayers orders simulcast stream ids from lowest to highest quality. The ids are the
// publisher's own words, so the usual names are recognised (l/m/h, low/mid/high, q/h/f as
// quarter, half and full, 0/1/2); unknown names keep the order of the offer, which browsers
// write in their encodings' order, and clients by convention list low to high.
func rankLayers(rids []string) []string {
	known := map[string]int{
		"l": 0, "low": 0, "lo": 0, "q": 0, "quarter": 0, "0": 0,
		"m": 1, "mid": 1, "med": 1, "medium": 1, "1": 1, "half": 1,
		"hi": 2, "high": 2, "f": 2, "full": 2, "2": 2,
	}
	// "h" is high among l/m/h but half among q/h/f.
	if slices.Contains(rids, "f") || slices.Contains(rids, "q") {
		known["h"] = 1
	} else {
		known["h"] = 2
	}
	all := true
	for _, r := range rids {
		if _, ok := known[strings.ToLower(r)]; !ok {
			all = false
		}
	}
	out := slices.Clone(rids)
	if all {
		slices.SortStableFunc(out, func(a, b string) int { return known[strings.ToLower(a)] - known[strings.ToLower(b)] })
	}
	return out
}

func (st *stream) notifyLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// trackFor finds the published track a receiver belongs to, by its transceiver's mid.
func (st *stream) trackFor(receiver *webrtc.RTPReceiver) *track {
	mid := ""
	for _, tr := range st.pc.GetTransceivers() {
		if tr.Receiver() == receiver {
			mid = tr.Mid()
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range st.tracks {
		if t.mid == mid {
			return t
		}
	}
	return nil
}

// onTrack forwards one RTP stream of the publisher (a track, or one of its simulcast layers)
// until it ends.
func (st *stream) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	t := st.trackFor(receiver)
	var l *layer
	if t != nil {
		for _, x := range t.layers {
			if x.rid == remote.RID() {
				l = x
			}
		}
	}
	codec := remote.Codec()
	log := st.log.With("track", remote.ID(), "codec", codec.MimeType, "layer", remote.RID())
	if l == nil {
		log.Warn("RTP stream matches no negotiated track; dropped")
		return
	}
	t.mu.Lock()
	if t.codec.MimeType == "" {
		t.codec, t.id = codec, remote.ID()
		if t.id == "" {
			t.id = t.kind.String()
		}
	}
	t.mu.Unlock()
	l.ssrc.Store(uint32(remote.SSRC()))
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return
	}
	l.running.Store(true)
	st.notifyLocked()
	st.mu.Unlock()
	t.drainOnce(receiver)
	log.Info("track started", "ssrc", uint32(remote.SSRC()), "rtx", remote.HasRTX())

	// The recording keeps the best picture: the highest layer, or the only one.
	var sink TrackSink
	if l.index == len(t.layers)-1 {
		sink = st.openSink(remote, func() { t.requestKeyframe(l.index, true) }, log)
	}
	clockRate := codec.ClockRate
	video := t.kind == webrtc.RTPCodecTypeVideo
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := remote.Read(buf)
		if err != nil {
			break // the publisher's connection closed
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		now := time.Now()
		newest := l.stats.update(&pkt, now, clockRate)
		// Only the newest packet can start a switch: browsers probe bandwidth by sending old
		// packets again on the RTX stream, and an old keyframe's first packet must not.
		key := video && newest && isKeyframe(codec.MimeType, pkt.Payload)
		if key {
			l.lastKey.Store(now.UnixNano())
		}
		for _, d := range *t.downs.Load() {
			d.write(l.index, &pkt, key, clockRate)
		}
		if sink != nil {
			if err := sink.WriteRTP(&pkt); err != nil {
				log.Error("track sink failed; forwarding continues without it", "err", err)
				_ = sink.Close()
				sink = nil
			}
		}
	}
	l.running.Store(false)
	if sink != nil {
		if err := sink.Close(); err != nil {
			log.Error("close track sink", "err", err)
		}
	}
	log.Info("track ended")
}

// drainOnce starts reading the track's RTCP from the publisher (its sender reports), which
// the receiver's interceptors must see: the receiver reports we send depend on them. For a
// simulcast track it waits until every layer has arrived, because pion v3 fills in a layer's
// receiver state as it arrives while a read of another layer walks that same state.
func (t *track) drainOnce(r *webrtc.RTPReceiver) {
	for _, l := range t.layers {
		if !l.running.Load() {
			return
		}
	}
	t.drain.Do(func() {
		for _, l := range t.layers {
			go drainRTCP(r, l.rid)
		}
	})
}

// drainRTCP reads a receiver's RTCP until the receiver stops, so its interceptors run.
func drainRTCP(r *webrtc.RTPReceiver, rid string) {
	for {
		var err error
		if rid == "" {
			_, _, err = r.ReadRTCP()
		} else {
			_, _, err = r.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
	}
}

func (st *stream) openSink(remote *webrtc.TrackRemote, keyframe func(), log *slog.Logger) TrackSink {
	if st.s.sinks == nil {
		return nil
	}
	c := remote.Codec()
	sink, err := st.s.sinks(Track{Room: st.room, Stream: st.name, Kind: remote.Kind().String(), Codec: c.MimeType, ClockRate: c.ClockRate, Keyframe: keyframe})
	if err != nil {
		log.Error("open track sink; forwarding without it", "err", err)
		return nil
	}
	return sink
}

// waitTracks returns the stream's tracks once every accepted track has a running layer, or
// those that have one when d runs out.
func (st *stream) waitTracks(ctx context.Context, d time.Duration) ([]*track, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		st.mu.Lock()
		var ready []*track
		for _, t := range st.tracks {
			if t.running() {
				ready = append(ready, t)
			}
		}
		want, changed := len(st.tracks), st.changed
		st.mu.Unlock()
		if len(ready) > 0 && len(ready) >= want {
			return ready, nil
		}
		select {
		case <-changed:
		case <-st.done:
			return nil, errNoStream(st.room, st.name)
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for tracks: %w", ctx.Err())
		case <-timer.C:
			if len(ready) > 0 {
				return ready, nil
			}
			return nil, errNoMedia(st.room, st.name)
		}
	}
}

func (t *track) running() bool {
	for _, l := range t.layers {
		if l.running.Load() {
			return true
		}
	}
	return false
}

func (t *track) codecOf() webrtc.RTPCodecParameters {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.codec
}

// layerActive reports whether layer i has sent media lately: a publisher short of bandwidth
// stops its upper simulcast layers, and a viewer must not wait on one.
func (t *track) layerActive(i int, now time.Time) bool {
	l := t.layers[i]
	return l.running.Load() && now.Sub(time.Unix(0, l.stats.lastAt.Load())) < 2*time.Second
}

// initialLayer is the layer a new viewer starts on: the one it asked for, else the highest
// one sending (the command centre's network is usually good; a weak link steps down).
func (t *track) initialLayer(pinned int) int {
	now := time.Now()
	if pinned >= 0 {
		return t.nearestActive(pinned, now)
	}
	for i := len(t.layers) - 1; i >= 0; i-- {
		if t.layerActive(i, now) {
			return i
		}
	}
	return len(t.layers) - 1
}

// nearestActive is layer want if it is sending, else the closest one below it that is, else
// the closest above.
func (t *track) nearestActive(want int, now time.Time) int {
	want = min(max(want, 0), len(t.layers)-1)
	for i := want; i >= 0; i-- {
		if t.layerActive(i, now) {
			return i
		}
	}
	for i := want + 1; i < len(t.layers); i++ {
		if t.layerActive(i, now) {
			return i
		}
	}
	return want
}

// requestKeyframe asks the publisher for a keyframe on layer i. Forced requests (a viewer just
// bound, or switches layers) always go; requests forwarded from viewers are throttled.
func (t *track) requestKeyframe(i int, force bool) {
	if t.kind != webrtc.RTPCodecTypeVideo || i < 0 || i >= len(t.layers) {
		return
	}
	l := t.layers[i]
	now := time.Now().UnixNano()
	if last := l.lastPLI.Load(); !force && now-last < int64(pliInterval) || !l.lastPLI.CompareAndSwap(last, now) {
		return
	}
	ssrc := l.ssrc.Load()
	if ssrc == 0 {
		return // not arrived yet: its first frame is a keyframe anyway
	}
	if err := t.st.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.st.log.Debug("keyframe request not sent", "err", err)
	}
}

// addDown adds a viewer's copy; removeDown takes it away.
func (t *track) addDown(d *downTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := append(slices.Clone(*t.downs.Load()), d)
	t.downs.Store(&next)
}

func (t *track) removeDown(d *downTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*t.downs.Load()), func(x *downTrack) bool { return x == d })
	t.downs.Store(&next)
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

func (st *stream) viewerList() []*viewer {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Collect(maps.Values(st.viewers))
}

func (st *stream) trackList() []*track {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.tracks)
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
