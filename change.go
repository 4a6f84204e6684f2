package fireline

// Change is a notice that something the console shows, or a process keeps in memory (the unit
// index, a media room), has changed. PostgreSQL announces every committed change; the API
// passes them on to the consoles as they are.
type Change struct {
	// Kind is "incident", "unit", "event" (a timeline entry) or "media" (a room's streams).
	Kind string `json:"kind"`
	// ID is the changed row's id: an incident or event number, a unit id, or a media room.
	ID string `json:"id"`
	// IncidentID is the incident concerned: for a unit, the one it joined or just left; 0 when
	// none.
	IncidentID int64 `json:"incident_id,omitempty"`
	// Streams are, for a media notice, the room's live streams with their statistics.
	Streams []StreamInfo `json:"streams,omitempty"`
}
