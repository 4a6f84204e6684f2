package e2e

import (
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
	script := browserScript(t, "console.test.mjs")

	s := newStack(t)
	// Short supervision timers, so an escalation reaches the supervisors' queue within seconds
	// of an alarm nobody dispatches. The other timers keep their defaults: the video steps'
	// crew takes its time to acknowledge and turn out.
	s.flags = []string{"--assessment", "5s", "--call-processing", "8s"}
	s.start()

	runScript(t, s, script, artifactsDir(t), 4*time.Minute, nil)
}

// TestOperatorInBrowser runs e2e/browser/operator.test.mjs: an operator sees an alarm posted
// through the API arrive live in the console's alarm queue and on its MapLibre map (the feature
// drawn at the alarm's point), and dispatches it with the keyboard only (N, A, D, Enter); then
// the console, switched to zh-CN and to English, is walked for text not in that language, and
// screenshots of both languages and of the shortcut help are saved.
func TestOperatorInBrowser(t *testing.T) {
	script := browserScript(t, "operator.test.mjs")
	s := newStack(t)
	s.start()
	runScript(t, s, script, artifactsDir(t), 4*time.Minute, nil)
}
