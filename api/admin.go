package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/fireline/fireline"
)

// The admin API: administrators create, update (PUT, the whole record) and retire (DELETE) the
// reference data dispatch runs on, and read it with ?include_retired=true to see retired records
// too. Nothing is deleted: a retired record is evidence for past incidents' reviews. Every change
// is logged and written to the audit trail (GET /admin/audit) with the administrator's name.

func (s *Server) adminRoutes(r routeSet) {
	r.get("/stations", s.adminStations)
	r.post("/stations", s.createStation)
	r.get("/stations/{id}", s.adminStation)
	r.put("/stations/{id}", s.updateStation)
	r.delete("/stations/{id}", s.retireStation)

	r.get("/units", s.adminUnits)
	r.post("/units", s.createUnit)
	r.get("/units/{id}", s.adminUnit)
	r.put("/units/{id}", s.updateUnit)
	r.delete("/units/{id}", s.retireUnit)

	r.get("/water-sources", s.adminWaterSources)
	r.post("/water-sources", s.createWaterSource)
	r.get("/water-sources/{id}", s.adminWaterSource)
	r.put("/water-sources/{id}", s.updateWaterSource)
	r.delete("/water-sources/{id}", s.retireWaterSource)

	r.get("/premises", s.adminPremises)
	r.post("/premises", s.createPremise)
	r.get("/premises/{id}", s.adminPremise)
	r.put("/premises/{id}", s.updatePremise)
	r.delete("/premises/{id}", s.retirePremise)

	r.get("/response-plans", s.adminPlans)
	r.post("/response-plans", s.createPlan)
	r.get("/response-plans/{type}/{level}", s.adminPlan)
	r.put("/response-plans/{type}/{level}", s.updatePlan)
	r.delete("/response-plans/{type}/{level}", s.retirePlan)

	r.get("/audit", s.audit)
}

// adminPath is where the admin API serves a record: the Location of a created one.
func adminPath(collection string, id ...string) string {
	p := "/api/v1/admin/" + collection
	for _, part := range id {
		p += "/" + url.PathEscape(part)
	}
	return p
}

