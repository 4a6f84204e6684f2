package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"
)

// A small Matroska/WebM muxer for recordings. The file is written front to back so that a
// crash leaves a playable file: the Segment and every Cluster have unknown size, so a reader
// takes whatever complete blocks are there. A clean close then improves the file in place: it
// appends Cues (so players can seek), and overwrites the Void elements reserved at the start
// with a SeekHead and the Duration, and the Segment's unknown size with its real one.

// Matroska element IDs (RFC 9559), with their length-marker bits, as they are written.
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285
	idVoid               = 0xEC
	idSegment            = 0x18538067
	idSeekHead           = 0x114D9B74
	idSeek               = 0x4DBB
	idSeekID             = 0x53AB
	idSeekPosition       = 0x53AC
	idInfo               = 0x1549A966
	idTimestampScale     = 0x2AD7B1
	idDuration           = 0x4489
	idDateUTC            = 0x4461
	idTitle              = 0x7BA9
	idMuxingApp          = 0x4D80
	idWritingApp         = 0x5741
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackUID           = 0x73C5
	idTrackType          = 0x83
	idFlagLacing         = 0x9C
	idCodecID            = 0x86
	idCodecPrivate       = 0x63A2
	idSeekPreRoll        = 0x56BB
	idVideo              = 0xE0
	idPixelWidth         = 0xB0
	idPixelHeight        = 0xBA
	idAudio              = 0xE1
	idSamplingFrequency  = 0xB5
	idChannels           = 0x9F
	idCluster            = 0x1F43B675
	idTimestamp          = 0xE7
	idSimpleBlock        = 0xA3
	idBlockGroup         = 0xA0
	idCues               = 0x1C53BB6B
	idCuePoint           = 0xBB
	idCueTime            = 0xB3
	idCueTrackPositions  = 0xB7
	idCueTrack           = 0xF7
	idCueClusterPosition = 0xF1
)

const (
	// unknownSize is the 8-byte "size unknown" vint: every value bit set.
	unknownSize = 0x01FFFFFFFFFFFFFF
	// maxClusterSpan starts a new cluster after this much media time even without a keyframe
	// (audio-only files, or a camera that sends none): a block's timestamp is an int16 offset
	// from its cluster's, and short clusters bound what a crash can cost.
	maxClusterSpan = 5000 // ms
	// flushEvery bounds how long written blocks wait in memory before reaching the file.
	flushEvery = time.Second
	// seekHeadSpace is reserved for the SeekHead: three Seek entries fit in 68 bytes.
	seekHeadSpace = 96
	// durationSpace is a Duration element: 2 bytes of ID, 1 of size, an 8-byte float.
	durationSpace = 11
	// matroskaEpoch is the zero of DateUTC.
	matroskaEpochUnix = 978307200 // 2001-01-01T00:00:00Z
)

// mkvTrack is one track as the file header declares it.
type mkvTrack struct {
	Number int    // 1-based, as blocks name it
	Video  bool   // else audio
	Codec  string // Matroska codec ID: V_VP8, V_MPEG4/ISO/AVC, A_OPUS
	// Private is the codec's CodecPrivate: the AVC decoder configuration, the OpusHead.
	Private       []byte
	Width, Height int // pixels, video only
	Channels      int // audio only
	SampleRate    float64
}

// mkvHeader is what a file says about itself before its first block.
type mkvHeader struct {
	DocType string // "webm" or "matroska"
	Title   string
	Start   time.Time // DateUTC: the wall-clock time of media time 0
	Tracks  []mkvTrack
}

// mkvWriter writes one Matroska file. It is not safe for concurrent use.
type mkvWriter struct {
	f   *os.File
	out io.Writer // where appends go: f, or a test's stand-in in front of it
	w   *bufio.Writer
	pos int64 // bytes written, flushed or not

	segmentSizeAt int64 // offset of the Segment's 8-byte size
	segmentData   int64 // offset of the Segment's first child: positions count from here
	seekHeadAt    int64 // offset of the Void reserved for the SeekHead
	durationAt    int64 // offset of the Void reserved for the Duration
	infoAt        int64
	tracksAt      int64

	hasVideo  bool
	inCluster bool
	clusterTS int64 // ms of the open cluster
	lastTS    int64 // the largest block timestamp written, ms
	lastFlush time.Time
	cues      []cue
	clusters  []int64 // offsets of the clusters, whose sizes finish fills in
	now       func() time.Time

	// headerEnd is where the first cluster may start; ends are the latest block boundaries
	// (a ring of the last maxEnds), where salvage may cut the file after a failed write.
	headerEnd int64
	ends      []blockEnd
	blocks    int      // blocks written
	durable   blockEnd // the last block boundary known to be on the disk
}

