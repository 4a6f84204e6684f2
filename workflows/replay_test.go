package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/fireline/fireline/workflows"
)

// TestReplayRecordedIncidents replays the histories of real incidents, recorded from the
// embedded stack by the end-to-end test (FIRELINE_RECORD_HISTORY=workflows/testdata make e2e),
// against today's Incident code. A change that would make a running incident take a different
// path fails here: guard it with workflow.GetVersion and record a new history beside the old.
func TestReplayRecordedIncidents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "incident-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded incident histories in testdata/: record one with FIRELINE_RECORD_HISTORY")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Incident, workflows.IncidentOptions())
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