// changed logs an administrator's change and answers it: 201 with the record's Location for a
// create, 200 otherwise, the record as stored either way.
func (s *Server) changed(w http.ResponseWriter, r *http.Request, action, entity, id, location string, v any) {
	s.log.Info("admin change", "actor", userFrom(r.Context()).Username, "action", action, "entity", entity, "id", id,
		"request_id", middleware.GetReqID(r.Context()))
	status := http.StatusOK
	if action == fireline.AuditCreate {
		w.Header().Set("Location", location)
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
}

// saveRecord answers a create (POST) or an update (PUT): the body decoded into a Req, made into
// a validated record by build, written by save under the administrator's name, and answered
// with the record as stored; key names it in the log and the audit, and where it is served.
func saveRecord[Req, T any](s *Server, w http.ResponseWriter, r *http.Request, action, entity string,
	build func(Req, *http.Request) (T, error), save func(context.Context, T, string) (T, error), key func(T) (id, path string)) {
	var req Req
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := build(req, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := save(r.Context(), v, userFrom(r.Context()).Username)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, path := key(out)
	s.changed(w, r, action, entity, id, path, out)
}

// retireRecord answers a retire (DELETE) of the record the path names.
func retireRecord[T any](s *Server, w http.ResponseWriter, r *http.Request, entity string,
	retire func(*http.Request, string) (T, error), key func(T) (id, path string)) {
	out, err := retire(r, userFrom(r.Context()).Username)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, path := key(out)
	s.changed(w, r, fireline.AuditRetire, entity, id, path, out)
}

// byID retires the record whose id the path names.
func byID[T any](retire func(context.Context, string, string) (T, error)) func(*http.Request, string) (T, error) {
	return func(r *http.Request, actor string) (T, error) {
		return retire(r.Context(), chi.URLParam(r, "id"), actor)
	}
}

// What each record is called in the log and the audit, and where the admin API serves it.

func stationRef(v fireline.Station) (string, string) {
	return v.ID, adminPath("stations", v.ID)
}

func unitRef(v fireline.Unit) (string, string) {
	return v.ID, adminPath("units", v.ID)
}

func waterSourceRef(v fireline.WaterSource) (string, string) {
	return v.ID, adminPath("water-sources", v.ID)
}

func premiseRef(v fireline.Premise) (string, string) {
	return v.ID, adminPath("premises", v.ID)
}

func planRef(v fireline.ResponsePlan) (string, string) {
	return v.Key(), adminPath("response-plans", string(v.IncidentType), strconv.Itoa(v.Level))
}

// includeRetired reads ?include_retired=; retired records are left out by default.
func includeRetired(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("include_retired")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fireline.Errorf(fireline.EINVALID, "include_retired: %q is not true or false", v)
	}
	return b, nil
}

// recordID is the id a create or an update is about: a create names it in the body; an update
// names it in the path, and a body that names one too must agree.
func recordID(r *http.Request, body string) (string, error) {
	path := chi.URLParam(r, "id")
	if path == "" || body == "" {
		return path + body, nil
	}
	if body != path {
		return "", fireline.Errorf(fireline.EINVALID, "id: the body says %q but the path says %q", body, path)
	}
	return path, nil
}

// locationRequest is a position in a request. Pointers tell a missing coordinate from a zero,
// which would otherwise pass as a real place on the equator or the prime meridian.
type locationRequest struct {
	Lat *float64 `json:"lat"`
	Lng *float64 `json:"lng"`
}

func (l *locationRequest) point() (fireline.Point, error) {
	switch {
	case l == nil:
		return fireline.Point{}, fireline.Errorf(fireline.EINVALID, `location: required, as {"lat": …, "lng": …} in WGS-84 degrees`)
	case l.Lat == nil:
		return fireline.Point{}, fireline.Errorf(fireline.EINVALID, "location.lat: required")
	case l.Lng == nil:
		return fireline.Point{}, fireline.Errorf(fireline.EINVALID, "location.lng: required")
	}
	return fireline.Point{Lat: *l.Lat, Lng: *l.Lng}, nil
}

// Stations.

type stationRequest struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	District string           `json:"district"`
	Address  string           `json:"address"`
	Location *locationRequest `json:"location"`
}

func (req stationRequest) station(r *http.Request) (fireline.Station, error) {
	id, err := recordID(r, req.ID)
	if err != nil {
		return fireline.Station{}, err
	}
	p, err := req.Location.point()
	if err != nil {
		return fireline.Station{}, err
	}
	st := fireline.Station{ID: id, Name: req.Name, District: req.District, Address: req.Address, Point: p}
	return st, st.Validate()
}

func (s *Server) adminStations(w http.ResponseWriter, r *http.Request) {
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.Stations(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "stations", v, err)
}

func (s *Server) adminStation(w http.ResponseWriter, r *http.Request) {
	v, err := s.admin.Station(r.Context(), chi.URLParam(r, "id"))
	answerRecord(s, w, r, v, err)
}

func (s *Server) createStation(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityStation, stationRequest.station, s.admin.CreateStation, stationRef)
}

func (s *Server) updateStation(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityStation, stationRequest.station, s.moveStation, stationRef)
}

// moveStation replaces a station. When it moves, the units parked there move with it: the
// store needs the new position's cell for them.
func (s *Server) moveStation(ctx context.Context, st fireline.Station, actor string) (fireline.Station, error) {
	cell, err := s.locator.Cell(st.Point)
	if err != nil {
		return fireline.Station{}, fireline.Errorf(fireline.EINVALID, "location: %v", err)
	}
	return s.admin.UpdateStation(ctx, st, cell, actor)
}

func (s *Server) retireStation(w http.ResponseWriter, r *http.Request) {
	retireRecord(s, w, r, fireline.EntityStation, byID(s.admin.RetireStation), stationRef)
}

// Units.

