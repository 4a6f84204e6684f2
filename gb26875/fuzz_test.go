package gb26875_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/fireline/fireline/gb26875"
)

func seeds(f *testing.F) {
	f.Add(up(1, cat([]byte{21, 1, 0x01}, wireTime)...))
	f.Add(up(2, cat([]byte{2, 1, 1, 1, 40, 17, 0, 2, 0, 0x03, 0x00}, description, wireTime)...))
	f.Add(up(3, cat([]byte{1, 1, 1, 1, 0x03, 0x00}, wireTime)...))
	f.Add(up(4, cat([]byte{3, 1, 11, 1, 99, 5, 0, 0, 0, 4, 0x9C, 0xFF}, wireTime)...))
	f.Add(up(5, 61, 1, 1, 1))
	f.Add(wire(6, 3, wireCentre, wireDevice, nil))
	f.Add(cat([]byte("@@@"), up(7, 28, 1, 1, 2, 3, 4, 5, 6), []byte("##@@")))
}

// FuzzDecode: Decode never panics; what it reads, Encode writes back byte for byte; a unit it
// reads encodes to bytes that read back to the same unit.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := gb26875.Decode(b)
		if err != nil {
			var fe *gb26875.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("not a frame error: %v", err)
			}
			return
		}
		again, err := fr.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, %v", again, err)
		}
		checkUnit(t, fr.Data)
	})
}

// checkUnit decodes data as a unit and, when it reads, checks the round trip. A description
// that is not GB 18030, or whose replacement characters no longer fit in 31 bytes, is
// normalised by the first encoding (cut at a character, padding trimmed on reading); from
// then on whatever Encode writes Decode reads back unchanged.
func checkUnit(t *testing.T, data []byte) {
	u, err := gb26875.DecodeUnit(data)
	if err != nil {
		if !errors.Is(err, gb26875.ErrUnit) {
			t.Fatalf("unit error %v", err)
		}
		return
	}
	d1, err := u.Encode()
	if err != nil {
		t.Fatalf("encode %+v: %v", u, err)
	}
	if len(d1) != len(data) {
		t.Fatalf("unit of %d bytes re-encoded in %d", len(data), len(d1))
	}
	u1, err := gb26875.DecodeUnit(d1)
	if err != nil {
		t.Fatalf("decode re-encoded: %v", err)
	}
	d2, err := u1.Encode()
	if err != nil {
		t.Fatal(err)
	}
	u2, err := gb26875.DecodeUnit(d2)
	if err != nil || !reflect.DeepEqual(u1, u2) {
		t.Fatalf("Encode wrote %x, Decode read %+v (%v), want %+v", d2, u2, err, u1)
	}
	if d3, err := u2.Encode(); err != nil || !bytes.Equal(d2, d3) {
		t.Fatalf("encodings differ: %x then %x (%v)", d2, d3, err)
	}
}

// FuzzSplit: the splitter never panics or loops, whole or in 1-byte pieces gives the same
// frames and errors, and every frame it gives re-encodes to bytes that were in the stream.
func FuzzSplit(f *testing.F) {
	seeds(f)
	f.Add(cat(up(1, 21, 0), []byte("garbage@"), up(2, 28, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		whole := splitAll(t, bytes.NewReader(b), b)
		pieces := splitAll(t, iotest.OneByteReader(bytes.NewReader(b)), b)
		if !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("whole %v, in pieces %v", whole, pieces)
		}
	})
}

func splitAll(t *testing.T, r io.Reader, stream []byte) []string {
	s := gb26875.NewSplitter(r)
	var out []string
	for range len(stream) + 2 {
		fr, err := s.Next()
		switch {
		case err == io.EOF:
			return out
		case err != nil:
			var fe *gb26875.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("not a frame error: %v", err)
			}
			out = append(out, err.Error())
			if errors.Is(err, gb26875.ErrTruncated) {
				return out
			}
		default:
			b, err := fr.Encode()
			if err != nil || !bytes.Contains(stream, b) {
				t.Fatalf("frame %x not in the stream (%v)", b, err)
			}
			out = append(out, string(b))
		}
	}
	t.Fatal("more results than bytes")
	return nil
}
