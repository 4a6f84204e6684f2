package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media/whipclient"
)

// TestDiskFullDrill is the short drill of a recordings disk that fills up while a crew
// films an incident: the live video goes on reaching the centre, intake goes on taking alarms,
// /readyz says recording is suspended and stays 200, and the recording in progress is cut
// short, listed as such and still playable, and the review tags it so in Chinese and English;
// once space is back, recording resumes by itself in a new file. Where this machine lets the test mount a 16 MiB tmpfs (as root, it can) the
// recordings folder is that tmpfs and the disk really fills (ENOSPC, no reserve); otherwise the
// reserve stands in for it, set above the folder's free space: recording is suspended from the
// start while the live video flows. The test says which it ran (FIRELINE_E2E_DISK=reserve
// chooses the reserve).
func TestDiskFullDrill(t *testing.T) {
	// Parallel with the other stack tests that wait (run after the sequential ones).
	t.Parallel()
	s := newStack(t)
	recDir := filepath.Join(s.dir, "data", "recordings")
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// FIRELINE_E2E_DISK=reserve runs the reserve's variant where a tmpfs could be mounted.
	tmpfs := os.Getenv("FIRELINE_E2E_DISK") != "reserve" && mountSmallDisk(t, recDir)
	s.flags = []string{"--recordings-check", "500ms"}
	if tmpfs {
		t.Log("drill: the recordings folder is a 16 MiB tmpfs, filled for real (no reserve: the write refused with ENOSPC stops recording)")
		s.flags = append(s.flags, "--recordings-min-free", "0")
	} else {
		var st syscall.Statfs_t
		if err := syscall.Statfs(recDir, &st); err != nil {
			t.Fatal(err)
		}
		free := int64(st.Bavail) * int64(st.Bsize)
		t.Logf("drill: no tmpfs; the reserve stands in for a full disk: %d MiB free, reserve set to %d MiB", free>>20, free>>20+256)
		s.flags = append(s.flags, "--recordings-min-free", fmt.Sprint(free+256<<20))
	}
	s.start()
	op := s.login("operator")
	risk := s.login("risk")
	id, units := dispatchedIncident(t, s, op, fmt.Sprintf("e2e-diskfull-%d", time.Now().UnixNano()), fireline.Point{Lat: 36.4470, Lng: 115.9900})
	crew := s.login("crew-" + units[0])

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ivf, err := os.ReadFile(filepath.Join("testdata", "camera.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := (&whipclient.Client{Token: crew, LoopbackOnly: true}).Publish(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/whip", s.base, id))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := pub.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	sent := make(chan struct{})
	go func() { // the camera's two seconds of real VP8, over and over: each pass starts with a keyframe
		defer close(sent)
		for sendCtx.Err() == nil {
			if err := pub.SendIVF(sendCtx, bytes.NewReader(ivf)); err != nil && sendCtx.Err() == nil {
				t.Errorf("send video: %v", err)
				return
			}
		}
	}()
	play, err := (&whipclient.Client{Token: op, LoopbackOnly: true}).Play(ctx, fmt.Sprintf("%s/api/v1/media/incidents/%d/streams/%s/whep", s.base, id, units[0]))
	if err != nil {
		t.Fatalf("play: %v", err)
	}
	// liveFlows: the centre's viewer keeps getting packets.
	liveFlows := func(when string) {
		t.Helper()
		before := play.Packets()
		eventually(t, 10*time.Second, func() (bool, string) {
			return play.Packets() > before+30, fmt.Sprintf("%s: the viewer got %d packets, %d before", when, play.Packets(), before)
		})
	}
	type recording struct {
		Name     string  `json:"name"`
		State    string  `json:"state"`
		Complete bool    `json:"complete"`
		Frames   int     `json:"frames"`
		Bytes    int64   `json:"bytes"`
		Duration float64 `json:"duration_s"`
	}
	list := func() []recording {
		var l struct{ Recordings []recording }
		s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d/recordings", id), risk, nil, &l)
		return l.Recordings
	}
	ready := func() map[string]string {
		var checks map[string]string
		if code, raw := s.call("GET", "/readyz", "", nil, &checks); code != http.StatusOK {
			t.Fatalf("/readyz: %d %s: a full recordings disk must not take the node out of service", code, raw)
		}
		return checks
	}
	intakeWorks := func() {
		t.Helper()
		openIncident(t, s, op, fmt.Sprintf("e2e-diskfull-alarm-%d", time.Now().UnixNano()), fireline.Point{Lat: 36.4900, Lng: 115.9300})
	}
	finish := func() {
		t.Helper()
		stopSending()
		<-sent
		if err := play.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := pub.Close(ctx); err != nil {
			t.Error(err)
		}
	}
	liveFlows("publishing")

	if !tmpfs {
		// Suspended from the start: nothing is recorded, everything else works.
		eventually(t, 5*time.Second, func() (bool, string) {
			c := ready()
			return strings.HasPrefix(c["recordings"], "suspended (low_space)"), fmt.Sprintf("/readyz %v: want recordings suspended", c)
		})
		liveFlows("recording suspended")
		intakeWorks()
		if l := list(); len(l) != 0 {
			t.Errorf("recordings %+v while below the reserve, want none", l)
		}
		finish()
		logHas(t, s, "recording suspended", "reason=low_space")
		return
	}

	// The recording begins; then something else fills the disk.
	eventually(t, 10*time.Second, func() (bool, string) {
		l := list()
		return len(l) == 1 && l[0].Bytes > 16<<10, fmt.Sprintf("a recording of some size under way, have %+v", l)
	})
	if c := ready(); c["recordings"] != "ok" {
		t.Errorf("/readyz %v while recording, want recordings ok", c)
	}
	filler := filepath.Join(recDir, "filler")
	fillDisk(t, filler)
	eventually(t, 10*time.Second, func() (bool, string) {
		l := list()
		return len(l) == 1 && l[0].State == "cut", fmt.Sprintf("the recording cut short, have %+v", l)
	})
	if c := ready(); !strings.HasPrefix(c["recordings"], "suspended (disk_full)") || c["postgres"] != "ok" || c["temporal"] != "ok" {
		t.Errorf("/readyz %v: want recordings suspended (disk_full), the rest ok", c)
	}
	liveFlows("the disk full")
	intakeWorks()
	cut := list()[0]
	t.Logf("cut short: %s, %d frames, %d bytes, %.1f s", cut.Name, cut.Frames, cut.Bytes, cut.Duration)
	if cut.Complete || cut.Frames == 0 || cut.Duration <= 0 {
		t.Errorf("cut recording %+v: want frames and a duration, not complete", cut)
	}
	probeCut(t, filepath.Join(recDir, fmt.Sprintf("incident-%d", id), cut.Name), cut.Frames)
	if l := list(); len(l) != 1 {
		t.Errorf("recordings %+v while the disk is full: nothing new may begin", l)
	}

	// Space comes back: recording resumes on its own, into a new file.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		c := ready()
		l := list()
		return c["recordings"] == "ok" && len(l) == 2 && l[1].Bytes > 0, fmt.Sprintf("/readyz %v, recordings %+v: want recording resumed in a second file", c, l)
	})
	finish()
	eventually(t, 10*time.Second, func() (bool, string) {
		l := list()
		return len(l) == 2 && l[0].State == "cut" && l[1].State == "closed" && l[1].Complete, fmt.Sprintf("recordings %+v: the cut one and the resumed one closed", l)
	})
	logHas(t, s, "recording suspended", "reason=disk_full", "recording cut short", "recording resumed")

	// The review shows it cut short, in both languages (e2e/browser/diskfull.test.mjs).
	script := browserScript(t, "diskfull.test.mjs")
	runScript(t, s, script, artifactsDir(t), 90*time.Second, map[string]string{"FIRELINE_INCIDENT": fmt.Sprint(id), "FIRELINE_RECORDING": cut.Name})
}

