package gb26875_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/fireline/fireline/gb26875"
)

// result is what one call to Next gave: a frame's serial, or an error.
type result struct {
	serial uint16
	err    error
}

// split runs a splitter over r to the end and lists what it gave.
func split(t *testing.T, r io.Reader) []result {
	t.Helper()
	s := gb26875.NewSplitter(r)
	var out []result
	for range 1000 {
		f, err := s.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var fe *gb26875.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("not a frame error: %v", err)
			}
			out = append(out, result{fe.Serial, fe.Err})
			if errors.Is(err, gb26875.ErrTruncated) {
				return out
			}
			continue
		}
		out = append(out, result{serial: f.Serial})
	}
	t.Fatal("the splitter does not end")
	return nil
}

func TestSplit(t *testing.T) {
	heartbeat := func(serial uint16) []byte { return up(serial, cat([]byte{21, 1, 0x01}, wireTime)...) }
	alarm := up(2, cat([]byte{2, 1, 1, 1, 40, 17, 0, 2, 0, 0x03, 0x00}, description, wireTime)...)
	badSum := heartbeat(3)
	badSum[len(badSum)-3] ^= 0xff
	badLen := heartbeat(4)
	badLen[24], badLen[25] = 0xff, 0xff
	three := cat(heartbeat(1), alarm, heartbeat(5))
	ok := func(serials ...uint16) []result {
		var r []result
		for _, s := range serials {
			r = append(r, result{serial: s})
		}
		return r
	}
	tests := []struct {
		name string
		r    io.Reader
		want []result
	}{
		{"several frames in one read", bytes.NewReader(three), ok(1, 2, 5)},
		{"a frame in 1-byte pieces", iotest.OneByteReader(bytes.NewReader(three)), ok(1, 2, 5)},
		{"pieces of 7 bytes", iotest.HalfReader(io.MultiReader(bytes.NewReader(three[:7]), bytes.NewReader(three[7:40]), bytes.NewReader(three[40:]))), ok(1, 2, 5)},
		{"garbage before and between frames", bytes.NewReader(cat([]byte("GET / HTTP/1.1\r\n@#@"), heartbeat(1), []byte{0, '@', '#', 0x23}, alarm, []byte("@"), heartbeat(5))), ok(1, 2, 5)},
		{"garbage in 1-byte pieces", iotest.OneByteReader(bytes.NewReader(cat([]byte("x@"), heartbeat(1), []byte("@x@"), heartbeat(5)))), ok(1, 5)},
		{"a bad checksum between good frames", bytes.NewReader(cat(heartbeat(1), badSum, heartbeat(5))),
			[]result{{serial: 1}, {3, gb26875.ErrChecksum}, {serial: 5}}},
		{"an impossible length between good frames", bytes.NewReader(cat(heartbeat(1), badLen, heartbeat(5))),
			[]result{{serial: 1}, {4, gb26875.ErrLength}, {serial: 5}}},
		{"a truncated frame at the end", bytes.NewReader(cat(heartbeat(1), alarm[:40])),
			[]result{{serial: 1}, {2, gb26875.ErrTruncated}}},
		{"a lone start marker at the end", bytes.NewReader(cat(heartbeat(1), []byte("@@"))),
			[]result{{serial: 1}, {0, gb26875.ErrTruncated}}},
		{"only garbage", bytes.NewReader(bytes.Repeat([]byte("#@x"), 5000)), nil},
		{"empty", bytes.NewReader(nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(t, tt.r)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].serial != tt.want[i].serial || !errors.Is(got[i].err, tt.want[i].err) || (got[i].err == nil) != (tt.want[i].err == nil) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestSplitFrameContent checks that a split frame is the frame, not just its serial.
func TestSplitFrameContent(t *testing.T) {
	alarm := up(2, cat([]byte{2, 1, 1, 1, 40, 17, 0, 2, 0, 0x03, 0x00}, description, wireTime)...)
	want, err := gb26875.Decode(alarm)
	if err != nil {
		t.Fatal(err)
	}
	s := gb26875.NewSplitter(iotest.OneByteReader(bytes.NewReader(cat([]byte("junk"), alarm))))
	got, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := got.Encode()
	if !bytes.Equal(b, alarm) || got.Serial != want.Serial {
		t.Fatalf("got %x", b)
	}
}

// TestSplitReadError passes a connection's error through once the frames before it are out.
func TestSplitReadError(t *testing.T) {
	boom := errors.New("connection reset")
	s := gb26875.NewSplitter(io.MultiReader(bytes.NewReader(up(9, 28, 1, 1, 2, 3, 4, 5, 6)), iotest.ErrReader(boom)))
	if f, err := s.Next(); err != nil || f.Serial != 9 {
		t.Fatalf("%+v, %v", f, err)
	}
	if _, err := s.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

// TestSplitBoundedMemory feeds a long stream of near-frames: the splitter keeps going in its
// fixed buffer and allocates per frame, not per byte of garbage.
func TestSplitBoundedMemory(t *testing.T) {
	// A header announcing 1024 bytes whose end marker never comes, repeated.
	junk := bytes.Repeat(cat([]byte("@@"), make([]byte, 22), []byte{0x00, 0x04, 2}, bytes.Repeat([]byte{0}, 1030)), 200)
	allocs := testing.AllocsPerRun(3, func() {
		s := gb26875.NewSplitter(bytes.NewReader(junk))
		for {
			if _, err := s.Next(); err == io.EOF || errors.Is(err, gb26875.ErrTruncated) {
				return
			}
		}
	})
	// One buffer and one error per near-frame.
	if allocs > 2+2*200 {
		t.Fatalf("%v allocations for 200 near-frames", allocs)
	}
}
