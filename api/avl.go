package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// maxFixAhead is how far ahead of our clock a fix's time may be: trackers' clocks drift, but a
// fix from further in the future would block every real fix until then (older fixes are
// ignored).
const maxFixAhead = 5 * time.Minute

// positionRequest is the JSON of POST /units/{id}/position. Pointers tell a missing field from
// a zero; time is a string so that a bad one is named here rather than as a JSON type error.
type positionRequest struct {
	Lat *float64 `json:"lat"`
	Lng *float64 `json:"lng"`
	// Heading is degrees clockwise from true north, 0–360.
	Heading *float64 `json:"heading"`
	// Speed is metres per second.
	Speed *float64 `json:"speed"`
	// Accuracy is the horizontal accuracy radius in metres.
	Accuracy *float64 `json:"accuracy"`
	// Time is when the fix was taken, RFC 3339.
	Time *string `json:"time"`
}

// positionResponse answers a fix: stored, or ignored because the unit holds a newer one.
type positionResponse struct {
	UnitID string `json:"unit_id"`
	Stored bool   `json:"stored"`
	// PositionAt is the time of the fix the unit now holds: this one, or the newer one.
	PositionAt *time.Time     `json:"position_at,omitempty"`
	Location   fireline.Point `json:"location"`
	Cell       string         `json:"cell"`
	// Reason says why a fix was not stored.
	Reason string `json:"reason,omitempty"`
}

// fix validates the request at our time now and names the first bad field.
func (req positionRequest) fix(now time.Time) (fireline.Fix, error) {
	switch {
	case req.Lat == nil:
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "lat: required")
	case req.Lng == nil:
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "lng: required")
	case req.Time == nil || *req.Time == "":
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "time: required (RFC 3339, e.g. 2026-11-22T09:00:00Z)")
	case req.Heading != nil && (*req.Heading < 0 || *req.Heading > 360):
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "heading: %v is outside 0..360 degrees", *req.Heading)
	case req.Speed != nil && *req.Speed < 0:
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "speed: %v m/s is negative", *req.Speed)
	case req.Accuracy != nil && *req.Accuracy < 0:
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "accuracy: %v m is negative", *req.Accuracy)
	}
	p := fireline.Point{Lat: *req.Lat, Lng: *req.Lng}
	if err := p.Validate(); err != nil {
		return fireline.Fix{}, err
	}
	at, err := time.Parse(time.RFC3339Nano, *req.Time)
	if err != nil {
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "time: %q is not an RFC 3339 time", *req.Time)
	}
	if ahead := at.Sub(now); ahead > maxFixAhead {
		return fireline.Fix{}, fireline.Errorf(fireline.EINVALID, "time: %s is %s ahead of the server's clock; at most %s is allowed",
			*req.Time, ahead.Round(time.Second), maxFixAhead)
	}
	return fireline.Fix{Point: p, At: at, Heading: req.Heading, SpeedMPS: req.Speed, AccuracyMeters: req.Accuracy}, nil
}

// unitPosition stores an AVL fix from the unit's crew (its own unit only) or from a vehicle
// tracker, which signs in as a dispatcher for now. A fix older than the one the unit holds is
// accepted but ignored, and the answer says so: trackers resend, and networks reorder.
func (s *Server) unitPosition(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r.Context())
	unitID := chi.URLParam(r, "id")
	switch {
	case fireline.Can(user.Role, fireline.ActionMoveUnit):
	case !fireline.Can(user.Role, fireline.ActionMoveOwnUnit):
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not report unit positions", user.Role))
		return
	case user.UnitID != unitID:
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "crew of %s may not report the position of %s", user.UnitID, unitID))
		return
	}
	var req positionRequest
	if err := decodeJSONMax(w, r, &req, maxPositionBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := req.fix(s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Cell, err = s.locator.Cell(f.Point); err != nil {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "lat/lng: %v", err))
		return
	}
	u, stored, err := s.store.ReportPosition(r.Context(), unitID, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := positionResponse{UnitID: unitID, Stored: stored, PositionAt: u.PositionAt, Location: u.Point, Cell: u.Cell}
	if !stored {
		res.Reason = "ignored: the unit already holds a fix taken at the same time or later"
		if u.PositionAt != nil {
			res.Reason += " (" + u.PositionAt.UTC().Format(time.RFC3339Nano) + ")"
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// defaultHistoryLimit is the number of entries GET /units/{id}/history answers without a
// ?limit=; the store enforces the maximum.
const defaultHistoryLimit = 100

// unitHistory answers a unit's own history, newest first: console roles read any unit's, a
// crew its own unit's. from and to (RFC 3339 times or calendar dates, as GET /incidents takes
// them) bound it to a time range, such as an incident's, for the review's map of unit tracks.
func (s *Server) unitHistory(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r.Context())
	unitID := chi.URLParam(r, "id")
	switch {
	case fireline.Can(user.Role, fireline.ActionReadUnitHistory):
	case !fireline.Can(user.Role, fireline.ActionReadOwnUnitHistory):
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not read unit histories", user.Role))
		return
	case user.UnitID != unitID:
		s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "crew of %s may not read the history of %s", user.UnitID, unitID))
		return
	}
	q := r.URL.Query()
	f := fireline.HistoryFilter{Limit: defaultHistoryLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "limit: %q is not a whole number", v))
			return
		}
		f.Limit = n
	}
	var err error
	if f.From, err = timeBound("from", q.Get("from"), false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.To, err = timeBound("to", q.Get("to"), true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := f.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	events, err := s.store.UnitHistory(r.Context(), unitID, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"unit_id": unitID, "events": events})
}
