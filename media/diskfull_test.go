package media_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// smallDisk is a disk of capacity bytes under one recording file: appends that would pass it
// go, beyond what fits, to /dev/full, where the kernel refuses them with ENOSPC as it does on
// a full filesystem. Cutting the file gives the space back.
type smallDisk struct {
	f        *os.File
	full     *os.File
	capacity int64
	refused  atomic.Int64 // writes refused
}

func (d *smallDisk) Write(p []byte) (int, error) {
	st, err := d.f.Stat()
	if err != nil {
		return 0, err
	}
	room := d.capacity - st.Size()
	if int64(len(p)) <= room {
		return d.f.Write(p)
	}
	n := 0
	if room > 0 {
		if n, err = d.f.Write(p[:room]); err != nil {
			return n, err
		}
	}
	_, err = d.full.Write(p[n:])
	d.refused.Add(1)
	return n, err
}

// stream is a camera with its microphone publishing into a Recorder: 60 VP8 frames (a
// keyframe every 10) at 10 a second, five Opus packets each, on one continuing RTP stream.
type stream struct {
	t            *testing.T
	c            *clock
	video, audio [][]*rtp.Packet
	v, a         media.TrackSink
	next         int
	keyframes    atomic.Int32 // keyframes asked of the publisher
}

func newStream(t *testing.T, rec *media.Recorder, c *clock) *stream {
	vf, af := vp8Frames(t), opusPackets(t)
	s := &stream{t: t, c: c,
		video: packetize(append(append(vf, vf...), vf...), &codecs.VP8Payloader{}, 96, 90000),
		audio: packetize(append(append(af, af...), af...), &codecs.OpusPayloader{}, 111, 48000),
	}
	var err error
	s.v, err = rec.Sink(media.Track{Room: "incident:7", Stream: "E-1", Kind: "video", Codec: "video/VP8", ClockRate: 90000,
		Keyframe: func() { s.keyframes.Add(1) }})
	if err != nil || s.v == nil {
		t.Fatalf("video sink: %v %v", s.v, err)
	}
	s.a = sink(t, rec, "audio", "audio/opus", 48000)
	return s
}

// play sends the next n video frames with their audio; the live stream never sees an error.
func (s *stream) play(n int) {
	s.t.Helper()
	for end := s.next + n; s.next < end && s.next < len(s.video); s.next++ {
		write(s.t, s.v, s.video[s.next])
		for j := 5 * s.next; j < 5*s.next+5 && j < len(s.audio); j++ {
			write(s.t, s.a, s.audio[j])
		}
		s.c.advance(100 * time.Millisecond)
	}
}

func (s *stream) close() {
	s.t.Helper()
	if err := errors.Join(s.v.Close(), s.a.Close()); err != nil {
		s.t.Errorf("close the stream's sinks: %v", err)
	}
}

func flatten(frames [][]*rtp.Packet) []*rtp.Packet {
	var out []*rtp.Packet
	for _, f := range frames {
		out = append(out, f...)
	}
	return out
}

// checkCut asserts that rec is a recording cut short that still plays, at most max bytes.
func checkCut(t *testing.T, dir string, rec fireline.Recording, maxBytes int64, reason string) {
	t.Helper()
	if rec.State != media.StateCut || rec.Complete || !strings.Contains(rec.Error, reason) {
		t.Errorf("recording = state %q complete %v error %q, want cut short (%s)", rec.State, rec.Complete, rec.Error, reason)
	}
	path := filepath.Join(dir, "incident-7", rec.Name)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != rec.Bytes || st.Size() > maxBytes || rec.Frames == 0 || rec.Duration <= 0 {
		t.Errorf("cut recording: %d bytes on disk, sidecar %d bytes %d frames %.1f s; disk %d", st.Size(), rec.Bytes, rec.Frames, rec.Duration, maxBytes)
	}
	// Finished, not merely crash-readable: ffprobe reads its duration from the header and
	// decodes every frame written.
	p := probe(t, path)
	if p.Format.Duration == "" || p.Format.Duration == "N/A" || p.frames("video") == 0 {
		t.Errorf("ffprobe of the cut recording: duration %q, %d video frames", p.Format.Duration, p.frames("video"))
	}
	t.Logf("cut recording: %d bytes, %d frames, %.1f s; ffprobe: %s s, %d video and %d audio frames",
		rec.Bytes, rec.Frames, rec.Duration, p.Format.Duration, p.frames("video"), p.frames("audio"))
	if got := p.frames("video") + p.frames("audio"); got != rec.Frames {
		t.Errorf("ffprobe decoded %d frames, the sidecar says %d", got, rec.Frames)
	}
}

