package intake

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// CAPNamespace is the XML namespace of CAP 1.2 alerts.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

// Limits of a CAP alert beyond its size. Real alerts stay far inside them: a national weather
// service's alert has a few infos (one per language), an area or a few each and, in the US, a
// few hundred geocodes. Polygons have no limit of points but the size of the body: real ones
// are traced along borders, rivers and coasts, and tens of thousands of points are no sign of
// an attack (see CAPSimplifyAbove).
const (
	MaxCAPDepth           = 16 // alert/info/area/geocode/value is 5; an XML signature goes to 7
	MaxCAPElements        = 100_000
	MaxCAPInfos           = 16
	MaxCAPAreas           = 64    // per info
	MaxCAPShapes          = 256   // polygons and circles per area
	MaxCAPGeocodes        = 2_000 // per area
	MaxCAPParameters      = 256   // per info, and event codes too
	MaxCAPResources       = 32    // per info
	MaxCAPCodes           = 64
	MaxCAPReferences      = 256
	MaxCAPIDLen           = 256      // identifier, sender
	MaxCAPLongText        = 64 << 10 // description, instruction, note
	MaxCAPText            = 4 << 10  // every other text element
	MaxWarningLife        = 31 * 24 * time.Hour
	maxCAPClockAhead      = 5 * time.Minute
	maxCAPTotalShapes     = 4_096
	capRestrictedIDChars  = " \t\r\n,<&"
	capDateTimeLayoutHint = "2026-11-22T17:00:00+08:00"
)

// CAPSimplifyAbove is the number of points above which a polygon is kept and covered simplified
// to within geo.SimplifyMeters (a tenth of a cell's edge) rather than as sent: the cover then
// differs from the original's by boundary cells at most, the stored alert and the map are not
// weighed down by tens of thousands of points, and the cover takes bounded time. The area
// records each polygon's original number of points, and the raw XML stored with the warning
// keeps the polygon as sent.
const CAPSimplifyAbove = 100

// CAP reads a CAP 1.2 alert (application/cap+xml) and maps the areas of each info onto the
// service area's resolution-7 cells, each with the readiness the info raises there and when it
// runs out. An alert for elsewhere comes back with no cells and InServiceArea false: it is
// recorded all the same. Polygons are filled by cell centre; a circle is a 32-sided polygon
// (geo.Area); a polygon of more than CAPSimplifyAbove points is simplified first. Geocodes are
// kept but draw nothing: Fireline has no gazetteer, so an alert none of whose areas has a
// polygon or circle is recorded with no cells and Unlocated, to be listed as it came.
//
// The XML is refused whole if it carries a DOCTYPE (entity expansion), is not UTF-8, nests
// deeper than MaxCAPDepth or is not a CAP 1.2 alert; every CAP field is checked against its code
// list, and the counts of infos, areas and shapes are capped. The number of points is not: the
// body's size bounds it.
func (in *Intake) CAP(ctx context.Context, body []byte) (fireline.Warning, error) {
	x, err := decodeCAP(body)
	if err != nil {
		return fireline.Warning{}, err
	}
	now := in.now()
	w, err := x.warning(now)
	if err != nil {
		return fireline.Warning{}, err
	}
	area, err := in.area.ServiceArea(ctx)
	if err != nil {
		return fireline.Warning{}, fmt.Errorf("intake: service area: %v", err)
	}
	if err := coverCells(&w, area); err != nil {
		return fireline.Warning{}, err
	}
	return w, nil
}

