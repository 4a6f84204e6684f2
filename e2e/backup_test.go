package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media/whipclient"
)

// auditPaths are the audit trails the drill compares, each read whole (newest first). A new
// audit endpoint is one more line here.
var auditPaths = []string{"/api/v1/admin/audit?limit=500"}

// TestBackupRestoreDrill is the disaster drill: a running system with incidents, dispatches,
// crew status changes, an administrator's change and a crew's recording is backed up while it
// runs, stopped, restored into a fresh data folder — a new PostgreSQL cluster, an empty
// recordings' folder, a new Temporal — and started there. Through the API, the restored system
// answers exactly as the original did: the incidents, each one's detail, timeline, alarms and
// recordings, the audit trail, and every recording served byte for byte with its content type,
// still a WebM that ffprobe reads.
func TestBackupRestoreDrill(t *testing.T) {
	s := newStack(t)
	s.start()
	populating := time.Now()
	op := s.login("operator")

	// An incident with two units dispatched, acknowledged and on their way, and one crew filming.
	fire, units := dispatchedIncident(t, s, op, "e2e-backup-a", fireline.Point{Lat: 36.4560, Lng: 115.9850})
	firePath := fmt.Sprintf("/api/v1/incidents/%d", fire)
	crew := s.login("crew-" + units[0])
	for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute} {
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+units[0]+"/status", crew, map[string]string{"status": string(st)}, nil)
	}
	waitAssignments(t, s, op, firePath, func(a fireline.Assignment) bool { return a.UnitID != units[0] || a.EnRouteAt != nil }, units[0]+" en route")
	record(t, s, crew, fire)
	// A second incident, a false alarm, cancelled.
	falseAlarm := openIncident(t, s, op, "e2e-backup-b", fireline.Point{Lat: 36.4300, Lng: 115.9500})
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/cancel", falseAlarm), op, map[string]string{"reason": "e2e: 误报"}, nil)
	// An administrator adds a water source and takes it out of service: two audit entries.
	admin := s.login("admin")
	pond := map[string]any{"id": "W-DRILL-1", "kind": "pond", "location": map[string]float64{"lat": 36.44, "lng": 115.97}}
	s.must(http.StatusCreated, "POST", "/api/v1/admin/water-sources", admin, pond, nil)
	pond["status"] = "out_of_service"
	s.must(http.StatusOK, "PUT", "/api/v1/admin/water-sources/W-DRILL-1", admin, pond, nil)

	t.Logf("populated in %s", time.Since(populating).Round(time.Millisecond))
	before := snapshot(t, s)
	if len(before.incidents) < 2 || len(before.files) != 1 || !strings.Contains(before.audit, "W-DRILL-1") {
		t.Fatalf("the populated system has %d incidents, %d recordings, audit %.300s: want two incidents, one recording, the water source's entries",
			len(before.incidents), len(before.files), before.audit)
	}

	// The backup runs while the system does: pg_dump reads one snapshot.
	began := time.Now()
	archive := filepath.Join(t.TempDir(), "fireline-backup.tar")
	out := runFireline(t, "backup", "--out", archive, "--data", filepath.Join(s.dir, "data"))
	backupTook := time.Since(began)
	t.Logf("backup in %s:\n%s", backupTook.Round(time.Millisecond), out)
	began = time.Now()
	s.stop()
	t.Logf("stopped in %s", time.Since(began).Round(time.Millisecond))
	// With dev stopped, the backup starts the embedded cluster itself: the same recordings.
	cold := filepath.Join(t.TempDir(), "cold.tar")
	began = time.Now()
	runFireline(t, "backup", "--out", cold, "--data", filepath.Join(s.dir, "data"))
	t.Logf("backup of the stopped deployment in %s", time.Since(began).Round(time.Millisecond))
	if hot, cold := manifestOf(t, archive), manifestOf(t, cold); cold.Migration != hot.Migration || !reflect.DeepEqual(cold.Recordings, hot.Recordings) {
		t.Errorf("a backup of the stopped deployment: migration %d, recordings %+v; of the running one: %d, %+v",
			cold.Migration, cold.Recordings, hot.Migration, hot.Recordings)
	}

	r := newStack(t)
	began = time.Now()
	out = runFireline(t, "restore", "--in", archive, "--data", filepath.Join(r.dir, "data"))
	t.Logf("restore in %s:\n%s", time.Since(began).Round(time.Millisecond), out)
	if refused, err := exec.Command(binary(t), "restore", "--in", archive, "--data", filepath.Join(r.dir, "data")).CombinedOutput(); err == nil ||
		!strings.Contains(string(refused), "already holds a PostgreSQL cluster") {
		t.Errorf("a second restore into the same folder: %v\n%s", err, refused)
	}
	r.start()
	after := snapshot(t, r)

	// The restored Temporal is new: the open incident is all there as a record, but its
	// workflow is not, and an order for it is refused rather than lost.
	var avail struct{ Units []fireline.Unit }
	rop := r.login("operator")
	r.must(http.StatusOK, "GET", "/api/v1/units?status=available", rop, nil, &avail)
	if code, raw := r.call("POST", firePath+"/dispatch", rop, map[string]any{"unit_ids": []string{avail.Units[0].ID}}, nil); code != http.StatusConflict ||
		!strings.Contains(string(raw), "workflow") {
		t.Errorf("dispatch to an open incident after the restore: %d %s, want 409 naming its workflow", code, raw)
	}

	same := func(what, want, got string) {
		t.Helper()
		if want != got {
			t.Errorf("%s differs after the restore:\n before %.1500s\n after  %.1500s", what, want, got)
		}
	}
	same("the incident list", before.list, after.list)
	for id, want := range before.incidents {
		same(fmt.Sprintf("incident %d", id), want, after.incidents[id])
	}
	same("the audit trail", before.audit, after.audit)
	if len(after.files) != len(before.files) {
		t.Errorf("recordings served after the restore: %d, before: %d", len(after.files), len(before.files))
	}
	for name, want := range before.files {
		got := after.files[name]
		if got.sha256 != want.sha256 || got.contentType != want.contentType || got.size != want.size {
			t.Errorf("recording %s after the restore: %s %s %d bytes, before: %s %s %d bytes", name,
				got.contentType, got.sha256, got.size, want.contentType, want.sha256, want.size)
		}
		playable(t, name, got)
	}
	t.Logf("compared %d incidents, %d audit trail(s), %d recording(s); backup %s", len(before.incidents), len(auditPaths), len(before.files),
		backupTook.Round(time.Millisecond))
}