// blockEnd is a place where the file may end: after a complete block, or the header.
type blockEnd struct {
	pos    int64 // offset just past the block
	ts     int64 // the largest block timestamp up to it, ms
	blocks int   // blocks up to it
}

// maxEnds bounds the block boundaries remembered for salvage: more than a second of frames.
const maxEnds = 256

type cue struct {
	ts    int64 // ms
	track int
	pos   int64 // the cluster's offset from segmentData
}

// newMKVWriter writes h's EBML header, Segment start, Info and Tracks to f, through out if
// it is not nil.
func newMKVWriter(f *os.File, out io.Writer, h mkvHeader, now func() time.Time) (*mkvWriter, error) {
	if out == nil {
		out = f
	}
	m := &mkvWriter{f: f, out: out, w: bufio.NewWriterSize(out, 64<<10), now: now, lastFlush: now()}
	for _, t := range h.Tracks {
		m.hasVideo = m.hasVideo || t.Video
	}

	var b []byte
	b = appendMaster(b, idEBML, func(b []byte) []byte {
		b = appendUint(b, idEBMLVersion, 1)
		b = appendUint(b, idEBMLReadVersion, 1)
		b = appendUint(b, idEBMLMaxIDLength, 4)
		b = appendUint(b, idEBMLMaxSizeLength, 8)
		b = appendString(b, idDocType, h.DocType)
		b = appendUint(b, idDocTypeVersion, 4)
		return appendUint(b, idDocTypeReadVersion, 2)
	})
	b = appendID(b, idSegment)
	m.segmentSizeAt = int64(len(b))
	b = binary.BigEndian.AppendUint64(b, unknownSize)
	m.segmentData = int64(len(b))

	m.seekHeadAt = int64(len(b))
	b = appendVoid(b, seekHeadSpace)

	m.infoAt = int64(len(b))
	info := appendUint(nil, idTimestampScale, 1_000_000) // blocks count milliseconds
	info = appendString(info, idMuxingApp, "fireline")
	info = appendString(info, idWritingApp, "fireline")
	info = appendInt(info, idDateUTC, h.Start.UnixNano()-matroskaEpochUnix*int64(time.Second))
	if h.Title != "" {
		info = appendString(info, idTitle, h.Title)
	}
	b = appendID(b, idInfo)
	b = appendSize(b, uint64(len(info)+durationSpace))
	b = append(b, info...)
	m.durationAt = int64(len(b))
	b = appendVoid(b, durationSpace)

	m.tracksAt = int64(len(b))
	b = appendMaster(b, idTracks, func(b []byte) []byte {
		for _, t := range h.Tracks {
			b = appendMaster(b, idTrackEntry, func(b []byte) []byte {
				b = appendUint(b, idTrackNumber, uint64(t.Number))
				b = appendUint(b, idTrackUID, uint64(t.Number)<<32|uint64(h.Start.UnixNano()&0xffffffff)|1)
				b = appendUint(b, idFlagLacing, 0)
				b = appendString(b, idCodecID, t.Codec)
				if len(t.Private) > 0 {
					b = appendBytes(b, idCodecPrivate, t.Private)
				}
				if t.Video {
					b = appendUint(b, idTrackType, 1)
					return appendMaster(b, idVideo, func(b []byte) []byte {
						b = appendUint(b, idPixelWidth, uint64(t.Width))
						return appendUint(b, idPixelHeight, uint64(t.Height))
					})
				}
				b = appendUint(b, idTrackType, 2)
				// Opus needs 80 ms of decoding before a seek point to sound right.
				b = appendUint(b, idSeekPreRoll, uint64(80*time.Millisecond))
				return appendMaster(b, idAudio, func(b []byte) []byte {
					b = appendFloat(b, idSamplingFrequency, t.SampleRate)
					return appendUint(b, idChannels, uint64(t.Channels))
				})
			})
		}
		return b
	})
	if err := m.write(b); err != nil {
		return nil, err
	}
	m.headerEnd = m.pos
	m.durable = blockEnd{pos: m.pos}
	// The header goes to disk at once: without it nothing after is readable.
	return m, m.flush()
}

func (m *mkvWriter) write(b []byte) error {
	n, err := m.w.Write(b)
	m.pos += int64(n)
	return err
}

