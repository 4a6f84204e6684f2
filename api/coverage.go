package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// Cover answers the coverage map and move-up suggestions of the live unit index.
// resources.Cover implements it.
type Cover interface {
	Coverage(ctx context.Context) (resources.Coverage, error)
	Shapes(ctx context.Context) ([]resources.CellShape, error)
	MoveUps(ctx context.Context) ([]fireline.MoveUp, error)
	EvaluateMoveUp(ctx context.Context, unitID, stationID string) (fireline.MoveUp, error)
}

// TravelModel reports what the learned travel-time model has learned. resources.Learner
// implements it.
type TravelModel interface {
	Stats() resources.LearnerStats
}

// travelModel is GET /travel-model: how much history stands behind the ETAs.
func (s *Server) travelModel(w http.ResponseWriter, r *http.Request) {
	if s.travel == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "the travel-time model is not kept by this node"))
		return
	}
	writeJSON(w, http.StatusOK, s.travel.Stats())
}

// recentMoveUps is how far back the move-up board lists decisions, and how many at most.
const (
	recentMoveUpsFor   = 2 * time.Hour
	recentMoveUpsLimit = 50
)

// coverageAnswer is GET /coverage: the coverage map and, when asked for, the cells' outlines
// (they change only with the stations, so the console fetches them once).
type coverageAnswer struct {
	resources.Coverage
	Shapes []resources.CellShape `json:"shapes,omitempty"`
}

func (s *Server) coverage(w http.ResponseWriter, r *http.Request) {
	if s.cover == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "coverage is not served by this node"))
		return
	}
	shapes, err := boolParam(r, "shapes")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var a coverageAnswer
	if a.Coverage, err = s.cover.Coverage(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if shapes {
		if a.Shapes, err = s.cover.Shapes(r.Context()); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, a)
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fireline.Errorf(fireline.EINVALID, "%s: %q is not true or false", name, v)
	}
	return b, nil
}

// moveUps is GET /move-ups: the current suggestions, and the decisions of the last two hours.
func (s *Server) moveUps(w http.ResponseWriter, r *http.Request) {
	if s.cover == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "move-ups are not served by this node"))
		return
	}
	suggestions, err := s.cover.MoveUps(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recent, err := s.store.MoveUps(r.Context(), s.now().Add(-recentMoveUpsFor), recentMoveUpsLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if recent == nil {
		recent = []fireline.MoveUp{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": suggestions, "recent": recent})
}

// moveUpRequest names a move-up: a unit and the station it is to stand by at (its own home
// station to bring it back).
type moveUpRequest struct {
	UnitID    string `json:"unit_id"`
	StationID string `json:"station_id"`
}

func (req moveUpRequest) validate() error {
	if err := fireline.ValidateID("unit_id", req.UnitID); err != nil {
		return err
	}
	return fireline.ValidateID("station_id", req.StationID)
}

// acceptMoveUp is POST /move-ups: an operator sends the unit to stand by at the station. The
// decision is stored with the coverage figures of that move as measured now, whether or not it
// was among the suggestions.
func (s *Server) acceptMoveUp(w http.ResponseWriter, r *http.Request) {
	s.decideMoveUp(w, r, fireline.MoveUpAccepted)
}

// ignoreMoveUp is POST /move-ups/ignore: the suggestion is not made again for a while.
func (s *Server) ignoreMoveUp(w http.ResponseWriter, r *http.Request) {
	s.decideMoveUp(w, r, fireline.MoveUpIgnored)
}

func (s *Server) decideMoveUp(w http.ResponseWriter, r *http.Request, d fireline.MoveUpDecision) {
	if s.cover == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "move-ups are not served by this node"))
		return
	}
	var req moveUpRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := req.validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	user := userFrom(r.Context())
	m, err := s.cover.EvaluateMoveUp(r.Context(), req.UnitID, req.StationID)
	if err != nil {
		if d == fireline.MoveUpIgnored && fireline.ErrorCode(err) == fireline.ECONFLICT {
			// A suggestion overtaken by events: the unit went out on a call meanwhile.
			err = fireline.Errorf(fireline.ECONFLICT, "unit %s is no longer available, so the move-up is no longer suggested: nothing to ignore", req.UnitID)
		}
		s.writeError(w, r, err)
		return
	}
	if d == fireline.MoveUpIgnored {
		stored, err := s.store.IgnoreMoveUp(r.Context(), m, s.now(), user.Username)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("move-up ignored", "unit", m.UnitID, "station", m.ToStationID, "actor", user.Username)
		writeJSON(w, http.StatusCreated, map[string]any{"move_up": stored})
		return
	}
	stations, err := s.store.Stations(r.Context(), fireline.RefFilter{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	i := slices.IndexFunc(stations, func(st fireline.Station) bool { return st.ID == req.StationID })
	if i < 0 {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "station %s does not exist", req.StationID))
		return
	}
	cell, err := s.locator.Cell(stations[i].Point)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stored, u, err := s.store.PostUnit(r.Context(), m, cell, s.now(), user.Username)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("move-up accepted", "unit", m.UnitID, "from", stored.FromStationID, "station", m.ToStationID,
		"gap_cells_before", m.GapCellsBefore, "gap_cells_after", m.GapCellsAfter, "actor", user.Username)
	writeJSON(w, http.StatusCreated, map[string]any{"move_up": stored, "unit": s.placed(u, s.now())})
}
