package exchange

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// CAPNamespace is the XML namespace of CAP 1.2.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

// capTimeLayout is CAP's dateTime: a numeric zone, never "Z", and no fractional seconds
// (the schema's pattern \d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d).
const capTimeLayout = "2006-01-02T15:04:05-07:00"

// CAPTime formats t as CAP wants it, in the zone loc (UTC when nil), to the second.
func CAPTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Truncate(time.Second).Format(capTimeLayout)
}

// Area is where a public alert applies: its description in Chinese and English and the
// outline that draws it, a closed ring of WGS-84 points.
type Area struct {
	Desc, DescEn string
	Ring         []fireline.Point
}

// CAPSender is who the messages are from.
type CAPSender struct {
	// Address is the centre's CAP sender: unique to it, without spaces, commas, '<' or '&'.
	Address string
	// Name and NameEn are the centre's names for people, in Chinese and English.
	Name, NameEn string
	// Location is the zone the times are written in.
	Location *time.Location
}

// The CAP 1.2 alert, its elements in the order of the schema's sequences: encoding/xml writes
// fields in declaration order.
type capAlert struct {
	XMLName    xml.Name  `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string    `xml:"identifier"`
	Sender     string    `xml:"sender"`
	Sent       string    `xml:"sent"`
	Status     string    `xml:"status"`
	MsgType    string    `xml:"msgType"`
	Source     string    `xml:"source,omitempty"`
	Scope      string    `xml:"scope"`
	Note       string    `xml:"note,omitempty"`
	References string    `xml:"references,omitempty"`
	Incidents  string    `xml:"incidents,omitempty"`
	Infos      []capInfo `xml:"info"`
}

type capInfo struct {
	Language    string                `xml:"language"`
	Category    string                `xml:"category"`
	Event       string                `xml:"event"`
	Urgency     string                `xml:"urgency"`
	Severity    string                `xml:"severity"`
	Certainty   string                `xml:"certainty"`
	Expires     string                `xml:"expires"`
	SenderName  string                `xml:"senderName,omitempty"`
	Headline    string                `xml:"headline"`
	Description string                `xml:"description,omitempty"`
	Instruction string                `xml:"instruction,omitempty"`
	Parameters  []fireline.NamedValue `xml:"parameter"`
	Area        capArea               `xml:"area"`
}

type capArea struct {
	Desc    string `xml:"areaDesc"`
	Polygon string `xml:"polygon"`
}

// EncodeCAP writes a public alert message as a CAP 1.2 document. An Alert or Update carries
// one info in Chinese (zh-CN) and, when the parameters have English texts, a second in
// English (en-US), each with the area; a Cancel carries its note and references only, since
// it withdraws what they named.
func EncodeCAP(a fireline.PublicAlert, area Area, from CAPSender) ([]byte, error) {
	switch {
	case a.Identifier == "" || strings.ContainsAny(a.Identifier, " \t\r\n,<&"):
		return nil, fireline.Errorf(fireline.EINVALID, "identifier: %q is not a CAP identifier", a.Identifier)
	case from.Address == "" || strings.ContainsAny(from.Address, " \t\r\n,<&"):
		return nil, fireline.Errorf(fireline.EINVALID, "sender: %q is not a CAP sender", from.Address)
	case a.MsgType != fireline.CAPAlert && a.MsgType != fireline.CAPUpdate && a.MsgType != fireline.CAPCancel:
		return nil, fireline.Errorf(fireline.EINVALID, "msgType: %q is not Alert, Update or Cancel", a.MsgType)
	case a.MsgType != fireline.CAPAlert && a.References == "":
		return nil, fireline.Errorf(fireline.EINVALID, "references: an %s names the messages it follows", a.MsgType)
	}
	x := capAlert{
		Identifier: a.Identifier, Sender: from.Address, Sent: CAPTime(a.Sent, from.Location),
		Status: string(a.Status), MsgType: string(a.MsgType), Scope: string(fireline.CAPPublic),
		Note: a.Params.Note, References: a.References, Incidents: fmt.Sprintf("incident-%d", a.IncidentID),
	}
	if a.MsgType != fireline.CAPCancel {
		polygon, err := Polygon(area.Ring)
		if err != nil {
			return nil, err
		}
		p := a.Params
		info := func(lang, event, headline, desc, instr, areaDesc, name string) capInfo {
			return capInfo{
				Language: lang, Category: p.Category, Event: event, Urgency: string(p.Urgency),
				Severity: string(p.Severity), Certainty: string(p.Certainty), Expires: CAPTime(a.Expires, from.Location),
				SenderName: name, Headline: headline, Description: desc, Instruction: instr,
				Parameters: []fireline.NamedValue{{Name: "radius_m", Value: fmt.Sprintf("%.0f", p.RadiusM)}},
				Area:       capArea{Desc: areaDesc, Polygon: polygon},
			}
		}
		x.Infos = append(x.Infos, info("zh-CN", p.Event, p.Headline, p.Description, p.Instruction, area.Desc, from.Name))
		if en := p.English; en != nil {
			x.Infos = append(x.Infos, info("en-US", en.Event, en.Headline, en.Description, en.Instruction, area.DescEn, from.NameEn))
		}
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(x); err != nil {
		return nil, fmt.Errorf("exchange: encode CAP %s: %w", a.Identifier, err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Polygon writes a closed ring as a CAP polygon: "lat,lon" pairs separated by spaces, six
// decimals (a tenth of a metre), the first pair repeated last, at least four pairs.
func Polygon(ring []fireline.Point) (string, error) {
	pairs := make([]string, 0, len(ring)+1)
	for _, p := range ring {
		if err := p.Validate(); err != nil {
			return "", err
		}
		s := fmt.Sprintf("%.6f,%.6f", p.Lat, p.Lng)
		if len(pairs) > 0 && pairs[len(pairs)-1] == s {
			continue // two vertices closer than the precision are one
		}
		pairs = append(pairs, s)
	}
	if len(pairs) > 0 && pairs[0] != pairs[len(pairs)-1] {
		pairs = append(pairs, pairs[0])
	}
	if len(pairs) < 4 {
		return "", fireline.Errorf(fireline.EINVALID, "polygon: %d points; CAP needs at least 4, the first repeated last", len(pairs))
	}
	return strings.Join(pairs, " "), nil
}
