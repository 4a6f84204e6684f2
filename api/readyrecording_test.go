package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// recordingHealth is a media node's recorder as /readyz sees it.
type recordingHealth struct{ st fireline.RecordingStatus }

func (h *recordingHealth) RecordingStatus() fireline.RecordingStatus { return h.st }

// TestReadyRecordingsSuspended: /readyz names a recorder suspended for want of disk space,
// and why, but the node stays ready: live video goes on without recording.
func TestReadyRecordingsSuspended(t *testing.T) {
	h := &recordingHealth{}
	s := New(DefaultConfig(), Deps{Store: pingStore{}, Locator: gridLocator{}, Recording: h, Logger: slog.New(slog.DiscardHandler)})
	check := func(want string) {
		t.Helper()
		w := raw(s, "", "GET", "/readyz", "")
		var checks map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &checks); err != nil || w.Code != http.StatusOK {
			t.Fatalf("/readyz: %d %s", w.Code, w.Body)
		}
		if !strings.HasPrefix(checks["recordings"], want) {
			t.Errorf("/readyz recordings = %q, want %q…", checks["recordings"], want)
		}
	}
	check("ok")
	h.st = fireline.RecordingStatus{Suspended: true, Reason: fireline.RecordingLowSpace,
		Detail: "the recordings disk had 310.2 MiB free, below the reserve of 512.0 MiB"}
	check("suspended (low_space): the recordings disk had 310.2 MiB free")
}