// decodeCAP checks the XML's structure token by token, then decodes it.
//
// Go's encoding/xml never reads a DTD: it fetches no external entity or DTD (no XXE, no
// server-side request to file:// or http:// URLs) and expands no entity but the five
// predefined ones, so an entity bomb ("billion laughs") cannot expand either. CAP needs no
// DOCTYPE at all, so one is refused outright with its own message, before anything is
// decoded: a feed that sends one is told why, rather than met with an undeclared entity,
// and a later change of XML library cannot bring entity processing back unnoticed.
func decodeCAP(body []byte) (*capAlert, error) {
	switch {
	case len(body) > MaxCAPBytes:
		return nil, fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", MaxCAPBytes)
	case len(bytes.TrimSpace(body)) == 0:
		return nil, invalid("body: empty; a CAP 1.2 alert is required")
	case !utf8.Valid(body):
		return nil, invalid("body: not valid UTF-8; CAP alerts are accepted in UTF-8 only")
	case bytes.IndexByte(body, 0) >= 0:
		return nil, invalid("body: contains a NUL byte, which XML does not allow")
	}
	dec := newCAPDecoder(body)
	depth, elements, root := 0, 0, true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlError(err, dec)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, invalid("body: <!%s…> refused: CAP alerts need no DOCTYPE or entity declarations", firstWord(t))
		case xml.StartElement:
			depth++
			elements++
			switch {
			case depth > MaxCAPDepth:
				return nil, invalid("body: elements nested deeper than %d", MaxCAPDepth)
			case elements > MaxCAPElements:
				return nil, invalid("body: more than %d elements", MaxCAPElements)
			case root && (t.Name.Space != CAPNamespace || t.Name.Local != "alert"):
				return nil, invalid("body: the root element must be <alert> in namespace %s, not <%s> in namespace %q", CAPNamespace, t.Name.Local, t.Name.Space)
			}
			root = false
		case xml.EndElement:
			depth--
		}
	}
	if root {
		return nil, invalid("body: no <alert> element; a CAP 1.2 alert is required")
	}
	var x capAlert
	if err := newCAPDecoder(body).Decode(&x); err != nil {
		return nil, invalid("body: %v", err)
	}
	return &x, nil
}

func newCAPDecoder(body []byte) *xml.Decoder {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	// No CharsetReader: a declared encoding other than UTF-8 is an error.
	return dec
}

func firstWord(d xml.Directive) string {
	s := string(d)
	if i := strings.IndexAny(s, " \t\r\n["); i >= 0 {
		s = s[:i]
	}
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}

func xmlError(err error, dec *xml.Decoder) error {
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		return invalid("body: malformed XML at line %d: %s", se.Line, se.Msg)
	case strings.Contains(err.Error(), "CharsetReader"):
		return invalid("body: only UTF-8 is accepted: %v", err)
	}
	line, _ := dec.InputPos()
	return invalid("body: malformed XML at line %d: %v", line, err)
}

