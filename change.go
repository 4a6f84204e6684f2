package fireline

// Change is a notice that something the console shows, or a process keeps in memory (the unit
// index, a media room), has changed. PostgreSQL announces every committed change on its
// change feed; each process reacts to the notices that concern it. A Change is a comparable
// value.
type Change struct {
	// Kind is "incident", "unit", "event" (a timeline entry), "move_up", "media" (a room's
	// streams) or "building" (a transmission device's report changed what a building's board
	// shows: ID is the key premises, or the device's address when it belongs to none).
	Kind string `json:"kind"`
	// ID is the changed row's id: an incident, event or move-up number, a unit id, or a media
	// room.
	ID string `json:"id"`
	// IncidentID is the incident concerned: for a unit, the one it joined or just left; 0 when
	// none.
	IncidentID int64 `json:"incident_id,omitempty"`
}
