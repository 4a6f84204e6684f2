package gb26875_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fireline/fireline/gb26875"
)

// Fields of the test frames, written out as the standard lays them on the wire.
var (
	// 2026-03-14 09:26:53: second, minute, hour, day, month, year-2000.
	wireTime = []byte{53, 26, 9, 14, 3, 26}
	stamp    = gb26875.Timestamp{Second: 53, Minute: 26, Hour: 9, Day: 14, Month: 3, Year: 26}
	// A device's address and the centre's, low byte first.
	wireDevice = []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06}
	wireCentre = []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
	device     = gb26875.Address{0x01, 0x02, 0x03, 0x04, 0x05, 0x06}
)

// wire builds a frame byte by byte from the standard's clause 6.6, independently of Encode:
// "@@", serial (low byte first), version 1.0, time label, source, destination, length (low
// byte first), command, data, the sum of serial … data modulo 256, "##".
func wire(serial uint16, cmd byte, src, dst, data []byte) []byte {
	b := []byte{'@', '@', byte(serial), byte(serial >> 8), 1, 0}
	b = append(b, wireTime...)
	b = append(b, src...)
	b = append(b, dst...)
	b = append(b, byte(len(data)), byte(len(data)>>8), cmd)
	b = append(b, data...)
	var sum int
	for _, c := range b[2:] {
		sum += int(c)
	}
	b = append(b, byte(sum%256))
	return append(b, '#', '#')
}

// up is a device's send-data frame.
func up(serial uint16, data ...byte) []byte { return wire(serial, 2, wireDevice, wireCentre, data) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// description is a GB 18030 description padded with NULs to 31 bytes: "3层东走廊" is
// 0x33, then four two-byte characters.
var description = cat([]byte{0x33, 0xB2, 0xE3, 0xB6, 0xAB, 0xD7, 0xDF, 0xC0, 0xC8}, make([]byte, 22))

func TestDecodeUploads(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want gb26875.Unit
	}{{
		name: "1 facility system status: fire alarm panel 1 in fire alarm",
		data: cat([]byte{1, 1, 1, 1, 0x03, 0x00}, wireTime),
		want: gb26875.Unit{Type: 1, Objects: []gb26875.Object{gb26875.FacilityStatus{
			System: 1, SystemAddress: 1, Status: gb26875.StatusNormal | gb26875.StatusFireAlarm, At: stamp}}},
	}, {
		name: "1 facility system status: two objects, main power fault and reset",
		data: cat([]byte{1, 2}, []byte{1, 1, 0x01, 0x01}, wireTime, []byte{10, 2, 0x01, 0x20}, wireTime),
		want: gb26875.Unit{Type: 1, Objects: []gb26875.Object{
			gb26875.FacilityStatus{System: 1, SystemAddress: 1, Status: gb26875.StatusNormal | gb26875.StatusMainPowerFault, At: stamp},
			gb26875.FacilityStatus{System: 10, SystemAddress: 2, Status: gb26875.StatusNormal | gb26875.StatusReset, At: stamp},
		}},
	}, {
		name: "2 component status: smoke detector at loop 2 point 17 in fire alarm",
		data: cat([]byte{2, 1, 1, 1, 40, 17, 0, 2, 0, 0x03, 0x00}, description, wireTime),
		want: gb26875.Unit{Type: 2, Objects: []gb26875.Object{gb26875.ComponentStatus{
			System: 1, SystemAddress: 1, Component: 40, ComponentAddress: 0x00020011,
			Status: gb26875.StatusNormal | gb26875.StatusFireAlarm, Description: "3层东走廊", At: stamp}}},
	}, {
		name: "2 component status: a shielded call point, power fault",
		data: cat([]byte{2, 1, 1, 1, 23, 0x10, 0x27, 0, 0, 0x09, 0x01}, description, wireTime),
		want: gb26875.Unit{Type: 2, Objects: []gb26875.Object{gb26875.ComponentStatus{
			System: 1, SystemAddress: 1, Component: 23, ComponentAddress: 10000,
			Status: gb26875.StatusNormal | gb26875.StatusShielded | gb26875.StatusComponentPowerFail, Description: "3层东走廊", At: stamp}}},
	}, {
		name: "3 component analog value: negative value",
		data: cat([]byte{3, 1, 11, 1, 99, 5, 0, 0, 0, 4, 0x9C, 0xFF}, wireTime),
		want: gb26875.Unit{Type: 3, Objects: []gb26875.Object{gb26875.ComponentAnalog{
			System: 11, SystemAddress: 1, Component: 99, ComponentAddress: 5, Kind: 4, Value: -100, At: stamp}}},
	}, {
		name: "4 facility operation: silence and reset by operator 7",
		data: cat([]byte{4, 1, 1, 1, 0x03, 7}, wireTime),
		want: gb26875.Unit{Type: 4, Objects: []gb26875.Object{gb26875.FacilityOperation{
			System: 1, SystemAddress: 1, Operations: gb26875.OperationReset | gb26875.OperationSilence, Operator: 7, At: stamp}}},
	}, {
		name: "8 facility system time",
		data: cat([]byte{8, 1, 1, 1}, wireTime),
		want: gb26875.Unit{Type: 8, Objects: []gb26875.Object{gb26875.FacilityTime{System: 1, SystemAddress: 1, Time: stamp}}},
	}, {
		name: "21 device running status: heartbeat, backup power fault",
		data: cat([]byte{21, 1, 0x11}, wireTime),
		want: gb26875.Unit{Type: 21, Objects: []gb26875.Object{gb26875.DeviceStatus{
			Status: gb26875.DeviceNormal | gb26875.DeviceBackupPowerFault, At: stamp}}},
	}, {
		name: "24 device operation: inspection answered",
		data: cat([]byte{24, 1, 0x20, 3}, wireTime),
		want: gb26875.Unit{Type: 24, Objects: []gb26875.Object{gb26875.DeviceOperation{
			Operations: gb26875.OperationConfirm, Operator: 3, At: stamp}}},
	}, {
		name: "28 device system time",
		data: cat([]byte{28, 1}, wireTime),
		want: gb26875.Unit{Type: 28, Objects: []gb26875.Object{gb26875.DeviceTime{Time: stamp}}},
	}, {
		name: "25 device software version, not decoded: raw",
		data: []byte{25, 1, 2, 1},
		want: gb26875.Unit{Type: 25, Count: 1, Raw: []byte{2, 1}},
	}, {
		name: "61 read facility system status, a request: raw",
		data: []byte{61, 1, 1, 1},
		want: gb26875.Unit{Type: 61, Count: 1, Raw: []byte{1, 1}},
	}, {
		name: "90 sync the device clock: raw",
		data: cat([]byte{90, 1}, wireTime),
		want: gb26875.Unit{Type: 90, Count: 1, Raw: wireTime},
	}, {
		name: "200 user-defined type: raw",
		data: []byte{200, 0},
		want: gb26875.Unit{Type: 200},
	}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := up(uint16(1000+i), tt.data...)
			f, err := gb26875.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			want := gb26875.Frame{Serial: uint16(1000 + i), Version: gb26875.Version1, Time: stamp, Source: device,
				Command: gb26875.CommandSendData, Data: tt.data}
			if !reflect.DeepEqual(f, want) {
				t.Fatalf("frame\n got %+v\nwant %+v", f, want)
			}
			u, err := f.Unit()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(u, tt.want) {
				t.Fatalf("unit\n got %+v\nwant %+v", u, tt.want)
			}
			// Encoding what was read gives the bytes back.
			data, err := u.Encode()
			if err != nil || !bytes.Equal(data, tt.data) {
				t.Fatalf("unit encode: %x, %v; want %x", data, err, tt.data)
			}
			again, err := f.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("frame encode: %x, %v; want %x", again, err, b)
			}
		})
	}
}

