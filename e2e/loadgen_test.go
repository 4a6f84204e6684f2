package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestLoadgenSurgeWithCrews runs `fireline loadgen` against a real stack: 40 alarms over 4 s
// from calls, the public and panels, 15% second callers, operators and crews working four of
// the incidents. Every acknowledged alarm must be found on its incident and no unit may be on
// two incidents at once. The load and its checks take about 7 s; with the stack's start and
// stop the test costs about 15 s.
func TestLoadgenSurgeWithCrews(t *testing.T) {
	// Parallel with the other stack tests that wait (run after the sequential ones).
	t.Parallel()
	s := newStack(t)
	s.start()
	out := filepath.Join(s.dir, "summary.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "loadgen", "--target", s.base, "--surge", "40", "--over", "4s",
		"--play", "4", "--think", "500ms", "--crew-step", "200ms", "--timeout", "2m", "--json", out)
	cmd.Env = append(os.Environ(), "FIRELINE_DEMO_PASSWORD="+password)
	began := time.Now()
	raw, err := cmd.CombinedOutput()
	t.Logf("loadgen in %s:\n%s", time.Since(began).Round(time.Millisecond), raw)
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, s.logTail())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Planned, Acknowledged, Lost, Failed, Incidents, Recommended, Played, Dispatches int
		Duplicates                                                                      int      `json:"duplicates"`
		DuplicatesMerged                                                                int      `json:"duplicates_merged"`
		DoubleDispatches                                                                int      `json:"double_dispatches"`
		PlayErrors                                                                      []string `json:"play_errors"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Planned != 40 || sum.Acknowledged != 40 || sum.Lost != 0 || sum.Failed != 0 {
		t.Errorf("summary %s: want all 40 alarms acknowledged, none lost or failed", b)
	}
	if sum.DoubleDispatches != 0 || sum.Played != 4 || sum.Dispatches < 4 || len(sum.PlayErrors) != 0 {
		t.Errorf("summary %s: want four incidents worked without a double dispatch or an error", b)
	}
	// A second caller whose first report's incident the crews have already closed opens a new
	// one, as it should: at most the worked incidents' duplicates may do so.
	if sum.Duplicates != 6 || sum.DuplicatesMerged < sum.Duplicates-sum.Played {
		t.Errorf("summary %s: want the 6 second callers merged into their first reports' open incidents", b)
	}
	if sum.Incidents == 0 || sum.Recommended == 0 {
		t.Errorf("summary %s: want incidents with recommendations", b)
	}
}
