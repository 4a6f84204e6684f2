package exchange_test

import (
	"context"
	"encoding/xml"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/exchange"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
)

// The hazmat leak at the chemical park, in Liaocheng.
var leak = fireline.Incident{ID: 42, Type: fireline.TypeHazmat, Level: 2, Status: fireline.IncidentActive,
	Point: fireline.Point{Lat: 36.4712, Lng: 115.9633}, Address: "聊城化工园区 东昌路 8 号"}

// incidents is the read model with the one incident.
type incidents struct {
	fireline.IncidentStore
	inc fireline.Incident
}

func (f *incidents) Incident(_ context.Context, id int64) (fireline.Incident, error) {
	if id != f.inc.ID {
		return fireline.Incident{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	return f.inc, nil
}

// alertStore keeps messages in memory with the rules the PostgreSQL store keeps: identifiers
// unique, a message followed once, nothing after a Cancel.
type alertStore struct {
	mu   sync.Mutex
	msgs []fireline.PublicAlert
}

func (s *alertStore) AddPublicAlert(_ context.Context, a fireline.PublicAlert) (fireline.PublicAlert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.Identifier == a.Identifier || a.Follows != "" && m.Follows == a.Follows {
			return a, fireline.Errorf(fireline.ECONFLICT, "taken")
		}
		if m.Identifier == a.Follows {
			if err := fireline.CanFollow(m, a.MsgType, a.Sent); err != nil {
				return a, err
			}
		}
	}
	a.ID = int64(len(s.msgs) + 1)
	s.msgs = append(s.msgs, a)
	return a, nil
}

func (s *alertStore) PublicAlert(_ context.Context, id string) (fireline.PublicAlert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.Identifier == id {
			return m, nil
		}
	}
	return fireline.PublicAlert{}, fireline.Errorf(fireline.ENOTFOUND, "no alert %s", id)
}

func (s *alertStore) PublicAlerts(_ context.Context, f fireline.PublicAlertFilter) ([]fireline.PublicAlert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fireline.PublicAlert
	for _, m := range slices.Backward(s.msgs) {
		if (f.IncidentID == 0 || m.IncidentID == f.IncidentID) && (f.Thread == "" || m.Thread == f.Thread) {
			out = append(out, m)
		}
	}
	return out, nil
}

var capT0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func newPublisher(t *testing.T) (*exchange.Publisher, *alertStore, *time.Time) {
	t.Helper()
	store := &alertStore{}
	p := exchange.NewPublisher(exchange.DefaultCAPConfig(), &incidents{inc: leak}, store, slog.New(slog.DiscardHandler))
	clock := capT0
	p.SetClock(func() time.Time { return clock })
	return p, store, &clock
}

var evacuate = fireline.PublicAlertParams{
	Event: "危险化学品泄漏", Headline: "化工园区氨气泄漏，请立即撤离", Description: "东昌路化工园区一储罐氨气泄漏。",
	Instruction: "下风向居民请关闭门窗，向东撤离。", RadiusM: 1500, ExpiresIn: 3 * 3600,
	English: &fireline.PublicAlertText{Event: "Hazardous materials leak", Headline: "Ammonia leak at the chemical park: evacuate now",
		Description: "A storage tank is leaking ammonia.", Instruction: "Downwind residents: close windows and leave eastwards."},
}

// publishThread publishes an Alert, updates it and cancels it, a minute apart.
func publishThread(t *testing.T) (p *exchange.Publisher, alert, update, cancel fireline.PublicAlert) {
	t.Helper()
	p, _, clock := newPublisher(t)
	ctx := context.Background()
	alert, err := p.PublishAlert(ctx, leak.ID, evacuate, "op1")
	if err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute)
	update, err = p.UpdateAlert(ctx, alert.Identifier, fireline.PublicAlertParams{Headline: "氨气泄漏扩大，撤离范围扩至3公里", RadiusM: 3000, Note: "wind shifted"}, "sup1")
	if err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute)
	cancel, err = p.CancelAlert(ctx, alert.Identifier, "leak stopped; all clear", "sup1")
	if err != nil {
		t.Fatal(err)
	}
	return p, alert, update, cancel
}

