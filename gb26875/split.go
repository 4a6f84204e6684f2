package gb26875

import (
	"bytes"
	"io"
)

// Splitter cuts frames out of a byte stream, such as a device's TCP connection: the reads may
// end anywhere, hold several frames, or bring bytes that are no frame, which it skips up to
// the next "@@". Its memory is one fixed buffer of twice the largest frame, whatever the
// stream sends.
type Splitter struct {
	r          io.Reader
	buf        []byte
	start, end int   // buf[start:end] is read and not yet consumed
	err        error // the reader's error, returned once the buffer is used up
}

// NewSplitter reads frames from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: r, buf: make([]byte, 2*MaxFrameSize)}
}

// Next returns the next frame. A frame whose bounds hold but whose checksum does not comes
// back as a *FrameError wrapping ErrChecksum, and a start marker followed by a length above
// 1024 as one wrapping ErrLength, both with the serial number; Next can be called again after
// either and carries on with the bytes that follow. Bytes that are no frame — no start marker,
// or no end marker where the length puts it — are skipped without a word: they are garbage,
// and answering garbage would be wrong. At the end of the stream Next returns io.EOF, or a
// *FrameError wrapping ErrTruncated when the stream ended inside a frame; other read errors
// are returned as they are.
func (s *Splitter) Next() (Frame, error) {
	for {
		w := s.buf[s.start:s.end]
		i := bytes.Index(w, []byte("@@"))
		if i < 0 {
			// Keep a last '@': it may be the first half of a start marker.
			keep := 0
			if len(w) > 0 && w[len(w)-1] == '@' {
				keep = 1
			}
			s.start = s.end - keep
		} else {
			s.start += i
			w = s.buf[s.start:s.end]
			f, n, err := parse(w)
			switch {
			case err == nil:
				s.start += n
				return f, nil
			case err == ErrTruncated:
				if s.err != nil {
					return Frame{}, s.finish()
				}
				s.fill()
			case err == ErrChecksum:
				// The end marker sits where the length says: the frame's bounds hold, drop it whole.
				s.start += n
				return Frame{}, frameError(w, err)
			case w[2] == '@':
				// "@@@": a stray '@' before a start marker made a frame of the wrong bytes. Move
				// one byte on, quietly; the real frame starts there.
				s.start++
			case err == ErrLength:
				s.start += 2
				return Frame{}, frameError(w, err)
			default: // ErrEnd: no frame here; resynchronise on the next "@@".
				s.start += 2
			}
			continue
		}
		if s.err != nil {
			return Frame{}, s.finish()
		}
		s.fill()
	}
}

// finish reports the end of the stream: a truncated frame when the leftover bytes hold the
// start of one.
func (s *Splitter) finish() error {
	if s.err != io.EOF {
		return s.err
	}
	w := s.buf[s.start:s.end]
	s.start = s.end
	if len(w) >= 2 && w[0] == '@' && w[1] == '@' {
		return frameError(w, ErrTruncated)
	}
	return io.EOF
}

// fill reads once into the buffer, first moving the unconsumed bytes to its front.
func (s *Splitter) fill() {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.err = err
	}
}
