// Package gb26875 is the codec of GB/T 26875.3-2011 (城市消防远程监控系统 第3部分：报警传输网络
// 通信协议), the protocol that user information transmission devices (用户信息传输装置) in
// buildings speak over TCP to a monitoring centre: frames, their application data units, a
// splitter that cuts frames out of a byte stream, and the confirm and deny answers — and, in
// server.go, the TCP listener (Server) that reads devices' connections with the splitter and
// writes the answers a Handler gives. The codec itself does no I/O beyond reading the stream it
// is given.
//
// The layout follows the standard's clause 6.6 (数据包结构) and clause 8 (数据定义) as public
// reference implementations read them (DGIOT's dgiot_gb26875 decoder and its published sample
// frame, whose checksum this package reproduces; several independent decoders' type tables):
//
//	"@@"  serial(2)  version(2: major, minor)  time(6: s m h D M Y-2000)  source(6)  destination(6)
//	      length(2, ≤ 1024)  command(1)  application data unit(length)  checksum(1)  "##"
//
// Multi-byte integers are little-endian (low byte first). The checksum is the sum, modulo 256,
// of every byte from the serial number through the last byte of the application data unit.
package gb26875

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Sizes fixed by the standard.
const (
	// MaxDataLength is the largest application data unit a frame may carry, in bytes.
	MaxDataLength = 1024
	// headerSize is the start marker and the control unit: "@@", serial, version, time,
	// source, destination, length and command.
	headerSize = 2 + 2 + 2 + 6 + 6 + 6 + 2 + 1
	// trailerSize is the checksum and the end marker.
	trailerSize = 1 + 2
	// MaxFrameSize is the longest frame on the wire, in bytes.
	MaxFrameSize = headerSize + MaxDataLength + trailerSize
	// lengthOffset is where the application data length sits in a frame.
	lengthOffset = 24
)

// Command is the control unit's command byte (the standard's table 2).
type Command uint8

// The commands of table 2; 0 and 7–127 are reserved, 128–255 user-defined.
const (
	CommandControl  Command = 1 // 控制命令: the centre's control, such as a clock sync
	CommandSendData Command = 2 // 发送数据: fire alarms and facility states sent up
	CommandConfirm  Command = 3 // 确认: a control or sent data accepted
	CommandRequest  Command = 4 // 请求: a query
	CommandResponse Command = 5 // 应答: the answer to a query
	CommandDeny     Command = 6 // 否认: a control or sent data refused
)

func (c Command) String() string {
	switch c {
	case CommandControl:
		return "control"
	case CommandSendData:
		return "send-data"
	case CommandConfirm:
		return "confirm"
	case CommandRequest:
		return "request"
	case CommandResponse:
		return "response"
	case CommandDeny:
		return "deny"
	}
	return fmt.Sprintf("command-%d", uint8(c))
}

// Version is the protocol version of the control unit: the major number is sent first.
type Version struct {
	Major, Minor uint8
}

// Version1 is the version GB/T 26875.3-2011 defines, 1.0.
var Version1 = Version{Major: 1, Minor: 0}

// Address is a source or destination address: six bytes, in wire order (low byte first).
type Address [6]byte

// String writes the address as the 48-bit number it is, most significant byte first, in hex.
func (a Address) String() string {
	return fmt.Sprintf("%02x%02x%02x%02x%02x%02x", a[5], a[4], a[3], a[2], a[1], a[0])
}

// Timestamp is the standard's six-byte time label: second, minute, hour, day, month and the
// year since 2000, each one binary byte, in that order on the wire. It carries no zone: the
// devices send local time.
type Timestamp struct {
	Second, Minute, Hour, Day, Month uint8
	Year                             uint8 // years since 2000
}

// TimestampOf is t's wall clock in t's own location, to the second. Years outside 2000–2255
// cannot be written and are clamped.
func TimestampOf(t time.Time) Timestamp {
	y := t.Year() - 2000
	y = max(0, min(255, y))
	return Timestamp{
		Second: uint8(t.Second()), Minute: uint8(t.Minute()), Hour: uint8(t.Hour()),
		Day: uint8(t.Day()), Month: uint8(t.Month()), Year: uint8(y),
	}
}

// In is the time label as a time in loc, or an error when a field is out of its range (a
// device with an unset clock sends zeros).
func (ts Timestamp) In(loc *time.Location) (time.Time, error) {
	if ts.Second > 59 || ts.Minute > 59 || ts.Hour > 23 || ts.Month < 1 || ts.Month > 12 || ts.Day < 1 {
		return time.Time{}, fmt.Errorf("gb26875: time label %v out of range", ts.bytes())
	}
	t := time.Date(2000+int(ts.Year), time.Month(ts.Month), int(ts.Day), int(ts.Hour), int(ts.Minute), int(ts.Second), 0, loc)
	if t.Day() != int(ts.Day) {
		return time.Time{}, fmt.Errorf("gb26875: time label %v: no such day", ts.bytes())
	}
	return t, nil
}

func (ts Timestamp) bytes() [6]byte {
	return [6]byte{ts.Second, ts.Minute, ts.Hour, ts.Day, ts.Month, ts.Year}
}

func (ts Timestamp) appendTo(b []byte) []byte {
	v := ts.bytes()
	return append(b, v[:]...)
}

func timestampAt(b []byte) Timestamp {
	return Timestamp{Second: b[0], Minute: b[1], Hour: b[2], Day: b[3], Month: b[4], Year: b[5]}
}

// Frame is one data packet (数据包). Data is its application data unit undecoded: Unit reads
// it, so a unit the codec does not understand never costs the frame.
type Frame struct {
	Serial      uint16 // business serial number (业务流水号), echoed by the answer
	Version     Version
	Time        Timestamp // when the sender sent it, sender's local time
	Source      Address
	Destination Address
	Command     Command
	Data        []byte // the application data unit, at most MaxDataLength bytes
}

