package fireline

import (
	"context"
	"math"
	"slices"
	"time"
)

// A PublicAlert is one CAP 1.2 message the command centre published to the public about an
// incident: the first Alert (evacuate around a hazmat leak, keep away from a fire's smoke), an
// Update that replaces what it said, or the Cancel that ends it. Messages are never changed:
// each is kept as it was sent (XML), and an Update or Cancel is a new message that names the
// one it follows. The messages that follow one Alert are its thread.
type PublicAlert struct {
	ID int64 `json:"id"`
	// Identifier is the message's CAP identifier, unique and never reused.
	Identifier string     `json:"identifier"`
	IncidentID int64      `json:"incident_id"`
	MsgType    CAPMsgType `json:"msg_type"`
	// Status is Actual, or Exercise for a drill.
	Status CAPStatus `json:"status"`
	// Sender is the centre's CAP address the message was sent as.
	Sender string `json:"sender"`
	// Thread is the identifier of the Alert the message belongs to (an Alert's own).
	Thread string `json:"thread"`
	// Follows is the identifier of the message an Update or Cancel follows: the thread's
	// latest message when it was sent. Empty for an Alert.
	Follows string `json:"follows,omitempty"`
	// References is the CAP references element as sent: "sender,identifier,sent" of every
	// earlier message of the thread.
	References string `json:"references,omitempty"`
	// Sent is when it was sent, to the second; Expires when its info runs out (a Cancel's is
	// its sending).
	Sent    time.Time `json:"sent"`
	Expires time.Time `json:"expires"`
	// Author is the username of the operator or supervisor who published it.
	Author string            `json:"author"`
	Params PublicAlertParams `json:"params"`
	// XML is the CAP document as sent, byte for byte; lists leave it out.
	XML string `json:"-"`
}

// EventPublicAlert is the timeline event of a public alert message published about the
// incident (Data: identifier, msg_type, follows).
const EventPublicAlert = "public_alert"

// PublicAlertParams are what an operator says in a public alert: the event, how bad, how soon
// and how sure, what to do, over how wide an area around the incident and for how long, in
// Chinese and, when given, English.
type PublicAlertParams struct {
	Event       string       `json:"event"`
	Headline    string       `json:"headline"`
	Description string       `json:"description"`
	Instruction string       `json:"instruction"`
	Urgency     CAPUrgency   `json:"urgency"`
	Severity    CAPSeverity  `json:"severity"`
	Certainty   CAPCertainty `json:"certainty"`
	// Category is a CAP category: Fire, Safety, Env, CBRNE, Rescue…
	Category string `json:"category"`
	// RadiusM is the radius around the incident, in metres, that the area must cover.
	RadiusM float64 `json:"radius_m"`
	// ExpiresIn is how long the message is in force after it is sent, in seconds.
	ExpiresIn int `json:"expires_in"`
	// Status is Actual (the default) or Exercise.
	Status CAPStatus `json:"status,omitempty"`
	// Note is the reason for an Update or Cancel, sent as the CAP note.
	Note string `json:"note,omitempty"`
	// English is the same alert in English, sent as a second info (en-US); nil sends
	// Chinese only.
	English *PublicAlertText `json:"en,omitempty"`
}

// PublicAlertText is an alert's texts in a second language.
type PublicAlertText struct {
	Event       string `json:"event"`
	Headline    string `json:"headline"`
	Description string `json:"description"`
	Instruction string `json:"instruction"`
}

// Bounds of a public alert.
const (
	MinAlertRadius    = 100
	MaxAlertRadius    = 20_000
	MinAlertLife      = 10 * 60          // seconds
	MaxAlertLife      = 7 * 24 * 60 * 60 // seconds
	DefaultAlertLife  = 2 * 60 * 60      // seconds
	DefaultAlertRange = 1_000            // metres
	// MaxAlertHeadline follows CAP's advice (headline under 160 characters), in bytes of
	// UTF-8: some 50 Chinese characters.
	MaxAlertHeadline = 480
	MaxAlertText     = 8 << 10
)

