package main

import (
	"bytes"
	"encoding/binary"
)

// A stamp rides at the end of every published VP8 frame: the frame's number and the wall clock
// (Unix nanoseconds) just before its first packet was written. It travels in the payload, not
// in an RTP header extension, because a forwarder may drop extensions it did not negotiate and
// some servers re-packetize frames; every forwarder keeps a frame's bytes. Publisher and viewers
// run in one process on one machine, so one clock reads both ends.
//
// The loader never decodes video: a decoder would read the stamp as trailing bytes of the
// frame's last partition, which no test here relies on.

// stampMagic marks a stamp; a frame whose last bytes are not a stamp is not measured.
var stampMagic = [4]byte{'F', 'L', 'S', '1'}

// stampLen is the stamp's size in bytes: magic, frame number (uint32), send time (int64).
const stampLen = 16

// appendStamp appends frame's stamp to dst.
func appendStamp(dst []byte, frame uint32, sentNanos int64) []byte {
	dst = append(dst, stampMagic[:]...)
	dst = binary.BigEndian.AppendUint32(dst, frame)
	return binary.BigEndian.AppendUint64(dst, uint64(sentNanos))
}

// readStamp reads the stamp at the end of a frame's bytes (tail holds at least its last
// stampLen bytes).
func readStamp(tail []byte) (frame uint32, sentNanos int64, ok bool) {
	if len(tail) < stampLen {
		return 0, 0, false
	}
	s := tail[len(tail)-stampLen:]
	if !bytes.Equal(s[:4], stampMagic[:]) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(s[4:8]), int64(binary.BigEndian.Uint64(s[8:16])), true
}

// tail keeps the last stampLen bytes of a frame's payload as its packets arrive, so a stamp
// split across the frame's last two packets is still read.
type tail struct {
	buf [stampLen]byte
	n   int // valid bytes, at most stampLen, right-aligned in buf
}

func (t *tail) reset() { t.n = 0 }

func (t *tail) write(p []byte) {
	if len(p) >= stampLen {
		copy(t.buf[:], p[len(p)-stampLen:])
		t.n = stampLen
		return
	}
	// Shift the kept bytes left to make room for p at the end.
	copy(t.buf[:], t.buf[len(p):])
	copy(t.buf[stampLen-len(p):], p)
	t.n = min(stampLen, t.n+len(p))
}

func (t *tail) bytes() []byte { return t.buf[stampLen-t.n:] }
