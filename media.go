package fireline

import (
	"context"
	"io"
	"time"
)

// MediaService is a WHIP/WHEP media server: field units publish their cameras into an
// incident's room, consoles play them. Rooms and streams are names: room "incident:<id>", a
// stream the publishing unit's id. media.Server implements it.
type MediaService interface {
	// Publish accepts a WHIP offer for stream in room and returns the complete answer; a second
	// publish of a live stream is ECONFLICT.
	Publish(ctx context.Context, room, stream, offer string, opts ...MediaOption) (MediaSession, error)
	// Play accepts a WHEP offer for stream in room and returns the complete answer; ENOTFOUND
	// when nobody publishes it.
	Play(ctx context.Context, room, stream, offer string, opts ...MediaOption) (MediaSession, error)
	// Session describes a live session of room; ENOTFOUND when there is none.
	Session(room, sessionID string) (MediaSessionInfo, error)
	// Trickle adds the ICE candidates of an application/trickle-ice-sdpfrag body.
	Trickle(room, sessionID, frag string) error
	// End ends a session; ending a publisher ends its stream and every viewer of it.
	End(room, sessionID string) error
	// Streams describes the live streams of room, ordered by stream name.
	Streams(room string) []StreamInfo
	// ICEServers are the STUN and TURN servers to advertise to clients.
	ICEServers() []ICEServer
	// WriteMetrics writes the Prometheus text exposition of the media server.
	WriteMetrics(w io.Writer) error
}

// MediaOption says who opens a media session and, for a viewer, which simulcast layer it asks
// for. Of several options the later one's non-empty fields win.
type MediaOption struct {
	// Owner is the username of whoever opens the session, so that only they (or a supervisor)
	// may change or end it; "" if nobody says.
	Owner string
	// Layer is the simulcast layer a viewer asks for: low, mid or high; "" lets its link
	// choose. A publisher's is ignored.
	Layer string
}

// MediaSession is one WHIP (publish) or WHEP (play) peer connection, as opened.
type MediaSession struct {
	ID        string // opaque, unguessable; the last segment of the session's Location
	Room      string
	Stream    string
	AnswerSDP string // the complete, non-trickle answer
	// ETag is the session's entity tag (RFC 9725 §4.3.1), quoted: a PATCH's If-Match names it.
	ETag string
}

// MediaSessionInfo says whose a live session is.
type MediaSessionInfo struct {
	ID        string
	Room      string
	Stream    string
	Owner     string // who opened it (MediaOption.Owner); "" if nobody said
	Publisher bool   // a WHIP session; false: a WHEP viewer
	ETag      string
}

// ICEServer is a STUN or TURN server for clients (RFC 8489, RFC 8656): a stun:, turn: or
// turns: URL, and for TURN the long-term credentials.
type ICEServer struct {
	URL        string
	Username   string
	Credential string
}

// StreamInfo describes a live stream of a room with its statistics, as the consoles show them.
type StreamInfo struct {
	Stream string `json:"stream"`
	// Tracks are the MIME types of the tracks received so far, e.g. "video/VP8".
	Tracks []string `json:"tracks"`
	// Viewers counts the viewers currently registered to the stream.
	Viewers   int       `json:"viewers"`
	StartedAt time.Time `json:"started_at"`
	// Bitrate is what the publisher sends, bits/s over the last few seconds.
	Bitrate uint64 `json:"bitrate_bps"`
	// Packets and Bytes count the RTP packets and payload bytes received from the publisher,
	// every track and layer.
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// PacketsLost is the packets the publisher's streams lost on the way (sequence gaps).
	PacketsLost int64 `json:"packets_lost"`
	// Layers are the simulcast layers of the video, lowest first; absent without simulcast.
	Layers []string `json:"layers,omitempty"`
	// TrackStats has one entry per track and layer; ViewerStats one per viewer.
	TrackStats  []TrackStats `json:"track_stats"`
	ViewerStats []ViewerStat `json:"viewer_stats"`
}

