package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

// statusOf maps each error code to one HTTP status: the only such table in the project.
var statusOf = map[string]int{
	fireline.EINVALID:      http.StatusBadRequest,
	fireline.ENOTFOUND:     http.StatusNotFound,
	fireline.ECONFLICT:     http.StatusConflict,
	fireline.EUNAUTHORIZED: http.StatusUnauthorized,
	fireline.EFORBIDDEN:    http.StatusForbidden,
	fireline.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	fireline.ETOOMANY:      http.StatusTooManyRequests,
	fireline.ELOCKED:       http.StatusLocked,
	fireline.EUNAVAILABLE:  http.StatusServiceUnavailable,
	fireline.EINTERNAL:     http.StatusInternalServerError,
	errUnsupportedMedia:    http.StatusUnsupportedMediaType,
	errUnprocessable:       http.StatusUnprocessableEntity,
	errPreconditionFailed:  http.StatusPreconditionFailed,
}

// unavailableRetryAfter is how long a client is asked to wait (Retry-After) when a dependency
// this request needs is down: short, since an outage's first seconds are often all of it, and
// long enough that a surge of retries does not keep the dependency from recovering.
const unavailableRetryAfter = 5 * time.Second

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
	// Code is the Fireline error code (an extension member).
	Code string `json:"code"`
}

// writeError answers err as problem JSON. Our own failures are logged here, once, with their
// detail; the user sees "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := fireline.ErrorCode(err)
	noteAuditError(r.Context(), code)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == fireline.EINTERNAL || code == fireline.EUNAVAILABLE {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if wait, ok := fireline.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(seconds(wait)))
	} else if code == fireline.EUNAVAILABLE {
		w.Header().Set("Retry-After", strconv.Itoa(seconds(unavailableRetryAfter)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fireline"`)
	}
	writeProblem(w, Problem{
		Type:     "urn:fireline:problem:" + code,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   fireline.ErrorMessage(err),
		Instance: r.URL.Path,
		Code:     code,
	})
}

// writeProblem answers p with its status as application/problem+json.
func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Body limits: JSON requests are small; an AVL fix is tiny and arrives every few seconds per
// unit, so it gets a tighter cap; SDP offers with many candidates stay under 128 KiB.
const (
	maxJSONBody     = 64 << 10
	maxPositionBody = 1 << 10
	maxSDPBody      = 128 << 10
)

// decodeJSON reads one JSON object of at most maxJSONBody bytes into v, refusing unknown
// fields and trailing data, and names what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONMax(w, r, v, maxJSONBody)
}

// decodeJSONMax is decodeJSON with a body limit of its own.
func decodeJSONMax(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if err := requireType(r, "application/json"); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return fireline.Errorf(fireline.EINVALID, "body: one JSON object expected, found more data after it")
	}
	return intake.StrictJSON(body)
}

func jsonError(err error) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return fireline.Errorf(fireline.EINVALID, "body: empty; a JSON object is required")
	case errors.As(err, &syntaxErr):
		return fireline.Errorf(fireline.EINVALID, "body: malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fireline.Errorf(fireline.EINVALID, "%s: expected %s", typeErr.Field, typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fireline.Errorf(fireline.EINVALID, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fireline.Errorf(fireline.EINVALID, "body: truncated JSON")
	}
	return fireline.Errorf(fireline.EINVALID, "body: %v", err)
}

// requireType checks the request's media type.
func requireType(r *http.Request, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return &fireline.Error{Code: errUnsupportedMedia, Message: "Content-Type must be " + want}
	}
	return nil
}

// The API's own codes for transport matters, not domain ones: 415, 422 (a WHIP PATCH asking
// for what the session does not support, RFC 9725 §4.3.1) and 412 (a stale If-Match).
const (
	errUnsupportedMedia   = "unsupported_media_type"
	errUnprocessable      = "unprocessable"
	errPreconditionFailed = "precondition_failed"
	// maxSDPFragBody caps a trickle PATCH: a few candidates, never a whole description.
	maxSDPFragBody = 16 << 10
)
