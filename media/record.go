package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3/pkg/media/samplebuilder"

	"github.com/fireline/fireline"
)

// Recording: every published track is written to disk for the after-action review. The
// Recorder is the media server's SinkFactory. It gets each track of a stream separately, but a
// review wants one file per camera, so the tracks of a stream that start within JoinWindow of
// each other go into one file: VP8 (and Opus) into WebM, which browsers play; H.264 (and Opus)
// into Matroska with the AVC decoder configuration; Opus alone into audio-only WebM. A track
// that starts later gets a file of its own.
//
// Frames are rebuilt from RTP with pion's samplebuilder. Video is dropped until its first
// keyframe (asking the publisher for one is the forwarding side's business, when a viewer
// joins). Each file's wall-clock start is the arrival of its first written frame; block
// timestamps are media time from there, from each track's RTP clock. A sidecar JSON file
// beside each recording says what it holds; it is written when the file starts and rewritten
// when the file closes.
//
// The recordings disk filling up never touches live video. Below a reserve of free space
// (MinFree, read with statfs on a timer), or at the first write refused for want of space
// (ENOSPC, EDQUOT), the Recorder suspends: every file being written is finished at its last
// complete block, so it plays and is listed, and its sidecar says it was cut short (StateCut);
// no new file is begun. Once space is back the tracks still live begin new files, asking the
// publisher for a keyframe.

// Recorder defaults.
const (
	// DefaultJoinWindow is how long a stream's file waits after its first frame for the
	// stream's other track (a camera's microphone) before it starts without it.
	DefaultJoinWindow = 3 * time.Second
	// maxPending bounds the frames held in memory while a file waits for its tracks.
	maxPending = 8 << 20
	// maxFrame drops absurd frames rather than writing them: a 4K keyframe is well under it.
	maxFrame = 4 << 20
	// maxLate and maxWait bound how long the samplebuilder waits for a missing packet (NACK
	// usually brings it within a round trip): so many packets, or so much media time.
	maxLate = 512
	maxWait = time.Second
	// DefaultMinFree is the recordings disk's reserve: below this much free space nothing is
	// recorded, so that the disk never fills and the files being written close cleanly.
	DefaultMinFree = 512 << 20
	// DefaultCheckEvery is how often the Recorder reads the recordings disk's free space.
	DefaultCheckEvery = 5 * time.Second
	// resumeFloor is the least free space at which recording resumes after a full disk (with
	// no reserve, or a smaller one): resuming into a disk that fills again at once would cut
	// a file short every few seconds.
	resumeFloor = 4 << 20
	// maxHysteresis bounds how far above the reserve free space must climb before recording
	// resumes: a tenth of the reserve, up to this.
	maxHysteresis = 256 << 20
	// cutSlack is what a file cut short at a full disk gives back, at least, so that its Cues
	// and its sidecar find room.
	cutSlack = 16 << 10
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Dir is where recordings go: Dir/<room>/<stream>-<start>.webm, with a sidecar .json each.
	Dir    string
	Logger *slog.Logger
	// JoinWindow: 0 means DefaultJoinWindow.
	JoinWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Node names this media node, stable across its restarts (its URL, say); media nodes
	// sharing Dir must have different names. Empty is fine for a node with a folder of its own.
	Node string
	// MinFree is the reserve, in bytes: while Dir's disk has less free, nothing is recorded.
	// 0 turns it off (only a write refused for want of space suspends recording); negative
	// means DefaultMinFree.
	MinFree int64
	// FreeSpace reads the bytes free to the Recorder on dir's disk; nil means statfs.
	FreeSpace func(dir string) (int64, error)
	// CheckEvery is how often the free space is read; 0 means DefaultCheckEvery.
	CheckEvery time.Duration
}

// Recorder writes published tracks to files. Its Sink method is a SinkFactory. It is safe for
// concurrent use.
type Recorder struct {
	dir  string
	node string
	log  *slog.Logger
	join time.Duration
	now  func() time.Time

	mu     sync.Mutex
	closed bool
	open   map[streamKey]*recSession // per stream, the file a new track may still join

	liveMu sync.Mutex // a leaf lock: taken under a session's lock, never the other way
	live   map[*recSession]struct{}

	// The disk's state: suspended is read on every frame; status under stMu, a leaf lock.
	minFree   int64
	freeSpace func(dir string) (int64, error)
	suspended atomic.Bool
	stMu      sync.Mutex
	status    fireline.RecordingStatus
	checked   bool // the free space has been read once
	stop      chan struct{}
	watching  sync.WaitGroup
	// fileWriter, if set, stands in front of each recording file's appends (tests put a
	// disk that fills up there).
	fileWriter func(*os.File) io.Writer
}

