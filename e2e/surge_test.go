package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
)

// TestSurge measures how long an alarm waits for its recommendation when alarms arrive at a
// steady rate: for each incident, its `recommended` timeline event minus its first alarm's
// receipt (received_at), the latency the operators feel. It is a measurement, not a check, and
// takes minutes, so it runs only when asked:
//
//	FIRELINE_SURGE=20x30s,50x40s FIRELINE_SURGE_BINS=old=/tmp/old,new=/tmp/new go test -count=1 -run TestSurge -v -timeout 60m ./e2e/
//
// Every load runs once per binary, the binaries alternating, each on a fresh stack, so that a
// before-and-after comparison shares the machine and the moment. Without FIRELINE_SURGE_BINS
// the binary under test is the one the other tests use. FIRELINE_SURGE_PPROF=dir writes a CPU
// profile and the log of each run's fireline process into dir.
func TestSurge(t *testing.T) {
	spec := os.Getenv("FIRELINE_SURGE")
	if spec == "" {
		t.Skip("a surge takes minutes of a whole machine: set FIRELINE_SURGE=RATExDURATION[,…] (e.g. 50x40s) to run it")
	}
	loads, err := parseLoads(spec)
	if err != nil {
		t.Fatal(err)
	}
	bins := []surgeBin{{name: "current", path: binary(t)}}
	if v := os.Getenv("FIRELINE_SURGE_BINS"); v != "" {
		bins = nil
		for _, b := range strings.Split(v, ",") {
			name, path, ok := strings.Cut(b, "=")
			if !ok {
				t.Fatalf("FIRELINE_SURGE_BINS: %q is not name=path", b)
			}
			bins = append(bins, surgeBin{name: name, path: path})
		}
	}
	var results []string
	for _, l := range loads {
		for _, b := range bins {
			r := runSurge(t, b, l)
			line := fmt.Sprintf("%-8s %3.0f/s for %-4s: acknowledged %d/%d, incidents %d, recommended %d; alarm→recommended p50 %s p99 %s max %s; ack p50 %s p99 %s",
				b.name, l.rate, l.over, r.acked, r.sent, r.incidents, len(r.latency), pct(r.latency, 50), pct(r.latency, 99), pct(r.latency, 100),
				pct(r.ack, 50), pct(r.ack, 99))
			line += fmt.Sprintf("\n         temporal, %d histories: %.1f workflow tasks and %.1f activity tasks an incident; workflow task schedule-to-start p50 %s p99 %s, start-to-complete p50 %s p99 %s; activity schedule-to-start p50 %s p99 %s",
				r.histories, float64(len(r.wftWait))/float64(max(r.histories, 1)), float64(len(r.actWait))/float64(max(r.histories, 1)),
				pct(r.wftWait, 50), pct(r.wftWait, 99), pct(r.wftRun, 50), pct(r.wftRun, 99), pct(r.actWait, 50), pct(r.actWait, 99))
			t.Log(line)
			results = append(results, line)
		}
	}
	t.Log("surge summary:\n" + strings.Join(results, "\n"))
}

type surgeBin struct{ name, path string }

type surgeLoad struct {
	rate float64
	over time.Duration
}

func parseLoads(spec string) ([]surgeLoad, error) {
	var out []surgeLoad
	for _, s := range strings.Split(spec, ",") {
		r, d, ok := strings.Cut(s, "x")
		if !ok {
			return nil, fmt.Errorf("FIRELINE_SURGE: %q is not RATExDURATION", s)
		}
		rate, err := strconv.ParseFloat(r, 64)
		if err != nil || rate <= 0 {
			return nil, fmt.Errorf("FIRELINE_SURGE: rate %q", r)
		}
		over, err := time.ParseDuration(d)
		if err != nil || over <= 0 {
			return nil, fmt.Errorf("FIRELINE_SURGE: duration %q", d)
		}
		out = append(out, surgeLoad{rate: rate, over: over})
	}
	return out, nil
}

type surgeResult struct {
	sent, acked, incidents int
	latency, ack           []time.Duration
	// From the workflows' histories: how long tasks waited in the server's queues
	// (scheduled to started) and how long the worker held a workflow task.
	histories                int
	wftWait, wftRun, actWait []time.Duration
}

