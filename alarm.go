package fireline

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AlarmSource is where an alarm came from.
type AlarmSource string

// The alarm sources of unified receipt.
const (
	SourceCall     AlarmSource = "call"     // 119 call taken by an operator
	SourceIoT      AlarmSource = "iot"      // building fire-alarm panel
	SourceLampPost AlarmSource = "lamppost" // smart lamp-post emergency button
	SourcePublic   AlarmSource = "public"   // public report by app or SMS
	SourceCAP      AlarmSource = "cap"      // CAP 1.2 warning
)

// Valid reports whether s is a known alarm source.
func (s AlarmSource) Valid() bool {
	switch s {
	case SourceCall, SourceIoT, SourceLampPost, SourcePublic, SourceCAP:
		return true
	}
	return false
}

// AlarmKind is what a fire-alarm panel reports. Other sources report alarms only (empty kind).
type AlarmKind string

// The panel event kinds of building fire-protection networks.
const (
	// KindFireAlarm is a detector or call point in alarm: it opens or joins an incident.
	KindFireAlarm AlarmKind = "fire_alarm"
	// KindFault is a broken detector, loop or power supply: recorded, opens no incident.
	KindFault AlarmKind = "fault"
	// KindSupervisory is an abnormal state of the protection system itself (a closed sprinkler
	// valve, low pressure): recorded, opens no incident.
	KindSupervisory AlarmKind = "supervisory"
	// KindReset is the panel reset after an alarm: recorded; before any unit is dispatched it
	// cancels the incident the device's alarm opened.
	KindReset AlarmKind = "reset"
)

// Valid reports whether k is a panel event kind (the empty kind is not).
func (k AlarmKind) Valid() bool {
	switch k {
	case KindFireAlarm, KindFault, KindSupervisory, KindReset:
		return true
	}
	return false
}

// OpensIncident reports whether an alarm of kind k opens or joins an incident: every alarm of
// the other sources (empty kind) and a panel's fire alarm do; faults, supervisory events and
// resets are only recorded.
func (k AlarmKind) OpensIncident() bool { return k == "" || k == KindFireAlarm }

// Field limits for alarms, in bytes of UTF-8.
const (
	MaxSourceIDLen    = 128
	MaxAddressLen     = 512
	MaxDescriptionLen = 4096
	MaxCallerLen      = 256
)

// Alarm is one report of an emergency from one source. Many alarms may merge into one incident.
type Alarm struct {
	ID     int64       `json:"id"`
	Source AlarmSource `json:"source"`
	// SourceID is the source's own id for the alarm; (Source, SourceID) is unique.
	SourceID    string       `json:"source_id"`
	Type        IncidentType `json:"type"`
	Point       Point        `json:"location"`
	Address     string       `json:"address"`
	Description string       `json:"description"`
	Caller      string       `json:"caller,omitempty"`
	// ReportedAt is when the source says the alarm was raised.
	ReportedAt time.Time `json:"reported_at"`
	// ReceivedAt is when Fireline stored the alarm: the start of call processing.
	ReceivedAt time.Time `json:"received_at"`
	// Cell is the resolution-9 H3 cell of Point, as a hex string.
	Cell       string `json:"cell"`
	IncidentID int64  `json:"incident_id"`

	// Kind is a fire-alarm panel's event kind; empty for every other source.
	Kind AlarmKind `json:"kind,omitempty"`
	// PremiseID is the key premises the alarm comes from (an IoT panel's building), empty when
	// none: the incident then carries the premise's hazards and pre-plan.
	PremiseID string `json:"premise_id,omitempty"`
	// DeviceID is the panel or pole that raised the alarm, for IoT and lamp-post sources.
	DeviceID string `json:"device_id,omitempty"`
	// Unverified marks a public report nobody has confirmed yet: the console shows it as such
	// until an operator confirms it.
	Unverified bool `json:"unverified,omitempty"`
	// ConfirmedBy and ConfirmedAt say which operator confirmed a public report, and when.
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	// Details are the source's facts that have no column of their own (floor, zone, people
	// trapped, hazards, the caller's number, a photo reference).
	Details AlarmDetails `json:"details,omitzero"`
}

// Limits of an alarm's details, in bytes of UTF-8 where they are text.
const (
	MaxDetailLen     = 256
	MaxAlarmHazards  = 32
	MaxPeopleTrapped = 10000
)