func (m *mkvWriter) flush() error {
	m.lastFlush = m.now()
	if err := m.w.Flush(); err != nil {
		return err
	}
	if n := len(m.ends); n > 0 {
		m.durable = m.ends[n-1]
	}
	return nil
}

// writeBlock writes one frame of track at ts milliseconds of media time. A video keyframe
// opens a new cluster, so every cluster of a video file starts where a player can begin.
func (m *mkvWriter) writeBlock(track int, video bool, ts int64, key bool, data []byte) error {
	rel := ts - m.clusterTS
	switch {
	case !m.inCluster,
		video && key && rel > 0,
		(!m.hasVideo || video) && rel >= maxClusterSpan,
		rel > math.MaxInt16 || rel < math.MinInt16:
		if err := m.startCluster(ts, track, video && key || !m.hasVideo); err != nil {
			return err
		}
		rel = 0
	}
	flags := byte(0)
	if key {
		flags = 0x80
	}
	b := make([]byte, 0, 16)
	b = appendID(b, idSimpleBlock)
	b = appendSize(b, uint64(len(data)+4))
	b = append(b, 0x80|byte(track)) // the track number as a 1-byte vint; files have two tracks at most
	b = binary.BigEndian.AppendUint16(b, uint16(int16(rel)))
	b = append(b, flags)
	if err := m.write(b); err != nil {
		return err
	}
	if err := m.write(data); err != nil {
		return err
	}
	m.lastTS = max(m.lastTS, ts)
	if len(m.ends) == maxEnds {
		m.ends = append(m.ends[:0], m.ends[1:]...)
	}
	m.blocks++
	m.ends = append(m.ends, blockEnd{m.pos, m.lastTS, m.blocks})
	if m.now().Sub(m.lastFlush) >= flushEvery {
		return m.flush()
	}
	return nil
}

// startCluster closes the open cluster (its size stays unknown) and opens one at ts; cueable
// clusters start with a keyframe and are listed in the Cues on close.
func (m *mkvWriter) startCluster(ts int64, track int, cueable bool) error {
	if m.inCluster {
		// A new cluster is a good moment to hand the last one to the disk.
		if err := m.flush(); err != nil {
			return err
		}
	}
	if cueable {
		m.cues = append(m.cues, cue{ts: ts, track: track, pos: m.pos - m.segmentData})
	}
	m.clusters = append(m.clusters, m.pos)
	b := appendID(nil, idCluster)
	b = binary.BigEndian.AppendUint64(b, unknownSize)
	b = appendUint(b, idTimestamp, uint64(max(ts, 0)))
	m.inCluster, m.clusterTS = true, max(ts, 0)
	return m.write(b)
}

// finish appends the Cues, fills in the SeekHead, the Duration and the sizes of the Segment
// and its clusters (a sized element holds only sized ones), and syncs the file. It does not
// close f.
func (m *mkvWriter) finish() error {
	// The blocks first: if they find no room, the caller salvages the file and calls again.
	if err := m.flush(); err != nil {
		return err
	}
	cuesAt := m.pos
	if err := m.writeCues(); err != nil {
		if !diskFull(err) {
			return err
		}
		// No room for the Cues: the file is finished without them (players seek by
		// scanning), and what they had taken is given back.
		if err := m.truncate(cuesAt); err != nil {
			return err
		}
		m.cues = nil
	}
	return m.patch(cuesAt)
}

// writeCues appends the Cues, if there are any, and flushes the file.
func (m *mkvWriter) writeCues() error {
	if len(m.cues) > 0 {
		b := appendMaster(nil, idCues, func(b []byte) []byte {
			for _, c := range m.cues {
				b = appendMaster(b, idCuePoint, func(b []byte) []byte {
					b = appendUint(b, idCueTime, uint64(max(c.ts, 0)))
					return appendMaster(b, idCueTrackPositions, func(b []byte) []byte {
						b = appendUint(b, idCueTrack, uint64(c.track))
						return appendUint(b, idCueClusterPosition, uint64(c.pos))
					})
				})
			}
			return b
		})
		if err := m.write(b); err != nil {
			return err
		}
	}
	return m.flush()
}