// unitRequest is a unit as an administrator enters it. It has no position: a unit without an
// AVL fix is where its home station is, and its fixes come from its tracker or crew.
type unitRequest struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Type      fireline.UnitType `json:"type"`
	StationID string            `json:"station_id"`
	// Status is for a create only: available (the default) or out_of_service.
	Status fireline.UnitStatus `json:"status"`
	// MinStaff is the seats that must be filled for the unit to respond; absent: the default
	// of its type (fireline.DefaultMinStaff). RequiredQualifications, what somebody on duty
	// must hold.
	MinStaff               *int                     `json:"min_staff"`
	RequiredQualifications []fireline.Qualification `json:"required_qualifications"`
}

func (req unitRequest) unit(r *http.Request) (fireline.Unit, error) {
	id, err := recordID(r, req.ID)
	if err != nil {
		return fireline.Unit{}, err
	}
	u := fireline.Unit{ID: id, Name: req.Name, Type: req.Type, StationID: req.StationID, Status: req.Status,
		MinStaff: fireline.DefaultMinStaff(req.Type), RequiredQualifications: req.RequiredQualifications}
	if req.MinStaff != nil {
		u.MinStaff = *req.MinStaff
	}
	if err := u.ValidateRecord(); err != nil {
		return fireline.Unit{}, err
	}
	update := chi.URLParam(r, "id") != ""
	switch {
	case update && req.Status != "":
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "status: change a unit's status with POST /api/v1/units/%s/status, not here", id)
	case update:
	case u.Status == "":
		u.Status = fireline.UnitAvailable
	case u.Status != fireline.UnitAvailable && u.Status != fireline.UnitOutOfService:
		return fireline.Unit{}, fireline.Errorf(fireline.EINVALID, "status: a new unit starts available or out_of_service, not %q", u.Status)
	}
	return u, nil
}

// parkAtHome places u at its home station, which must exist and be in service, with the
// station's cell: where a unit without an AVL fix is.
func (s *Server) parkAtHome(ctx context.Context, u *fireline.Unit) error {
	st, err := s.admin.Station(ctx, u.StationID)
	switch {
	case fireline.ErrorCode(err) == fireline.ENOTFOUND:
		return fireline.Errorf(fireline.EINVALID, "station_id: station %s does not exist", u.StationID)
	case err != nil:
		return err
	case st.RetiredAt != nil:
		return fireline.Errorf(fireline.EINVALID, "station_id: station %s was retired on %s; home the unit at a station in service",
			u.StationID, st.RetiredAt.UTC().Format(time.RFC3339))
	}
	cell, err := s.locator.Cell(st.Point)
	if err != nil {
		// A stored station always has a valid position: this is our fault, not the caller's.
		return fmt.Errorf("api: cell of station %s: %w", st.ID, err)
	}
	u.Point, u.Cell = st.Point, cell
	return nil
}

func (s *Server) adminUnits(w http.ResponseWriter, r *http.Request) {
	status := fireline.UnitStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "status: %q is not a unit status", status))
		return
	}
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.Units(r.Context(), fireline.UnitFilter{Status: status, IncludeRetired: all})
	answerList(s, w, r, "units", v, err)
}

func (s *Server) adminUnit(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Unit(r.Context(), chi.URLParam(r, "id"))
	answerRecord(s, w, r, v, err)
}

// homedUnit is the unit of a request, parked at its home station.
func (s *Server) homedUnit(req unitRequest, r *http.Request) (fireline.Unit, error) {
	u, err := req.unit(r)
	if err == nil {
		err = s.parkAtHome(r.Context(), &u)
	}
	return u, err
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityUnit, s.homedUnit, s.admin.CreateUnit, unitRef)
}

func (s *Server) updateUnit(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityUnit, s.homedUnit, s.admin.UpdateUnit, unitRef)
}

func (s *Server) retireUnit(w http.ResponseWriter, r *http.Request) {
	retireRecord(s, w, r, fireline.EntityUnit, byID(s.admin.RetireUnit), unitRef)
}

