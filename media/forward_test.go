package media

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
)

// recorder is a viewer's sender that keeps the sequence numbers written to it.
type recorder struct{ seqs []uint16 }

func (r *recorder) WriteRTP(h *rtp.Header, _ []byte) (int, error) {
	r.seqs = append(r.seqs, h.SequenceNumber)
	return 0, nil
}

func (r *recorder) Write([]byte) (int, error) { return 0, nil }

func testDownTrack(layers int) (*downTrack, *recorder) {
	t := &track{st: &stream{name: "E-1"}, kind: webrtc.RTPCodecTypeVideo}
	for i := range layers {
		t.layers = append(t.layers, &layer{t: t, index: i})
	}
	rec := &recorder{}
	d := &downTrack{t: t, current: -1, target: layers - 1, pinned: -1, writer: rec, live: true}
	return d, rec
}

// TestDownTrackRunsThroughWraps: a long stream on one layer is forwarded whole, however often
// its sequence numbers wrap, after a switch as before one.
func TestDownTrackRunsThroughWraps(t *testing.T) {
	d, rec := testDownTrack(2)
	send := func(layer int, seq uint16, key bool) {
		d.write(layer, &rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: []byte{1}}, key, 90000)
	}
	send(1, 100, true) // starts on the top layer at a keyframe
	for i := 1; i < 140_000; i++ {
		send(1, uint16(100+i), false)
	}
	if len(rec.seqs) != 140_000 {
		t.Fatalf("forwarded %d of 140000 packets", len(rec.seqs))
	}
	d.setTarget(0)
	send(0, 5000, false) // not a keyframe: no switch yet
	send(1, uint16(100+140_000%65536), false)
	send(0, 5001, true)  // the switch
	send(0, 4990, false) // late, from before the switch: dropped
	for i := 2; i < 70_000; i++ {
		send(0, uint16(5000+i), false)
	}
	send(1, 7, false) // the old layer is no longer forwarded
	for i := 1; i < len(rec.seqs); i++ {
		if rec.seqs[i] != rec.seqs[i-1]+1 {
			t.Fatalf("sequence number %d follows %d at packet %d", rec.seqs[i], rec.seqs[i-1], i)
		}
	}
	if want := 140_000 + 1 + 69_999; len(rec.seqs) != want {
		t.Errorf("forwarded %d packets, want %d", len(rec.seqs), want)
	}
}
