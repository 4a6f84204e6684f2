package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// auditFake keeps the audit log in memory; fail makes every append fail.
type auditFake struct {
	mu      sync.Mutex
	entries []fireline.AuditEvent
	fail    bool
}

func (f *auditFake) AppendAudit(_ context.Context, e fireline.AuditEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("disk full")
	}
	e.ID = int64(len(f.entries) + 1)
	f.entries = append(f.entries, e)
	return nil
}

func (f *auditFake) AuditEvents(_ context.Context, q fireline.AuditQuery) ([]fireline.AuditEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []fireline.AuditEvent{}
	for _, e := range slices.Backward(f.entries) {
		if (q.Actor == "" || e.Actor == q.Actor) && len(out) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *auditFake) ExportAudit(_ context.Context, from, to time.Time, fn func(fireline.AuditEvent) error) error {
	f.mu.Lock()
	es := slices.Clone(f.entries)
	f.mu.Unlock()
	for _, e := range es {
		if (from.IsZero() || !e.At.Before(from)) && (to.IsZero() || e.At.Before(to)) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *auditFake) all() []fireline.AuditEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.entries)
}

// auditedAdmin is the admin fake with sign-in, whose station updates note the change for the
// audit log as postgres.DB does.
type auditedAdmin struct{ *adminFake }

func (a auditedAdmin) Authenticate(_ context.Context, username, password string) (fireline.User, error) {
	if password != "correct horse" {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "wrong username or password")
	}
	return fireline.User{Username: username, Role: fireline.Role(username)}, nil
}

func (a auditedAdmin) CreateSession(_ context.Context, u fireline.User, _ time.Duration) (string, error) {
	return string(u.Role), nil
}

func (a auditedAdmin) StartSession(ctx context.Context, u fireline.User, info fireline.SessionInfo) (string, error) {
	return a.CreateSession(ctx, u, info.TTL)
}

func (a auditedAdmin) UpdateStation(ctx context.Context, s fireline.Station, cell, actor string) (fireline.Station, error) {
	before := a.stations[s.ID]
	out, err := a.adminFake.UpdateStation(ctx, s, cell, actor)
	if err == nil {
		fireline.NoteChange(ctx, s.ID, before, out)
	}
	return out, err
}

