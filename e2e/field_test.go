package e2e

import (
	"testing"
	"time"
)

// TestFieldInBrowser runs the field page on a phone-sized headless Chromium (390×844, touch, a
// fixed geolocation) against the real stack: a crew sees the incident its unit was dispatched
// to (address, hazards of the key premises, water, the straight line to the scene on the map),
// acknowledges and goes en route with the phone's position posted with each status, and an
// operator's console sees the status and moves the unit on its map to the phone's position.
// Every target is at least 48 px high and nothing scrolls sideways in either language; the
// camera goes live and the lost-connection banner comes and goes. The browser side is
// e2e/browser/field.test.mjs; screenshots in both languages go to the artifacts folder.
func TestFieldInBrowser(t *testing.T) {
	script := browserScript(t, "field.test.mjs")
	s := newStack(t)
	s.start()
	runScript(t, s, script, artifactsDir(t), 3*time.Minute, nil)
}