// TestPublishedCAPValidates: the Alert, its Update and its Cancel pass the OASIS CAP 1.2 schema.
func TestPublishedCAPValidates(t *testing.T) {
	xsd := filepath.Join("..", "..", "shared", "data", "cap", "CAP-v1.2-schema.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("CAP schema not found at %s", xsd)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	_, alert, update, cancel := publishThread(t)
	dir := t.TempDir()
	for _, m := range []fireline.PublicAlert{alert, update, cancel} {
		f := filepath.Join(dir, string(m.MsgType)+".xml")
		if err := os.WriteFile(f, []byte(m.XML), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s\n%s", m.MsgType, err, out, m.XML)
		}
	}
}

// TestPublishedCAPShape: what the schema cannot check: CAP's dateTime, the references of an
// Update and a Cancel, both languages, the sender.
func TestPublishedCAPShape(t *testing.T) {
	_, alert, update, cancel := publishThread(t)
	capTime := regexp.MustCompile(`<sent>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d</sent>`)
	for _, m := range []fireline.PublicAlert{alert, update, cancel} {
		if !capTime.MatchString(m.XML) {
			t.Errorf("%s: sent is not CAP's dateTime:\n%s", m.MsgType, m.XML)
		}
		if !strings.Contains(m.XML, "<sender>cap-119@liaocheng.fireline.example</sender>") || m.Thread != alert.Identifier {
			t.Errorf("%s: sender or thread wrong: %s %s", m.MsgType, m.Sender, m.Thread)
		}
	}
	if !strings.Contains(alert.XML, "<sent>2026-11-22T17:30:00+08:00</sent>") {
		t.Errorf("alert sent in China Standard Time:\n%s", alert.XML)
	}
	ref := alert.Sender + "," + alert.Identifier + ",2026-11-22T17:30:00+08:00"
	if update.References != ref || update.Follows != alert.Identifier {
		t.Errorf("update references %q follows %q, want %q", update.References, update.Follows, ref)
	}
	if want := ref + " " + update.Sender + "," + update.Identifier + ",2026-11-22T17:31:00+08:00"; cancel.References != want || cancel.Follows != update.Identifier {
		t.Errorf("cancel references %q follows %q, want %q", cancel.References, cancel.Follows, want)
	}
	for _, s := range []string{"<language>zh-CN</language>", "<language>en-US</language>", "<category>CBRNE</category>",
		"<urgency>Immediate</urgency>", "<severity>Severe</severity>", "<certainty>Observed</certainty>", "<expires>2026-11-22T20:30:00+08:00</expires>"} {
		if !strings.Contains(alert.XML, s) {
			t.Errorf("alert lacks %s:\n%s", s, alert.XML)
		}
	}
	// The update keeps what it did not change, the English texts among them.
	if update.Params.Event != evacuate.Event || update.Params.English == nil || update.Params.RadiusM != 3000 {
		t.Errorf("update params %+v", update.Params)
	}
	if strings.Contains(cancel.XML, "<info>") || !strings.Contains(cancel.XML, "<note>leak stopped; all clear</note>") {
		t.Errorf("cancel:\n%s", cancel.XML)
	}
}

// serviceArea is the resolution-7 cells within 30 km of the city.
type serviceArea struct{ a *geo.Area }

func (s serviceArea) ServiceArea(context.Context) (*geo.Area, error) { return s.a, nil }

// TestPublishedCAPReadsBack: Fireline's own CAP intake takes each message, and the area of the
// Alert and Update covers the incident's cell.
func TestPublishedCAPReadsBack(t *testing.T) {
	_, alert, update, cancel := publishThread(t)
	centre, _ := geo.CellOf(leak.Point, 7)
	disk, _ := geo.Disk(centre, 10)
	area, err := geo.NewArea(disk)
	if err != nil {
		t.Fatal(err)
	}
	in := intake.New(nil, serviceArea{area}, func() time.Time { return capT0.Add(5 * time.Minute) })
	for _, m := range []fireline.PublicAlert{alert, update} {
		w, err := in.CAP(context.Background(), []byte(m.XML))
		if err != nil {
			t.Fatalf("%s: %v", m.MsgType, err)
		}
		if w.Identifier != m.Identifier || w.MsgType != m.MsgType || len(w.Infos) != 2 || !w.InServiceArea {
			t.Fatalf("%s read back as %+v", m.MsgType, w)
		}
		covered := false
		for _, c := range w.Cells {
			covered = covered || c.Cell == centre.String()
		}
		if !covered {
			t.Errorf("%s: the area leaves out the incident's cell %s: %+v", m.MsgType, centre, w.Cells)
		}
		// At the incidents' own resolution too.
		own, _ := geo.CellOf(leak.Point, geo.Resolution)
		ring := w.Infos[0].Areas[0].Polygons[0]
		fine, _ := geo.Disk(own, 3)
		fineArea, _ := geo.NewArea(fine)
		if cells, err := fineArea.Polygon(ring, nil); err != nil || !slices.Contains(cells, own) {
			t.Errorf("%s: the polygon does not cover the incident's cell %s (%v)", m.MsgType, own, err)
		}
	}
	w, err := in.CAP(context.Background(), []byte(cancel.XML))
	if err != nil {
		t.Fatal(err)
	}
	if w.MsgType != fireline.CAPCancel || len(w.References) != 2 || w.References[0].Identifier != alert.Identifier || w.Readiness != fireline.ReadinessNone {
		t.Errorf("cancel read back as %+v", w)
	}
}

// TestAlertRules: nothing follows a Cancel, an expired alert is not updated, a closed
// incident gets no new alert, and bad parameters are named.
func TestAlertRules(t *testing.T) {
	ctx := context.Background()
	p, _, alert, _ := publishThread(t)
	if _, err := p.UpdateAlert(ctx, alert.Identifier, fireline.PublicAlertParams{Headline: "again"}, "op1"); fireline.ErrorCode(err) != fireline.ECONFLICT {
		t.Errorf("update after cancel: %v, want ECONFLICT", err)
	}
	if _, err := p.CancelAlert(ctx, alert.Identifier, "", "op1"); fireline.ErrorCode(err) != fireline.ECONFLICT {
		t.Errorf("cancel after cancel: %v, want ECONFLICT", err)
	}

	p, _, clock := newPublisher(t)
	a, err := p.PublishAlert(ctx, leak.ID, fireline.PublicAlertParams{Event: "火灾", Headline: "浓烟", ExpiresIn: 600}, "op1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Params.Category != "CBRNE" || a.Params.RadiusM != fireline.DefaultAlertRange || a.Status != fireline.CAPActual {
		t.Errorf("defaults for a hazmat incident: %+v", a.Params)
	}
	*clock = clock.Add(11 * time.Minute)
	if _, err := p.UpdateAlert(ctx, a.Identifier, fireline.PublicAlertParams{}, "op1"); fireline.ErrorCode(err) != fireline.ECONFLICT {
		t.Errorf("update after expiry: %v, want ECONFLICT", err)
	}
	if _, err := p.CancelAlert(ctx, a.Identifier, "", "op1"); err != nil {
		t.Errorf("cancel after expiry: %v", err)
	}
	for name, params := range map[string]fireline.PublicAlertParams{
		"no headline":    {Event: "x"},
		"radius too big": {Event: "x", Headline: "y", RadiusM: 50_000},
		"forever":        {Event: "x", Headline: "y", ExpiresIn: 30 * 24 * 3600},
		"urgency":        {Event: "x", Headline: "y", Urgency: "Now"},
		"category":       {Event: "x", Headline: "y", Category: "Smoke"},
		"status":         {Event: "x", Headline: "y", Status: "Test"},
		"english":        {Event: "x", Headline: "y", English: &fireline.PublicAlertText{Event: "x"}},
	} {
		if _, err := p.PublishAlert(ctx, leak.ID, params, "op1"); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if _, err := p.PublishAlert(ctx, 9, evacuate, "op1"); fireline.ErrorCode(err) != fireline.ENOTFOUND {
		t.Errorf("no incident: %v, want ENOTFOUND", err)
	}
	closed := leak
	closed.Status = fireline.IncidentClosed
	p = exchange.NewPublisher(exchange.DefaultCAPConfig(), &incidents{inc: closed}, &alertStore{}, slog.New(slog.DiscardHandler))
	if _, err := p.PublishAlert(ctx, leak.ID, evacuate, "op1"); fireline.ErrorCode(err) != fireline.ECONFLICT {
		t.Errorf("closed incident: %v, want ECONFLICT", err)
	}
}

// TestAlertFeed: the Atom feed parses and lists every message newest first, each linking its
// CAP document.
func TestAlertFeed(t *testing.T) {
	p, alert, update, cancel := publishThread(t)
	b, err := p.AlertFeed(context.Background(), "https://alerts.example.cn/")
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
			Link  struct {
				Href string `xml:"href,attr"`
				Type string `xml:"type,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(b, &feed); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	want := []fireline.PublicAlert{cancel, update, alert}
	if len(feed.Entries) != len(want) || feed.Updated != cancel.Sent.UTC().Format(time.RFC3339) {
		t.Fatalf("feed:\n%s", b)
	}
	for i, m := range want {
		e := feed.Entries[i]
		if e.Link.Href != "https://alerts.example.cn/cap/alerts/"+m.Identifier+".xml" || e.Link.Type != "application/cap+xml" || !strings.HasSuffix(e.ID, m.Identifier) {
			t.Errorf("entry %d: %+v, want %s", i, e, m.Identifier)
		}
	}
	if !strings.HasPrefix(feed.Entries[0].Title, "Cancel: ") {
		t.Errorf("cancel entry titled %q", feed.Entries[0].Title)
	}
	doc, err := p.AlertDocument(context.Background(), update.Identifier)
	if err != nil || string(doc) != update.XML {
		t.Errorf("document of the update: %v", err)
	}
}
