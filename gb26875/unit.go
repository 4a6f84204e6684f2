package gb26875

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// TypeFlag is the application data unit's type flag (类型标志, the standard's table 3).
type TypeFlag uint8

// The type flags of table 3. 1–8 and 21–28 travel up from the device; 61–91 are the centre's
// reads and commands; 128–254 are user-defined.
const (
	TypeFacilityStatus    TypeFlag = 1  // 上传建筑消防设施系统状态
	TypeComponentStatus   TypeFlag = 2  // 上传建筑消防设施部件运行状态
	TypeComponentAnalog   TypeFlag = 3  // 上传建筑消防设施部件模拟量值
	TypeFacilityOperation TypeFlag = 4  // 上传建筑消防设施操作信息
	TypeFacilityVersion   TypeFlag = 5  // 上传建筑消防设施软件版本
	TypeFacilityConfig    TypeFlag = 6  // 上传建筑消防设施系统配置情况
	TypeComponentConfig   TypeFlag = 7  // 上传建筑消防设施部件配置情况
	TypeFacilityTime      TypeFlag = 8  // 上传建筑消防设施系统时间
	TypeDeviceStatus      TypeFlag = 21 // 上传用户信息传输装置运行状态
	TypeDeviceOperation   TypeFlag = 24 // 上传用户信息传输装置操作信息
	TypeDeviceVersion     TypeFlag = 25 // 上传用户信息传输装置软件版本
	TypeDeviceConfig      TypeFlag = 26 // 上传用户信息传输装置配置情况
	TypeDeviceTime        TypeFlag = 28 // 上传用户信息传输装置系统时间

	TypeReadFacilityStatus    TypeFlag = 61 // 读建筑消防设施系统状态
	TypeReadComponentStatus   TypeFlag = 62 // 读建筑消防设施部件运行状态
	TypeReadComponentAnalog   TypeFlag = 63 // 读建筑消防设施部件模拟量值
	TypeReadFacilityOperation TypeFlag = 64 // 读建筑消防设施操作信息
	TypeReadFacilityVersion   TypeFlag = 65 // 读建筑消防设施软件版本
	TypeReadFacilityConfig    TypeFlag = 66 // 读建筑消防设施系统配置情况
	TypeReadComponentConfig   TypeFlag = 67 // 读建筑消防设施部件配置情况
	TypeReadFacilityTime      TypeFlag = 68 // 读建筑消防设施系统时间
	TypeReadDeviceStatus      TypeFlag = 81 // 读用户信息传输装置运行状态
	TypeReadDeviceOperation   TypeFlag = 84 // 读用户信息传输装置操作信息记录
	TypeReadDeviceVersion     TypeFlag = 85 // 读用户信息传输装置软件版本
	TypeReadDeviceConfig      TypeFlag = 86 // 读用户信息传输装置配置情况
	TypeReadDeviceTime        TypeFlag = 88 // 读用户信息传输装置系统时间
	TypeInitDevice            TypeFlag = 89 // 初始化用户信息传输装置
	TypeSyncDeviceClock       TypeFlag = 90 // 同步用户信息传输装置时钟
	TypeInspect               TypeFlag = 91 // 查岗命令
)

// StatusFlags are the two status bytes of a facility system (8.2.1.1) or a component
// (8.2.1.2), sent low byte first. Bit 0 set means normal operation, clear means test. Bits 0–7
// mean the same for both; from bit 8 a system reports its power and bus faults, manual mode,
// configuration change and reset, a component only its power fault (bit 8).
type StatusFlags uint16

// The status bits.
const (
	StatusNormal             StatusFlags = 1 << 0  // 正常运行状态 (clear: 测试状态)
	StatusFireAlarm          StatusFlags = 1 << 1  // 火警
	StatusFault              StatusFlags = 1 << 2  // 故障
	StatusShielded           StatusFlags = 1 << 3  // 屏蔽
	StatusSupervisory        StatusFlags = 1 << 4  // 监管
	StatusStarted            StatusFlags = 1 << 5  // 启动（开启）(clear: 停止（关闭）)
	StatusFeedback           StatusFlags = 1 << 6  // 反馈
	StatusDelay              StatusFlags = 1 << 7  // 延时状态
	StatusMainPowerFault     StatusFlags = 1 << 8  // 主电故障 (a system)
	StatusComponentPowerFail StatusFlags = 1 << 8  // 电源故障 (a component)
	StatusBackupPowerFault   StatusFlags = 1 << 9  // 备电故障 (a system)
	StatusBusFault           StatusFlags = 1 << 10 // 总线故障 (a system)
	StatusManual             StatusFlags = 1 << 11 // 手动状态 (clear: 自动状态; a system)
	StatusConfigChanged      StatusFlags = 1 << 12 // 配置改变 (a system)
	StatusReset              StatusFlags = 1 << 13 // 复位 (a system)
)