// NewRecorder returns a Recorder writing under cfg.Dir. It first finds the recordings a
// previous run left open (the process died) and marks them incomplete: they stay listed and
// play up to their last complete frame.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		dir: cfg.Dir, node: cfg.Node, log: log.With("component", "recorder"), join: cfg.JoinWindow, now: cfg.Now,
		open: map[streamKey]*recSession{}, live: map[*recSession]struct{}{},
		minFree: cfg.MinFree, freeSpace: cfg.FreeSpace, stop: make(chan struct{}),
	}
	if r.minFree < 0 {
		r.minFree = DefaultMinFree
	}
	if r.freeSpace == nil {
		r.freeSpace = statfsFree
	}
	every := cfg.CheckEvery
	if every <= 0 {
		every = DefaultCheckEvery
	}
	if r.join <= 0 {
		r.join = DefaultJoinWindow
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.dir == "" {
		return nil, errors.New("recorder: no directory")
	}
	if err := os.MkdirAll(r.dir, 0o750); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	n, err := recoverRecordings(r.dir, r.node)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	if n > 0 {
		r.log.Warn("recordings left open by the last run are marked incomplete", "count", n, "dir", r.dir)
	}
	r.status = fireline.RecordingStatus{FreeBytes: -1, MinFreeBytes: r.minFree}
	r.CheckSpace()
	r.watching.Add(1)
	go r.watch(every)
	return r, nil
}

// watch reads the free space every so often until Close: it suspends recording below the
// reserve and resumes it once space is back, whatever suspended it.
func (r *Recorder) watch(every time.Duration) {
	defer r.watching.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			r.CheckSpace()
		}
	}
}

// CheckSpace reads the recordings disk's free space now, suspends recording (cutting the
// files being written short) if it is below the reserve, and resumes it if it was suspended
// and space is back. The Recorder calls it every CheckEvery; tests call it to not wait.
func (r *Recorder) CheckSpace() {
	free, err := r.freeSpace(r.dir)
	if err != nil {
		free = -1
	}
	r.stMu.Lock()
	// A failing statfs is logged when it starts failing, not at every check.
	first, known := !r.checked, r.status.FreeBytes >= 0
	r.checked, r.status.FreeBytes = true, free
	r.stMu.Unlock()
	switch {
	case err != nil:
		if known || first && !errors.Is(err, errors.ErrUnsupported) {
			r.log.Warn("cannot read the recordings disk's free space; the reserve is not enforced", "dir", r.dir, "error", err)
		}
	case r.minFree > 0 && free < r.minFree:
		r.suspend(fireline.RecordingLowSpace, fmt.Sprintf("the recordings disk had %s free, below the reserve of %s", mib(free), mib(r.minFree)))
	case r.suspended.Load() && free >= max(r.minFree+min(r.minFree/10, maxHysteresis), resumeFloor):
		r.resume(free)
	}
	if r.suspended.Load() {
		r.cutAll()
	}
}

// mib formats a byte count for operators.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// suspend stops recording for reason; the first reason stands until recording resumes. It
// takes only the status's leaf lock, so a session may call it under its own.
func (r *Recorder) suspend(reason, detail string) {
	if r.suspended.Load() {
		return
	}
	free, err := r.freeSpace(r.dir) // now, not at the last check: a full disk fills fast
	if err != nil {
		free = -1
	}
	r.stMu.Lock()
	if r.status.Suspended {
		r.stMu.Unlock()
		return
	}
	now := r.now().UTC()
	r.status.Suspended, r.status.Reason, r.status.Since, r.status.Detail = true, reason, &now, detail
	r.status.FreeBytes = free
	r.suspended.Store(true)
	r.stMu.Unlock()
	r.log.Warn("recording suspended: the recordings disk is full; live video goes on, and recording resumes once space is back",
		"reason", reason, "detail", detail, "dir", r.dir, "free_bytes", free, "min_free_bytes", r.minFree)
}

