package exchange

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// CAPConfig is how the centre publishes its public alerts.
type CAPConfig struct {
	Sender CAPSender
	// IdentifierPrefix starts every identifier the centre gives its messages.
	IdentifierPrefix string
	// PublicURL is the base URL the feed's links start with (https://alerts.example.cn);
	// empty takes the one the reader asked at.
	PublicURL string
	// FeedSize is how many of the latest messages the feed lists.
	FeedSize int
}

// DefaultCAPConfig is the sample city's centre, writing its times in China Standard Time.
func DefaultCAPConfig() CAPConfig {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*60*60) // no zone database on this machine; China keeps no summer time
	}
	return CAPConfig{
		Sender: CAPSender{Address: "cap-119@liaocheng.fireline.example", Name: "聊城市消防救援支队指挥中心",
			NameEn: "Liaocheng Fire and Rescue Command Centre", Location: loc},
		IdentifierPrefix: "LC119",
		FeedSize:         100,
	}
}

// Validate names the first setting a CAP reader would refuse.
func (c CAPConfig) Validate() error {
	switch {
	case c.Sender.Address == "" || strings.ContainsAny(c.Sender.Address, " \t\r\n,<&"):
		return fireline.Errorf(fireline.EINVALID, "cap sender: %q must be set, without spaces, commas, '<' or '&'", c.Sender.Address)
	case fireline.ValidateID("cap identifier prefix", c.IdentifierPrefix) != nil || len(c.IdentifierPrefix) > 16:
		return fireline.Errorf(fireline.EINVALID, "cap identifier prefix: %q must be 1..16 letters, digits, '-', '_' or '.'", c.IdentifierPrefix)
	case c.FeedSize < 1 || c.FeedSize > fireline.MaxPublicAlertList:
		return fireline.Errorf(fireline.EINVALID, "cap feed size: %d is outside 1..%d", c.FeedSize, fireline.MaxPublicAlertList)
	case c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://"):
		return fireline.Errorf(fireline.EINVALID, "cap public url: %q is not an http(s) URL", c.PublicURL)
	}
	return nil
}

// Publisher issues public alerts about incidents: it draws the area around the incident, writes
// the CAP document and stores it with its timeline event. It implements
// fireline.PublicAlertService.
type Publisher struct {
	cfg       CAPConfig
	incidents fireline.IncidentStore
	alerts    fireline.PublicAlertStore
	log       *slog.Logger
	now       func() time.Time
}

// NewPublisher returns a publisher over the incidents' read model and the alerts' store.
func NewPublisher(cfg CAPConfig, incidents fireline.IncidentStore, alerts fireline.PublicAlertStore, log *slog.Logger) *Publisher {
	if cfg.Sender.Location == nil {
		cfg.Sender.Location = time.UTC
	}
	return &Publisher{cfg: cfg, incidents: incidents, alerts: alerts, log: log.With("component", "cap"), now: time.Now}
}

// SetClock replaces the publisher's clock, for tests.
func (p *Publisher) SetClock(now func() time.Time) { p.now = now }

// PublishAlert sends a new Alert about an open incident.
func (p *Publisher) PublishAlert(ctx context.Context, incidentID int64, params fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	inc, err := p.incidents.Incident(ctx, incidentID)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	if !inc.Status.Open() {
		return fireline.PublicAlert{}, fireline.Errorf(fireline.ECONFLICT, "incident %d is %s: a new public alert is for an open incident", inc.ID, inc.Status)
	}
	params = params.WithDefaults(inc.Type)
	if err := params.Validate(); err != nil {
		return fireline.PublicAlert{}, err
	}
	a := fireline.PublicAlert{IncidentID: inc.ID, MsgType: fireline.CAPAlert, Status: params.Status, Author: actor, Params: params}
	return p.send(ctx, a, inc, nil)
}

// UpdateAlert sends an Update that follows the latest message of identifier's thread.
func (p *Publisher) UpdateAlert(ctx context.Context, identifier string, params fireline.PublicAlertParams, actor string) (fireline.PublicAlert, error) {
	thread, err := p.thread(ctx, identifier)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	latest := thread[0]
	if err := fireline.CanFollow(latest, fireline.CAPUpdate, p.now()); err != nil {
		return fireline.PublicAlert{}, err
	}
	params = params.Merge(latest.Params)
	if err := params.Validate(); err != nil {
		return fireline.PublicAlert{}, err
	}
	inc, err := p.incidents.Incident(ctx, latest.IncidentID)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	a := fireline.PublicAlert{IncidentID: inc.ID, MsgType: fireline.CAPUpdate, Status: latest.Status, Author: actor, Params: params}
	return p.send(ctx, a, inc, thread)
}

// CancelAlert sends the Cancel that ends identifier's thread.
func (p *Publisher) CancelAlert(ctx context.Context, identifier, note, actor string) (fireline.PublicAlert, error) {
	thread, err := p.thread(ctx, identifier)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	latest := thread[0]
	if err := fireline.CanFollow(latest, fireline.CAPCancel, p.now()); err != nil {
		return fireline.PublicAlert{}, err
	}
	params := latest.Params
	params.Note = note
	if err := params.Validate(); err != nil {
		return fireline.PublicAlert{}, err
	}
	inc, err := p.incidents.Incident(ctx, latest.IncidentID)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	a := fireline.PublicAlert{IncidentID: inc.ID, MsgType: fireline.CAPCancel, Status: latest.Status, Author: actor, Params: params}
	return p.send(ctx, a, inc, thread)
}

