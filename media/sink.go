package media

import "github.com/pion/rtp"

// Track describes one published track to a SinkFactory.
type Track struct {
	Room   string
	Stream string
	Kind   string // "audio" or "video"
	Codec  string // MIME type, e.g. "video/VP8"
	// ClockRate is the RTP clock in Hz, which a recorder needs to turn timestamps into time.
	ClockRate uint32
	// Keyframe, if set, asks the publisher for a keyframe: a recording that begins after the
	// track did (the disk had no room before) starts with one.
	Keyframe func()
}

// TrackSink receives every RTP packet of one published track in arrival order. It is the seam
// for per-track recording to IVF/Ogg. WriteRTP runs on the track's forwarding
// goroutine, so it must be quick; the packet must not be kept after it returns.
type TrackSink interface {
	WriteRTP(p *rtp.Packet) error
	// Close is called once, when the track ends.
	Close() error
}

// SinkFactory opens a sink for a newly published track. It may return a nil sink to skip a
// track. An error is logged and the track is forwarded without a sink: live video matters
// more than its recording.
type SinkFactory func(t Track) (TrackSink, error)
