package media

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"

	"github.com/fireline/fireline"
)

// viewer is one WHEP session.
type viewer struct {
	id        string
	st        *stream
	owner     string
	pc        *webrtc.PeerConnection
	log       *slog.Logger
	ended     atomic.Bool
	closeOnce sync.Once
	ice       iceSession
	downs     []*downTrack // set before the viewer is shared
	// estimate is the viewer's own estimate of the bandwidth it receives (REMB), bits/s, and
	// when it came; 0: the viewer sends none.
	estimate   atomic.Uint64
	estimateAt atomic.Int64
	joinedAt   time.Time
}

func (v *viewer) roomName() string             { return v.st.room }
func (v *viewer) peer() *webrtc.PeerConnection { return v.pc }
func (v *viewer) iceState() *iceSession        { return &v.ice }
func (v *viewer) info() fireline.MediaSessionInfo {
	return fireline.MediaSessionInfo{ID: v.id, Room: v.st.room, Stream: v.st.name, Owner: v.owner}
}

// newViewer negotiates a viewer's connection carrying tracks and returns it with its answer.
// pinned is the layer index the viewer asked for, -1 for automatic.
func newViewer(ctx context.Context, s *Server, st *stream, tracks []*track, offer webrtc.SessionDescription, owner string, layer Layer) (*viewer, string, error) {
	pc, err := s.viewerAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("new viewer peer connection: %w", err)
	}
	id := newID()
	v := &viewer{
		id:       id,
		st:       st,
		owner:    owner,
		pc:       pc,
		log:      s.log.With("room", st.room, "stream", st.name, "session", id, "role", "viewer"),
		joinedAt: time.Now(),
	}
	for _, t := range tracks {
		d := newDownTrack(t, v, layer.index(len(t.layers)))
		sender, err := pc.AddTrack(d)
		if err != nil {
			v.close()
			return nil, "", fmt.Errorf("add %s track: %w", t.codecOf().MimeType, err)
		}
		v.downs = append(v.downs, d)
		go v.readRTCP(sender, d)
	}
	s.watchConnection(pc, func(reason string) { s.endViewer(v, reason) }, func() {
		for _, d := range v.downs {
			go d.connected()
		}
	})
	ans, err := answer(ctx, pc, offer)
	if err != nil {
		v.close()
		return nil, "", err
	}
	v.ice.set(offer, *pc.LocalDescription())
	return v, ans, nil
}

// attach starts feeding the viewer; detach stops it.
func (v *viewer) attach() {
	for _, d := range v.downs {
		d.t.addDown(d)
	}
}

func (v *viewer) detach() {
	for _, d := range v.downs {
		d.t.removeDown(d)
	}
}

// readRTCP drains the viewer's RTCP for one sender (the interceptors need it read: that is
// how NACKs are answered from the send buffer) and acts on what concerns us: keyframe
// requests go to the publisher's layer the viewer watches, receiver reports and bandwidth
// estimates feed the choice of layer. It ends when the sender stops.
func (v *viewer) readRTCP(sender *webrtc.RTPSender, d *downTrack) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				cur, _, _ := d.layers()
				d.t.requestKeyframe(cur, false)
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				v.estimate.Store(uint64(p.Bitrate))
				v.estimateAt.Store(time.Now().UnixNano())
			case *rtcp.ReceiverReport:
				v.report(d, p.Reports)
			case *rtcp.SenderReport:
				v.report(d, p.Reports)
			}
		}
	}
}

func (v *viewer) report(d *downTrack, reports []rtcp.ReceptionReport) {
	ssrc := d.ssrcOut()
	for _, r := range reports {
		if r.SSRC == ssrc {
			d.fractionLost.Store(uint32(r.FractionLost))
			d.reportedAt.Store(time.Now().UnixNano())
		}
	}
}