// logHas checks that the node logged what operators are told.
func logHas(t *testing.T, s *stack, wants ...string) {
	t.Helper()
	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range wants {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("the node's log lacks %q", want)
		}
	}
}

// mountSmallDisk mounts a 16 MiB tmpfs on dir, unmounted after the stack stops, and reports
// whether it could.
func mountSmallDisk(t *testing.T, dir string) bool {
	t.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Logf("drill: cannot mount a tmpfs here (%v: %s)", err, bytes.TrimSpace(out))
		return false
	}
	// Registered before the stack's stop, so it runs after it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return true
}

// fillDisk writes path until its disk refuses with ENOSPC.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			break
		}
	}
	// The last bytes, a page at a time, so that nothing is left.
	for _, err := f.Write(chunk[:4096]); err == nil; _, err = f.Write(chunk[:4096]) {
	}
}

// probeCut has ffprobe decode the cut recording: it must read as a finished file.
func probeCut(t *testing.T, path string, frames int) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Logf("ffprobe is not installed (run make deps): the cut recording's playback is not checked")
		return
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames:format=duration", "-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	t.Logf("ffprobe of the cut recording: %s", strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", ", "))
	if !strings.Contains(string(out), "nb_read_frames=") || strings.Contains(string(out), "nb_read_frames=0") ||
		strings.Contains(string(out), "duration=N/A") {
		t.Errorf("ffprobe of the cut recording (%d frames by its sidecar): %s", frames, out)
	}
}