// AlertCategory is the CAP category a public alert about an incident of type t is given when
// the operator names none.
func AlertCategory(t IncidentType) string {
	switch t {
	case TypeHazmat:
		return "CBRNE"
	case TypeTrafficAccident:
		return "Transport"
	case TypeWaterRescue, TypeBuildingCollapse, TypeHelpRequested:
		return "Rescue"
	}
	return "Fire"
}

// WithDefaults fills what the operator left out: an Immediate, Severe, Observed alert about an
// incident of type t, in its category, 1 km around it, for two hours, Actual.
func (p PublicAlertParams) WithDefaults(t IncidentType) PublicAlertParams {
	if p.Urgency == "" {
		p.Urgency = "Immediate"
	}
	if p.Severity == "" {
		p.Severity = CAPSevere
	}
	if p.Certainty == "" {
		p.Certainty = "Observed"
	}
	if p.Category == "" {
		p.Category = AlertCategory(t)
	}
	if p.RadiusM == 0 {
		p.RadiusM = DefaultAlertRange
	}
	if p.ExpiresIn == 0 {
		p.ExpiresIn = DefaultAlertLife
	}
	if p.Status == "" {
		p.Status = CAPActual
	}
	return p
}

// Merge is an Update's parameters: what the update gives, and the earlier message's for what
// it leaves out. The note is the update's own.
func (p PublicAlertParams) Merge(earlier PublicAlertParams) PublicAlertParams {
	pick := func(s *string, old string) {
		if *s == "" {
			*s = old
		}
	}
	pick(&p.Event, earlier.Event)
	pick(&p.Headline, earlier.Headline)
	pick(&p.Description, earlier.Description)
	pick(&p.Instruction, earlier.Instruction)
	pick(&p.Category, earlier.Category)
	if p.Urgency == "" {
		p.Urgency = earlier.Urgency
	}
	if p.Severity == "" {
		p.Severity = earlier.Severity
	}
	if p.Certainty == "" {
		p.Certainty = earlier.Certainty
	}
	if p.RadiusM == 0 {
		p.RadiusM = earlier.RadiusM
	}
	if p.ExpiresIn == 0 {
		p.ExpiresIn = earlier.ExpiresIn
	}
	if p.English == nil {
		p.English = earlier.English
	}
	// A thread keeps its status: an exercise is never updated into a real alert.
	p.Status = earlier.Status
	return p
}

// Validate names the first parameter a CAP alert cannot carry.
func (p PublicAlertParams) Validate() error {
	switch {
	case !p.Urgency.Valid():
		return Errorf(EINVALID, "urgency: %q is not one of Immediate, Expected, Future, Past, Unknown", p.Urgency)
	case !p.Severity.Valid():
		return Errorf(EINVALID, "severity: %q is not one of Extreme, Severe, Moderate, Minor, Unknown", p.Severity)
	case !p.Certainty.Valid() || p.Certainty == "Very Likely":
		return Errorf(EINVALID, "certainty: %q is not one of Observed, Likely, Possible, Unlikely, Unknown", p.Certainty)
	case !slices.Contains(CAPCategories, p.Category):
		return Errorf(EINVALID, "category: %q is not a CAP category (%v)", p.Category, CAPCategories)
	case math.IsNaN(p.RadiusM) || p.RadiusM < MinAlertRadius || p.RadiusM > MaxAlertRadius:
		return Errorf(EINVALID, "radius_m: %v is outside %d..%d metres", p.RadiusM, MinAlertRadius, MaxAlertRadius)
	case p.ExpiresIn < MinAlertLife || p.ExpiresIn > MaxAlertLife:
		return Errorf(EINVALID, "expires_in: %d is outside %d..%d seconds (10 minutes to 7 days)", p.ExpiresIn, MinAlertLife, MaxAlertLife)
	case p.Status != CAPActual && p.Status != "Exercise":
		return Errorf(EINVALID, "status: %q is not Actual or Exercise", p.Status)
	}
	if err := p.texts(""); err != nil {
		return err
	}
	if p.English != nil {
		en := PublicAlertParams{Event: p.English.Event, Headline: p.English.Headline, Description: p.English.Description,
			Instruction: p.English.Instruction}
		if err := en.texts("en."); err != nil {
			return err
		}
	}
	return validateText("note", p.Note, MaxAlertText, false)
}