// TestRecordDiskFullCutsShortAndResumes: a write the kernel refuses with ENOSPC cuts the
// recording short, finished and playable; the live stream sees no error; recording resumes
// into a new file, from a keyframe asked of the publisher, once the disk has room again.
func TestRecordDiskFullCutsShortAndResumes(t *testing.T) {
	dir := t.TempDir()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test needs Linux's /dev/full: %v", err)
	}
	defer full.Close()
	var free atomic.Int64
	free.Store(1 << 30)
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec, err := media.NewRecorder(media.RecorderConfig{Dir: dir, Now: c.now,
		FreeSpace: func(string) (int64, error) { return free.Load(), nil }, CheckEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	const capacity = 32 << 10
	var disks []*smallDisk
	media.SetFileWriter(rec, func(f *os.File) io.Writer {
		d := &smallDisk{f: f, full: full, capacity: capacity}
		disks = append(disks, d)
		return d
	})
	s := newStream(t, rec, c)
	s.play(40) // about 50 KB: the disk fills part way
	if len(disks) != 1 || disks[0].refused.Load() == 0 {
		t.Fatalf("the disk refused no write: %d files", len(disks))
	}
	st := rec.RecordingStatus()
	if !st.Suspended || st.Reason != fireline.RecordingDiskFull || st.Since == nil {
		t.Fatalf("status = %+v, want suspended: disk full", st)
	}
	list := recordings(t, dir)
	if len(list) != 1 {
		t.Fatalf("recordings = %+v, want one", list)
	}
	checkCut(t, dir, list[0], capacity, "disk is full")

	// The disk stays full: nothing new is begun.
	free.Store(1 << 20)
	rec.CheckSpace()
	s.play(5)
	if n := len(recordings(t, dir)); n != 1 || len(disks) != 1 {
		t.Fatalf("%d recordings, %d files begun while the disk is full", n, len(disks))
	}
	// Space is back: the stream records again, into a new file from a keyframe.
	free.Store(1 << 30)
	rec.CheckSpace()
	if st := rec.RecordingStatus(); st.Suspended {
		t.Fatalf("status = %+v after space came back", st)
	}
	s.play(15)
	s.close()
	if s.keyframes.Load() == 0 {
		t.Error("no keyframe asked of the publisher when recording resumed")
	}
	list = recordings(t, dir)
	if len(list) != 2 {
		t.Fatalf("recordings = %+v, want the cut one and the resumed one", list)
	}
	again := list[1]
	if again.State != media.StateClosed || !again.Complete || again.Frames == 0 {
		t.Errorf("resumed recording = %+v", again)
	}
	if p := probe(t, filepath.Join(dir, "incident-7", again.Name)); p.frames("video") < 9 {
		t.Errorf("resumed recording: ffprobe decoded %d video frames, want the last 10 from a keyframe", p.frames("video"))
	}
	if list[1].StartedAt.Before(*list[0].EndedAt) {
		t.Errorf("the resumed recording starts at %s, before the cut one ends at %s", list[1].StartedAt, list[0].EndedAt)
	}
}

// TestRecordReserveSuspendsAndResumes: below the reserve of free space the recording in
// progress is cut short cleanly, before the disk is full; recording resumes a little above
// the reserve, not at its edge.
func TestRecordReserveSuspendsAndResumes(t *testing.T) {
	dir := t.TempDir()
	var free atomic.Int64
	free.Store(1 << 30)
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec, err := media.NewRecorder(media.RecorderConfig{Dir: dir, Now: c.now, MinFree: 100 << 20,
		FreeSpace: func(string) (int64, error) { return free.Load(), nil }, CheckEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if st := rec.RecordingStatus(); st.Suspended || st.FreeBytes != 1<<30 || st.MinFreeBytes != 100<<20 {
		t.Fatalf("status = %+v", st)
	}
	s := newStream(t, rec, c)
	s.play(15)
	free.Store(50 << 20)
	rec.CheckSpace()
	st := rec.RecordingStatus()
	if !st.Suspended || st.Reason != fireline.RecordingLowSpace {
		t.Fatalf("status = %+v, want suspended: low space", st)
	}
	list := recordings(t, dir)
	if len(list) != 1 {
		t.Fatalf("recordings = %+v, want one", list)
	}
	// Cut by the timer, not by a write: everything written is kept.
	checkCut(t, dir, list[0], 1<<30, "below the reserve of 100.0 MiB")
	if list[0].Frames < 14*6 {
		t.Errorf("cut recording kept %d frames of the 15 video frames and their audio", list[0].Frames)
	}

	s.play(10)
	// A microphone published and ended while suspended: nothing recorded, no error.
	mic, err := rec.Sink(media.Track{Room: "incident:7", Stream: "E-2", Kind: "audio", Codec: "audio/opus", ClockRate: 48000})
	if err != nil || mic == nil {
		t.Fatalf("Sink while suspended: %v, %v", mic, err)
	}
	write(t, mic, flatten(s.audio[:50]))
	c.advance(media.DefaultJoinWindow)
	if err := mic.Close(); err != nil {
		t.Errorf("Close of a track that recorded nothing while suspended: %v", err)
	}
	free.Store(105 << 20) // above the reserve, but not by enough
	rec.CheckSpace()
	s.play(10)
	if st := rec.RecordingStatus(); !st.Suspended || len(recordings(t, dir)) != 1 {
		t.Fatalf("status = %+v with %d recordings, want still suspended with one", st, len(recordings(t, dir)))
	}
	free.Store(200 << 20)
	rec.CheckSpace()
	s.play(12)

	// A short suspension between two packets: the file is cut by the timer, recording resumes
	// before either track sends again, and both go on into a third file.
	free.Store(50 << 20)
	rec.CheckSpace()
	free.Store(200 << 20)
	rec.CheckSpace()
	s.play(13)
	s.close()
	list = recordings(t, dir)
	if len(list) != 3 || list[1].State != media.StateCut || list[2].State != media.StateClosed {
		t.Fatalf("recordings = %+v, want cut, cut, closed", list)
	}
	for _, r := range list[1:] {
		if got := strings.Join(r.Codecs(), ","); got != "video/VP8,audio/opus" || r.Frames == 0 {
			t.Errorf("resumed recording %s: %s, %d frames; want the camera and its microphone", r.Name, got, r.Frames)
		}
	}
}

// TestDiskFullIsENOSPC: the small disk's refusals are the kernel's own ENOSPC, which the
// recorder takes for a full disk.
func TestDiskFullIsENOSPC(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test needs Linux's /dev/full: %v", err)
	}
	defer full.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &smallDisk{f: f, full: full, capacity: 4}
	n, err := d.Write([]byte("abcdef"))
	if n != 4 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write = %d, %v; want 4 and ENOSPC", n, err)
	}
}

// TestRecordCloseOnFullDiskIsQuiet: the disk fills just as the stream ends, at the close's
// last flush: the file is cut short all the same, and the close reports no error (the
// warning is logged), so that the media server does not log the track's end as a failure.
func TestRecordCloseOnFullDiskIsQuiet(t *testing.T) {
	dir := t.TempDir()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test needs Linux's /dev/full: %v", err)
	}
	defer full.Close()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec, err := media.NewRecorder(media.RecorderConfig{Dir: dir, Now: c.now,
		FreeSpace: func(string) (int64, error) { return 1 << 30, nil }, CheckEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	// Room for the header and a few frames; the rest waits in the writer's buffer until the
	// close flushes it.
	media.SetFileWriter(rec, func(f *os.File) io.Writer { return &smallDisk{f: f, full: full, capacity: 4 << 10} })
	s := newStream(t, rec, c)
	s.play(6)
	if st := rec.RecordingStatus(); st.Suspended {
		t.Fatalf("suspended before the close: %+v", st)
	}
	s.close() // fails the test on an error
	if st := rec.RecordingStatus(); !st.Suspended || st.Reason != fireline.RecordingDiskFull {
		t.Errorf("status after the close = %+v, want suspended: disk full", st)
	}
	list := recordings(t, dir)
	if len(list) != 1 || list[0].State != media.StateCut || list[0].Bytes > 4<<10 {
		t.Fatalf("recordings = %+v, want one cut short within the disk", list)
	}
	t.Logf("cut at the close: %d bytes, %d frames", list[0].Bytes, list[0].Frames)
}
