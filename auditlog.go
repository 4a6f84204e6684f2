package fireline

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// The audit log is the record of every state-changing request: who asked (username and role),
// when, from where, what (the method and route, the ids the URL names, a summary of the body
// with its secrets taken out), how it ended (the HTTP status and error code) and, when the
// code that made the change can say, the record before and after. The HTTP boundary writes
// one entry per unsafe request once it has been answered; the table is append-only, and the
// application's own database role may only read it and add to it.
//
// What the incident workflows do on their own (timers running out, escalations, PAR due) is
// not a request and is not here: it is in each incident's timeline, which is append-only too.

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	ID int64 `json:"id"`
	// At is when the request was answered.
	At time.Time `json:"at"`
	// Actor is the signed-in user's username; empty when the request carried no valid sign-in
	// (a refused login, a missing token).
	Actor string `json:"actor"`
	Role  Role   `json:"role,omitempty"`
	// RemoteAddr is the client's IP address: the connection's peer, or the address a trusted
	// proxy put in X-Forwarded-For.
	RemoteAddr string `json:"remote_addr"`
	// Method and Route say what was asked: "POST" and "/api/v1/incidents/{id}/dispatch".
	Method string `json:"method"`
	Route  string `json:"route"`
	// Entity is the kind of record the route is about ("incidents", "units", "stations"), and
	// EntityID the record's id: the one the URL names, or the one a create made.
	Entity   string `json:"entity,omitempty"`
	EntityID string `json:"entity_id,omitempty"`
	// Targets are every parameter the URL names ({"id": "42", "agency": "police"}).
	Targets map[string]string `json:"targets,omitempty"`
	// Request summarises the body: JSON with its secrets (passwords, tokens, keys) replaced,
	// long strings shortened; for another media type, its type and size only.
	Request json.RawMessage `json:"request,omitempty"`
	// Status is the HTTP status of the answer and ErrorCode the Fireline error code of a
	// refusal or failure.
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code,omitempty"`
	// Before and After are the record as it was and as it became, as the API shows it, when
	// the code that changed it noted them (NoteChange).
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
}

// AuditQuery narrows a read of the audit log, newest first.
type AuditQuery struct {
	// From and To keep entries at or after From and before To; zero leaves that end open.
	From, To time.Time
	// Actor keeps one user's entries.
	Actor string
	// Action keeps entries whose "METHOD route" contains it: "dispatch", "DELETE /api/v1/admin".
	Action string
	// Entity keeps entries about one kind of record, and EntityID (with Entity) one record.
	Entity   string
	EntityID string
	// BeforeID keeps entries older than the entry with this id, for paging; 0 starts at the
	// newest.
	BeforeID int64
	// Limit is how many entries to return, 1..MaxAuditEntries.
	Limit int
}

// Validate checks the query, naming the first bad field.
func (q AuditQuery) Validate() error {
	switch {
	case !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To):
		return Errorf(EINVALID, "from: %s is not before to (%s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	case q.EntityID != "" && q.Entity == "":
		return Errorf(EINVALID, "entity_id: needs entity too")
	case q.BeforeID < 0:
		return Errorf(EINVALID, "before: %d is negative", q.BeforeID)
	case q.Limit < 1 || q.Limit > MaxAuditEntries:
		return Errorf(EINVALID, "limit: %d is outside 1..%d", q.Limit, MaxAuditEntries)
	}
	return nil
}

// AuditLog keeps the audit log. postgres.DB implements it.
type AuditLog interface {
	// AppendAudit adds one entry; its ID and, when zero, its At are the store's.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// AuditEvents reads entries that pass q, newest first.
	AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// ExportAudit calls fn with every entry at or after from and before to (zero: open), oldest
	// first, reading as it goes so that an export of years does not sit in memory; an error
	// from fn stops it and is returned.
	ExportAudit(ctx context.Context, from, to time.Time, fn func(AuditEvent) error) error
}

// AuditNotes is what the code serving one request says about the change it made, for that
// request's audit entry. The HTTP boundary puts one in the request's context
// (WithAuditNotes); the stores and handlers that change a record call NoteChange. It is safe
// for concurrent use.
type AuditNotes struct {
	mu       sync.Mutex
	entityID string
	before   any
	after    any
	noted    bool
}

type auditNotesKey struct{}

// WithAuditNotes returns a context that carries n.
func WithAuditNotes(ctx context.Context, n *AuditNotes) context.Context {
	return context.WithValue(ctx, auditNotesKey{}, n)
}

// NoteChange records, for the audit entry of the request ctx belongs to, the id of the record
// changed and the record before (nil for a create) and after, as the API shows it. Outside a
// request, or when nobody asked, it does nothing. A second note replaces the first: a request
// changes one record.
func NoteChange(ctx context.Context, id string, before, after any) {
	n, _ := ctx.Value(auditNotesKey{}).(*AuditNotes)
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.entityID, n.before, n.after, n.noted = id, before, after, true
}

// Change returns what was noted: the record's id, before and after, and whether anything was.
func (n *AuditNotes) Change() (id string, before, after any, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.entityID, n.before, n.after, n.noted
}