// Water sources.

type waterSourceRequest struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// FlowLPM is the rated flow in litres per minute: required for a hydrant, 0 or absent for a
	// static source.
	FlowLPM int `json:"flow_lpm"`
	// Status is working (the default) or out_of_service.
	Status   string           `json:"status"`
	Location *locationRequest `json:"location"`
}

func (req waterSourceRequest) waterSource(r *http.Request) (fireline.WaterSource, error) {
	id, err := recordID(r, req.ID)
	if err != nil {
		return fireline.WaterSource{}, err
	}
	p, err := req.Location.point()
	if err != nil {
		return fireline.WaterSource{}, err
	}
	ws := fireline.WaterSource{ID: id, Kind: req.Kind, FlowLPM: req.FlowLPM, Status: req.Status, Point: p}
	if ws.Status == "" {
		ws.Status = fireline.WaterWorking
	}
	return ws, ws.Validate()
}

func (s *Server) adminWaterSources(w http.ResponseWriter, r *http.Request) {
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.WaterSources(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "water_sources", v, err)
}

func (s *Server) adminWaterSource(w http.ResponseWriter, r *http.Request) {
	v, err := s.admin.WaterSource(r.Context(), chi.URLParam(r, "id"))
	answerRecord(s, w, r, v, err)
}

func (s *Server) createWaterSource(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityWaterSource, waterSourceRequest.waterSource, s.admin.CreateWaterSource, waterSourceRef)
}

func (s *Server) updateWaterSource(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityWaterSource, waterSourceRequest.waterSource, s.admin.UpdateWaterSource, waterSourceRef)
}

func (s *Server) retireWaterSource(w http.ResponseWriter, r *http.Request) {
	retireRecord(s, w, r, fireline.EntityWaterSource, byID(s.admin.RetireWaterSource), waterSourceRef)
}

// Key premises.

type premiseRequest struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Kind     string           `json:"kind"`
	Address  string           `json:"address"`
	Location *locationRequest `json:"location"`
	Hazards  []string         `json:"hazards"`
	PrePlan  string           `json:"pre_plan"`
	// PlanType and PlanLevel are the pre-plan's assessment of a fire alarm from the premises'
	// own panel; both or neither.
	PlanType  fireline.IncidentType `json:"plan_type"`
	PlanLevel int                   `json:"plan_level"`
}

func (req premiseRequest) premise(r *http.Request) (fireline.Premise, error) {
	id, err := recordID(r, req.ID)
	if err != nil {
		return fireline.Premise{}, err
	}
	p, err := req.Location.point()
	if err != nil {
		return fireline.Premise{}, err
	}
	pr := fireline.Premise{ID: id, Name: req.Name, Kind: req.Kind, Address: req.Address, Point: p, Hazards: req.Hazards, PrePlan: req.PrePlan,
		PlanType: req.PlanType, PlanLevel: req.PlanLevel}
	if pr.Hazards == nil {
		pr.Hazards = []string{}
	}
	return pr, pr.Validate()
}

func (s *Server) adminPremises(w http.ResponseWriter, r *http.Request) {
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.Premises(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "premises", v, err)
}

func (s *Server) adminPremise(w http.ResponseWriter, r *http.Request) {
	v, err := s.admin.Premise(r.Context(), chi.URLParam(r, "id"))
	answerRecord(s, w, r, v, err)
}

func (s *Server) createPremise(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityPremise, premiseRequest.premise, s.admin.CreatePremise, premiseRef)
}

func (s *Server) updatePremise(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityPremise, premiseRequest.premise, s.admin.UpdatePremise, premiseRef)
}

func (s *Server) retirePremise(w http.ResponseWriter, r *http.Request) {
	retireRecord(s, w, r, fireline.EntityPremise, byID(s.admin.RetirePremise), premiseRef)
}

// Response plans (run cards), keyed by incident type and level.

type planRequest struct {
	IncidentType fireline.IncidentType `json:"incident_type"`
	Level        *int                  `json:"level"`
	Slots        []fireline.PlanSlot   `json:"slots"`
}

