package media

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestRTPStatsLossAndJitter(t *testing.T) {
	const clock = 90000
	tests := []struct {
		name     string
		seqs     []uint16
		jittery  bool
		lost     int64
		jitterGT float64 // ms
		jitterLT float64
	}{
		{"in order, steady", seqRange(65500, 100), false, 0, -1, 0.01},
		{"two gaps across the wrap", append(seqRange(65530, 5), seqRange(1, 20)...), false, 2, -1, 0.01},
		{"reordered, nothing lost", []uint16{1, 3, 2, 4, 5}, false, 0, -1, 1},
		{"jittery arrival", seqRange(1, 200), true, 0, 2, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s rtpStats
			at := time.Unix(0, 0)
			for i, seq := range tt.seqs {
				// One packet per 33 ms frame; the jittery stream arrives up to 10 ms off.
				arrive := at.Add(time.Duration(i) * 33 * time.Millisecond)
				if tt.jittery && i%2 == 1 {
					arrive = arrive.Add(10 * time.Millisecond)
				}
				s.update(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(i) * 2970}, Payload: []byte{1}}, arrive, clock)
			}
			if got := s.lost.Load(); got != tt.lost {
				t.Errorf("lost = %d, want %d", got, tt.lost)
			}
			if j := s.jitterMS(clock); j <= tt.jitterGT || j >= tt.jitterLT {
				t.Errorf("jitter = %.3f ms, want in (%g, %g)", j, tt.jitterGT, tt.jitterLT)
			}
		})
	}
}

func seqRange(from uint16, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = from + uint16(i)
	}
	return out
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	at := time.Unix(100, 0)
	for i := range 10 {
		m.sample(at.Add(time.Duration(i)*time.Second), uint64(i)*125_000) // 1 Mbit/s
	}
	if got := m.get(); got < 990_000 || got > 1_010_000 {
		t.Errorf("rate = %d bit/s, want 1,000,000", got)
	}
}

func TestKeyframeDetection(t *testing.T) {
	tests := []struct {
		name    string
		mime    string
		payload []byte
		want    bool
	}{
		{"VP8 key, short descriptor", "video/VP8", []byte{0x10, 0x00, 0x9d}, true},
		{"VP8 delta", "video/VP8", []byte{0x10, 0x01}, false},
		{"VP8 continuation", "video/VP8", []byte{0x00, 0x00}, false},
		{"VP8 key, 15-bit picture id", "video/VP8", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"VP8 delta, picture id, TL0PICIDX and TID", "video/VP8", []byte{0x90, 0xe0, 0x12, 0x05, 0x40, 0x01}, false},
		{"H.264 IDR", "video/H264", []byte{0x65, 0x88}, true},
		{"H.264 SPS", "video/H264", []byte{0x67, 0x42}, true},
		{"H.264 non-IDR slice", "video/H264", []byte{0x41, 0x9a}, false},
		{"H.264 STAP-A with SPS", "video/H264", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68}, true},
		{"H.264 FU-A start of IDR", "video/H264", []byte{0x7c, 0x85}, true},
		{"H.264 FU-A middle of IDR", "video/H264", []byte{0x7c, 0x05}, false},
		{"Opus", "audio/opus", []byte{0x00}, false},
		{"empty", "video/VP8", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isKeyframe(tt.mime, tt.payload); got != tt.want {
				t.Errorf("isKeyframe = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRankLayers(t *testing.T) {
	tests := map[string]string{
		"h,m,l":       "l,m,h",
		"l,m,h":       "l,m,h",
		"f,h,q":       "q,h,f",
		"high,low":    "low,high",
		"2,0,1":       "0,1,2",
		"cam-a,cam-b": "cam-a,cam-b", // unknown: the offer's order
	}
	for in, want := range tests {
		if got := strings.Join(rankLayers(strings.Split(in, ",")), ","); got != want {
			t.Errorf("rankLayers(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestMetricsFormat(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var b strings.Builder
	if err := srv.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(name, "fireline_media_") || value == "" {
			t.Errorf("bad sample line %q", line)
		}
	}
	if q(`a"b\c`+"\n") != `"a\"b\\c\n"` {
		t.Errorf("label escaping: %s", q(`a"b\c`+"\n"))
	}
}