// Has reports whether every bit of f is set.
func (s StatusFlags) Has(f StatusFlags) bool { return s&f == f }

// OperationFlags are the operation byte of a facility (8.2.1.4) or of the transmission device
// (8.2.1.9); a set bit is an operation done.
type OperationFlags uint8

// The operation bits.
const (
	OperationReset        OperationFlags = 1 << 0 // 复位
	OperationSilence      OperationFlags = 1 << 1 // 消音
	OperationManualAlarm  OperationFlags = 1 << 2 // 手动报警
	OperationAlarmCleared OperationFlags = 1 << 3 // 警情消除
	OperationSelfTest     OperationFlags = 1 << 4 // 自检
	OperationConfirm      OperationFlags = 1 << 5 // 确认 (a facility); 查岗应答, the answer to an inspection (the device)
	OperationTest         OperationFlags = 1 << 6 // 测试
)

// Has reports whether every bit of f is set.
func (o OperationFlags) Has(f OperationFlags) bool { return o&f == f }

// DeviceFlags are the running-state byte of the transmission device itself (8.2.1.8).
type DeviceFlags uint8

// The device state bits.
const (
	DeviceNormal           DeviceFlags = 1 << 0 // 正常监视状态 (clear: 测试状态)
	DeviceFireAlarm        DeviceFlags = 1 << 1 // 火警
	DeviceFault            DeviceFlags = 1 << 2 // 故障
	DeviceMainPowerFault   DeviceFlags = 1 << 3 // 主电故障
	DeviceBackupPowerFault DeviceFlags = 1 << 4 // 备电故障
	DeviceChannelFault     DeviceFlags = 1 << 5 // 与监控中心通信信道故障
	DeviceLineFault        DeviceFlags = 1 << 6 // 监测连接线路故障
)

// Has reports whether every bit of f is set.
func (d DeviceFlags) Has(f DeviceFlags) bool { return d&f == f }

// Object is one information object of a unit; every object of a unit has the unit's type.
type Object interface {
	Type() TypeFlag
	appendTo(b []byte) []byte
}

// FacilityStatus is a building fire facility system's state (type 1, 8.2.1.1).
type FacilityStatus struct {
	System        uint8 // system type (系统类型, table 4): 1 fire alarm system, 10 linkage controller, …
	SystemAddress uint8
	Status        StatusFlags
	At            Timestamp // when the state arose, device's local time
}

// ComponentStatus is a component's running state (type 2, 8.2.1.2): a detector, a call
// point, a module.
type ComponentStatus struct {
	System           uint8
	SystemAddress    uint8
	Component        uint8  // component type (部件类型, table 5): 40 smoke detector, 23 manual call point, …
	ComponentAddress uint32 // the panel's address of the component (often loop and point)
	Status           StatusFlags
	Description      string    // 部件说明, at most 31 bytes once in GB 18030
	At               Timestamp // when the state arose, device's local time
}

// ComponentAnalog is a component's analog value (type 3, 8.2.1.3).
type ComponentAnalog struct {
	System           uint8
	SystemAddress    uint8
	Component        uint8
	ComponentAddress uint32
	Kind             uint8 // analog type (模拟量类型, table 6): what Value measures and its scale
	Value            int16 // the raw value; its unit and scale depend on Kind
	At               Timestamp
}

// FacilityOperation is an operation on a facility's panel (type 4, 8.2.1.4).
type FacilityOperation struct {
	System        uint8
	SystemAddress uint8
	Operations    OperationFlags
	Operator      uint8 // operator number (操作员编号)
	At            Timestamp
}

// FacilityTime is a facility's clock (type 8).
type FacilityTime struct {
	System        uint8
	SystemAddress uint8
	Time          Timestamp
}

// DeviceStatus is the transmission device's own running state (type 21, 8.2.1.8); devices send
// it as their heartbeat.
type DeviceStatus struct {
	Status DeviceFlags
	At     Timestamp
}

// DeviceOperation is an operation on the transmission device (type 24, 8.2.1.9).
type DeviceOperation struct {
	Operations OperationFlags
	Operator   uint8
	At         Timestamp
}