// patch overwrites, in place, what a clean close fills in: the SeekHead, the Duration and the
// sizes of the clusters and the Segment, which end at cuesAt (the Cues follow, if any). It
// takes no new space on the disk.
func (m *mkvWriter) patch(cuesAt int64) error {
	seek := appendMaster(nil, idSeekHead, func(b []byte) []byte {
		entry := func(b []byte, id uint32, at int64) []byte {
			return appendMaster(b, idSeek, func(b []byte) []byte {
				b = appendBytes(b, idSeekID, appendID(nil, id))
				return appendUint(b, idSeekPosition, uint64(at-m.segmentData))
			})
		}
		b = entry(b, idInfo, m.infoAt)
		b = entry(b, idTracks, m.tracksAt)
		if len(m.cues) > 0 {
			b = entry(b, idCues, cuesAt)
		}
		return b
	})
	if len(seek) > seekHeadSpace-2 {
		return fmt.Errorf("seek head of %d bytes does not fit its %d", len(seek), seekHeadSpace)
	}
	seek = appendVoid(seek, seekHeadSpace-len(seek))
	dur := appendFloat(nil, idDuration, float64(m.lastTS))
	type patch struct {
		at int64
		b  []byte
	}
	patches := []patch{{m.seekHeadAt, seek}, {m.durationAt, dur}}
	for i, at := range m.clusters {
		end := cuesAt
		if i+1 < len(m.clusters) {
			end = m.clusters[i+1]
		}
		const head = 4 + 8 // the cluster's ID and 8-byte size
		patches = append(patches, patch{at + 4, sizeVint8(end - at - head)})
	}
	// The Segment's size last: until it is set, the file reads as before.
	patches = append(patches, patch{m.segmentSizeAt, sizeVint8(m.pos - m.segmentData)})
	for _, p := range patches {
		if _, err := m.f.WriteAt(p.b, p.at); err != nil {
			return err
		}
	}
	return m.f.Sync()
}

// salvage makes the file end at a block boundary after a write failed for want of space,
// keeping at least slack bytes of what reached the disk free for the close (Cues, sidecar):
// whatever was only partly written is cut off, and the clusters and cues past the cut are
// forgotten. finish can then close the file cleanly.
func (m *mkvWriter) salvage(slack int64) error {
	st, err := m.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	cut := blockEnd{m.headerEnd, 0, 0}
	if m.durable.pos <= size-slack {
		cut = m.durable
	}
	for _, e := range m.ends {
		if e.pos <= size-slack && e.pos > cut.pos {
			cut = e
		}
	}
	if cut.pos == m.headerEnd {
		// Not enough on the disk to keep slack free: keep what reached it whole, if anything.
		if m.durable.pos <= size && m.durable.pos > cut.pos {
			cut = m.durable
		}
		for _, e := range m.ends {
			if e.pos <= size && e.pos > cut.pos {
				cut = e
			}
		}
	}
	m.clusters = slices.DeleteFunc(m.clusters, func(at int64) bool { return at >= cut.pos })
	m.cues = slices.DeleteFunc(m.cues, func(c cue) bool { return c.pos+m.segmentData >= cut.pos })
	m.ends = slices.DeleteFunc(m.ends, func(e blockEnd) bool { return e.pos > cut.pos })
	m.lastTS, m.blocks = cut.ts, cut.blocks
	m.inCluster = len(m.clusters) > 0
	return m.truncate(cut.pos)
}

// truncate cuts the file at pos and writes on from there, with a fresh buffer: a buffered
// writer that failed once refuses every later write.
func (m *mkvWriter) truncate(pos int64) error {
	if err := m.f.Truncate(pos); err != nil {
		return err
	}
	if _, err := m.f.Seek(pos, io.SeekStart); err != nil {
		return err
	}
	m.w = bufio.NewWriterSize(m.out, 64<<10)
	m.pos = pos
	return nil
}

// sizeVint8 is n as an 8-byte EBML size, to overwrite an unknown size in place.
func sizeVint8(n int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(n)|1<<56)
}

// ---- EBML encoding ----------------------------------------------------------------------------