func (r *Recorder) resume(free int64) {
	r.stMu.Lock()
	since := r.status.Since
	r.status.Suspended, r.status.Reason, r.status.Since, r.status.Detail = false, "", nil, ""
	r.suspended.Store(false)
	r.stMu.Unlock()
	var off time.Duration
	if since != nil {
		off = r.now().Sub(*since).Round(time.Second)
	}
	r.log.Info("recording resumed: the recordings disk has space again", "dir", r.dir, "free_bytes", free, "suspended_for", off.String())
}

// suspendedDetail is why recording is suspended, for a cut file's sidecar.
func (r *Recorder) suspendedDetail() string {
	r.stMu.Lock()
	defer r.stMu.Unlock()
	if r.status.Detail == "" {
		return "the recordings disk is full"
	}
	return r.status.Detail
}

// RecordingStatus says whether the Recorder is recording, for the node's health check.
func (r *Recorder) RecordingStatus() fireline.RecordingStatus {
	r.stMu.Lock()
	defer r.stMu.Unlock()
	return r.status
}

// Recorder is the media node's recording health.
var _ fireline.RecordingHealth = (*Recorder)(nil)

// cutAll cuts short every file being written. It holds no other lock while it takes each
// session's.
func (r *Recorder) cutAll() {
	r.liveMu.Lock()
	sessions := make([]*recSession, 0, len(r.live))
	for s := range r.live {
		sessions = append(sessions, s)
	}
	r.liveMu.Unlock()
	for _, s := range sessions {
		s.mu.Lock()
		_ = s.cutLocked() // errRecordingCut: the tracks find out at their next packet
		s.mu.Unlock()
	}
}

// Sink opens a sink for t (a SinkFactory). Codecs other than VP8, H.264 and Opus are skipped.
func (r *Recorder) Sink(t Track) (TrackSink, error) {
	kind := codecKind(t.Codec)
	if kind == 0 {
		r.log.Info("track not recorded: codec not supported", "room", t.Room, "stream", t.Stream, "codec", t.Codec)
		return nil, nil
	}
	rt := &recTrack{r: r, info: t, kind: kind, clock: t.ClockRate}
	if rt.clock == 0 {
		rt.clock = 90000
		if kind == kindOpus {
			rt.clock = 48000
		}
	}
	var dep rtp.Depacketizer
	switch kind {
	case kindVP8:
		dep = &codecs.VP8Packet{}
	case kindH264:
		dep = &codecs.H264Packet{IsAVC: true} // length-prefixed NAL units, as Matroska stores them
	case kindOpus:
		dep = &codecs.OpusPacket{}
	}
	rt.sb = samplebuilder.New(maxLate, paddingTolerant{dep}, rt.clock, samplebuilder.WithMaxTimeDelay(maxWait))

	if !r.attachTrack(rt) {
		return nil, nil
	}
	return rt, nil
}

// attachTrack attaches t to its stream's file that is still waiting for tracks, or to a new one. It
// reports false once the Recorder is closed.
func (r *Recorder) attachTrack(t *recTrack) bool {
	key := streamKey{t.info.Room, t.info.Stream}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if s := r.open[key]; s != nil && s.attach(t) {
		return true
	}
	s := r.newSession(t.info)
	s.attach(t)
	r.open[key] = s
	return true
}

// Close finishes every recording: the media server does not wait for its tracks' goroutines,
// so files are closed cleanly here and whatever arrives after is dropped.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		close(r.stop)
	}
	r.closed = true
	r.open = map[streamKey]*recSession{}
	r.mu.Unlock()
	r.liveMu.Lock()
	sessions := make([]*recSession, 0, len(r.live))
	for s := range r.live {
		sessions = append(sessions, s)
	}
	r.liveMu.Unlock()
	r.watching.Wait()
	var errs []error
	for _, s := range sessions {
		s.mu.Lock()
		errs = append(errs, s.finishLocked())
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (r *Recorder) newSession(t Track) *recSession {
	s := &recSession{r: r, room: t.Room, stream: t.Stream}
	r.liveMu.Lock()
	r.live[s] = struct{}{}
	r.liveMu.Unlock()
	return s
}

func (r *Recorder) forget(s *recSession) {
	r.mu.Lock()
	if r.open[streamKey{s.room, s.stream}] == s {
		delete(r.open, streamKey{s.room, s.stream})
	}
	r.mu.Unlock()
	r.liveMu.Lock()
	delete(r.live, s)
	r.liveMu.Unlock()
}

type codec int

const (
	kindVP8 codec = iota + 1
	kindH264
	kindOpus
)

func codecKind(mime string) codec {
	switch strings.ToLower(mime) {
	case "video/vp8":
		return kindVP8
	case "video/h264":
		return kindH264
	case "audio/opus":
		return kindOpus
	}
	return 0
}

func (c codec) video() bool { return c == kindVP8 || c == kindH264 }

// paddingTolerant lets padding-only packets through a depacketizer as empty. Without RTX a
// browser probes bandwidth with padding packets on the media SSRC, and one may carry the
// timestamp of the frame whose packets follow it: the samplebuilder then finds it at the head
// of that frame and, a padding packet being no partition head, drops the whole frame, and every
// frame after it decodes from a broken reference until the next keyframe.
type paddingTolerant struct{ rtp.Depacketizer }

func (d paddingTolerant) IsPartitionHead(payload []byte) bool {
	return len(payload) == 0 || d.Depacketizer.IsPartitionHead(payload)
}

func (d paddingTolerant) Unmarshal(payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		return nil, nil
	}
	return d.Depacketizer.Unmarshal(payload)
}

