package media_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v3"
	pionmedia "github.com/pion/webrtc/v3/pkg/media"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// simulcastPublisher is a camera that sends three encodings, as a browser does with
// sendEncodings l, m and h: each frame's second byte names its layer, a keyframe goes out
// every two seconds or when the server asks for one, and the frames between are deltas.
type simulcastPublisher struct {
	pc      *webrtc.PeerConnection
	session fireline.MediaSession
	plis    sync.Map // rid → *atomic.Int64
}

var rids = []string{"l", "m", "h"}

func publishSimulcast(t *testing.T, srv *media.Server, room, stream string) *simulcastPublisher {
	t.Helper()
	stamper := &ridStamper{}
	pc, err := clientAPIWith(t, []interceptor.Factory{stamper}).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	p := &simulcastPublisher{pc: pc}
	var tracks []*webrtc.TrackLocalStaticSample
	for _, rid := range rids {
		tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", stream, webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, tr)
		p.plis.Store(rid, &atomic.Int64{})
	}
	tc, err := pc.AddTransceiverFromTrack(tracks[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range tracks[1:] {
		if err := tc.Sender().AddEncoding(tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range tc.Sender().GetParameters().Encodings {
		stamper.rids.Store(uint32(e.SSRC), e.RID)
	}
	wantKey := make(chan string, 16)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	p.session, err = srv.Publish(ctx, room, stream, offer(t, pc))
	if err != nil {
		t.Fatalf("Publish(simulcast): %v", err)
	}
	accept(t, pc, p.session.AnswerSDP)
	// Read after negotiation: pion binds the senders' RTCP streams then. The readers stop
	// before the connection closes, as pion v3's sender rewrites the encodings it reads.
	var readers sync.WaitGroup
	quit := make(chan struct{})
	t.Cleanup(func() {
		close(quit)
		for _, rid := range rids {
			_ = tc.Sender().SetReadDeadlineSimulcast(time.Now(), rid)
		}
		readers.Wait()
	})
	for _, rid := range rids {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				pkts, _, err := tc.Sender().ReadSimulcastRTCP(rid)
				select {
				case <-quit:
					return
				default:
				}
				if err != nil {
					return
				}
				for _, pkt := range pkts {
					if _, ok := pkt.(*rtcp.PictureLossIndication); ok {
						n, _ := p.plis.Load(rid)
						n.(*atomic.Int64).Add(1)
						select {
						case wantKey <- rid:
						default:
						}
					}
				}
			}
		}()
	}

	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		sizes := map[string]int{"l": 150, "m": 400, "h": 900}
		key := map[string]bool{"l": true, "m": true, "h": true}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case rid := <-wantKey:
				key[rid] = true
				continue
			case <-tick.C:
			}
			for i, rid := range rids {
				frame := make([]byte, sizes[rid])
				frame[0] = 1 // VP8 frame tag: inter frame
				if key[rid] || n%60 == 0 {
					frame[0], key[rid] = 0, false // key frame
				}
				frame[1] = rid[0]
				_ = tracks[i].WriteSample(pionmedia.Sample{Data: frame, Duration: 33 * time.Millisecond})
			}
		}
	}()
	return p
}

func (p *simulcastPublisher) pliCount(rid string) int64 {
	n, _ := p.plis.Load(rid)
	return n.(*atomic.Int64).Load()
}

// layerViewer watches a stream and records the layer and keyframe flag of each video packet,
// and the sequence numbers, which must run on across switches.
type layerViewer struct {
	*viewer
	mu      sync.Mutex
	layers  []byte
	keys    []bool
	seqs    []uint16
	ssrc    uint32
	arrived chan struct{}
}

