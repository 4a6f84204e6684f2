package media

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// The recordings on disk, as the review reads them: each media file has a sidecar JSON file
// (<name>.json) that says what it holds. A Library lists and opens them; it only reads, so an
// API node can serve the recordings a media node writes to a shared folder.

// Recording states, as sidecars give them.
const (
	// StateRecording: the file is being written (or its writer died and no recorder has
	// started since to mark it interrupted).
	StateRecording = "recording"
	// StateClosed: the recording ended cleanly; the file has its duration and cues.
	StateClosed = "closed"
	// StateInterrupted: the process died while recording; the file plays up to its last
	// complete frame.
	StateInterrupted = "interrupted"
	// StateFailed: a disk error stopped the recording; what was written before it plays.
	StateFailed = "failed"
	// StateCut: the recordings disk was full, so the recording was stopped and its file
	// finished at its last complete frame; the sidecar's Error says why.
	StateCut = "cut"
)

// trackOf is the recording's track number n, a throwaway one when it has none.
func trackOf(ri *fireline.Recording, n int) *fireline.RecordingTrack {
	for i := range ri.Tracks {
		if ri.Tracks[i].Number == n {
			return &ri.Tracks[i]
		}
	}
	return &fireline.RecordingTrack{}
}

// nameTime is a recording name's start: UTC to the millisecond, and sortable.
const nameTime = "20060102T150405.000Z"

// recordingName is what a recording's name looks like: <stream>-<start>[-n].webm|.mkv, with the
// stream's name made safe. Anything else asked of a Library is refused unread.
var recordingName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z(-[0-9]{1,2})?\.(webm|mkv)$`)

// safeName keeps a stream's name to letters, digits, '-' and '_' for its files.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "stream"
	}
	return b.String()
}

// roomDir is the folder of a room's recordings: "incident:12" is incident-12.
func roomDir(room string) string {
	return strings.ReplaceAll(safeName(room), "_", "-")
}

// incidentOfRoom is the incident id of a room named incident:<id> (the API's rooms), else 0.
func incidentOfRoom(room string) int64 {
	s, ok := strings.CutPrefix(room, "incident:")
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func contentType(docType string, video bool) string {
	switch {
	case docType == "matroska":
		return "video/x-matroska"
	case video:
		return "video/webm"
	}
	return "audio/webm"
}

// writeSidecar writes ri's sidecar in dir atomically: a reader sees the old one or the new one.
func writeSidecar(dir string, ri fireline.Recording) error {
	b, err := json.MarshalIndent(ri, "", "  ")
	if err != nil {
		return fmt.Errorf("recording sidecar: %w", err)
	}
	final := filepath.Join(dir, ri.Name+".json")
	tmp := final + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err != nil { // #nosec G306 -- 0640: API nodes of the group read it
		_ = os.Remove(tmp)
		if !diskFull(err) {
			return fmt.Errorf("recording sidecar: %w", err)
		}
		// A full disk has no room for a second copy: the sidecar is rewritten in place, in the
		// space its old content frees. A reader may meet it half written for a moment; a
		// sidecar left saying "recording" would be wrong until the next restart.
		if err := os.WriteFile(final, append(b, '\n'), 0o640); err != nil { // #nosec G306 -- as above
			return fmt.Errorf("recording sidecar: %w", err)
		}
		return nil
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("recording sidecar: %w", err)
	}
	return nil
}

func readSidecar(path string) (fireline.Recording, error) {
	var ri fireline.Recording
	b, err := os.ReadFile(path) // #nosec G304 -- callers join the library's folder with a checked recording name
	if err != nil {
		return ri, err
	}
	if err := json.Unmarshal(b, &ri); err != nil {
		return ri, fmt.Errorf("recording sidecar %s: %w", filepath.Base(path), err)
	}
	if !recordingName.MatchString(ri.Name) || ri.Name+".json" != filepath.Base(path) {
		return ri, fmt.Errorf("recording sidecar %s names another file (%q)", filepath.Base(path), ri.Name)
	}
	return ri, nil
}

// recoverRecordings marks the recordings that node (a previous run of this media node) left in
// state recording as interrupted, with what a scan of the file finds: its complete frames and
// their duration. Another node's recordings in a shared folder are left alone: they may be
// live. It returns how many it marked.
func recoverRecordings(dir, node string) (int, error) {
	sidecars, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, path := range sidecars {
		ri, err := readSidecar(path)
		if err != nil || ri.State != StateRecording || ri.Node != node {
			continue
		}
		ri.State, ri.Complete = StateInterrupted, false
		ri.Error = "the media node stopped while recording; the file plays up to its last complete frame"
		if f, err := os.Open(filepath.Join(filepath.Dir(path), ri.Name)); err == nil {
			if st, err := f.Stat(); err == nil {
				ri.Bytes = st.Size()
				if scan, err := scanMKV(f, st.Size()); err == nil {
					ri.Frames = scan.Blocks
					ri.Duration = float64(scan.LastMS) / 1000
				}
			}
			_ = f.Close() // read-only: nothing to lose
		}
		end := ri.StartedAt.Add(time.Duration(ri.Duration * float64(time.Second)))
		ri.EndedAt = &end
		if err := writeSidecar(filepath.Dir(path), ri); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Library reads the recordings under a folder, for the review. It is safe for concurrent use.
type Library struct {
	dir string
}

// Library is the recordings' folder the API reads.
var _ fireline.RecordingLibrary = (*Library)(nil)

// NewLibrary returns a Library of the recordings under dir (a Recorder's Dir).
func NewLibrary(dir string) *Library { return &Library{dir: dir} }

// Recordings lists room's recordings, oldest first. A recording still being written reports
// the size and duration it has so far.
func (l *Library) Recordings(room string) ([]fireline.Recording, error) {
	dir := filepath.Join(l.dir, roomDir(room))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []fireline.Recording{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	out := []fireline.Recording{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		ri, err := readSidecar(filepath.Join(dir, e.Name()))
		if err != nil || ri.Room != room {
			continue // a stray file, or a room whose name makes the same folder
		}
		if ri.State == StateRecording {
			if st, err := os.Stat(filepath.Join(dir, ri.Name)); err == nil {
				ri.Bytes = st.Size()
				ri.Duration = max(st.ModTime().Sub(ri.StartedAt).Seconds(), 0)
				end := st.ModTime().UTC()
				ri.EndedAt = &end
			}
		}
		out = append(out, ri)
	}
	slices.SortFunc(out, func(a, b fireline.Recording) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Open opens room's recording name for reading. A name that is not a recording's is EINVALID
// and never touches the disk; an unknown one is ENOTFOUND.
func (l *Library) Open(room, name string) (fireline.RecordingFile, fireline.Recording, error) {
	if !recordingName.MatchString(name) {
		return nil, fireline.Recording{}, fireline.Errorf(fireline.EINVALID, "%q is not a recording's name", name)
	}
	dir := filepath.Join(l.dir, roomDir(room))
	ri, err := readSidecar(filepath.Join(dir, name+".json"))
	if err != nil || ri.Room != room {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil, fireline.Recording{}, fireline.Errorf(fireline.ENOTFOUND, "no recording %q in room %q", name, room)
		}
		return nil, fireline.Recording{}, err
	}
	f, err := os.Open(filepath.Join(dir, name)) // #nosec G304 -- name matched recordingName above: no separator, no dot-dot
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fireline.Recording{}, fireline.Errorf(fireline.ENOTFOUND, "no recording %q in room %q", name, room)
	}
	if err != nil {
		return nil, fireline.Recording{}, fmt.Errorf("open recording: %w", err)
	}
	return f, ri, nil
}
