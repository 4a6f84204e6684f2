package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestRecordingInBrowser is issue 5's acceptance on the real stack, and issue 12's for the
// review workspace: a crew's Chromium publishes its fake camera and microphone into a
// dispatched incident for a few seconds, reporting its position and going on scene meanwhile;
// the incident closes; the recording is listed on the incident's review, ffprobe decodes its
// frames, and the review page in Chromium shows the intervals against their targets, plays the
// recording with the cursor and the map's unit following it, seeks it to the on-scene event,
// records a finding, exports CSV and prints; in English it finds the incident with the
// search. The browser side is e2e/browser/recording.test.mjs. The recording URLs' refusals and
// the finding are checked here against the real API.
func TestRecordingInBrowser(t *testing.T) {
	script := browserScript(t, "recording.test.mjs", "ffprobe")

	s := newStack(t)
	s.start()
	op := s.login("operator")
	var alarm struct {
		IncidentID int64 `json:"incident_id"`
	}
	s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
		"source": "call", "source_id": fmt.Sprintf("recording-%d", time.Now().UnixNano()), "type": "structure_fire",
		"lat": 36.4502, "lng": 115.9781, "address": "Liuyuan Street 12", "description": "smoke from a shop, crew to film",
		"reported_at": time.Now().UTC().Format(time.RFC3339),
	}, &alarm)
	id := alarm.IncidentID
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	var inc fireline.Incident
	eventually(t, 30*time.Second, func() (bool, string) {
		s.must(http.StatusOK, "GET", path, op, nil, &inc)
		return len(inc.Recommendation) > 0, "a recommendation for incident " + fmt.Sprint(id)
	})
	unit := inc.Recommendation[0].UnitID
	s.must(http.StatusOK, "POST", path+"/dispatch", op, map[string]any{"unit_ids": []string{unit}}, nil)
	crew := s.login("crew-" + unit)
	s.must(http.StatusAccepted, "POST", "/api/v1/units/"+unit+"/status", crew, map[string]string{"status": string(fireline.UnitAcknowledged)}, nil)
	// The crew's phone reports where the engine is as it sets off, 1 km from the scene: the
	// review's map draws the track from there to the scene (the script reports the scene).
	s.must(http.StatusOK, "POST", "/api/v1/units/"+unit+"/position", crew, map[string]any{
		"lat": 36.4580, "lng": 115.9700, "time": time.Now().UTC().Format(time.RFC3339Nano)}, nil)
	s.must(http.StatusAccepted, "POST", "/api/v1/units/"+unit+"/status", crew, map[string]string{"status": string(fireline.UnitEnRoute)}, nil)
	waitAssignments(t, s, op, path, func(a fireline.Assignment) bool { return a.EnRouteAt != nil }, unit+" en route")
	t.Logf("incident %d: %s dispatched and en route", id, unit)

	artifacts := artifactsDir(t)
	browserOut := runScript(t, s, script, artifacts, 3*time.Minute, map[string]string{"FIRELINE_INCIDENT": fmt.Sprint(id), "FIRELINE_UNIT": unit})

	// The review's list, as the browser saw it.
	risk := s.login("risk")
	var list struct {
		Recordings []struct {
			Name        string    `json:"name"`
			Stream      string    `json:"stream"`
			Codecs      []string  `json:"codecs"`
			ContentType string    `json:"content_type"`
			StartedAt   time.Time `json:"started_at"`
			Duration    float64   `json:"duration_s"`
			Frames      int       `json:"frames"`
			Bytes       int64     `json:"bytes"`
			Complete    bool      `json:"complete"`
			URL         string    `json:"url"`
		} `json:"recordings"`
	}
	s.must(http.StatusOK, "GET", path+"/recordings", risk, nil, &list)
	var findings struct {
		Findings []fireline.Finding `json:"findings"`
	}
	s.must(http.StatusOK, "GET", path+"/findings", risk, nil, &findings)
	if len(findings.Findings) != 1 || findings.Findings[0].Author != "risk" || findings.Findings[0].Category != fireline.FindingCommunication ||
		!strings.Contains(findings.Findings[0].Text, "中继") {
		t.Errorf("findings after the review: %+v, want the risk officer's one on communication", findings.Findings)
	}
	if len(list.Recordings) != 1 {
		t.Fatalf("recordings = %+v, want the crew's one", list.Recordings)
	}
	rec := list.Recordings[0]
	t.Logf("recording %s: %s, %s, %.1f s, %d frames, %d bytes, complete %v", rec.Name, strings.Join(rec.Codecs, "+"),
		rec.ContentType, rec.Duration, rec.Frames, rec.Bytes, rec.Complete)
	if rec.Stream != unit || !rec.Complete || rec.ContentType != "video/webm" || rec.Duration < 3 ||
		strings.Join(rec.Codecs, ",") != "video/VP8,audio/opus" {
		t.Errorf("recording %+v: want %s's complete VP8 and Opus WebM of a few seconds", rec, unit)
	}

	t.Run("ffprobe decodes the recording", func(t *testing.T) {
		file := filepath.Join(s.dir, "data", "recordings", fmt.Sprintf("incident-%d", id), rec.Name)
		out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", file).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", file, err)
		}
		var p struct {
			Streams []struct {
				CodecName  string `json:"codec_name"`
				CodecType  string `json:"codec_type"`
				Width      int    `json:"width"`
				Height     int    `json:"height"`
				ReadFrames string `json:"nb_read_frames"`
			} `json:"streams"`
			Format struct {
				Duration string `json:"duration"`
			} `json:"format"`
		}
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatal(err)
		}
		t.Logf("ffprobe: %+v, duration %s s", p.Streams, p.Format.Duration)
		if b, err := os.ReadFile(file); err == nil { // kept with the screenshots, to watch
			_ = os.WriteFile(filepath.Join(artifacts, rec.Name), b, 0o644)
		}
		if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width == 0 || p.Streams[1].CodecName != "opus" {
			t.Fatalf("ffprobe streams %+v: want VP8 video with its size, then Opus", p.Streams)
		}
		var video, audio int
		fmt.Sscan(p.Streams[0].ReadFrames, &video)
		fmt.Sscan(p.Streams[1].ReadFrames, &audio)
		if video < 30 || audio < 100 || video+audio != rec.Frames {
			t.Errorf("ffprobe decoded %d video and %d audio frames; the sidecar says %d in all", video, audio, rec.Frames)
		}
		// Every frame the browser encoded is in the file but the last, which the recorder
		// cannot tell complete until a packet after it arrives: a lost frame would leave the
		// rest of the picture decoding from a broken reference.
		var encoded int
		if m := regexp.MustCompile(`VIDEO FRAMES ENCODED (\d+)`).FindSubmatch(browserOut); m != nil {
			encoded, _ = strconv.Atoi(string(m[1]))
		}
		if video < encoded-1 {
			t.Errorf("the browser encoded %d video frames, the recording has %d", encoded, video)
		}
	})

	t.Run("the recording URL and its refusals", func(t *testing.T) {
		get := func(url, token string, header ...string) (int, http.Header, []byte) {
			req, _ := http.NewRequest("GET", s.base+url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			for _, h := range header {
				k, v, _ := strings.Cut(h, ": ")
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, body
		}
		code, h, body := get(rec.URL, "", "Range: bytes=0-3")
		if code != http.StatusPartialContent || h.Get("Content-Type") != "video/webm" ||
			h.Get("Content-Range") != fmt.Sprintf("bytes 0-3/%d", rec.Bytes) || !bytes.Equal(body, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
			t.Errorf("signed URL with a range: %d %q %q % x", code, h.Get("Content-Type"), h.Get("Content-Range"), body)
		}
		file := path + "/recordings/" + rec.Name
		ticket := rec.URL[strings.Index(rec.URL, "?"):]
		for _, tt := range []struct {
			what, url, token string
			want             int
		}{
			{"no credentials", file, "", http.StatusUnauthorized},
			{"a crew's token", file, crew, http.StatusForbidden},
			{"a forged ticket", file + "?ticket=4102444800.AAAA", "", http.StatusForbidden},
			{"the ticket on another incident", fmt.Sprintf("/api/v1/incidents/%d/recordings/%s%s", id+1000, rec.Name, ticket), "", http.StatusForbidden},
			{"a path out of the folder", path + "/recordings/..%2F..%2F..%2Fpostgres%2Fpostgresql.conf", risk, http.StatusBadRequest},
			{"the sidecar", file + ".json", risk, http.StatusBadRequest},
			{"an unknown recording", path + "/recordings/" + strings.Replace(rec.Name, ".webm", "-9.webm", 1), risk, http.StatusNotFound},
			{"the risk officer's token", file, risk, http.StatusOK},
		} {
			if code, _, body := get(tt.url, tt.token); code != tt.want {
				t.Errorf("%s: %d, want %d: %.200s", tt.what, code, tt.want, body)
			}
		}
	})
}
