package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestConsoleInBrowser runs the console and field pages in headless Chromium against the real
// stack: a supervisor sees the coverage map and accepts a move-up suggested live when a station's
// only engine goes out of service; an operator sees an alarm appear live and dispatches it, a
// crew publishes its (fake) camera over WHIP, and the console decodes the frames over WHEP; an
// operator assesses an incident and works its agency tasks, and a supervisor takes the
// escalation of its lapsed timer from the queue. The browser side is
// e2e/browser/console.test.mjs, driven by playwright-core with Debian's Chromium.
func TestConsoleInBrowser(t *testing.T) {
	if reason := os.Getenv("FIRELINE_SKIP_BROWSER"); reason != "" {
		t.Skipf("FIRELINE_SKIP_BROWSER is set: %s", reason)
	}
	for _, need := range []string{"node", "chromium"} {
		if _, err := exec.LookPath(need); err != nil {
			t.Fatalf("%s is not installed: run `make deps` (or set FIRELINE_SKIP_BROWSER=<reason>)", need)
		}
	}
	script, err := filepath.Abs("browser/console.test.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in e2e/browser: run `make deps`: %v", err)
	}

	s := newStack(t)
	// Short supervision timers, so an escalation reaches the supervisors' queue within seconds
	// of an alarm nobody dispatches. The other timers keep their defaults: the video steps'
	// crew takes its time to acknowledge and turn out.
	s.flags = []string{"--assessment", "5s", "--call-processing", "8s"}
	s.start()

	artifacts := os.Getenv("FIRELINE_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(),
		"FIRELINE_URL="+s.base,
		"FIRELINE_PASSWORD="+password,
		"FIRELINE_ARTIFACTS="+artifacts,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)\n%s", err, artifacts, s.logTail())
	}
}
