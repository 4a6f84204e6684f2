package api

import (
	"context"
	"io"
	"time"

	"github.com/fireline/fireline"
)

// Store is the durable state the API reads and the intake writes. postgres.DB implements it.
type Store interface {
	Ping(ctx context.Context) error
	Authenticate(ctx context.Context, username, password string) (fireline.User, error)
	CreateSession(ctx context.Context, u fireline.User, ttl time.Duration) (string, error)
	SessionUser(ctx context.Context, token string) (fireline.User, error)

	ReceiveAlarm(ctx context.Context, a fireline.Alarm, cells []string, window time.Duration) (Receipt, error)
	// ConfirmAlarm records an operator's confirmation of an unverified public report and writes
	// it to the report's incident's timeline; a second confirmation changes nothing.
	ConfirmAlarm(ctx context.Context, id int64, actor string, at time.Time) (fireline.Alarm, error)
	// IncidentAlarms lists the alarms that opened or joined an incident, in the order received.
	IncidentAlarms(ctx context.Context, incidentID int64) ([]fireline.Alarm, error)
	// ReceiveWarning stores a CAP warning with its cells and XML, idempotently on its sender and
	// identifier; an Update or Cancel supersedes the warnings it references.
	ReceiveWarning(ctx context.Context, w fireline.Warning, raw []byte) (WarningReceipt, error)
	// Warnings lists warnings newest first, only those in force at activeAt unless it is zero.
	Warnings(ctx context.Context, activeAt time.Time, limit int) ([]fireline.Warning, error)
	// Readiness lists the cells whose readiness warnings in force at at raise.
	Readiness(ctx context.Context, at time.Time) ([]fireline.WarningCell, error)
	// Incident returns an incident whole, as the console shows it, from one read: empty lists
	// are empty, not nil. Incidents returns the same for each listed incident.
	Incident(ctx context.Context, id int64) (fireline.Incident, error)
	Incidents(ctx context.Context, openOnly bool, limit int) ([]fireline.Incident, error)
	Timeline(ctx context.Context, incidentID int64) ([]fireline.TimelineEvent, error)

	// Units lists units in status (empty: any), retired ones only when asked.
	Units(ctx context.Context, status fireline.UnitStatus, includeRetired bool) ([]fireline.Unit, error)
	// Unit returns one unit, retired or not (RetiredAt says).
	Unit(ctx context.Context, id string) (fireline.Unit, error)
	// SetUnitStatusBy changes a unit's status off an incident (incidentID 0) and writes it to
	// the unit's history with the actor.
	SetUnitStatusBy(ctx context.Context, unitID string, incidentID int64, s fireline.UnitStatus, at time.Time, actor string) (fireline.Unit, error)
	// ReportPosition stores an AVL fix unless the unit holds one at least as new (stored false).
	ReportPosition(ctx context.Context, unitID string, f fireline.Fix) (u fireline.Unit, stored bool, err error)
	// UnitHistory returns the latest limit entries of a unit's history, newest first.
	UnitHistory(ctx context.Context, unitID string, limit int) ([]fireline.UnitEvent, error)
	// Stations, WaterSources and Premises list reference data by id, retired records only when
	// asked.
	Stations(ctx context.Context, includeRetired bool) ([]fireline.Station, error)
	WaterSources(ctx context.Context, includeRetired bool) ([]fireline.WaterSource, error)
	Premises(ctx context.Context, includeRetired bool) ([]fireline.Premise, error)
	NearbyWater(ctx context.Context, p fireline.Point, radiusMeters float64, k int) ([]fireline.WaterSourceNear, error)
	NearbyPremises(ctx context.Context, p fireline.Point, radiusMeters float64, k int) ([]fireline.PremiseNear, error)

	// PostUnit records an accepted move-up: the unit stands by at the station (whose H3 cell
	// is given) from at, or, sent to its home station, is back in quarters.
	PostUnit(ctx context.Context, m fireline.MoveUp, stationCell string, at time.Time, actor string) (fireline.MoveUp, fireline.Unit, error)
	// IgnoreMoveUp records that an operator ignored a move-up suggestion.
	IgnoreMoveUp(ctx context.Context, m fireline.MoveUp, at time.Time, actor string) (fireline.MoveUp, error)
	// MoveUps returns the move-up decisions since a time, newest first.
	MoveUps(ctx context.Context, since time.Time, limit int) ([]fireline.MoveUp, error)

	// Escalations returns the supervisors' queue (openOnly: not yet taken), newest first;
	// incidentID 0 means every incident's.
	Escalations(ctx context.Context, openOnly bool, incidentID int64) ([]fireline.Escalation, error)
	AckEscalation(ctx context.Context, id int64, actor string, at time.Time) (fireline.Escalation, error)
	AgencyTasks(ctx context.Context, incidentID int64) ([]fireline.AgencyTask, error)
}