// close closes the viewer's connection; it reports whether this call did it.
func (v *viewer) close() bool {
	first := false
	v.closeOnce.Do(func() {
		first = true
		v.ended.Store(true)
		v.detach()
		if err := v.pc.Close(); err != nil {
			v.log.Warn("close viewer peer connection", "err", err)
		}
		for _, d := range v.downs {
			v.st.s.retire(d)
		}
	})
	return first
}

// Layer selection. The viewer's own reports say how its link is doing: the fraction of
// packets it lost (receiver reports, every second or so) and, from browsers, its estimate of
// the bandwidth it can take (REMB). A viewer losing packets, or whose estimate is below the
// bitrate of its layer, steps down one layer at once; one that has lost nothing for a while
// steps up one, never sooner than upHold after a step down. Each switch waits for a keyframe
// of the new layer, which is asked for at once.
const (
	lossDown   = 0.10 // fraction lost that steps a viewer down
	lossUp     = 0.02 // fraction lost under which a viewer counts as doing well
	goodToStep = 5    // samples (seconds) of doing well before a step up
	upHold     = 10 * time.Second
	// estimateWarmup is how long a viewer's bandwidth estimate is ignored after it joins.
	estimateWarmup = 5 * time.Second
)

// selectLayer runs once a second for each video track of a viewer with more than one layer.
func (d *downTrack) selectLayer(now time.Time) {
	t := d.t
	current, target, pinned := d.layers()
	if pinned >= 0 {
		// The viewer chose; follow only when its layer stops or comes back.
		if want := t.nearestActive(pinned, now); want != target {
			d.setTarget(want)
		}
		return
	}
	if current < 0 {
		if !t.layerActive(target, now) {
			d.setTarget(t.initialLayer(-1))
		}
		return
	}
	if !t.layerActive(current, now) {
		d.setTarget(t.nearestActive(current, now))
		return
	}
	if target != current {
		return // a switch is under way
	}
	loss, fresh := 0.0, false
	if at := d.reportedAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) < 3*time.Second {
		loss, fresh = float64(d.fractionLost.Load())/256, true
	}
	// A receiver's own estimate starts low and ramps up with what it is sent: it says
	// something about the link only after the first seconds.
	estimate := uint64(0)
	if at := d.v.estimateAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) < 3*time.Second && now.Sub(d.v.joinedAt) > estimateWarmup {
		estimate = d.v.estimate.Load()
	}
	layerRate := t.layers[current].rate.get()
	// An estimate below the layer's rate must last two samples: it dips for a moment when a
	// keyframe's burst arrives. Loss is acted on at once.
	if estimate > 0 && layerRate > 0 && float64(estimate) < 0.8*float64(layerRate) {
		d.shortFor++
	} else {
		d.shortFor = 0
	}
	weak := fresh && loss >= lossDown || d.shortFor >= 2
	switch {
	case weak:
		d.goodFor, d.shortFor = 0, 0
		d.holdUntil = now.Add(upHold)
		for i := current - 1; i >= 0; i-- {
			if t.layerActive(i, now) {
				d.setTarget(i)
				d.v.log.Info("viewer steps down a layer", "from", t.layers[current].rid, "to", t.layers[i].rid,
					"loss", loss, "estimate_bps", estimate, "layer_bps", layerRate)
				return
			}
		}
	case !fresh || loss < lossUp:
		d.goodFor++
		if d.goodFor < goodToStep || now.Before(d.holdUntil) {
			return
		}
		for i := current + 1; i < len(t.layers); i++ {
			if !t.layerActive(i, now) {
				continue
			}
			// Up only where the viewer's estimate, if it gives one, has room.
			if estimate > 0 && float64(t.layers[i].rate.get()) > float64(estimate) {
				return
			}
			d.goodFor = 0
			d.setTarget(i)
			d.v.log.Info("viewer steps up a layer", "from", t.layers[current].rid, "to", t.layers[i].rid)
			return
		}
	default:
		d.goodFor = 0
	}
}
