package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3"
)

const (
	frameRate  = 30
	clockRate  = 90000
	payloadMTU = 1200 // RTP payload bytes per packet, as browsers use
)

// newAPI is a browser-like pion stack for the loader's peers: VP8 only, the default
// interceptors (NACK, RTCP reports, TWCC), local candidates only.
func newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: clockRate, RTCPFeedback: fb},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(localOnly)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// benchNet is RFC 2544's benchmarking range. scripts/bench-media.sh runs everything in a
// network namespace of its own with an address from it besides loopback, for servers that
// gather no loopback candidates (Janus); no traffic leaves the machine either way.
var benchNet = net.IPNet{IP: net.IPv4(198, 18, 0, 0), Mask: net.CIDRMask(15, 32)}

// localOnly keeps ICE to loopback and the benchmark namespace's own address.
func localOnly(ip net.IP) bool { return ip.IsLoopback() || benchNet.Contains(ip) }

// watch returns a channel closed once pc is connected, and one closed if it fails first.
func watch(pc *webrtc.PeerConnection) (connected, failed <-chan struct{}) {
	c, f := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			once.Do(func() { close(c) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			once.Do(func() { close(f) })
		}
	})
	return c, f
}

// publisher is one field camera: it loops the IVF's frames at 30 fps, each frame stamped.
type publisher struct {
	slot      Slot
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	hangUp    func()
	measuring *atomic.Bool
	stop      chan struct{}
	done      chan struct{}

	packets, bytes, frames atomic.Uint64 // written while measuring
}

func startPublisher(ctx context.Context, api *webrtc.API, sig signaller, slot Slot, frames [][]byte, measuring *atomic.Bool) (*publisher, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: clockRate}, "video", slot.Stream)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	// RTCP must be read for the interceptors (NACK responder, reports) to see it.
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Sender().Read(buf); err != nil {
				return
			}
		}
	}()
	up, failed := watch(pc)
	p := &publisher{slot: slot, pc: pc, track: track, measuring: measuring, stop: make(chan struct{}), done: make(chan struct{})}
	p.hangUp, err = sig.publish(ctx, pc, slot)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("publish %s: %w", slot.Stream, err)
	}
	// Frames written before the connection is up are dropped, as a camera's would be.
	go p.run(frames)
	select {
	case <-up:
	case <-failed:
		p.close()
		return nil, fmt.Errorf("publish %s: connection failed", slot.Stream)
	case <-time.After(signalTimeout):
		p.close()
		return nil, fmt.Errorf("publish %s: not connected after %v", slot.Stream, signalTimeout)
	}
	return p, nil
}

func (p *publisher) run(frames [][]byte) {
	defer close(p.done)
	pz := rtp.NewPacketizer(payloadMTU, 96, rand.Uint32(), &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), clockRate)
	tick := time.NewTicker(time.Second / frameRate)
	defer tick.Stop()
	buf := make([]byte, 0, 64<<10)
	for n := uint32(0); ; n++ {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		frame := frames[int(n)%len(frames)]
		sent := time.Now().UnixNano()
		buf = appendStamp(append(buf[:0], frame...), n, sent)
		pkts := pz.Packetize(buf, clockRate/frameRate)
		var bytes int
		for _, pkt := range pkts {
			// A write error is a closing connection; the run notices through its viewers.
			_ = p.track.WriteRTP(pkt)
			bytes += len(pkt.Payload)
		}
		if p.measuring.Load() {
			p.packets.Add(uint64(len(pkts)))
			p.bytes.Add(uint64(bytes))
			p.frames.Add(1)
		}
	}
}

func (p *publisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.hangUp()
	_ = p.pc.Close()
}

// viewer is one console playing a stream: it counts what arrives and times each packet of
// every stamped frame.
type viewer struct {
	pc        *webrtc.PeerConnection
	hangUp    func()
	measuring *atomic.Bool
	first     chan struct{} // closed at the first packet
	firstOnce sync.Once

	mu      sync.Mutex
	seq     seqCounter
	packets uint64
	bytes   uint64
	frames  uint64
	latUS   []int64

	// Frame assembly, on the track's goroutine only.
	curTS   uint32
	tail    tail
	arrived []int64 // arrival times (Unix ns) of the current frame's packets
}

func startViewer(ctx context.Context, api *webrtc.API, sig signaller, slot Slot, measuring *atomic.Bool) (*viewer, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	v := &viewer{pc: pc, measuring: measuring, first: make(chan struct{})}
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		for {
			pkt, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			v.receive(pkt, time.Now().UnixNano())
		}
	})
	_, failed := watch(pc)
	v.hangUp, err = sig.play(ctx, pc, slot)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("play %s: %w", slot.Stream, err)
	}
	select {
	case <-v.first:
	case <-failed:
		v.close()
		return nil, fmt.Errorf("play %s: connection failed", slot.Stream)
	case <-time.After(signalTimeout):
		v.close()
		return nil, fmt.Errorf("play %s: no media after %v", slot.Stream, signalTimeout)
	}
	return v, nil
}

func (v *viewer) receive(pkt *rtp.Packet, now int64) {
	v.firstOnce.Do(func() { close(v.first) })
	measuring := v.measuring.Load()
	v.mu.Lock()
	defer v.mu.Unlock()
	if measuring {
		if !v.seq.add(pkt.SequenceNumber) {
			return // a retransmission of what already arrived
		}
		v.packets++
		v.bytes += uint64(len(pkt.Payload))
	}
	if pkt.Timestamp != v.curTS {
		if int32(pkt.Timestamp-v.curTS) < 0 && len(v.arrived) > 0 {
			return // a late packet of an earlier frame: counted, not timed
		}
		v.curTS = pkt.Timestamp
		v.tail.reset()
		v.arrived = v.arrived[:0]
	}
	var vp8 codecs.VP8Packet
	payload, err := vp8.Unmarshal(pkt.Payload)
	if err != nil {
		return
	}
	v.tail.write(payload)
	v.arrived = append(v.arrived, now)
	if !pkt.Marker {
		return
	}
	if _, sent, ok := readStamp(v.tail.bytes()); ok && measuring {
		v.frames++
		for _, at := range v.arrived {
			v.latUS = append(v.latUS, (at-sent)/1000)
		}
	}
	v.tail.reset()
	v.arrived = v.arrived[:0]
}

func (v *viewer) close() {
	if v.hangUp != nil {
		v.hangUp()
	}
	_ = v.pc.Close()
}