// Admin changes reference data for administrators. Each change is written to the audit trail in
// the same transaction, with actor the administrator's username; nothing is deleted, and a
// retired record is kept unchanged. Reads by id include retired records. postgres.DB
// implements it.
type Admin interface {
	Station(ctx context.Context, id string) (fireline.Station, error)
	CreateStation(ctx context.Context, s fireline.Station, actor string) (fireline.Station, error)
	// UpdateStation takes cell, the resolution-9 cell of s.Point, for the units parked there.
	UpdateStation(ctx context.Context, s fireline.Station, cell, actor string) (fireline.Station, error)
	RetireStation(ctx context.Context, id, actor string) (fireline.Station, error)

	// CreateUnit and UpdateUnit take the home station's position and cell in u.Point and u.Cell.
	CreateUnit(ctx context.Context, u fireline.Unit, actor string) (fireline.Unit, error)
	UpdateUnit(ctx context.Context, u fireline.Unit, actor string) (fireline.Unit, error)
	RetireUnit(ctx context.Context, id, actor string) (fireline.Unit, error)

	WaterSource(ctx context.Context, id string) (fireline.WaterSource, error)
	CreateWaterSource(ctx context.Context, w fireline.WaterSource, actor string) (fireline.WaterSource, error)
	UpdateWaterSource(ctx context.Context, w fireline.WaterSource, actor string) (fireline.WaterSource, error)
	RetireWaterSource(ctx context.Context, id, actor string) (fireline.WaterSource, error)

	Premise(ctx context.Context, id string) (fireline.Premise, error)
	CreatePremise(ctx context.Context, p fireline.Premise, actor string) (fireline.Premise, error)
	UpdatePremise(ctx context.Context, p fireline.Premise, actor string) (fireline.Premise, error)
	RetirePremise(ctx context.Context, id, actor string) (fireline.Premise, error)

	// ResponsePlans lists run cards by incident type and level, retired ones only when asked.
	ResponsePlans(ctx context.Context, includeRetired bool) ([]fireline.ResponsePlan, error)
	// Plan returns the card in force for exactly this key; with includeRetired, a key without
	// one answers its latest retired card.
	Plan(ctx context.Context, t fireline.IncidentType, level int, includeRetired bool) (fireline.ResponsePlan, error)
	CreatePlan(ctx context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error)
	UpdatePlan(ctx context.Context, p fireline.ResponsePlan, actor string) (fireline.ResponsePlan, error)
	RetirePlan(ctx context.Context, t fireline.IncidentType, level int, actor string) (fireline.ResponsePlan, error)

	// Audit reads the audit trail, newest first.
	Audit(ctx context.Context, f fireline.AuditFilter) ([]fireline.AuditEntry, error)
}

// Receipt is the outcome of storing an alarm.
type Receipt struct {
	Alarm      fireline.Alarm
	IncidentID int64
	// Merged is true when the alarm joined an open incident.
	Merged bool
	// Repeat is true when the source had sent this alarm before; nothing changed.
	Repeat bool
	// RecordedOnly is true for an alarm whose kind opens no incident (a panel's fault,
	// supervisory event or reset).
	RecordedOnly bool
	// RelatedIncidentID is, for a panel's reset, the open incident its device's fire alarm
	// opened, 0 when none.
	RelatedIncidentID int64
}

// WarningReceipt is the outcome of storing a CAP warning.
type WarningReceipt struct {
	Warning fireline.Warning
	// Repeat is true when the feed had sent this alert before; Warning is the stored one.
	Repeat bool
	// Superseded are the earlier warnings this Update or Cancel superseded.
	Superseded []int64
}

// Intake reads each alarm source's payload into a validated alarm or warning. intake.Intake
// implements it.
type Intake interface {
	Call(ctx context.Context, body []byte) (fireline.Alarm, error)
	IoT(ctx context.Context, body []byte) (fireline.Alarm, error)
	LampPost(ctx context.Context, body []byte) (fireline.Alarm, error)
	Public(ctx context.Context, body []byte) (fireline.Alarm, error)
	CAP(ctx context.Context, body []byte) (fireline.Warning, error)
}

// Incidents takes operators' orders and crews' reports to the incidents. workflows.Client
// implements it.
type Incidents = fireline.IncidentService

// Locator places alarms on the H3 grid. geo implements it through a small adapter in cmd.
type Locator interface {
	// Cell is the resolution-9 cell of p as a hex string.
	Cell(p fireline.Point) (string, error)
	// Neighbours are the cells within ring k of p's cell, p's own included.
	Neighbours(p fireline.Point, k int) ([]string, error)
}

