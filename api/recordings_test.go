package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// fakeRecordings serves files from a folder per room, as media.Library does; names are
// refused the way it refuses them (the real checks are tested in media and end to end).
type fakeRecordings struct {
	dir string
}

func (f fakeRecordings) Recordings(room string) ([]fireline.Recording, error) {
	if room != "incident:7" {
		return nil, nil
	}
	return []fireline.Recording{{Name: "E-1-20250301T093000.000Z.webm", Stream: "E-1", Tracks: []fireline.RecordingTrack{{Number: 1, Kind: "video", Codec: "video/VP8"}},
		ContentType: "video/webm", StartedAt: now.Add(-time.Minute), Duration: 42, Complete: true, State: "closed"}}, nil
}

func (f fakeRecordings) Open(room, name string) (fireline.RecordingFile, fireline.Recording, error) {
	if strings.ContainsAny(name, "/\\%") || strings.Contains(name, "..") || !strings.HasSuffix(name, ".webm") {
		return nil, fireline.Recording{}, fireline.Errorf(fireline.EINVALID, "%q is not a recording's name", name)
	}
	file, err := os.Open(filepath.Join(f.dir, strings.ReplaceAll(room, ":", "-"), name))
	if err != nil {
		return nil, fireline.Recording{}, fireline.Errorf(fireline.ENOTFOUND, "no recording %q", name)
	}
	return file, fireline.Recording{Name: name, ContentType: "video/webm"}, nil
}

const recName = "E-1-20250301T093000.000Z.webm"

func newRecordingServer(t *testing.T) (*Server, []byte) {
	t.Helper()
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16,000 bytes
	if err := os.MkdirAll(filepath.Join(dir, "incident-7"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "incident-7", recName), content, 0o644); err != nil {
		t.Fatal(err)
	}
	base, units, inc := newTestServer(t)
	st := &lifecycleStore{fakeStore: units}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: &orders{fakeIncidents: inc}, Locator: fakeLocator{},
		Recordings: fakeRecordings{dir}, Logger: slog.New(slog.DiscardHandler)})
	s.now = base.now
	return s, content
}

// fetch requests path with an optional bearer token and headers ("Name: value").
func fetch(s *Server, path, token string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func listURL(t *testing.T, s *Server, token string) string {
	t.Helper()
	w := fetch(s, "/api/v1/incidents/7/recordings", token)
	if w.Code != http.StatusOK {
		t.Fatalf("list as %s: %d %s", token, w.Code, w.Body)
	}
	var out struct{ Recordings []Recording }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Recordings) != 1 {
		t.Fatalf("list: %s (%v)", w.Body, err)
	}
	rec := out.Recordings[0]
	if !rec.URLExpiresAt.Equal(now.Add(ticketTTL)) || !strings.HasPrefix(rec.URL, "/api/v1/incidents/7/recordings/"+recName+"?ticket=") {
		t.Fatalf("recording = %+v", rec)
	}
	return rec.URL
}