// DeviceTime is the transmission device's clock (type 28).
type DeviceTime struct {
	Time Timestamp
}

// Type returns TypeFacilityStatus.
func (FacilityStatus) Type() TypeFlag { return TypeFacilityStatus }

// Type returns TypeComponentStatus.
func (ComponentStatus) Type() TypeFlag { return TypeComponentStatus }

// Type returns TypeComponentAnalog.
func (ComponentAnalog) Type() TypeFlag { return TypeComponentAnalog }

// Type returns TypeFacilityOperation.
func (FacilityOperation) Type() TypeFlag { return TypeFacilityOperation }

// Type returns TypeFacilityTime.
func (FacilityTime) Type() TypeFlag { return TypeFacilityTime }

// Type returns TypeDeviceStatus.
func (DeviceStatus) Type() TypeFlag { return TypeDeviceStatus }

// Type returns TypeDeviceOperation.
func (DeviceOperation) Type() TypeFlag { return TypeDeviceOperation }

// Type returns TypeDeviceTime.
func (DeviceTime) Type() TypeFlag { return TypeDeviceTime }

// descriptionSize is the component description's fixed width in bytes.
const descriptionSize = 31

// objectSize is each decoded type's object size on the wire, its time label included.
var objectSize = map[TypeFlag]int{
	TypeFacilityStatus:    4 + 6,
	TypeComponentStatus:   40 + 6,
	TypeComponentAnalog:   10 + 6,
	TypeFacilityOperation: 4 + 6,
	TypeFacilityTime:      2 + 6,
	TypeDeviceStatus:      1 + 6,
	TypeDeviceOperation:   2 + 6,
	TypeDeviceTime:        6,
}

// Unit is an application data unit: a type flag, then objects. Objects holds them decoded for
// the types this package reads; for every other type (software versions, configurations, the
// centre's reads and commands, user-defined types) Raw holds the bytes after the object count,
// undecoded, and Count the count as sent.
type Unit struct {
	Type    TypeFlag
	Objects []Object
	Count   uint8  // the object count as sent, for a Raw unit
	Raw     []byte // the objects of a type not decoded here
}

// Decoded reports whether this package reads the type's objects.
func (t TypeFlag) Decoded() bool {
	_, ok := objectSize[t]
	return ok
}

// DecodeUnit reads an application data unit.
func DecodeUnit(b []byte) (Unit, error) {
	if len(b) < 2 {
		return Unit{}, fmt.Errorf("gb26875: %w: %d bytes", ErrUnit, len(b))
	}
	u := Unit{Type: TypeFlag(b[0])}
	count, body := int(b[1]), b[2:]
	size, ok := objectSize[u.Type]
	if !ok {
		u.Count = b[1]
		if len(body) > 0 {
			u.Raw = append([]byte(nil), body...)
		}
		return u, nil
	}
	if len(body) != count*size {
		return Unit{}, fmt.Errorf("gb26875: %w: type %d, %d objects of %d bytes in %d bytes", ErrUnit, u.Type, count, size, len(body))
	}
	u.Objects = make([]Object, 0, count)
	for i := range count {
		u.Objects = append(u.Objects, decodeObject(u.Type, body[i*size:(i+1)*size]))
	}
	return u, nil
}

// decodeObject reads one object of a decoded type; o is exactly the type's size.
func decodeObject(t TypeFlag, o []byte) Object {
	le := binary.LittleEndian
	switch t {
	case TypeFacilityStatus:
		return FacilityStatus{System: o[0], SystemAddress: o[1], Status: StatusFlags(le.Uint16(o[2:])), At: timestampAt(o[4:])}
	case TypeComponentStatus:
		return ComponentStatus{
			System: o[0], SystemAddress: o[1], Component: o[2], ComponentAddress: le.Uint32(o[3:]),
			Status: StatusFlags(le.Uint16(o[7:])), Description: decodeDescription(o[9 : 9+descriptionSize]),
			At: timestampAt(o[40:]),
		}
	case TypeComponentAnalog:
		return ComponentAnalog{
			System: o[0], SystemAddress: o[1], Component: o[2], ComponentAddress: le.Uint32(o[3:]),
			Kind: o[7], Value: int16(le.Uint16(o[8:])), At: timestampAt(o[10:]),
		}
	case TypeFacilityOperation:
		return FacilityOperation{System: o[0], SystemAddress: o[1], Operations: OperationFlags(o[2]), Operator: o[3], At: timestampAt(o[4:])}
	case TypeFacilityTime:
		return FacilityTime{System: o[0], SystemAddress: o[1], Time: timestampAt(o[2:])}
	case TypeDeviceStatus:
		return DeviceStatus{Status: DeviceFlags(o[0]), At: timestampAt(o[1:])}
	case TypeDeviceOperation:
		return DeviceOperation{Operations: OperationFlags(o[0]), Operator: o[1], At: timestampAt(o[2:])}
	default: // TypeDeviceTime
		return DeviceTime{Time: timestampAt(o)}
	}
}