// The XML of a CAP 1.2 alert. Children match by local name; the root's namespace is checked.
type capAlert struct {
	XMLName     xml.Name  `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier  string    `xml:"identifier"`
	Sender      string    `xml:"sender"`
	Sent        string    `xml:"sent"`
	Status      string    `xml:"status"`
	MsgType     string    `xml:"msgType"`
	Source      string    `xml:"source"`
	Scope       string    `xml:"scope"`
	Restriction string    `xml:"restriction"`
	Addresses   string    `xml:"addresses"`
	Codes       []string  `xml:"code"`
	Note        string    `xml:"note"`
	References  string    `xml:"references"`
	Incidents   string    `xml:"incidents"`
	Infos       []capInfo `xml:"info"`
}

type capInfo struct {
	Language      string                `xml:"language"`
	Categories    []string              `xml:"category"`
	Event         string                `xml:"event"`
	ResponseTypes []string              `xml:"responseType"`
	Urgency       string                `xml:"urgency"`
	Severity      string                `xml:"severity"`
	Certainty     string                `xml:"certainty"`
	Audience      string                `xml:"audience"`
	EventCodes    []fireline.NamedValue `xml:"eventCode"`
	Effective     string                `xml:"effective"`
	Onset         string                `xml:"onset"`
	Expires       string                `xml:"expires"`
	SenderName    string                `xml:"senderName"`
	Headline      string                `xml:"headline"`
	Description   string                `xml:"description"`
	Instruction   string                `xml:"instruction"`
	Web           string                `xml:"web"`
	Contact       string                `xml:"contact"`
	Parameters    []fireline.NamedValue `xml:"parameter"`
	Resources     []capResource         `xml:"resource"`
	Areas         []capArea             `xml:"area"`
}

type capResource struct {
	Description string `xml:"resourceDesc"`
	MimeType    string `xml:"mimeType"`
	Size        string `xml:"size"`
	URI         string `xml:"uri"`
	DerefURI    string `xml:"derefUri"`
	Digest      string `xml:"digest"`
}

type capArea struct {
	Description string                `xml:"areaDesc"`
	Polygons    []string              `xml:"polygon"`
	Circles     []string              `xml:"circle"`
	Geocodes    []fireline.NamedValue `xml:"geocode"`
	Altitude    string                `xml:"altitude"`
	Ceiling     string                `xml:"ceiling"`
}

// warning checks every field and builds the domain's warning, without cells.
func (x *capAlert) warning(now time.Time) (fireline.Warning, error) {
	w := fireline.Warning{
		Identifier: x.Identifier, Sender: x.Sender, Status: fireline.CAPStatus(x.Status),
		MsgType: fireline.CAPMsgType(x.MsgType), Source: x.Source, Scope: fireline.CAPScope(x.Scope),
		Restriction: x.Restriction, Addresses: x.Addresses, Note: x.Note, Incidents: x.Incidents,
		Codes: x.Codes, Infos: []fireline.WarningInfo{}, Cells: []fireline.WarningCell{},
	}
	if err := capID("identifier", x.Identifier); err != nil {
		return w, err
	}
	if err := capID("sender", x.Sender); err != nil {
		return w, err
	}
	sent, err := capTime("sent", x.Sent, true)
	if err != nil {
		return w, err
	}
	w.Sent = *sent
	switch {
	case w.Sent.After(now.Add(maxCAPClockAhead)):
		return w, invalid("sent: %s is in the future", x.Sent)
	case !w.Status.Valid():
		return w, invalid("status: %q is not one of Actual, Exercise, System, Test, Draft", x.Status)
	case !w.MsgType.Valid():
		return w, invalid("msgType: %q is not one of Alert, Update, Cancel, Ack, Error", x.MsgType)
	case !w.Scope.Valid():
		return w, invalid("scope: %q is not one of Public, Restricted, Private", x.Scope)
	case w.Scope == fireline.CAPRestricted && strings.TrimSpace(x.Restriction) == "":
		return w, invalid("restriction: required when scope is Restricted")
	case w.Scope == fireline.CAPPrivate && strings.TrimSpace(x.Addresses) == "":
		return w, invalid("addresses: required when scope is Private")
	case len(x.Codes) > MaxCAPCodes:
		return w, invalid("code: %d given, at most %d", len(x.Codes), MaxCAPCodes)
	case len(x.Infos) > MaxCAPInfos:
		return w, invalid("info: %d blocks, at most %d", len(x.Infos), MaxCAPInfos)
	}
	for _, f := range [...]struct {
		name, s string
		max     int
	}{
		{"source", x.Source, MaxCAPText}, {"restriction", x.Restriction, MaxCAPText}, {"addresses", x.Addresses, MaxCAPLongText},
		{"note", x.Note, MaxCAPLongText}, {"incidents", x.Incidents, MaxCAPLongText}, {"references", x.References, MaxCAPLongText},
	} {
		if err := text(f.name, f.s, f.max); err != nil {
			return w, err
		}
	}
	for i, c := range x.Codes {
		if err := text(fmt.Sprintf("code[%d]", i), c, MaxCAPText); err != nil {
			return w, err
		}
	}
	if w.References, err = capReferences(x.References); err != nil {
		return w, err
	}
	if (w.MsgType == fireline.CAPUpdate || w.MsgType == fireline.CAPCancel) && len(w.References) == 0 {
		return w, invalid("references: required for msgType %s: name the alerts it %s", w.MsgType, map[fireline.CAPMsgType]string{fireline.CAPUpdate: "updates", fireline.CAPCancel: "cancels"}[w.MsgType])
	}
	shapes := 0
	for i, xi := range x.Infos {
		info, err := xi.info(fmt.Sprintf("info[%d]", i), w.Sent, &shapes)
		if err != nil {
			return w, err
		}
		w.Infos = append(w.Infos, info)
	}
	w.Expires = w.Sent.Add(fireline.DefaultWarningLife)
	for i, info := range w.Infos {
		if e := info.InfoExpires(w.Sent); i == 0 || e.After(w.Expires) {
			w.Expires = e
		}
		w.Readiness = max(w.Readiness, info.Readiness(w.Status, w.MsgType))
	}
	return w, nil
}

func (xi capInfo) info(at string, sent time.Time, shapes *int) (fireline.WarningInfo, error) {
	info := fireline.WarningInfo{
		Language: xi.Language, Categories: xi.Categories, Event: xi.Event, ResponseTypes: xi.ResponseTypes,
		Urgency: fireline.CAPUrgency(xi.Urgency), Severity: fireline.CAPSeverity(xi.Severity),
		Certainty: fireline.CAPCertainty(xi.Certainty), Audience: xi.Audience, SenderName: xi.SenderName,
		Headline: xi.Headline, Description: xi.Description, Instruction: xi.Instruction, Web: xi.Web, Contact: xi.Contact,
		Areas: []fireline.WarningArea{},
	}
	if info.Certainty == "Very Likely" {
		info.Certainty = "Likely"
	}
	switch {
	case len(xi.Categories) == 0:
		return info, invalid("%s.category: required (one or more of %s)", at, strings.Join(fireline.CAPCategories, ", "))
	case len(xi.Categories) > len(fireline.CAPCategories):
		return info, invalid("%s.category: %d given, at most %d", at, len(xi.Categories), len(fireline.CAPCategories))
	case strings.TrimSpace(xi.Event) == "":
		return info, invalid("%s.event: required", at)
	case !info.Urgency.Valid():
		return info, invalid("%s.urgency: %q is not one of Immediate, Expected, Future, Past, Unknown", at, xi.Urgency)
	case !info.Severity.Valid():
		return info, invalid("%s.severity: %q is not one of Extreme, Severe, Moderate, Minor, Unknown", at, xi.Severity)
	case !info.Certainty.Valid():
		return info, invalid("%s.certainty: %q is not one of Observed, Likely, Possible, Unlikely, Unknown", at, xi.Certainty)
	case len(xi.ResponseTypes) > len(fireline.CAPResponseTypes):
		return info, invalid("%s.responseType: %d given, at most %d", at, len(xi.ResponseTypes), len(fireline.CAPResponseTypes))
	case len(xi.EventCodes) > MaxCAPParameters:
		return info, invalid("%s.eventCode: %d given, at most %d", at, len(xi.EventCodes), MaxCAPParameters)
	case len(xi.Parameters) > MaxCAPParameters:
		return info, invalid("%s.parameter: %d given, at most %d", at, len(xi.Parameters), MaxCAPParameters)
	case len(xi.Resources) > MaxCAPResources:
		return info, invalid("%s.resource: %d given, at most %d", at, len(xi.Resources), MaxCAPResources)
	case len(xi.Areas) > MaxCAPAreas:
		return info, invalid("%s.area: %d given, at most %d", at, len(xi.Areas), MaxCAPAreas)
	}
	for j, c := range xi.Categories {
		if !slices.Contains(fireline.CAPCategories, c) {
			return info, invalid("%s.category[%d]: %q is not one of %s", at, j, c, strings.Join(fireline.CAPCategories, ", "))
		}
	}
	for j, r := range xi.ResponseTypes {
		if !slices.Contains(fireline.CAPResponseTypes, r) {
			return info, invalid("%s.responseType[%d]: %q is not one of %s", at, j, r, strings.Join(fireline.CAPResponseTypes, ", "))
		}
	}
	for _, f := range [...]struct {
		name, s string
		max     int
	}{
		{"language", xi.Language, MaxCAPText}, {"event", xi.Event, MaxCAPText}, {"audience", xi.Audience, MaxCAPText},
		{"senderName", xi.SenderName, MaxCAPText}, {"headline", xi.Headline, MaxCAPText},
		{"description", xi.Description, MaxCAPLongText}, {"instruction", xi.Instruction, MaxCAPLongText},
		{"web", xi.Web, MaxCAPText}, {"contact", xi.Contact, MaxCAPText},
	} {
		if err := text(at+"."+f.name, f.s, f.max); err != nil {
			return info, err
		}
	}
	var err error
	if info.EventCodes, err = capValues(at+".eventCode", xi.EventCodes); err != nil {
		return info, err
	}
	if info.Parameters, err = capValues(at+".parameter", xi.Parameters); err != nil {
		return info, err
	}
	for _, t := range [...]struct {
		name string
		s    string
		dst  **time.Time
	}{{"effective", xi.Effective, &info.Effective}, {"onset", xi.Onset, &info.Onset}, {"expires", xi.Expires, &info.Expires}} {
		if *t.dst, err = capTime(at+"."+t.name, t.s, false); err != nil {
			return info, err
		}
	}
	if info.Expires != nil {
		switch {
		case info.Expires.Before(sent):
			return info, invalid("%s.expires: %s is before the alert was sent", at, xi.Expires)
		case info.Expires.Sub(sent) > MaxWarningLife:
			return info, invalid("%s.expires: %s is more than %d days after the alert was sent", at, xi.Expires, MaxWarningLife/(24*time.Hour))
		}
	}
	for j, r := range xi.Resources {
		res, err := r.resource(fmt.Sprintf("%s.resource[%d]", at, j))
		if err != nil {
			return info, err
		}
		info.Resources = append(info.Resources, res)
	}
	for j, xa := range xi.Areas {
		a, err := xa.area(fmt.Sprintf("%s.area[%d]", at, j), shapes)
		if err != nil {
			return info, err
		}
		info.Areas = append(info.Areas, a)
	}
	return info, nil
}

func (r capResource) resource(at string) (fireline.WarningResource, error) {
	res := fireline.WarningResource{Description: r.Description, MimeType: r.MimeType, URI: r.URI, Digest: r.Digest}
	if strings.TrimSpace(r.Description) == "" {
		return res, invalid("%s.resourceDesc: required", at)
	}
	if strings.TrimSpace(r.MimeType) == "" {
		return res, invalid("%s.mimeType: required", at)
	}
	for _, f := range [...]struct{ name, s string }{
		{"resourceDesc", r.Description}, {"mimeType", r.MimeType}, {"uri", r.URI}, {"digest", r.Digest},
	} {
		if err := text(at+"."+f.name, f.s, MaxCAPText); err != nil {
			return res, err
		}
	}
	// derefUri is the resource itself, base64: it is not kept (the size cap already bounds it).
	if r.Size != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(r.Size), 10, 64)
		if err != nil || n < 0 {
			return res, invalid("%s.size: %q is not a whole number of bytes", at, r.Size)
		}
		res.Size = n
	}
	return res, nil
}

func (xa capArea) area(at string, shapes *int) (fireline.WarningArea, error) {
	a := fireline.WarningArea{Description: xa.Description}
	switch {
	case strings.TrimSpace(xa.Description) == "":
		return a, invalid("%s.areaDesc: required", at)
	case len(xa.Polygons)+len(xa.Circles) > MaxCAPShapes:
		return a, invalid("%s: %d polygons and circles, at most %d", at, len(xa.Polygons)+len(xa.Circles), MaxCAPShapes)
	case len(xa.Geocodes) > MaxCAPGeocodes:
		return a, invalid("%s.geocode: %d given, at most %d", at, len(xa.Geocodes), MaxCAPGeocodes)
	}
	if *shapes += len(xa.Polygons) + len(xa.Circles); *shapes > maxCAPTotalShapes {
		return a, invalid("%s: more than %d polygons and circles in the alert", at, maxCAPTotalShapes)
	}
	if err := text(at+".areaDesc", xa.Description, MaxCAPText); err != nil {
		return a, err
	}
	var err error
	if a.Geocodes, err = capValues(at+".geocode", xa.Geocodes); err != nil {
		return a, err
	}
	// A shape that cannot be read (an empty polygon, a stray character in a point, a ring
	// left open) is set aside with the reason on the area, not a refusal of the alert: the
	// schema lets a sender publish it, and the rest of a real warning still matters.
	simplified := false
	for k, s := range xa.Polygons {
		ring, err := capPolygon(fmt.Sprintf("polygon[%d]", k), s)
		if err != nil {
			a.Problems = append(a.Problems, fireline.ErrorMessage(err))
			continue
		}
		a.PolygonPoints = append(a.PolygonPoints, len(ring))
		if len(ring) > CAPSimplifyAbove {
			ring, simplified = geo.Simplify(ring, geo.SimplifyMeters), true
		}
		a.Polygons = append(a.Polygons, ring)
	}
	if !simplified {
		a.PolygonPoints = nil
	}
	for k, s := range xa.Circles {
		c, err := capCircle(fmt.Sprintf("circle[%d]", k), s)
		if err != nil {
			a.Problems = append(a.Problems, fireline.ErrorMessage(err))
			continue
		}
		a.Circles = append(a.Circles, c)
	}
	for _, f := range [...]struct {
		name, s string
		dst     **float64
	}{{"altitude", xa.Altitude, &a.Altitude}, {"ceiling", xa.Ceiling, &a.Ceiling}} {
		if f.s == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f.s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
			return a, invalid("%s.%s: %q is not a height in feet", at, f.name, f.s)
		}
		*f.dst = &v
	}
	if a.Ceiling != nil && a.Altitude == nil {
		return a, invalid("%s.ceiling: needs altitude too", at)
	}
	return a, nil
}

// capPolygon parses "lat,lon lat,lon …": at least four pairs, the first repeated last.
func capPolygon(at, s string) ([]fireline.Point, error) {
	fields := strings.Fields(s)
	if len(fields) < 4 {
		return nil, invalid("%s: %d points; a CAP polygon needs at least 4, the first repeated last", at, len(fields))
	}
	ring := make([]fireline.Point, len(fields))
	for i, f := range fields {
		p, err := capPoint(fmt.Sprintf("%s point %d", at, i+1), f)
		if err != nil {
			return nil, err
		}
		ring[i] = p
	}
	if ring[0] != ring[len(ring)-1] {
		return nil, invalid("%s: not closed: the first point %s must be repeated last, not %s", at, fields[0], fields[len(fields)-1])
	}
	if n := geo.DistinctPoints(ring, 3); n < 3 {
		return nil, invalid("%s: %d distinct points; a polygon needs at least 3", at, n)
	}
	return ring, nil
}

// capCircle parses "lat,lon radius", the radius in kilometres.
func capCircle(at, s string) (fireline.Circle, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return fireline.Circle{}, invalid("%s: %q is not \"lat,lon radius\"", at, clip(s))
	}
	p, err := capPoint(at+" centre", fields[0])
	if err != nil {
		return fireline.Circle{}, err
	}
	r, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || !(r >= 0 && r <= geo.MaxCircleMeters/1000) {
		return fireline.Circle{}, invalid("%s: radius %q is not 0..%d km", at, clip(fields[1]), geo.MaxCircleMeters/1000)
	}
	return fireline.Circle{Center: p, RadiusKm: r}, nil
}

func capPoint(at, s string) (fireline.Point, error) {
	la, lo, ok := strings.Cut(s, ",")
	if !ok {
		return fireline.Point{}, invalid("%s: %q is not \"lat,lon\"", at, clip(s))
	}
	lat, err1 := strconv.ParseFloat(la, 64)
	lng, err2 := strconv.ParseFloat(lo, 64)
	switch {
	case err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lng):
		return fireline.Point{}, invalid("%s: %q is not \"lat,lon\" in decimal degrees", at, clip(s))
	case lat < -90 || lat > 90:
		return fireline.Point{}, invalid("%s: latitude %v is outside -90..90", at, lat)
	case lng < -360 || lng > 360:
		return fireline.Point{}, invalid("%s: longitude %v is outside -180..180", at, lng)
	case lng < -180:
		// A ring drawn across the antimeridian sometimes steps past it (-180.005): the same
		// meridian, one turn round.
		lng += 360
	case lng > 180:
		lng -= 360
	}
	return fireline.Point{Lat: lat, Lng: lng}, nil
}

func capValues(at string, vs []fireline.NamedValue) ([]fireline.NamedValue, error) {
	for i, v := range vs {
		if err := required(fmt.Sprintf("%s[%d].valueName", at, i), v.Name, MaxCAPText); err != nil {
			return nil, err
		}
		if err := text(fmt.Sprintf("%s[%d].value", at, i), v.Value, MaxCAPText); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// capID checks an identifier or sender: required, no spaces, commas, < or &.
func capID(field, s string) error {
	if err := required(field, s, MaxCAPIDLen); err != nil {
		return err
	}
	if i := strings.IndexAny(s, capRestrictedIDChars); i >= 0 {
		return invalid("%s: %q may not hold spaces, commas, '<' or '&'", field, clip(s))
	}
	return nil
}

// capTime parses a CAP dateTime ("2026-11-22T17:00:00+08:00"). CAP forbids "Z"; it is
// accepted all the same, since it means the same instant.
func capTime(field, s string, need bool) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if need {
			return nil, invalid("%s: required (like %s)", field, capDateTimeLayoutHint)
		}
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 1990 {
		return nil, invalid("%s: %q is not a CAP date and time (like %s)", field, clip(s), capDateTimeLayoutHint)
	}
	return &t, nil
}

// capReferences parses "sender,identifier,sent" triples separated by white space.
func capReferences(s string) ([]fireline.WarningRef, error) {
	fields := strings.Fields(s)
	if len(fields) > MaxCAPReferences {
		return nil, invalid("references: %d given, at most %d", len(fields), MaxCAPReferences)
	}
	var out []fireline.WarningRef
	for i, f := range fields {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
			return nil, invalid("references[%d]: %q is not \"sender,identifier,sent\"", i, clip(f))
		}
		if _, err := capTime(fmt.Sprintf("references[%d] sent", i), parts[2], true); err != nil {
			return nil, err
		}
		out = append(out, fireline.WarningRef{Sender: parts[0], Identifier: parts[1], Sent: parts[2]})
	}
	return out, nil
}

// clip shortens a quoted value in a message: the message names the field, not the payload.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// coverCells maps each info's areas onto the service area and records, per cell, the highest
// readiness and the latest expiry of the infos covering it.
func coverCells(w *fireline.Warning, area *geo.Area) error {
	type mark struct {
		r fireline.Readiness
		e time.Time
	}
	marks := map[geo.Cell]mark{}
	located := false
	for _, info := range w.Infos {
		r, e := info.Readiness(w.Status, w.MsgType), info.InfoExpires(w.Sent)
		for _, a := range info.Areas {
			located = located || len(a.Polygons)+len(a.Circles) > 0
			var cells []geo.Cell
			for _, ring := range a.Polygons {
				cs, err := area.Polygon(ring, nil)
				if err != nil {
					return invalid("area %q: %s", clip(a.Description), fireline.ErrorMessage(err))
				}
				cells = append(cells, cs...)
			}
			for _, c := range a.Circles {
				cs, err := area.Circle(c.Center, c.RadiusKm*1000)
				if err != nil {
					return invalid("area %q: %s", clip(a.Description), fireline.ErrorMessage(err))
				}
				cells = append(cells, cs...)
			}
			for _, c := range cells {
				m, ok := marks[c]
				if !ok || r > m.r {
					m.r = r
				}
				if !ok || e.After(m.e) {
					m.e = e
				}
				marks[c] = m
			}
		}
	}
	keys := make([]geo.Cell, 0, len(marks))
	for c := range marks {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	w.Cells = make([]fireline.WarningCell, len(keys))
	for i, c := range keys {
		w.Cells[i] = fireline.WarningCell{Cell: c.String(), Readiness: marks[c].r, Expires: marks[c].e}
	}
	w.InServiceArea = len(w.Cells) > 0
	w.Unlocated = !located
	return nil
}
