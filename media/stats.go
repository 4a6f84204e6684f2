package media

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// rateWindow is the sliding window bitrates are measured over: long enough to smooth a
// keyframe's burst, short enough that a stalled camera shows within seconds.
const rateWindow = 3 * time.Second

// rateMeter turns a growing byte count into bits per second over rateWindow. The sampler calls
// sample once a second; readers call bps at any time.
type rateMeter struct {
	mu      sync.Mutex
	samples [8]struct {
		at    time.Time
		bytes uint64
	}
	n   int // samples taken, capped at len(samples)
	pos int // where the next sample goes
	bps atomic.Uint64
}

func (m *rateMeter) sample(now time.Time, total uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples[m.pos].at, m.samples[m.pos].bytes = now, total
	m.pos = (m.pos + 1) % len(m.samples)
	m.n = min(m.n+1, len(m.samples))
	// The oldest sample still inside the window gives the rate.
	newest := (m.pos - 1 + len(m.samples)) % len(m.samples)
	oldest := newest
	for i := 1; i < m.n; i++ {
		j := (newest - i + len(m.samples)) % len(m.samples)
		if now.Sub(m.samples[j].at) > rateWindow {
			break
		}
		oldest = j
	}
	if oldest == newest {
		return
	}
	dt := now.Sub(m.samples[oldest].at).Seconds()
	m.bps.Store(uint64(float64(total-m.samples[oldest].bytes) * 8 / dt))
}

func (m *rateMeter) get() uint64 { return m.bps.Load() }

// rtpStats keeps RFC 3550's receiver statistics of one incoming RTP stream: packets lost by
// sequence gaps (A.3) and interarrival jitter (6.4.1, A.8). update runs on the stream's read
// loop only; the atomics are for readers elsewhere.
type rtpStats struct {
	packets atomic.Uint64
	bytes   atomic.Uint64
	lost    atomic.Int64  // cumulative; a late packet takes one back, as in RFC 3550
	jitter  atomic.Uint64 // math.Float64bits of the jitter in RTP clock units
	lastAt  atomic.Int64  // arrival of the latest packet, Unix ns

	// read loop only
	started     bool
	baseSeq     uint32
	maxSeq      uint16
	cycles      uint32
	received    uint64
	epoch       time.Time
	lastArrival float64 // in RTP clock units since epoch
	lastTS      uint32
	jit         float64
}

// maxDropout is how far ahead a sequence number may jump and still count as the same stream
// (RFC 3550 A.1's MAX_DROPOUT); a larger jump is a restarted sender, which resets the count.
const maxDropout = 3000

// maxMisorder is how far back a sequence number may be and still be a late packet of the same
// stream (RFC 3550 A.1's MAX_MISORDER); RTX probes resend packets up to a few hundred back.
const maxMisorder = 1000

// update counts p, which arrived at now, and reports whether it is the newest packet of the
// stream so far (not a late, repeated or retransmitted one).
func (s *rtpStats) update(p *rtp.Packet, now time.Time, clockRate uint32) (newest bool) {
	s.packets.Add(1)
	s.bytes.Add(uint64(len(p.Payload)))
	s.lastAt.Store(now.UnixNano())
	seq := p.SequenceNumber
	if !s.started {
		s.started, s.baseSeq, s.maxSeq, s.epoch = true, uint32(seq), seq, now
		s.received = 1
		s.lastTS = p.Timestamp
		return true
	}
	switch delta := seq - s.maxSeq; {
	case delta == 0:
		// a duplicate (a retransmission that crossed its original): counted below as
		// received, which RFC 3550 accepts; lost is kept from going below zero
	case delta < maxDropout:
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
		newest = true
	case delta <= 1<<16-maxMisorder:
		// a jump backwards by less than maxMisorder is reordering or a retransmission;
		// anything else restarted the sender
		s.baseSeq, s.maxSeq, s.cycles, s.received = uint32(seq), seq, 0, 0
		newest = true
	}
	s.received++
	expected := int64(s.cycles+uint32(s.maxSeq)) - int64(s.baseSeq) + 1
	s.lost.Store(max(expected-int64(s.received), 0))
	// Jitter, as browsers measure it: only between packets of different frames. Packets of
	// one frame share a timestamp but leave the sender's pacer apart, which would read as
	// jitter that is not. The difference of transit times is taken as a difference of
	// differences, so timestamps wrapping around 2^32 do no harm.
	if p.Timestamp == s.lastTS || clockRate == 0 || !newest {
		return newest
	}
	arrival := now.Sub(s.epoch).Seconds() * float64(clockRate)
	d := math.Abs((arrival - s.lastArrival) - float64(int32(p.Timestamp-s.lastTS)))
	s.lastArrival, s.lastTS = arrival, p.Timestamp
	s.jit += (d - s.jit) / 16
	s.jitter.Store(math.Float64bits(s.jit))
	return newest
}

// jitterMS is the interarrival jitter in milliseconds.
func (s *rtpStats) jitterMS(clockRate uint32) float64 {
	if clockRate == 0 {
		return 0
	}
	return math.Float64frombits(s.jitter.Load()) / float64(clockRate) * 1000
}