func TestRecordingsList(t *testing.T) {
	s, _ := newRecordingServer(t)
	tests := []struct {
		token, path string
		want        int
	}{
		{"risk", "/api/v1/incidents/7/recordings", http.StatusOK},
		{"operator", "/api/v1/incidents/7/recordings", http.StatusOK},
		{"", "/api/v1/incidents/7/recordings", http.StatusUnauthorized},
		{"field:E-1", "/api/v1/incidents/7/recordings", http.StatusForbidden},
		{"gateway", "/api/v1/incidents/7/recordings", http.StatusForbidden},
		{"risk", "/api/v1/incidents/99/recordings", http.StatusNotFound},
		{"risk", "/api/v1/incidents/x/recordings", http.StatusBadRequest},
	}
	for _, tt := range tests {
		if w := fetch(s, tt.path, tt.token); w.Code != tt.want {
			t.Errorf("%s as %q: %d, want %d: %s", tt.path, tt.token, w.Code, tt.want, w.Body)
		}
	}
	if w := fetch(s, "/api/v1/incidents/8/recordings", "risk"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"recordings":[]`) {
		t.Errorf("an incident without recordings: %d %s", w.Code, w.Body)
	}
}

func TestRecordingFileAccess(t *testing.T) {
	s, content := newRecordingServer(t)
	signed := listURL(t, s, "risk")
	u, _ := url.Parse(signed)
	ticket := u.Query().Get("ticket")
	file := "/api/v1/incidents/7/recordings/" + recName
	other := "/api/v1/incidents/7/recordings/E-1-20250301T093000.000Z-2.webm"
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"risk officer's token", file, "risk", http.StatusOK},
		{"supervisor's token", file, "supervisor", http.StatusOK},
		{"the signed URL", signed, "", http.StatusOK},
		{"nothing", file, "", http.StatusUnauthorized},
		{"a crew's token", file, "field:E-1", http.StatusForbidden},
		{"a gateway's token", file, "gateway", http.StatusForbidden},
		{"a crew's token with a ticket", signed, "field:E-1", http.StatusForbidden},
		{"a forged ticket", file + "?ticket=" + strings.Replace(ticket, ".", ".x", 1), "", http.StatusForbidden},
		{"no signature", file + "?ticket=" + strings.Split(ticket, ".")[0], "", http.StatusForbidden},
		{"a later expiry", file + "?ticket=" + "9999999999." + strings.Split(ticket, ".")[1], "", http.StatusForbidden},
		{"another recording's ticket", other + "?ticket=" + ticket, "", http.StatusForbidden},
		{"another incident's ticket", "/api/v1/incidents/8/recordings/" + recName + "?ticket=" + ticket, "", http.StatusForbidden},
		{"hostile name", "/api/v1/incidents/7/recordings/..%2F..%2Fetc%2Fpasswd", "risk", http.StatusBadRequest},
		{"hostile dots", "/api/v1/incidents/7/recordings/..", "risk", http.StatusBadRequest},
		{"sidecar", "/api/v1/incidents/7/recordings/" + recName + ".json", "risk", http.StatusBadRequest},
		{"unknown", other, "risk", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := fetch(s, tt.path, tt.token)
			if w.Code != tt.want {
				t.Fatalf("%d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if w.Code == http.StatusOK {
				if ct := w.Header().Get("Content-Type"); ct != "video/webm" || !bytes.Equal(w.Body.Bytes(), content) {
					t.Errorf("Content-Type %q, %d bytes", ct, w.Body.Len())
				}
			}
		})
	}

	// The ticket expires with its hour.
	s.now = func() time.Time { return now.Add(ticketTTL) }
	if w := fetch(s, signed, ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("an expired ticket: %d %s", w.Code, w.Body)
	}
}

// TestRecordingRanges: players seek by byte ranges, and If-Range keeps a grown file from being
// stitched to an old answer.
func TestRecordingRanges(t *testing.T) {
	s, content := newRecordingServer(t)
	signed := listURL(t, s, "risk")

	w := fetch(s, signed, "", "Range: bytes=100-199")
	if w.Code != http.StatusPartialContent || w.Header().Get("Content-Range") != "bytes 100-199/16000" ||
		!bytes.Equal(w.Body.Bytes(), content[100:200]) || w.Header().Get("Content-Type") != "video/webm" {
		t.Fatalf("range: %d %q %q, %d bytes", w.Code, w.Header().Get("Content-Range"), w.Header().Get("Content-Type"), w.Body.Len())
	}
	etag := w.Header().Get("ETag")
	if etag == "" || w.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("ETag %q, Accept-Ranges %q", etag, w.Header().Get("Accept-Ranges"))
	}
	if w := fetch(s, signed, "", "Range: bytes=15990-", "If-Range: "+etag); w.Code != http.StatusPartialContent ||
		w.Header().Get("Content-Range") != "bytes 15990-15999/16000" {
		t.Errorf("If-Range with the current ETag: %d %q", w.Code, w.Header().Get("Content-Range"))
	}
	if w := fetch(s, signed, "", "Range: bytes=0-9", `If-Range: "stale"`); w.Code != http.StatusOK || w.Body.Len() != len(content) {
		t.Errorf("If-Range with a stale ETag: %d, %d bytes; want the whole file", w.Code, w.Body.Len())
	}
	if w := fetch(s, signed, "", "Range: bytes=20000-"); w.Code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d", w.Code)
	}
}
