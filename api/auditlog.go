package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/fireline/fireline"
)

// The audit log: every request that may change state (POST, PUT, PATCH, DELETE) under
// /api/v1 gets one entry once it has been answered, so that its status is known. The handler
// and the store under it may add the record before and after (fireline.NoteChange);
// authenticate names the user. Administrators and risk officers read the log (GET /audit) and
// export it as CSV (GET /audit/export).
//
// A failed write does not fail the request: by then the change is made and committed, and the
// answer is on its way to the client, so a 500 would only tell an operator that a dispatch
// which happened did not. Instead the entry goes to the error log in full, where the log
// collector keeps it, and fireline_audit_write_failures_total counts it for an alert.

const (
	// auditCaptureMax is how much of a request body is kept to summarise: more than any order
	// or record the API takes, less than a body worth storing twice.
	auditCaptureMax = 64 << 10
	// auditSummaryMax bounds the summary in the entry; a larger one keeps only its field names.
	auditSummaryMax = 4 << 10
	// auditStringMax shortens long strings in the summary (descriptions, pre-plans).
	auditStringMax = 256
	// auditWriteTimeout bounds the write after the answer, which no client waits on.
	auditWriteTimeout = 5 * time.Second
)

// auditRecorder collects, while a request is served, what its audit entry needs and only the
// inner handlers know: the signed-in user and the error code of a refusal.
type auditRecorder struct {
	notes fireline.AuditNotes
	mu    sync.Mutex
	user  fireline.User
	code  string
}

const auditKey ctxKey = 100

func auditRecorderFrom(ctx context.Context) *auditRecorder {
	rec, _ := ctx.Value(auditKey).(*auditRecorder)
	return rec
}

// noteAuditUser names the signed-in user in the request's audit entry.
func noteAuditUser(ctx context.Context, u fireline.User) {
	if rec := auditRecorderFrom(ctx); rec != nil {
		rec.mu.Lock()
		rec.user = u
		rec.mu.Unlock()
	}
}

// noteAuditError puts the error code of the answer in the request's audit entry.
func noteAuditError(ctx context.Context, code string) {
	if rec := auditRecorderFrom(ctx); rec != nil {
		rec.mu.Lock()
		rec.code = code
		rec.mu.Unlock()
	}
}

func unsafeMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

// recordAudit writes the audit entry of every unsafe request after its handler has answered.
// A request that matched no route is not recorded, nor one nobody signed in for that was
// refused before it reached its endpoint (no or a forged token, a cross-site request): it
// changed nothing, and anyone could fill the never-pruned log with them. Failed sign-ins are
// recorded: they are who tried to get in, and the login budget bounds them.
func (s *Server) recordAudit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.auditLog == nil || !unsafeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &auditRecorder{}
		body := &capturedBody{ReadCloser: r.Body}
		r.Body = body
		ctx := fireline.WithAuditNotes(context.WithValue(r.Context(), auditKey, rec), &rec.notes)
		r = r.WithContext(ctx)
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)

		// The route is looked up afresh: a request refused by a router's middleware (a role
		// check on /admin) never reached its endpoint, and its context names no route.
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		rctx := chi.NewRouteContext()
		route := s.router.Find(rctx, r.Method, path)
		if route == "" {
			return
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		rec.mu.Lock()
		anonymous := rec.user.Username == ""
		rec.mu.Unlock()
		if anonymous && (status == http.StatusUnauthorized || status == http.StatusForbidden) && route != "/api/v1/auth/login" {
			return
		}
		e := s.auditEvent(r, rec, body, rctx, route, status)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
		defer cancel()
		if err := s.auditLog.AppendAudit(wctx, e); err != nil {
			s.auditFailures.Add(1)
			entry, _ := json.Marshal(e)
			s.log.Error("AUDIT LOG WRITE FAILED: the request was served but its audit entry is only in this log",
				"error", err, "audit_entry", string(entry))
		}
	})
}

