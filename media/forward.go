package media

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
)

// downTrack is one viewer's copy of one published track: a webrtc.TrackLocal bound to the
// viewer's sender and fed by whichever of the track's layers the viewer watches. It rewrites
// SSRC, payload type, sequence numbers and timestamps, so that a switch between simulcast
// layers (each its own RTP stream) looks to the viewer like one continuous stream.
type downTrack struct {
	t        *track
	v        *viewer
	id       string
	streamID string

	sentPackets atomic.Uint64
	sentBytes   atomic.Uint64
	rate        rateMeter // bits/s of what this viewer is sent, updated by the sampler

	// Written by the viewer's RTCP loop, read by the sampler.
	fractionLost atomic.Uint32 // the viewer's last receiver report: fraction lost × 256
	reportedAt   atomic.Int64  // when that report arrived, Unix ns; 0: none yet

	mu      sync.Mutex
	ssrc    uint32
	pt      uint8
	writer  webrtc.TrackLocalWriter // nil until bound and again after unbind
	live    bool                    // the viewer's connection is up
	current int                     // index of the layer being forwarded; -1 before the first
	target  int                     // the layer to switch to at its next keyframe
	pinned  int                     // the layer the viewer asked for; -1: chosen from its link
	started bool
	// After a switch, packets of the new layer older than the one switched at would land on
	// sequence numbers already used by the old layer: they are dropped while guarding.
	switchSeq uint16
	guarding  bool
	seqOffset uint16
	tsOffset  uint32
	lastSeq   uint16 // the highest sequence number sent
	lastTS    uint32
	lastAt    time.Time
	askedAt   time.Time // when a keyframe of target was last asked for
	// selection state, owned by the sampler
	goodFor   int       // consecutive samples without loss
	shortFor  int       // consecutive samples with an estimate below the layer's bitrate
	holdUntil time.Time // no step up before this, after a step down
}

func newDownTrack(t *track, v *viewer, pinned int) *downTrack {
	d := &downTrack{t: t, v: v, id: t.id, streamID: t.st.name, current: -1, pinned: pinned}
	d.target = t.initialLayer(pinned)
	return d
}

// Bind binds the track to the viewer's sender; the codec is the published one, which the
// viewer's answer must have accepted. Pion binds as the answer is made, before the viewer's
// connection is up: forwarding starts with connected.
func (d *downTrack) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, ok := matchCodec(d.t.codecOf(), c.CodecParameters())
	if !ok {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	d.mu.Lock()
	d.ssrc, d.pt, d.writer = uint32(c.SSRC()), uint8(codec.PayloadType), c.WriteStream()
	d.mu.Unlock()
	return codec, nil
}

// connected starts forwarding once the viewer can receive, and asks for the keyframe its
// picture starts with. Packets sent before, a keyframe among them, would have been lost to
// it, and browsers ignore a keyframe request that follows another within a few hundred
// milliseconds: so the request is made now, not at Bind.
func (d *downTrack) connected() {
	d.mu.Lock()
	d.live = true
	d.askedAt = time.Now()
	target := d.target
	d.mu.Unlock()
	d.t.requestKeyframe(target, true)
}

// Unbind stops writing to the viewer's sender.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.mu.Lock()
	d.writer = nil
	d.mu.Unlock()
	return nil
}

// ID, RID, StreamID and Kind describe the track to pion. The viewer sees one track per
// published track whatever its layers, so RID is empty.
func (d *downTrack) ID() string                { return d.id }
func (d *downTrack) RID() string               { return "" }
func (d *downTrack) StreamID() string          { return d.streamID }
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.t.kind }

// write forwards p, a packet of layer index layer, if that is the layer the viewer watches,
// or switches to it if it is the wanted layer and p starts a keyframe. It runs on the layer's
// read loop; p is not kept.
func (d *downTrack) write(layer int, p *rtp.Packet, keyframe bool, clockRate uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.writer == nil || !d.live {
		return
	}
	switch {
	case layer == d.current:
		if d.guarding {
			if seqBefore(p.SequenceNumber, d.switchSeq) {
				return
			}
			// Far enough past the switch for no late packet to come: stop comparing, which
			// would go wrong when the sequence numbers wrap half way round.
			if p.SequenceNumber-d.switchSeq > maxMisorder {
				d.guarding = false
			}
		}
	case layer == d.target && (keyframe || !d.started && len(d.t.layers) == 1):
		// A single-layer track starts at once: the viewer's decoder asks for a keyframe
		// itself and ours is on its way. Between layers only a keyframe is a clean cut.
		d.switchTo(layer, p, clockRate)
	case layer == d.target:
		// Waiting for a keyframe of the wanted layer. Browsers drop a keyframe request that
		// comes within a few hundred milliseconds of another (another viewer's, say), so a
		// request that brought nothing is repeated.
		if now := time.Now(); now.Sub(d.askedAt) > keyframeRetry {
			d.askedAt = now
			go d.t.requestKeyframe(layer, true)
		}
		return
	default:
		return
	}
	if len(p.Payload) == 0 {
		// Padding only (bandwidth probes): nothing for the viewer. Its sequence number is
		// skipped when it is the next one, so the viewer sees no gap to ask after.
		if p.SequenceNumber+d.seqOffset == d.lastSeq+1 {
			d.seqOffset--
		}
		return
	}
	h := p.Header
	h.SSRC, h.PayloadType = d.ssrc, d.pt
	h.SequenceNumber = p.SequenceNumber + d.seqOffset
	h.Timestamp = p.Timestamp + d.tsOffset
	// The publisher's header extensions carry its own negotiated ids (mid, rid, transport
	// sequence numbers): meaningless, even misleading, on the viewer's connection.
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	// The payload excludes the padding, so the header must not announce any.
	h.Padding = false
	if int16(h.SequenceNumber-d.lastSeq) > 0 {
		d.lastSeq, d.lastTS, d.lastAt = h.SequenceNumber, h.Timestamp, time.Now()
	}
	if _, err := d.writer.WriteRTP(&h, p.Payload); err != nil {
		return // the viewer's transport is closing; its own state change removes it
	}
	d.sentPackets.Add(1)
	d.sentBytes.Add(uint64(len(p.Payload)))
}

