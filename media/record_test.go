package media_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3/pkg/media/h264reader"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// The recorder's tests feed it RTP made from real encoded media: tiny clips that Debian's
// ffmpeg encodes at test time, packetized with pion's payloaders as a browser would send them.
// What it writes must satisfy ffprobe, the same reader the acceptance test trusts.

// needFFmpeg skips a test on a machine without ffmpeg, except in CI, which installs it.
func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: scripts/deps.sh installs Debian's ffmpeg", tool)
			}
			t.Skipf("%s is not installed (run make deps)", tool)
		}
	}
}

var fixtures struct {
	once sync.Once
	dir  string
	mu   sync.Mutex
	made map[string]string
}

// fixture encodes a 2-second clip (vp8 in IVF, h264 in Annex B, opus in Ogg) once per run.
func fixture(t *testing.T, kind string) string {
	t.Helper()
	needFFmpeg(t)
	fixtures.once.Do(func() {
		fixtures.dir, _ = os.MkdirTemp("", "fireline-media-fixtures-")
		fixtures.made = map[string]string{}
	})
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	if p, ok := fixtures.made[kind]; ok {
		return p
	}
	video := []string{"-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2", "-pix_fmt", "yuv420p", "-g", "10"}
	var args []string
	var out string
	switch kind {
	case "vp8":
		out = filepath.Join(fixtures.dir, "clip.ivf")
		args = append(video, "-c:v", "libvpx", "-b:v", "200k", out)
	case "h264":
		out = filepath.Join(fixtures.dir, "clip.h264")
		args = append(video, "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-f", "h264", out)
	case "opus":
		out = filepath.Join(fixtures.dir, "clip.ogg")
		args = []string{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:a", "libopus", "-b:a", "32k", out}
	}
	cmd := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", kind, err, b)
	}
	fixtures.made[kind] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

// frame is one encoded frame with its duration in its clock's ticks.
type frame struct {
	data  []byte
	ticks uint32
}

func vp8Frames(t *testing.T) []frame {
	t.Helper()
	f, err := os.Open(fixture(t, "vp8"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	for {
		data, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame{data, 9000}) // 10 frames a second on the 90 kHz clock
	}
}

// h264Frames groups the clip's NAL units into access units in Annex B, parameter sets with the
// picture they precede.
func h264Frames(t *testing.T) []frame {
	t.Helper()
	f, err := os.Open(fixture(t, "h264"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := h264reader.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	var au []byte
	for {
		nal, err := r.NextNAL()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		au = append(au, 0, 0, 0, 1)
		au = append(au, nal.Data...)
		if typ := nal.Data[0] & 0x1f; typ == 1 || typ == 5 { // a picture ends the access unit
			out = append(out, frame{au, 9000})
			au = nil
		}
	}
}

// opusPackets reads the Opus packets of the Ogg clip, each 20 ms (960 ticks at 48 kHz).
func opusPackets(t *testing.T) []frame {
	t.Helper()
	b, err := os.ReadFile(fixture(t, "opus"))
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	var packet []byte
	for len(b) >= 27 && string(b[:4]) == "OggS" {
		segments := int(b[26])
		table := b[27 : 27+segments]
		body := b[27+segments:]
		for _, lace := range table {
			packet = append(packet, body[:lace]...)
			body = body[lace:]
			if lace < 255 {
				out = append(out, frame{packet, 960})
				packet = nil
			}
		}
		b = body
	}
	if len(out) < 3 || !bytes.HasPrefix(out[0].data, []byte("OpusHead")) {
		t.Fatalf("the Ogg clip has no Opus stream")
	}
	return out[2:] // past OpusHead and OpusTags
}

// packetize turns frames into RTP packets as a browser sends them.
func packetize(frames []frame, payloader rtp.Payloader, pt uint8, clock uint32) [][]*rtp.Packet {
	p := rtp.NewPacketizer(1200, pt, rand.Uint32(), payloader, rtp.NewRandomSequencer(), clock)
	out := make([][]*rtp.Packet, 0, len(frames))
	for _, f := range frames {
		out = append(out, p.Packetize(f.data, f.ticks))
	}
	return out
}

// withPadding puts a padding-only packet, as a browser probing bandwidth sends them, before
// every other frame, carrying that frame's timestamp, and renumbers the packets in order.
func withPadding(frames [][]*rtp.Packet) [][]*rtp.Packet {
	seq := frames[0][0].SequenceNumber
	out := make([][]*rtp.Packet, len(frames))
	for i, pkts := range frames {
		if i%2 == 1 {
			pad := &rtp.Packet{Header: pkts[0].Header, PaddingSize: 200}
			pad.Padding, pad.Marker = true, false
			pkts = append([]*rtp.Packet{pad}, pkts...)
		}
		for _, p := range pkts {
			p.SequenceNumber = seq
			seq++
		}
		out[i] = pkts
	}
	return out
}

// clock is a test clock the recorder reads; frames advance it as if they arrived in real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRecorder(t *testing.T, dir string, c *clock, join ...time.Duration) *media.Recorder {
	t.Helper()
	cfg := media.RecorderConfig{Dir: dir, Now: c.now}
	if len(join) > 0 {
		cfg.JoinWindow = join[0]
	}
	rec, err := media.NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func sink(t *testing.T, rec *media.Recorder, kind, codec string, rate uint32) media.TrackSink {
	t.Helper()
	s, err := rec.Sink(media.Track{Room: "incident:7", Stream: "E-1", Kind: kind, Codec: codec, ClockRate: rate})
	if err != nil || s == nil {
		t.Fatalf("Sink(%s): %v, %v", codec, s, err)
	}
	return s
}

func write(t *testing.T, s media.TrackSink, pkts []*rtp.Packet) {
	t.Helper()
	for _, p := range pkts {
		if err := s.WriteRTP(p); err != nil {
			t.Fatalf("WriteRTP: %v", err)
		}
	}
}

type probed struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		ReadFrames string `json:"nb_read_frames"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// probe runs ffprobe over a file, counting the frames it decodes.
func probe(t *testing.T, path string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("ffprobe %s: %v\n%s", filepath.Base(path), err, stderr)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p
}

func (p probed) frames(codecType string) int {
	n := 0
	for _, s := range p.Streams {
		if s.CodecType == codecType {
			var f int
			fmt.Sscan(s.ReadFrames, &f)
			n += f
		}
	}
	return n
}

// recordings lists incident 7's recordings through a Library over dir.
func recordings(t *testing.T, dir string) []fireline.Recording {
	t.Helper()
	list, err := media.NewLibrary(dir).Recordings("incident:7")
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestRecordVP8ToWebM(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c)
	v := sink(t, rec, "video", "video/VP8", 90000)
	frames := withPadding(packetize(vp8Frames(t), &codecs.VP8Payloader{}, 96, 90000))
	// The recording starts at the first keyframe: a publisher joined mid-stream sends the
	// tail of a group of pictures first.
	start := time.Time{}
	for i, pkts := range frames[5:] {
		if i == 5 {
			start = c.now()
		}
		write(t, v, pkts)
		c.advance(100 * time.Millisecond)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}

	list := recordings(t, dir)
	if len(list) != 1 {
		t.Fatalf("recordings = %+v, want one", list)
	}
	r := list[0]
	if !r.Complete || r.State != media.StateClosed || r.IncidentID != 7 || r.Stream != "E-1" || r.ContentType != "video/webm" {
		t.Errorf("sidecar = %+v", r)
	}
	if !strings.HasPrefix(r.Name, "E-1-20250301T093") || !strings.HasSuffix(r.Name, ".webm") {
		t.Errorf("name = %q", r.Name)
	}
	if !r.StartedAt.Equal(start) {
		t.Errorf("started at %s, want the first keyframe's arrival %s", r.StartedAt, start)
	}
	// 10 frames from the second keyframe, none lost to the padding; the samplebuilder holds
	// the last until a packet after it arrives, which never does.
	if r.Frames != 9 || r.Tracks[0].Width != 160 || r.Tracks[0].Height != 120 {
		t.Errorf("frames %d, tracks %+v; want 9 frames of 160×120", r.Frames, r.Tracks)
	}
	if r.Duration != 0.8 || r.EndedAt == nil || r.EndedAt.Sub(r.StartedAt) != time.Duration(r.Duration*1000)*time.Millisecond {
		t.Errorf("duration %.3f s, ended %v", r.Duration, r.EndedAt)
	}
	path := filepath.Join(dir, "incident-7", r.Name)
	p := probe(t, path)
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != 160 || p.Streams[0].Height != 120 {
		t.Fatalf("ffprobe streams = %+v", p.Streams)
	}
	if got := p.frames("video"); got != 9 {
		t.Errorf("ffprobe decoded %d frames, want 9", got)
	}
	if st, _ := os.Stat(path); st.Size() != r.Bytes {
		t.Errorf("sidecar says %d bytes, file has %d", r.Bytes, st.Size())
	}
}

// TestRecordAudioAndVideoInOneFile: a camera with a microphone makes one file with both
// tracks, in sync; a track that starts long after gets a file of its own.
func TestRecordAudioAndVideoInOneFile(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c)
	v := sink(t, rec, "video", "video/VP8", 90000)
	a := sink(t, rec, "audio", "audio/opus", 48000)
	video := packetize(vp8Frames(t), &codecs.VP8Payloader{}, 96, 90000)
	audio := packetize(opusPackets(t), &codecs.OpusPayloader{}, 111, 48000)
	// Five audio packets per video frame: 20 ms against 100 ms.
	for i := range video {
		write(t, v, video[i])
		for j := 5 * i; j < 5*i+5 && j < len(audio); j++ {
			write(t, a, audio[j])
		}
		c.advance(100 * time.Millisecond)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// Much later, the microphone alone (a republish would be a new stream): its own file.
	c.advance(time.Minute)
	late := sink(t, rec, "audio", "audio/opus", 48000)
	for _, pkts := range audio[:50] {
		write(t, late, pkts)
		c.advance(20 * time.Millisecond)
	}
	c.advance(media.DefaultJoinWindow)
	if err := late.Close(); err != nil {
		t.Fatal(err)
	}

	list := recordings(t, dir)
	if len(list) != 2 {
		t.Fatalf("recordings = %+v, want two", list)
	}
	both, alone := list[0], list[1]
	if got := strings.Join(both.Codecs(), ","); got != "video/VP8,audio/opus" || both.ContentType != "video/webm" {
		t.Errorf("first recording: codecs %s, type %s", got, both.ContentType)
	}
	p := probe(t, filepath.Join(dir, "incident-7", both.Name))
	if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[1].CodecName != "opus" {
		t.Fatalf("ffprobe streams = %+v", p.Streams)
	}
	if v, a := p.frames("video"), p.frames("audio"); v != 19 || a < 95 {
		t.Errorf("ffprobe decoded %d video and %d audio frames, want 19 and about 100", v, a)
	}
	if got := strings.Join(alone.Codecs(), ","); got != "audio/opus" || alone.ContentType != "audio/webm" || !alone.Complete {
		t.Errorf("late recording = %+v", alone)
	}
	if p := probe(t, filepath.Join(dir, "incident-7", alone.Name)); p.frames("audio") < 45 {
		t.Errorf("late audio: ffprobe decoded %d frames", p.frames("audio"))
	}
}

func TestRecordH264ToMatroska(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c)
	v := sink(t, rec, "video", "video/H264", 90000)
	for _, pkts := range packetize(h264Frames(t), &codecs.H264Payloader{}, 102, 90000) {
		write(t, v, pkts)
		c.advance(100 * time.Millisecond)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	list := recordings(t, dir)
	if len(list) != 1 || !strings.HasSuffix(list[0].Name, ".mkv") || list[0].ContentType != "video/x-matroska" {
		t.Fatalf("recordings = %+v, want one .mkv", list)
	}
	if tr := list[0].Tracks[0]; tr.Width != 160 || tr.Height != 120 {
		t.Errorf("track = %+v, want 160×120 from the SPS", tr)
	}
	p := probe(t, filepath.Join(dir, "incident-7", list[0].Name))
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "h264" || p.Streams[0].Width != 160 {
		t.Fatalf("ffprobe streams = %+v", p.Streams)
	}
	if got := p.frames("video"); got != 19 {
		t.Errorf("ffprobe decoded %d frames, want 19", got)
	}
}

// TestRecordingSurvivesCrash: a recording cut off anywhere past its first frame still plays,
// and a new recorder marks what a dead one left open as incomplete.
func TestRecordingSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c, 500*time.Millisecond)
	v := sink(t, rec, "video", "video/VP8", 90000)
	frames := packetize(vp8Frames(t), &codecs.VP8Payloader{}, 96, 90000)
	for _, pkts := range frames[:15] {
		write(t, v, pkts)
		c.advance(200 * time.Millisecond) // the writer flushes every second
	}
	// The process dies here: copy what is on disk, as a restart would find it.
	crashed := t.TempDir()
	room := filepath.Join(crashed, "incident-7")
	if err := os.CopyFS(room, os.DirFS(filepath.Join(dir, "incident-7"))); err != nil {
		t.Fatal(err)
	}
	for _, pkts := range frames[15:] {
		write(t, v, pkts)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}

	list := recordings(t, crashed)
	if len(list) != 1 || list[0].State != media.StateRecording || list[0].Complete {
		t.Fatalf("before restart: %+v", list)
	}
	c.advance(time.Hour)
	// Another media node sharing the folder leaves the recording alone: it may be live.
	other, err := media.NewRecorder(media.RecorderConfig{Dir: crashed, Node: "https://media-2.example:8443", Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if list := recordings(t, crashed); list[0].State != media.StateRecording {
		t.Fatalf("another node's recorder marked this node's recording: %+v", list[0])
	}
	newRecorder(t, crashed, c)
	list = recordings(t, crashed)
	r := list[0]
	if r.State != media.StateInterrupted || r.Complete || r.Frames < 5 || r.Duration <= 0 || r.EndedAt == nil {
		t.Fatalf("after restart: %+v", r)
	}
	path := filepath.Join(room, r.Name)
	if got := probe(t, path).frames("video"); got != r.Frames {
		t.Errorf("interrupted recording: ffprobe decoded %d frames, the sidecar says %d", got, r.Frames)
	}

	// A complete file cut at random bytes past its first frame.
	whole, err := os.ReadFile(filepath.Join(dir, "incident-7", r.Name))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(whole))))
	for range 3 {
		cut := 1200 + rng.IntN(len(whole)-1200)
		p := filepath.Join(t.TempDir(), "cut.webm")
		if err := os.WriteFile(p, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if got := probe(t, p).frames("video"); got == 0 {
			t.Errorf("cut at byte %d of %d: no frames", cut, len(whole))
		}
	}
}

// TestRecordDiskErrorStopsQuietly: a recording that cannot be written stops with one error
// (the media server logs it and forwards on), and its other track stops without another.
func TestRecordDiskErrorStopsQuietly(t *testing.T) {
	dir := t.TempDir()
	// Where the room's folder should be there is a file: nothing can be created.
	if err := os.WriteFile(filepath.Join(dir, "incident-7"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c)
	v := sink(t, rec, "video", "video/VP8", 90000)
	a := sink(t, rec, "audio", "audio/opus", 48000)
	video := packetize(vp8Frames(t), &codecs.VP8Payloader{}, 96, 90000)
	audio := packetize(opusPackets(t), &codecs.OpusPayloader{}, 111, 48000)
	var errs []error
	for i := range 10 {
		for _, p := range video[i] {
			if err := v.WriteRTP(p); err != nil {
				errs = append(errs, err)
			}
		}
		for _, pkts := range audio[5*i : 5*i+5] {
			for _, p := range pkts {
				if err := a.WriteRTP(p); err != nil {
					errs = append(errs, err)
				}
			}
		}
		c.advance(100 * time.Millisecond)
	}
	if len(errs) != 1 {
		t.Errorf("errors = %v, want exactly one", errs)
	}
	if err := errors.Join(v.Close(), a.Close()); err != nil {
		t.Errorf("Close after the failure: %v", err)
	}
}

func TestLibraryRefusesHostileNames(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
	rec := newRecorder(t, dir, c)
	v := sink(t, rec, "video", "video/VP8", 90000)
	for _, pkts := range packetize(vp8Frames(t), &codecs.VP8Payloader{}, 96, 90000)[:5] {
		write(t, v, pkts)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	good := recordings(t, dir)[0].Name
	// A secret beside the recordings that no name may reach.
	if err := os.WriteFile(filepath.Join(dir, "secret.webm"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := media.NewLibrary(dir)
	tests := []struct {
		name, room string
		want       string
	}{
		{good, "incident:7", ""},
		{good, "incident:8", fireline.ENOTFOUND},
		{good + ".json", "incident:7", fireline.EINVALID},
		{"../secret.webm", "incident:7", fireline.EINVALID},
		{"..%2Fsecret.webm", "incident:7", fireline.EINVALID},
		{"incident-7/" + good, "incident:7", fireline.EINVALID},
		{"/etc/passwd", "incident:7", fireline.EINVALID},
		{"", "incident:7", fireline.EINVALID},
		{good + "\x00", "incident:7", fireline.EINVALID},
		{strings.Repeat("A", 300) + ".webm", "incident:7", fireline.EINVALID},
		{"E-1-20250301T093000.000Z-9.webm", "incident:7", fireline.ENOTFOUND},
		{"E-1-20250301T093000.000Z.webm", "../incident:7", fireline.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40q", tt.name), func(t *testing.T) {
			f, ri, err := lib.Open(tt.room, tt.name)
			if got := fireline.ErrorCode(err); err != nil && got != tt.want || err == nil && tt.want != "" {
				t.Fatalf("Open = %v, want %s", err, tt.want)
			}
			if err == nil {
				defer f.Close()
				head := make([]byte, 4)
				if _, err := io.ReadFull(f, head); err != nil || binary.BigEndian.Uint32(head) != 0x1A45DFA3 || ri.Name != tt.name {
					t.Errorf("opened %q: head %x, info %+v", tt.name, head, ri)
				}
			}
		})
	}
}