func newAuditServer(t *testing.T, cfg Config) (*Server, *auditFake, *bytes.Buffer) {
	t.Helper()
	f := auditedAdmin{newAdminFake()}
	audit := &auditFake{}
	var logs bytes.Buffer
	s := New(cfg, Deps{Store: f, Admin: f, Incidents: &fakeIncidents{}, Locator: fakeLocator{}, AuditLog: audit,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.now = func() time.Time { return now }
	return s, audit, &logs
}

// send sends a request as token ("" for nobody) from remote and returns the recorder.
func sendAudit(s *Server, token, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "192.0.2.10:51234"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestAuditRecordsUnsafeRequests(t *testing.T) {
	s, audit, _ := newAuditServer(t, DefaultConfig())

	// Reads are not recorded, nor requests that match no route.
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/admin/stations"}, {"GET", "/api/v1/audit"}, {"POST", "/api/v1/no-such-thing"}, {"PATCH", "/api/v1/admin/stations"},
	} {
		sendAudit(s, "admin", req.method, req.path, `{}`)
	}
	if got := audit.all(); len(got) != 0 {
		t.Fatalf("reads and unrouted requests were recorded: %+v", got)
	}

	w := sendAudit(s, "", "POST", "/api/v1/auth/login", `{"username":"risk","password":"hunter2"}`)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("bad login: %d %s", w.Code, w.Body)
	}
	w = sendAudit(s, "", "POST", "/api/v1/auth/login", `{"username":"risk","password":"correct horse"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	w = sendAudit(s, "admin", "PUT", "/api/v1/admin/stations/S1", `{"name":"Station Uno","location":{"lat":36.45,"lng":115.98}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("update station: %d %s", w.Code, w.Body)
	}
	w = sendAudit(s, "operator", "DELETE", "/api/v1/admin/units/E2", ``)
	if w.Code != http.StatusForbidden {
		t.Fatalf("operator retires a unit: %d %s", w.Code, w.Body)
	}

	got := audit.all()
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4: %+v", len(got), got)
	}
	refused, login, update, forbidden := got[0], got[1], got[2], got[3]
	for _, e := range got {
		if strings.Contains(string(e.Request), "hunter2") || strings.Contains(string(e.Request), "correct horse") ||
			strings.Contains(string(e.Request), "k-123") {
			t.Errorf("a secret is in the audit log: %s", e.Request)
		}
		if e.RemoteAddr != "192.0.2.10" || !e.At.Equal(now) || e.RequestID == "" {
			t.Errorf("entry %+v: want the peer's address, the time and the request id", e)
		}
	}
	var req map[string]any
	if err := json.Unmarshal(refused.Request, &req); err != nil {
		t.Fatal(err)
	}
	if req["password"] != "[redacted]" || req["username"] != "risk" {
		t.Errorf("refused login's request %s", refused.Request)
	}
	if refused.Actor != "" || refused.Status != 401 || refused.ErrorCode != fireline.EUNAUTHORIZED ||
		refused.Method != "POST" || refused.Route != "/api/v1/auth/login" || refused.Entity != "auth" {
		t.Errorf("refused login %+v", refused)
	}
	if login.Actor != "risk" || login.Role != fireline.RoleRisk || login.Status != 200 || login.ErrorCode != "" {
		t.Errorf("login %+v", login)
	}
	if update.Actor != "admin" || update.Role != fireline.RoleAdmin || update.Route != "/api/v1/admin/stations/{id}" ||
		update.Entity != "stations" || update.EntityID != "S1" || update.Targets["id"] != "S1" || update.Status != 200 {
		t.Errorf("update %+v", update)
	}
	var before, after fireline.Station
	if err := json.Unmarshal(update.Before, &before); err != nil {
		t.Fatalf("before %s: %v", update.Before, err)
	}
	if err := json.Unmarshal(update.After, &after); err != nil {
		t.Fatalf("after %s: %v", update.After, err)
	}
	if before.Name != "Station One" || after.Name != "Station Uno" {
		t.Errorf("before %s after %s", update.Before, update.After)
	}
	if forbidden.Actor != "operator" || forbidden.Status != 403 || forbidden.ErrorCode != fireline.EFORBIDDEN ||
		forbidden.EntityID != "E2" || forbidden.Before != nil {
		t.Errorf("forbidden %+v", forbidden)
	}
}

// TestAuditWriteFailure: a request whose entry cannot be written is still answered as it was
// served; the failure is counted and the entry is in the error log.
func TestAuditWriteFailure(t *testing.T) {
	s, audit, logs := newAuditServer(t, DefaultConfig())
	audit.fail = true
	w := sendAudit(s, "admin", "PUT", "/api/v1/admin/stations/S1", `{"name":"Station Uno","location":{"lat":36.45,"lng":115.98}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("update station: %d %s", w.Code, w.Body)
	}
	if n := s.auditFailures.Load(); n != 1 {
		t.Errorf("failures %d, want 1", n)
	}
	if !strings.Contains(logs.String(), "AUDIT LOG WRITE FAILED") || !strings.Contains(logs.String(), "Station Uno") {
		t.Errorf("log:\n%s", logs)
	}
	m := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(m, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(m.Body.String(), "fireline_audit_write_failures_total 1") {
		t.Errorf("metrics:\n%s", m.Body)
	}
}

func TestAuditAccess(t *testing.T) {
	s, _, _ := newAuditServer(t, DefaultConfig())
	for _, path := range []string{"/api/v1/audit", "/api/v1/audit/export"} {
		for _, tt := range []struct {
			token string
			code  int
		}{{"admin", 200}, {"risk", 200}, {"operator", 403}, {"supervisor", 403}, {"field:E2", 403}, {"gateway", 403}, {"", 401}} {
			t.Run(path+" as "+tt.token, func(t *testing.T) {
				if w := sendAudit(s, tt.token, "GET", path, ""); w.Code != tt.code {
					t.Errorf("%d %s, want %d", w.Code, w.Body, tt.code)
				}
			})
		}
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?from=yesterday", "?from=2026-12-04T08:00:00Z&to=2026-12-04T07:00:00Z",
		"?entity_id=E1", "?before=-1"} {
		t.Run(q, func(t *testing.T) {
			if w := sendAudit(s, "risk", "GET", "/api/v1/audit"+q, ""); w.Code != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", w.Code, w.Body)
			}
		})
	}
}

func TestAuditReadAndExport(t *testing.T) {
	s, audit, _ := newAuditServer(t, DefaultConfig())
	sendAudit(s, "admin", "PUT", "/api/v1/admin/stations/S1", `{"name":"=HYPERLINK(\"http://evil\")","location":{"lat":36.45,"lng":115.98}}`)
	sendAudit(s, "operator", "DELETE", "/api/v1/admin/units/E2", ``)
	_ = audit.AppendAudit(context.Background(), fireline.AuditEvent{At: now.Add(-48 * time.Hour), Actor: "=cmd|' /C calc'!A0",
		Method: "POST", Route: "/api/v1/incidents/{id}/dispatch", Status: 200})

	w := sendAudit(s, "risk", "GET", "/api/v1/audit?actor=operator", "")
	var page struct{ Entries []fireline.AuditEvent }
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	if len(page.Entries) != 1 || page.Entries[0].Actor != "operator" {
		t.Errorf("entries %+v", page.Entries)
	}

	w = sendAudit(s, "risk", "GET", "/api/v1/audit/export?from="+now.Add(-time.Hour).Format(time.RFC3339)+"&to="+now.Add(time.Hour).Format(time.RFC3339), "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(auditCSVHeader, ",") {
		t.Fatalf("rows %q: want the header and two entries of the period", rows)
	}
	col := func(row []string, name string) string { return row[slices.Index(auditCSVHeader, name)] }
	if col(rows[1], "actor") != "admin" || col(rows[1], "route") != "/api/v1/admin/stations/{id}" || col(rows[1], "status") != "200" ||
		col(rows[1], "entity_id") != "S1" || col(rows[2], "error_code") != fireline.EFORBIDDEN || col(rows[2], "targets") != `{"id":"E2"}` {
		t.Errorf("rows %q", rows[1:])
	}
	var after map[string]any
	if err := json.Unmarshal([]byte(col(rows[1], "after")), &after); err != nil || after["name"] != `=HYPERLINK("http://evil")` {
		t.Errorf("after %q: %v", col(rows[1], "after"), err)
	}

	// Everything, and a cell a spreadsheet would run as a formula is defused.
	w = sendAudit(s, "admin", "GET", "/api/v1/audit/export", "")
	rows, err = csv.NewReader(w.Body).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("rows %q: %v", rows, err)
	}
	if got := col(rows[3], "actor"); got != "'=cmd|' /C calc'!A0" {
		t.Errorf("actor cell %q, want it quoted", got)
	}

	// An empty period is the header alone.
	w = sendAudit(s, "admin", "GET", "/api/v1/audit/export?to=2000-01-01T00:00:00Z", "")
	rows, err = csv.NewReader(w.Body).ReadAll()
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %q: %v", rows, err)
	}
}

func TestClientIP(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	s := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "192.0.2.10:4000", nil, "192.0.2.10"},
		{"untrusted peer's header is ignored", "192.0.2.10:4000", []string{"198.51.100.1"}, "192.0.2.10"},
		{"through a trusted proxy", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a client's forged hop before the proxy's", "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:4000", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"trusted proxy without header", "[::1]:4000", nil, "::1"},
		{"garbage from the proxy", "10.1.2.3:4000", []string{"not-an-ip"}, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := s.clientIP(r); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSummariseJSON(t *testing.T) {
	long := strings.Repeat("火", 300)
	tests := []struct {
		name, body string
		want       string // a substring of the summary
		not        string // what must not be in it
	}{
		{"secrets at any depth", `{"a":[{"token":"t0k"}],"Secret":"s","privateKey":"k"}`, `"token":"[redacted]"`, "t0k"},
		{"long strings shortened", `{"pre_plan":"` + long + `"}`, "…", long},
		{"too large keeps field names", `{"x":[` + strings.Repeat(`"abcdefghij",`, 600) + `"z"],"password":"p"}`, `"fields":["password","x"]`, "abcdefghij"},
		{"callers' personal data", `{"caller":"李","phone":"13800000000","address":"柳园路 1号"}`, `"phone":"[personal]"`, "13800000000"},
		{"a public report's number, text and photo", `{"reporter_number":"13912345678","text":"三楼冒烟","photo_ref":"p/1.jpg"}`, `"reporter_number":"[personal]"`, "13912345678"},
		{"a call's description", `{"caller_number":"13700000000","description":"我家厨房着火了"}`, `"description":"[personal]"`, "厨房"},
		{"not JSON", `{"a":`, "", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(summariseJSON([]byte(tt.body)))
			if !strings.Contains(got, tt.want) || (tt.not != "" && strings.Contains(got, tt.not)) {
				t.Errorf("summary %.300s", got)
			}
			if len(got) > auditSummaryMax {
				t.Errorf("summary of %d bytes", len(got))
			}
		})
	}
}
