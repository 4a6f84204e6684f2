package gb26875

import (
	"errors"
	"fmt"
)

// The codec's sentinel errors. A frame that cannot be trusted is reported as a *FrameError
// wrapping one of the first four, so that a listener can tell which answer the standard asks
// for (deny, or drop) and knows the serial number to answer with.
var (
	// ErrLength: the application data unit length field is above MaxDataLength.
	ErrLength = errors.New("application data length above 1024")
	// ErrChecksum: the checksum byte is not the sum of the frame's bytes.
	ErrChecksum = errors.New("bad checksum")
	// ErrEnd: the bytes where the length puts the end marker are not "##".
	ErrEnd = errors.New("no end marker where the length puts it")
	// ErrTruncated: the stream or the buffer ended inside a frame.
	ErrTruncated = errors.New("truncated frame")
	// ErrStart: a buffer given to Decode does not begin with "@@".
	ErrStart = errors.New("no start marker")
	// ErrTrailing: a buffer given to Decode holds bytes after its frame.
	ErrTrailing = errors.New("bytes after the frame")
	// ErrUnit: an application data unit whose size does not match its type and object count.
	ErrUnit = errors.New("malformed application data unit")
	// ErrEncode: a frame or unit that cannot be written (too long, too many objects, mixed types).
	ErrEncode = errors.New("cannot encode")
)

// FrameError is a frame the codec could delimit but not trust. Serial is the frame's business
// serial number when HasSerial says it could be read, for a deny that names it; Header is its
// control unit as read (no data) when HasHeader says the bytes held all of it, so that the deny
// goes back to the address the frame came from. Neither is trustworthy beyond that.
type FrameError struct {
	Err       error
	Serial    uint16
	HasSerial bool
	Header    Frame
	HasHeader bool
}

func (e *FrameError) Error() string {
	if e.HasSerial {
		return fmt.Sprintf("gb26875: frame serial %d: %v", e.Serial, e.Err)
	}
	return "gb26875: " + e.Err.Error()
}

// Unwrap returns the sentinel, for errors.Is.
func (e *FrameError) Unwrap() error { return e.Err }
