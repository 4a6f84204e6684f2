package e2e

import (
	"bytes"
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
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestIncidentReadModelWithoutTemporal: the console's reads need PostgreSQL alone. A second API
// node (`fireline serve --roles api`) shares the dev stack's PostgreSQL and reaches its Temporal
// through a proxy this test runs; with one incident working (recommendation with alternates,
// assessment, a silent unit's replacement, a PAR due, agency tasks, escalations) and one closed
// and reviewed, the proxy is cut. The node must then answer the incident, the list, the review
// and the timelines exactly as before, and refuse an order at once with a 503 that says why.
func TestIncidentReadModelWithoutTemporal(t *testing.T) {
	s := newStack(t)
	// A crew that does not acknowledge within 3 s gets a replacement offered, and a PAR falls
	// due 5 s after a unit is on scene. The timers that would write later are pushed past the
	// test, so the incidents hold still while their answers are compared.
	s.flags = []string{"--ack-timeout", "3s", "--par-interval", "5s", "--par-grace", "30m", "--turnout", "30m",
		"--first-arrival", "30m", "--full-alarm", "30m"}
	s.start()
	op := s.login("operator")

	// Incident B: dispatched, worked, closed and reviewed.
	b := openIncident(t, s, op, "e2e-readmodel-b", fireline.Point{Lat: 36.4412, Lng: 115.9702})
	bPath := fmt.Sprintf("/api/v1/incidents/%d", b)
	bInc := waitIncident(t, s, op, bPath, "a recommendation", func(i fireline.Incident) bool { return len(i.Recommendation) > 0 })
	s.must(http.StatusOK, "POST", bPath+"/assess", op, map[string]any{"type": "structure_fire", "level": 1, "priority": 2}, nil)
	var bUnits []string
	for _, r := range bInc.Recommendation {
		bUnits = append(bUnits, r.UnitID)
	}
	s.must(http.StatusOK, "POST", bPath+"/dispatch", op, map[string]any{"unit_ids": bUnits}, nil)
	for _, u := range bUnits {
		crew := s.login("crew-" + u)
		for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene, fireline.UnitAvailable} {
			s.must(http.StatusAccepted, "POST", "/api/v1/units/"+u+"/status", crew, map[string]string{"status": string(st)}, nil)
		}
	}
	waitAssignments(t, s, op, bPath, func(a fireline.Assignment) bool { return a.ClearedAt != nil }, "every unit of B cleared")
	s.must(http.StatusOK, "POST", bPath+"/close", op, map[string]string{"reason": "e2e: fire out"}, nil)
	waitIncident(t, s, op, bPath, "B reviewed", func(i fireline.Incident) bool { return i.Status == fireline.IncidentReviewed })

	// Incident A: recommended with alternates, assessed, two units sent; the first stays silent
	// and gets a replacement offered, the second arrives and a PAR falls due.
	a := openIncident(t, s, op, "e2e-readmodel-a", scene)
	aPath := fmt.Sprintf("/api/v1/incidents/%d", a)
	aInc := waitIncident(t, s, op, aPath, "a recommendation of two units with alternates", func(i fireline.Incident) bool {
		return len(i.Recommendation) >= 2 && len(i.Alternates) > 0
	})
	s.must(http.StatusOK, "POST", aPath+"/assess", op, map[string]any{"type": "structure_fire", "level": 1, "priority": 2}, nil)
	silent, arriving := aInc.Recommendation[0].UnitID, aInc.Recommendation[1].UnitID
	s.must(http.StatusOK, "POST", aPath+"/dispatch", op, map[string]any{"unit_ids": []string{silent, arriving}}, nil)
	crew := s.login("crew-" + arriving)
	for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene} {
		s.must(http.StatusAccepted, "POST", "/api/v1/units/"+arriving+"/status", crew, map[string]string{"status": string(st)}, nil)
	}
	aInc = waitIncident(t, s, op, aPath, "a replacement for "+silent+" and a PAR due", func(i fireline.Incident) bool {
		return len(i.Replacements) > 0 && i.PARDueAt != nil
	})
	// What A must show, from PostgreSQL alone: each of these came from the workflow's Query
	// before the read model held it.
	switch {
	case len(aInc.Alternates) == 0:
		t.Errorf("A has no alternates")
	case aInc.Replacements[0].Replaces != silent:
		t.Errorf("A's replacement %+v, want one in place of %s", aInc.Replacements[0], silent)
	case aInc.AssessedAt == nil || aInc.AssessedBy != "operator":
		t.Errorf("A assessed %v by %q, want by operator", aInc.AssessedAt, aInc.AssessedBy)
	case len(aInc.AgencyTasks) == 0 || len(aInc.Escalations) == 0:
		t.Errorf("A has agency tasks %v and escalations %v, want both", aInc.AgencyTasks, aInc.Escalations)
	case aInc.UpdatedAt.IsZero():
		t.Errorf("A says nothing of when it was recorded")
	}

	proxy := newTCPProxy(t, fmt.Sprintf("127.0.0.1:%d", s.tempPort))
	node := apiNode(t, s, proxy.addr())
	reads := []string{aPath, bPath, "/api/v1/incidents", bPath + "/review", aPath + "/timeline", bPath + "/timeline"}
	before := map[string][]byte{}
	for _, p := range reads {
		before[p] = node.must(http.StatusOK, "GET", p, op, nil, nil)
		if mine := s.must(http.StatusOK, "GET", p, op, nil, nil); !bytes.Equal(mine, before[p]) {
			t.Errorf("%s: the two nodes answer differently:\n%s\n%s", p, mine, before[p])
		}
	}

	proxy.cut()
	t.Log("the API node's link to Temporal is cut")
	eventually(t, 20*time.Second, func() (bool, string) {
		var checks map[string]string
		code, raw := node.call("GET", "/readyz", "", nil, nil)
		_ = json.Unmarshal(raw, &checks)
		return code == http.StatusServiceUnavailable && checks["postgres"] == "ok" && checks["temporal"] != "ok",
			fmt.Sprintf("/readyz to report the workflow engine down: %d %s", code, raw)
	})

	t.Run("reads answer as before", func(t *testing.T) {
		for _, p := range reads {
			began := time.Now()
			after := node.must(http.StatusOK, "GET", p, op, nil, nil)
			if took := time.Since(began); took > 5*time.Second {
				t.Errorf("%s took %s", p, took)
			}
			if !bytes.Equal(after, before[p]) {
				t.Errorf("%s changed with Temporal cut off:\nbefore %s\nafter  %s", p, before[p], after)
			}
		}
		var got fireline.Incident
		node.must(http.StatusOK, "GET", aPath, op, nil, &got)
		if len(got.Alternates) == 0 || len(got.Replacements) == 0 || got.PARDueAt == nil || got.AssessedBy != "operator" {
			t.Errorf("A without Temporal: %+v", got)
		}
		var review fireline.Review
		node.must(http.StatusOK, "GET", bPath+"/review", op, nil, &review)
		if review.CallProcessingSeconds == nil || len(review.Units) != len(bUnits) || review.Outcome != fireline.IncidentClosed {
			t.Errorf("B's review without Temporal: %+v", review)
		}
	})

	t.Run("an order gets a 503 at once", func(t *testing.T) {
		began := time.Now()
		code, raw := node.call("POST", aPath+"/assess", op, map[string]any{"type": "structure_fire", "level": 2, "priority": 1}, nil)
		took := time.Since(began)
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(raw, &p)
		if code != http.StatusServiceUnavailable || p.Status != code || p.Code != fireline.EUNAVAILABLE ||
			!strings.Contains(p.Detail, "workflow engine is not answering") {
			t.Errorf("assess with Temporal cut off: %d %s, want a 503 problem saying the workflow engine is not answering", code, raw)
		}
		t.Logf("assess answered %d in %s", code, took.Round(time.Millisecond))
		if took > 10*time.Second {
			t.Errorf("the 503 took %s", took)
		}
		if after := node.must(http.StatusOK, "GET", aPath, op, nil, nil); !bytes.Equal(after, before[aPath]) {
			t.Errorf("the refused order changed A:\n%s", after)
		}
	})
	t.Run("an alarm taken meanwhile is started by the system", func(t *testing.T) { alarmStartsBySystem(t, s, node, op) })
}