// recTrack is the sink of one published track. WriteRTP and Close run on the track's
// forwarding goroutine only, so its fields need no lock; the session it writes to has one.
type recTrack struct {
	r     *Recorder
	info  Track
	kind  codec
	clock uint32
	sb    *samplebuilder.SampleBuilder
	// sess is the file this track writes to, set when it attaches (under the session's lock).
	sess atomic.Pointer[recSession]

	started bool   // a frame has been handed to the session
	lastRTP uint32 // RTP timestamp of the last frame
	elapsed int64  // RTP ticks from the first frame to the last, unwrapped
	offset  int64  // ms from the session's start to this track's first frame
	stopped bool   // the recording failed: drop everything
	paused  bool   // the disk is full: frames are dropped until it has room again
	// wantKey: recording resumed mid-stream and waits for a keyframe, asked for at askedKey.
	wantKey  bool
	askedKey time.Time

	// arrivals remembers when recent frames' first packets arrived: a frame leaves the
	// samplebuilder only when the next one starts, but its arrival is its wall-clock time.
	arrivals [8]arrival
	arrived  int

	// Filled from the first keyframe, for the file header.
	width, height int
	avcConfig     []byte
}

type arrival struct {
	ts uint32 // RTP timestamp
	at time.Time
}

// WriteRTP rebuilds frames from p and hands complete ones to the file. It never keeps p: the
// samplebuilder gets a copy.
func (t *recTrack) WriteRTP(p *rtp.Packet) error {
	if t.stopped {
		return nil
	}
	if last := t.arrivals[(t.arrived+len(t.arrivals)-1)%len(t.arrivals)]; t.arrived == 0 || last.ts != p.Timestamp {
		t.arrivals[t.arrived%len(t.arrivals)] = arrival{p.Timestamp, t.r.now()}
		t.arrived++
	}
	switch suspended := t.r.suspended.Load(); {
	case suspended && !t.paused:
		s := t.sess.Load()
		s.mu.Lock()
		_ = s.cutLocked() // errRecordingCut, which pauses the track
		s.mu.Unlock()
		t.paused = true
	case !suspended && t.paused:
		if !t.resume() {
			return nil
		}
	}
	// The samplebuilder is fed while paused too, so that it is in step when recording resumes.
	cp := &rtp.Packet{Header: p.Header, Payload: slices.Clone(p.Payload)}
	cp.Header.CSRC, cp.Header.Extensions = nil, nil // not needed to rebuild frames
	t.sb.Push(cp)
	for sample := t.sb.Pop(); sample != nil; sample = t.sb.Pop() {
		if t.paused {
			continue
		}
		if err := t.frame(sample.Data, sample.PacketTimestamp); err != nil {
			return t.fail(err)
		}
	}
	if t.paused {
		return nil
	}
	s := t.sess.Load()
	s.mu.Lock()
	err := s.tickLocked()
	s.mu.Unlock()
	if err != nil {
		return t.fail(err)
	}
	return nil
}

