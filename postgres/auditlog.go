package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

var _ fireline.AuditLog = (*DB)(nil)

// The audit log (audit_log, migration 0016) is append-only: the application's role may only
// read it and add to it, and a trigger refuses UPDATE, DELETE and TRUNCATE to anyone.

const auditColumns = `id, at, actor, role, remote_addr, method, route, entity, entity_id, targets, request,
	status, error_code, before, after, request_id`

// AppendAudit adds one entry to the audit log.
func (db *DB) AppendAudit(ctx context.Context, e fireline.AuditEvent) error {
	targets := e.Targets
	if targets == nil {
		targets = map[string]string{}
	}
	t, err := json.Marshal(targets)
	if err != nil {
		return fireline.Errorf(fireline.EINTERNAL, "audit targets: %v", err)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO audit_log (at, actor, role, remote_addr, method, route, entity, entity_id,
			targets, request, status, error_code, before, after, request_id)
		VALUES (coalesce($1, now()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		nullTime(e.At), e.Actor, string(e.Role), e.RemoteAddr, e.Method, e.Route, e.Entity, e.EntityID,
		t, rawJSON(e.Request), e.Status, e.ErrorCode, rawJSON(e.Before), rawJSON(e.After), e.RequestID)
	return translate("append audit", err)
}

// AuditEvents returns entries of the audit log that pass q, newest first.
func (db *DB) AuditEvents(ctx context.Context, q fireline.AuditQuery) ([]fireline.AuditEvent, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	// strpos, not LIKE: the action filter is plain text, and % or _ in it mean themselves.
	rows, _ := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
		  AND ($3 = '' OR actor = $3) AND ($4 = '' OR strpos(method || ' ' || route, $4) > 0)
		  AND ($5 = '' OR entity = $5) AND ($6 = '' OR entity_id = $6) AND ($7 = 0 OR id < $7)
		ORDER BY id DESC LIMIT $8`,
		nullTime(q.From), nullTime(q.To), q.Actor, q.Action, q.Entity, q.EntityID, q.BeforeID, q.Limit)
	out, err := pgx.CollectRows(rows, scanAuditEvent)
	if out == nil && err == nil {
		out = []fireline.AuditEvent{}
	}
	return out, translate("read audit log", err)
}

// ExportAudit calls fn with every entry from from (inclusive) to to (exclusive), oldest first,
// as the rows arrive.
func (db *DB) ExportAudit(ctx context.Context, from, to time.Time, fn func(fireline.AuditEvent) error) error {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return fireline.Errorf(fireline.EINVALID, "from: %s is not before to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	rows, err := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
		ORDER BY id`, nullTime(from), nullTime(to))
	if err != nil {
		return translate("export audit log", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return translate("export audit log", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return translate("export audit log", rows.Err())
}

func scanAuditEvent(r pgx.CollectableRow) (fireline.AuditEvent, error) {
	var e fireline.AuditEvent
	var role string
	var targets, request, before, after []byte
	err := r.Scan(&e.ID, &e.At, &e.Actor, &role, &e.RemoteAddr, &e.Method, &e.Route, &e.Entity, &e.EntityID,
		&targets, &request, &e.Status, &e.ErrorCode, &before, &after, &e.RequestID)
	if err != nil {
		return e, err
	}
	e.Role = fireline.Role(role)
	if err := json.Unmarshal(targets, &e.Targets); err != nil {
		return e, err
	}
	if len(e.Targets) == 0 {
		e.Targets = nil
	}
	e.Request, e.Before, e.After = request, before, after
	return e, nil
}

// rawJSON is a JSON value for a jsonb parameter: SQL NULL when there is none.
func rawJSON(b json.RawMessage) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return string(b)
}

// AuditProtected reports whether the role this store connects as is kept from rewriting the
// audit log: it is neither a superuser nor the log's owner (or a member of the owner's role).
// A deployment that runs the program as the owner still works, but its log is only as safe as
// the program; the caller warns.
func (db *DB) AuditProtected(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT NOT (r.rolsuper OR pg_has_role(current_user, c.relowner, 'MEMBER'))
		FROM pg_class c, pg_roles r WHERE c.oid = 'audit_log'::regclass AND r.rolname = current_user`).Scan(&ok)
	return ok, translate("audit protection", err)
}