// auditEvent builds the entry of the request r that route served with status.
func (s *Server) auditEvent(r *http.Request, rec *auditRecorder, body *capturedBody, rctx *chi.Context, route string, status int) fireline.AuditEvent {
	rec.mu.Lock()
	user, code := rec.user, rec.code
	rec.mu.Unlock()
	e := fireline.AuditEvent{
		At: s.now(), Actor: user.Username, Role: user.Role, RemoteAddr: s.clientIP(r),
		Method: r.Method, Route: route, Entity: routeEntity(route),
		Status: status, ErrorCode: code, RequestID: middleware.GetReqID(r.Context()),
	}
	params := rctx.URLParams
	for i, k := range params.Keys {
		if k == "*" || i >= len(params.Values) {
			continue
		}
		if e.Targets == nil {
			e.Targets = map[string]string{}
		}
		e.Targets[k] = params.Values[i]
	}
	switch {
	case e.Targets["id"] != "":
		e.EntityID = e.Targets["id"]
	case e.Targets["eid"] != "":
		e.EntityID = e.Targets["eid"]
	case e.Targets["identifier"] != "": // a public alert's CAP identifier
		e.EntityID = e.Targets["identifier"]
	case e.Targets["type"] != "" && e.Targets["level"] != "":
		e.EntityID = e.Targets["type"] + "/" + e.Targets["level"]
	}
	if id, before, after, ok := rec.notes.Change(); ok {
		if id != "" {
			e.EntityID = id // a create's id is in its body, not its URL
		}
		e.Before, e.After = auditJSON(before), auditJSON(after)
	}
	e.Request = body.summary(r)
	return e
}

// routeEntity is the kind of record a route is about: its first segment after /api/v1 (and
// after /admin): "incidents", "units", "stations".
func routeEntity(route string) string {
	rest := strings.TrimPrefix(route, "/api/v1/")
	rest = strings.TrimPrefix(rest, "admin/")
	first, _, _ := strings.Cut(rest, "/")
	return first
}

// auditJSON is v as JSON for the entry; nil when there is nothing.
func auditJSON(v any) json.RawMessage {
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		return raw
	}
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	return b
}

// capturedBody keeps the first auditCaptureMax bytes the handler reads of a request body.
type capturedBody struct {
	io.ReadCloser
	buf  bytes.Buffer
	n    int64 // bytes read in all
	done bool  // the body was read to its end
}

func (b *capturedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := auditCaptureMax - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(n, room)])
	}
	b.n += int64(n)
	if errors.Is(err, io.EOF) {
		b.done = true
	}
	return n, err
}

// summary is the body for the audit entry. A handler that refused the request before reading
// it leaves it unread; what was sent is read here, up to what is kept.
func (b *capturedBody) summary(r *http.Request) json.RawMessage {
	if !b.done && b.buf.Len() < auditCaptureMax {
		_, _ = io.Copy(io.Discard, io.LimitReader(b, int64(auditCaptureMax-b.buf.Len())+1))
	}
	if b.n == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	if isJSON && b.done && b.buf.Len() == int(b.n) {
		if s := summariseJSON(b.buf.Bytes()); s != nil {
			return s
		}
	}
	out, _ := json.Marshal(map[string]any{"content_type": mt, "bytes": b.n})
	return out
}

// summariseJSON redacts the secrets of a JSON body and keeps it small: long strings shortened,
// and a body still too large reduced to its field names. nil when it is not JSON.
func summariseJSON(body []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	v = redact(v)
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	if len(out) <= auditSummaryMax {
		return out
	}
	small := map[string]any{"bytes": len(body), "truncated": true}
	if m, ok := v.(map[string]any); ok {
		small["fields"] = slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
	}
	out, _ = json.Marshal(small)
	return out
}

// secretField reports whether a field's name says it holds a secret.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "passwd", "secret", "token", "key", "credential", "authorization"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// personalField reports whether a field's name says it may hold a caller's personal data:
// their number (a call's caller_number, a public report's reporter_number, a callback), their
// name, or what they said or sent (a call's description, a report's text and photo). The audit
// log is kept for good, while personal data is purged after its retention period, so the log
// keeps none: who acted is the point, not who called.
func personalField(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"phone", "mobile", "msisdn", "caller", "reporter", "number", "callback", "description", "text", "photo"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// redact replaces the values of secret and personal fields, at any depth, and shortens long
// strings.
func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch {
			case secretField(k):
				x[k] = "[redacted]"
			case personalField(k):
				x[k] = "[personal]"
			default:
				x[k] = redact(val)
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
		return x
	case string:
		if r := []rune(x); len(r) > auditStringMax {
			return string(r[:auditStringMax]) + "…"
		}
		return x
	}
	return v
}

// clientIP is the address a request came from: the connection's peer, unless that is a trusted
// proxy (Config.TrustedProxies), in which case the nearest address in X-Forwarded-For that is
// not one. An address a client wrote itself is never believed: only what trusted proxies
// appended is read, from the right.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a proxy we trust wrote garbage: the last good address is all we know
		}
		peer = a.Unmap()
		if !s.trusted(peer) {
			break
		}
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	return slices.ContainsFunc(s.cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) })
}