// TrackStats describes one RTP stream of a publisher: a track or one simulcast layer.
type TrackStats struct {
	Track string `json:"track"` // the publisher's track id
	Kind  string `json:"kind"`  // audio or video
	Codec string `json:"codec"` // MIME type
	// Layer is the simulcast layer's RTP stream id; "" without simulcast.
	Layer string `json:"layer,omitempty"`
	// Active says it has sent media in the last two seconds.
	Active      bool    `json:"active"`
	Packets     uint64  `json:"packets"`
	Bytes       uint64  `json:"bytes"`
	Bitrate     uint64  `json:"bitrate_bps"`
	PacketsLost int64   `json:"packets_lost"` // from sequence gaps (RFC 3550 A.3)
	JitterMS    float64 `json:"jitter_ms"`    // RFC 3550 interarrival jitter, milliseconds
}

// ViewerStat describes one viewer of a stream: the layer it is sent and what it takes.
type ViewerStat struct {
	Session string `json:"session"`
	Owner   string `json:"owner"`
	// Layer is the simulcast layer it is sent ("" without simulcast); Pinned says it asked
	// for it rather than having it chosen from its link.
	Layer  string `json:"layer,omitempty"`
	Pinned bool   `json:"pinned,omitempty"`
	// Bitrate is what it is sent, bits/s; Estimate is its own estimate of what it can take
	// (REMB), 0 if it gives none; FractionLost is from its latest receiver report, 0 to 1.
	Bitrate      uint64  `json:"bitrate_bps"`
	Estimate     uint64  `json:"estimate_bps,omitempty"`
	FractionLost float64 `json:"fraction_lost"`
}

// The media nodes' heartbeat, which the nodes keep and the API nodes read.
const (
	// MediaNodeBeat is how often a media node renews its registration and reports each live
	// room's streams, which is what the consoles' live statistics are made of.
	MediaNodeBeat = 2 * time.Second
	// MediaNodeTTL is how long a media node may be silent before it is taken for dead: its
	// rooms go to a live node on their next publish. Several beats fit in it, so one lost
	// beat moves nothing.
	MediaNodeTTL = 10 * time.Second
)

// MediaNode is a node running the media role, as registered.
type MediaNode struct {
	ID string `json:"id"`
	// URL is its public base URL (scheme, host, port): WHIP and WHEP are under it.
	URL string `json:"url"`
}

// MediaLoad is what a media node reports with each heartbeat.
type MediaLoad struct {
	Publishers, Viewers int
}

// MediaRegistry is the registry of media nodes: which nodes are live, which node holds each
// incident's room, and the streams each room's holder last reported. Media nodes keep it
// current; API nodes read it to send each WHIP and WHEP request to the room's holder.
// postgres.DB implements it.
type MediaRegistry interface {
	// MediaBeat registers the node, or renews its heartbeat, with its current load, and lets
	// go of its rooms whose incidents are no longer open.
	MediaBeat(ctx context.Context, n MediaNode, load MediaLoad) error
	// MediaLeave removes a stopping node and with it the rooms it held.
	MediaLeave(ctx context.Context, nodeID string) error
	// AssignMediaRoom returns the node holding the incident's room, first giving it to the
	// least loaded live node when no node live within ttl holds it; EUNAVAILABLE when no node
	// is live.
	AssignMediaRoom(ctx context.Context, incidentID int64, ttl time.Duration) (MediaNode, error)
	// MediaRoomNode returns the node live within ttl holding the room; false when none does.
	MediaRoomNode(ctx context.Context, incidentID int64, ttl time.Duration) (MediaNode, bool, error)
	// ReportMediaRoom stores the room's streams as its node sees them, a JSON array of
	// StreamInfo, and announces them on the change feed (kind "media").
	ReportMediaRoom(ctx context.Context, nodeID string, incidentID int64, streams []byte) error
	// MediaRoomStreams returns the room's streams as its holder last reported them: a JSON
	// array of StreamInfo, empty when it reported none.
	MediaRoomStreams(ctx context.Context, incidentID int64) ([]byte, error)
	// ReleaseMediaRoom gives up the node's hold on the incident's room: the incident has closed.
	ReleaseMediaRoom(ctx context.Context, nodeID string, incidentID int64) error
}