// thread returns the messages of identifier's thread, newest first.
func (p *Publisher) thread(ctx context.Context, identifier string) ([]fireline.PublicAlert, error) {
	a, err := p.alerts.PublicAlert(ctx, identifier)
	if err != nil {
		return nil, err
	}
	msgs, err := p.alerts.PublicAlerts(ctx, fireline.PublicAlertFilter{Thread: a.Thread, Limit: fireline.MaxPublicAlertList})
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("exchange: alert %s has no thread %s", identifier, a.Thread)
	}
	if len(msgs) == fireline.MaxPublicAlertList {
		return nil, fireline.Errorf(fireline.ECONFLICT, "alert %s has %d messages already: publish a new alert", a.Thread, len(msgs))
	}
	return msgs, nil
}

// send completes a message (identifier, times, references, area), writes its CAP document and
// stores it. thread is the messages it follows, newest first; nil for an Alert.
func (p *Publisher) send(ctx context.Context, a fireline.PublicAlert, inc fireline.Incident, thread []fireline.PublicAlert) (fireline.PublicAlert, error) {
	now := p.now().Truncate(time.Second)
	if len(thread) > 0 && !now.After(thread[0].Sent) {
		// CAP orders a thread by its sent times: a message follows its predecessor's second.
		now = thread[0].Sent.Add(time.Second)
	}
	id, err := p.identifier(inc.ID, now)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	a.Identifier, a.Sender, a.Sent = id, p.cfg.Sender.Address, now
	a.Thread = id
	a.Expires = now.Add(time.Duration(a.Params.ExpiresIn) * time.Second)
	if a.MsgType == fireline.CAPCancel {
		a.Expires = now
	}
	if len(thread) > 0 {
		a.Thread, a.Follows = thread[0].Thread, thread[0].Identifier
		refs := make([]string, 0, len(thread))
		for i := len(thread) - 1; i >= 0; i-- {
			m := thread[i]
			refs = append(refs, m.Sender+","+m.Identifier+","+CAPTime(m.Sent, p.cfg.Sender.Location))
		}
		a.References = strings.Join(refs, " ")
	}
	var area Area
	if a.MsgType != fireline.CAPCancel {
		if area, err = p.area(inc, a.Params.RadiusM); err != nil {
			return fireline.PublicAlert{}, err
		}
	}
	doc, err := EncodeCAP(a, area, p.cfg.Sender)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	a.XML = string(doc)
	out, err := p.alerts.AddPublicAlert(ctx, a)
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	p.log.Info("public alert sent", "incident", out.IncidentID, "identifier", out.Identifier, "msg_type", out.MsgType,
		"status", out.Status, "follows", out.Follows, "actor", out.Author)
	return out, nil
}

// area draws the outline of the disk of cells around the incident that covers radiusM.
func (p *Publisher) area(inc fireline.Incident, radiusM float64) (Area, error) {
	cells, err := geo.DiskAround(inc.Point, radiusM)
	if err != nil {
		return Area{}, err
	}
	ring, err := geo.Outline(cells)
	if err != nil {
		return Area{}, err
	}
	where := inc.Address
	if where == "" {
		where = fmt.Sprintf("%.5f,%.5f", inc.Point.Lat, inc.Point.Lng)
	}
	km := fmt.Sprintf("%.1f", radiusM/1000)
	return Area{Desc: where + " 周边" + km + "公里", DescEn: "Within " + km + " km of " + where, Ring: ring}, nil
}

// identifier is unique to the centre and never reused: its prefix, the incident, the second
// it was sent (UTC) and 48 random bits, so two messages sent in the same second differ.
func (p *Publisher) identifier(incidentID int64, at time.Time) (string, error) {
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("exchange: identifier: %w", err)
	}
	return fmt.Sprintf("%s-%d-%s-%s", p.cfg.IdentifierPrefix, incidentID, at.UTC().Format("20060102T150405Z"), hex.EncodeToString(r[:])), nil
}

// IncidentAlerts lists an incident's messages, newest first.
func (p *Publisher) IncidentAlerts(ctx context.Context, incidentID int64) ([]fireline.PublicAlert, error) {
	if _, err := p.incidents.Incident(ctx, incidentID); err != nil {
		return nil, err
	}
	return p.alerts.PublicAlerts(ctx, fireline.PublicAlertFilter{IncidentID: incidentID, Limit: fireline.MaxPublicAlertList})
}

// AlertDocument is a message's CAP document as it was sent.
func (p *Publisher) AlertDocument(ctx context.Context, identifier string) ([]byte, error) {
	a, err := p.alerts.PublicAlert(ctx, identifier)
	if err != nil {
		return nil, err
	}
	return []byte(a.XML), nil
}

// AlertFeed is the Atom feed of the latest messages.
func (p *Publisher) AlertFeed(ctx context.Context, base string) ([]byte, error) {
	alerts, err := p.alerts.PublicAlerts(ctx, fireline.PublicAlertFilter{Limit: p.cfg.FeedSize})
	if err != nil {
		return nil, err
	}
	if p.cfg.PublicURL != "" {
		base = p.cfg.PublicURL
	}
	return EncodeFeed(alerts, base, p.cfg.Sender, p.now())
}
