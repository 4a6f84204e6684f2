package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// geocodeOnlyAlert is a rainstorm warning for the city whose area is given by administrative
// division codes alone (GB/T 2260), as many provincial feeds send them: no polygon, no circle.
func geocodeOnlyAlert(sent time.Time) string {
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }
	return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>E2E-GEOCODE-` + fmt.Sprint(sent.Unix()) + `</identifier><sender>warning@lc-met.example.cn</sender><sent>` + ts(sent) + `</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>zh-CN</language><category>Met</category><event>暴雨黄色预警</event><urgency>Expected</urgency>
    <severity>Moderate</severity><certainty>Likely</certainty><expires>` + ts(sent.Add(6*time.Hour)) + `</expires>
    <headline>聊城市气象台发布暴雨黄色预警</headline>
    <area><areaDesc>东昌府区、茌平区</areaDesc>
      <geocode><valueName>GB/T2260</valueName><value>371502</value></geocode>
      <geocode><valueName>GB/T2260</valueName><value>371503</value></geocode>
    </area>
  </info>
</alert>`
}

// TestCAPWarningsEndToEnd posts CAP alerts through the API as the gateway does: the largest real
// alert of the corpus (a National Weather Service watch for Alaska whose zone outline has 34,066
// points) is accepted and stored, covering none of the city; a warning whose area is given by
// geocodes alone is listed in force, and the supervisor's console shows it with its area's
// description and codes, in Chinese and in English (e2e/browser/capwarnings.test.mjs).
func TestCAPWarningsEndToEnd(t *testing.T) {
	s := newStack(t)
	s.start()
	gw, sup := s.login("gateway"), s.login("supervisor")
	post := func(body []byte) (int, []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "POST", s.base+"/api/v1/warnings", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/cap+xml")
		req.Header.Set("Authorization", "Bearer "+gw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	type listed struct {
		Warnings []fireline.Warning `json:"warnings"`
	}

	dir := os.Getenv("FIRELINE_CAP_REAL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "cap-real")
	}
	if body, err := os.ReadFile(filepath.Join(dir, "republished", "noaa-2.49.0.1.840.0.9b5195e635069329b12a7c697fad5934d144784a.001.1.xml")); err != nil {
		t.Logf("real CAP corpus not found at %s (set FIRELINE_CAP_REAL_DIR): the large real alert is not posted", dir)
	} else {
		code, raw := post(body)
		if code != http.StatusAccepted || !strings.Contains(string(raw), `"in_service_area":false`) {
			t.Fatalf("the 34,066-point NWS alert: %d %s, want 202 for an alert elsewhere", code, raw)
		}
		var all listed
		s.must(http.StatusOK, "GET", "/api/v1/warnings", sup, nil, &all)
		found := false
		for _, w := range all.Warnings {
			if w.Sender == "w-nws.webmaster@noaa.gov" {
				a := w.Infos[0].Areas[0]
				most := 0
				for _, n := range a.PolygonPoints {
					most = max(most, n)
				}
				found = most == 34_066 && len(a.Polygons) == len(a.PolygonPoints)
			}
		}
		if !found {
			t.Fatalf("GET /warnings: the NWS alert is not listed with its 34,066-point polygon simplified")
		}
	}

	code, raw := post([]byte(geocodeOnlyAlert(time.Now().Add(-time.Minute))))
	if code != http.StatusAccepted {
		t.Fatalf("geocode-only alert: %d %s", code, raw)
	}
	var active listed
	s.must(http.StatusOK, "GET", "/api/v1/warnings?active=true", sup, nil, &active)
	if len(active.Warnings) != 1 || !active.Warnings[0].Unlocated || active.Warnings[0].Infos[0].Areas[0].Geocodes[0].Value != "371502" {
		b, _ := json.Marshal(active)
		t.Fatalf("in force %s, want the geocode-only warning, unlocated", b)
	}

	runScript(t, s, browserScript(t, "capwarnings.test.mjs"), artifactsDir(t), 2*time.Minute, map[string]string{
		"FIRELINE_AREA_DESC": "东昌府区、茌平区",
		"FIRELINE_GEOCODE":   "GB/T2260=371502",
	})
}
