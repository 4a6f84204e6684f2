package e2e

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestPublicAlertThroughTheStack publishes public alerts about a hazmat incident through the
// real binary: an operator's Alert, a supervisor's Update and Cancel over the API, each a
// timeline event; an Update after the Cancel refused; the Atom feed read without credentials,
// every document it links fetched and checked against the OASIS CAP 1.2 schema. Then an
// operator does the same from the console's incident panel (e2e/browser/publicalert.test.mjs).
func TestPublicAlertThroughTheStack(t *testing.T) {
	s := newStack(t)
	s.start()
	op, sup := s.login("operator"), s.login("supervisor")

	open := func(id string, p fireline.Point) int64 {
		var receipt struct {
			IncidentID int64 `json:"incident_id"`
		}
		s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
			"source": "call", "source_id": id, "type": "hazmat", "lat": p.Lat, "lng": p.Lng,
			"address": "Chemical park, Dongchang Rd 8", "description": "ammonia smell from a tank", "caller": "Wang",
			"reported_at": time.Now().UTC().Add(-10 * time.Second).Format(time.RFC3339),
		}, &receipt)
		return receipt.IncidentID
	}
	id := open("e2e-cap-1", scene)
	var alert, update, cancel fireline.PublicAlert
	s.must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/incidents/%d/alerts", id), op, map[string]any{
		"event": "危险化学品泄漏", "headline": "化工园区氨气泄漏，请立即撤离", "instruction": "向东撤离", "radius_m": 1500, "expires_in": 3600,
		"en": map[string]string{"event": "Hazmat leak", "headline": "Ammonia leak: evacuate", "description": "", "instruction": "Leave eastwards"},
	}, &alert)
	s.must(http.StatusCreated, "POST", "/api/v1/alerts/"+alert.Identifier+"/update", sup, map[string]any{"radius_m": 3000, "note": "wind shifted"}, &update)
	s.must(http.StatusCreated, "POST", "/api/v1/alerts/"+update.Identifier+"/cancel", sup, map[string]any{"note": "leak stopped"}, &cancel)
	if code, raw := s.call("POST", "/api/v1/alerts/"+alert.Identifier+"/update", op, map[string]any{"headline": "again"}, nil); code != http.StatusConflict {
		t.Fatalf("update after the cancel: %d %s, want 409", code, raw)
	}
	if update.Follows != alert.Identifier || cancel.Follows != update.Identifier || cancel.Thread != alert.Identifier {
		t.Fatalf("thread: alert %s, update follows %s, cancel follows %s of %s", alert.Identifier, update.Follows, cancel.Follows, cancel.Thread)
	}
	var timeline struct {
		Events []fireline.TimelineEvent `json:"events"`
	}
	s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline", id), op, nil, &timeline)
	n := 0
	for _, e := range timeline.Events {
		if e.Kind == fireline.EventPublicAlert {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d public alert events on the timeline, want 3", n)
	}

	// The public's side: no token.
	code, raw := s.call("GET", "/cap/feed.atom", "", nil, nil)
	var feed struct {
		Entries []struct {
			ID   string `xml:"id"`
			Link struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(raw, &feed); code != http.StatusOK || err != nil || len(feed.Entries) != 3 {
		t.Fatalf("feed: %d %v\n%s", code, err, raw)
	}
	xsd, _ := filepath.Abs(filepath.Join("..", "..", "shared", "data", "cap", "CAP-v1.2-schema.xsd"))
	_, schemaErr := os.Stat(xsd)
	_, lintErr := exec.LookPath("xmllint")
	for i, want := range []fireline.PublicAlert{cancel, update, alert} {
		href := feed.Entries[i].Link.Href
		if !strings.HasPrefix(href, s.base+"/cap/alerts/") || !strings.HasSuffix(href, want.Identifier+".xml") {
			t.Fatalf("entry %d links %s, want %s's document", i, href, want.Identifier)
		}
		code, doc := s.call("GET", strings.TrimPrefix(href, s.base), "", nil, nil)
		if code != http.StatusOK || !strings.Contains(string(doc), "<identifier>"+want.Identifier+"</identifier>") {
			t.Fatalf("document %s: %d %s", href, code, doc)
		}
		if schemaErr != nil || lintErr != nil {
			t.Logf("not validated: schema %v, xmllint %v", schemaErr, lintErr)
			continue
		}
		f := filepath.Join(t.TempDir(), want.Identifier+".xml")
		if err := os.WriteFile(f, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
			t.Errorf("%s does not pass the CAP schema: %v\n%s", want.MsgType, err, out)
		}
	}

	t.Run("the console publishes, updates and cancels", func(t *testing.T) {
		script := browserScript(t, "publicalert.test.mjs")
		runScript(t, s, script, artifactsDir(t), 3*time.Minute, map[string]string{"FIRELINE_INCIDENT": fmt.Sprint(open("e2e-cap-2", fireline.Point{Lat: scene.Lat + 0.04, Lng: scene.Lng + 0.04}))})
	})
}