// resume leaves the file the full disk cut short for a new one, which begins at the track's
// next keyframe (asked of the publisher). It reports false if the Recorder has closed.
func (t *recTrack) resume() bool {
	old := t.sess.Load()
	old.mu.Lock()
	last := old.detachLocked(t)
	old.mu.Unlock()
	if last {
		t.r.forget(old)
	}
	if !t.r.attachTrack(t) {
		t.stopped = true
		return false
	}
	t.paused, t.started, t.elapsed = false, false, 0
	t.wantKey = t.kind.video() && t.info.Keyframe != nil
	t.askKeyframe()
	return true
}

// askKeyframe asks the publisher for the keyframe a resumed recording waits for, again every
// keyframeRetry: a browser ignores a request that follows another too closely.
func (t *recTrack) askKeyframe() {
	if !t.wantKey {
		return
	}
	if now := t.r.now(); now.Sub(t.askedKey) >= keyframeRetry {
		t.askedKey = now
		t.info.Keyframe()
	}
}

// fail stops this track's recording; the error is reported once, by the track that met it.
// A full disk only pauses it.
func (t *recTrack) fail(err error) error {
	if errors.Is(err, errRecordingCut) {
		t.paused = true
		return nil
	}
	t.stopped = true
	if errors.Is(err, errRecordingStopped) {
		return nil
	}
	return err
}

// errRecordingCut says the disk is full: the recording was cut short, and its tracks pause
// until recording resumes.
var errRecordingCut = errors.New("recording cut short: the disk is full")

// cutIsDone is err, but nil for a recording cut short: at its close that is no error to report,
// its warning was logged.
func cutIsDone(err error) error {
	if errors.Is(err, errRecordingCut) {
		return nil
	}
	return err
}

// errRecordingStopped says a recording failed earlier (reported by the track that met the
// error) or was closed: the track stops quietly.
var errRecordingStopped = errors.New("recording stopped")

// frame writes one rebuilt frame with its RTP timestamp.
func (t *recTrack) frame(data []byte, ts uint32) error {
	if len(data) == 0 || len(data) > maxFrame {
		return nil
	}
	key := true
	switch t.kind {
	case kindVP8:
		key = data[0]&0x01 == 0 // the frame tag's inverse keyframe bit
		if !t.started {
			if !key || len(data) < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
				t.askKeyframe()
				return nil // nothing decodes before a keyframe
			}
			t.width = int(binary.LittleEndian.Uint16(data[6:]) & 0x3fff)
			t.height = int(binary.LittleEndian.Uint16(data[8:]) & 0x3fff)
		}
	case kindH264:
		var sps, pps []byte
		key, sps, pps = scanAVC(data)
		if !t.started {
			if !key || sps == nil || pps == nil {
				t.askKeyframe()
				return nil // a decoder needs the parameter sets and an IDR picture first
			}
			t.avcConfig = avcDecoderConfig(sps, pps)
			t.width, t.height = spsDimensions(sps)
		}
	}
	now := t.r.now()
	for _, a := range t.arrivals {
		if a.ts == ts && !a.at.IsZero() {
			now = a.at
		}
	}
	for {
		s := t.sess.Load()
		s.mu.Lock()
		if !t.started {
			t.lastRTP = ts
			t.offset = s.firstFrameLocked(now)
		} else {
			t.elapsed += int64(int32(ts - t.lastRTP))
			t.lastRTP = ts
		}
		ms := max(t.offset+t.elapsed*1000/int64(t.clock), 0)
		err := s.writeLocked(t, ms, key, data)
		var last bool
		if errors.Is(err, errNotInFile) {
			// This track's file started without it: its first frame came too late to join.
			// It leaves that file for one of its own, starting now.
			if last = s.detachLocked(t); last {
				err2 := s.finishLocked()
				if err2 != nil && !errors.Is(err2, errRecordingStopped) {
					t.r.log.Error("close recording", "room", s.room, "stream", s.stream, "err", err2)
				}
			}
		}
		s.mu.Unlock()
		if last {
			t.r.forget(s)
		}
		if errors.Is(err, errNotInFile) {
			ns := t.r.newSession(t.info)
			ns.attach(t)
			t.started, t.elapsed = false, 0
			continue
		}
		if err != nil {
			return err
		}
		t.started, t.wantKey = true, false
		return nil
	}
}

// Close ends the track; the file closes with its last track.
func (t *recTrack) Close() error {
	s := t.sess.Load()
	s.mu.Lock()
	last := s.detachLocked(t)
	var err error
	if last {
		err = s.finishLocked()
	}
	s.mu.Unlock()
	if last {
		t.r.forget(s)
	}
	if t.stopped {
		return nil
	}
	return err
}

