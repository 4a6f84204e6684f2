package fireline

import (
	"slices"
	"time"
)

// A Warning is a CAP 1.2 alert (OASIS Common Alerting Protocol) received from a warning feed:
// a weather service's storm or heat warning, a river authority's flood alert. It opens no
// incident; while it is in force it raises the readiness of the service-area cells its areas
// cover, which the console shades and risk scoring reads.
//
// The field names follow the CAP 1.2 elements; times are as the sender gave them.
type Warning struct {
	ID int64 `json:"id"`
	// Identifier and Sender name the alert; CAP makes the pair unique, so it is the alert's
	// idempotency key.
	Identifier  string             `json:"identifier"`
	Sender      string             `json:"sender"`
	Sent        time.Time          `json:"sent"`
	Status      CAPStatus          `json:"status"`
	MsgType     CAPMsgType         `json:"msg_type"`
	Source      string             `json:"source,omitempty"`
	Scope       CAPScope           `json:"scope"`
	Restriction string             `json:"restriction,omitempty"`
	Addresses   string             `json:"addresses,omitempty"`
	Codes       []string           `json:"codes,omitempty"`
	Note        string             `json:"note,omitempty"`
	References  []WarningRef       `json:"references,omitempty"`
	Incidents   string             `json:"incidents,omitempty"`
	Infos       []WarningInfo      `json:"infos"`
	Cells       []WarningCell      `json:"cells"`
	Expires     time.Time          `json:"expires"`
	Readiness   Readiness          `json:"readiness"`
	ReceivedAt  time.Time          `json:"received_at"`
	Superseded  *WarningSuperseded `json:"superseded,omitempty"`
	// InServiceArea is true when any area of the alert covers a cell of the service area. An
	// alert for elsewhere is recorded all the same, as such.
	InServiceArea bool `json:"in_service_area"`
	// Unlocated is true when no area of the alert has a polygon or circle: its areas are given
	// by geocodes (or a description) alone, which Fireline cannot place without a gazetteer.
	// It raises no cell's readiness, and is listed while in force with its areas as they came,
	// for a person to read.
	Unlocated bool `json:"unlocated,omitempty"`
}

// WarningSuperseded says which later alert updated or cancelled a warning, and when.
type WarningSuperseded struct {
	ByID int64     `json:"by_id"`
	At   time.Time `json:"at"`
	// MsgType is the later alert's: Update or Cancel.
	MsgType CAPMsgType `json:"msg_type"`
}

// WarningRef is one entry of a CAP alert's references: an earlier alert it updates, cancels or
// answers.
type WarningRef struct {
	Sender     string `json:"sender"`
	Identifier string `json:"identifier"`
	Sent       string `json:"sent"`
}

// WarningInfo is one CAP info block: the event, how bad, how soon, how sure, and where.
type WarningInfo struct {
	Language      string            `json:"language,omitempty"`
	Categories    []string          `json:"categories"`
	Event         string            `json:"event"`
	ResponseTypes []string          `json:"response_types,omitempty"`
	Urgency       CAPUrgency        `json:"urgency"`
	Severity      CAPSeverity       `json:"severity"`
	Certainty     CAPCertainty      `json:"certainty"`
	Audience      string            `json:"audience,omitempty"`
	EventCodes    []NamedValue      `json:"event_codes,omitempty"`
	Effective     *time.Time        `json:"effective,omitempty"`
	Onset         *time.Time        `json:"onset,omitempty"`
	Expires       *time.Time        `json:"expires,omitempty"`
	SenderName    string            `json:"sender_name,omitempty"`
	Headline      string            `json:"headline,omitempty"`
	Description   string            `json:"description,omitempty"`
	Instruction   string            `json:"instruction,omitempty"`
	Web           string            `json:"web,omitempty"`
	Contact       string            `json:"contact,omitempty"`
	Parameters    []NamedValue      `json:"parameters,omitempty"`
	Resources     []WarningResource `json:"resources,omitempty"`
	Areas         []WarningArea     `json:"areas"`
}

// NamedValue is a CAP valueName/value pair (eventCode, parameter, geocode), read from the
// alert's XML as it is.
type NamedValue struct {
	Name  string `json:"name" xml:"valueName"`
	Value string `json:"value" xml:"value"`
}

// WarningResource is a CAP resource: a file that goes with the info (a map, an audio message),
// named and never fetched by Fireline.
type WarningResource struct {
	Description string `json:"description"`
	MimeType    string `json:"mime_type"`
	Size        int64  `json:"size,omitempty"`
	URI         string `json:"uri,omitempty"`
	Digest      string `json:"digest,omitempty"`
}

// WarningArea is one CAP area: a description and the shapes that draw it.
type WarningArea struct {
	Description string `json:"description"`
	// Polygons are closed rings of WGS-84 points (the first point repeated last).
	Polygons [][]Point `json:"polygons,omitempty"`
	// PolygonPoints is set when a polygon was simplified: the number of points each polygon
	// had in the alert as sent. A polygon with more points than its ring here is held, and
	// covered, simplified to within a tenth of a cell's edge; the raw XML stored with the
	// warning keeps it as sent.
	PolygonPoints []int        `json:"polygon_points,omitempty"`
	Circles       []Circle     `json:"circles,omitempty"`
	Geocodes      []NamedValue `json:"geocodes,omitempty"`
	// Problems name the shapes of the area that could not be read (an empty polygon, a point
	// that is not "lat,lon", a ring left open) and were set aside: the rest of the alert is
	// kept, and the raw XML stored with the warning holds them as sent.
	Problems []string `json:"problems,omitempty"`
	// Altitude and Ceiling are in feet above mean sea level, as CAP gives them.
	Altitude *float64 `json:"altitude,omitempty"`
	Ceiling  *float64 `json:"ceiling,omitempty"`
}