// runSurge starts a fresh stack on bin, sends rate alarms a second for over (15% of them a
// second caller for an earlier alarm's place), then reads every incident's alarms and timeline.
func runSurge(t *testing.T, bin surgeBin, l surgeLoad) surgeResult {
	// The stack helpers run binary(t); point it at this run's binary.
	binOnce.Do(func() {})
	binPath = bin.path
	s := newStack(t)
	prof := os.Getenv("FIRELINE_SURGE_PPROF")
	pprofPort := 0
	if prof != "" {
		pprofPort = freePort(t)
		s.flags = append(s.flags, "--pprof", fmt.Sprintf("127.0.0.1:%d", pprofPort))
	}
	s.start()
	defer s.stop()
	op := s.login("operator")
	// Let the start-up settle (the unit index loading, the first workflow tasks) before timing.
	time.Sleep(3 * time.Second)

	profDone := make(chan struct{})
	if prof != "" {
		go func() {
			defer close(profDone)
			secs := int(l.over.Seconds())
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", pprofPort, secs))
			if err != nil {
				t.Logf("cpu profile: %v", err)
				return
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			name := filepath.Join(prof, fmt.Sprintf("cpu-%s-%.0f.pprof", bin.name, l.rate))
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				t.Logf("cpu profile: %v", err)
			}
		}()
	} else {
		close(profDone)
	}

	rng := rand.New(rand.NewPCG(16, uint64(l.rate)))
	n := int(l.rate * l.over.Seconds())
	gap := time.Duration(float64(time.Second) / l.rate)
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		ack       []time.Duration
		incidents = map[int64]bool{}
		acked     int
		places    []fireline.Point
		client    = &http.Client{Timeout: 60 * time.Second}
	)
	tag := fmt.Sprintf("surge-%s-%d", bin.name, time.Now().UnixNano())
	began := time.Now()
	for i := range n {
		// Open loop: alarms leave on schedule whether or not the last ones were answered.
		time.Sleep(time.Until(began.Add(time.Duration(i) * gap)))
		p := fireline.Point{Lat: 36.40 + rng.Float64()*0.10, Lng: 115.93 + rng.Float64()*0.10}
		if len(places) > 0 && rng.Float64() < 0.15 {
			p = places[rng.IntN(len(places))]
		}
		places = append(places, p)
		body, _ := json.Marshal(map[string]any{
			"source": "call", "source_id": fmt.Sprintf("%s-%d", tag, i), "type": "structure_fire",
			"lat": p.Lat, "lng": p.Lng, "description": "surge", "reported_at": time.Now().UTC().Format(time.RFC3339),
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", s.base+"/api/v1/alarms", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+op)
			sent := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Logf("alarm: %v", err)
				return
			}
			defer resp.Body.Close()
			var rc struct {
				IncidentID int64 `json:"incident_id"`
			}
			if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&rc) != nil {
				t.Logf("alarm: status %d", resp.StatusCode)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ack = append(ack, time.Since(sent))
			acked++
			incidents[rc.IncidentID] = true
		}()
	}
	wg.Wait()
	<-profDone
	r := surgeResult{sent: n, acked: acked, incidents: len(incidents), ack: ack}

	// Every incident's recommendation, waiting for those still on their way.
	deadline := time.Now().Add(3 * time.Minute)
	for id := range incidents {
		for {
			var al struct{ Alarms []fireline.Alarm }
			var tl struct{ Events []fireline.TimelineEvent }
			path := fmt.Sprintf("/api/v1/incidents/%d", id)
			s.must(http.StatusOK, "GET", path+"/alarms", op, nil, &al)
			s.must(http.StatusOK, "GET", path+"/timeline", op, nil, &tl)
			i := slices.IndexFunc(tl.Events, func(e fireline.TimelineEvent) bool { return e.Key == "recommended:1" })
			if i >= 0 && len(al.Alarms) > 0 {
				first := al.Alarms[0].ReceivedAt
				for _, a := range al.Alarms {
					if a.ReceivedAt.Before(first) {
						first = a.ReceivedAt
					}
				}
				r.latency = append(r.latency, tl.Events[i].At.Sub(first))
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: incident %d has no recommendation 3 minutes after the surge", bin.name, id)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	taskLatencies(t, s, incidents, &r)
	if prof != "" {
		if b, err := os.ReadFile(s.logPath); err == nil {
			_ = os.WriteFile(filepath.Join(prof, fmt.Sprintf("log-%s-%.0f.txt", bin.name, l.rate)), b, 0o644)
		}
	}
	return r
}

// taskLatencies reads the histories of up to 100 of the incidents' workflows from the
// embedded Temporal server: how many tasks an incident took and how long they queued.
func taskLatencies(t *testing.T, s *stack, incidents map[int64]bool, r *surgeResult) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", s.tempPort), Namespace: "default"})
	if err != nil {
		t.Errorf("dial temporal: %v", err)
		return
	}
	defer c.Close()
	for id := range incidents {
		if r.histories == 100 {
			break
		}
		it := c.GetWorkflowHistory(ctx, fireline.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		scheduled := map[int64]time.Time{}
		var wftStarted time.Time
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Errorf("history of incident %d: %v", id, err)
				return
			}
			at := e.GetEventTime().AsTime()
			switch e.GetEventType() {
			case enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				scheduled[e.GetEventId()] = at
			case enums.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				r.wftWait = append(r.wftWait, at.Sub(scheduled[e.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId()]))
				wftStarted = at
			case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				r.wftRun = append(r.wftRun, at.Sub(wftStarted))
			case enums.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				r.actWait = append(r.actWait, at.Sub(scheduled[e.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]))
			}
		}
		r.histories++
	}
}

// pct is the p-th percentile of d (nearest rank), 100 being the largest.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	i := int(float64(len(d))*p/100+0.999999) - 1
	return d[max(0, min(i, len(d)-1))].Round(time.Millisecond)
}