// ---- sessions: one file and the tracks that write to it -----------------------------------------

type sessionState int

const (
	sessionWaiting sessionState = iota // frames held in memory until the file's tracks are known
	sessionWriting                     // the file is open
	sessionDone                        // closed, or failed: nothing more is written
)

// recSession is one recording file and the tracks that write to it.
type recSession struct {
	r      *Recorder
	room   string
	stream string

	mu        sync.Mutex
	state     sessionState
	tracks    []*recTrack // attached, open or closed
	closed    map[*recTrack]bool
	start     time.Time // arrival of the first frame; zero before it
	pending   []pendingFrame
	pendBytes int

	// Once writing:
	file    *os.File
	mkv     *mkvWriter
	meta    fireline.Recording
	numbers map[*recTrack]int // track numbers in the file
	frames  int
	cut     bool // cut short by a full disk: its tracks pause rather than stop
}

type pendingFrame struct {
	t    *recTrack
	ms   int64
	key  bool
	data []byte
}

// errNotInFile says a track's frames cannot go into the file: it started without the track.
var errNotInFile = errors.New("track is not in the recording")

// attach adds t to the session if it may still join: the file has not started and has no
// track of t's kind.
func (s *recSession) attach(t *recTrack) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != sessionWaiting {
		return false
	}
	for _, o := range s.tracks {
		if o.kind.video() == t.kind.video() {
			return false
		}
	}
	s.tracks = append(s.tracks, t)
	t.sess.Store(s)
	return true
}

// firstFrameLocked returns the ms of media time at which a track's first frame, arriving now,
// begins; the session's first frame sets its start.
func (s *recSession) firstFrameLocked(now time.Time) int64 {
	if s.start.IsZero() {
		s.start = now
	}
	return max(now.Sub(s.start).Milliseconds(), 0)
}

func (s *recSession) writeLocked(t *recTrack, ms int64, key bool, data []byte) error {
	if s.r.suspended.Load() {
		return s.cutLocked()
	}
	switch s.state {
	case sessionWaiting:
		s.pending = append(s.pending, pendingFrame{t: t, ms: ms, key: key, data: data})
		s.pendBytes += len(data)
		if s.allKindsLocked() || s.pendBytes > maxPending {
			return s.beginLocked()
		}
		return nil
	case sessionWriting:
		n, ok := s.numbers[t]
		if !ok {
			return errNotInFile
		}
		if err := s.mkv.writeBlock(n, t.kind.video(), ms, key, data); err != nil {
			return s.failLocked(fmt.Errorf("write recording %s: %w", s.meta.Name, err))
		}
		s.frames++
		trackOf(&s.meta, n).Frames++
		return nil
	}
	if s.cut {
		// Cut short while this track was between packets, and perhaps resumed since: the
		// track pauses, and its next packet finds out which.
		return errRecordingCut
	}
	return errRecordingStopped
}

// tickLocked starts the file once the join window after its first frame has passed.
func (s *recSession) tickLocked() error {
	if s.state == sessionWaiting && !s.start.IsZero() && s.r.now().Sub(s.start) >= s.r.join {
		return s.beginLocked()
	}
	return nil
}

// allKindsLocked reports whether a video and an audio track have both sent frames: nothing more
// can join, so the file need not wait.
func (s *recSession) allKindsLocked() bool {
	var video, audio bool
	for _, f := range s.pending {
		video = video || f.t.kind.video()
		audio = audio || !f.t.kind.video()
	}
	return video && audio
}

