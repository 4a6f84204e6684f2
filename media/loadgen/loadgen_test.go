package main

import (
	"bytes"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestStampSurvivesPacketization: a stamped frame cut into VP8 packets of any size gives its
// stamp back at the viewer, whichever packet boundaries split it.
func TestStampSurvivesPacketization(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sent := time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	for _, size := range []int{0, 1, 15, 16, 17, 1183, 1184, 1185, 1199, 1200, 4000, 30000} {
		for _, mtu := range []uint16{1200, 40, 23} {
			frame := make([]byte, size)
			for i := range frame {
				frame[i] = byte(rng.Uint32())
			}
			data := appendStamp(frame, 77, sent)
			pz := rtp.NewPacketizer(mtu, 96, 1, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), clockRate)
			pkts := pz.Packetize(data, 3000)
			var tl tail
			var got []byte
			for _, p := range pkts {
				var vp8 codecs.VP8Packet
				payload, err := vp8.Unmarshal(p.Payload)
				if err != nil {
					t.Fatalf("size %d mtu %d: unmarshal: %v", size, mtu, err)
				}
				tl.write(payload)
				got = append(got, payload...)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("size %d mtu %d: depacketized frame differs", size, mtu)
			}
			if !pkts[len(pkts)-1].Marker {
				t.Fatalf("size %d mtu %d: last packet has no marker", size, mtu)
			}
			n, at, ok := readStamp(tl.bytes())
			if !ok || n != 77 || at != sent {
				t.Errorf("size %d mtu %d: readStamp = %d, %d, %v; want 77, %d, true", size, mtu, n, at, ok, sent)
			}
		}
	}
}

func TestReadStampRejectsUnstamped(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte{0xAB}, 40)} {
		if _, _, ok := readStamp(b); ok {
			t.Errorf("readStamp(%x) ok, want not a stamp", b)
		}
	}
}

// TestViewerTimesEveryPacketOfAFrame: each packet of a frame is timed from the frame's stamp;
// a frame whose stamp was lost is not timed, and a retransmission counts once.
func TestViewerTimesEveryPacketOfAFrame(t *testing.T) {
	on := newMeasuring(true)
	v := &viewer{measuring: on, first: make(chan struct{})}
	pz := rtp.NewPacketizer(200, 96, 1, &codecs.VP8Payloader{}, rtp.NewFixedSequencer(65530), clockRate)
	const sent = int64(1_000_000_000)
	frame := appendStamp(make([]byte, 500), 1, sent)
	pkts := pz.Packetize(frame, 3000) // 3 packets, sequence numbers 65530…65532
	for i, p := range pkts {
		v.receive(p, sent+int64(i+1)*1000) // 1, 2, 3 µs after the stamp
	}
	v.receive(pkts[1], sent+9000) // a retransmission
	second := pz.Packetize(appendStamp(make([]byte, 500), 2, sent), 3000)
	for _, p := range second[1:] { // the first packet of the second frame is lost
		v.receive(p, sent+5000)
	}
	if want := []int64{1, 2, 3, 5, 5}; len(v.latUS) != len(want) {
		t.Fatalf("latencies %v, want %v", v.latUS, want)
	}
	for i, want := range []int64{1, 2, 3, 5, 5} {
		if v.latUS[i] != want {
			t.Errorf("latency %d = %d µs, want %d", i, v.latUS[i], want)
		}
	}
	unique, expected := v.seq.counts()
	if unique != 5 || expected != 6 || v.frames != 2 {
		t.Errorf("unique %d expected %d frames %d, want 5, 6, 2", unique, expected, v.frames)
	}
}

func TestSeqCounterAcrossWrap(t *testing.T) {
	var c seqCounter
	for _, s := range []uint16{65533, 65535, 65534, 0, 2, 1, 1, 65532, 4} {
		c.add(s)
	}
	// 65532…4 is 9 numbers; 3 never arrived; 1 came twice.
	if unique, expected := c.counts(); unique != 8 || expected != 9 {
		t.Errorf("counts = %d, %d; want 8, 9", unique, expected)
	}
}

func TestParseStatCPU(t *testing.T) {
	stat := "4242 (fire line) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3.25 {
		t.Errorf("parseStatCPU = %v, %v; want 3.25 s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("parseStatCPU(garbage) succeeded")
	}
}

func TestPercentileAndStreamsPerCore(t *testing.T) {
	us := []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	var r Result
	latencySummary(&r, us)
	if r.LatencyP50us != 5 || r.LatencyP99us != 10 || r.LatencyMaxus != 10 || r.LatencySamples != 10 {
		t.Errorf("summary %+v", r)
	}
	r = Result{Seconds: 20, Forwarded: 32, ServerCPUSeconds: 4.4, IdleCPURate: 0.02}
	if got := r.ForwardingCores(); got < 0.1999 || got > 0.2001 {
		t.Errorf("ForwardingCores = %v, want 0.2", got)
	}
	if got := r.StreamsPerCore(); got < 159.9 || got > 160.1 {
		t.Errorf("StreamsPerCore = %v, want 160", got)
	}
}

func newMeasuring(on bool) *atomic.Bool {
	var b atomic.Bool
	b.Store(on)
	return &b
}