// centreNow is the centre's clock when it answers: 2026-12-01 18:05:07 in Beijing.
var centreNow = time.Date(2026, 12, 1, 18, 5, 7, 0, time.FixedZone("CST", 8*3600))

func TestAnswers(t *testing.T) {
	f, err := gb26875.Decode(up(0x1234, cat([]byte{21, 1, 0x01}, wireTime)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		answer gb26875.Frame
		cmd    byte
	}{
		{"confirm", gb26875.Confirm(f, centreNow), 3},
		{"deny", gb26875.Deny(f, centreNow), 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.answer.Encode()
			if err != nil {
				t.Fatal(err)
			}
			// Same serial, addresses swapped, no application data unit, the centre's own time.
			want := wire(0x1234, tt.cmd, wireCentre, wireDevice, nil)
			copy(want[6:12], []byte{7, 5, 18, 1, 12, 26})
			want[len(want)-3] = 0
			for _, c := range want[2 : len(want)-3] {
				want[len(want)-3] += c
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %x\nwant %x", got, want)
			}
			if len(got) != 30 {
				t.Fatalf("an answer is 30 bytes, got %d", len(got))
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good := up(7, cat([]byte{21, 1, 0x01}, wireTime)...)
	badSum := bytes.Clone(good)
	badSum[len(badSum)-3]++
	long := bytes.Clone(good)
	long[24], long[25] = 0x01, 0x04 // 1025
	noEnd := bytes.Clone(good)
	noEnd[len(noEnd)-1] = '!'
	tests := []struct {
		name   string
		b      []byte
		want   error
		serial bool
	}{
		{"bad checksum", badSum, gb26875.ErrChecksum, true},
		{"length above 1024", long, gb26875.ErrLength, true},
		{"no end marker", noEnd, gb26875.ErrEnd, true},
		{"truncated", good[:len(good)-1], gb26875.ErrTruncated, true},
		{"trailing bytes", cat(good, []byte{0}), gb26875.ErrTrailing, true},
		{"no start marker", good[1:], gb26875.ErrStart, false},
		{"empty", nil, gb26875.ErrStart, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gb26875.Decode(tt.b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var fe *gb26875.FrameError
			if !errors.As(err, &fe) || fe.HasSerial != tt.serial || (tt.serial && fe.Serial != 7) {
				t.Fatalf("frame error %+v", fe)
			}
		})
	}
}

func TestUnitRejects(t *testing.T) {
	for _, data := range [][]byte{
		{2},                                // no object count
		{2, 1, 1, 1},                       // a component status object cut short
		cat([]byte{21, 2, 0x01}, wireTime), // two objects announced, one sent
		cat([]byte{1, 1, 1, 1, 3, 0}, wireTime, []byte{0}), // a byte too many
	} {
		if _, err := gb26875.DecodeUnit(data); !errors.Is(err, gb26875.ErrUnit) {
			t.Errorf("%x: got %v, want ErrUnit", data, err)
		}
	}
	mixed := gb26875.Unit{Type: 1, Objects: []gb26875.Object{gb26875.DeviceTime{}}}
	if _, err := mixed.Encode(); !errors.Is(err, gb26875.ErrEncode) {
		t.Errorf("mixed unit: %v", err)
	}
	if _, err := (gb26875.Frame{Data: make([]byte, 1025)}).Encode(); !errors.Is(err, gb26875.ErrEncode) {
		t.Errorf("long frame: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	at := gb26875.TimestampOf(time.Date(2026, 12, 5, 3, 4, 5, 0, time.UTC))
	units := []gb26875.Unit{
		{Type: 1, Objects: []gb26875.Object{gb26875.FacilityStatus{System: 1, SystemAddress: 2, Status: 0x3fff, At: at}}},
		{Type: 2, Objects: []gb26875.Object{
			gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 42, ComponentAddress: 0xfedcba98, Status: gb26875.StatusFault, Description: "地下一层配电室 Room B1-07", At: at},
			gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 23, ComponentAddress: 1, Status: gb26875.StatusShielded, At: at},
		}},
		{Type: 3, Objects: []gb26875.Object{gb26875.ComponentAnalog{System: 11, SystemAddress: 1, Component: 99, ComponentAddress: 9, Kind: 5, Value: 32767, At: at}}},
		{Type: 4, Objects: []gb26875.Object{gb26875.FacilityOperation{System: 1, SystemAddress: 1, Operations: gb26875.OperationSelfTest, Operator: 255, At: at}}},
		{Type: 8, Objects: []gb26875.Object{gb26875.FacilityTime{System: 1, SystemAddress: 1, Time: at}}},
		{Type: 21, Objects: []gb26875.Object{gb26875.DeviceStatus{Status: gb26875.DeviceNormal | gb26875.DeviceChannelFault, At: at}}},
		{Type: 24, Objects: []gb26875.Object{gb26875.DeviceOperation{Operations: gb26875.OperationTest, Operator: 1, At: at}}},
		{Type: 28, Objects: []gb26875.Object{gb26875.DeviceTime{Time: at}}},
		{Type: 89, Count: 1, Raw: []byte{0}},
	}
	for _, u := range units {
		data, err := u.Encode()
		if err != nil {
			t.Fatal(err)
		}
		f := gb26875.Frame{Serial: 65535, Version: gb26875.Version1, Time: at, Source: device, Command: gb26875.CommandSendData, Data: data}
		b, err := f.Encode()
		if err != nil {
			t.Fatal(err)
		}
		g, err := gb26875.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.Unit()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("type %d\n got %+v\nwant %+v", u.Type, got, u)
		}
	}
}

func TestLongDescriptionIsCut(t *testing.T) {
	// 16 two-byte characters are 32 bytes: the 16th does not fit in 31.
	long := "一二三四五六七八九十一二三四五六"
	u := gb26875.Unit{Type: 2, Objects: []gb26875.Object{gb26875.ComponentStatus{Description: long}}}
	data, err := u.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := gb26875.DecodeUnit(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Objects[0].(gb26875.ComponentStatus).Description; d != "一二三四五六七八九十一二三四五" {
		t.Fatalf("description %q", d)
	}
}

func TestTimestamp(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at, err := stamp.In(cst)
	if err != nil || !at.Equal(time.Date(2026, 3, 14, 9, 26, 53, 0, cst)) {
		t.Fatalf("%v, %v", at, err)
	}
	if gb26875.TimestampOf(at) != stamp {
		t.Fatalf("TimestampOf %+v", gb26875.TimestampOf(at))
	}
	for _, bad := range []gb26875.Timestamp{{}, {Month: 2, Day: 30}, {Month: 13, Day: 1}, {Hour: 24, Month: 1, Day: 1}} {
		if _, err := bad.In(cst); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