// waitIncident polls the incident until cond holds and returns it.
func waitIncident(t *testing.T, s *stack, token, path, what string, cond func(fireline.Incident) bool) fireline.Incident {
	t.Helper()
	var inc fireline.Incident
	eventually(t, 60*time.Second, func() (bool, string) {
		inc = fireline.Incident{}
		s.must(http.StatusOK, "GET", path, token, nil, &inc)
		return cond(inc), fmt.Sprintf("%s on %s", what, path)
	})
	return inc
}

// apiNode starts `fireline serve --roles api` on the dev stack's PostgreSQL and the given
// Temporal address, and waits until it is ready. Its log is shown if the test fails.
func apiNode(t *testing.T, s *stack, temporal string) *stack {
	t.Helper()
	return serveNode(t, s, temporal, "api")
}

// serveNode starts `fireline serve --roles roles` beside s, on s's PostgreSQL and the Temporal
// frontend at temporal, and waits until it is ready.
func serveNode(t *testing.T, s *stack, temporal, roles string) *stack {
	t.Helper()
	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := pgPort.FindSubmatch(log)
	if m == nil {
		t.Fatalf("no PostgreSQL port in the stack's log")
	}
	port := freePort(t)
	name := strings.ReplaceAll(roles, ",", "-") + "-node"
	n := &stack{t: t, dir: s.dir, base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: filepath.Join(s.dir, name+".log")}
	logf, err := os.Create(n.logPath)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(binary(t), "serve", "--roles", roles, "--http", fmt.Sprintf("127.0.0.1:%d", port),
		"--recordings", filepath.Join(s.dir, name+"-recordings"))
	n.cmd.Env = append(os.Environ(),
		fmt.Sprintf("DATABASE_URL=postgres://fireline_app@127.0.0.1:%s/fireline?sslmode=disable", m[1]),
		"TEMPORAL_ADDRESS="+temporal)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.exited = make(chan error, 1)
	go func() { n.exited <- n.cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Log(n.logTail())
		}
	})
	eventually(t, 60*time.Second, func() (bool, string) {
		resp, err := http.Get(n.base + "/readyz")
		if err != nil {
			return false, "the API node up: " + err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("the API node ready: /readyz %d", resp.StatusCode)
	})
	return n
}

// tcpProxy forwards TCP connections to a target until it is cut. From then on it behaves as a
// network partition: it drops the connections it carried and takes new ones without ever
// passing a byte, so a client waits rather than being refused.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	isCut  bool
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue // cut: held open, never answered
		}
		go p.forward(c)
	}
}

// track remembers c for closing and reports whether the proxy still forwards.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
	return !p.isCut
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// cut stops forwarding: every connection carried so far is dropped.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// heal forwards again: the connections held while cut are dropped, so their clients dial anew.
func (p *tcpProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.isCut = false
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.cut()
}