// decodeDescription reads a GB 18030 description padded with NULs or spaces. Bytes that are
// not GB 18030 become U+FFFD: a garbled description must not cost the alarm.
func decodeDescription(b []byte) string {
	b = bytes.TrimRight(b, "\x00 ")
	s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(s)
}

// encodeDescription writes s in GB 18030, cut at the last whole character that fits in 31
// bytes and padded with NULs.
func encodeDescription(b []byte, s string) []byte {
	out := make([]byte, 0, descriptionSize)
	enc := simplifiedchinese.GB18030.NewEncoder()
	for _, r := range s {
		c, err := enc.Bytes([]byte(string(r)))
		if err != nil || len(out)+len(c) > descriptionSize {
			break
		}
		out = append(out, c...)
	}
	b = append(b, out...)
	return append(b, make([]byte, descriptionSize-len(out))...)
}

// Encode writes the unit.
func (u Unit) Encode() ([]byte, error) {
	return u.AppendEncode(nil)
}

// AppendEncode appends the encoded unit to b. A unit with Objects writes them and their count;
// one without writes Count and Raw as they are.
func (u Unit) AppendEncode(b []byte) ([]byte, error) {
	if u.Objects == nil {
		if u.Type.Decoded() && len(u.Raw) > 0 {
			return b, fmt.Errorf("gb26875: %w: type %d carries objects, not raw bytes", ErrEncode, u.Type)
		}
		b = append(b, byte(u.Type), u.Count)
		return append(b, u.Raw...), nil
	}
	if len(u.Objects) > 255 {
		return b, fmt.Errorf("gb26875: %w: %d objects, at most 255", ErrEncode, len(u.Objects))
	}
	b = append(b, byte(u.Type), byte(len(u.Objects)))
	for _, o := range u.Objects {
		if o.Type() != u.Type {
			return b, fmt.Errorf("gb26875: %w: a type %d object in a type %d unit", ErrEncode, o.Type(), u.Type)
		}
		b = o.appendTo(b)
	}
	return b, nil
}

func (o FacilityStatus) appendTo(b []byte) []byte {
	b = append(b, o.System, o.SystemAddress)
	b = binary.LittleEndian.AppendUint16(b, uint16(o.Status))
	return o.At.appendTo(b)
}

func (o ComponentStatus) appendTo(b []byte) []byte {
	b = append(b, o.System, o.SystemAddress, o.Component)
	b = binary.LittleEndian.AppendUint32(b, o.ComponentAddress)
	b = binary.LittleEndian.AppendUint16(b, uint16(o.Status))
	b = encodeDescription(b, o.Description)
	return o.At.appendTo(b)
}

func (o ComponentAnalog) appendTo(b []byte) []byte {
	b = append(b, o.System, o.SystemAddress, o.Component)
	b = binary.LittleEndian.AppendUint32(b, o.ComponentAddress)
	b = append(b, o.Kind)
	b = binary.LittleEndian.AppendUint16(b, uint16(o.Value))
	return o.At.appendTo(b)
}

func (o FacilityOperation) appendTo(b []byte) []byte {
	b = append(b, o.System, o.SystemAddress, byte(o.Operations), o.Operator)
	return o.At.appendTo(b)
}

func (o FacilityTime) appendTo(b []byte) []byte {
	b = append(b, o.System, o.SystemAddress)
	return o.Time.appendTo(b)
}

func (o DeviceStatus) appendTo(b []byte) []byte {
	b = append(b, byte(o.Status))
	return o.At.appendTo(b)
}

func (o DeviceOperation) appendTo(b []byte) []byte {
	b = append(b, byte(o.Operations), o.Operator)
	return o.At.appendTo(b)
}

func (o DeviceTime) appendTo(b []byte) []byte {
	return o.Time.appendTo(b)
}