// Media is the WHIP/WHEP media server. media.Server implements it through an adapter in cmd.
type Media interface {
	// Publish and Play open a session for owner (a username); layer is "", low, mid or high.
	Publish(ctx context.Context, room, stream, offer, owner string) (MediaSession, error)
	Play(ctx context.Context, room, stream, offer, owner, layer string) (MediaSession, error)
	// Session describes a live session of room; ENOTFOUND when there is none.
	Session(room, sessionID string) (MediaSessionInfo, error)
	// Trickle adds the ICE candidates of an application/trickle-ice-sdpfrag body.
	Trickle(room, sessionID, frag string) error
	End(room, sessionID string) error
	Streams(room string) []StreamInfo
	ICEServers() []ICEServer
	// WriteMetrics writes the Prometheus text exposition of the media server.
	WriteMetrics(w io.Writer) error
}

// MediaSession is one WHIP or WHEP peer connection.
type MediaSession struct {
	ID     string
	Answer string
	ETag   string // quoted entity tag (RFC 9725 §4.3.1)
}

// MediaSessionInfo says whose a session is.
type MediaSessionInfo struct {
	Owner string
	ETag  string
}

// ICEServer is a STUN or TURN server advertised to WHIP and WHEP clients.
type ICEServer struct {
	URL        string
	Username   string
	Credential string
}

// MediaNodes is the registry of media nodes: which node holds an incident's room.
// postgres.DB implements it through an adapter in cmd.
type MediaNodes interface {
	// AssignRoom returns the live node holding the incident's room, first giving it to the
	// least loaded live node when no live node holds it; EUNAVAILABLE when no node is live.
	AssignRoom(ctx context.Context, incidentID int64) (MediaNode, error)
	// RoomNode returns the live node holding the room; false when none does.
	RoomNode(ctx context.Context, incidentID int64) (MediaNode, bool, error)
	// RoomStreams returns the room's streams as its holder last reported them: a JSON array
	// of StreamInfo, empty when it reported none.
	RoomStreams(ctx context.Context, incidentID int64) ([]byte, error)
}

// MediaNode is a node running the media role.
type MediaNode struct {
	ID string `json:"id"`
	// URL is its public base URL (scheme, host, port): WHIP and WHEP are under it.
	URL string `json:"url"`
}

// StreamInfo describes a live stream in a room.
type StreamInfo struct {
	Stream    string    `json:"stream"`
	Tracks    []string  `json:"tracks"`
	Viewers   int       `json:"viewers"`
	StartedAt time.Time `json:"started_at"`
	// Bitrate is what the publisher sends, bits/s over the last few seconds.
	Bitrate     uint64 `json:"bitrate_bps"`
	Packets     uint64 `json:"packets"`
	Bytes       uint64 `json:"bytes"`
	PacketsLost int64  `json:"packets_lost"`
	// Layers are the simulcast layers of the video, lowest first; absent without simulcast.
	Layers      []string     `json:"layers,omitempty"`
	TrackStats  []TrackStats `json:"track_stats"`
	ViewerStats []ViewerStat `json:"viewer_stats"`
}

// TrackStats describes one RTP stream of a publisher: a track or one simulcast layer.
type TrackStats struct {
	Track       string  `json:"track"`
	Kind        string  `json:"kind"`
	Codec       string  `json:"codec"`
	Layer       string  `json:"layer,omitempty"`
	Active      bool    `json:"active"`
	Packets     uint64  `json:"packets"`
	Bytes       uint64  `json:"bytes"`
	Bitrate     uint64  `json:"bitrate_bps"`
	PacketsLost int64   `json:"packets_lost"`
	JitterMS    float64 `json:"jitter_ms"`
}

// ViewerStat describes one viewer: the layer it is sent and what it takes.
type ViewerStat struct {
	Session      string  `json:"session"`
	Owner        string  `json:"owner"`
	Layer        string  `json:"layer,omitempty"`
	Pinned       bool    `json:"pinned,omitempty"`
	Bitrate      uint64  `json:"bitrate_bps"`
	Estimate     uint64  `json:"estimate_bps,omitempty"`
	FractionLost float64 `json:"fraction_lost"`
}

// Change is a notice that something the console shows has changed.
type Change struct {
	Kind       string `json:"kind"` // incident, unit, event, move_up, media
	ID         string `json:"id"`
	IncidentID int64  `json:"incident_id,omitempty"`
	// Streams are, for a media notice, the room's live streams with their statistics.
	Streams []StreamInfo `json:"streams,omitempty"`
}
