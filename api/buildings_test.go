package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// fakeBuildings is a BuildingStore in memory: one hospital with one device, its board, and the
// devices registered through the API. It records the last board query and every write.
type fakeBuildings struct {
	devices map[string]fireline.Device
	query   fireline.BoardQuery
	writes  []string
	// also, if set, gets every write too: the per-role tests count all writes in one place.
	also *[]string
}

func (f *fakeBuildings) write(w string) {
	f.writes = append(f.writes, w)
	if f.also != nil {
		*f.also = append(*f.also, w)
	}
}

func newFakeBuildings() *fakeBuildings {
	return &fakeBuildings{devices: map[string]fireline.Device{
		"UITD-1": {ID: "UITD-1", PremiseID: "P-HOSP", Building: "People's Hospital", Point: fireline.Point{Lat: 36.45, Lng: 115.98},
			Address: "0a1b2c3d4e5f"},
	}}
}

func (f *fakeBuildings) ReceiveDeviceReport(context.Context, fireline.DeviceReport) (fireline.DeviceReportReceipt, error) {
	return fireline.DeviceReportReceipt{}, fireline.Errorf(fireline.EUNAVAILABLE, "the API receives no reports")
}

func (f *fakeBuildings) Devices(_ context.Context, rf fireline.RefFilter) ([]fireline.Device, error) {
	var out []fireline.Device
	for _, d := range f.devices {
		if d.RetiredAt == nil || rf.IncludeRetired {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeBuildings) Device(_ context.Context, id string) (fireline.Device, error) {
	d, ok := f.devices[id]
	if !ok {
		return d, fireline.Errorf(fireline.ENOTFOUND, "device %s does not exist", id)
	}
	return d, nil
}

func (f *fakeBuildings) CreateDevice(_ context.Context, d fireline.Device, actor string) (fireline.Device, error) {
	if _, ok := f.devices[d.ID]; ok {
		return d, fireline.Errorf(fireline.ECONFLICT, "device %s exists", d.ID)
	}
	f.devices[d.ID] = d
	f.write("create " + d.ID + " by " + actor)
	return d, nil
}

func (f *fakeBuildings) UpdateDevice(_ context.Context, d fireline.Device, actor string) (fireline.Device, error) {
	if _, ok := f.devices[d.ID]; !ok {
		return d, fireline.Errorf(fireline.ENOTFOUND, "device %s does not exist", d.ID)
	}
	f.devices[d.ID] = d
	f.write("update " + d.ID + " by " + actor)
	return d, nil
}

func (f *fakeBuildings) RetireDevice(_ context.Context, id, actor string) (fireline.Device, error) {
	d, ok := f.devices[id]
	if !ok {
		return d, fireline.Errorf(fireline.ENOTFOUND, "device %s does not exist", id)
	}
	at := now
	d.RetiredAt = &at
	f.devices[id] = d
	f.write("retire " + id + " by " + actor)
	return d, nil
}

func (f *fakeBuildings) UnregisteredDevices(_ context.Context, q fireline.BoardQuery) ([]fireline.DeviceLink, error) {
	f.query = q
	return []fireline.DeviceLink{{Address: "ffeeddccbbaa", FirstSeenAt: now.Add(-time.Hour), LastSeenAt: now, Remote: "10.1.2.3:5000", Reports: 4}}, nil
}

// hospital is the fake's one building: 14 shielded detectors on 5F, a fault, and its device
// offline.
func hospital() fireline.BuildingSummary {
	since := now.Add(-2 * time.Hour)
	return fireline.BuildingSummary{Premise: fireline.Premise{ID: "P-HOSP", Name: "People's Hospital"}, Devices: 1,
		Impairment: fireline.Impairment{Faults: 1, Shielded: 14, Offline: 1}, Since: &since}
}

func (f *fakeBuildings) Buildings(_ context.Context, q fireline.BoardQuery) ([]fireline.BuildingSummary, error) {
	f.query = q
	return []fireline.BuildingSummary{hospital()}, nil
}

func (f *fakeBuildings) Board(_ context.Context, id string, q fireline.BoardQuery) (fireline.BuildingBoard, error) {
	f.query = q
	if id != "P-HOSP" {
		return fireline.BuildingBoard{}, fireline.Errorf(fireline.ENOTFOUND, "premises %s has no registered devices", id)
	}
	return fireline.BuildingBoard{BuildingSummary: hospital(), Boards: []fireline.DeviceBoard{{Device: f.devices["UITD-1"],
		Components: []fireline.ComponentState{{Address: "0a1b2c3d4e5f", System: 1, SystemAddress: 1, Component: 40, ComponentAddress: 501,
			Conditions: []fireline.DeviceCondition{fireline.ConditionShielded}, Place: fireline.DevicePlace{Floor: "5F"}, Since: now}}}}}, nil
}

func newBuildingsServer(t *testing.T, cfg Config) (*Server, *fakeBuildings) {
	t.Helper()
	b := newFakeBuildings()
	s := New(cfg, Deps{Store: &fakeStore{}, Buildings: b, Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, b
}

// deviceBody is a transmission device's record as an administrator posts it.
const deviceBody = `{"id":"UITD-2","premise_id":"P-MALL","building":"Wanda Plaza","location":{"lat":36.46,"lng":115.99},
	"address":"00112233aabb","places":[{"system":1,"system_address":1,"component_address":501,"floor":"5F","zone":"east"},
	{"system":1,"system_address":1,"floor":"B1","description":"car park"}]}`

func TestBuildingsRead(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DeviceOfflineAfter = 90 * time.Second
	s, b := newBuildingsServer(t, cfg)

	code, body := call(t, s, "operator", "GET", "/api/v1/buildings?impaired=true", "")
	list, _ := body["buildings"].([]any)
	if code != 200 || len(list) != 1 || fmt.Sprint(list[0].(map[string]any)["impairment"]) !=
		"map[faults:1 fire_alarms:0 in_test:0 offline:1 shielded:14 supervisory:0]" {
		t.Fatalf("list: %d %v", code, body)
	}
	if want := (fireline.BoardQuery{At: now, OfflineAfter: 90 * time.Second, ImpairedOnly: true}); b.query != want {
		t.Errorf("query %+v, want %+v", b.query, want)
	}
	if code, _ := call(t, s, "risk", "GET", "/api/v1/buildings", ""); code != 200 || b.query.ImpairedOnly {
		t.Errorf("all buildings: %d, impaired only %v", code, b.query.ImpairedOnly)
	}

	code, body = call(t, s, "supervisor", "GET", "/api/v1/buildings/P-HOSP", "")
	devices, _ := body["devices_now"].([]any)
	if code != 200 || len(devices) != 1 || body["premise"].(map[string]any)["id"] != "P-HOSP" {
		t.Fatalf("board: %d %v", code, body)
	}
	comp := devices[0].(map[string]any)["components"].([]any)[0].(map[string]any)
	if fmt.Sprint(comp["conditions"]) != "[shielded]" || comp["place"].(map[string]any)["floor"] != "5F" {
		t.Errorf("component %v", comp)
	}

	for _, tt := range []struct {
		name, token, path string
		code              int
		detail            string
	}{
		{"unknown premises", "operator", "/api/v1/buildings/P-NONE", 404, "premises P-NONE has no registered devices"},
		{"bad impaired", "operator", "/api/v1/buildings?impaired=maybe", 400, `impaired: "maybe" is not true or false`},
		{"bad premises id", "operator", "/api/v1/buildings/" + q("P'1"), 400, "premise_id:"},
		{"a crew", "field:E-1", "/api/v1/buildings", 403, "role field may not"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, s, tt.token, "GET", tt.path, "")
			if code != tt.code || !strings.Contains(fmt.Sprint(body["detail"]), tt.detail) {
				t.Errorf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
		})
	}
}

// TestBuildingsDefaultOfflineLimit: a zero limit in the configuration is the domain's default.
func TestBuildingsDefaultOfflineLimit(t *testing.T) {
	s, b := newBuildingsServer(t, DefaultConfig())
	if code, body := call(t, s, "admin", "GET", "/api/v1/admin/unregistered-devices", ""); code != 200 ||
		fmt.Sprint(body["devices"]) == "[]" {
		t.Fatalf("unregistered: %d %v", code, body)
	}
	if b.query.OfflineAfter != fireline.DefaultDeviceOfflineAfter || !b.query.At.Equal(now) {
		t.Errorf("query %+v, want the default offline limit at now", b.query)
	}
}

func TestBuildingsUnavailable(t *testing.T) {
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	for _, p := range []string{"/api/v1/buildings", "/api/v1/buildings/P-HOSP", "/api/v1/admin/devices", "/api/v1/admin/unregistered-devices"} {
		if code, body := call(t, s, "admin", "GET", p, ""); code != 503 {
			t.Errorf("%s: %d %v, want 503", p, code, body)
		}
	}
	if code, body := call(t, s, "admin", "POST", "/api/v1/admin/devices", deviceBody); code != 503 {
		t.Errorf("create: %d %v, want 503", code, body)
	}
}

func TestDeviceRegistry(t *testing.T) {
	s, b := newBuildingsServer(t, DefaultConfig())

	r := httptest.NewRequest("POST", "/api/v1/admin/devices", strings.NewReader(deviceBody))
	r.Header.Set("Authorization", "Bearer admin")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var created fireline.Device
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || w.Code != 201 ||
		w.Header().Get("Location") != "/api/v1/admin/devices/UITD-2" {
		t.Fatalf("create: %d %s %q (%v)", w.Code, w.Body, w.Header().Get("Location"), err)
	}
	if created.Address != "00112233aabb" || len(created.Places) != 2 || created.Places[0].ComponentAddress == nil ||
		*created.Places[0].ComponentAddress != 501 || created.Places[1].ComponentAddress != nil || created.Point.Lat != 36.46 {
		t.Errorf("created %+v", created)
	}

	code, body := call(t, s, "admin", "GET", "/api/v1/admin/devices/UITD-2", "")
	if code != 200 || body["address"] != "00112233aabb" {
		t.Errorf("read: %d %v", code, body)
	}
	update := strings.Replace(deviceBody, `"building":"Wanda Plaza"`, `"building":"Wanda Plaza North"`, 1)
	if code, body := call(t, s, "admin", "PUT", "/api/v1/admin/devices/UITD-2", update); code != 200 || body["building"] != "Wanda Plaza North" {
		t.Errorf("update: %d %v", code, body)
	}
	code, body = call(t, s, "admin", "DELETE", "/api/v1/admin/devices/UITD-2", "")
	if code != 200 || body["retired_at"] == nil || body["id"] != "UITD-2" {
		t.Errorf("retire: %d %v", code, body)
	}
	code, body = call(t, s, "admin", "GET", "/api/v1/admin/devices", "")
	if code != 200 || len(body["devices"].([]any)) != 1 {
		t.Errorf("list without the retired: %d %v", code, body)
	}
	code, body = call(t, s, "admin", "GET", "/api/v1/admin/devices?include_retired=true", "")
	if code != 200 || len(body["devices"].([]any)) != 2 {
		t.Errorf("list with the retired: %d %v", code, body)
	}
	want := []string{"create UITD-2 by admin", "update UITD-2 by admin", "retire UITD-2 by admin"}
	if fmt.Sprint(b.writes) != fmt.Sprint(want) {
		t.Errorf("writes %v, want %v", b.writes, want)
	}
}

// TestDeviceBodyRefused: every bad device record is refused with the field named, and nothing
// is written.
func TestDeviceBodyRefused(t *testing.T) {
	places := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"system":1,"system_address":1,"component_address":%d,"description":"%s"}`, i, strings.Repeat("x", 500))
		}
		return b.String()
	}
	for _, tt := range []struct {
		name, method, path, body string
		code                     int
		detail                   string
	}{
		{"short address", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, "00112233aabb", "0011", 1), 400, "address:"},
		{"upper-case address", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, "00112233aabb", "00112233AABB", 1), 400, "lowercase hex"},
		{"no building", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"building":"Wanda Plaza",`, "", 1), 400, "building"},
		{"no location", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"location":{"lat":36.46,"lng":115.99},`, "", 1), 400, "location: required"},
		{"system out of range", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"system":1,"system_address":1,"floor"`, `"system":256,"system_address":1,"floor"`, 1), 400, "system: 256 is outside 0..255"},
		{"places without an address", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"address":"00112233aabb",`, "", 1), 400, "only a transmission device"},
		{"retired_at set by hand", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"id":"UITD-2"`, `"id":"UITD-2","retired_at":"2026-01-01T00:00:00Z"`, 1), 400, `unknown field "retired_at"`},
		{"unknown place field", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"zone":"east"`, `"zone":"east","room":"12"`, 1), 400, `unknown field "room"`},
		{"id differs from the path", "PUT", "/api/v1/admin/devices/UITD-1", deviceBody, 400, `id: the body says "UITD-2" but the path says "UITD-1"`},
		{"too large", "POST", "/api/v1/admin/devices", strings.Replace(deviceBody, `"places":[`, `"places":[`+places(2100)+",", 1), 413, "larger than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, b := newBuildingsServer(t, DefaultConfig())
			code, body := call(t, s, "admin", tt.method, tt.path, tt.body)
			if code != tt.code || !strings.Contains(fmt.Sprint(body["detail"]), tt.detail) {
				t.Errorf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
			if len(b.writes) != 0 {
				t.Errorf("wrote %v", b.writes)
			}
		})
	}
}
