// Package e2e drives the real `fireline` binary — embedded PostgreSQL, embedded Temporal server,
// worker, API, media server — over HTTP, the way a command centre uses it. It runs the binary as
// a separate process so that no test binary links the Temporal server, and so a restart is a real
// process restart on the same data directory.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fireline/fireline/internal/freeport"
)

// password is the demo password the stack is started with; not the default, so the test proves
// FIRELINE_DEMO_PASSWORD is honoured.
const password = "e2e-secret"

// binary is the fireline binary under test: FIRELINE_BIN (set by `make e2e`), else built once
// into a temporary directory so `go test ./e2e/` also works on its own.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("FIRELINE_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "fireline-e2e-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "fireline")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/fireline")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		binErr = cmd.Run()
	})
	if binErr != nil {
		t.Fatalf("build fireline: %v", binErr)
	}
	return binPath
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// stack is one `fireline dev` process and the ports it was given.
type stack struct {
	t                         *testing.T
	dir                       string
	httpPort, tempPort, uiPor int
	// gbPort is the transmission devices' listener (GB/T 26875.3): dev's own port would clash
	// between stacks running side by side.
	gbPort  int
	base    string
	cmd     *exec.Cmd
	logPath string
	exited  chan error
	runs    int
	// flags are added to `fireline dev`'s own, e.g. shorter supervision timers.
	flags []string
	// env is added to `fireline dev`'s environment, e.g. secrets no flag may carry.
	env []string
}

// newStack reserves ports and a data directory; start runs the process.
func newStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	// The embedded PostgreSQL runs as the postgres user when the tests run as root: it must be
	// able to reach its data directory through t.TempDir's private parents.
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatalf("chmod %s: %v", d, err)
		}
	}
	ports, err := freeport.Pick(4)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, dir: dir, httpPort: ports[0], tempPort: ports[1], uiPor: ports[2], gbPort: ports[3]}
	s.base = fmt.Sprintf("http://127.0.0.1:%d", s.httpPort)
	return s
}

// freePort picks a port outside the kernel's ephemeral range: the stack under test opens many
// connections while it starts, and one of them could otherwise take the port first.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := freeport.One()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs `fireline dev` and waits until /readyz says PostgreSQL and Temporal answer.
func (s *stack) start() {
	t := s.t
	t.Helper()
	s.runs++
	s.logPath = filepath.Join(s.dir, fmt.Sprintf("fireline-%d.log", s.runs))
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	args := append([]string{"dev",
		"--http", fmt.Sprintf("127.0.0.1:%d", s.httpPort),
		"--data", filepath.Join(s.dir, "data"),
		"--temporal-port", fmt.Sprint(s.tempPort),
		"--ui-port", fmt.Sprint(s.uiPor),
		"--gb26875", s.gbAddr(),
	}, s.flags...)
	s.cmd = exec.Command(binary(t), args...)
	s.cmd.Env = append(append(os.Environ(), "FIRELINE_DEMO_PASSWORD="+password), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start fireline: %v", err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait(); logf.Close() }()
	t.Cleanup(s.stop)

	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("fireline exited during start: %v\n%s", err, s.logTail())
		default:
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("stack run %d ready in %s (http %d, temporal %d, ui %d)", s.runs,
					time.Since(began).Round(time.Millisecond), s.httpPort, s.tempPort, s.uiPor)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("fireline not ready after 3m\n%s", s.logTail())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// gbAddr is the address of the stack's listener for transmission devices.
func (s *stack) gbAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.gbPort) }

// stop sends SIGINT, as Ctrl-C would, and expects a clean exit.
func (s *stack) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	t := s.t
	cmd := s.cmd
	s.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("fireline did not exit cleanly on SIGINT: %v\n%s", err, s.logTail())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Errorf("fireline still running 60s after SIGINT\n%s", s.logTail())
	}
}

func (s *stack) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(string(b), "\n")
	// A panic's reason is its first line; the goroutines' stacks after it would push it out
	// of the tail.
	head := ""
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			head = "--- fireline log (the panic) ---\n" + strings.Join(lines[i:min(i+8, len(lines))], "\n") + "\n"
			break
		}
	}
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return head + "--- fireline log (tail) ---\n" + strings.Join(lines, "\n")
}

// call sends a JSON request and decodes a JSON answer into out (when not nil); it returns the
// status and the raw body.
func (s *stack) call(method, path, token string, body, out any) (int, []byte) {
	s.t.Helper()
	return s.callWith(method, path, token, nil, body, out)
}

// callWith is call with the request's further headers.
func (s *stack) callWith(method, path, token string, header http.Header, body, out any) (int, []byte) {
	t := s.t
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode %s %s: %v", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		t.Fatalf("request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// must is call that fails the test unless the answer has the wanted status.
func (s *stack) must(want int, method, path, token string, body, out any) []byte {
	s.t.Helper()
	got, raw := s.call(method, path, token, body, out)
	if got != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	return raw
}

func (s *stack) login(user string) string {
	s.t.Helper()
	var res struct {
		Token string `json:"token"`
	}
	s.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &res)
	if res.Token == "" {
		s.t.Fatalf("login %s: empty token", user)
	}
	return res.Token
}

// eventually polls cond until it holds or the timeout passes; cond says what it is waiting for.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, what := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s still waiting: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDevHTTPPortInUse: a console port that is taken fails `fireline dev` at once with a message
// naming it, before the embedded PostgreSQL or Temporal server starts.
func TestDevHTTPPortInUse(t *testing.T) {
	s := newStack(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(s.dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t), "dev", "--http", fmt.Sprintf("127.0.0.1:%d", s.httpPort), "--data", data,
		"--temporal-port", fmt.Sprint(s.tempPort), "--ui-port", fmt.Sprint(s.uiPor)).CombinedOutput()
	if err == nil {
		t.Fatalf("fireline dev started on a taken port:\n%s", out)
	}
	want := fmt.Sprintf("listen 127.0.0.1:%d (http)", s.httpPort)
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "address already in use") {
		t.Errorf("output does not say %q and why:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(data, "postgres")); !os.IsNotExist(err) {
		t.Errorf("PostgreSQL was set up before the port clash was found (stat: %v)", err)
	}
}
