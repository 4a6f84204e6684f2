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
	// Complete is true only for a recording closed cleanly at its end; an interrupted, failed
	// or cut one plays up to its last complete frame.
	Complete bool `json:"complete"`
	// State is recording, closed, interrupted, failed or cut (media.StateRecording and
	// friends). A cut recording was stopped because the recordings disk was full: the file is
	// finished and plays up to the cut, and Error says why.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Node names the media node that wrote the file, so that several nodes may share one
	// folder and each recovers only what it left open.
	Node string `json:"node,omitempty"`
}

// RecordingStatus says whether a media node is recording, for its health check: the
// recordings disk filling up suspends recording (live video goes on) until space is back.
type RecordingStatus struct {
	// Suspended is true while no recording is written for want of disk space.
	Suspended bool `json:"suspended"`
	// Reason says why: RecordingDiskFull or RecordingLowSpace; empty while recording.
	Reason string `json:"reason,omitempty"`
	// Detail says it for operators: "the recordings disk had 310.2 MiB free, below the
	// reserve of 512.0 MiB".
	Detail string `json:"detail,omitempty"`
	// Since is when recording was suspended.
	Since *time.Time `json:"since,omitempty"`
	// FreeBytes is the recordings disk's free space at the last check, -1 if unknown;
	// MinFreeBytes is the reserve below which nothing is recorded (0: none).
	FreeBytes    int64 `json:"free_bytes"`
	MinFreeBytes int64 `json:"min_free_bytes"`
}

// Why recording is suspended (RecordingStatus.Reason).
const (
	// RecordingDiskFull: a write to the recordings disk failed for want of space (ENOSPC,
	// EDQUOT).
	RecordingDiskFull = "disk_full"
	// RecordingLowSpace: the recordings disk's free space fell below the node's reserve.
	RecordingLowSpace = "low_space"
)

// RecordingHealth reports a media node's RecordingStatus; media.Recorder implements it.
type RecordingHealth interface {
	RecordingStatus() RecordingStatus
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