// AlarmDetails are the facts a source reports beside the alarm's common fields. Every field is
// optional; the zero value says nothing.
type AlarmDetails struct {
	// CallerNumber is the phone number of a caller or of the public reporter (SMS).
	CallerNumber Phone `json:"caller_number,omitempty"`
	// PeopleTrapped is how many people the caller says are trapped; nil when not asked or not
	// known, which is not the same as none.
	PeopleTrapped *int `json:"people_trapped,omitempty"`
	// Hazards are what the caller reports (gas cylinders, chemicals) or, for a panel's alarm,
	// the key premises' registered hazards, so the operator sees them with the alarm.
	Hazards []string `json:"hazards,omitempty"`
	// Building, Floor and Zone place a panel's detector inside its premises.
	Building string `json:"building,omitempty"`
	Floor    string `json:"floor,omitempty"`
	Zone     string `json:"zone,omitempty"`
	// PremiseName is the key premises' name, for display beside PremiseID.
	PremiseName string `json:"premise_name,omitempty"`
	// PhotoRef is a public report's photo reference as the app or gateway gives it (an opaque
	// id or URL Fireline does not fetch).
	PhotoRef string `json:"photo_ref,omitempty"`
	// Channel is how a public report arrived: app or sms.
	Channel string `json:"channel,omitempty"`
}

// Validate checks the details' lengths and text, naming the first bad field.
func (d AlarmDetails) Validate() error {
	for _, f := range [...]struct{ name, s string }{
		{"caller_number", string(d.CallerNumber)}, {"building", d.Building}, {"floor", d.Floor}, {"zone", d.Zone},
		{"premise_name", d.PremiseName}, {"photo_ref", d.PhotoRef}, {"channel", d.Channel},
	} {
		if err := validateText(f.name, f.s, MaxDetailLen, false); err != nil {
			return err
		}
	}
	if d.PeopleTrapped != nil && (*d.PeopleTrapped < 0 || *d.PeopleTrapped > MaxPeopleTrapped) {
		return Errorf(EINVALID, "people_trapped: %d is outside 0..%d", *d.PeopleTrapped, MaxPeopleTrapped)
	}
	if len(d.Hazards) > MaxAlarmHazards {
		return Errorf(EINVALID, "hazards: %d listed, at most %d", len(d.Hazards), MaxAlarmHazards)
	}
	for i, h := range d.Hazards {
		if err := validateText(fmt.Sprintf("hazards[%d]", i), h, MaxHazardLen, true); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks everything about an alarm that needs no lookup, naming the first bad field.
// now bounds ReportedAt: an alarm from more than five minutes in the future is a clock fault.
func (a *Alarm) Validate(now time.Time) error {
	switch {
	case !a.Source.Valid():
		return Errorf(EINVALID, "source: %q is not one of call, iot, lamppost, public, cap", a.Source)
	case strings.TrimSpace(a.SourceID) == "":
		return Errorf(EINVALID, "source_id: required")
	case len(a.SourceID) > MaxSourceIDLen:
		return Errorf(EINVALID, "source_id: longer than %d bytes", MaxSourceIDLen)
	case !a.Type.Valid():
		return Errorf(EINVALID, "type: %q is not an incident type code", a.Type)
	case len(a.Address) > MaxAddressLen:
		return Errorf(EINVALID, "address: longer than %d bytes", MaxAddressLen)
	case len(a.Description) > MaxDescriptionLen:
		return Errorf(EINVALID, "description: longer than %d bytes", MaxDescriptionLen)
	case len(a.Caller) > MaxCallerLen:
		return Errorf(EINVALID, "caller: longer than %d bytes", MaxCallerLen)
	case a.ReportedAt.IsZero():
		return Errorf(EINVALID, "reported_at: required (RFC 3339 time)")
	case a.ReportedAt.After(now.Add(5 * time.Minute)):
		return Errorf(EINVALID, "reported_at: %s is in the future", a.ReportedAt.Format(time.RFC3339))
	}
	for _, f := range [...]struct{ name, s string }{
		{"source_id", a.SourceID}, {"address", a.Address}, {"description", a.Description}, {"caller", a.Caller},
	} {
		if !utf8.ValidString(f.s) || strings.ContainsRune(f.s, 0) {
			return Errorf(EINVALID, "%s: not valid UTF-8 text", f.name)
		}
	}
	if err := a.Point.Validate(); err != nil {
		return err
	}
	switch {
	case a.Kind != "" && !a.Kind.Valid():
		return Errorf(EINVALID, "kind: %q is not one of fire_alarm, fault, supervisory, reset", a.Kind)
	case a.Kind != "" && a.Source != SourceIoT:
		return Errorf(EINVALID, "kind: only a fire-alarm panel (source iot) reports a kind, not %s", a.Source)
	case a.Unverified && a.Source != SourcePublic:
		return Errorf(EINVALID, "unverified: only a public report is unverified, not a %s alarm", a.Source)
	}
	if a.PremiseID != "" {
		if err := ValidateID("premise_id", a.PremiseID); err != nil {
			return err
		}
	}
	if a.DeviceID != "" {
		if err := ValidateID("device_id", a.DeviceID); err != nil {
			return err
		}
	}
	return a.Details.Validate()
}