// Reading the audit log.

// defaultAuditEvents is how many entries GET /audit answers without a ?limit=.
const defaultAuditEvents = 100

// auditQuery reads the filters GET /audit and GET /audit/export share.
func (s *Server) auditQuery(r *http.Request) (fireline.AuditQuery, error) {
	if s.auditLog == nil {
		return fireline.AuditQuery{}, fireline.Errorf(fireline.EUNAVAILABLE, "this node keeps no audit log")
	}
	q := r.URL.Query()
	f := fireline.AuditQuery{Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"),
		EntityID: q.Get("entity_id"), Limit: defaultAuditEvents}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, fireline.Errorf(fireline.EINVALID, "%s: %q is not an RFC 3339 time such as 2026-12-04T08:00:00+08:00", p.name, v)
		}
		*p.dst = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return f, fireline.Errorf(fireline.EINVALID, "limit: %q is not a whole number", v)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, fireline.Errorf(fireline.EINVALID, "before: %q is not an audit entry id", v)
		}
		f.BeforeID = n
	}
	return f, f.Validate()
}

// auditEvents answers GET /audit[?from=][&to=][&actor=][&action=][&entity=][&entity_id=]
// [&before=][&limit=]: the newest entries first; before (an entry id) pages back.
func (s *Server) auditEvents(w http.ResponseWriter, r *http.Request) {
	q, err := s.auditQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.auditLog.AuditEvents(r.Context(), q)
	answerList(s, w, r, "entries", v, err)
}

// auditCSVHeader names the export's columns.
var auditCSVHeader = []string{"id", "at", "actor", "role", "remote_addr", "method", "route", "entity", "entity_id",
	"targets", "status", "error_code", "request", "before", "after", "request_id"}

// exportAudit answers GET /audit/export[?from=][&to=]: every entry in the period, oldest first,
// as CSV with a header row, written as it is read. An error after the first row can no longer
// become a problem answer: the export stops short and the log says why.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	q, err := s.auditQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := "fireline-audit"
	if !q.From.IsZero() {
		name += "-from-" + q.From.UTC().Format("20060102T150405Z")
	}
	if !q.To.IsZero() {
		name += "-to-" + q.To.UTC().Format("20060102T150405Z")
	}
	out := NewAuditCSV(w)
	started := false
	start := func() error {
		started = true
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		w.WriteHeader(http.StatusOK)
		return out.Header()
	}
	err = s.auditLog.ExportAudit(r.Context(), q.From, q.To, func(e fireline.AuditEvent) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		if err := out.Write(e); err != nil {
			return err
		}
		if out.Rows()%200 == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
		return nil
	})
	if err != nil && !started {
		s.writeError(w, r, err)
		return
	}
	if !started {
		err = start() // an empty period: the header row alone
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		s.log.Error("audit export stopped short", "rows", out.Rows(), "error", err, "request_id", middleware.GetReqID(r.Context()))
	}
}

// AuditCSV writes audit log entries as CSV: the export of GET /audit/export and of
// fireline audit export.
type AuditCSV struct {
	cw   *csv.Writer
	rows int
}

// NewAuditCSV returns a writer of CSV to w.
func NewAuditCSV(w io.Writer) *AuditCSV { return &AuditCSV{cw: csv.NewWriter(w)} }

// Header writes the header row.
func (a *AuditCSV) Header() error { return a.cw.Write(auditCSVHeader) }

// Write writes one entry's row.
func (a *AuditCSV) Write(e fireline.AuditEvent) error {
	targets := ""
	if len(e.Targets) > 0 {
		b, _ := json.Marshal(e.Targets)
		targets = string(b)
	}
	a.rows++
	return a.cw.Write(csvCells(strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, string(e.Role),
		e.RemoteAddr, e.Method, e.Route, e.Entity, e.EntityID, targets, strconv.Itoa(e.Status), e.ErrorCode,
		string(e.Request), string(e.Before), string(e.After), e.RequestID))
}

// Rows is how many entries have been written.
func (a *AuditCSV) Rows() int { return a.rows }

// Flush writes what is buffered and reports any error of the writes so far.
func (a *AuditCSV) Flush() error {
	a.cw.Flush()
	return a.cw.Error()
}

// csvCells keeps a spreadsheet from reading a cell as a formula: a value an attacker chose
// (a username, a body) that starts with = + - @ or a control character gets a ' in front.
func csvCells(vals ...string) []string {
	for i, v := range vals {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			vals[i] = "'" + v
		}
	}
	return vals
}
