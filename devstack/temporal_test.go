//go:build devstack

// These tests compile the whole Temporal server (minutes on a small machine),
// so they only run with: go test -tags devstack ./devstack/

package devstack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fireline/fireline/devstack"
)

const (
	testNamespace  = "fireline-test"
	testTaskQueue  = "devstack-test"
	counterName    = "Counter"
	addUpdate      = "add"
	levelAttribute = "FirelineLevel"
)

var levelKey = temporal.NewSearchAttributeKeyInt64(levelAttribute)

// counter sums what the "add" update sends until it reaches target: a
// miniature of an incident taking operator actions as Updates.
func counter(ctx workflow.Context, target int) (int, error) {
	total := 0
	err := workflow.SetUpdateHandlerWithOptions(ctx, addUpdate,
		func(ctx workflow.Context, n int) (int, error) {
			total += n
			return total, workflow.UpsertTypedSearchAttributes(ctx, levelKey.ValueSet(int64(total)))
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, n int) error {
			if n <= 0 {
				return fmt.Errorf("add %d: must be positive", n)
			}
			return nil
		}},
	)
	if err != nil {
		return 0, err
	}
	if err := workflow.Await(ctx, func() bool { return total >= target }); err != nil {
		return 0, err
	}
	return total, nil
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func start(t *testing.T, dir string, uiPort int) *devstack.Temporal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	tmp, err := devstack.StartTemporal(ctx, devstack.TemporalConfig{
		DataDir:          dir,
		UIPort:           uiPort,
		Namespace:        testNamespace,
		SearchAttributes: map[string]enumspb.IndexedValueType{levelAttribute: enumspb.INDEXED_VALUE_TYPE_INT},
		Logger:           testLogger(),
	})
	if err != nil {
		t.Fatalf("StartTemporal: %v", err)
	}
	t.Logf("temporal at %s, ui %q, started in %s", tmp.Address(), tmp.UIURL(), time.Since(begin).Round(time.Millisecond))
	return tmp
}

// connect returns a client and a running worker for counter.
func connect(t *testing.T, tmp *devstack.Temporal) (client.Client, func()) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: tmp.Address(), Namespace: testNamespace})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(counter, workflow.RegisterOptions{Name: counterName})
	if err := w.Start(); err != nil {
		c.Close()
		t.Fatalf("start worker: %v", err)
	}
	return c, func() {
		w.Stop()
		c.Close()
	}
}

func add(ctx context.Context, c client.Client, workflowID string, n int) (int, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   addUpdate,
		Args:         []any{n},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return 0, err
	}
	var total int
	err = h.Get(ctx, &total)
	return total, err
}

func TestTemporalSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// First life: one workflow runs to completion, one is left mid-way.
	tmp := start(t, dir, 0)
	if tmp.UIURL() == "" {
		t.Fatal("UIURL is empty with the UI enabled")
	}
	checkUI(t, tmp.UIURL())

	if _, err := devstack.StartTemporal(ctx, devstack.TemporalConfig{DataDir: dir, UIPort: -1}); !errors.Is(err, devstack.ErrDataDirInUse) {
		t.Fatalf("second StartTemporal on a busy data dir: got %v, want ErrDataDirInUse", err)
	}

	c, stop := connect(t, tmp)
	opts := func(id string) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: id, TaskQueue: testTaskQueue}
	}
	done, err := c.ExecuteWorkflow(ctx, opts("done"), counterName, 3)
	if err != nil {
		t.Fatalf("start done: %v", err)
	}
	for _, n := range []int{1, 2} {
		if _, err := add(ctx, c, "done", n); err != nil {
			t.Fatalf("add %d: %v", n, err)
		}
	}
	var total int
	if err := done.Get(ctx, &total); err != nil || total != 3 {
		t.Fatalf("done result: %d, %v; want 3", total, err)
	}
	if _, err := c.ExecuteWorkflow(ctx, opts("pending"), counterName, 5); err != nil {
		t.Fatalf("start pending: %v", err)
	}
	if _, err := add(ctx, c, "pending", -1); err == nil {
		t.Fatal("validator accepted a negative add")
	}
	if got, err := add(ctx, c, "pending", 2); err != nil || got != 2 {
		t.Fatalf("add to pending: %d, %v; want 2", got, err)
	}
	waitListed(ctx, t, c, fmt.Sprintf("WorkflowId = 'done' AND %s = 3", levelAttribute))
	checkUIListsWorkflow(t, tmp.UIURL(), "done")
	stop()
	if err := tmp.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := tmp.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// Second life on the same data dir, without the UI.
	tmp = start(t, dir, -1)
	defer func() {
		if err := tmp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if tmp.UIURL() != "" {
		t.Fatalf("UIURL = %q with the UI disabled", tmp.UIURL())
	}
	c, stop = connect(t, tmp)
	defer stop()

	desc, err := c.DescribeWorkflowExecution(ctx, "done", done.GetRunID())
	if err != nil {
		t.Fatalf("describe done after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("done status after restart = %s", st)
	}
	if got, err := add(ctx, c, "pending", 3); err != nil || got != 5 {
		t.Fatalf("add to pending after restart: %d, %v; want 5", got, err)
	}
	// The visibility store, in a file of its own, kept the first life's records.
	if _, err := os.Stat(filepath.Join(dir, "temporal-visibility.db")); err != nil {
		t.Errorf("visibility file: %v", err)
	}
	waitListed(ctx, t, c, fmt.Sprintf("WorkflowId = 'done' AND %s = 3", levelAttribute))
	if err := c.GetWorkflow(ctx, "pending", "").Get(ctx, &total); err != nil || total != 5 {
		t.Fatalf("pending result: %d, %v; want 5", total, err)
	}
}

// TestTemporalKeepsOneFileLayout: a data directory made when visibility lived inside
// temporal.db (no temporal-visibility.db beside it) keeps it there: its workflows stay listed,
// and no second file appears.
func TestTemporalKeepsOneFileLayout(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp := start(t, dir, -1)
	if err := tmp.Close(); err != nil {
		t.Fatal(err)
	}
	vis := filepath.Join(dir, "temporal-visibility.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(vis + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	tmp = start(t, dir, -1)
	defer func() {
		if err := tmp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	c, stop := connect(t, tmp)
	defer stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "one-file", TaskQueue: testTaskQueue}, counterName, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := add(ctx, c, "one-file", 1); err != nil {
		t.Fatal(err)
	}
	var total int
	if err := run.Get(ctx, &total); err != nil || total != 1 {
		t.Fatalf("result %d, %v", total, err)
	}
	waitListed(ctx, t, c, "WorkflowId = 'one-file'")
	if _, err := os.Stat(vis); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a one-file data directory grew %s: %v", vis, err)
	}
}

// childDirEnv makes the test binary act as the process that gets killed.
const childDirEnv = "DEVSTACK_TEST_CHILD_DIR"

const childReady = "devstack child ready"

// TestTemporalSurvivesKill kills a process running the server mid-workflow,
// without Close, and finishes the workflow in a new process on the same data
// dir: the data-dir lock must die with the process and the SQLite file must
// hold every acknowledged step.
func TestTemporalSurvivesKill(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		runKilledChild(t, dir)
		return
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestTemporalSurvivesKill$", "-test.v")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	ready := false
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if strings.Contains(sc.Text(), childReady) {
			ready = true
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	_ = cmd.Wait()
	if !ready {
		t.Fatal("child exited before it was ready")
	}

	tmp := start(t, dir, -1)
	defer func() {
		if err := tmp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	c, stop := connect(t, tmp)
	defer stop()
	if got, err := add(ctx, c, "killed", 2); err != nil || got != 3 {
		t.Fatalf("add after kill: %d, %v; want 3", got, err)
	}
	var total int
	if err := c.GetWorkflow(ctx, "killed", "").Get(ctx, &total); err != nil || total != 3 {
		t.Fatalf("result after kill: %d, %v; want 3", total, err)
	}
}

// runKilledChild starts a workflow, takes one step, says so and waits to be
// killed.
func runKilledChild(t *testing.T, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tmp := start(t, dir, -1)
	c, _ := connect(t, tmp)
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "killed", TaskQueue: testTaskQueue}, counterName, 3); err != nil {
		t.Fatalf("child: start: %v", err)
	}
	if _, err := add(ctx, c, "killed", 1); err != nil {
		t.Fatalf("child: add: %v", err)
	}
	fmt.Println(childReady)
	<-ctx.Done()
	t.Fatal("child: not killed")
}

// TestTemporalSideBySide runs two instances with neighbouring frontend ports,
// as two `fireline dev --temporal-port 7233/7234` would.
func TestTemporalSideBySide(t *testing.T) {
	port := adjacentFreePorts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := range 2 {
		tmp, err := devstack.StartTemporal(ctx, devstack.TemporalConfig{
			DataDir:          t.TempDir(),
			Port:             port + i,
			UIPort:           0,
			Namespace:        testNamespace,
			SearchAttributes: map[string]enumspb.IndexedValueType{levelAttribute: enumspb.INDEXED_VALUE_TYPE_INT},
			Logger:           testLogger(),
		})
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer func() {
			if err := tmp.Close(); err != nil {
				t.Errorf("instance %d: Close: %v", i, err)
			}
		}()
		if want := fmt.Sprintf("127.0.0.1:%d", port+i); tmp.Address() != want {
			t.Fatalf("instance %d: Address = %q, want %q", i, tmp.Address(), want)
		}
		checkUI(t, tmp.UIURL())
		c, stop := connect(t, tmp)
		defer stop()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "side", TaskQueue: testTaskQueue}, counterName, 1)
		if err != nil {
			t.Fatalf("instance %d: start: %v", i, err)
		}
		if _, err := add(ctx, c, "side", 1); err != nil {
			t.Fatalf("instance %d: add: %v", i, err)
		}
		var total int
		if err := run.Get(ctx, &total); err != nil || total != 1 {
			t.Fatalf("instance %d: result %d, %v; want 1", i, total, err)
		}
	}
}

