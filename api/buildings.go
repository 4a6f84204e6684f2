package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// The buildings' fire-safety boards and the registry of their transmission devices
// (fireline.BuildingStore). Operators, supervisors, risk officers and administrators read the
// boards: which key premises' fire protection is impaired now, and one premises' devices,
// systems, components not normal and latest events. Administrators keep the registry: each
// user information transmission device's GB/T 26875.3 address against a key premises, with the
// places of its systems and components, and see the addresses heard that nobody registered.

// maxDeviceBody caps a device's record: up to fireline.MaxDevicePlaces places of a few hundred
// bytes each.
const maxDeviceBody = 1 << 20

// entityDevice names a device in the log of administrators' changes; the store writes the
// audit trail.
const entityDevice = fireline.EntityDevice

// buildingRoutes are the boards, for whoever reads buildings.
func (s *Server) buildingRoutes(v1 routeSet) {
	v1.get("/buildings", s.listBuildings)
	v1.get("/buildings/{premise_id}", s.buildingBoard)
}

// deviceRoutes are the registry, under /admin.
func (s *Server) deviceRoutes(admin routeSet) {
	admin.get("/devices", s.adminDevices)
	admin.post("/devices", s.createDevice)
	admin.get("/devices/{id}", s.adminDevice)
	admin.put("/devices/{id}", s.updateDevice)
	admin.delete("/devices/{id}", s.retireDevice)
	admin.get("/unregistered-devices", s.unregisteredDevices)
}

// boardQuery is a board read now, with the configured offline limit.
func (s *Server) boardQuery() fireline.BoardQuery {
	after := s.cfg.DeviceOfflineAfter
	if after <= 0 {
		after = fireline.DefaultDeviceOfflineAfter
	}
	return fireline.BoardQuery{At: s.now(), OfflineAfter: after}
}

// buildingsServed answers 503 when this node keeps no buildings' boards.
func (s *Server) buildingsServed(w http.ResponseWriter, r *http.Request) bool {
	if s.buildings == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node serves no buildings' fire-safety boards"))
		return false
	}
	return true
}

// listBuildings is GET /buildings: the key premises with registered devices, most impaired
// first; ?impaired=true keeps only those with something wrong now.
func (s *Server) listBuildings(w http.ResponseWriter, r *http.Request) {
	if !s.buildingsServed(w, r) {
		return
	}
	q := s.boardQuery()
	var err error
	if q.ImpairedOnly, err = boolParam(r, "impaired"); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.buildings.Buildings(r.Context(), q)
	answerList(s, w, r, "buildings", v, err)
}

// buildingBoard is GET /buildings/{premise_id}: one key premises' fire-safety board.
func (s *Server) buildingBoard(w http.ResponseWriter, r *http.Request) {
	if !s.buildingsServed(w, r) {
		return
	}
	id := chi.URLParam(r, "premise_id")
	if err := fireline.ValidateID("premise_id", id); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.buildings.Board(r.Context(), id, s.boardQuery())
	answerRecord(s, w, r, v, err)
}

// deviceRequest is a device as an administrator enters it: the record without what only the
// store sets (when it was retired). Location is a pointer so a missing entrance is named.
type deviceRequest struct {
	ID        string                 `json:"id"`
	PremiseID string                 `json:"premise_id"`
	Building  string                 `json:"building"`
	Floor     string                 `json:"floor"`
	Zone      string                 `json:"zone"`
	Location  *locationRequest       `json:"location"`
	Address   string                 `json:"address"`
	Places    []fireline.DevicePlace `json:"places"`
}

func (req deviceRequest) device(r *http.Request) (fireline.Device, error) {
	id, err := recordID(r, req.ID)
	if err != nil {
		return fireline.Device{}, err
	}
	p, err := req.Location.point()
	if err != nil {
		return fireline.Device{}, err
	}
	d := fireline.Device{ID: id, PremiseID: req.PremiseID, Building: req.Building, Floor: req.Floor, Zone: req.Zone,
		Point: p, Address: req.Address, Places: req.Places}
	return d, d.Validate()
}

func deviceRef(v fireline.Device) (string, string) {
	return v.ID, adminPath("devices", v.ID)
}

func (s *Server) adminDevices(w http.ResponseWriter, r *http.Request) {
	if !s.buildingsServed(w, r) {
		return
	}
	all, err := includeRetired(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.buildings.Devices(r.Context(), fireline.RefFilter{IncludeRetired: all})
	answerList(s, w, r, "devices", v, err)
}

func (s *Server) adminDevice(w http.ResponseWriter, r *http.Request) {
	if !s.buildingsServed(w, r) {
		return
	}
	v, err := s.buildings.Device(r.Context(), chi.URLParam(r, "id"))
	answerRecord(s, w, r, v, err)
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) {
	if s.buildingsServed(w, r) {
		s.saveDevice(w, r, fireline.AuditCreate, s.buildings.CreateDevice)
	}
}

func (s *Server) updateDevice(w http.ResponseWriter, r *http.Request) {
	if s.buildingsServed(w, r) {
		s.saveDevice(w, r, fireline.AuditUpdate, s.buildings.UpdateDevice)
	}
}

// saveDevice is saveRecord with the device body's own size limit: a device with its places
// is larger than the other records.
func (s *Server) saveDevice(w http.ResponseWriter, r *http.Request, action string,
	save func(context.Context, fireline.Device, string) (fireline.Device, error)) {
	var req deviceRequest
	if err := decodeJSONMax(w, r, &req, maxDeviceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := req.device(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := save(r.Context(), d, userFrom(r.Context()).Username)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, path := deviceRef(out)
	s.changed(w, r, action, entityDevice, id, path, out)
}

func (s *Server) retireDevice(w http.ResponseWriter, r *http.Request) {
	if s.buildingsServed(w, r) {
		retireRecord(s, w, r, entityDevice, byID(s.buildings.RetireDevice), deviceRef)
	}
}

// unregisteredDevices is GET /admin/unregistered-devices: the addresses heard that no device in
// service is registered with, latest first, for an administrator to register.
func (s *Server) unregisteredDevices(w http.ResponseWriter, r *http.Request) {
	if !s.buildingsServed(w, r) {
		return
	}
	v, err := s.buildings.UnregisteredDevices(r.Context(), s.boardQuery())
	answerList(s, w, r, "devices", v, err)
}