// beginLocked creates the file and its sidecar, with the tracks that have sent frames, and
// writes the frames held so far.
func (s *recSession) beginLocked() error {
	var in []*recTrack
	for _, f := range s.pending {
		if !slices.Contains(in, f.t) {
			in = append(in, f.t)
		}
	}
	if len(in) == 0 {
		return nil
	}
	if s.r.suspended.Load() {
		return s.cutLocked()
	}
	// Video first: players expect it as the first track.
	slices.SortStableFunc(in, func(a, b *recTrack) int {
		if a.kind.video() == b.kind.video() {
			return 0
		}
		if a.kind.video() {
			return -1
		}
		return 1
	})
	h := mkvHeader{DocType: "webm", Start: s.start, Title: s.stream + " · " + s.room}
	s.numbers = map[*recTrack]int{}
	meta := fireline.Recording{Room: s.room, Stream: s.stream, StartedAt: s.start.UTC(), State: StateRecording, Node: s.r.node}
	meta.IncidentID = incidentOfRoom(s.room)
	for i, t := range in {
		mt := mkvTrack{Number: i + 1, Video: t.kind.video()}
		tm := fireline.RecordingTrack{Number: i + 1, Kind: "audio"}
		switch t.kind {
		case kindVP8:
			mt.Codec, mt.Width, mt.Height = "V_VP8", t.width, t.height
			tm.Codec = "video/VP8"
		case kindH264:
			mt.Codec, mt.Private, mt.Width, mt.Height = "V_MPEG4/ISO/AVC", t.avcConfig, t.width, t.height
			tm.Codec = "video/H264"
			h.DocType = "matroska"
		case kindOpus:
			mt.Codec, mt.Private, mt.Channels, mt.SampleRate = "A_OPUS", opusHead(2), 2, 48000
			tm.Codec = "audio/opus"
		}
		if mt.Video {
			tm.Kind, tm.Width, tm.Height = "video", mt.Width, mt.Height
		}
		h.Tracks = append(h.Tracks, mt)
		meta.Tracks = append(meta.Tracks, tm)
		s.numbers[t] = i + 1
	}
	meta.ContentType = contentType(h.DocType, h.Tracks[0].Video)

	dir := filepath.Join(s.r.dir, roomDir(s.room))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return s.failLocked(fmt.Errorf("recording folder: %w", err))
	}
	ext := ".webm"
	if h.DocType == "matroska" {
		ext = ".mkv"
	}
	base := safeName(s.stream) + "-" + s.start.UTC().Format(nameTime)
	var f *os.File
	var err error
	for i := 1; i <= 20; i++ {
		meta.Name = base + ext
		if i > 1 {
			meta.Name = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		// Recordings show people at their worst moment: the service account and its group (the
		// API nodes that serve them) read them, nobody else.
		f, err = os.OpenFile(filepath.Join(dir, meta.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640) // #nosec G304 G302 -- dir and name are the recorder's own; 0640: API nodes of the group read it
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return s.failLocked(fmt.Errorf("create recording: %w", err))
	}
	s.file, s.meta, s.state = f, meta, sessionWriting
	// The sidecar first: a file is listed, and recovered after a crash, by its sidecar.
	if err := writeSidecar(dir, s.meta); err != nil {
		return s.failLocked(err)
	}
	var out io.Writer
	if s.r.fileWriter != nil {
		out = s.r.fileWriter(f)
	}
	if s.mkv, err = newMKVWriter(f, out, h, s.r.now); err != nil {
		return s.failLocked(fmt.Errorf("write recording %s: %w", meta.Name, err))
	}
	s.r.log.Info("recording started", "room", s.room, "stream", s.stream, "file", filepath.Join(roomDir(s.room), meta.Name),
		"tracks", len(h.Tracks))

	pending := s.pending
	s.pending, s.pendBytes = nil, 0
	slices.SortStableFunc(pending, func(a, b pendingFrame) int { return int(a.ms - b.ms) })
	for _, p := range pending {
		if err := s.writeLocked(p.t, p.ms, p.key, p.data); err != nil {
			return err
		}
	}
	return nil
}

// detachLocked marks t's track ended and reports whether it was the session's last open one.
func (s *recSession) detachLocked(t *recTrack) bool {
	if s.closed == nil {
		s.closed = map[*recTrack]bool{}
	}
	s.closed[t] = true
	for _, o := range s.tracks {
		if !s.closed[o] {
			return false
		}
	}
	return true
}

// finishLocked writes what is held, closes the file cleanly and rewrites its sidecar as
// complete. It is idempotent.
func (s *recSession) finishLocked() error {
	if s.state == sessionWaiting {
		if err := s.beginLocked(); err != nil || s.state == sessionWaiting {
			s.state = sessionDone // nothing was ever written, or it failed and said so
			return cutIsDone(err)
		}
	}
	if s.state != sessionWriting {
		return nil
	}
	s.state = sessionDone
	if err := s.mkv.finish(); err != nil {
		return cutIsDone(s.failLocked(fmt.Errorf("finish recording %s: %w", s.meta.Name, err)))
	}
	size := s.mkv.pos
	if err := s.file.Close(); err != nil {
		return s.failLocked(fmt.Errorf("close recording %s: %w", s.meta.Name, err))
	}
	s.meta.State, s.meta.Complete = StateClosed, true
	s.meta.Bytes, s.meta.Frames = size, s.frames
	s.meta.Duration = float64(s.mkv.lastTS) / 1000
	end := s.meta.StartedAt.Add(time.Duration(s.mkv.lastTS) * time.Millisecond)
	s.meta.EndedAt = &end
	if err := writeSidecar(filepath.Join(s.r.dir, roomDir(s.room)), s.meta); err != nil {
		return fmt.Errorf("recording %s: %w", s.meta.Name, err)
	}
	s.r.log.Info("recording closed", "room", s.room, "stream", s.stream, "file", s.meta.Name,
		"frames", s.frames, "bytes", size, "duration_s", s.meta.Duration)
	return nil
}

// failLocked stops the recording after a disk error: what was written stays, the sidecar says
// the recording failed (if the disk still takes that), and the tracks stop quietly. Live video
// goes on: the error is returned once, to the media server, which logs it.
func (s *recSession) failLocked(err error) error {
	if diskFull(err) {
		why := "no space left"
		var errno syscall.Errno
		if errors.As(err, &errno) {
			why = errno.Error()
		}
		s.r.suspend(fireline.RecordingDiskFull, "the recordings disk is full (a write was refused: "+why+")")
		return s.cutLocked()
	}
	if s.state == sessionDone && s.file == nil {
		return errRecordingStopped
	}
	s.state = sessionDone
	s.pending = nil
	if s.file != nil {
		_ = s.file.Close()
		s.file = nil
		s.meta.State, s.meta.Error = StateFailed, err.Error()
		if s.mkv != nil {
			s.meta.Bytes, s.meta.Frames = s.mkv.pos, s.frames
			s.meta.Duration = float64(s.mkv.lastTS) / 1000
		}
		_ = writeSidecar(filepath.Join(s.r.dir, roomDir(s.room)), s.meta)
	}
	return err
}

// cutLocked stops the recording because the disk is full (the Recorder is suspended): frames
// held in memory are dropped; a file being written is finished at its last complete block,
// giving back what a write left half done, and its sidecar says it was cut short. It returns
// errRecordingCut, which pauses the tracks; it is idempotent.
func (s *recSession) cutLocked() error {
	s.state, s.cut = sessionDone, true
	s.pending, s.pendBytes = nil, 0
	if s.file == nil {
		return errRecordingCut
	}
	dir := filepath.Join(s.r.dir, roomDir(s.room))
	file := filepath.Join(roomDir(s.room), s.meta.Name)
	f := s.file
	s.file = nil
	if s.mkv == nil {
		// The header never reached the disk: there is nothing to play, so nothing to list.
		_ = f.Close()
		_ = os.Remove(filepath.Join(dir, s.meta.Name))
		_ = os.Remove(filepath.Join(dir, s.meta.Name+".json"))
		s.r.log.Warn("recording not begun: the recordings disk is full", "room", s.room, "stream", s.stream, "file", file)
		return errRecordingCut
	}
	err := s.mkv.finish()
	if diskFull(err) {
		if err = s.mkv.salvage(cutSlack); err == nil {
			err = s.mkv.finish()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	s.meta.State, s.meta.Complete = StateCut, false
	s.meta.Error = "cut short: " + s.r.suspendedDetail()
	if err != nil {
		s.meta.Error += "; the file could not be finished, and plays up to its last complete frame"
	}
	s.meta.Bytes, s.meta.Frames = s.mkv.pos, s.mkv.blocks
	s.meta.Duration = float64(s.mkv.lastTS) / 1000
	end := s.meta.StartedAt.Add(time.Duration(s.mkv.lastTS) * time.Millisecond)
	s.meta.EndedAt = &end
	log := s.r.log.With("room", s.room, "stream", s.stream, "file", file)
	if err != nil {
		log.Error("finish recording cut short", "err", err)
	}
	if err := writeSidecar(dir, s.meta); err != nil {
		log.Error("recording cut short, but its sidecar still says recording", "err", err)
	}
	log.Warn("recording cut short: the recordings disk is full", "duration_s", s.meta.Duration, "bytes", s.meta.Bytes, "frames", s.meta.Frames)
	return errRecordingCut
}