func (p PublicAlertParams) texts(prefix string) error {
	return firstError(
		validateText(prefix+"event", p.Event, MaxAlertHeadline, true),
		validateText(prefix+"headline", p.Headline, MaxAlertHeadline, true),
		validateText(prefix+"description", p.Description, MaxAlertText, false),
		validateText(prefix+"instruction", p.Instruction, MaxAlertText, false),
	)
}

// CanFollow says whether a new message may follow latest, the latest message of its thread:
// not after a Cancel (ECONFLICT). An expired alert may still be cancelled, to say so, but not
// updated: a new alert is published instead.
func CanFollow(latest PublicAlert, next CAPMsgType, at time.Time) error {
	switch {
	case latest.MsgType == CAPCancel:
		return Errorf(ECONFLICT, "alert %s was cancelled by %s: publish a new alert", latest.Thread, latest.Identifier)
	case next == CAPUpdate && !at.Before(latest.Expires):
		return Errorf(ECONFLICT, "alert %s expired at %s: publish a new alert", latest.Thread, latest.Expires.Format(time.RFC3339))
	}
	return nil
}

// PublicAlertFilter narrows a read of public alert messages, newest first.
type PublicAlertFilter struct {
	// IncidentID keeps one incident's; 0 keeps all.
	IncidentID int64
	// Thread keeps the messages of one alert's thread.
	Thread string
	// Limit caps the list: 1..MaxPublicAlertList, 0 means 100.
	Limit int
}

// MaxPublicAlertList bounds one read of public alert messages.
const MaxPublicAlertList = 500

// PublicAlertStore keeps the public alert messages, append-only. postgres.DB implements it.
type PublicAlertStore interface {
	// AddPublicAlert stores a message as sent, with its event on the incident's timeline, in
	// one transaction. An Update or Cancel must follow the latest message of its thread, and
	// that message must allow it (CanFollow): ECONFLICT otherwise, as when another message
	// followed it first.
	AddPublicAlert(ctx context.Context, a PublicAlert) (PublicAlert, error)
	// PublicAlert returns one message, its XML included; ENOTFOUND if there is none.
	PublicAlert(ctx context.Context, identifier string) (PublicAlert, error)
	// PublicAlerts returns messages newest first, without their XML.
	PublicAlerts(ctx context.Context, f PublicAlertFilter) ([]PublicAlert, error)
}

// PublicAlertService publishes public alerts about incidents and serves them as CAP documents
// and a feed. exchange.Publisher implements it.
type PublicAlertService interface {
	// PublishAlert sends a new Alert about an incident, its area drawn around the incident.
	PublishAlert(ctx context.Context, incidentID int64, p PublicAlertParams, actor string) (PublicAlert, error)
	// UpdateAlert sends an Update to the thread of the message identifier names; what p leaves
	// out stays as the latest message said.
	UpdateAlert(ctx context.Context, identifier string, p PublicAlertParams, actor string) (PublicAlert, error)
	// CancelAlert sends the Cancel that ends the thread of the message identifier names.
	CancelAlert(ctx context.Context, identifier, note, actor string) (PublicAlert, error)
	// IncidentAlerts lists an incident's messages, newest first.
	IncidentAlerts(ctx context.Context, incidentID int64) ([]PublicAlert, error)
	// AlertDocument is a message's CAP XML as it was sent.
	AlertDocument(ctx context.Context, identifier string) ([]byte, error)
	// AlertFeed is the Atom feed of the latest messages, newest first; base is the public
	// URL the links start with when the service was given none.
	AlertFeed(ctx context.Context, base string) ([]byte, error)
}
