package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fireline/fireline/devstack/pgcluster"
)

// The short fault drills: each runs a small surge through `fireline loadgen` against a real
// `fireline dev`, breaks something half way, lets the surge's resends carry on, and ends with
// `fireline verify` over the loadgen's receipts. `make drills` (scripts/drills.sh) runs the
// long versions of the same drills.

// drillSurge is the short drills' load: 120 alarms over 10 s from calls, the public and
// panels, 15% second callers, as loadgen makes them by default.
var drillSurge = []string{"--surge", "120", "--over", "10s"}

// drillLoad is a `fireline loadgen` running in the background against s.
type drillLoad struct {
	t        *testing.T
	cmd      *exec.Cmd
	out      strings.Builder
	summary  string
	receipts string
	done     chan error
	began    time.Time
}

// startLoad starts loadgen against s: an alarm answered 429 or 5xx, refused a connection or
// left unanswered for 10 s is sent again with its same source id after its backoff, until the
// run's two minutes are up. A shorter wait would resend, and so cancel, work that a loaded
// machine had begun: the kill and the outage answer at once (a reset, a refusal, a 503).
func startLoad(t *testing.T, s *stack) *drillLoad {
	t.Helper()
	return startLoadAt(t, s, s.base)
}

// startLoadAt is startLoad through the given targets: comma-separated API nodes, which the
// alarms take in turn, a resend going to the next.
func startLoadAt(t *testing.T, s *stack, targets string) *drillLoad {
	t.Helper()
	l := &drillLoad{t: t, summary: filepath.Join(s.dir, "summary.json"), receipts: filepath.Join(s.dir, "acked.jsonl"), done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	args := append([]string{"loadgen", "--target", targets, "--run-id", "drill", "--attempt-timeout", "10s", "--timeout", "2m",
		"--json", l.summary, "--acked", l.receipts}, drillSurge...)
	l.cmd = exec.CommandContext(ctx, binary(t), args...)
	l.cmd.Env = append(os.Environ(), "FIRELINE_DEMO_PASSWORD="+password)
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.out
	l.began = time.Now()
	if err := l.cmd.Start(); err != nil {
		t.Fatalf("start loadgen: %v", err)
	}
	go func() { l.done <- l.cmd.Wait() }()
	return l
}

// wait waits for the run and fails the test unless every planned alarm was acknowledged and
// found on its incident, none failed, none lost, no unit dispatched twice, and every incident
// the surge opened was recommended before loadgen's two minutes were up.
func (l *drillLoad) wait(s *stack) {
	t := l.t
	t.Helper()
	err := <-l.done
	t.Logf("loadgen in %s:\n%s", time.Since(l.began).Round(time.Millisecond), l.out.String())
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, s.logTail())
	}
	b, err := os.ReadFile(l.summary)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Planned, Acknowledged, Lost, Failed, Unchecked, Retried, Incidents, Recommended int
		DoubleDispatches                                                                int  `json:"double_dispatches"`
		TimedOut                                                                        bool `json:"timed_out"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	// loadgen waits for the recommendation of every incident its alarms opened until its time
	// is up: timed out, one never came.
	if sum.TimedOut {
		unrecommended(t, s)
	}
	if sum.Planned == 0 || sum.Acknowledged != sum.Planned || sum.Lost != 0 || sum.Failed != 0 || sum.Unchecked != 0 ||
		sum.DoubleDispatches != 0 || sum.TimedOut {
		t.Fatalf("summary %s: want every alarm acknowledged and found, none failed or lost, no double dispatch, every incident recommended in time", b)
	}
	t.Logf("%d/%d alarms acknowledged (%d resends), %d incidents, %d recommended of those the surge opened",
		sum.Acknowledged, sum.Planned, sum.Retried, sum.Incidents, sum.Recommended)
}

// handedOn waits until no alarm of s awaits its hand-off — stored with an incident, never
// marked as handed to its workflow (migration 0023's queue) — and logs how many the
// starter handed on after a delay: an alarm stored while the engine could not take it, or
// whose process died before its mark, must be started by the system, not by a resend.
func handedOn(t *testing.T, s *stack) {
	t.Helper()
	bin, err := pgcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", lastPGPort(t, s))
	awaiting := ""
	eventually(t, 30*time.Second, func() (bool, string) {
		out, err := exec.Command(filepath.Join(bin, "psql"), "-XtAc",
			"SELECT count(*) FROM alarms WHERE handed_off_at IS NULL AND incident_id IS NOT NULL", url).CombinedOutput()
		awaiting = strings.TrimSpace(string(out))
		return err == nil && awaiting == "0", fmt.Sprintf("alarms awaiting their hand-off: %s (%v)", awaiting, err)
	})
	n := 0
	for run := 1; run <= s.runs; run++ {
		b, _ := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("fireline-%d.log", run)))
		for _, m := range handedOff.FindAllSubmatch(b, -1) {
			k, _ := strconv.Atoi(string(m[1]))
			n += k
		}
	}
	t.Logf("no alarm awaits its hand-off; the starter handed on %d after a delay", n)
}

// unrecommended logs, for a failed drill, the incidents with no recommendation on their
// timeline, their alarms' hand-off marks and every line of the stack's logs that names them.
func unrecommended(t *testing.T, s *stack) {
	t.Helper()
	bin, err := pgcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", lastPGPort(t, s))
	out, err := exec.Command(filepath.Join(bin, "psql"), "-XtA", "-F", " ", "-c", `
		SELECT i.id, i.status, i.created_at, a.id, a.stored_at, a.handed_off_at FROM incidents i JOIN alarms a ON a.incident_id = i.id
		WHERE NOT EXISTS (SELECT FROM incident_events e WHERE e.incident_id = i.id AND e.kind = 'recommended') ORDER BY i.id, a.id`, url).CombinedOutput()
	t.Logf("incidents without a recommendation (incident, status, created, alarm, stored, handed off): %v\n%s", err, out)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		id, _, _ := strings.Cut(line, " ")
		if id == "" {
			continue
		}
		re := regexp.MustCompile(`incident[=:]` + regexp.QuoteMeta(id) + `\b|incidents/` + regexp.QuoteMeta(id) + `\b`)
		for run := 1; run <= s.runs; run++ {
			b, _ := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("fireline-%d.log", run)))
			var lines []string
			for _, l := range strings.Split(string(b), "\n") {
				if re.MatchString(l) {
					lines = append(lines, l)
				}
			}
			t.Logf("run %d's log on incident %s:\n%s", run, id, strings.Join(lines, "\n"))
		}
	}
}

var handedOff = regexp.MustCompile(`msg="alarms handed off after a delay".* count=(\d+)`)

// lastPGPort is the port of the embedded PostgreSQL of s's last run, from its log.
func lastPGPort(t *testing.T, s *stack) string {
	t.Helper()
	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := pgPort.FindAllSubmatch(log, -1)
	if m == nil {
		t.Fatalf("no PostgreSQL port in the stack's log")
	}
	return string(m[len(m)-1][1])
}

// judge ends a drill: the surge's own checks, the hand-off queue drained, and verify over its
// receipts; it logs what the drill cost.
func (l *drillLoad) judge(s *stack, drill string, began time.Time) {
	l.t.Helper()
	l.wait(s)
	handedOn(l.t, s)
	verifyDrill(l.t, s, l.receipts)
	l.t.Logf("drill %s: %s", drill, time.Since(began).Round(time.Millisecond))
}

// verifyDrill runs `fireline verify` over the run's receipts against s's PostgreSQL (its last
// run's port) and Temporal, and fails the test on any violation.
func verifyDrill(t *testing.T, s *stack, receipts string) {
	t.Helper()
	cmd := exec.Command(binary(t), "verify", "--alarms", receipts, "--settle", "5s")
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("DATABASE_URL=postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", lastPGPort(t, s)),
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", s.tempPort))
	began := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("fireline verify (%s):\n%s", time.Since(began).Round(time.Millisecond), out)
	if err != nil || !strings.Contains(string(out), ": 0 violations") {
		t.Fatalf("verify after the drill: %v\n%s", err, out)
	}
}

// killTree sends SIGKILL to s's `fireline dev` and every process under it, the embedded
// PostgreSQL (in a session of its own) and its backends included, as a power cut would: no
// process gets to shut down in order. The PostgreSQL processes go first, so that none of them
// is told of the parent's death (the postmaster's parent-death signal asks for a fast shutdown).
func killTree(t *testing.T, s *stack) {
	t.Helper()
	pids := descendants(s.cmd.Process.Pid)
	for i := len(pids) - 1; i >= 0; i-- {
		_ = syscall.Kill(pids[i], syscall.SIGKILL)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill fireline: %v", err)
	}
	<-s.exited
	s.cmd = nil // nothing left for the cleanup's SIGINT
	t.Logf("killed fireline dev and %d processes under it with SIGKILL", len(pids))
}

// descendants lists the processes under pid, parents before their children, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// pgCtl runs PostgreSQL's pg_ctl on the stack's embedded cluster, as the account that owns it
// (postgres when the tests run as root: pg_ctl refuses root).
func pgCtl(t *testing.T, s *stack, args ...string) error {
	t.Helper()
	bin, err := pgcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.dir, "data", "postgres")
	cmd := exec.Command(filepath.Join(bin, "pg_ctl"), append([]string{"-D", dir}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := cmd.CombinedOutput()
	t.Logf("pg_ctl %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	return err
}

// postmasterOptions are the options the embedded PostgreSQL was last started with (its port,
// its listen address and socket folder), as the server wrote them into postmaster.opts,
// quoted for pg_ctl's -o.
func postmasterOptions(t *testing.T, s *stack) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "data", "postgres", "postmaster.opts"))
	if err != nil {
		t.Fatal(err)
	}
	_, opts, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if !ok {
		t.Fatalf("postmaster.opts: %q", b)
	}
	return opts
}

// TestDrillKillDev: a surge against `fireline dev`, the whole process tree — the embedded
// PostgreSQL and its backends, the in-process Temporal server, worker and API — killed with
// SIGKILL half way and restarted on the same data while the surge's sources resend what went
// unanswered. Every acknowledged alarm must be found on its incident, every incident
// recommended, no alarm left awaiting its hand-off, and `fireline verify` pass over the
// receipts.
func TestDrillKillDev(t *testing.T) {
	// Parallel with the other stack tests that wait (run after the sequential ones).
	t.Parallel()
	began := time.Now()
	s := newStack(t)
	s.start()
	load := startLoad(t, s)
	time.Sleep(5 * time.Second)
	killTree(t, s)
	s.start()
	load.judge(s, "kill-dev", began)
}

// TestDrillKillNode: a surge through two API/worker nodes taken in turn, as a balancer would —
// `fireline dev` and a `fireline serve --roles api,worker` beside it, on the same PostgreSQL and
// Temporal. A third of the way in, the second node's link to Temporal is cut for four seconds
// (its alarms are acknowledged with their hand-off pending, as while Temporal restarts); then
// it is killed with kill -9 while alarms are in flight to it, and their sources resend to the
// other node. Every acknowledged alarm must be found on its incident, each hand-off made by the
// system, and fireline verify pass.
func TestDrillKillNode(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := newStack(t)
	s.start()
	proxy := newTCPProxy(t, fmt.Sprintf("127.0.0.1:%d", s.tempPort))
	node := serveNode(t, s, proxy.addr(), "api,worker")
	load := startLoadAt(t, s, node.base+","+s.base)
	time.Sleep(3 * time.Second)
	proxy.cut()
	t.Log("the second node's link to Temporal is cut")
	time.Sleep(4 * time.Second)
	proxy.heal()
	t.Log("the link is back; kill -9 the second node with alarms in flight")
	time.Sleep(time.Second)
	if err := node.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-node.exited
	node.cmd = nil // killed on purpose: its clean-up has nothing to stop
	load.judge(s, "kill-node", began)
}

// TestDrillRestartPostgres: a surge against `fireline dev` whose embedded PostgreSQL is stopped
// as by a crash (pg_ctl's immediate shutdown: no checkpoint, recovery from the WAL at the next
// start) and started again on the same port four seconds later. Meanwhile intake answers 503
// with Retry-After and the sources resend; afterwards every acknowledged alarm must be found on
// its incident, every incident recommended (workflows whose activities met the outage carried
// on), no alarm left awaiting its hand-off (those acknowledged pending were started by the
// system), and `fireline verify` pass.
func TestDrillRestartPostgres(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := newStack(t)
	// The server pg_ctl starts is not fireline's child: it is stopped here, after fireline
	// (cleanups run last first).
	restarted := false
	t.Cleanup(func() {
		if restarted {
			_ = pgCtl(t, s, "stop", "-m", "fast", "-w")
		}
	})
	s.start()
	opts := postmasterOptions(t, s)
	op := s.login("operator")
	load := startLoad(t, s)
	time.Sleep(3 * time.Second)
	if err := pgCtl(t, s, "stop", "-m", "immediate", "-w"); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	time.Sleep(time.Second)
	status, retry := alarmWhileDown(t, s, op)
	time.Sleep(3 * time.Second)
	restarted = true
	if err := pgCtl(t, s, "start", "-w", "-t", "60", "-l", filepath.Join(s.dir, "data", "postgres", "server.log"), "-o", opts); err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	load.judge(s, "restart-postgres", began)
	s.stop()
	if status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("an alarm with PostgreSQL down was answered %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
}

// alarmWhileDown posts one alarm of its own and answers its status and Retry-After. It is not
// among loadgen's receipts: if it was acknowledged after all, verify's ledger checks hold it
// to the same rules.
func alarmWhileDown(t *testing.T, s *stack, token string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"source":"call","source_id":"drill-while-down","type":"structure_fire","lat":36.45,"lng":115.98,"reported_at":%q}`,
		time.Now().UTC().Format(time.RFC3339))
	req, err := http.NewRequest("POST", s.base+"/api/v1/alarms", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("an alarm with PostgreSQL down: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	t.Logf("an alarm with PostgreSQL down: %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}
