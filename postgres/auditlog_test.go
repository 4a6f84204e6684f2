package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

func auditEvent(actor, method, route, entity, id string, status int) fireline.AuditEvent {
	return fireline.AuditEvent{
		Actor: actor, Role: fireline.RoleOperator, RemoteAddr: "10.0.0.7", Method: method, Route: route,
		Entity: entity, EntityID: id, Targets: map[string]string{"id": id}, Status: status,
		Request: json.RawMessage(`{"units":["E1"],"password":"[redacted]"}`), RequestID: "req-" + id,
	}
}

// TestAuditLogAppendOnly: the application's own role reads and adds to the audit log but can
// change nothing in it, however it tries; an owner's UPDATE, DELETE and TRUNCATE are refused
// too.
func TestAuditLogAppendOnly(t *testing.T) {
	ctx := context.Background()
	db, ownerURL := newDB(t)
	must(t, db.AppendAudit(ctx, auditEvent("operator", "POST", "/api/v1/incidents/{id}/dispatch", "incidents", "1", 200)))
	must(t, db.AppendAudit(ctx, auditEvent("admin", "DELETE", "/api/v1/admin/units/{id}", "units", "E1", 200)))

	app := sqlConn(t, appURL(t, ownerURL))
	var role string
	must(t, app.QueryRow(ctx, "SELECT current_user").Scan(&role))
	if role != "fireline_app" {
		t.Fatalf("connected as %q, want fireline_app", role)
	}
	snapshot := func() string {
		var s string
		must(t, app.QueryRow(ctx, `SELECT coalesce(string_agg(a::text, '|' ORDER BY id), '') FROM audit_log a`).Scan(&s))
		return s
	}
	before := snapshot()
	if before == "" {
		t.Fatal("the audit log is empty after two appends")
	}
	attempts := []string{
		`UPDATE audit_log SET actor = 'nobody'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`ALTER TABLE audit_log DISABLE TRIGGER ALL`,
		`DROP TABLE audit_log`,
		`DROP TRIGGER audit_log_append_only ON audit_log`,
		`ALTER TABLE audit_log OWNER TO fireline_app`,
		`UPDATE admin_audit SET actor = 'nobody'`,
		`TRUNCATE admin_audit`,
		`SET session_replication_role = replica`,
		`INSERT INTO schema_migrations (version, name) VALUES (9999, 'x')`,
	}
	for _, sql := range attempts {
		t.Run(sql, func(t *testing.T) {
			if _, err := app.Exec(ctx, sql); err == nil {
				t.Fatalf("the application's role ran %q", sql)
			}
		})
	}
	owner := sqlConn(t, ownerURL)
	for _, sql := range []string{`UPDATE audit_log SET actor = 'nobody'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`, `TRUNCATE admin_audit`} {
		t.Run("owner "+sql, func(t *testing.T) {
			if _, err := owner.Exec(ctx, sql); err == nil {
				t.Fatalf("the owner ran %q past the trigger", sql)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("the audit log changed:\nbefore %s\nafter  %s", before, after)
	}
	if ok, err := db.AuditProtected(ctx); err != nil || !ok {
		t.Errorf("AuditProtected as the application = %v, %v; want true", ok, err)
	}
	asOwner, err := postgres.Open(ctx, ownerURL, quietLog())
	must(t, err)
	defer asOwner.Close()
	if ok, err := asOwner.AuditProtected(ctx); err != nil || ok {
		t.Errorf("AuditProtected as the owner = %v, %v; want false", ok, err)
	}
	// The application still works on the tables it needs.
	if _, err := app.Exec(ctx, `UPDATE units SET name = name WHERE false`); err != nil {
		t.Fatalf("the application's role may not update units: %v", err)
	}
}

func TestAuditEvents(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	must(t, db.AppendAudit(ctx, auditEvent("operator", "POST", "/api/v1/incidents/{id}/dispatch", "incidents", "1", 200)))
	must(t, db.AppendAudit(ctx, auditEvent("operator", "POST", "/api/v1/incidents/{id}/close", "incidents", "2", 409)))
	must(t, db.AppendAudit(ctx, fireline.AuditEvent{Actor: "admin", Role: fireline.RoleAdmin, Method: "PUT",
		Route: "/api/v1/admin/units/{id}", Entity: "units", EntityID: "E1", Status: 200,
		Before: json.RawMessage(`{"name": "Engine 1"}`), After: json.RawMessage(`{"name": "Engine One"}`)}))

	all, err := db.AuditEvents(ctx, fireline.AuditQuery{Limit: 10})
	must(t, err)
	if len(all) != 3 || all[0].Actor != "admin" || all[2].EntityID != "1" {
		t.Fatalf("entries %+v, want three, newest first", all)
	}
	got := all[1]
	if got.Method != "POST" || got.Route != "/api/v1/incidents/{id}/close" || got.Status != 409 || got.RemoteAddr != "10.0.0.7" ||
		got.Role != fireline.RoleOperator || got.Targets["id"] != "2" || got.RequestID != "req-2" || got.At.IsZero() {
		t.Errorf("entry %+v", got)
	}
	var req map[string]any
	must(t, json.Unmarshal(got.Request, &req))
	if req["password"] != "[redacted]" {
		t.Errorf("request %s", got.Request)
	}
	var after map[string]string
	must(t, json.Unmarshal(all[0].After, &after))
	if after["name"] != "Engine One" || len(all[0].Before) == 0 {
		t.Errorf("before %s after %s", all[0].Before, all[0].After)
	}

	ids := func(q fireline.AuditQuery) []string {
		t.Helper()
		q.Limit = 10
		es, err := db.AuditEvents(ctx, q)
		must(t, err)
		var out []string
		for _, e := range es {
			out = append(out, e.EntityID)
		}
		return out
	}
	tests := []struct {
		name string
		q    fireline.AuditQuery
		want string
	}{
		{"actor", fireline.AuditQuery{Actor: "operator"}, "2,1"},
		{"action", fireline.AuditQuery{Action: "dispatch"}, "1"},
		{"method", fireline.AuditQuery{Action: "PUT /api/v1/admin"}, "E1"},
		{"percent means itself", fireline.AuditQuery{Action: "%"}, ""},
		{"entity", fireline.AuditQuery{Entity: "units"}, "E1"},
		{"entity id", fireline.AuditQuery{Entity: "incidents", EntityID: "2"}, "2"},
		{"paged", fireline.AuditQuery{BeforeID: all[0].ID}, "2,1"},
		{"from", fireline.AuditQuery{From: time.Now().Add(time.Hour)}, ""},
		{"to", fireline.AuditQuery{To: time.Now().Add(time.Hour)}, "E1,2,1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinIDs(ids(tt.q)); got != tt.want {
				t.Errorf("ids %q, want %q", got, tt.want)
			}
		})
	}
	_, err = db.AuditEvents(ctx, fireline.AuditQuery{Limit: 0})
	wantCode(t, err, fireline.EINVALID)

	var exported []string
	must(t, db.ExportAudit(ctx, time.Time{}, time.Now().Add(time.Hour), func(e fireline.AuditEvent) error {
		exported = append(exported, e.EntityID)
		return nil
	}))
	if joinIDs(exported) != "1,2,E1" {
		t.Errorf("exported %v, want oldest first", exported)
	}
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += id
	}
	return s
}

// TestAdminChangeNotesAudit: an administrator's change tells the request's audit entry the
// record before and after, the same as the admin trail keeps.
func TestAdminChangeNotesAudit(t *testing.T) {
	ctx := context.Background()
	db, _ := cityDB(t)
	notes := &fireline.AuditNotes{}
	st, err := db.Station(ctx, "S1")
	must(t, err)
	st.Name = "Station Uno"
	_, err = db.UpdateStation(fireline.WithAuditNotes(ctx, notes), st, cellA, "admin")
	must(t, err)
	id, before, after, ok := notes.Change()
	if !ok || id != "S1" {
		t.Fatalf("noted %q, %v", id, ok)
	}
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	var bs, as fireline.Station
	must(t, json.Unmarshal(b, &bs))
	must(t, json.Unmarshal(a, &as))
	if bs.Name != "Station One" || as.Name != "Station Uno" {
		t.Errorf("before %s after %s", b, a)
	}
}