// Unit decodes the frame's application data unit. A frame without one (a confirm, a deny)
// gives the zero Unit.
func (f Frame) Unit() (Unit, error) {
	if len(f.Data) == 0 {
		return Unit{}, nil
	}
	return DecodeUnit(f.Data)
}

// Encode writes the frame with its checksum.
func (f Frame) Encode() ([]byte, error) {
	return f.AppendEncode(make([]byte, 0, headerSize+len(f.Data)+trailerSize))
}

// AppendEncode appends the encoded frame to b.
func (f Frame) AppendEncode(b []byte) ([]byte, error) {
	if len(f.Data) > MaxDataLength {
		return b, fmt.Errorf("gb26875: %w: application data of %d bytes", ErrEncode, len(f.Data))
	}
	start := len(b)
	b = append(b, '@', '@')
	b = binary.LittleEndian.AppendUint16(b, f.Serial)
	b = append(b, f.Version.Major, f.Version.Minor)
	b = f.Time.appendTo(b)
	b = append(b, f.Source[:]...)
	b = append(b, f.Destination[:]...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(f.Data)))
	b = append(b, byte(f.Command))
	b = append(b, f.Data...)
	b = append(b, checksum(b[start+2:]))
	return append(b, '#', '#'), nil
}

// checksum is the standard's check byte: the arithmetic sum of the bytes modulo 256.
func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// Decode reads exactly one frame from b.
func Decode(b []byte) (Frame, error) {
	if len(b) < 2 || b[0] != '@' || b[1] != '@' {
		return Frame{}, &FrameError{Err: ErrStart}
	}
	f, n, err := parse(b)
	if err == nil && n != len(b) {
		err = ErrTrailing
	}
	if err != nil {
		return Frame{}, frameError(b, err)
	}
	return f, nil
}

// frameError wraps a sentinel for the frame at the start of b, with its serial number when b
// is long enough to hold one and its control unit when b holds all of it.
func frameError(b []byte, err error) error {
	e := &FrameError{Err: err}
	if len(b) >= 4 {
		e.Serial, e.HasSerial = binary.LittleEndian.Uint16(b[2:]), true
	}
	if len(b) >= headerSize {
		e.Header = Frame{
			Serial: e.Serial, Version: Version{Major: b[4], Minor: b[5]}, Time: timestampAt(b[6:12]),
			Command: Command(b[26]),
		}
		copy(e.Header.Source[:], b[12:18])
		copy(e.Header.Destination[:], b[18:24])
		e.HasHeader = true
	}
	return e
}

// parse reads the frame at the start of b, which begins with "@@", and returns it with its
// size in bytes. Its errors are the bare sentinels, so that a splitter waiting for the rest of
// a frame allocates nothing: ErrTruncated when b is shorter than the frame (the size is then
// the frame's, or 0 when not even its length could be read), ErrLength, ErrEnd, ErrChecksum.
func parse(b []byte) (Frame, int, error) {
	if len(b) < headerSize {
		return Frame{}, 0, ErrTruncated
	}
	length := int(binary.LittleEndian.Uint16(b[lengthOffset:]))
	if length > MaxDataLength {
		return Frame{}, 0, ErrLength
	}
	size := headerSize + length + trailerSize
	if len(b) < size {
		return Frame{}, size, ErrTruncated
	}
	if b[size-2] != '#' || b[size-1] != '#' {
		return Frame{}, size, ErrEnd
	}
	if checksum(b[2:headerSize+length]) != b[headerSize+length] {
		return Frame{}, size, ErrChecksum
	}
	f := Frame{
		Serial:  binary.LittleEndian.Uint16(b[2:]),
		Version: Version{Major: b[4], Minor: b[5]},
		Time:    timestampAt(b[6:12]),
		Command: Command(b[26]),
	}
	copy(f.Source[:], b[12:18])
	copy(f.Destination[:], b[18:24])
	if length > 0 {
		f.Data = append([]byte(nil), b[headerSize:headerSize+length]...)
	}
	return f, size, nil
}

// Confirm is the answer (确认) to f: the same serial number and version, source and
// destination swapped, no application data unit. Its time label is at, the answering side's
// own clock in its own zone (the standard's time label is the sender's), not a copy of f's.
func Confirm(f Frame, at time.Time) Frame { return answer(f, CommandConfirm, at) }

// Deny is the refusal (否认) of f, shaped as Confirm. Table 2 has it answer a control command
// or sent data that the receiver refuses; a listener sends it for a frame whose bounds hold
// but whose checksum does not, or whose length is impossible, so that the device sends it
// again (clause 6.5) instead of waiting for its answer timeout.
func Deny(f Frame, at time.Time) Frame { return answer(f, CommandDeny, at) }

func answer(f Frame, c Command, at time.Time) Frame {
	return Frame{
		Serial: f.Serial, Version: f.Version, Time: TimestampOf(at),
		Source: f.Destination, Destination: f.Source,
		Command: c,
	}
}

// SyncClock is the centre's control command (控制命令, type 90 同步用户信息传输装置时钟) that
// sets the clock of the device that sent f to at: serial is the centre's own business serial
// number, source and destination are f's swapped, and the one object is at's time label.
func SyncClock(f Frame, serial uint16, at time.Time) Frame {
	ts := TimestampOf(at)
	data, _ := Unit{Type: TypeSyncDeviceClock, Count: 1, Raw: ts.appendTo(nil)}.Encode() // a raw unit of 8 bytes always encodes
	return Frame{
		Serial: serial, Version: f.Version, Time: ts,
		Source: f.Destination, Destination: f.Source,
		Command: CommandControl, Data: data,
	}
}