func playLayers(t *testing.T, srv *media.Server, room, stream string, opts ...fireline.MediaOption) *layerViewer {
	t.Helper()
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	lv := &layerViewer{viewer: &viewer{pc: pc, ended: make(chan struct{})}, arrived: make(chan struct{}, 1)}
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		var vp8 codecs.VP8Packet
		for {
			pkt, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			frame, err := vp8.Unmarshal(pkt.Payload)
			if err != nil || len(frame) < 2 || vp8.S != 1 {
				continue
			}
			lv.mu.Lock()
			lv.ssrc = pkt.SSRC
			lv.layers = append(lv.layers, frame[1])
			lv.keys = append(lv.keys, frame[0]&1 == 0)
			lv.seqs = append(lv.seqs, pkt.SequenceNumber)
			lv.mu.Unlock()
			select {
			case lv.arrived <- struct{}{}:
			default:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()
	lv.session, err = srv.Play(ctx, room, stream, offer(t, pc), opts...)
	if err != nil {
		t.Fatalf("Play: %v", err)
	}
	accept(t, pc, lv.session.AnswerSDP)
	return lv
}

// last returns the layer of the latest packet, 0 before any.
func (lv *layerViewer) last() byte {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if len(lv.layers) == 0 {
		return 0
	}
	return lv.layers[len(lv.layers)-1]
}

func (lv *layerViewer) waitLayer(t *testing.T, want byte) {
	t.Helper()
	eventually(t, "the viewer on layer "+string(want), func() bool { return lv.last() == want })
}

// reportLoss sends the server a receiver report saying the viewer lost half of what it got.
func (lv *layerViewer) reportLoss(t *testing.T) {
	t.Helper()
	lv.mu.Lock()
	ssrc := lv.ssrc
	lv.mu.Unlock()
	rr := &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: ssrc, FractionLost: 128}}}
	if err := lv.pc.WriteRTCP([]rtcp.Packet{rr}); err != nil {
		t.Fatal(err)
	}
}

func TestSimulcastLayerPerViewer(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publishSimulcast(t, srv, room, "MCU-1")
	eventually(t, "all three layers", func() bool {
		info, ok := findStream(srv, room, "MCU-1")
		active := 0
		for _, tr := range info.TrackStats {
			if tr.Active {
				active++
			}
		}
		return ok && active == 3
	})
	info, _ := findStream(srv, room, "MCU-1")
	if got := strings.Join(info.Layers, ","); got != "l,m,h" {
		t.Errorf("Layers = %s, want l,m,h (low to high)", got)
	}

	auto := playLayers(t, srv, room, "MCU-1")
	low := playLayers(t, srv, room, "MCU-1", media.WithLayer(media.LayerLow))
	auto.waitLayer(t, 'h')
	low.waitLayer(t, 'l')
	time.Sleep(500 * time.Millisecond)
	if got := low.last(); got != 'l' {
		t.Errorf("the viewer that asked for low got layer %c", got)
	}
	eventually(t, "viewer stats", func() bool {
		info, _ := findStream(srv, room, "MCU-1")
		seen := map[string]bool{}
		for _, v := range info.ViewerStats {
			seen[v.Layer+map[bool]string{true: "!", false: ""}[v.Pinned]] = v.Bitrate > 0
		}
		return seen["h"] && seen["l!"]
	})
	// The layers' bitrates rank as their sizes do.
	info, _ = findStream(srv, room, "MCU-1")
	rate := map[string]uint64{}
	for _, tr := range info.TrackStats {
		rate[tr.Layer] = tr.Bitrate
	}
	if !(rate["l"] > 0 && rate["l"] < rate["m"] && rate["m"] < rate["h"]) {
		t.Errorf("layer bitrates = %v, want 0 < l < m < h", rate)
	}
	_ = pub
}

