package exchange

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// AtomNamespace is the XML namespace of Atom 1.0 (RFC 4287).
const AtomNamespace = "http://www.w3.org/2005/Atom"

// CAPMediaType is the media type of a CAP document, as the feed's links name it.
const CAPMediaType = "application/cap+xml"

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name  string `xml:"name"`
	Email string `xml:"email,omitempty"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    string         `xml:"summary"`
}

// AlertURL is where a message's CAP document is served, below base.
func AlertURL(base, identifier string) string {
	return strings.TrimRight(base, "/") + "/cap/alerts/" + identifier + ".xml"
}

// EncodeFeed writes the messages, newest first as given, as an Atom 1.0 feed whose entries
// link their CAP documents below base (an absolute URL: https://host). Every message is its
// own entry, an Update or Cancel as much as an Alert, so a reader that polls sees each one
// once; an expired or cancelled alert stays listed as it was sent, its summary saying until
// when it was in force, and its Cancel beside it. now stamps an empty feed.
func EncodeFeed(alerts []fireline.PublicAlert, base string, from CAPSender, now time.Time) ([]byte, error) {
	base = strings.TrimRight(base, "/")
	updated := now
	if len(alerts) > 0 {
		updated = alerts[0].Sent
	}
	f := atomFeed{
		ID:      "urn:fireline:cap-feed:" + from.Address,
		Title:   from.Name + " public alerts",
		Updated: updated.UTC().Format(time.RFC3339),
		Author:  atomPerson{Name: from.Name, Email: emailOf(from.Address)},
		Links:   []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/cap/feed.atom"}},
	}
	if from.NameEn != "" {
		f.Title = from.Name + " " + from.NameEn + " public alerts"
	}
	for _, a := range alerts {
		title := a.Params.Headline
		summary := fmt.Sprintf("%s %s (%s): %s; in force until %s", a.MsgType, a.Identifier, a.Status, a.Params.Event,
			CAPTime(a.Expires, from.Location))
		if a.MsgType == fireline.CAPCancel {
			title = "Cancel: " + title
			summary = fmt.Sprintf("Cancel %s of alert %s (%s)", a.Identifier, a.Thread, a.Status)
			if a.Params.Note != "" {
				summary += ": " + a.Params.Note
			}
		} else if a.MsgType == fireline.CAPUpdate {
			title = "Update: " + title
		}
		f.Entries = append(f.Entries, atomEntry{
			ID: "urn:fireline:cap:" + a.Identifier, Title: title,
			Updated: a.Sent.UTC().Format(time.RFC3339), Published: a.Sent.UTC().Format(time.RFC3339),
			Links:      []atomLink{{Rel: "alternate", Type: CAPMediaType, Href: AlertURL(base, a.Identifier)}},
			Categories: []atomCategory{{Term: string(a.MsgType)}},
			Summary:    summary,
		})
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("exchange: encode the alert feed: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// emailOf is the sender address when it is an e-mail address, as CAP advises it be.
func emailOf(address string) string {
	if strings.Contains(address, "@") {
		return address
	}
	return ""
}