// switchTo makes layer the one forwarded from p on. Sequence numbers continue from the last
// one sent, and timestamps advance by the wall-clock time since the last packet, so the
// viewer's jitter buffer sees a stream that never jumped.
func (d *downTrack) switchTo(layer int, p *rtp.Packet, clockRate uint32) {
	if d.started {
		d.seqOffset = d.lastSeq + 1 - p.SequenceNumber
		ticks := uint32(time.Since(d.lastAt).Seconds() * float64(clockRate))
		d.tsOffset = d.lastTS + max(ticks, 1) - p.Timestamp
	} else {
		d.lastSeq, d.lastTS, d.lastAt = p.SequenceNumber-1, p.Timestamp, time.Now()
	}
	d.current, d.switchSeq, d.started, d.guarding = layer, p.SequenceNumber, true, true
}

// setTarget asks for a switch to layer at its next keyframe, and asks the publisher for one.
func (d *downTrack) setTarget(layer int) {
	d.mu.Lock()
	changed := d.target != layer
	d.target = layer
	current := d.current
	if changed {
		d.askedAt = time.Now()
	}
	d.mu.Unlock()
	if changed && layer != current {
		d.t.requestKeyframe(layer, true)
	}
}

// layers returns the forwarded and wanted layer indexes.
func (d *downTrack) layers() (current, target, pinned int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current, d.target, d.pinned
}

// ssrcOut is the SSRC the viewer knows this track by (0 before Bind).
func (d *downTrack) ssrcOut() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ssrc
}

// keyframeRetry is how long a viewer waiting to switch layers waits for a keyframe before
// asking again.
const keyframeRetry = 500 * time.Millisecond

func seqBefore(a, b uint16) bool { return int16(a-b) < 0 }

// matchCodec finds the viewer's payload type for the published codec: the same MIME type and,
// for H.264, the same packetization mode (a decoder cannot take the other one); the profile
// may differ, as browsers decode any constrained-baseline-compatible stream.
func matchCodec(want webrtc.RTPCodecParameters, have []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var fallback *webrtc.RTPCodecParameters
	for i, c := range have {
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if c.SDPFmtpLine == want.SDPFmtpLine {
			return c, true
		}
		if strings.EqualFold(want.MimeType, webrtc.MimeTypeH264) &&
			fmtpParam(c.SDPFmtpLine, "packetization-mode") != fmtpParam(want.SDPFmtpLine, "packetization-mode") {
			continue
		}
		if fallback == nil {
			fallback = &have[i]
		}
	}
	if fallback == nil {
		return webrtc.RTPCodecParameters{}, false
	}
	return *fallback, true
}

// fmtpParam returns the value of key in an a=fmtp parameter line ("" when absent; H.264's
// packetization-mode defaults to 0).
func fmtpParam(line, key string) string {
	for _, kv := range strings.Split(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) {
			return v
		}
	}
	if key == "packetization-mode" {
		return "0"
	}
	return ""
}

// isKeyframe reports whether an RTP payload of the given codec starts a keyframe: where a
// decoder can begin, and so where a viewer may be switched between layers.
func isKeyframe(mime string, payload []byte) bool {
	switch {
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		return vp8Keyframe(payload)
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		return h264Keyframe(payload)
	}
	return false
}

// vp8Keyframe reads the VP8 payload descriptor (RFC 7741 §4.2) and the first byte of the VP8
// payload header: the start of partition 0 of a frame whose inverse key frame flag is clear.
func vp8Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	x, s, pid := b[0]&0x80 != 0, b[0]&0x10 != 0, b[0]&0x07
	if !s || pid != 0 {
		return false
	}
	i := 1
	if x {
		if len(b) < 2 {
			return false
		}
		ext := b[1]
		i = 2
		if ext&0x80 != 0 { // I: picture id, one or two bytes
			if len(b) <= i {
				return false
			}
			if b[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	return len(b) > i && b[i]&0x01 == 0
}

// h264Keyframe finds an IDR slice or a sequence parameter set (which precedes one) at the start
// of the payload: a single NAL unit, any unit of a STAP-A, or the first fragment of an FU-A.
func h264Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	const idr, sps, stapA, fuA = 5, 7, 24, 28
	switch t := b[0] & 0x1f; t {
	case idr, sps:
		return true
	case stapA:
		for i := 1; i+2 < len(b); {
			n := int(b[i])<<8 | int(b[i+1])
			if i+2 >= len(b) || n == 0 {
				return false
			}
			if nt := b[i+2] & 0x1f; nt == idr || nt == sps {
				return true
			}
			i += 2 + n
		}
	case fuA:
		return len(b) > 1 && b[1]&0x80 != 0 && b[1]&0x1f == idr
	}
	return false
}