func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// appendSize appends n as the shortest EBML variable-length integer that holds it; the value
// with every bit set is reserved for "unknown", so a length holds up to 2^(7L)-2.
func appendSize(b []byte, n uint64) []byte {
	l := 1
	for l < 8 && n >= 1<<(7*l)-1 {
		l++
	}
	v := n | 1<<(7*l)
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendUint(b []byte, id uint32, v uint64) []byte {
	n := 1
	for n < 8 && v >= 1<<(8*n) {
		n++
	}
	b = appendID(b, id)
	b = appendSize(b, uint64(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendInt(b []byte, id uint32, v int64) []byte {
	b = appendID(b, id)
	b = appendSize(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func appendFloat(b []byte, id uint32, v float64) []byte {
	b = appendID(b, id)
	b = appendSize(b, 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

func appendString(b []byte, id uint32, s string) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, id uint32, v []byte) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(v)))
	return append(b, v...)
}

// appendMaster appends a master element whose children body appends.
func appendMaster(b []byte, id uint32, body func([]byte) []byte) []byte {
	children := body(nil)
	b = appendID(b, id)
	b = appendSize(b, uint64(len(children)))
	return append(b, children...)
}

// appendVoid appends a Void element of n bytes in all (n >= 2), a placeholder to overwrite.
func appendVoid(b []byte, n int) []byte {
	if n < 2 {
		panic("media: a Void element takes at least 2 bytes")
	}
	// One byte of ID; the size takes 1 byte up to 126 bytes of data, else 2 bytes.
	data := n - 2
	b = append(b, idVoid)
	if data > 126 {
		data--
		b = append(b, 0x40|byte(data>>8), byte(data))
	} else {
		b = append(b, 0x80|byte(data))
	}
	return append(b, make([]byte, data)...)
}

// ---- reading back -----------------------------------------------------------------------------

// mkvScan is what a scan of a recording found: its complete blocks and how far they reach.
type mkvScan struct {
	Blocks int   // complete SimpleBlocks
	LastMS int64 // the largest block timestamp, ms of media time
	// Valid is the offset just past the last complete element: a file cut off by a crash has
	// a partial block after it.
	Valid int64
}

var errNotMatroska = errors.New("not a Matroska file")

// scanMKV walks the first size bytes of a recording written by mkvWriter and counts its
// complete blocks; it stops quietly where the file is cut off. It reads element headers only,
// so a long recording scans quickly.
func scanMKV(r io.ReaderAt, size int64) (mkvScan, error) {
	var s mkvScan
	id, n, hl, err := readElementHeader(r, 0)
	if err != nil || id != idEBML || int64(hl)+int64(n) > size {
		return s, errNotMatroska
	}
	pos := int64(hl) + int64(n)
	if id, _, hl, err = readElementHeader(r, pos); err != nil || id != idSegment {
		return s, errNotMatroska
	}
	pos += int64(hl)
	s.Valid = pos
	var cluster int64
	for {
		id, n, hl, err := readElementHeader(r, pos)
		if err != nil {
			return s, nil
		}
		body := pos + int64(hl)
		if id == idCluster {
			pos = body // descend: its children follow
			s.Valid = pos
			continue
		}
		if n == unknownSize || body+int64(n) > size {
			return s, nil // cut off
		}
		switch id {
		case idTimestamp:
			v, err := readUint(r, body, n)
			if err != nil {
				return s, nil
			}
			cluster = int64(v)
		case idSimpleBlock:
			var head [4]byte
			if n < 4 {
				return s, nil
			}
			if _, err := r.ReadAt(head[:], body); err != nil {
				return s, nil
			}
			s.Blocks++
			s.LastMS = max(s.LastMS, cluster+int64(int16(binary.BigEndian.Uint16(head[1:3]))))
		}
		pos = body + int64(n)
		s.Valid = pos
	}
}

// readElementHeader reads the ID and size of the element at off and the header's length; size
// is unknownSize when the file says so.
func readElementHeader(r io.ReaderAt, off int64) (id uint32, size uint64, n int, err error) {
	var b [12]byte
	// Near the end of a cut-off file the read comes up short (io.EOF): what it did read decides.
	got, _ := r.ReadAt(b[:], off)
	if got == 0 {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	h := b[:got]
	l := vintLen(h[0], 4)
	if l == 0 || len(h) < l {
		return 0, 0, 0, errNotMatroska
	}
	for _, x := range h[:l] {
		id = id<<8 | uint32(x)
	}
	h = h[l:]
	if len(h) == 0 {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	sl := vintLen(h[0], 8)
	if sl == 0 || len(h) < sl {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	size = uint64(h[0] & (0xff >> sl))
	allOnes := size == uint64(0xff>>sl)
	for _, x := range h[1:sl] {
		size = size<<8 | uint64(x)
		allOnes = allOnes && x == 0xff
	}
	if allOnes {
		size = unknownSize
	}
	return id, size, l + sl, nil
}

// vintLen is the length an EBML variable-length integer announces in its first byte, 0 when it
// is longer than most.
func vintLen(first byte, most int) int {
	for l := 1; l <= most; l++ {
		if first&(0x80>>(l-1)) != 0 {
			return l
		}
	}
	return 0
}

func readUint(r io.ReaderAt, off int64, size uint64) (uint64, error) {
	if size > 8 {
		return 0, errNotMatroska
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, off); err != nil {
		return 0, err
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, nil
}