// manifestOf reads the manifest of a backup archive, its last entry.
func manifestOf(t *testing.T, archive string) (m struct {
	Migration  int `json:"migration"`
	Recordings []struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"recordings"`
}) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no manifest (%v)", archive, err)
		}
		if h.Name == "fireline-backup/manifest.json" {
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				t.Fatal(err)
			}
			if len(m.Recordings) == 0 {
				t.Fatalf("%s: the manifest lists no recordings", archive)
			}
			return m
		}
	}
}

// runFireline runs the fireline binary with args and fails the test unless it succeeds.
func runFireline(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("fireline %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// record has the crew publish its camera into the incident through WHIP, as an encoder in the
// engine would: two seconds of real VP8 (testdata/camera.ivf, ffmpeg's test pattern at
// 160×120), which the media node records.
func record(t *testing.T, s *stack, crew string, incident int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ivf, err := os.Open(filepath.Join("testdata", "camera.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ivf.Close()
	pub, err := (&whipclient.Client{Token: crew, LoopbackOnly: true}).Publish(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, incident))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := pub.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.SendIVF(ctx, ivf); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	risk := s.login("risk")
	eventually(t, 15*time.Second, func() (bool, string) {
		var list struct {
			Recordings []struct {
				Complete bool `json:"complete"`
			} `json:"recordings"`
		}
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/recordings", incident), risk, nil, &list)
		return len(list.Recordings) == 1 && list.Recordings[0].Complete, fmt.Sprintf("a complete recording, have %+v", list.Recordings)
	})
}

// system is what a restore must bring back, as the API answers it: JSON in a canonical form
// (keys sorted), so two answers compare as strings.
type system struct {
	list      string
	incidents map[int64]string // detail, timeline, alarms and recordings of each
	audit     string
	files     map[string]served // by incident/name
}

// served is a recording file as the API serves it.
type served struct {
	contentType string
	size        int
	sha256      string
	body        []byte
}

func snapshot(t *testing.T, s *stack) system {
	t.Helper()
	risk, admin := s.login("risk"), s.login("admin")
	sys := system{incidents: map[int64]string{}, files: map[string]served{}}
	var list struct {
		Incidents []fireline.Incident `json:"incidents"`
	}
	raw := s.must(http.StatusOK, "GET", "/api/v1/incidents?status=any&limit=1000", risk, nil, &list)
	sys.list = canonical(t, raw, nil)
	for _, inc := range list.Incidents {
		path := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)
		var parts []string
		for _, p := range []string{"", "/timeline", "/alarms", "/findings"} {
			parts = append(parts, canonical(t, s.must(http.StatusOK, "GET", path+p, risk, nil, nil), nil))
		}
		var recs struct {
			Recordings []struct {
				Name string `json:"name"`
				URL  string `json:"url"`
			} `json:"recordings"`
		}
		raw := s.must(http.StatusOK, "GET", path+"/recordings", risk, nil, &recs)
		// A recording's URL is signed with the process's key and expires: it differs by design.
		parts = append(parts, canonical(t, raw, []string{"url", "url_expires_at"}))
		sys.incidents[inc.ID] = strings.Join(parts, "\n")
		for _, rec := range recs.Recordings {
			resp, err := http.Get(s.base + rec.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %v", rec.URL, resp.StatusCode, err)
			}
			sum := sha256.Sum256(body)
			sys.files[fmt.Sprintf("incident-%d/%s", inc.ID, rec.Name)] = served{
				contentType: resp.Header.Get("Content-Type"), size: len(body), sha256: hex.EncodeToString(sum[:]), body: body}
		}
	}
	var audits []string
	for _, p := range auditPaths {
		audits = append(audits, canonical(t, s.must(http.StatusOK, "GET", p, admin, nil, nil), nil))
	}
	sys.audit = strings.Join(audits, "\n")
	return sys
}

// canonical re-encodes a JSON answer with its keys sorted, dropping the keys named in drop
// wherever they occur.
func canonical(t *testing.T, raw []byte, drop []string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %.200s: %v", raw, err)
	}
	var strip func(any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range drop {
				delete(v, k)
			}
			for _, x := range v {
				strip(x)
			}
		case []any:
			for _, x := range v {
				strip(x)
			}
		}
	}
	strip(v)
	b, err := json.Marshal(v) // maps marshal with their keys sorted
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// playable checks that a served recording is a WebM or Matroska file — its EBML signature —
// and, where ffprobe is installed, that ffprobe reads its container and a VP8 video stream.
func playable(t *testing.T, name string, f served) {
	t.Helper()
	if !bytes.HasPrefix(f.body, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Errorf("recording %s does not start with the EBML signature: % x", name, f.body[:min(8, len(f.body))])
		return
	}
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Logf("no ffprobe on this machine: recording %s checked by its signature only", name)
		return
	}
	file := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(file, f.body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=format_name:stream=codec_name,codec_type", "-of", "json", file).Output()
	if err != nil {
		t.Errorf("ffprobe %s: %v", name, err)
		return
	}
	var p struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
		} `json:"streams"`
		Format struct {
			FormatName string `json:"format_name"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	var codecs []string
	for _, s := range p.Streams {
		codecs = append(codecs, s.CodecName)
	}
	sort.Strings(codecs)
	if !strings.Contains(p.Format.FormatName, "webm") || strings.Join(codecs, ",") != "vp8" {
		t.Errorf("ffprobe reads recording %s as %q with streams %v, want WebM with VP8 video", name, p.Format.FormatName, codecs)
	}
}
