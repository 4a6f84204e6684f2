package fireline

import (
	"io"
	"io/fs"
	"time"
)

// Recording is one camera's recording of an incident's room: the media file's description,
// which the media node that writes it keeps beside it (a sidecar).
type Recording struct {
	Name string `json:"name"` // the media file's name in its room's folder
	// IncidentID is the incident of the room ("incident:<id>"), 0 for other rooms.
	IncidentID  int64            `json:"incident_id,omitempty"`
	Room        string           `json:"room"`
	Stream      string           `json:"stream"` // the publishing unit's id
	ContentType string           `json:"content_type"`
	Tracks      []RecordingTrack `json:"tracks"`
	// StartedAt is the wall-clock arrival of the first written frame: media time 0, so a
	// timeline event at time t is at t − StartedAt in the recording.
	StartedAt time.Time `json:"started_at"`
	// EndedAt is the wall-clock time of the last written frame (StartedAt + Duration); nil
	// while recording.
	EndedAt  *time.Time `json:"ended_at,omitempty"`
	Duration float64    `json:"duration_s"` // seconds of media time
	Bytes    int64      `json:"bytes"`
	Frames   int        `json:"frames"`
	// Complete is true only for a recording closed cleanly; an interrupted or failed one plays
	// up to its last complete frame.
	Complete bool `json:"complete"`
	// State is recording, closed, interrupted or failed (media.StateRecording and friends).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Node names the media node that wrote the file, so that several nodes may share one
	// folder and each recovers only what it left open.
	Node string `json:"node,omitempty"`
}

// RecordingTrack is one track of a recording.
type RecordingTrack struct {
	Number int    `json:"number"`
	Kind   string `json:"kind"`  // audio or video
	Codec  string `json:"codec"` // MIME type: video/VP8, video/H264, audio/opus
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Frames int    `json:"frames"`
}

// Codecs lists the MIME types of the recording's tracks.
func (r Recording) Codecs() []string {
	out := make([]string, 0, len(r.Tracks))
	for _, t := range r.Tracks {
		out = append(out, t.Codec)
	}
	return out
}

// RecordingLibrary reads the incidents' video recordings, which the media nodes write, for the
// review. media.Library implements it.
type RecordingLibrary interface {
	// Recordings lists a media room's recordings, oldest first.
	Recordings(room string) ([]Recording, error)
	// Open opens one by name: EINVALID for a name no recording could have, ENOTFOUND for one
	// the room does not have.
	Open(room, name string) (RecordingFile, Recording, error)
}

// RecordingFile is an open recording: *os.File is one.
type RecordingFile interface {
	io.ReadSeekCloser
	Stat() (fs.FileInfo, error)
}
