package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// browserScript returns the absolute path of e2e/browser/<name>, a Playwright script run in
// Debian's Chromium. It skips the test when FIRELINE_SKIP_BROWSER says why, and fails it when
// node, chromium, any of tools or the scripts' playwright-core is missing: `make deps` installs
// them all.
func browserScript(t *testing.T, name string, tools ...string) string {
	t.Helper()
	if reason := os.Getenv("FIRELINE_SKIP_BROWSER"); reason != "" {
		t.Skipf("FIRELINE_SKIP_BROWSER is set: %s", reason)
	}
	for _, need := range append([]string{"node", "chromium"}, tools...) {
		if _, err := exec.LookPath(need); err != nil {
			t.Fatalf("%s is not installed: run `make deps` (or set FIRELINE_SKIP_BROWSER=<reason>)", need)
		}
	}
	script, err := filepath.Abs(filepath.Join("browser", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in e2e/browser: run `make deps`: %v", err)
	}
	return script
}

// artifactsDir is where browser scripts leave failure screenshots and tests what is worth
// watching afterwards: FIRELINE_ARTIFACTS, else a temporary folder.
func artifactsDir(t *testing.T) string {
	if dir := os.Getenv("FIRELINE_ARTIFACTS"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// runScript runs a browser script against the stack, with its address, the demo password, the
// artifacts folder and env; it logs the script's output and returns it, and fails the test with
// the stack's log when the script fails or outlasts timeout.
func runScript(t *testing.T, s *stack, script, artifacts string, timeout time.Duration, env map[string]string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(),
		"FIRELINE_URL="+s.base,
		"FIRELINE_PASSWORD="+password,
		"FIRELINE_ARTIFACTS="+artifacts,
	)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)\n%s", err, artifacts, s.logTail())
	}
	return out
}