// Circle is a CAP circle: a centre and a radius in kilometres.
type Circle struct {
	Center   Point   `json:"center"`
	RadiusKm float64 `json:"radius_km"`
}

// WarningCell is a resolution-7 cell of the service area that a warning covers.
type WarningCell struct {
	// Cell is the H3 cell as hex.
	Cell      string    `json:"cell"`
	Readiness Readiness `json:"readiness"`
	// Expires is when the latest info covering the cell runs out.
	Expires time.Time `json:"expires"`
}

// CAP code lists (CAP 1.2 section 3.2). Each type's Valid says whether a value is on its list.
type (
	CAPStatus    string
	CAPMsgType   string
	CAPScope     string
	CAPUrgency   string
	CAPSeverity  string
	CAPCertainty string
)

// The CAP code values Fireline acts on; the others are listed in the Valid methods.
const (
	CAPActual CAPStatus = "Actual"

	CAPAlert  CAPMsgType = "Alert"
	CAPUpdate CAPMsgType = "Update"
	CAPCancel CAPMsgType = "Cancel"

	CAPPublic     CAPScope = "Public"
	CAPRestricted CAPScope = "Restricted"
	CAPPrivate    CAPScope = "Private"

	CAPExtreme CAPSeverity = "Extreme"
	CAPSevere  CAPSeverity = "Severe"

	CAPPast     CAPUrgency   = "Past"
	CAPUnlikely CAPCertainty = "Unlikely"
)

// Valid reports whether s is a CAP 1.2 status.
func (s CAPStatus) Valid() bool {
	return slices.Contains([]CAPStatus{"Actual", "Exercise", "System", "Test", "Draft"}, s)
}

// Valid reports whether m is a CAP 1.2 message type.
func (m CAPMsgType) Valid() bool {
	return slices.Contains([]CAPMsgType{"Alert", "Update", "Cancel", "Ack", "Error"}, m)
}

// Valid reports whether s is a CAP 1.2 scope.
func (s CAPScope) Valid() bool { return s == CAPPublic || s == CAPRestricted || s == CAPPrivate }

// Valid reports whether u is a CAP 1.2 urgency.
func (u CAPUrgency) Valid() bool {
	return slices.Contains([]CAPUrgency{"Immediate", "Expected", "Future", "Past", "Unknown"}, u)
}

// Valid reports whether s is a CAP 1.2 severity.
func (s CAPSeverity) Valid() bool {
	return slices.Contains([]CAPSeverity{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}, s)
}

// Valid reports whether c is a CAP 1.2 certainty. "Very Likely" is CAP 1.0's, kept by CAP 1.2
// for backward compatibility only: it is read as Likely.
func (c CAPCertainty) Valid() bool {
	return slices.Contains([]CAPCertainty{"Observed", "Likely", "Possible", "Unlikely", "Unknown", "Very Likely"}, c)
}

// CAPCategories lists the CAP 1.2 info categories.
var CAPCategories = []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}

// CAPResponseTypes lists the CAP 1.2 response types.
var CAPResponseTypes = []string{"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"}

// Readiness is how far a warning raises the readiness of the cells it covers: 0 not at all,
// 1 raised (a moderate, minor or unknown-severity warning), 2 high (severe), 3 highest
// (extreme).
type Readiness int

// The readiness levels.
const (
	ReadinessNone    Readiness = 0
	ReadinessRaised  Readiness = 1
	ReadinessHigh    Readiness = 2
	ReadinessHighest Readiness = 3
)

// Readiness is how far an info of an alert with the given status and message type raises the
// readiness of its cells. Only a real alert counts (status Actual; a test, exercise or draft
// never does), as an Alert or an Update; a Cancel, Ack or Error raises nothing, nor does an
// info whose event is past or unlikely. Otherwise the severity decides.
func (i WarningInfo) Readiness(status CAPStatus, msgType CAPMsgType) Readiness {
	switch {
	case status != CAPActual, msgType != CAPAlert && msgType != CAPUpdate,
		i.Urgency == CAPPast, i.Certainty == CAPUnlikely:
		return ReadinessNone
	case i.Severity == CAPExtreme:
		return ReadinessHighest
	case i.Severity == CAPSevere:
		return ReadinessHigh
	}
	return ReadinessRaised
}

// DefaultWarningLife is how long an info without an expiry time is taken to be in force from
// the alert's sending: CAP leaves it to the recipient, and a warning that never lapses would
// shade the map for good.
const DefaultWarningLife = 24 * time.Hour

// InfoExpires is when an info of an alert sent at sent runs out: its own expiry time, or
// DefaultWarningLife after sent.
func (i WarningInfo) InfoExpires(sent time.Time) time.Time {
	if i.Expires != nil {
		return *i.Expires
	}
	return sent.Add(DefaultWarningLife)
}

// Active reports whether the warning raises readiness at t: it is not superseded, not expired,
// and some cell of the service area is raised by it.
func (w Warning) Active(t time.Time) bool {
	return w.Superseded == nil && t.Before(w.Expires) && w.Readiness > ReadinessNone && w.InServiceArea
}

// InForce reports whether the warning is listed as in force at t (WarningFilter.ActiveAt): it
// is Active, or it would be but cannot be placed (Unlocated), so a person reads where it is.
func (w Warning) InForce(t time.Time) bool {
	return w.Superseded == nil && t.Before(w.Expires) && w.Readiness > ReadinessNone && (w.InServiceArea || w.Unlocated)
}