func TestSimulcastStepsDownOnLossAtKeyframe(t *testing.T) {
	srv := newServer(t, media.Config{})
	pub := publishSimulcast(t, srv, room, "MCU-1")
	eventually(t, "the high layer", func() bool {
		info, _ := findStream(srv, room, "MCU-1")
		return len(info.TrackStats) == 3
	})
	v := playLayers(t, srv, room, "MCU-1")
	v.waitLayer(t, 'h')
	before := pub.pliCount("m")
	// A weak link: the viewer reports heavy loss until it is moved.
	deadline := time.Now().Add(waitFor)
	for v.last() == 'h' && time.Now().Before(deadline) {
		v.reportLoss(t)
		time.Sleep(200 * time.Millisecond)
	}
	v.waitLayer(t, 'm')
	if pub.pliCount("m") <= before {
		t.Error("no keyframe request for the layer switched to")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	first := -1
	for i, l := range v.layers {
		if l == 'm' {
			first = i
			break
		}
	}
	if !v.keys[first] {
		t.Error("the switch to m began on a delta frame, not a keyframe")
	}
	// The sequence numbers run on across the switch: a jump would read as loss.
	for i := 1; i < len(v.seqs); i++ {
		if gap := v.seqs[i] - v.seqs[i-1]; gap == 0 || gap > 50 {
			t.Fatalf("sequence number jumps from %d to %d at packet %d (layer %c → %c)", v.seqs[i-1], v.seqs[i], i, v.layers[i-1], v.layers[i])
		}
	}
}

func TestSimulcastSinkGetsHighestLayer(t *testing.T) {
	var (
		mu     sync.Mutex
		opened int
		layers = map[byte]int{}
	)
	srv := newServer(t, media.Config{Sinks: func(media.Track) (media.TrackSink, error) {
		mu.Lock()
		defer mu.Unlock()
		opened++
		return sinkFunc(func(payload []byte) {
			var vp8 codecs.VP8Packet
			if frame, err := vp8.Unmarshal(payload); err == nil && len(frame) > 1 && vp8.S == 1 {
				mu.Lock()
				layers[frame[1]]++
				mu.Unlock()
			}
		}), nil
	}})
	publishSimulcast(t, srv, room, "MCU-1")
	eventually(t, "frames in the sink", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return layers['h'] > 10
	})
	mu.Lock()
	defer mu.Unlock()
	if opened != 1 || len(layers) != 1 {
		t.Errorf("sinks opened = %d, layers recorded = %v; want one sink of layer h only", opened, layers)
	}
}

// ridStamper writes the mid and rid header extensions (RFC 8852) on every packet of a
// simulcast sender, as browsers do; pion v3 declares the rids in its offer but leaves the
// extensions to the application, and an SFU tells the layers apart by them.
type ridStamper struct {
	interceptor.NoOp
	rids sync.Map // SSRC → rid
}

func (r *ridStamper) NewInterceptor(string) (interceptor.Interceptor, error) { return r, nil }

func (r *ridStamper) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var midID, ridID uint8
	for _, e := range info.RTPHeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if rid, ok := r.rids.Load(h.SSRC); ok && midID != 0 && ridID != 0 {
			_ = h.SetExtension(midID, []byte("0"))
			_ = h.SetExtension(ridID, []byte(rid.(string)))
		}
		return w.Write(h, payload, a)
	})
}

// sinkFunc is a track sink that hands each payload to a function.
type sinkFunc func(payload []byte)

func (f sinkFunc) WriteRTP(p *rtp.Packet) error { f(p.Payload); return nil }
func (f sinkFunc) Close() error                 { return nil }

// TestSimulcastStepsDownOnLowEstimate: a viewer whose own estimate of its bandwidth (REMB)
// stays below its layer's bitrate is moved down, once the estimate has had time to settle.
func TestSimulcastStepsDownOnLowEstimate(t *testing.T) {
	srv := newServer(t, media.Config{})
	publishSimulcast(t, srv, room, "MCU-1")
	eventually(t, "the layers", func() bool {
		info, _ := findStream(srv, room, "MCU-1")
		return len(info.TrackStats) == 3
	})
	v := playLayers(t, srv, room, "MCU-1")
	v.waitLayer(t, 'h')
	deadline := time.Now().Add(15 * time.Second)
	for v.last() == 'h' && time.Now().Before(deadline) {
		remb := &rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: 20_000, SSRCs: []uint32{v.ssrcOf()}}
		if err := v.pc.WriteRTCP([]rtcp.Packet{remb}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v.last() == 'h' {
		t.Fatal("a viewer estimating 20 kbit/s stayed on the high layer")
	}
	eventually(t, "the estimate in the viewer's statistics", func() bool {
		info, _ := findStream(srv, room, "MCU-1")
		return len(info.ViewerStats) == 1 && info.ViewerStats[0].Estimate == 20_000 && info.ViewerStats[0].Layer != "h"
	})
}

func (lv *layerViewer) ssrcOf() uint32 {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	return lv.ssrc
}
