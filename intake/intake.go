// Package intake is the intake desk (Desk) and one adapter per alarm source. An adapter turns
// what its source sends into one validated fireline.Alarm (or, for a CAP 1.2 feed, a
// fireline.Warning): bytes in, domain value out. The desk places the alarm on the grid, stores
// it and hands it to its incident.
//
// Every adapter caps the payload's size before reading it, refuses what is not text (invalid
// UTF-8, NUL bytes), unknown fields, absurd positions and times, and names the field at fault in
// an EINVALID (or ETOOLARGE) *fireline.Error that the API shows as problem JSON. None stores
// anything: the desk stores the result, idempotently on (Source, SourceID), which each adapter
// fills from the source's own event id.
//
// The lookups an adapter needs (a panel's premises, a lamp post's position, the service area)
// arrive through the small interfaces below; intake sees only geo and the domain.
package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// Payload limits. JSON sources send one small object; a real CAP alert with detailed polygons
// runs to hundreds of kilobytes.
const (
	MaxJSONBytes = 64 << 10
	MaxCAPBytes  = 2 << 20
)

// MaxAlarmAge is how old an alarm may be when it arrives: a panel network or SMS gateway may
// hold events through an outage, but an alarm from yesterday is not an emergency to dispatch
// to. Together with the domain's five minutes into the future it keeps a source's broken clock
// from reaching the timeline.
const MaxAlarmAge = 24 * time.Hour

// Registry answers the lookups of the panel and lamp-post adapters. Each returns an ENOTFOUND
// *fireline.Error for an id it does not know.
type Registry interface {
	// Device is a fire-alarm panel by id.
	Device(ctx context.Context, id string) (fireline.Device, error)
	// Pole is a lamp post with an emergency button by id.
	Pole(ctx context.Context, id string) (fireline.Pole, error)
	// Premise is a key premises by id, retired ones included.
	Premise(ctx context.Context, id string) (fireline.Premise, error)
}

// ServiceArea answers the resolution-7 cells a CAP warning may raise readiness in.
type ServiceArea interface {
	ServiceArea(ctx context.Context) (*geo.Area, error)
}

// Intake holds the adapters' lookups. It is safe for concurrent use.
type Intake struct {
	reg  Registry
	area ServiceArea
	now  func() time.Time
}

// New returns the adapters over the given lookups; now is the clock (time.Now when nil).
func New(reg Registry, area ServiceArea, now func() time.Time) *Intake {
	if now == nil {
		now = time.Now
	}
	return &Intake{reg: reg, area: area, now: now}
}

// invalid is the EINVALID error of every adapter.
func invalid(format string, args ...any) error {
	return fireline.Errorf(fireline.EINVALID, format, args...)
}

// decodeJSON reads body, one JSON object of at most MaxJSONBytes, into v, refusing invalid
// UTF-8 (encoding/json would quietly replace it), unknown fields and trailing data, and names
// what is wrong.
func decodeJSON(body []byte, v any) error {
	switch {
	case len(body) > MaxJSONBytes:
		return fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", MaxJSONBytes)
	case len(bytes.TrimSpace(body)) == 0:
		return invalid("body: empty; a JSON object is required")
	case !utf8.Valid(body):
		return invalid("body: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("body: one JSON object expected, found more data after it")
	}
	return StrictJSON(body)
}

// StrictJSON refuses what encoding/json lets through in a body it has decoded: invalid UTF-8,
// which it replaces quietly, and a key given twice in one object, of which it keeps the last
// while another reader (a gateway's log, an auditor's tool) may keep the first. A body must
// mean one thing to every reader.
func StrictJSON(body []byte) error {
	if !utf8.Valid(body) {
		return invalid("body: not valid UTF-8")
	}
	type frame struct {
		keys      map[string]bool // nil for an array
		expectKey bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return invalid("body: %v", err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].expectKey {
				if stack[n-1].keys[t] {
					return invalid("body: key %q appears twice in one object", t)
				}
				stack[n-1].keys[t], stack[n-1].expectKey = true, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

func jsonError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return invalid("body: malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return invalid("body: a JSON object is required, not %s", typeErr.Value)
	case errors.As(err, &typeErr):
		return invalid("%s: expected %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("body: %s", strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body: truncated JSON")
	}
	return invalid("body: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "float64", "int", "int64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	}
	return k
}

// maxClockAhead is how far ahead of ours a source's clock may run, as the domain allows.
const maxClockAhead = 5 * time.Minute

// checkTime checks an alarm's time against the clock: not more than MaxAlarmAge old nor five
// minutes ahead, naming the payload's field.
func checkTime(field string, t, now time.Time) error {
	if t.After(now.Add(maxClockAhead)) {
		return invalid("%s: %s is in the future", field, t.Format(time.RFC3339))
	}
	if now.Sub(t) > MaxAlarmAge {
		return invalid("%s: %s is more than %s ago", field, t.Format(time.RFC3339), MaxAlarmAge)
	}
	return nil
}

// when parses a required RFC 3339 time field and checks it against the clock.
func when(field string, s *string, now time.Time) (time.Time, error) {
	if s == nil {
		return time.Time{}, invalid("%s: required (RFC 3339, like 2026-11-22T17:00:00+08:00)", field)
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, invalid("%s: %q is not an RFC 3339 time (like 2026-11-22T17:00:00+08:00)", field, clip(*s))
	}
	return t, checkTime(field, t, now)
}

// text checks an optional free-text field of at most max bytes: valid UTF-8 without NUL or
// other control characters than tab and newline.
func text(field, s string, max int) error {
	if len(s) > max {
		return invalid("%s: longer than %d bytes", field, max)
	}
	if !utf8.ValidString(s) {
		return invalid("%s: not valid UTF-8 text", field)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return invalid("%s: control character %U is not text", field, r)
		}
	}
	return nil
}

// required is text for a field that must not be blank.
func required(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return invalid("%s: required", field)
	}
	return text(field, s, max)
}

// point builds a position from optional lat and lng, naming the missing one.
func point(lat, lng *float64) (fireline.Point, error) {
	switch {
	case lat == nil:
		return fireline.Point{}, invalid("lat: required")
	case lng == nil:
		return fireline.Point{}, invalid("lng: required")
	}
	p := fireline.Point{Lat: *lat, Lng: *lng}
	if err := p.Validate(); err != nil {
		return fireline.Point{}, invalid("lat/lng: %s", fireline.ErrorMessage(err))
	}
	return p, nil
}

// lookup turns a registry's ENOTFOUND into the payload's fault, naming the field; other
// failures (the database is down) pass through for the API to answer as such.
func lookup(field, id string, err error) error {
	if fireline.ErrorCode(err) == fireline.ENOTFOUND {
		return invalid("%s: %q is not registered", field, id)
	}
	if err != nil {
		return fmt.Errorf("intake: %s %s: %w", field, id, err)
	}
	return nil
}

// finish validates the alarm the adapter built; a failure here is a field the adapter let
// through, named by the domain.
func finish(a fireline.Alarm, now time.Time) (fireline.Alarm, error) {
	if err := checkTime("reported_at", a.ReportedAt, now); err != nil {
		return fireline.Alarm{}, err
	}
	if err := a.Validate(now); err != nil {
		return fireline.Alarm{}, err
	}
	return a, nil
}
