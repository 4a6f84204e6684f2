package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/devstack/pgcluster"
)

// TestVerifyPassesThenFailsOnCorruption: a real stack with incidents in different states —
// closed and reviewed, dispatched and working, cancelled, just received — passes `fireline
// verify`, acknowledged receipts and all; once a unit is put on two open incidents behind the
// system's back, verify fails and names the unit and both incidents.
func TestVerifyPassesThenFailsOnCorruption(t *testing.T) {
	// Parallel with the other stack tests that wait (run after the sequential ones).
	t.Parallel()
	s := newStack(t)
	s.start()
	op := s.login("operator")

	var acked []fireline.AckedAlarm
	alarm := func(sourceID string, at fireline.Point) int64 {
		t.Helper()
		var rc struct {
			AlarmID    int64 `json:"alarm_id"`
			IncidentID int64 `json:"incident_id"`
		}
		s.must(http.StatusAccepted, "POST", "/api/v1/alarms", op, map[string]any{
			"source": "call", "source_id": sourceID, "type": "structure_fire", "lat": at.Lat, "lng": at.Lng,
			"reported_at": time.Now().UTC().Format(time.RFC3339),
		}, &rc)
		acked = append(acked, fireline.AckedAlarm{Source: fireline.SourceCall, SourceID: sourceID, AlarmID: rc.AlarmID, IncidentID: rc.IncidentID})
		return rc.IncidentID
	}
	recommended := func(id int64) []string {
		t.Helper()
		var inc fireline.Incident
		eventually(t, 30*time.Second, func() (bool, string) {
			inc = fireline.Incident{}
			s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), op, nil, &inc)
			return len(inc.Recommendation) > 0, fmt.Sprintf("a recommendation on incident %d", id)
		})
		return []string{inc.Recommendation[0].UnitID}
	}
	status := func(id int64, want fireline.IncidentStatus) {
		t.Helper()
		eventually(t, 30*time.Second, func() (bool, string) {
			var inc fireline.Incident
			s.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), op, nil, &inc)
			return inc.Status == want, fmt.Sprintf("incident %d %s, now %s", id, want, inc.Status)
		})
	}

	closed := alarm("e2e-verify-1", fireline.Point{Lat: 36.4560, Lng: 115.9850})
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/dispatch", closed), op, map[string]any{"unit_ids": recommended(closed)}, nil)
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/close", closed), op, map[string]string{"reason": "e2e: out"}, nil)
	working := alarm("e2e-verify-2", fireline.Point{Lat: 36.4300, Lng: 115.9500})
	units := recommended(working)
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/dispatch", working), op, map[string]any{"unit_ids": units}, nil)
	cancelled := alarm("e2e-verify-3", fireline.Point{Lat: 36.4700, Lng: 116.0100})
	// Cancelled once the workflow's start is done (its recommendation is out): a cancel that
	// races the start's first status write can leave the projection reopened and then
	// reviewed as closed, which verify reports; this test is about verify, not that race.
	recommended(cancelled)
	s.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/incidents/%d/cancel", cancelled), op, map[string]string{"reason": "e2e: a false alarm"}, nil)
	received := alarm("e2e-verify-4", fireline.Point{Lat: 36.4400, Lng: 115.9200})
	recommended(received)
	status(closed, fireline.IncidentReviewed)
	status(cancelled, fireline.IncidentReviewed)

	receipts := filepath.Join(t.TempDir(), "acked.jsonl")
	var lines []string
	for _, a := range acked {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(receipts, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := pgPort.FindSubmatch(log)
	if m == nil {
		t.Fatalf("no PostgreSQL port in the stack's log")
	}
	verify := func() (string, error) {
		cmd := exec.Command(binary(t), "verify", "--alarms", receipts)
		cmd.Env = append(os.Environ(),
			fmt.Sprintf("DATABASE_URL=postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", m[1]),
			fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", s.tempPort))
		began := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("fireline verify (%s):\n%s", time.Since(began).Round(time.Millisecond), out)
		return string(out), err
	}

	out, err := verify()
	if err != nil || !strings.Contains(out, "checked 4 incidents, 4 workflows, 4 acknowledged alarms: 0 violations") {
		t.Fatalf("verify of a consistent stack: %v\n%s", err, out)
	}

	// Behind the system's back, as the schema owner: the working incident's unit is put on the
	// incident that was only received, too.
	bin, err := pgcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	sql := fmt.Sprintf(`DROP INDEX incident_units_one_open;
		INSERT INTO incident_units (incident_id, unit_id, type, status, dispatched_at)
		SELECT %d, unit_id, type, 'dispatched', now() FROM incident_units WHERE incident_id = %d AND cleared_at IS NULL;`,
		received, working) // ids of our own, not input
	psql := exec.Command(filepath.Join(bin, "psql"), "-v", "ON_ERROR_STOP=1", "-c", sql,
		fmt.Sprintf("postgres://postgres@127.0.0.1:%s/fireline?sslmode=disable", m[1]))
	if b, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("corrupt: %v\n%s", err, b)
	}

	out, err = verify()
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("verify after corruption: %v, want a non-zero exit\n%s", err, out)
	}
	for _, want := range []string{
		fmt.Sprintf("VIOLATION unit_overlap incident=%d other_incident=%d unit=%s", received, working, units[0]),
		fmt.Sprintf("VIOLATION projection incident=%d: the projection's open assignments are [%s], the workflow's []", received, units[0]),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify's output lacks %q", want)
		}
	}
}