// adjacentFreePorts returns a port p such that p and p+1 are free now.
func adjacentFreePorts(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
		_ = l.Close()
		if err == nil {
			_ = next.Close()
			return port
		}
	}
	t.Fatal("no two adjacent free ports")
	return 0
}

func TestTemporalPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		cfg  devstack.TemporalConfig
	}{
		{"frontend", devstack.TemporalConfig{Port: port, UIPort: -1}},
		{"ui", devstack.TemporalConfig{UIPort: port}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DataDir = t.TempDir()
			_, err := devstack.StartTemporal(context.Background(), tt.cfg)
			if !errors.Is(err, devstack.ErrPortInUse) {
				t.Fatalf("got %v, want ErrPortInUse", err)
			}
		})
	}
}

func checkUI(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatalf("GET ui: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET ui / = %s, want 200", resp.Status)
	}
}

// checkUIListsWorkflow asks the UI server's own API, which the browser uses,
// for the namespace's workflows: proof that the UI reaches the frontend.
func checkUIListsWorkflow(t *testing.T, base, workflowID string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/namespaces/" + testNamespace + "/workflows")
	if err != nil {
		t.Fatalf("GET ui workflows: %v", err)
	}
	defer resp.Body.Close()
	var list struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		} `json:"executions"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET ui workflows = %s, want 200", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("decode ui workflows: %v", err)
	}
	for _, e := range list.Executions {
		if e.Execution.WorkflowID == workflowID {
			return
		}
	}
	t.Fatalf("ui lists %+v, want %q among them", list.Executions, workflowID)
}

// waitListed waits for visibility, which lags the workflow by a moment, to
// find exactly one workflow for query: what the UI's workflow list relies on.
func waitListed(ctx context.Context, t *testing.T, c client.Client, query string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.GetExecutions()) == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("list %q: %v, %d executions", query, err, len(resp.GetExecutions()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