// planKey reads the key of a run card from the path: /response-plans/{type}/{level}.
func planKey(r *http.Request) (fireline.IncidentType, int, error) {
	t := fireline.IncidentType(chi.URLParam(r, "type"))
	if !t.Valid() {
		return "", 0, fireline.Errorf(fireline.EINVALID, "incident_type: %q is not an incident type code", t)
	}
	v := chi.URLParam(r, "level")
	level, err := strconv.Atoi(v)
	if err != nil || level < fireline.MinLevel || level > fireline.MaxLevel {
		return "", 0, fireline.Errorf(fireline.EINVALID, "level: %q is not a level %d..%d", v, fireline.MinLevel, fireline.MaxLevel)
	}
	return t, level, nil
}

func (req planRequest) plan(r *http.Request) (fireline.ResponsePlan, error) {
	p := fireline.ResponsePlan{IncidentType: req.IncidentType, Slots: req.Slots}
	if chi.URLParam(r, "type") != "" {
		// An update: the path names the card, and a body that names it too must agree.
		t, level, err := planKey(r)
		switch {
		case err != nil:
			return fireline.ResponsePlan{}, err
		case req.IncidentType != "" && req.IncidentType != t:
			return fireline.ResponsePlan{}, fireline.Errorf(fireline.EINVALID, "incident_type: the body says %q but the path says %q", req.IncidentType, t)
		case req.Level != nil && *req.Level != level:
			return fireline.ResponsePlan{}, fireline.Errorf(fireline.EINVALID, "level: the body says %d but the path says %d", *req.Level, level)
		}
		p.IncidentType, p.Level = t, level
	} else {
		if req.Level == nil {
			return fireline.ResponsePlan{}, fireline.Errorf(fireline.EINVALID, "level: required (%d..%d)", fireline.MinLevel, fireline.MaxLevel)
		}
		p.Level = *req.Level
	}
	return p, p.Validate()
}

func (s *Server) adminPlans(w http.ResponseWriter, r *http.Request) {
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.admin.ResponsePlans(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "response_plans", v, err)
}

func (s *Server) adminPlan(w http.ResponseWriter, r *http.Request) {
	t, level, err := planKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.admin.Plan(r.Context(), t, level, all)
	answerRecord(s, w, r, v, err)
}

func (s *Server) createPlan(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditCreate, fireline.EntityResponsePlan, planRequest.plan, s.admin.CreatePlan, planRef)
}

func (s *Server) updatePlan(w http.ResponseWriter, r *http.Request) {
	saveRecord(s, w, r, fireline.AuditUpdate, fireline.EntityResponsePlan, planRequest.plan, s.admin.UpdatePlan, planRef)
}

// retirePlanAt retires the run card the path names.
func (s *Server) retirePlanAt(r *http.Request, actor string) (fireline.ResponsePlan, error) {
	t, level, err := planKey(r)
	if err != nil {
		return fireline.ResponsePlan{}, err
	}
	return s.admin.RetirePlan(r.Context(), t, level, actor)
}

func (s *Server) retirePlan(w http.ResponseWriter, r *http.Request) {
	retireRecord(s, w, r, fireline.EntityResponsePlan, s.retirePlanAt, planRef)
}

// The audit trail.

// defaultAuditLimit is how many entries GET /admin/audit answers without a ?limit=.
const defaultAuditLimit = 100

// audit answers GET /admin/audit[?entity=][&entity_id=][&before=][&limit=]: the newest entries
// first; before (an entry id) pages back through older ones.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := fireline.AuditFilter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Limit: defaultAuditLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "limit: %q is not a whole number", v))
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "before: %q is not an audit entry id", v))
			return
		}
		f.BeforeID = n
	}
	if err := f.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.admin.Audit(r.Context(), f)
	answerList(s, w, r, "entries", v, err)
}

// answerRecord answers a record read by id.
func answerRecord(s *Server, w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
